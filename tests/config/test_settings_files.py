"""Where every command finds its settings (the environment, then $BCBOT_HOME/.env, then the nearest .env
upwards), the line that says which database and plans it uses, what `bcbot init` writes, placeholder tokens,
and .env.example held to the settings that exist."""
from __future__ import annotations

import re
import shutil

from config import BUNDLED_PLANS
from config.settings import Settings
from tests.tools.test_cli import ROOT, bcbot


def test_an_init_folder_works_from_itself_from_below_it_and_moved_as_into_the_container(tmp_path):
    folder = tmp_path / "mybcp"
    assert bcbot("init", str(folder), cwd=tmp_path).returncode == 0
    below = folder / "plans"
    upgraded = bcbot("db", "upgrade", cwd=below)  # the nearest .env upwards: mybcp/.env, its paths from mybcp
    assert upgraded.returncode == 0, upgraded.stderr
    assert (folder / "bcbot.db").exists() and not (below / "bcbot.db").exists()
    assert f"settings from {folder / '.env'}" in upgraded.stderr and str(folder / "bcbot.db") in upgraded.stderr
    check = bcbot("plan", "check", cwd=below)
    assert check.returncode == 0 and f"plans {folder / 'plans'}" in check.stderr, check.stderr
    # The same folder mounted elsewhere (the container's /data): its .env names the files there.
    moved = shutil.copytree(folder, tmp_path / "data")
    status = bcbot("plan", "status", cwd=moved)
    assert status.returncode == 0, status.stderr
    assert str(moved / "bcbot.db") in status.stderr and str(folder) not in status.stderr
    # From anywhere else, BCBOT_HOME names the folder.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = bcbot("plan", "status", env={"BCBOT_HOME": str(folder)}, cwd=elsewhere)
    assert home.returncode == 0 and str(folder / "bcbot.db") in home.stderr, home.stderr
    assert list(elsewhere.iterdir()) == []


def test_the_environment_beats_bcbot_home_which_beats_the_nearest_env(tmp_path):
    home, project = tmp_path / "home", tmp_path / "project"
    for folder, zone, hour in ((home, "Europe/London", "7"), (project, "Europe/Paris", "8")):
        folder.mkdir()
        (folder / ".env").write_text(f"BCBOT_TIMEZONE={zone}\nBCBOT_REMINDER_HOUR={hour}\nDATABASE_URL=sqlite:///db/x.db\n")
    nearest = bcbot("db", "upgrade", env={"BCBOT_TIMEZONE": "UTC"}, cwd=project)  # db/ does not exist: says where
    assert f"settings from {project / '.env'};" in nearest.stderr and str(project / "db" / "x.db") in nearest.stderr
    both = bcbot("doctor", env={"BCBOT_HOME": str(home), "DATABASE_URL": f"sqlite:///{tmp_path}/env.db"}, cwd=project)
    first = both.stdout.splitlines()[0]  # the doctor's header
    assert first.startswith(f"settings from {home / '.env'}, {project / '.env'};"), both.stdout
    assert f"database sqlite:///{tmp_path}/env.db" in first  # the environment's, not either file's


def test_plan_commands_say_which_plans_they_read_and_when_it_is_the_bundled_example(tmp_path):
    for command in (("plan", "check"), ("plan", "show")):
        result = bcbot(*command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"{BUNDLED_PLANS.parent.name}/plans (the bundled example)" in result.stderr  # the installed bcbot's
        assert "BCBOT_PLANS is not set" in result.stderr and "bcbot init" in result.stderr
    mine = tmp_path / "mine.yaml"
    shutil.copy(BUNDLED_PLANS / "wunderroot.yaml", mine)
    (tmp_path / ".env").write_text("BCBOT_PLANS=mine.yaml\n")
    result = bcbot("plan", "show", cwd=tmp_path)
    assert result.returncode == 0 and f"plans {mine}" in result.stderr and "bundled" not in result.stderr


def test_the_placeholder_token_from_env_example_is_refused_with_the_fix(tmp_path):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    doctor = bcbot("doctor", cwd=tmp_path)
    assert doctor.returncode == 1
    [line] = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL settings: SLACK_BOT_TOKEN")]
    assert "placeholder" in line and "fix: set it to the app's Bot User OAuth Token" in line, doctor.stdout
    assert "SKIP slack token" in doctor.stdout  # never sent to Slack
    serve = bcbot("serve", cwd=tmp_path)
    assert serve.returncode == 2 and "SLACK_BOT_TOKEN" in serve.stderr and "placeholder" in serve.stderr
    assert len(serve.stderr.strip().splitlines()) == 1
    app = bcbot("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-your-app-token"}, cwd=tmp_path)
    assert app.returncode == 2 and "SLACK_APP_TOKEN" in app.stderr and "placeholder" in app.stderr


def test_env_example_lists_exactly_the_settings_that_exist():
    text = (ROOT / ".env.example").read_text()
    listed = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == {name.upper() for name in Settings.model_fields}
