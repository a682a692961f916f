"""Plan files looked at while the bot runs (polled, or at once on SIGHUP).

A plan whose file breaks, or goes, keeps being served at its last valid version: `plan_served` in the
database says which version each plan is served at, so a restarted worker or server serves the same.
Its owners are told once per distinct broken content (an outbox task keyed on the content's hash, so
once across restarts and replicas) with the first problem, and once when the file is valid again. A
fixed file's plan is recorded as a new version and served at once, here and (over the worker's answers
pipe) by the serving process. A new version of a plan whose part cards were sent re-sends the card of each person
whose part it changes (bot.usecases.part_cards), in the same transaction.
"""
from __future__ import annotations

import hashlib
import logging
from functools import partial
from pathlib import Path

from bot.bcbot import Bcbot
from bot.domain.outbox import Task
from bot.domain.plan import Plan, PlanError, PlanProblem, inspect_plans, plan_files
from bot.slack.mrkdwn import safe
from bot.usecases.part_cards import resend_changed
from bot.usecases.people import learn_plan_names
from bot.usecases.ports import UnitOfWork

log = logging.getLogger("bcbot.plans")
REMOVED = "removed"  # the broken "content" of a file that is gone


def fingerprint(path: Path) -> tuple:
    """The plan files' names, sizes and modification times: a change to any of them is a change."""
    seen: list[tuple[str, int | None, int | None]] = []
    for file in plan_files(path):
        try:
            stat = file.stat()
            seen.append((str(file), stat.st_mtime_ns, stat.st_size))
        except OSError:
            seen.append((str(file), None, None))
    return tuple(seen)


def watch(bot: Bcbot, *, force: bool = False) -> bool:
    """Look at the plan files; when they changed (or `force`), serve what they say now. True if the
    served versions changed. A look that fails (the database away) is tried again at the next one."""
    with bot.plan_watch.lock:
        seen = fingerprint(bot.settings.bcbot_plans)
        if not force and seen == bot.plan_watch.seen:
            return False
        before = dict(bot.plans.version_ids)
        sync_plans(bot, owe_messages=True)
        bot.plan_watch.seen = seen
        changed = bot.plans.version_ids != before
    if changed:  # a new version may name someone by an email not resolved yet
        bot.background.submit(lambda: resolve_people(bot))
        for listener in bot.plan_listeners:
            listener(dict(bot.plans.version_ids))
    return changed


def sync_plans(bot: Bcbot, *, owe_messages: bool) -> list[PlanProblem]:
    """Serve the plans the files hold now, each broken or missing file's plan at its last valid version.
    `owe_messages`: record each plan's trouble and owe its owners' DMs (where the outbox runs: the worker).
    Returns the files' problems; raises PlanError when no plan can be served at all."""
    path = bot.settings.bcbot_plans
    check = inspect_plans(path)
    now = bot.clock()
    first: dict[str, PlanProblem] = {}
    for problem in check.problems:
        first.setdefault(problem.file, problem)
    plans: dict[str, Plan] = {}
    version_ids: dict[str, int] = {}
    with bot.uow() as uow:
        served = uow.plans.served()
        sent = uow.plan_parts.plans_sent() if owe_messages else set()
        for plan in check.plans:
            file = check.files[plan.id]
            version_ids[plan.id] = uow.plans.version_id(plan, source=file, now=now)
            learn_plan_names(uow, plan, now)
            plans[plan.id] = plan
            row = served.get(plan.id)
            if row is not None and row.broken_hash is not None:
                log.warning("plan %s: its file %s is valid again; serving it (version %s)", plan.id, file,
                            version_ids[plan.id])
            if owe_messages:
                if row is not None and row.broken_hash is not None:
                    _tell_owners(uow, plan.id, f"plan_fixed:{row.broken_hash}:{version_ids[plan.id]}",
                                 version_ids[plan.id], fixed_text(plan, file), now)
                uow.plans.serve(plan.id, version_ids[plan.id], file=file, now=now)
                resend_changed(uow, plan, version_id=version_ids[plan.id], user_id=bot.directory.known_id, now=now,
                               sent=sent)
        for key, row in served.items():
            if key in plans:
                continue
            where = Path(row.file)
            trouble = first.get(row.file)
            if trouble is None and where.exists() and row.file in check.files.values():
                log.warning("plan %s is no longer in %s (the file now holds another plan): it is not served", key,
                            row.file)
                continue
            problem = trouble or PlanProblem(row.file, "", "the file is gone" if not where.exists() else
                                             f"no longer holds plan {key!r}")
            version_id = row.version_id
            plan = bot.plans.snapshot(version_id, partial(uow.plans.snapshot, version_id))
            plans[key], version_ids[key] = plan, version_id
            log.warning("plan %s: %s; serving its last valid version (%s, recorded from that file before)",
                        key, problem, version_id)
            if owe_messages:
                digest = _content_hash(where)
                uow.plans.broken(key, content_hash=digest, problem=str(problem), now=now)
                _tell_owners(uow, key, f"plan_broken:{digest}", version_id, broken_text(plan, str(problem)), now)
        unserved = [p for p in first.values() if p.file not in {r.file for r in served.values()}]
        for problem in unserved:
            log.warning("plan file %s cannot be read and no earlier version of it is on record: %s",
                        problem.file, problem)
        if not plans:
            raise PlanError(check.problems)
        uow.commit()
    bot.plans.replace(plans, version_ids)
    return check.problems


def resend_changed_parts(bot: Bcbot) -> None:
    """Owe the part cards the served plan versions call for (to people just resolved by email, say). The versions
    are read from `plan_served`, not this process's memory: a replica that has not looked at the files yet never
    sends an older part back."""
    with bot.uow(read_only=True) as uow:
        if not uow.plan_parts.plans_sent():  # the cards of no plan were ever sent: nothing to write
            return
    with bot.uow() as uow:
        sent = uow.plan_parts.plans_sent()
        for key, row in uow.plans.served().items():
            if key in sent:
                plan = bot.plans.snapshot(row.version_id, partial(uow.plans.snapshot, row.version_id))
                resend_changed(uow, plan, version_id=row.version_id, user_id=bot.directory.known_id,
                               now=bot.clock(), sent=sent)
        uow.commit()


def resolve_people(bot: Bcbot) -> None:
    """Resolve the plans' people named by email (bot.worker.plan_people), then owe the part cards of those
    just resolved."""
    from bot.worker import plan_people

    plan_people.resolve(bot)
    resend_changed_parts(bot)


def adopt(bot: Bcbot, version_ids: dict[str, int]) -> None:
    """Serve these plan versions, as another process (the worker) found them: read from the database."""
    plans: dict[str, Plan] = {}
    with bot.uow(read_only=True) as uow:
        for key, version_id in version_ids.items():
            current = bot.plans.plans.get(key)
            if current is not None and bot.plans.version_ids.get(key) == version_id:
                plans[key] = current
            else:
                plans[key] = bot.plans.snapshot(version_id, partial(uow.plans.snapshot, version_id))
    bot.plans.replace(plans, dict(version_ids))
    log.info("serving plan versions %s", version_ids)


def _content_hash(file: Path) -> str:
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:
        return REMOVED


def _tell_owners(uow: UnitOfWork, plan_key: str, name: str, version_id: int, text: str, now) -> None:
    uow.outbox.add(f"plan:{plan_key}", [Task("tell_plan_owners", name=name,
                                              args={"version_id": version_id, "text": text})], now)


def broken_text(plan: Plan, problem: str) -> str:
    return (f":warning: The file of the plan *{safe(plan.title, 150)}* cannot be used, so bcbot keeps running "
            f"the plan's last valid version.\nFirst problem: {safe(problem, 1500)}\nCorrect the file (`bcbot plan "
            "check` lists every problem): bcbot picks it up by itself, without a restart.")


def fixed_text(plan: Plan, file: str) -> str:
    return (f":white_check_mark: The file of the plan *{safe(plan.title, 150)}* is valid again "
            f"({safe(file, 500)}): bcbot now runs what it says.")
