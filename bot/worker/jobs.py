"""The worker's periodic jobs (APScheduler). A job only rings the doorbell: its work runs on the
worker's general lane, like everything else, and reads what to do from the database."""
from __future__ import annotations

import logging
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.bcbot import Bcbot
from bot.domain.errors import SlackUnavailable
from bot.usecases import incident, phases, recovery
from bot.worker import plan_people, plan_watch, reminders
from bot.worker.intents import sweep_intents
from bot.worker.people import learn_slack_names

log = logging.getLogger("bcbot.jobs")
INCIDENT_EVERY_SECONDS = 60
NAMES_EVERY_SECONDS = 60
HELD_LOOK_EVERY_SECONDS = 300


def take_over(bot: Bcbot) -> None:
    """Intents and outbox tasks nobody holds: a dead worker's or server's, or past their retry pause.
    The one recovery path."""
    sweep_intents(bot)
    if bot.effects is not None:
        bot.effects.sweep()


def look_at_held_channels(bot: Bcbot) -> int:
    """Channels that outbox tasks wait for (archived, bcbot removed) that are usable again: what waited
    goes out. The events (channel_unarchive, member_joined_channel) say so at once; this catches a missed one."""
    with bot.uow(read_only=True) as uow:
        channels = uow.outbox.held_channels()
    released = 0
    for channel in channels:
        try:
            usable = bot.slack.channel_usable(channel)
        except SlackUnavailable:
            return released  # Slack is away: the next look
        if usable:
            with bot.uow() as uow:
                released += len(uow.outbox.release(channel))
                uow.commit()
    return released


def nudge_due_updates(bot: Bcbot) -> int:
    with bot.uow() as uow:
        nudged = incident.nudge_due_updates(bot, uow)
        uow.commit()
    return nudged


def tell_passed_recovery_marks(bot: Bcbot) -> int:
    with bot.uow() as uow:
        told = recovery.tell_passed_marks(bot, uow)
        uow.commit()
    return told


def show_newly_overdue_steps(bot: Bcbot) -> int:
    """Re-render checklists whose steps fell overdue since the last run, so the flag shows. It remembers
    how far it has looked, so a late or skipped run misses nothing; after a start it looks back a day."""
    now = bot.clock()
    since = bot.overdue_checked_until or now - phases.FIRST_OVERDUE_LOOK_BACK
    with bot.uow() as uow:
        armed = phases.arm_overdue_renders(bot, uow, since=since, now=now)
        uow.commit()
    bot.overdue_checked_until = now
    return armed


def start_background_jobs(bot: Bcbot, *, scheduler: bool) -> BackgroundScheduler | None:
    """Take over what a crash left unfinished, send reminders that fell due while the bot was down (each
    once; see docs/reminders.md), and start the periodic jobs. Returns the scheduler, if started."""
    if bot.effects is not None:
        bot.effects.start()
    bot.background.submit(lambda: plan_watch.watch(bot))
    bot.background.submit(lambda: take_over(bot))
    bot.background.submit(lambda: reminders.on_start(bot))
    bot.background.submit(lambda: learn_slack_names(bot))
    bot.background.submit(lambda: plan_watch.resolve_people(bot))
    if not scheduler:
        return None
    jobs = BackgroundScheduler(timezone=bot.settings.timezone,
                               executors={"default": ThreadPoolExecutor(max_workers=1)})

    def every(seconds: float, job_id: str, work: Callable[[Bcbot], object]) -> None:
        jobs.add_job(lambda: bot.background.submit(lambda: work(bot)), "interval", seconds=seconds, id=job_id,
                     max_instances=1, coalesce=True)

    every(bot.settings.bcbot_sweep_seconds, "take-over", take_over)
    every(INCIDENT_EVERY_SECONDS, "update-nudges", nudge_due_updates)
    every(INCIDENT_EVERY_SECONDS, "overdue-steps", show_newly_overdue_steps)
    every(INCIDENT_EVERY_SECONDS, "recovery-marks", tell_passed_recovery_marks)
    every(reminders.SWEEP_EVERY_SECONDS, "reminders", reminders.sweep)
    every(HELD_LOOK_EVERY_SECONDS, "held-channels", look_at_held_channels)
    every(plan_people.LOOK_EVERY_SECONDS, "plan-people", plan_watch.resolve_people)
    every(bot.settings.bcbot_plans_poll_seconds, "plan-files", plan_watch.watch)
    every(NAMES_EVERY_SECONDS, "names", learn_slack_names)
    jobs.start()
    return jobs
