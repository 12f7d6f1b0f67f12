"""The data directory as an operator meets it: `serve` creates the database and the master key
(mode 0600, outside the database), `audit verify` walks the audit log's hash chain and names the
entry someone edited, and `keys rotate` makes a new data key active, leaving an audited trail.
"""

from __future__ import annotations

import sqlite3
import stat
import subprocess

import targets
from test_serve import start_serve, stop_cleanly


def medexpress(*argv: str) -> subprocess.CompletedProcess:
    binary = targets.require_medexpress()
    return subprocess.run([str(binary), *argv], capture_output=True, text=True, timeout=60)


def test_first_start_creates_the_database_and_a_private_master_key(tmp_path):
    stop_cleanly(start_serve(tmp_path))
    key = tmp_path / "keys" / "master.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    database = tmp_path / "medexpress.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM data_keys WHERE active = 1").fetchone() == (1,)
        # The data key is stored wrapped: the master key's bytes appear nowhere in the database.
        assert key.read_bytes().strip() not in database.read_bytes()


def test_audit_verify_passes_then_names_the_entry_that_was_edited(tmp_path):
    stop_cleanly(start_serve(tmp_path))
    rotated = medexpress("keys", "rotate", "--data-dir", str(tmp_path))
    assert rotated.returncode == 0, rotated.stderr
    assert "data key 2 is active" in rotated.stdout

    intact = medexpress("audit", "verify", "--data-dir", str(tmp_path))
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == "audit log intact: 2 entries"

    with sqlite3.connect(tmp_path / "medexpress.sqlite3") as connection:
        try:
            connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
            raise AssertionError("the audit log accepted an UPDATE")
        except sqlite3.DatabaseError as error:
            assert "append-only" in str(error)
        # Someone with the file drops the guard and rewrites history.
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET action = 'nothing happened' WHERE seq = 1")

    broken = medexpress("audit", "verify", "--data-dir", str(tmp_path))
    assert broken.returncode == 1
    assert broken.stdout.startswith("audit log broken at entry 1:"), broken.stdout


def test_a_missing_or_wrong_master_key_is_a_clear_error_not_garbage(tmp_path):
    stop_cleanly(start_serve(tmp_path))
    (tmp_path / "keys" / "master.key").unlink()
    missing = medexpress("keys", "rotate", "--data-dir", str(tmp_path))
    assert missing.returncode == 1
    assert "master.key" in missing.stderr, missing.stderr

    # serve makes a fresh master key when none exists; it cannot unwrap the database's data keys.
    wrong = medexpress("serve", "--data-dir", str(tmp_path), "--listen", "127.0.0.1:0")
    assert wrong.returncode == 1
    assert "master key" in wrong.stderr, wrong.stderr
    assert "listening" not in wrong.stdout
