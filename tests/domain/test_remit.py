"""Remit entries with recovery objectives: a plain name stays valid, services are ranked, and `plan check`
refuses an RTO longer than the MTPD with its line."""
from __future__ import annotations

import subprocess
import sys

from bot.domain.plan import check_plans, load_plans
from tests.domain.test_plan import bundled, write

PMD = "Project management and delivery"


def with_remit(remit: list) -> dict:
    data = bundled()
    data["remit"] = remit
    return data


def test_a_plan_of_plain_names_keeps_its_hash_and_a_written_out_entry_gives_its_objectives(tmp_path):
    [before] = load_plans(write(tmp_path, bundled()))
    [same] = load_plans(write(tmp_path, with_remit(list(bundled()["remit"]))))
    assert same.content_hash() == before.content_hash()
    [plan] = load_plans(write(tmp_path, with_remit(
        ["Mail", {"name": PMD, "priority": 1, "rto": "2h", "mtpd": "1d"}, {"name": "Payroll", "priority": 2}])))
    assert plan.service_names == [PMD, "Payroll", "Mail"]  # priority 1 first, the unranked last
    pmd = plan.services[0]
    assert (pmd.rto_minutes, pmd.mtpd_minutes, pmd.priority) == (120, 1440, 1)
    assert plan.content_hash() != before.content_hash()


def test_plan_check_refuses_an_rto_longer_than_the_mtpd_naming_its_line(tmp_path):
    text = write(tmp_path, bundled()).read_text()
    text = text.replace(f"remit:\n- {PMD}\n", f"remit:\n- name: {PMD}\n  rto: 2d\n  mtpd: 1d\n")
    assert "rto: 2d" in text
    path = write(tmp_path, text)
    line = text.splitlines().index("  rto: 2d") + 1
    _, problems = check_plans(path)
    [problem] = problems
    assert problem.line == line and problem.field == "service 1: rto"
    assert "RTO (2d) is longer than the MTPD (1d)" in problem.message
    run = subprocess.run([sys.executable, "-m", "bot.tools.cli", "plan", "check", str(path)], capture_output=True,
                         text=True)
    assert run.returncode != 0
    assert f"{path}:{line}: service 1: rto: the RTO (2d) is longer than the MTPD (1d)" in run.stdout + run.stderr


def test_a_bad_duration_or_a_service_listed_twice_is_refused(tmp_path):
    _, problems = check_plans(write(tmp_path, with_remit([{"name": PMD, "rto": "soon"}])))
    assert any("not a duration" in p.message for p in problems)
    _, problems = check_plans(write(tmp_path, with_remit([PMD, {"name": PMD.upper(), "rto": "1d"}])))
    assert [p.message for p in problems] == [f"{PMD.upper()!r} is listed twice (also service 1)"]
