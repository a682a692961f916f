"""The layout, read from the source with `ast`: small modules, no import cycles, and each layer importing only what it may."""
from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "config")
MAX_LINES = 400


def project_modules(root: Path) -> dict[str, Path]:
    """Module name -> file for every .py under the packages; a package's __init__.py is the package itself."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def oversized(root: Path, limit: int = MAX_LINES) -> list[str]:
    migrations = root / "storage" / "migrations" / "versions"
    return [f"{path.relative_to(root)}: {count} lines" for path in project_modules(root).values()
            if migrations not in path.parents and (count := len(path.read_text().splitlines())) > limit]


def import_statements(tree: ast.AST, *, type_checking: bool) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement anywhere in the tree (inside functions too); under `if TYPE_CHECKING:` only if asked."""
    found, pending = [], [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not type_checking and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            pending.extend(node.orelse)  # an `if TYPE_CHECKING:` body never runs, so its imports are not edges
        else:
            pending.extend(ast.iter_child_nodes(node))
    return found


def imported(module: str, path: Path, modules: dict[str, Path], *, type_checking: bool = False) -> set[str]:
    """What `module` imports: a project module's name where it is one (a from-imported submodule included), else the name as written."""
    names = set()
    for node in import_statements(ast.parse(path.read_text(), str(path)), type_checking=type_checking):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                prefixes = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
                names.add(next((p for p in prefixes if p in modules), alias.name))
            continue
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        for alias in node.names:
            submodule = f"{base}.{alias.name}" if base else alias.name
            names.add(submodule if submodule in modules else base)
    return names - {module, ""}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the project modules its executed import statements name (no edge to a parent the machinery imports)."""
    modules = project_modules(root)
    return {name: imported(name, path, modules) & modules.keys() for name, path in modules.items()}


def _shortest_cycle(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    paths, queue = {start: [start]}, deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(graph[here] & component):
            if there == start:
                return paths[here] + [start]
            if there not in paths:
                paths[there] = paths[here] + [there]
                queue.append(there)
    raise AssertionError(f"{start} is on no cycle")


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Tarjan's strongly connected components; for each, shortest cycles until every module in it has been shown on one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack, components = [], []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set(stack[stack.index(v):])
            del stack[stack.index(v):]
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    found = []
    for component in components:
        shown: set[str] = set()
        for start in sorted(component):
            if start not in shown:
                cycle = _shortest_cycle(graph, component, start)
                shown.update(cycle)
                found.append(" -> ".join(cycle))
    return sorted(found)


def forbidden_imports(root: Path, under: str, forbidden: tuple[str, ...]) -> list[str]:
    """A layer's imports of what it may not use; type-only imports count here, as a layer's types are what it depends on."""
    modules = project_modules(root)
    layer = {name: path for name, path in modules.items() if name == under or name.startswith(under + ".")}
    return sorted(f"{name} imports {target}" for name, path in layer.items() for target in imported(name, path, modules, type_checking=True)
                  if any(target == f or target.startswith(f + ".") for f in forbidden))


def assert_layer_imports_none_of(under: str, *forbidden: str) -> None:
    offenders = forbidden_imports(ROOT, under, forbidden)
    assert offenders == [], f"{under} may not import {', '.join(forbidden)}:\n" + "\n".join(offenders)


def test_no_module_is_over_400_lines():
    offenders = oversized(ROOT)
    assert offenders == [], f"over {MAX_LINES} lines:\n" + "\n".join(offenders)


def test_no_import_cycles_including_imports_inside_functions():
    found = cycles(import_graph(ROOT))
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_the_domain_imports_neither_slack_nor_sqlalchemy():
    assert_layer_imports_none_of("bot.domain", "slack_sdk", "slack_bolt", "sqlalchemy", "alembic", "bot.slack", "bot.worker", "bot.runtime",
                                 "bot.tools", "storage", "handlers")


def test_use_cases_never_call_slack():
    assert_layer_imports_none_of("bot.usecases", "bot.worker", "bot.runtime", "bot.tools", "slack_sdk", "slack_bolt", "handlers")


def test_use_cases_hold_no_slack_client():
    assert_layer_imports_none_of("bot.usecases", "bot.slack.api")


def test_handlers_never_reach_into_the_worker():
    # A listener builds a typed command and records or hands it over; what runs it is the worker's business.
    assert_layer_imports_none_of("handlers", "bot.worker", "bot.runtime")


def test_handlers_hold_no_sql_and_no_block_kit():
    assert_layer_imports_none_of("handlers", "sqlalchemy", "storage", "bot.slack.blocks", "bot.slack.incident_blocks",
                                 "bot.slack.home_blocks", "bot.slack.plan_blocks")


# The checks themselves, on a tiny project made under tmp_path ------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_graph_finds_cycles_through_function_bodies_and_relative_imports_but_not_type_checking(tmp_path):
    _write(tmp_path, {
        "bot/__init__.py": "",
        "bot/a.py": "from bot import b\nimport bot.c\n",
        "bot/b.py": "def later():\n    import bot.a\n",  # a cycle only through a function body
        "bot/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.a import x\n",  # types only: no cycle
        "bot/sub/__init__.py": "from bot.sub import x\n",  # an explicit import of a submodule is an edge...
        "bot/sub/x.py": "from . import y\n",  # ...but the machinery importing bot.sub for bot.sub.x is not
        "bot/sub/y.py": "from .x import thing\nimport os\n",
        "bot/sub/z.py": "from ..a import thing\n",
        "handlers/__init__.py": "",
        "handlers/h.py": "from bot.sub.y import thing\n",
    })
    graph = import_graph(tmp_path)
    assert graph["bot.sub"] == {"bot.sub.x"} and graph["bot.sub.z"] == {"bot.a"} and graph["handlers.h"] == {"bot.sub.y"}
    assert graph["bot.c"] == set() and graph["bot.sub.y"] == {"bot.sub.x"}
    assert cycles(graph) == ["bot.a -> bot.b -> bot.a", "bot.sub.x -> bot.sub.y -> bot.sub.x"]


def test_a_strongly_connected_component_is_shown_whole(tmp_path):
    _write(tmp_path, {"bot/__init__.py": "", "bot/p.py": "import bot.q\n", "bot/q.py": "import bot.r\nimport bot.p\n",
                      "bot/r.py": "from bot import q\n"})
    assert cycles(import_graph(tmp_path)) == ["bot.p -> bot.q -> bot.p", "bot.r -> bot.q -> bot.r"]


def test_the_line_limit_names_the_long_module_and_skips_released_migrations(tmp_path):
    _write(tmp_path, {"config/__init__.py": "", "config/long.py": "x = 1\n" * 401, "config/ok.py": "x = 1\n" * 400,
                      "storage/migrations/versions/0001_big.py": "x = 1\n" * 900})
    assert oversized(tmp_path) == ["config/long.py: 401 lines"]


def test_a_layer_rule_sees_type_only_and_function_body_imports(tmp_path):
    _write(tmp_path, {"bot/__init__.py": "", "bot/slack/__init__.py": "", "bot/slack/blocks.py": "",
                      "handlers/__init__.py": "", "handlers/ok.py": "from bot.slack import ids\n",
                      "handlers/h.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy.orm\n"
                                       "def f():\n    from bot.slack import blocks\n"})
    assert forbidden_imports(tmp_path, "handlers", ("sqlalchemy", "bot.slack.blocks")) == [
        "handlers.h imports bot.slack.blocks", "handlers.h imports sqlalchemy.orm"]
