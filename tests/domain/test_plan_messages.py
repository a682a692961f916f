"""Plan-file messages a BC manager can act on: every problem at once, each with its line, the field in words
(positions from 1), what is expected and an example; none of pydantic's or YAML's wording."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain import plan_messages
from bot.domain.plan import check_plans, inspect_plans, load_plans

# Phrases of pydantic's and PyYAML's own messages (and their zero-based positions).
FOREIGN = re.compile(r"Input should|String should|should match pattern|Extra inputs|valid list|valid date|"
                     r"Field required|Value error|validation error|\[\d+\]|mapping values|could not find expected|"
                     r"block end|while scanning|while parsing|type=|pydantic", re.I)

GOOD = """\
id: wunderroot-bcp
title: Wunderroot Business Continuity Plan
organisation: Wunderroot
handbook_url: https://handbook.wunderroot.example/
remit:
  - Project management and delivery
owners:
  - name: Steve Parks
    role: Managing Director (UK)
    slack: U0SPARKS01
  - name: Steve Hunton
    role: Operations Manager (UK)
    email: steve.hunton@wunderroot.example
review:
  interval_months: 12
  next: 2027-11-15
testing:
  next: 2027-05-14
activation:
  circumstances:
    - Loss of critical systems
    - Loss of key staff or skills (e.g. illness)
  team:
    - name: Steve Parks
      slack: U0SPARKS01
    - name: Joe Baker
      role: Lead Developer
      slack: U0JBAKER01
  contacts_url: /who/wr-phone-directory
phases:
  - key: incident_management
    title: Incident management
    purpose:
      - Protect vital assets e.g. equipment, data, reputation, clients
      - Ensure necessary communication takes place
      - Support the Business Continuity phase
      - Support the Recovery and Resumption phase
    steps:
      - title: Confirm everyone is safe
        due_within: 15m
  - key: business_continuity
    title: Business continuity
    purpose:
      - Maintain delivery of critical activities during an incident
    steps:
      - title: Rank projects by client impact
  - key: resumption_recovery
    title: Resumption and recovery
    purpose: Return to "business as usual".
    steps:
      - title: Hold a post-incident review
"""

# Eleven typical mistakes (the issue asks for ten), each on its own line.
MISTAKES = [
    ("id: wunderroot-bcp", "id: Wunderroot BCP", "id", "lower-case letters"),
    ("  - Project management and delivery\n", "", None, None),  # (makes the remit line below a plain text)
    ("remit:\n", "remit: Project management and delivery\n", "remit", "own line starting with `- `"),
    ("    slack: U0SPARKS01\n  - name: Steve Hunton", "    slack: \"@steve\"\n  - name: Steve Hunton", "owner 1: slack",
     "e.g. U0123ABCD"),
    ("    email: steve.hunton@wunderroot.example\n", "", "owner 2", "`slack` user ID"),
    ("  next: 2027-11-15", "  next: November 2027", "review.next", "YYYY-MM-DD"),
    ("  next: 2027-05-14", "  next: 2027-13-01", "testing.next", "YYYY-MM-DD"),
    ("    - Loss of critical systems\n", "    - Loss of critical systems\n    - Other\n", "activation.circumstances",
     "'Other' is added by bcbot"),
    ("  contacts_url: /who/wr-phone-directory", "  contacts_url: www.example.com/who", "activation.contacts_url",
     "http(s)://"),
    ("      - title: Confirm everyone is safe", "      - name: Confirm everyone is safe", "phase 1, step 1: name",
     "did you mean `title`"),
    ("        due_within: 15m", "        due_within: soon", "phase 1, step 1: due_within", "30m, 2h, 1d"),
    ("testing:", "distribution: online to all staff\ntesting:", "distribution", "not a field bcbot knows"),
]


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def line_with(text: str, fragment: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if fragment in line)


def test_the_seed_plan_as_a_bc_manager_writes_it_is_accepted(tmp_path):
    [plan] = load_plans(write(tmp_path, GOOD))
    phase = plan.phase("incident_management")
    assert phase.purpose.splitlines()[0] == "• Protect vital assets e.g. equipment, data, reputation, clients"
    assert len(phase.purpose.splitlines()) == 4
    assert plan.phase("resumption_recovery").purpose == 'Return to "business as usual".'
    # The seed's relative contacts link is joined to the handbook's address...
    assert plan.contacts_link == "https://handbook.wunderroot.example/who/wr-phone-directory"
    # ...and without one it is shown as text, not as a broken link.
    [alone] = load_plans(write(tmp_path, GOOD.replace("handbook_url: https://handbook.wunderroot.example/\n", "")))
    assert alone.contacts_link is None and alone.activation.contacts_url == "/who/wr-phone-directory"


def test_ten_typical_mistakes_get_ten_messages_each_with_its_line_and_in_words(tmp_path):
    text = GOOD
    for old, new, _, _ in MISTAKES:
        assert old in text, old
        text = text.replace(old, new, 1)
    expected = [(field, words) for _, _, field, words in MISTAKES if field]
    assert len(expected) == 11
    _, problems = check_plans(write(tmp_path, text))
    assert len(problems) == len(expected), "\n".join(map(str, problems))
    by_field = {p.field: p for p in problems}
    for field, words in expected:
        problem = by_field[field]
        assert words in problem.message, str(problem)
        assert problem.line is not None and str(problem).startswith(f"{tmp_path / 'plan.yaml'}:{problem.line}: ")
        assert not FOREIGN.search(str(problem)), str(problem)
    assert by_field["review.next"].line == line_with(text, "November 2027")
    assert by_field["phase 1, step 1: due_within"].line == line_with(text, "due_within: soon")
    assert by_field["distribution"].line == line_with(text, "distribution:")
    # Listed in the order of the file.
    assert [p.line for p in problems] == sorted(p.line for p in problems)


@pytest.mark.parametrize("text,words", [
    ("id: x\n\ttitle: y\n", "tab"),
    ("id: x\ntitle: Note: call the office\n", "quotes"),
    ('id: x\ntitle: "open\n', "not closed"),
    ("id: x\ntitle\norganisation: y\n", "colon"),
    ("id: x\nphases:\n  - key: a\n - key: b\n", "indentation"),
])
def test_yaml_layout_mistakes_are_said_in_words_with_their_line(tmp_path, text, words):
    _, [problem] = check_plans(write(tmp_path, text))
    assert words in problem.message and problem.line in (2, 3, 4), str(problem)
    assert not FOREIGN.search(str(problem)), str(problem)


def test_a_key_written_twice_is_a_problem_at_its_second_line(tmp_path):
    text = GOOD.replace("    steps:\n      - title: Rank projects", "    steps:\n      - title: A\n    steps:\n"
                        "      - title: Rank projects")
    _, problems = check_plans(write(tmp_path, text))
    assert [(p.field, p.line) for p in problems] == [("phase 2: steps", line_with(text, "      - title: A") + 1)]


def test_a_file_that_is_not_a_plan(tmp_path):
    _, [problem] = check_plans(write(tmp_path, "- just\n- a list\n"))
    assert problem.line == 1 and "field: value" in problem.message


def test_past_and_inconsistent_dates_are_warnings_not_errors(tmp_path):
    text = GOOD.replace("next: 2027-11-15", "next: 2015-11-30").replace("next: 2027-05-14", "next: 2016-01-31")
    found = inspect_plans(write(tmp_path, text), today=date(2026, 12, 3))
    assert found.plans and not found.problems
    messages = [(w.field, w.line, w.message) for w in found.warnings]
    assert [m[:2] for m in messages] == [("review.next", line_with(text, "2015-11-30")),
                                          ("testing.next", line_with(text, "2016-01-31")),
                                          ("testing.next", line_with(text, "2016-01-31"))]
    assert "2015-11-30 is in the past" in messages[0][2] and "2016-01-31 is in the past" in messages[1][2]
    assert "after the next review" in messages[2][2]
    assert not inspect_plans(write(tmp_path, GOOD), today=date(2026, 12, 3)).warnings


def test_positions_count_from_one_and_fields_read_as_words():
    assert plan_messages.where(("phases", 1, "steps", 2, "title")) == "phase 2, step 3: title"
    assert plan_messages.where(("activation", "team", 2, "slack")) == "activation, team member 3: slack"
    assert plan_messages.where(("review", "next")) == "review.next"


class _Role(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    deputy: str = Field(pattern=r"^[UW][A-Z0-9]+$", description="a Slack member ID", examples=["U0DEPUTY1"])


class _NewFields(BaseModel):
    """A model another change might add fields to: messages come from the model, not from a list here."""
    model_config = ConfigDict(extra="forbid")
    roles: list[_Role]
    rto: str = Field(description="how soon the service must be back", examples=["4h"])


def test_messages_are_generic_over_the_model_so_new_fields_get_them_too():
    data = {"roles": [{"name": "Lead", "deptuy": "U1"}, {"name": "Deputy", "deputy": "someone"}]}
    try:
        _NewFields.model_validate(data)
    except ValidationError as err:
        found = plan_messages.describe(err, _NewFields, None)
    text = {f.where: f.message for f in found}
    assert "did you mean `deputy`" in text["role 1: deptuy"]
    assert text["role 2: deputy"].endswith("expected a Slack member ID, e.g. U0DEPUTY1")
    assert text["rto"].startswith("is missing; add `rto: …` (how soon the service must be back), e.g. 4h")
    assert not any(FOREIGN.search(m) for m in text.values()), text


def _field_names(model: type[BaseModel], seen: set) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for kind in (info.annotation, *getattr(info.annotation, "__args__", ())):
            for inner in (kind, *getattr(kind, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    seen.add(inner)
                    names |= _field_names(inner, seen)
    return names


def test_every_plan_field_is_documented_in_docs_plan_format():
    from bot.domain.plan import Plan

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plan-format.md").read_text()
    missing = sorted(n for n in _field_names(Plan, set()) if f"`{n}`" not in doc)
    assert not missing, f"document these plan fields in docs/plan-format.md: {missing}"
