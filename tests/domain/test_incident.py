"""The incident state machine, references and channel names: no Slack, no database."""
from __future__ import annotations

import re

import pytest

from bot.domain.errors import InvalidTransition
from bot.domain.incident import IncidentEvent, IncidentState, channel_name, channel_names, channel_words, next_state, parse_reference, reference


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
        for exercise in (False, True):
            names = channel_names(incident_id=incident_id, words=channel_words(circumstance), exercise=exercise,
                                  salt="2026-11-22T09:00:00+00:00")
            assert len(names) == len(set(names)) == 2
            for name in names:
                assert re.fullmatch(r"[a-z0-9-]{1,30}", name) and not name.endswith("-"), name
                assert name.startswith(f"bc-{incident_id}-exercise" if exercise else f"bc-{incident_id}")


def test_channel_names_are_short_and_readable():
    assert channel_name(incident_id=12, words=channel_words("Loss of critical systems")) == "bc-12-critical-systems"
    assert channel_words("Loss of key staff or skills (e.g. illness)") == "key-staff-skills"
    assert channel_words("Flooded basement", short="flood") == "flood"
    assert channel_name(incident_id=12, words="critical-systems", exercise=True) == "bc-12-exercise-critical"
    assert channel_name(incident_id=12) == "bc-12"  # a confidential incident's


def test_a_taken_name_is_followed_by_the_same_hashed_one_on_a_retry():
    def names(incident_id):
        return channel_names(incident_id=incident_id, words="critical-systems", exercise=False,
                             salt="2026-11-22T09:00:00+00:00")

    assert names(1)[0] == "bc-1-critical-systems" and names(1)[1].startswith("bc-1-critical-systems-")
    assert names(5) == names(5)  # a retry tries the same names
