"""Block Kit of a roll call: the DM asking if someone is safe, the tally message, "I need help" alerts,
the reminder and the lead's escalation. Names are plain text (escaped), never mentions: a tally of 500
names must not notify 500 people. An exercise's messages say DRILL in every one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.rollcall import ANSWER_LABELS, ANSWER_WORDS, Answer, Asked, Tally
from bot.slack.blocks import button, context, section, slack_date
from bot.slack.ids import Action
from bot.slack.mrkdwn import link, safe, user_mention

SECTION_MAX = 2900  # Slack's section text limit is 3000
DRILL = "🧪 DRILL · "
ANSWER_STYLE = {Answer.SAFE: "primary", Answer.CANT_WORK: None, Answer.NEED_HELP: "danger"}
ANSWER_ICON = {Answer.SAFE: "✅", Answer.CANT_WORK: "🟠", Answer.NEED_HELP: "🆘"}


@dataclass(frozen=True)
class About:
    """What a roll call's messages say it is about. A confidential incident's name only its reference (the
    seam for confidential incidents: `title` is left out when `confidential`)."""

    roll_call_id: int
    ref: str
    title: str
    drill: bool
    confidential: bool = False
    channel_id: str | None = None  # the incident channel, if any

    @property
    def prefix(self) -> str:
        return DRILL if self.drill else ""

    @property
    def named(self) -> str:
        if self.confidential:
            return f"*{safe(self.ref, 40)}*"
        return f"*{safe(self.ref, 40)}* ({safe(self.title, 150)})"


def _names(people: list[Asked] | tuple[Asked, ...], limit: int, *, flag_not_reached: bool = False) -> str:
    """Names, comma-separated, cut to fit `limit` characters with "and N more"."""
    out: list[str] = []
    used = 0
    for i, person in enumerate(people):
        name = safe(person.name, 80) + (" _(not reached)_" if flag_not_reached and person.not_reached else "")
        if used + len(name) + 2 > limit - 20:
            out.append(f"and {len(people) - i} more")
            break
        out.append(name)
        used += len(name) + 2
    return ", ".join(out)


def answer_buttons(about: About, chosen: Answer | None = None) -> dict:
    return {"type": "actions", "elements": [
        button(("✓ " if a is chosen else "") + ANSWER_LABELS[a], f"{Action.ROLL_CALL_ANSWER}.{a.value}",
               {"r": about.roll_call_id, "a": a.value}, ANSWER_STYLE[a] if a is not chosen else None)
        for a in Answer]}


def ask_text(about: About) -> str:
    return (f"{about.prefix}Roll call for {about.named}: are you safe? "
            "Answer with one of the buttons; you can change your answer later.")


def ask_blocks(about: About) -> list[dict]:
    extra = "This is a drill: answer as you would for real." if about.drill else (
        "If you cannot answer here, phone the incident lead.")
    return [section(ask_text(about)), answer_buttons(about), context(extra)]


def reminder_text(about: About) -> str:
    return f"{about.prefix}Reminder: we have not heard from you for the roll call of {about.named}. Are you safe?"


def reminder_blocks(about: About) -> list[dict]:
    return [section(reminder_text(about)), answer_buttons(about)]


def answered_blocks(about: About, answer: Answer, at: datetime) -> list[dict]:
    """The person's DM after they answered: their answer, and the buttons to change it."""
    return [section(f"{about.prefix}Roll call for {about.named}: you answered "
                    f"*{ANSWER_LABELS[answer]}* {ANSWER_ICON[answer]} ({slack_date(at, '{time}')})."),
            answer_buttons(about, answer), context("Changed your situation? Choose another answer.")]


def tally_text(about: About, t: Tally) -> str:
    return (f"{about.prefix}Roll call {about.ref}: {t.safe} safe, {t.cant_work} can't work, {t.need_help} need help, "
            f"{t.no_answer} no answer ({t.not_reached} not reached) of {t.total}")


def tally_blocks(about: About, t: Tally, *, started_at: datetime, contacts: str | None,
                 recorded: list[Asked] | None = None) -> list[dict]:
    blocks = [section(f"{about.prefix}*Roll call* for {about.named}, started {slack_date(started_at)}\n"
                      f"✅ *{t.safe}* safe · 🟠 *{t.cant_work}* safe, can't work · 🆘 *{t.need_help}* need help · "
                      f"⏳ *{t.no_answer}* no answer" + (f" ({t.not_reached} not reached)" if t.not_reached else "")
                      + f" · {t.answered} of {t.total} answered")]
    if t.need_help_people:
        blocks.append(section("🆘 *Need help:* " + _names(t.need_help_people, SECTION_MAX - 20)))
    if t.waiting_people:
        blocks.append(section("⏳ *No answer yet:* " + _names(t.waiting_people, SECTION_MAX - 20,
                                                              flag_not_reached=True)))
    if recorded:
        line = ", ".join(f"{safe(p.name, 80)}: {ANSWER_WORDS[p.answer]} (recorded by {user_mention(p.recorded_by)})"
                         for p in recorded[:30] if p.answer is not None)
        blocks.append(context(("📞 " + line)[:SECTION_MAX] + (f" and {len(recorded) - 30} more" if len(recorded) > 30
                                                              else "")))
    hint = ("Reached someone by phone? `/activate answer @person safe` (or `cant-work`, `need-help`) "
            "in this channel records it for them.")
    blocks.append(context(hint + (f" {contacts}" if contacts else "")))
    return blocks


def help_text(about: About, person: Asked, recorded_by: str | None) -> str:
    by = f" (recorded by {user_mention(recorded_by)})" if recorded_by else ""
    return (f"{about.prefix}🆘 *{safe(person.name, 80)}* ({user_mention(person.user_id)}) answered *I need help* "
            f"in the roll call for {about.named}{by}. Contact them now.")


def escalation_text(about: About, waiting: list[Asked], contacts_url: str | None) -> str:
    not_reached = [p for p in waiting if p.not_reached]
    lines = [f"{about.prefix}Roll call for {about.named}: *{len(waiting)}* people have not answered"
             + (f", {len(not_reached)} of them not reached (Slack would not deliver their DM)" if not_reached else "")
             + ". Please phone them:",
             _names(waiting, SECTION_MAX - 400, flag_not_reached=True)]
    if contacts_url:
        lines.append(link(contacts_url[:1000], "Contact details"))
    lines.append("Record what they tell you with `/activate answer @person safe` (or `cant-work`, `need-help`).")
    return "\n".join(lines)


def answer_words(answer: Answer) -> str:
    return ANSWER_WORDS[answer]
