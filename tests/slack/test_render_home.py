"""App Home rendering: Slack's limits with any amount of history, overdue plans flagged, text escaped."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.incident import IncidentState
from bot.domain.records import Incident, Progress
from bot.slack import home_blocks as render_home
from bot.slack.blocks import SECTION_MAX
from bot.slack.home_blocks import ClosedItem, HomeData, HomePage, OpenItem, PlanCard
from bot.slack.ids import Action

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


def incident(id: int, **kw) -> Incident:
    values = dict(id=id, plan_key="wunderroot-bcp", plan_version_id=1, is_exercise=False,
                  circumstance="Loss of critical systems", summary="Server down", services=(), lead_user_id="U0LEAD",
                  activated_by="U0ACT", approved_by=None, state=IncidentState.BUSINESS_CONTINUITY,
                  channel_id=f"C0INC{id}", channel_name="bc", header_ts="1.1", announce_ts=None,
                  activated_at=NOW - timedelta(hours=2, minutes=5), phase_started_at=NOW, stood_down_at=None)
    return Incident(**(values | kw))


def stood_down(id: int, **kw) -> Incident:
    at = NOW - timedelta(days=id)
    return incident(id, state=IncidentState.STOOD_DOWN, activated_at=at - timedelta(hours=5, minutes=12),
                    stood_down_at=at, **kw)


def card(n: int = 1, *, review: date = date(2027, 3, 1), test: date = date(2027, 6, 1), **kw) -> PlanCard:
    values = dict(plan_id=f"plan-{n}", title=f"Plan {n}", owners=("Steve Parks", "Steve Hunton"), next_review=review,
                  next_test=test)
    return PlanCard(**(values | kw))


def data(*, open=(), open_total=None, recent=(), has_older=False, page=HomePage(), plans=(card(),), plans_total=None,
         plans_overdue=None) -> HomeData:
    open, plans = list(open), list(plans)
    return HomeData(open=open, open_total=len(open) if open_total is None else open_total, recent=list(recent),
                    has_older=has_older, page=page, plans=plans,
                    plans_total=len(plans) if plans_total is None else plans_total,
                    plans_overdue=sum(p.overdue(TODAY) for p in plans) if plans_overdue is None else plans_overdue,
                    now=NOW, today=TODAY)


def texts(view: dict) -> list[str]:
    found = []
    for block in view["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def buttons(view: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}


def assert_within_limits(view: dict) -> None:
    assert view["type"] == "home" and len(view["blocks"]) <= render_home.HOME_BLOCKS_MAX
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_MAX
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        for element in block.get("elements", []):
            label = element["text"]["text"] if isinstance(element["text"], dict) else element["text"]
            assert len(element.get("value", "")) <= 2000 and len(label) <= 3000


def test_an_empty_home_invites_activation():
    view = render_home.home_view(data())
    assert_within_limits(view)
    assert buttons(view)[Action.OPEN_ACTIVATION]["value"] == render_home.ACTIVATE_VALUE
    joined = "\n".join(texts(view))
    assert "No open incidents" in joined and "Nothing stood down yet" in joined
    assert Action.HOME_OLDER not in buttons(view)


def test_an_open_incident_shows_plan_phase_lead_age_progress_and_channel():
    item = OpenItem(incident(12), "Wunderroot BCP", Progress(done=4, total=7))
    [line] = [t for t in texts(render_home.home_view(data(open=[item]))) if "BC-12" in t]
    for expected in ("*BC-12*", "Wunderroot BCP", "Loss of critical systems", "Business continuity", "*4/7 done*",
                     "lead <@U0LEAD>", "open 2h 05m", "<#C0INC12>"):
        assert expected in line, expected
    exercise = OpenItem(incident(13, is_exercise=True), "Wunderroot BCP", Progress(0, 7))
    assert any("🧪 Exercise" in t for t in texts(render_home.home_view(data(open=[exercise]))))


def test_a_stood_down_incident_shows_when_and_how_long():
    view = render_home.home_view(data(recent=[ClosedItem(stood_down(3), "Wunderroot BCP")]))
    [line] = [t for t in texts(view) if "BC-3" in t]
    assert "Recently stood down" in "\n".join(texts(view))
    assert "Stood down <!date^" in line and "after 5h 12m" in line and "<#C0INC3>" in line


def test_many_incidents_and_plans_stay_within_slacks_limits():
    opened = [OpenItem(incident(i, circumstance="x" * 300), "P" * 150, Progress(1, 500)) for i in range(1, 501)]
    recent = [ClosedItem(stood_down(i, circumstance="y" * 300), "P" * 150) for i in range(1, 11)]
    plans = [card(i, title="T" * 150, owners=tuple("Owner with a long name" for _ in range(50))) for i in range(10_000)]
    view = render_home.home_view(data(open=opened, open_total=100_500, recent=recent, has_older=True, plans=plans,
                                      plans_total=10_000))
    assert_within_limits(view)
    joined = "\n".join(texts(view))
    assert sum("open 2h 05m" in t for t in texts(view)) == render_home.OPEN_MAX
    assert "Open incidents (100,500)" in joined and "…and 100,480 more open" in joined
    assert sum("Owners:" in t for t in texts(view)) == render_home.PLANS_MAX
    assert "*Plans (10,000)*" in joined and "Showing 20 of 10,000 plans" in joined
    older = buttons(view)[Action.HOME_OLDER]
    assert older["text"]["text"] == "Older incidents →"
    assert HomePage.from_value(json.loads(older["value"])) == HomePage(2, (recent[-1].incident.stood_down_at, 10))


def test_later_pages_offer_the_way_back_and_say_when_there_is_nothing_older():
    page = HomePage(3, (NOW, 99))
    view = render_home.home_view(data(recent=[ClosedItem(stood_down(21), "P")], page=page))
    assert "Stood down earlier* · page 3" in "\n".join(texts(view))
    assert set(buttons(view)) == {Action.OPEN_ACTIVATION, Action.HOME_LATEST}  # a reader who owns no plan
    assert json.loads(buttons(view)[Action.HOME_LATEST]["value"]) == {"p": 1}
    empty = render_home.home_view(data(page=page))
    assert "No older incidents" in "\n".join(texts(empty))


def test_overdue_review_or_test_dates_are_flagged():
    due_today = card(1, review=TODAY, test=TODAY + timedelta(days=30))
    overdue_review = card(2, review=TODAY - timedelta(days=1))
    overdue_test = card(3, test=TODAY - timedelta(days=40))
    view = render_home.home_view(data(plans=[due_today, overdue_review, overdue_test]))
    by_plan = {t.split("*")[1]: t for t in texts(view) if "Owners:" in t}
    assert "overdue" not in by_plan["Plan 1"] and f"Next review {TODAY.day} Nov 2026" in by_plan["Plan 1"]
    assert by_plan["Plan 2"].startswith("⚠️") and "Next review 21 Nov 2026 ⚠️ *overdue*" in by_plan["Plan 2"]
    assert "Next test 1 Jun 2027 ·" not in by_plan["Plan 2"] and "Next test 1 Jun 2027" in by_plan["Plan 2"]
    assert "Next test 13 Oct 2026 ⚠️ *overdue*" in by_plan["Plan 3"]
    assert "Owners: Steve Parks, Steve Hunton" in by_plan["Plan 1"]
    assert "*Plans (3)* · ⚠️ 2 overdue" in "\n".join(texts(view))


def test_with_many_plans_the_overdue_and_soonest_come_first():
    dates = {f"plan-{i}": (date(2027, 1, 1) + timedelta(days=i), date(2027, 6, 1)) for i in range(30)}
    dates["plan-late-test"] = (date(2027, 9, 1), TODAY - timedelta(days=3))
    dates["plan-late-review"] = (TODAY - timedelta(days=400), date(2027, 9, 1))
    shown, overdue = render_home.plans_to_show(dates, TODAY)
    assert overdue == 2 and len(shown) == render_home.PLANS_MAX
    assert shown[:3] == ["plan-late-review", "plan-late-test", "plan-0"] and shown[-1] == "plan-17"
    few = dict(list(dates.items())[:3])
    assert render_home.plans_to_show(few, TODAY) == (["plan-0", "plan-1", "plan-2"], 0)  # few plans: in plan order


def test_user_and_plan_text_is_escaped_and_truncated():
    nasty = "<!channel> <@U0BOSS> <https://evil.example|click> & " + "z" * 5000
    item = OpenItem(incident(1, circumstance=nasty), "<!here> plan", Progress(0, 1))
    closed = ClosedItem(stood_down(2, circumstance=nasty), "<!here> plan")
    plan = card(title="<!everyone> plan", owners=("<@U0BOSS>", "A & B"))
    view = render_home.home_view(data(open=[item], recent=[closed], plans=[plan]))
    assert_within_limits(view)
    rendered = json.dumps(view)
    for raw in ("<!channel>", "<@U0BOSS>", "<https://evil", "<!here>", "<!everyone>"):
        assert raw not in rendered, raw
    joined = "\n".join(texts(view))
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; &amp; z" in joined
    assert "(truncated)" in joined and "Owners: &lt;@U0BOSS&gt;, A &amp; B" in joined


@settings(max_examples=40, deadline=None)
@given(circumstance=st.text(min_size=1, max_size=400), title=st.text(min_size=1, max_size=200),
       owner=st.text(min_size=1, max_size=100))
def test_any_text_stays_within_limits(circumstance, title, owner):
    view = render_home.home_view(data(
        open=[OpenItem(incident(1, circumstance=circumstance), title, Progress(1, 2))],
        recent=[ClosedItem(stood_down(2, circumstance=circumstance), title)],
        plans=[card(title=title, owners=(owner,) * 50)]))
    assert_within_limits(view)
    mrkdwn = json.dumps([b for b in view["blocks"] if b["type"] == "section"])
    assert "<!channel>" not in mrkdwn


def test_the_page_round_trips_through_the_button_value_and_bad_values_mean_page_one():
    page = HomePage(4, (NOW, 1234))
    assert HomePage.from_value(json.loads(json.dumps(page.value()))) == page
    for bad in ({}, {"p": 2}, {"p": "2", "t": NOW.isoformat(), "i": 1}, {"p": 2, "t": "yesterday", "i": 1},
                {"p": 2, "t": NOW.replace(tzinfo=None).isoformat(), "i": 1}, {"p": 2, "t": NOW.isoformat(), "i": True},
                {"p": 2, "t": NOW.isoformat(), "i": -1}, {"p": True, "t": NOW.isoformat(), "i": 1}, {"p": 1}):
        assert HomePage.from_value(bad) == HomePage(), bad


def test_ages_read_naturally():
    assert render_home.age(timedelta(minutes=7, seconds=59)) == "7m"
    assert render_home.age(timedelta(hours=3, minutes=5)) == "3h 05m"
    assert render_home.age(timedelta(days=2, hours=4, minutes=59)) == "2d 4h"
    assert render_home.age(timedelta(seconds=-5)) == "0m"
