"""Write the fixtures of tests/storage/test_old_databases.py from git: `python tests/storage/history/build.py`.

For every commit of main that added or changed a migration (`git rev-list HEAD -- storage/migrations/versions/`,
side branches merged into main included), except the state of the working tree (a fresh database is that one):

- `versions/<blob>-<file>`: each migration file as that commit had it (`<blob>` is git's short blob ID), once;
- `snapshots/<hash>.json`: the bundled plan as that commit's code stored it in `plan_versions.snapshot`;
- `states.json`: per commit, its subject, which migration files it had and its plan snapshot.

The test builds a database at each state by running that state's own migration files, so it needs no git at
test time. Run this again, and commit what it writes, whenever a commit adds a migration.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
VERSIONS = "storage/migrations/versions"

# The bundled plan as a commit's own code canonicalised it (the plan module moved to bot/domain in 32addc2).
SNAPSHOT = """
import sys
from pathlib import Path
# This commit's code, not an editable install's finder pointing at today's.
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, ".")
try:
    from bot.domain.plan import load_plans
except ImportError:
    from bot.plan import load_plans
print(load_plans(Path("config/plans"))[0].canonical_json())
"""


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def tree(commit: str) -> dict[str, str]:
    """Migration file name -> short blob ID at `commit`."""
    found = {}
    for line in git("ls-tree", commit, f"{VERSIONS}/").splitlines():
        meta, path = line.split("\t")
        if path.endswith(".py"):
            found[Path(path).name] = meta.split()[2][:10]
    return found


def working_tree() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / VERSIONS).glob("*.py")):
        blob = subprocess.run(["git", "hash-object", str(path)], check=True, capture_output=True, text=True).stdout
        found[path.name] = blob.strip()[:10]
    return found


def snapshot(commit: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", commit, "bot", "config"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        return subprocess.run([sys.executable, "-c", SNAPSHOT], cwd=tmp, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()


def main() -> None:
    current = working_tree()
    states = []
    for commit in reversed(git("rev-list", "HEAD", "--", f"{VERSIONS}/").split()):
        files = tree(commit)
        if files == current:
            continue
        short = commit[:7]
        for name, blob in files.items():
            target = HERE / "versions" / f"{blob}-{name}"
            if not target.exists():
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(subprocess.run(["git", "cat-file", "blob", blob], cwd=ROOT, check=True,
                                                  capture_output=True).stdout)
        text = snapshot(commit) + "\n"
        name = hashlib.sha256(text.encode()).hexdigest()[:10]
        (HERE / "snapshots").mkdir(exist_ok=True)
        (HERE / "snapshots" / f"{name}.json").write_text(text)
        states.append({"commit": short, "subject": git("log", "-1", "--format=%s", commit).strip()[:100],
                       "versions": files, "snapshot": name})
    (HERE / "states.json").write_text(json.dumps(states, indent=2) + "\n")
    print(f"{len(states)} states written to {HERE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
