"""Block Kit rendering: escaping and Slack's limits hold for any accepted plan."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.incident import IncidentState
from bot.domain.plan import load_plans
from bot.domain.records import Incident, Step, StepStatus
from bot.slack import blocks
from bot.slack.mrkdwn import escape, safe
from config import BUNDLED_PLANS

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
PLAN = load_plans(BUNDLED_PLANS)[0]


def make_incident(**kw) -> Incident:
    values = dict(id=12, plan_key=PLAN.id, plan_version_id=1, is_exercise=False, circumstance="Loss of critical systems",
                  summary="Server down", services=("Finance and payroll",), lead_user_id="U0LEAD", activated_by="U0ACT",
                  approved_by=None, state=IncidentState.INCIDENT_MANAGEMENT, channel_id="C0INC", channel_name="bc",
                  header_ts="1.1", announce_ts=None, activated_at=NOW, phase_started_at=NOW, stood_down_at=None)
    return Incident(**(values | kw))


def make_steps(n: int, phase="incident_management", title="Do the thing") -> list[Step]:
    return [Step(id=i, incident_id=12, phase=phase, position=i, title=f"{title} {i}", owner_role="Ops",
                 due_within_minutes=30, status=StepStatus.OPEN, changed_by=None, changed_at=None) for i in range(1, n + 1)]


def all_text(value) -> str:
    return str(value)


def test_escape_neutralises_mentions_and_links():
    assert escape("<!channel> <@U123> <https://x|y> & co") == "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; co"


def test_escape_drops_control_and_bidi_characters():
    assert escape("a\u202eb\x00c\u2066d") == "abcd"


def test_truncation_is_marked_and_never_splits_an_entity():
    text = safe("&" * 100, 50)
    assert len(text) <= 50 and text.endswith("(truncated)") and not text.replace("&amp;", "").startswith("&")


def test_long_checklists_are_split_into_pages_within_50_blocks():
    steps = make_steps(120)
    pages = blocks.checklist_pages(make_incident(), PLAN, "incident_management", steps, now=NOW)
    assert len(pages) == 5
    assert all(len(p) <= blocks.MESSAGE_BLOCKS_MAX for p in pages)
    assert "part 2 of 5" in pages[1][0]["text"]["text"]
    step_sections = [b for p in pages for b in p[1:] if b["type"] == "section"]
    assert len(step_sections) == 120 and "*120.*" in step_sections[-1]["text"]["text"]


def test_overdue_steps_are_flagged():
    [step] = make_steps(1)
    [page] = blocks.checklist_pages(make_incident(), PLAN, "incident_management", [step], now=NOW + timedelta(hours=1))
    assert "overdue" in page[1]["text"]["text"]
    [page] = blocks.checklist_pages(make_incident(), PLAN, "incident_management", [step], now=NOW + timedelta(minutes=10))
    assert "overdue" not in page[1]["text"]["text"] and "due" in page[1]["text"]["text"]


@settings(max_examples=60, deadline=None)
@given(summary=st.text(max_size=4000), circumstance=st.text(min_size=1, max_size=300), title=st.text(min_size=1, max_size=500))
def test_any_text_stays_within_limits_and_escaped(summary, circumstance, title):
    incident = make_incident(summary=summary, circumstance=circumstance)
    rendered = [*blocks.header_blocks(incident, PLAN, []),
                *blocks.checklist_pages(incident, PLAN, "incident_management", make_steps(3, title=title), now=NOW)[0]]
    for block in rendered:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= (blocks.HEADER_MAX if block["type"] == "header" else blocks.SECTION_MAX)
        for field in block.get("fields", []):
            assert len(field["text"]) <= blocks.FIELD_MAX
    mrkdwn = all_text([b for b in rendered if b["type"] != "header"])
    assert "<!channel>" not in mrkdwn or "<!channel>" not in summary + circumstance + title


def test_modal_offers_the_plan_circumstances_other_and_remit():
    view = blocks.activation_modal(plans=[PLAN], plan=PLAN, user_id="U0ME")
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    options = [o["value"] for o in by_id["circumstance"]["element"]["options"]]
    assert options[:-1] == PLAN.activation.circumstances and options[-1] == "__other__"
    assert [o["value"] for o in by_id["services"]["element"]["options"]] == PLAN.remit
    assert by_id["lead"]["element"]["initial_user"] == "U0ME"
    assert "plan" not in by_id  # one plan: no plan picker


def test_slack_message_text_is_decoded_before_it_is_quoted():
    from bot.slack.mrkdwn import from_slack

    raw = "Go &amp; see <@U0ABC> in <#C0DEF|ops> — <https://x.example|the doc> &lt;b&gt; <!here>"
    assert from_slack(raw) == "Go & see @U0ABC in #ops — the doc (https://x.example) <b> @here"
    assert escape(from_slack(raw)).count("&amp;") == 1  # escaped once on the way back out, not twice


def test_a_relative_contacts_link_is_joined_to_the_handbook_or_shown_as_text():
    incident = make_incident()
    relative = PLAN.model_copy(update={"activation": PLAN.activation.model_copy(update={"contacts_url": "/who/dir"})})
    joined = relative.model_copy(update={"handbook_url": "https://handbook.example.com/"})
    footer = lambda plan: json.dumps(blocks.header_blocks(incident, plan, [])[-1])  # noqa: E731
    assert "<https://handbook.example.com/who/dir|Contact details>" in footer(joined)
    assert "Contact details: /who/dir" in footer(relative) and "</who/dir|" not in footer(relative)
