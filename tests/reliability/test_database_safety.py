"""One writer per database file: a busy database gives a clear message, never a lock traceback. Backups.

DuckDB lets one process open a database file for writing. The dashboard holds its file open while it
runs, so a command-line import (or a second dashboard) cannot open it: the command exits with code 2
and says to import on the dashboard's Data page instead; a dashboard that cannot open its file shows the
same plain message on every page and works again once the file is free.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from attune import backup, db, ingest, integrity
from tests.conftest import app_test
from tests.support.bigfile import write_sessions
from tests.support.server import ATTUNE_CLI

ROOT = Path(__file__).resolve().parents[2]
HOLD = "import sys, time; from attune import db; con = db.connect(sys.argv[1]); print('holding', flush=True); " \
       "sys.stdin.readline()"


@pytest.fixture
def held(demo_db):
    """The demo database, held open for writing by another process (as a running dashboard holds it)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(demo_db)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    yield demo_db
    holder.stdin.close()
    holder.wait(timeout=60)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ATTUNE_CLI, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_import_while_the_database_is_held_is_refused_clearly(held, demo_exports):
    done = _cli("import", str(demo_exports / "sessions.csv"), "--db", str(held))
    assert done.returncode == 2
    assert "open in another Attune process" in done.stderr and "Data page" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_dashboard_says_the_database_is_busy_and_recovers(demo_db):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(demo_db)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    try:
        at = app_test()
        assert not at.exception
        assert "open in another Attune process" in at.error[0].value
        assert not at.metric
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    at.run()  # the file is free again: the same session now shows the page
    assert not at.exception and not at.error
    assert len(at.metric) == 8


def test_backup_is_a_verified_copy_that_restores(demo_db, tmp_path):
    out = tmp_path / "backups" / "attune-backup.duckdb"
    done = _cli("backup", "--db", str(demo_db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Backed up" in done.stdout
    con = db.connect(demo_db)
    original = integrity.table_checksums(con)
    con.close()
    restored = tmp_path / "restored.duckdb"
    shutil.copy(out, restored)  # the README's restore: copy the backup into place while Attune is stopped
    copy = db.connect(restored)
    assert integrity.table_checksums(copy) == original
    assert integrity.problems(copy) == []
    next_batch = ingest.import_file(copy, write_sessions(tmp_path / "more.csv", 50, prefix="AFTER"))
    assert next_batch.status == "imported" and next_batch.batch_id > max(  # the batch sequence came along too
        b for (b,) in copy.execute("SELECT batch_id FROM import_batches WHERE batch_id <> $b",
                                   {"b": next_batch.batch_id}).fetchall())
    copy.close()
    assert _cli("check", "--db", str(restored)).returncode == 0


def test_backup_during_an_import_holds_the_state_before_or_after_it(demo_db, tmp_path):
    con = db.connect(demo_db)
    before = integrity.table_checksums(con)
    big = write_sessions(tmp_path / "big.csv", 40_000, prefix="DURING")
    importing = threading.Thread(target=lambda: ingest.import_file(con, big))
    importing.start()
    copies = []
    while importing.is_alive() or not copies:
        copies.append(backup.backup(con, tmp_path / f"b{len(copies)}.duckdb").path)
    importing.join()
    after = integrity.table_checksums(con)
    con.close()
    assert after != before
    for path in copies:
        copy = db.connect(path)
        state = integrity.table_checksums(copy)
        copy.close()
        assert state in (before, after), f"{path.name} holds half an import"


@pytest.mark.parametrize(("module", "step"), [(integrity, "table_checksums"), (backup, "_checkpoint")],
                         ids=["before-the-flush", "after-the-flush"])
def test_a_backup_waits_for_an_import_that_listed_the_catalog(demo_db, tmp_path, monkeypatch, module, step):
    """An import's freshness check lists the catalog inside its write transaction, which joins every attached
    database, the backup's copy among them. Before the copy is flushed, DuckDB refuses to flush it until that
    import ends; after, the detached copy's file stays open until then, and opening it to verify fails."""
    con = db.connect(demo_db)
    importing = con.cursor()
    importing.execute("BEGIN TRANSACTION")
    importing.execute("UPDATE meta SET value = value WHERE key = 'data_version'")
    original = getattr(module, step)

    def then_an_import_lists_the_catalog(*args, **kwargs):
        result = original(*args, **kwargs)
        monkeypatch.setattr(module, step, original)  # once
        importing.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
        threading.Timer(0.5, lambda: importing.execute("COMMIT")).start()
        return result

    monkeypatch.setattr(module, step, then_an_import_lists_the_catalog)
    result = backup.backup(con, tmp_path / "during.duckdb")
    con.close()
    assert result.rows > 0 and result.path.exists()


def test_backup_replaces_the_target_only_when_complete(demo_db, tmp_path):
    out = tmp_path / "nightly.duckdb"
    out.write_bytes(b"an older backup")
    (tmp_path / ".nightly.duckdb.partial").write_bytes(b"left over from an interrupted run")
    con = db.connect(demo_db)
    result = backup.backup(con, out)
    con.close()
    assert result.path == out and result.rows > 0
    assert not (tmp_path / ".nightly.duckdb.partial").exists()
    copy = db.connect(out)
    assert integrity.problems(copy) == []
    copy.close()


def test_check_reports_a_broken_invariant(demo_db):
    assert _cli("check", "--db", str(demo_db)).returncode == 0
    con = db.connect(demo_db)
    con.execute("INSERT INTO sessions SELECT * FROM sessions LIMIT 1")  # what a half-applied merge would leave
    con.close()
    done = _cli("check", "--db", str(demo_db))
    assert done.returncode == 1
    assert "the same session_id more than once (1)" in done.stdout
