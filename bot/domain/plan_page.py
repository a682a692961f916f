"""The plan as a handbook page anyone can read: phases, steps with their roles, the activation team and
contacts. One outline, rendered as Markdown (`bcbot plan show --format md`) or plain text; Slack's
rendering of the same outline is bot/slack/plan_view.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.domain.plan import Person, Phase, Plan, Step


@dataclass(frozen=True)
class StepLine:
    number: int
    title: str
    role: str | None
    due: str | None


def step_lines(phase: Phase) -> list[StepLine]:
    return [StepLine(i, s.title, s.owner_role, s.due_within) for i, s in enumerate(phase.steps, start=1)]


def purpose_points(phase: Phase) -> list[str]:
    """A purpose written as a list of points comes back as its points; a paragraph as one."""
    lines = [line.strip() for line in phase.purpose.splitlines() if line.strip()]
    if lines and all(line.startswith("• ") for line in lines):
        return [line[2:] for line in lines]
    return [phase.purpose.strip()] if phase.purpose.strip() else []


def person_line(person: Person) -> str:
    return person.name + (f", {person.role}" if person.role else "")


def step_detail(step: StepLine | Step) -> str:
    role = step.role if isinstance(step, StepLine) else step.owner_role
    due = step.due if isinstance(step, StepLine) else step.due_within
    bits = [b for b in (role, f"within {due}" if due else None) if b]
    return f" ({', '.join(bits)})" if bits else ""


def _md(text: str) -> str:
    """Plan text inside Markdown: characters that would start markup are escaped."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def markdown(plan: Plan) -> str:
    out = [f"# {_md(plan.title)}", "", f"**Organisation:** {_md(plan.organisation)}  ",
           f"**Reviewed** every {plan.review.interval_months} months; next review {plan.review.next:%d %B %Y}, "
           f"next test {plan.testing.next:%d %B %Y}.", ""]
    out += ["## Plan remit", "", "The services and functions this plan covers:", ""]
    out += [f"- {_md(r)}" for r in plan.service_names] + [""]
    out += ["## Plan owners", ""] + [f"- {_md(person_line(p))}" for p in plan.owners] + [""]
    out += ["## Plan activation", "", "The plan is activated for circumstances such as:", ""]
    out += [f"- {_md(c)}" for c in plan.activation.circumstance_names] + [""]
    out += ["A member of the Business Continuity Team activates the plan (in Slack: `/activate`):", ""]
    out += [f"- {_md(person_line(p))}" for p in plan.activation.team] + [""]
    contacts = plan.contacts_link or plan.activation.contacts_url
    if contacts:
        out += [f"Contact details: <{contacts}>" if plan.contacts_link else f"Contact details: {_md(contacts)}", ""]
    for number, phase in enumerate(plan.phases, start=1):
        out += [f"## Phase {number}: {_md(phase.title)}", ""]
        points = purpose_points(phase)
        if len(points) > 1:
            out += ["Purpose:", ""] + [f"- {_md(p)}" for p in points] + [""]
        elif points:
            out += [f"Purpose: {_md(points[0])}", ""]
        out += [f"{s.number}. {_md(s.title)}{_md(step_detail(s))}" for s in step_lines(phase)] + [""]
    return "\n".join(out).rstrip() + "\n"


def text(plan: Plan) -> str:
    out = [plan.title, "=" * min(len(plan.title), 80), f"Organisation: {plan.organisation}",
           f"Remit: {'; '.join(plan.service_names)}", f"Owners: {'; '.join(person_line(p) for p in plan.owners)}",
           f"Review every {plan.review.interval_months} months; next review {plan.review.next}, next test {plan.testing.next}",
           "", "Activation", f"  Circumstances: {'; '.join(plan.activation.circumstance_names)}",
           f"  Business Continuity Team: {'; '.join(person_line(p) for p in plan.activation.team)}"]
    contacts = plan.contacts_link or plan.activation.contacts_url
    if contacts:
        out.append(f"  Contact details: {contacts}")
    for number, phase in enumerate(plan.phases, start=1):
        out += ["", f"Phase {number}: {phase.title}"]
        out += [f"  Purpose: {p}" for p in purpose_points(phase)]
        out += [f"  {s.number}. {s.title}{step_detail(s)}" for s in step_lines(phase)]
    return "\n".join(out) + "\n"
