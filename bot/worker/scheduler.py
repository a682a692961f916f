"""In-process periodic jobs (APScheduler). Jobs read their work from the database, so a restart
loses nothing and nothing is kept in memory."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.usecases.ports import Bcbot

log = logging.getLogger("bcbot.scheduler")
OUTBOX_EVERY_SECONDS = 60
INCIDENT_EVERY_SECONDS = 60


def start_scheduler(bot: Bcbot) -> BackgroundScheduler:
    from apscheduler.executors.pool import ThreadPoolExecutor

    from bot.usecases.activation import resume_pending_setup

    # Jobs are background work: they get the same patient database lock waits as the worker pool.
    executor = ThreadPoolExecutor(max_workers=4, pool_kwargs={"initializer": bot.background.thread_initializer})
    scheduler = BackgroundScheduler(timezone=bot.settings.timezone, executors={"default": executor})
    from bot.usecases.incident import nudge_due_updates, refresh_newly_overdue

    scheduler.add_job(resume_pending_setup, "interval", seconds=OUTBOX_EVERY_SECONDS, args=[bot],
                      id="outbox", max_instances=1, coalesce=True)
    scheduler.add_job(nudge_due_updates, "interval", seconds=INCIDENT_EVERY_SECONDS, args=[bot],
                      id="update-nudges", max_instances=1, coalesce=True)
    scheduler.add_job(refresh_newly_overdue, "interval", seconds=INCIDENT_EVERY_SECONDS, args=[bot],
                      id="overdue-steps", max_instances=1, coalesce=True)
    from bot.usecases.plans import SWEEP_EVERY_SECONDS, sweep

    # One job reads every due review/test reminder from the database (the start-up run is in BcbotApp.start).
    scheduler.add_job(sweep, "interval", seconds=SWEEP_EVERY_SECONDS, args=[bot], id="reminders", max_instances=1,
                      coalesce=True)
    scheduler.start()
    return scheduler
