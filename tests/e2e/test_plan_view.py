"""The plan, readable by anyone: `/activate plan`, App Home's View plan, and the review reminder's link to it."""
from __future__ import annotations

import json
from bot.slack.ids import Action
from tests.e2e.test_home import open_home
from tests.support import people


def every_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def assert_whole_plan(shown: str, plan) -> None:
    for phase in plan.phases:
        assert phase.title in shown
        for step in phase.steps:
            assert json.dumps(step.title, ensure_ascii=False)[1:-1] in shown, step.title
            if step.owner_role:
                assert step.owner_role in shown
    for person in plan.activation.team:
        assert (f"<@{person.slack}>" if person.slack else person.name) in shown
    assert plan.contacts_link in shown


def test_activate_plan_from_someone_outside_the_team_shows_every_step(running):
    plan = running.bot.plans.first()
    assert people.OUTSIDER not in {p.slack for p in plan.activation.team}
    reply = running.slack.command(people.OUTSIDER, "plan")
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral" and len(body["blocks"]) <= 50
    assert_whole_plan(every_text(body["blocks"]), plan)
    # Named, and the name of one that is not there.
    assert "Incident management" in every_text(running.slack.command(people.OUTSIDER, f"plan {plan.id}").json()["blocks"])
    missing = running.slack.command(people.OUTSIDER, "plan nope").json()["text"]
    assert "no plan `nope`" in missing and f"/activate plan {plan.id}" in missing


def test_app_home_view_plan_opens_the_whole_plan_for_anyone(running):
    plan = running.bot.plans.first()
    home = open_home(running, people.OUTSIDER, "EvPlanView1")
    [value] = [b["accessory"]["value"] for b in home["blocks"]
               if b.get("accessory", {}).get("action_id") == Action.VIEW_PLAN]
    before = len(running.fake.calls_to("views.open"))
    assert running.slack.block_action(people.OUTSIDER, Action.VIEW_PLAN, value, view=home).status == 200
    running.settle()
    [opened] = running.fake.calls_to("views.open")[before:]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "modal" and len(view["blocks"]) <= 100
    assert_whole_plan(every_text(view["blocks"]), plan)
