"""The roll call's part of an incident report (bot.domain.report): every answer with when and who recorded it,
the delivery log of every roll-call DM (sent, failed, answered), and the times until 50%, 90% and 100% had
answered. Pure: records in, plain data out; and its Markdown."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.people import Names
from bot.domain.report_times import report_times as _times
from bot.domain.rollcall import ANSWER_WORDS, AnswerRecord, Asked, Delivery, RollCall, tally, times_to_share

SHARES = (50, 90, 100)



def delivery_status(person: Asked) -> str:
    """`answered`, `sent` (no answer yet), `failed` (Slack refused for good: not reached) or `pending`."""
    if person.answer is not None:
        return "answered"
    return person.delivery.value


def section(roll_call: RollCall, people: list[Asked], answers: list[AnswerRecord], tz: ZoneInfo,
            names: Names | None = None) -> dict:
    """Each person by the plan's name for them (else the name they had then); the IDs stay beside."""
    names = names or Names()
    asked_as = {p.user_id: p.name for p in people}

    def name(user_id: str | None, at) -> str | None:
        return asked_as.get(user_id or "") or names.at(user_id, at)

    t = tally(people)
    to_share = times_to_share(roll_call.started_at, answers, len(people), SHARES)
    return {
        "drill": roll_call.is_drill,
        "started_at": _times(roll_call.started_at, tz),
        "lead": roll_call.lead_user_id,
        "asked": len(people),
        "counts": {"safe": t.safe, "cant_work": t.cant_work, "need_help": t.need_help, "no_answer": t.no_answer,
                   "not_reached": t.not_reached},
        "seconds_to_answered": {f"{share}%": int(d.total_seconds()) if d is not None else None
                                for share, d in to_share.items()},
        "reminded_at": _times(roll_call.reminded_at, tz),
        "escalated_at": _times(roll_call.escalated_at, tz),
        "people": [{
            "user": p.user_id, "name": p.name, "answer": p.answer.value if p.answer else None,
            "answered_at": _times(p.answered_at, tz), "recorded_by": p.recorded_by,
            "recorded_by_name": name(p.recorded_by, p.answered_at),
            "delivery": delivery_status(p), "delivery_error": p.delivery_code if p.delivery is Delivery.FAILED else None,
            "sent_at": _times(p.sent_at, tz), "reminded_at": _times(p.reminded_at, tz),
        } for p in people],
        "answers": [{"user": a.user_id, "name": name(a.user_id, a.at), "answer": a.answer.value, "at": _times(a.at, tz),
                     "recorded_by": a.recorded_by, "recorded_by_name": name(a.recorded_by, a.at)} for a in answers],
    }


def markdown(rc: dict | None, *, md_inline, when, duration) -> list[str]:
    """The report's "Roll call" section (the report's own helpers passed in: escaping, times, durations)."""
    if not rc:
        return []
    c = rc["counts"]
    lines = ["## Roll call" + (" (drill: a call-tree test)" if rc["drill"] else ""), "",
             f"Started {when(rc['started_at'])}; {rc['asked']} people asked. "
             f"Safe: {c['safe']} · Safe, can't work: {c['cant_work']} · Need help: {c['need_help']} · "
             f"No answer: {c['no_answer']} (not reached: {c['not_reached']}).", "",
             "Time until answered: " + " · ".join(f"{share}%: {duration(s)}"
                                                  for share, s in rc["seconds_to_answered"].items()) + ".", ""]
    if rc["reminded_at"]:
        lines.append(f"Non-responders reminded {when(rc['reminded_at'])}.")
    if rc["escalated_at"]:
        lines.append(f"Escalated to the lead {when(rc['escalated_at'])}.")
    lines += ["", "| Person | Latest answer | When | Recorded by | DM |", "|---|---|---|---|---|"]
    for p in rc["people"]:
        answer = ANSWER_WORDS.get(p["answer"], "—") if p["answer"] else "—"
        dm = p["delivery"] + (f" ({p['delivery_error']})" if p["delivery_error"] else "")
        lines.append(f"| {md_inline(p['name'] or p['user'])} | {answer} | {when(p['answered_at'])} | "
                     f"{md_inline(p['recorded_by_name'] or p['recorded_by']) or ' '} | {md_inline(dm)} |")
    if rc["answers"]:
        lines += ["", "Every answer, in order:", ""]
        for a in rc["answers"]:
            by = f", recorded by {md_inline(a['recorded_by_name'] or a['recorded_by'])}" if a["recorded_by"] else ""
            lines.append(f"- {when(a['at'])}: {md_inline(a['name'] or a['user'])} — "
                         f"{ANSWER_WORDS.get(a['answer'], a['answer'])}{by}")
    return lines + [""]
