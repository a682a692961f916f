"""The plan's roles: who holds what a step names, who covers, and the contradictions `plan check` refuses."""
from __future__ import annotations

import yaml

from bot.domain.plan import check_plans, load_plans
from bot.domain.roles import is_incident_lead, plan_roles
from tests.domain.test_plan import bundled, write

AMY = {"name": "Amy Cole", "slack": "U0TEAM02"}
OPS = "Operations Manager (UK)"


def with_roles(roles: list[dict]) -> dict:
    data = bundled()
    data["roles"] = roles
    return data


def problems_of(tmp_path, data) -> list:
    _, problems = check_plans(write(tmp_path, data))
    return problems


def test_roles_come_from_people_and_from_roles_with_their_alternates_in_order(tmp_path):
    hunton = {"name": "Steve Hunton", "email": "steve.hunton@wunderroot.example"}
    bob = {"name": "Bob Able", "slack": "U0BOB0001"}
    [plan] = load_plans(write(tmp_path, with_roles([{"name": OPS, "holder": hunton, "alternates": [AMY, bob]}])))
    roles = plan_roles(plan)
    ops = roles["operations manager (uk)"]
    assert ops.holder.name == "Steve Hunton" and [a.name for a in ops.alternates] == ["Amy Cole", "Bob Able"]
    assert roles["lead developer"].holder.name == "Joe Baker" and roles["lead developer"].alternates == ()
    # Alternates are asked in a roll call too (each person once).
    assert [p.name for p in plan.roll_call_people()][-2:] == ["Amy Cole", "Bob Able"]
    assert is_incident_lead(" incident  LEAD ")


def test_a_plan_without_roles_keeps_its_hash(tmp_path):
    [before] = load_plans(write(tmp_path, bundled()))
    assert '"roles"' not in before.canonical_json()


def test_a_step_whose_role_nobody_holds_is_refused_with_its_line(tmp_path):
    data = bundled()
    data["phases"][1]["steps"][0]["owner_role"] = "Head of Facilities"
    path = write(tmp_path, data)
    _, problems = check_plans(path)
    [problem] = problems
    assert problem.field == "phase 2, step 1: owner_role"
    assert "nobody holds 'Head of Facilities'" in problem.message
    lines = path.read_text().splitlines()
    assert "Head of Facilities" in lines[problem.line - 1]


def test_roles_must_agree_with_a_person_s_role(tmp_path):
    joe_is_not_ops = with_roles([{"name": OPS, "holder": {"name": "Joe Baker", "slack": "U0JBAKER01"}}])
    found = problems_of(tmp_path, joe_is_not_ops)
    assert {p.field for p in found} == {"owner 2: role", "activation, team member 2: role"}
    assert all("roles says Joe Baker holds it" in p.message for p in found)


def test_two_people_with_one_role_must_say_who_holds_it(tmp_path):
    data = bundled()
    data["activation"]["team"][2]["role"] = OPS  # Joe Baker too
    data["phases"] = yaml.safe_load(yaml.safe_dump(data["phases"]).replace("Lead Developer", "Incident lead"))
    [problem] = problems_of(tmp_path, data)
    assert problem.field == "activation, team member 3: role" and "also the role of Steve Hunton" in problem.message


def test_a_role_listed_twice_or_named_incident_lead_or_with_a_repeated_person_is_refused(tmp_path):
    hunton = {"name": "Steve Hunton", "email": "steve.hunton@wunderroot.example"}
    twice = with_roles([{"name": OPS, "holder": hunton}, {"name": "operations manager (uk)", "holder": hunton}])
    assert any("listed twice" in p.message for p in problems_of(tmp_path, twice))
    lead = with_roles([{"name": "Incident lead", "holder": AMY}])
    assert any("built in" in p.message for p in problems_of(tmp_path, lead))
    repeated = with_roles([{"name": OPS, "holder": hunton, "alternates": [AMY, AMY]}])
    assert any("Amy Cole is named twice" in p.message for p in problems_of(tmp_path, repeated))
