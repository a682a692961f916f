"""Plan files for tests: the bundled example with its dates (and anything else) changed."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

BUNDLED = Path(__file__).resolve().parents[2] / "config" / "plans" / "wunderroot.yaml"


def plan_data(*, plan_id: str = "wunderroot-bcp", title: str | None = None, review: date | None = None,
              test: date | None = None, owners: list[dict] | None = None, **changes) -> dict:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["id"] = plan_id
    if title:
        data["title"] = title
    if review:
        data["review"]["next"] = review
    if test:
        data["testing"]["next"] = test
    if owners is not None:
        data["owners"] = owners
    data.update(changes)
    return data


def write_plan(folder: Path, **kw) -> Path:
    """Write one plan file into `folder` (created if need be); returns the folder (BCBOT_PLANS)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = plan_data(**kw)
    (folder / f"{data['id']}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def write_plans(folder: Path, count: int, **kw) -> Path:
    for n in range(count):
        write_plan(folder, plan_id=f"plan-{n:03d}", title=f"Plan {n:03d}", **kw)
    return folder
