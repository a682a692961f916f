"""Child processes the tests start (a real `bcbot serve`), and waiting for what they do."""
from __future__ import annotations

import subprocess
import time


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, as a service manager stops it; SIGKILL if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll `condition` until it holds or `timeout` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
