"""Block Kit for plan governance, as pure functions: reminder DMs, the record-test modal, the
post-incident review request, the post-exercise report, and the text of `bcbot plan status`.

Plan and user text goes through `text.safe` (mrkdwn) or `blocks._plain` (plain_text), and every
block stays within Slack's limits.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.parts import Coverage
from bot.domain.people import Names
from bot.domain.plan import Plan
from bot.domain.reminders import OUTSIDE_TEST_TYPES, TEST_TYPE_LABELS, DueReminder, Governance, Kind, PlanTestType, describe_due
from bot.domain.report import EXERCISE_REPORT_PARTS  # noqa: F401  (also used by bot.usecases.governance)
from bot.domain.text import TEXT_MAX
from bot.slack.blocks import MODAL_TITLE_MAX, _option, _plain, button, context, section
from bot.slack.ids import INPUT_ACTION, Action, Callback, Input
from bot.slack.mrkdwn import safe, user_mention

KIND_LABELS = {Kind.REVIEW: "review", Kind.TEST: "test"}
# The post-exercise report's parts, in the order they are shown.
NOTES_MAX = TEXT_MAX


def day(d: date | None) -> str:
    return f"{d:%a %d %b %Y}" if d else "—"


def reminder_value(plan_id: str, kind: Kind | str, due_on: date) -> dict:
    """What a reminder's buttons carry: which plan, which reminder, and the due date it was about."""
    return {"p": plan_id, "k": str(kind), "d": due_on.isoformat()}


# Reminder DMs ------------------------------------------------------------------------------------
# A message's `text` is mrkdwn too (it is the notification and the fallback): plan text in it is escaped.
def reminder_text(plan: Plan, reminder: DueReminder, *, today: date) -> str:
    what = KIND_LABELS[reminder.kind]
    return f"{safe(plan.title, 150)}: {what} {describe_due(reminder.due_on, today)} ({day(reminder.due_on)})"


def reminder_outcome_text(plan: Plan, outcome: str) -> str:
    """The text of a reminder once acted on ("marked reviewed", "test recorded", "reminder snoozed …")."""
    return f"{safe(plan.title, 150)}: {safe(outcome, 100)}"


def _headline(plan: Plan, kind: Kind, due_on: date, today: date) -> str:
    overdue = due_on < today
    icon = "⚠️" if overdue else "📋"
    what = "review" if kind == Kind.REVIEW else "test"
    return (f"{icon} *{safe(plan.title, 150)}*: the plan's {what} is *{describe_due(due_on, today)}* "
            f"({day(due_on)}).")


def _why(plan: Plan, kind: Kind) -> str:
    if kind == Kind.REVIEW:
        return (f"The plan is reviewed every {plan.review.interval_months} months. Read it through (*View plan*), "
                "update it where the business has changed, then press *Mark reviewed*.")
    return ("The plan is tested before each review: run an exercise in Slack, or record a walkthrough, "
            "tabletop, simulation or live test held outside Slack.")


def _history(kind: Kind, gov: Governance | None, tz: ZoneInfo) -> str | None:
    if gov is None:
        return None
    if kind == Kind.REVIEW:
        if gov.last_review_at:
            return f"Last reviewed {day(gov.last_review_at.astimezone(tz).date())} by {user_mention(gov.last_review_by)}"
        return "No review recorded in bcbot yet"
    if gov.last_test_on:
        kind_label = TEST_TYPE_LABELS.get(PlanTestType(gov.last_test_type), gov.last_test_type) if gov.last_test_type else "Test"
        return f"Last test: {safe(kind_label, 40)} on {day(gov.last_test_on)}"
    return "No test recorded in bcbot yet"


def reminder_actions(plan_id: str, kind: Kind, due_on: date, *, snooze: bool = True) -> dict:
    value = reminder_value(plan_id, kind, due_on)
    main = (button("Mark reviewed", Action.MARK_REVIEWED, value, style="primary") if kind == Kind.REVIEW
            else button("Record test", Action.RECORD_TEST, value, style="primary"))
    elements = [main]
    if snooze:
        elements.append(button("Snooze 1 week", Action.SNOOZE_REMINDER, value))
    elements.append(button("📖 View plan", Action.VIEW_PLAN, {"p": plan_id}))
    return {"type": "actions", "block_id": f"reminder-{kind}", "elements": elements}


def reminder_blocks(plan: Plan, reminder: DueReminder, *, today: date, as_team: bool, gov: Governance | None,
                    tz: ZoneInfo) -> list[dict]:
    """The DM to an owner (or, once escalated, a team member) about a review or test date."""
    kind = Kind(reminder.kind)
    lines = [_headline(plan, kind, reminder.due_on, today), _why(plan, kind)]
    if as_team:
        lines.append(f"You are getting this because you are on the Business Continuity Team: it is "
                     f"{(today - reminder.due_on).days} days overdue and the plan's owners have not recorded it.")
    if kind == Kind.REVIEW and gov and gov.review_flagged_after_incident:
        lines.append("It was brought forward because an incident or exercise was stood down "
                     "(ISO 22301 asks for a review after every activation).")
    notes = [f"Owners: {safe(', '.join(o.name for o in plan.owners), 500)}"]
    history = _history(kind, gov, tz)
    if history:
        notes.append(history)
    if reminder.after_snooze:
        notes.append("You snoozed this a week ago")
    return [section("\n".join(lines)), context(*notes), reminder_actions(plan.id, kind, reminder.due_on)]


def reminder_done_blocks(plan: Plan, kind: Kind, outcome: str) -> list[dict]:
    """A reminder once someone has acted on it: what happened, no buttons."""
    what = "review" if kind == Kind.REVIEW else "test"
    return [section(f"*{safe(plan.title, 150)}*: {what} reminder\n{outcome}")]


def reminder_snoozed_blocks(plan: Plan, kind: Kind, due_on: date, *, today: date, by: str, until: date) -> list[dict]:
    return [
        section(_headline(plan, kind, due_on, today)),
        context(f"😴 Snoozed by {user_mention(by)} until {day(until)}: bcbot reminds everyone again then"),
        reminder_actions(plan.id, kind, due_on, snooze=False),
    ]


def reviewed_outcome(by: str, next_review: date) -> str:
    return f"✅ Marked reviewed by {user_mention(by)}. Next review due {day(next_review)}."


def test_recorded_outcome(by: str, test_type: PlanTestType, held_on: date, next_test: date | None) -> str:
    text = f"✅ {safe(TEST_TYPE_LABELS[test_type], 40)} on {day(held_on)} recorded by {user_mention(by)}."
    if next_test:
        text += f" Next test due {day(next_test)}."
    return text


# The record-test modal ---------------------------------------------------------------------------
def record_test_modal(plan: Plan, *, today: date, next_test: date) -> dict:
    intro = (f"*{safe(plan.title, 200)}*\nThe plan's test is {describe_due(next_test, today)} ({day(next_test)}).\n"
             "Run an exercise in Slack now (the activation form, marked as an exercise everywhere), "
             "or record a test held outside Slack below.")
    blocks = [
        section(intro, button("🧪 Start an exercise", Action.START_EXERCISE, {"p": plan.id})),
        {"type": "divider"},
        {"type": "input", "block_id": Input.TEST_TYPE, "label": _plain("Kind of test"),
         "element": {"type": "static_select", "action_id": INPUT_ACTION, "placeholder": _plain("How was it tested?"),
                     "options": [_option(TEST_TYPE_LABELS[t], t.value) for t in OUTSIDE_TEST_TYPES]}},
        {"type": "input", "block_id": Input.TEST_DATE, "label": _plain("Held on"),
         "element": {"type": "datepicker", "action_id": INPUT_ACTION, "initial_date": today.isoformat()}},
        {"type": "input", "block_id": Input.TEST_NOTES, "optional": True, "label": _plain("Notes"),
         "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True,
                     "max_length": NOTES_MAX,
                     "placeholder": _plain("What was tested, what worked, gaps and actions with owners")}},
    ]
    return {
        "type": "modal",
        "callback_id": Callback.RECORD_TEST,
        "title": _plain("Record a test", MODAL_TITLE_MAX),
        "submit": _plain("Record test", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": json.dumps({"plan": plan.id}),
        "blocks": blocks,
    }


# Post-incident review and post-exercise report ---------------------------------------------------
def exercise_report_lines(report: dict) -> list[str]:
    return [f"*{label}:* {safe(report.get(key) or '—', 700)}" for key, label in EXERCISE_REPORT_PARTS]


def post_incident_text(plan: Plan, ref: str, *, exercise: bool) -> str:
    what = "exercise" if exercise else "incident"
    return f"{safe(ref, 20)} ({what}, {safe(plan.title, 150)}) is stood down: please review the plan"


def post_incident_blocks(plan: Plan, *, ref: str, exercise: bool, review_due: date | None, today: date,
                         report: dict | None, attached: bool = True, incident_id: int | None = None) -> list[dict]:
    """The DM to each owner after a stand-down: review the plan, with the report attached."""
    what = "exercise" if exercise else "incident"
    lines = [f"📝 *{safe(ref, 20)}*, an {what} under *{safe(plan.title, 150)}*, is stood down.",
             "ISO 22301 asks for a review of the plan after every activation: go through what happened, "
             "update the plan where it fell short, then press *Mark reviewed*."]
    if review_due:
        lines.append(f"The plan's review is now {describe_due(review_due, today)} ({day(review_due)}).")
    if exercise:
        lines.append("The exercise is recorded as a test of the plan.")
    blocks = [section("\n".join(lines))]
    if report:
        blocks.append(section("*Post-exercise report*\n" + "\n".join(exercise_report_lines(report))))
    blocks.append(context(f"The {what} report is attached below" if attached
                          else f"Run `bcbot report {safe(ref, 20)}` for the {what} report"))
    if incident_id is not None:  # the review's form: what worked, gaps, and actions with owners and dates
        blocks.append({"type": "actions", "block_id": "post_incident_review", "elements": [
            button("📝 Post-incident review", Action.OPEN_POST_INCIDENT_REVIEW, {"i": incident_id},
                   style="primary")]})
    if review_due:
        blocks.append(reminder_actions(plan.id, Kind.REVIEW, review_due))
    return blocks


def report_file(markdown: str, exercise_report: dict | None) -> str:
    """The incident report as a file, with the post-exercise report appended for an exercise
    (unless the report already has it, from the stand-down's log entry)."""
    if not exercise_report or "## Post-exercise report" in markdown:
        return markdown
    lines = [markdown.rstrip("\n"), "", "## Post-exercise report", ""]
    for key, label in EXERCISE_REPORT_PARTS:
        lines += [f"### {label}", "", (exercise_report.get(key) or "—").strip(), ""]
    return "\n".join(lines)


# `bcbot plan status` -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanStatus:
    plan: Plan
    gov: Governance
    recorded: bool  # False: bcbot has not run with this plan yet; the dates are the file's
    today: date
    names: Names = field(default_factory=Names)  # who reviewed and tested, as they were called then
    parts: Coverage | None = None  # who acknowledged their part (None: the part cards were never sent)

    def who(self, user_id: str | None, at: datetime | None) -> str | None:
        return self.names.at(user_id, at) or user_id

    @property
    def overdue(self) -> list[str]:
        return [name for name, due in (("review", self.gov.next_review), ("test", self.gov.next_test))
                if due is not None and due < self.today]


def _owner(person, unresolved: tuple[str, ...]) -> str:
    """An owner by name (a person reads this; the JSON keeps the Slack ID), with the email bcbot looks them up by."""
    flag = " [NOT FOUND IN SLACK]" if person.email and person.email in unresolved and not person.slack else ""
    return f"{person.name}" + (f" ({person.email})" if person.email and not person.slack else "") + flag


def _due_line(due: date | None, today: date) -> str:
    return f"{due.isoformat()} ({describe_due(due, today)})" if due else "—"


def status_text(statuses: list[PlanStatus], *, tz: ZoneInfo) -> str:
    """Plain text for the terminal (no mrkdwn)."""
    if not statuses:
        return "No plans loaded."
    out: list[str] = []
    for s in statuses:
        g = s.gov
        out.append(f"{s.plan.id} — {s.plan.title}")
        out.append("  owners:       " + "; ".join(_owner(o, g.unresolved_owners) for o in s.plan.owners))
        last_review = (f"{g.last_review_at.astimezone(tz).date().isoformat()} by {s.who(g.last_review_by, g.last_review_at)}"
                       if g.last_review_at else "none recorded")
        out.append(f"  last review:  {last_review}")
        flagged = f" — brought forward after BC-{g.review_flagged_after_incident}" if g.review_flagged_after_incident else ""
        out.append(f"  next review:  {_due_line(g.next_review, s.today)}{flagged}")
        if g.last_test_on:
            by = s.who(g.last_test_by, None)
            last_test = f"{g.last_test_on.isoformat()} {g.last_test_type}" + (f" by {by}" if by else "")
            if g.last_test_incident_id:
                last_test += f" (BC-{g.last_test_incident_id})"
        else:
            last_test = "none recorded"
        out.append(f"  last test:    {last_test}")
        out.append(f"  next test:    {_due_line(g.next_test, s.today)}")
        for kind, until in (("review", g.review_snoozed_until), ("test", g.test_snoozed_until)):
            if until and until.astimezone(tz).date() >= s.today:
                out.append(f"  snoozed:      {kind} reminders until {until.astimezone(tz):%Y-%m-%d %H:%M %Z}")
        out.append("  overdue:      " + (", ".join(s.overdue) if s.overdue else "nothing"))
        out.append("  parts:        " + _parts_line(s.parts))
        if g.unresolved_owners:
            checked = f" (as of {g.unresolved_checked_at.astimezone(tz):%Y-%m-%d %H:%M})" if g.unresolved_checked_at else ""
            out.append(f"  unresolved:   Slack cannot find {', '.join(g.unresolved_owners)}{checked}: "
                       "they get no reminders")
        if not s.recorded:
            out.append("  (dates from the plan file: bcbot has not run with this plan yet)")
        out.append("")
    overdue = sum(bool(s.overdue) for s in statuses)
    out.append(f"{len(statuses)} plan(s), {overdue} with something overdue.")
    return "\n".join(out)


def _parts_line(parts: Coverage | None) -> str:
    if parts is None:
        return "cards not sent (`bcbot roles send` DMs each person their part)"
    line = parts.line
    if parts.waiting:
        shown = parts.waiting[:30]
        line += "; not yet: " + ", ".join(shown) + (f" and {len(parts.waiting) - 30} more" if parts.waiting[30:]
                                                     else "")
    if parts.not_in_slack:
        line += f" ({len(parts.not_in_slack)} not found in Slack: no card reaches them)"
    return line


def _parts_json(parts: Coverage | None) -> dict:
    if parts is None:
        return {"sent": False}
    return {"sent": True, "total": parts.total, "acknowledged": list(parts.acknowledged),
            "waiting": list(parts.waiting), "not_in_slack": list(parts.not_in_slack)}


def status_json(statuses: list[PlanStatus]) -> list[dict]:
    def iso(v):
        return v.isoformat() if isinstance(v, (date, datetime)) else v

    return [{
        "plan": s.plan.id, "title": s.plan.title,
        "owners": [{"name": o.name, "slack": o.slack, "email": o.email,
                    "resolved": not (o.email and not o.slack and o.email in s.gov.unresolved_owners)}
                   for o in s.plan.owners],
        "last_review": {"at": iso(s.gov.last_review_at), "by": s.gov.last_review_by,
                        "by_name": s.names.at(s.gov.last_review_by, s.gov.last_review_at)},
        "next_review": iso(s.gov.next_review),
        "review_flagged_after_incident": s.gov.review_flagged_after_incident,
        "last_test": {"on": iso(s.gov.last_test_on), "type": s.gov.last_test_type, "by": s.gov.last_test_by,
                      "by_name": s.names.at(s.gov.last_test_by),
                      "incident": s.gov.last_test_incident_id},
        "next_test": iso(s.gov.next_test),
        "overdue": s.overdue,
        "unresolved_owners": list(s.gov.unresolved_owners),
        "recorded": s.recorded,
        "parts": _parts_json(s.parts),
    } for s in statuses]

