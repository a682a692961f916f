"""The incident state machine, references and channel names: no Slack, no database."""
from __future__ import annotations

import re
from datetime import date

import pytest

from bot.domain.errors import InvalidTransition
from bot.domain.incident import IncidentEvent, IncidentState, channel_name, channel_names, next_state, parse_reference, reference


def test_phases_advance_in_order_then_stop():
    state = IncidentState.INCIDENT_MANAGEMENT
    state = next_state(state, IncidentEvent.ADVANCE_PHASE)
    assert state is IncidentState.BUSINESS_CONTINUITY
    state = next_state(state, IncidentEvent.ADVANCE_PHASE)
    assert state is IncidentState.RESUMPTION_RECOVERY
    with pytest.raises(InvalidTransition):
        next_state(state, IncidentEvent.ADVANCE_PHASE)


@pytest.mark.parametrize("state", [s for s in IncidentState if s is not IncidentState.STOOD_DOWN])
def test_any_open_phase_can_stand_down(state):
    assert next_state(state, IncidentEvent.STAND_DOWN) is IncidentState.STOOD_DOWN


def test_a_stood_down_incident_does_nothing_more():
    for event in IncidentEvent:
        with pytest.raises(InvalidTransition, match="stood down"):
            next_state(IncidentState.STOOD_DOWN, event)


@pytest.mark.parametrize("text,expected", [("BC-12", 12), ("bc12", 12), ("12", 12), (" BC-7 ", 7), ("XY-1", None), ("", None)])
def test_references(text, expected):
    assert parse_reference(text) == expected
    if expected:
        assert reference(expected) == f"BC-{expected}"


@pytest.mark.parametrize("circumstance", ["Loss of critical systems", "Ünïcödé & <b>", "x" * 300, "!!!", "日本語"])
def test_channel_names_are_always_valid(circumstance):
    for incident_id in (1, 17, 10**9):
        names = channel_names(on=date(2026, 11, 22), circumstance=circumstance, exercise=True,
                              incident_id=incident_id, salt="2026-11-22T09:00:00+00:00")
        assert len(names) == len(set(names)) == 3
        for name in names:
            assert re.fullmatch(r"[a-z0-9-]{1,80}", name), name
            assert name.startswith("bc-exercise-2026-11-22-")
        assert names[1].endswith(f"-bc-{incident_id}") and f"-bc-{incident_id}-" in names[2]


def test_two_incidents_of_one_day_never_try_the_same_suffixed_name():
    def names(incident_id):
        return channel_names(on=date(2026, 11, 22), circumstance="Loss of critical systems", exercise=False,
                             incident_id=incident_id, salt="2026-11-22T09:00:00+00:00")

    assert names(1)[0] == names(2)[0] == "bc-2026-11-22-loss-of-critical-systems"
    assert names(1)[1] == "bc-2026-11-22-loss-of-critical-systems-bc-1"
    assert not set(names(1)[1:]) & set(names(2)[1:]) and not set(names(1)[1:]) & set(names(11)[1:])
    assert names(5) == names(5)  # a retry tries the same names


def test_exercise_channels_say_so():
    assert channel_name(on=date(2026, 11, 22), circumstance="Loss of critical systems", exercise=True) == \
        "bc-exercise-2026-11-22-loss-of-critical-systems"
