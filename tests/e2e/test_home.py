"""App Home end to end: the app_home_opened event publishes the home; its buttons page and activate."""
from __future__ import annotations

from datetime import datetime, timezone

from storage import models
from tests.e2e.helpers import activate, rows
from tests.support import people
from tests.support.seed import seed_incidents


def open_home(running, user: str, event_id: str) -> dict:
    before = len(running.fake.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    assert running.slack.event(event, event_id=event_id).status == 200
    running.settle()
    assert len(running.fake.calls_to("views.publish")) == before + 1
    return running.fake.views[f"home-{user}"]


def texts(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if "text" in b)


def button(view: dict, action_id: str) -> dict | None:
    return next((e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == action_id), None)


def click(running, user: str, view: dict, action_id: str) -> dict:
    before = len(running.fake.calls_to("views.publish"))
    reply = running.slack.block_action(user, action_id, button(view, action_id)["value"], view=view)
    assert reply.status == 200
    running.settle()
    assert len(running.fake.calls_to("views.publish")) == before + 1
    return running.fake.views[f"home-{user}"]


def seed_history(running, count: int) -> list[int]:
    _, closed = seed_incidents(running.bot.uow, running.bot.plans.first(), now=datetime.now(timezone.utc),
                               stood_down=count, tie_every=1)
    return closed  # the first is the most recently stood down


def test_home_shows_open_and_stood_down_incidents_and_plans(running):
    activate(running, people.PARKS, lead=people.LEAD)
    [incident] = rows(running, models.Incident)
    seed_history(running, 3)

    view = open_home(running, people.OUTSIDER, "EvHome1")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    shown = texts(view)
    for expected in ("Open incidents (1)", "*BC-1*", "Wunderroot Business Continuity Plan", "Loss of critical systems",
                     "Incident management", "*0/7 done*", f"lead <@{people.LEAD}>", f"<#{incident.channel_id}>",
                     "Recently stood down", "*BC-2*", "*BC-4*", "after 5h 12m", "Plans (1)",
                     "Owners: Steve Parks, Steve Hunton", "Next review", "Next test"):
        assert expected in shown, expected
    assert button(view, "bcbot.activation.open") is not None
    assert button(view, "bcbot.home.older") is None  # three stood down: one page


def test_older_incidents_page_through_and_survive_a_restart(start_app):
    first_app = start_app()
    closed = seed_history(first_app, 23)
    view = open_home(first_app, people.BAKER, "EvHome2")
    assert f"*BC-{closed[0]}*" in texts(view) and f"*BC-{closed[10]}*" not in texts(view)

    page2 = click(first_app, people.BAKER, view, "bcbot.home.older")
    assert "Stood down earlier* · page 2" in texts(page2)
    assert [f"*BC-{i}*" in texts(page2) for i in (closed[9], closed[10], closed[19], closed[20])] == [False, True, True, False]

    # A new app instance on the same database: the page lives in the button value, not in memory.
    second_app = start_app()
    page3 = click(second_app, people.BAKER, page2, "bcbot.home.older")
    assert "page 3" in texts(page3) and f"*BC-{closed[22]}*" in texts(page3) and f"*BC-{closed[19]}*" not in texts(page3)
    assert button(page3, "bcbot.home.older") is None

    latest = click(second_app, people.BAKER, page3, "bcbot.home.latest")
    assert "Recently stood down" in texts(latest) and f"*BC-{closed[0]}*" in texts(latest)


def test_home_activate_button_opens_the_activation_modal(running):
    view = open_home(running, people.OUTSIDER, "EvHome3")
    before = len(running.fake.calls_to("views.open"))
    running.slack.block_action(people.OUTSIDER, "bcbot.activation.open", button(view, "bcbot.activation.open")["value"],
                               view=view)
    running.settle()
    [opened] = running.fake.calls_to("views.open")[before:]
    assert opened.params["view"]["callback_id"] == "bcbot.activation"


def test_a_forged_page_value_shows_the_first_page(running):
    seed_history(running, 12)
    view = open_home(running, people.OUTSIDER, "EvHome4")
    reply = running.slack.block_action(people.OUTSIDER, "bcbot.home.older", '{"p": "x", "t": 5}', view=view)
    assert reply.status == 200
    running.settle()
    assert "Recently stood down" in texts(running.fake.views[f"home-{people.OUTSIDER}"])


def test_home_shows_the_review_dates_recorded_in_the_database(running):
    from datetime import date

    from sqlalchemy import update

    from bot.usecases import reads as queries
    from storage import models as m

    running.settle()  # the start-up sweep records each plan's dates
    with running.bot.uow() as uow:
        uow.session.execute(update(m.PlanGovernance).values(next_review=date(2031, 3, 9)))
        uow.commit()
    assert "2031" in str(queries.home(running.bot))
