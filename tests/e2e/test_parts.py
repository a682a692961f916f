"""Know your part, end to end: `bcbot roles send` DMs each person the card of their part, Got it records it, the
plan status counts it, and a new plan version re-sends only the cards of the people whose part it changes
(tests/e2e/test_parts_processes.py: a SIGKILL of the worker)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import yaml

from bot.slack.plan_blocks import status_text
from bot.tools.cli_roles import send_cards
from bot.usecases.governance import plan_status
from storage import models
from tests.e2e.helpers import rows, take_over
from tests.e2e.test_home import open_home, texts
from tests.support import people
from tests.support.plans import plan_data
from tests.support.processes import wait_until

OPS = "Operations Manager (UK)"
PLAN_ID = "wunderroot-bcp"
EVERYONE = (people.PARKS, people.HUNTON, people.BAKER, people.OUTSIDER)


def parts_plan(**changes) -> dict:
    data = plan_data(roles=[{"name": OPS, "holder": {"name": "Steve Hunton", "email": people.HUNTON_EMAIL},
                             "alternates": [{"name": "Olive Outsider", "slack": people.OUTSIDER}]}], **changes)
    return data


def write(folder, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{PLAN_ID}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture
def started(start_app, tmp_path):
    folder = tmp_path / "plans"
    write(folder, parts_plan())
    running = start_app(bcbot_plans=folder)
    running.settle()
    # The email of the plan's Operations Manager is resolved by the bot's users.list sweep, never by the CLI.
    assert wait_until(lambda: any(r.user_id == people.HUNTON for r in rows(running, models.SlackPerson)), 10)
    running.folder = folder
    return running


def cards(running, user: str) -> list[dict]:
    return [m for m in running.fake.messages.get("D" + user[1:], []) if m.get("text", "").startswith("Your part in")]


def roles_send(running) -> list[str]:
    said: list[str] = []
    assert send_cards(running.bot.uow, None, now=datetime.now(timezone.utc), out=said.append) == 0, said
    take_over(running)  # the running bot's sweep finds the cards the command owed
    return said


def got_it(running, user: str, card: dict):
    button = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "bcbot.part.acknowledge")
    reply = running.slack.block_action(user, button["action_id"], button["value"], channel="D" + user[1:])
    assert reply.status == 200, reply.body
    running.settle()
    take_over(running)


def status(running) -> str:
    statuses = plan_status(running.bot.uow, running.bot.plans.all(), now=datetime.now(timezone.utc),
                           tz=running.bot.settings.timezone)
    return status_text(statuses, tz=running.bot.settings.timezone)


def test_roles_send_then_got_it_then_a_new_version_changing_someone_else_s_part(started):
    running = started
    assert "parts:        cards not sent" in status(running)
    said = roles_send(running)
    assert said[:2] == [f"{PLAN_ID} — Wunderroot Business Continuity Plan: 4 people",
                        "  cards to send: 4 (the running bot DMs them, paced): Steve Parks, Steve Hunton, Joe Baker, "
                        "Olive Outsider"], said
    assert wait_until(lambda: all(len(cards(running, u)) == 1 for u in EVERYONE), 10), \
        {u: len(cards(running, u)) for u in EVERYONE}
    # Posted to each user ID (no conversations.open per person).
    assert not [c for c in running.fake.calls_to("conversations.open") if c.params.get("users") in EVERYONE]
    [hunton] = cards(running, people.HUNTON)
    shown = json.dumps(hunton["blocks"], ensure_ascii=False)
    assert "*Your roles:* Operations Manager (UK)" in shown and "Who covers you" in shown and "Olive Outsider" in shown
    assert "Confirm everyone is safe and accounted for · _within 15m_" in shown
    [olive] = cards(running, people.OUTSIDER)
    assert "first of 1 to be asked if Steve Hunton cannot act" in json.dumps(olive["blocks"])
    assert "*Your roles:* none" in json.dumps(olive["blocks"])

    [baker] = cards(running, people.BAKER)
    got_it(running, people.BAKER, baker)
    assert "parts:        1 of 4 acknowledged their part; not yet: Steve Parks, Steve Hunton, Olive Outsider" \
        in status(running), status(running)
    # App Home: the coverage on the plan's card, and the reader's own part.
    home = texts(open_home(running, people.HUNTON, "Ev-home-1"))
    assert "📋 1 of 4 acknowledged their part · not yet: Steve Parks, Steve Hunton, Olive Outsider" in home, home
    assert "*Your part*" in home and "⏳ not acknowledged yet" in home and "*Your roles:* Operations Manager (UK)" in home
    assert "*Who covers you:* Operations Manager (UK): Olive Outsider" in home
    assert "✅ acknowledged" in texts(open_home(running, people.BAKER, "Ev-home-2"))
    # The card is replaced in place: acknowledged, no button.
    replaced = [r for r in running.fake.responses if "You acknowledged your part" in json.dumps(r.get("blocks"))]
    assert len(replaced) == 1 and replaced[0].get("replace_original") in (True, "true")
    assert "bcbot.part.acknowledge" not in json.dumps(replaced[0]["blocks"])

    # A new version: a typo fixed in the plan's title and a phase's purpose, and one of Hunton's steps now due
    # within 3h. Only Hunton's part changed: his card is re-sent; Baker stays acknowledged.
    data = parts_plan(title="Wunderroot Business Continuity Plan (typo fixed)")
    data["phases"][0]["purpose"] = "Protect vital assets and people (typo fixed)"
    next(s for s in data["phases"][1]["steps"] if s.get("owner_role") == OPS)["due_within"] = "3h"
    write(running.folder, data)
    running.app.check_plans_now()
    running.settle()
    take_over(running)
    assert wait_until(lambda: len(cards(running, people.HUNTON)) == 2, 10)
    assert "within 3h" in json.dumps(cards(running, people.HUNTON)[1]["blocks"])
    assert [len(cards(running, u)) for u in (people.PARKS, people.BAKER, people.OUTSIDER)] == [1, 1, 1]
    assert "1 of 4 acknowledged their part" in status(running)

    # Got it on Hunton's old card counts for nothing (his part changed since); on the new one it does.
    got_it(running, people.HUNTON, cards(running, people.HUNTON)[0])
    assert wait_until(lambda: any("has changed since this card" in json.dumps(r) for r in running.fake.responses), 10)
    assert "1 of 4 acknowledged" in status(running)
    got_it(running, people.HUNTON, cards(running, people.HUNTON)[1])
    assert "2 of 4 acknowledged their part; not yet: Steve Parks, Olive Outsider" in status(running)
    [record] = [r for r in rows(running, models.PlanPart) if r.user_id == people.HUNTON]
    assert record.generation == 2 and record.acked_hash == record.part_hash and record.sent_at is not None

    # `bcbot roles send` again: nobody's part changed, nobody is sent a card twice.
    said = roles_send(running)
    assert said[1:3] == ["  cards to send: 0", "  4 already have the card of their part as it stands"], said
    assert [len(cards(running, u)) for u in EVERYONE] == [1, 2, 1, 1]


def test_a_card_of_500_steps_stays_within_slack_s_limits_and_says_how_many_more(start_app, tmp_path):
    data = parts_plan(title="<!channel> & <https://evil.example|click> plan")
    data["phases"][1]["steps"] = [{"title": f"Step {n} <@U0EVIL0001> " + "x" * 300, "owner_role": OPS,
                                   "due_within": "2h30m"} for n in range(500)]
    folder = tmp_path / "plans"
    write(folder, data)
    running = start_app(bcbot_plans=folder)
    running.settle()
    assert wait_until(lambda: any(r.user_id == people.HUNTON for r in rows(running, models.SlackPerson)), 10)
    roles_send(running)
    assert wait_until(lambda: len(cards(running, people.HUNTON)) == 1, 10)
    [card] = cards(running, people.HUNTON)
    blocks = card["blocks"]
    assert len(blocks) <= 50 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    shown = json.dumps(blocks)
    assert "more of your steps" in shown and "within 2h 30m" in shown
    assert "<!channel>" not in shown and "<@U0EVIL0001>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; &amp;" in shown
