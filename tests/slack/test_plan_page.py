"""The plan as a page anyone can read: in Slack (within Block Kit's limits), as Markdown, and the help."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from bot.domain import plan_page
from bot.domain.plan import load_plans
from bot.domain.reminders import DueReminder, Kind
from bot.slack import plan_blocks, plan_view, replies
from bot.slack.ids import Action
from config import BUNDLED_PLANS

PLAN = load_plans(BUNDLED_PLANS)[0]


def test_review_reminders_link_to_the_plan():
    reminder = DueReminder(kind=Kind.REVIEW, due_on=date(2027, 11, 15), stage=0, escalated=False)
    blocks = plan_blocks.reminder_blocks(PLAN, reminder, today=date(2027, 11, 1), as_team=False, gov=None,
                                         tz=None)  # type: ignore[arg-type]
    [view] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == Action.VIEW_PLAN]
    assert json.loads(view["value"]) == {"p": PLAN.id}
    assert "Read it through (*View plan*)" in json.dumps(blocks, ensure_ascii=False)


def test_a_plan_too_long_for_one_message_stays_within_slacks_limits_and_says_where_the_rest_is():
    phases = [p.model_copy(update={"steps": [p.steps[0].model_copy(update={"title": f"Step {i} " + "x" * 480})
                                             for i in range(500)]}) for p in PLAN.phases]
    huge = PLAN.model_copy(update={"phases": phases})
    for blocks, limit in ((plan_view.plan_message(huge)["blocks"], 50), (plan_view.plan_modal(huge)["blocks"], 100)):
        assert len(blocks) == limit
        assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
        assert f"bcbot plan show {PLAN.id}" in json.dumps(blocks[-1])


def test_plan_text_is_escaped_in_slack_and_in_markdown():
    phase = PLAN.phases[0].model_copy(update={"title": "Phase <!channel> *bold*"})
    sneaky = PLAN.model_copy(update={"phases": [phase, *PLAN.phases[1:]]})
    shown = json.dumps([b for b in plan_view.plan_message(sneaky)["blocks"] if b["type"] == "section"])
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "Phase \\<!channel\\> \\*bold\\*" in plan_page.markdown(sneaky)


def test_the_handbook_page_has_every_phase_step_role_and_the_team():
    page = plan_page.markdown(PLAN)
    assert page.startswith(f"# {PLAN.title}\n")
    for number, phase in enumerate(PLAN.phases, start=1):
        assert f"## Phase {number}: {phase.title}" in page
        for i, step in enumerate(phase.steps, start=1):
            assert f"{i}. " in page and step.title.replace("(", "(") in page
    assert "- Joe Baker, Lead Developer" in page and "<https://handbook.wunderroot.example/who/wr-phone-directory>" in page


def test_help_names_every_subcommand():
    source = (Path(__file__).resolve().parents[2] / "handlers" / "commands.py").read_text()
    names = set(re.findall(r'name == "(\w+)"', source)) | {n for group in re.findall(r"name in \(([^)]*)\)", source)
                                                           for n in re.findall(r'"(\w+)"', group)}
    assert {"exercise", "decision", "status", "help", "plan"} <= names
    for name in names:
        assert f"`/activate {name}" in replies.HELP, name
    for button in ("Next phase", "Log decision", "Post update", "Stand down", "View plan", "Log as decision"):
        assert button in replies.HELP
