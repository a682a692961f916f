"""Plan versions across processes and restarts: the serving process serves what the worker found, a restart
with a broken file serves the last valid version, and with nothing valid on record start-up refuses."""
from __future__ import annotations

import pytest

from bot.domain.plan import PlanError
from storage import models
from tests.e2e.helpers import rows
from tests.e2e.test_plan_files_break import BROKEN, PLAN_ID, break_plan, dms_saying
from tests.support import people
from tests.support.plans import write_plan
from tests.support.processes import wait_until


def test_the_serving_process_serves_the_version_the_worker_found_on_sighup(start_app, tmp_path):
    folder = write_plan(tmp_path / "plans", title="Before")
    running = start_app(bcbot_worker="process", bcbot_plans=folder)
    running.settle()
    assert wait_until(lambda: rows(running, models.PlanServed), 20)
    write_plan(folder, title="After")
    running.app.check_plans_now()  # what SIGHUP to `bcbot serve` does
    assert wait_until(lambda: running.bot.plans.plans[PLAN_ID].title == "After", 20)
    [row] = rows(running, models.PlanServed)
    assert running.bot.plans.version_ids[PLAN_ID] == row.version_id
    assert [v.title for v in rows(running, models.PlanVersion)] == ["Before", "After"]


def test_a_restart_with_a_broken_file_serves_the_last_valid_version_and_tells_once(start_app, tmp_path, fake_slack):
    folder = write_plan(tmp_path / "plans", title="Last good")
    first = start_app(bcbot_plans=folder)
    first.settle()
    first.app.stop()
    break_plan(folder)
    for _ in range(2):  # restarted twice: one DM per owner all the same
        again = start_app(bcbot_plans=folder)
        again.settle()
        assert again.bot.plans.get(PLAN_ID).title == "Last good"
        again.app.stop()
    assert dms_saying(fake_slack, BROKEN) == {people.PARKS: 1, people.HUNTON: 1}


def test_start_up_refuses_a_broken_file_with_no_valid_version_on_record(start_app, tmp_path):
    folder = write_plan(tmp_path / "plans")
    break_plan(folder)
    with pytest.raises(PlanError, match="review.interval_months"):
        start_app(bcbot_plans=folder)
