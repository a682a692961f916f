"""Opening a modal must beat the 3 s life of its trigger ID, even when slow work fills the workers."""
from __future__ import annotations

import threading
import time

from tests.support import people


def test_modal_opens_at_once_while_every_general_worker_is_busy(running):
    release = threading.Event()
    for _ in range(16):  # more slow jobs than general workers
        running.bot.background.submit(lambda: release.wait(10))
    sent = time.monotonic()
    assert running.slack.command(people.PARKS, "").status == 200
    deadline = sent + 2.5
    while not running.fake.calls_to("views.open") and time.monotonic() < deadline:
        time.sleep(0.02)
    opened = running.fake.calls_to("views.open")
    release.set()
    assert opened, "views.open waited behind slow work: the trigger ID would have expired"
