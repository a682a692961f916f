"""Child processes the tests start (a real `bcbot serve`)."""
from __future__ import annotations

import subprocess


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
