"""Parsing the activation form: typed values or field errors."""
from __future__ import annotations

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.plan import load_plans
from bot.slack import blocks
from bot.slack.parse import action_value, activation_form, int_field, subcommand
from config import BUNDLED_PLANS
from tests.support.slack_requests import filled_view

PLAN = load_plans(BUNDLED_PLANS)[0]
PLANS = {PLAN.id: PLAN}


def view(**kw):
    base = blocks.activation_modal(plans=[PLAN], plan=PLAN, user_id="U0ME", exercise=kw.pop("exercise", False))
    return filled_view(base, **({"circumstance": "Loss of critical systems", "summary": "It broke", "lead": "U0ME"} | kw))


def test_a_valid_form():
    form = activation_form(view(services=["Finance and payroll"]), PLANS)
    assert (form.plan_id, form.circumstance, form.summary, form.services, form.lead_user_id, form.is_exercise) == \
        (PLAN.id, "Loss of critical systems", "It broke", ("Finance and payroll",), "U0ME", False)


def test_exercise_mode_rides_in_private_metadata():
    assert activation_form(view(exercise=True), PLANS).is_exercise


@pytest.mark.parametrize("kw,field", [
    ({"circumstance": None}, "circumstance"),
    ({"circumstance": "Made up"}, "circumstance"),
    ({"circumstance": "__other__", "other": ""}, "other"),
    ({"summary": ""}, "summary"),
    ({"lead": None}, "lead"),
    ({"services": ["Not in remit"]}, "services"),
])
def test_field_errors(kw, field):
    with pytest.raises(InvalidInput) as err:
        activation_form(view(**kw), PLANS)
    assert field in err.value.fields


def test_garbage_payload_values():
    assert action_value({"actions": [{"value": "not json"}]}) == {}
    assert action_value({"actions": "nope"}) == {}
    with pytest.raises(InvalidInput):
        int_field({"s": "1; DROP TABLE"}, "s")
    with pytest.raises(InvalidInput):
        int_field({"s": True}, "s")


def test_subcommands():
    assert subcommand("  Status ") == ("status", "")
    assert subcommand("decision We move to the backup office") == ("decision", "We move to the backup office")
    assert subcommand(None) == ("", "")


def test_a_button_payload_with_a_null_view_is_refused_before_bolt_reads_it():
    from bot.slack.parse import envelope_problem

    body = {"type": "block_actions", "view": None, "actions": [{"action_id": "bcbot.plan.start_exercise"}]}
    assert envelope_problem(body) == "`view` is null, not an object"
    assert envelope_problem({**body, "view": {"type": "home"}}) is None
