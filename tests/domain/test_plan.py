"""Plan files: the bundled example is valid; every problem is named with file and field."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.domain.plan import PHASE_ORDER, check_plans, load_plans, parse_duration
from config import BUNDLED_PLANS


def bundled() -> dict:
    return yaml.safe_load((BUNDLED_PLANS / "wunderroot.yaml").read_text())


def write(tmp_path: Path, data, name="plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_bundled_plan_is_the_seed_made_whole():
    [plan] = load_plans(BUNDLED_PLANS)
    assert plan.organisation == "Wunderroot"
    assert [p.key for p in plan.phases] == list(PHASE_ORDER)
    assert all(len(p.steps) >= 5 for p in plan.phases)
    assert [o.name for o in plan.owners] == ["Steve Parks", "Steve Hunton"]
    assert {"Loss of critical systems", "Loss of key staff or skills (e.g. illness)"} <= set(plan.activation.circumstances)
    assert [t.name for t in plan.activation.team] == ["Steve Parks", "Steve Hunton", "Joe Baker"]


def test_every_problem_is_reported_with_its_field_path(tmp_path):
    data = bundled()
    data["owners"][0].pop("slack")
    data["phases"][0]["steps"][2]["due_within"] = "soon"
    data["review"]["next"] = "next November"
    del data["title"]
    _, problems = check_plans(write(tmp_path, data))
    found = {(p.field, p.message.split(" (")[0]) for p in problems}
    fields = {f for f, _ in found}
    assert {"owner 1", "phase 1, step 3: due_within", "review.next", "title"} <= fields
    assert all(p.file.endswith("plan.yaml") and p.line for p in problems)
    assert any("slack" in p.message and "email" in p.message for p in problems if p.field == "owner 1")


def test_phases_must_be_the_three_in_order(tmp_path):
    data = bundled()
    data["phases"] = list(reversed(data["phases"]))
    _, problems = check_plans(write(tmp_path, data))
    assert [p.field for p in problems] == ["phases"]
    assert "incident_management, business_continuity, resumption_recovery" in problems[0].message


def test_yaml_syntax_errors_and_duplicate_ids(tmp_path):
    write(tmp_path, "id: [unclosed", name="a.yaml")
    write(tmp_path, bundled(), name="b.yaml")
    write(tmp_path, bundled(), name="c.yaml")
    plans, problems = check_plans(tmp_path)
    assert len(plans) == 1
    assert any(p.file.endswith("a.yaml") and p.line == 1 and "not closed" in p.message for p in problems)
    assert any(p.file.endswith("c.yaml") and "also used by" in p.message for p in problems)


def test_option_limits_keep_plans_renderable(tmp_path):
    data = bundled()
    data["activation"]["circumstances"].append("x" * 76)
    data["remit"] = [f"service {i}" for i in range(101)]
    _, problems = check_plans(write(tmp_path, data))
    assert {p.field for p in problems} >= {"activation: circumstance 5", "remit"}


@pytest.mark.parametrize("text,expected", [("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)),
                                           ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90))])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0m", "soon", "30", "m30"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)
