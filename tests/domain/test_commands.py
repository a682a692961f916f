"""The typed way in: every command a listener can build is run by exactly one use case or view
function, travels as plain JSON, and a use case is handed no Slack client."""
from __future__ import annotations

import inspect
from datetime import date, datetime, timezone

import pytest

from bot.domain.commands import (
    RECORDED,
    VIEWS,
    DecisionFromMessage,
    LogDecision,
    MarkReviewed,
    PublishHome,
    QuotedMessage,
    SetStep,
    SubmitActivation,
    Tell,
    decode,
    encode,
)
from bot.domain.records import ActivationForm, DecisionInput, HomePage, StepStatus
from bot.domain.reminders import Kind, MessageRef, ReminderRef
from bot.usecases.registry import USE_CASES
from bot.worker.views import VIEWS as VIEW_FUNCTIONS

EXAMPLES = [
    SetStep(7, StepStatus.NOT_APPLICABLE, reason="Office closed"),
    LogDecision(3, DecisionInput("Close the office", rationale="Flood", corrects=1)),
    DecisionFromMessage("C1", QuotedMessage(text="Go home", ts="1.2", user="U1")),
    MarkReviewed(ReminderRef("wunderroot-bcp", Kind.REVIEW, date(2027, 3, 1)), MessageRef("D1", "9.9")),
    SubmitActivation(ActivationForm("p", "Flood", "Water", ("Finance",), "U1", is_exercise=True), view_id="V1"),
    PublishHome("U1", HomePage(2, (datetime(2027, 1, 1, tzinfo=timezone.utc), 12))),
]


@pytest.mark.parametrize("command", EXAMPLES, ids=lambda c: c.kind)
def test_a_command_comes_back_from_its_json_as_it_was(command):
    import json

    data = json.loads(json.dumps(encode(command)))  # what the intents table or the pipe holds
    assert decode(command.kind, data) == command


def test_an_intent_recorded_before_commands_were_typed_still_runs():
    # The payloads older bots recorded (keyword arguments) are the commands' JSON.
    assert decode("set_step", {"step_id": 5, "status": "done"}) == SetStep(5, StepStatus.DONE)
    assert decode("log_decision", {"incident_id": 2, "entry": {"decision": "Go", "rationale": None}}) == \
        LogDecision(2, DecisionInput("Go"))


def test_bad_data_or_an_unknown_kind_is_refused_not_guessed():
    with pytest.raises(ValueError):
        decode("set_step", {"step_id": "seven", "status": "done"})
    with pytest.raises(ValueError):
        decode("set_step", {"step_id": 7, "status": "finished"})
    with pytest.raises(KeyError):
        decode("drop_tables", {})


def test_every_command_has_one_use_case_and_every_view_request_one_function():
    assert set(USE_CASES) == set(RECORDED)
    assert set(VIEW_FUNCTIONS) == set(VIEWS) - {Tell}  # Tell is the worker's own: it says a failure in words
    assert len({c.kind for c in (*RECORDED, *VIEWS)}) == len(RECORDED) + len(VIEWS)


@pytest.mark.parametrize("use_case", list(USE_CASES.values()), ids=lambda f: f.__name__)
def test_a_use_case_is_handed_its_parts_its_unit_of_work_and_its_command(use_case):
    # `Parts` has no Slack client: mypy refuses a use case that reaches for one.
    parameters = list(inspect.signature(use_case).parameters.values())
    assert [p.annotation for p in parameters[:2]] == ["Parts", "UnitOfWork"]
    command_type = next(c for c, f in USE_CASES.items() if f is use_case)
    assert parameters[2].annotation == command_type.__name__
    assert [(p.name, p.kind) for p in parameters[3:]] == [("actor", inspect.Parameter.KEYWORD_ONLY)]
