"""A person's part in a plan, and its hash: a typo fixed elsewhere leaves it, a change to it is a new part."""
from __future__ import annotations

import copy

from bot.domain.parts import PartRecord, coverage, due_words, parts_of
from bot.domain.plan import load_plans
from tests.domain.test_plan import bundled, write

OPS = "Operations Manager (UK)"
AMY = {"name": "Amy Cole", "slack": "U0TEAM02"}
BOB = {"name": "Bob Able", "slack": "U0BOB0001"}
HUNTON = {"name": "Steve Hunton", "email": "steve.hunton@wunderroot.example"}


def plan_with(tmp_path, data, name="plan.yaml"):
    [plan] = load_plans(write(tmp_path, data, name))
    return plan


def with_cover(data=None) -> dict:
    data = copy.deepcopy(data or bundled())
    data["roles"] = [{"name": OPS, "holder": HUNTON, "alternates": [AMY, BOB]}]
    data["roll_call"] = {"staff": [{"name": "Olive Designer", "slack": "U0STAFF9"}]}
    return data


def by_name(plan) -> dict:
    return {p.person.name: p for p in parts_of(plan)}


def test_a_part_lists_roles_steps_per_phase_cover_and_who_covers(tmp_path):
    parts = by_name(plan_with(tmp_path, with_cover()))
    assert list(parts) == ["Steve Parks", "Steve Hunton", "Joe Baker", "Amy Cole", "Bob Able", "Olive Designer"]
    hunton = parts["Steve Hunton"]
    assert hunton.holds == (OPS,)
    assert [(phase, len(steps)) for phase, steps in hunton.steps] == [
        ("incident_management", 2), ("business_continuity", 2), ("resumption_recovery", 2)]
    assert all(s.role == OPS for _, steps in hunton.steps for s in steps) and hunton.step_count == 6
    assert [(c.role, c.alternates) for c in hunton.covered_by] == [(OPS, ("Amy Cole", "Bob Able"))]
    bob = parts["Bob Able"]
    assert bob.holds == () and bob.steps == ()
    assert [(c.role, c.place, c.of, c.holder) for c in bob.covers] == [(OPS, 2, 2, "Steve Hunton")]
    # Someone with no role has a part too: they are asked in roll calls.
    olive = parts["Olive Designer"]
    assert (olive.holds, olive.covers, olive.steps, olive.covered_by) == ((), (), (), ())


def test_steps_keep_their_due_time_and_the_incident_lead_s_steps_are_nobody_s_part(tmp_path):
    parts = by_name(plan_with(tmp_path, bundled()))
    steps = [s for p in parts.values() for _, phase in p.steps for s in phase]
    assert not any(s.role.lower() == "incident lead" for s in steps)
    baker = dict(parts["Joe Baker"].steps)
    assert baker["incident_management"][0].role == "Lead Developer"
    assert due_words(30) == "within 30m" and due_words(150) == "within 2h 30m" and due_words(24 * 60) == "within 1d"


def test_a_typo_fixed_elsewhere_leaves_the_hash_and_a_changed_part_changes_it(tmp_path):
    data = with_cover()
    before = {n: p.digest for n, p in by_name(plan_with(tmp_path, data)).items()}

    elsewhere = copy.deepcopy(data)
    elsewhere["title"] = elsewhere["title"] + " (fixed)"
    elsewhere["phases"][0]["purpose"] = "Protect vital assets, fixed"
    elsewhere["phases"][0]["title"] = "Incident management (fixed)"
    baker_step = next(s for s in elsewhere["phases"][0]["steps"] if s.get("owner_role") == "Lead Developer")
    baker_step["title"] += " (typo fixed)"
    after = {n: p.digest for n, p in by_name(plan_with(tmp_path, elsewhere, "other.yaml")).items()}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"Joe Baker"}  # only the person whose step it is

    reordered = copy.deepcopy(data)
    reordered["roles"][0]["alternates"] = [BOB, AMY]
    after = {n: p.digest for n, p in by_name(plan_with(tmp_path, reordered, "third.yaml")).items()}
    # Who covers Hunton changed, and Amy's and Bob's places: Parks, Baker and Olive keep theirs.
    assert {n for n in before if before[n] != after[n]} == {"Steve Hunton", "Amy Cole", "Bob Able"}

    due = copy.deepcopy(data)
    ops_step = next(s for s in due["phases"][1]["steps"] if s.get("owner_role") == OPS)
    ops_step["due_within"] = "3h"
    after = {n: p.digest for n, p in by_name(plan_with(tmp_path, due, "fourth.yaml")).items()}
    assert {n for n in before if before[n] != after[n]} == {"Steve Hunton"}


def test_coverage_counts_those_who_acknowledged_their_part_as_it_stands(tmp_path):
    plan = plan_with(tmp_path, with_cover())
    parts = parts_of(plan)
    ids = {"Steve Parks": "U0SPARKS01", "Joe Baker": "U0JBAKER01", "Amy Cole": "U0TEAM02", "Bob Able": "U0BOB0001",
           "Olive Designer": "U0STAFF9"}  # Hunton's email is not resolved

    def record(part, acked):
        return PartRecord(plan.id, ids[part.person.name], part.person.name, part.digest, 1, 1, owed_at=None,  # type: ignore[arg-type]
                          acked_hash=acked)

    records = {ids[p.person.name]: record(p, p.digest if p.person.name in ("Amy Cole", "Bob Able") else None)
               for p in parts if p.person.name in ids}
    records["U0STAFF9"] = record(parts[-1], "an older part")
    found = coverage(plan, records, lambda person: ids.get(person.name))
    assert found.line == "2 of 6 acknowledged their part"
    assert found.waiting == ("Steve Parks", "Steve Hunton", "Joe Baker", "Olive Designer")
    assert found.not_in_slack == ("Steve Hunton",)
