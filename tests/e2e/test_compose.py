"""`docker compose up` with the shipped compose.yaml (bcbot in HTTP mode and PostgreSQL) reaches a healthy
/healthz. Needs a Docker daemon (and the images it pulls); skipped with the reason where none answers."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET
from tests.support.serve_process import free_port
from tests.support.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


def _docker_skip_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=20)
    except subprocess.TimeoutExpired:
        return "the Docker daemon did not answer docker info within 20 s"
    if info.returncode != 0:
        return "no Docker daemon answers: " + (info.stderr.strip().splitlines() or ["docker info failed"])[-1][:200]
    if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20).returncode != 0:
        return "docker compose (v2) is not installed"
    return None


def test_docker_compose_up_reaches_a_healthy_healthz(fake_slack, tmp_path):
    if reason := _docker_skip_reason():
        pytest.skip(reason)
    # The container reaches the fake Slack on the host through a proxy listening on every interface.
    proxy = TcpProxy(("127.0.0.1", int(fake_slack.url.split(":")[2].split("/")[0])), host="0.0.0.0")
    port = free_port()
    override = tmp_path / "test.yaml"
    override.write_text(json.dumps({"services": {"bcbot": {
        "extra_hosts": ["host.docker.internal:host-gateway"],
        "environment": {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                        "SLACK_API_URL": f"http://host.docker.internal:{proxy.port}/api/"}}}}))
    project = f"bcbot-test-{port}"
    compose = ["docker", "compose", "-p", project, "-f", str(ROOT / "compose.yaml"), "-f", str(override)]
    env = os.environ | {"BCBOT_PORT": str(port)}
    try:
        up = subprocess.run([*compose, "up", "-d", "--build", "--wait", "--wait-timeout", "300"], env=env,
                            capture_output=True, text=True, timeout=900)
        logs = subprocess.run([*compose, "logs", "--no-color", "bcbot"], env=env, capture_output=True, text=True).stdout
        assert up.returncode == 0, up.stderr[-3000:] + logs[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
            health = json.loads(answer.read())
        assert health["status"] == "ok" and health["database"] == "ok", health
        assert fake_slack.calls_to("auth.test")  # it asked the (fake) Slack who it is
    finally:
        subprocess.run([*compose, "down", "-v", "--remove-orphans"], env=env, capture_output=True, timeout=300)
        proxy.cut()
