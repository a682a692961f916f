"""Released migrations are held still: every file in storage/migrations/versions by the sha256 of its bytes.

A database made by a migration file keeps that file's schema whatever the file says later; an edited migration
is how 0001 and 0003 left databases short of columns. Add a new migration instead, and pin it here in the same
commit. tests/storage/history keeps the files of every earlier state (its build.py says when to run it).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "storage" / "migrations" / "versions"
HISTORY = ROOT / "tests" / "storage" / "history"

RELEASED = {
    "0001_initial_schema.py": "712830988b3b326c4d4ec6e0ff846b54d144209ed0ff8640a49d6a92fa82f937",
    "0002_incident_running_decisions_updates_.py": "ecc7c59d2256e0dd84f7a9653b935443b1c4097a86bc723a0805d526572dea20",
    "0003_governance.py": "fde328fae2504cf6b3119e66cf3089081b84a61b143410e89522551949dab4d1",
    "0004_home_indexes.py": "91540b53088ada0336a77b2138d379c21c4c5c0b3f568ae89cd1044574e34da9",
    "0005_decisions_count.py": "26334f57b3c5df91e56e8f0e1ff4c1c2c34d0df62683a5ce2a3e33c0e812059b",
    "0006_intents_and_outbox.py": "9375e84995c82f33813857d663f89a16c3ca1a612cfbe29af00aa050e98095ec",
    "0007_repair_old_databases.py": "b227c1c6de3862208bc5c79bf9e9db17629ec974d86b8576179c596be7b61459",
    "0008_outbox_held.py": "7dc72491dea654d09cc3f3686c153dd9b2674571eff2865645f3d2e197ee2436",
    "0009_plan_served.py": "43b8a656eaae98bbb9fcd40ba669e9204d116911408aa942e838cc9cc5076cbd",
    "0010_person_names.py": "759e6c50dfc3e2de183105568c75c3316972ae177cab2788a7eb3ea4804bb258",
    "0011_roll_calls.py": "40bf6f32391c204afa0bbe62a63995222637dda34724262d13db449d8861b19f",
    "0012_confidential.py": "f85fc2126fbc7733044fb96bc17d5e00e78544857efd033245029c2d75936b4f",
    "0013_incident_roles.py": "b0c30ed64f0e7d5d04b993ca8c0b60bd455deb4b56965e52db11767d492a1515",
    "0014_actions.py": "799dc44eccb2d2f61104d214009bab31ab25ff8f592a334cc50455007c80ea2e",
    "0015_plan_parts.py": "40b1e782c1fc7557f5b3da1d0957e3ce7c12b16d1f8a2deeb67a5cb370694b35",
    "0016_recovery_objectives.py": "f4cbc8e5b87ef96aa221eecee4ed5bba1683c889fd29b76ffb266f6b6b690159",
}


def problems(versions: Path, released: dict[str, str]) -> list[str]:
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(versions.glob("*.py"))}
    out = []
    for name, digest in released.items():
        if name not in found:
            out.append(f"{name} is gone: a released migration is never removed; add a new one that undoes it")
        elif found[name] != digest:
            out.append(f"{name} has changed: a released migration is never edited; add a new one "
                       f"(databases made with it keep what it made; git checkout it back)")
    for name in sorted(set(found) - set(released)):
        out.append(f"{name} is not pinned: add it to RELEASED in {Path(__file__).name} in the commit that adds it "
                   f"({found[name]})")
    return out


def test_no_released_migration_is_edited_removed_or_left_unpinned():
    found = problems(VERSIONS, RELEASED)
    assert found == [], "\n".join(found)


def test_an_edited_migration_fails_with_the_rule(tmp_path):
    copy = tmp_path / "versions"
    shutil.copytree(VERSIONS, copy)
    edited = copy / "0003_governance.py"
    edited.write_text(edited.read_text() + "\n# a column added after release\n")
    (copy / "0099_new.py").write_text("revision = '0099'\n")
    new_digest = hashlib.sha256((copy / "0099_new.py").read_bytes()).hexdigest()
    found = problems(copy, RELEASED)
    assert found == ["0003_governance.py has changed: a released migration is never edited; add a new one "
                     "(databases made with it keep what it made; git checkout it back)",
                     f"0099_new.py is not pinned: add it to RELEASED in {Path(__file__).name} in the commit that "
                     f"adds it ({new_digest})"]


def test_every_earlier_state_of_the_migrations_has_its_fixture():
    """Every commit that added or changed a migration left databases behind: test_old_databases builds each."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("no git history here (an unpacked source archive)")
    listed = subprocess.run(["git", "rev-list", "HEAD", "--", "storage/migrations/versions/"], cwd=ROOT,
                            capture_output=True, text=True)
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0 or shallow.stdout.strip() == "true":
        pytest.skip("the git history is not all here (a shallow clone)")
    current = {p.name: _blob(p) for p in VERSIONS.glob("*.py")}
    have = [s["versions"] for s in json.loads((HISTORY / "states.json").read_text())]
    missing = []
    for commit in listed.stdout.split():
        state = {}
        for line in subprocess.run(["git", "ls-tree", commit, "storage/migrations/versions/"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout.splitlines():
            meta, path = line.split("\t")
            if path.endswith(".py"):
                state[Path(path).name] = meta.split()[2][:10]
        if state != current and state not in have:
            missing.append(commit[:7])
    assert missing == [], f"no fixture for the migrations of {', '.join(missing)}: run tests/storage/history/build.py"


def _blob(path: Path) -> str:
    return subprocess.run(["git", "hash-object", str(path)], check=True, capture_output=True, text=True).stdout[:10]


def test_each_migration_s_revision_is_its_number_so_the_newest_file_is_the_head():
    """storage.migrate.upgrade skips Alembic when the database is stamped with the newest file's number."""
    import re

    from storage.migrate import head_revision, newest_revision

    for path in VERSIONS.glob("*.py"):
        [revision] = re.findall(r"^revision = ['\"](\w+)['\"]", path.read_text(), re.M)
        assert revision == path.name[:4], f"{path.name} has revision {revision!r}: name the file after it"
    assert newest_revision() == head_revision()
