"""Crash safety: an import killed (SIGKILL) at a random moment loses nothing and leaves nothing behind.

A subprocess imports a large sessions export with `attune import`; it is killed at a random point
between opening the file and finishing, many times over the same database. After every kill the
database must open (DuckDB replays or discards its write-ahead log), read completely (every block's
checksum is verified on read), keep its invariants, and hold exactly the rows it held before the
import (full-table checksums), or, when the kill came after the commit, exactly the imported state.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from attune import db, integrity
from tests.support.bigfile import write_sessions
from tests.support.server import ATTUNE_CLI

ROOT = Path(__file__).resolve().parents[2]
# The importer's progress lines and the phase each one starts: reading the file into a staging table,
# validating every row, writing (merge into the tables, then commit).
PHASE_MARKS = {"Reading": "staging", "Checking": "validating", "Comparing": "writing"}


def _state(path: Path) -> tuple[integrity.IntegrityReport, dict]:
    """Open the database as the app would after a restart and read all of it."""
    con = db.connect(path)
    try:
        report = integrity.check(con.cursor())
        batches = con.sql("SELECT * EXCLUDE (imported_at) FROM import_batches ORDER BY batch_id").fetchall()
        audit = con.sql('SELECT * EXCLUDE ("at") FROM audit_log ORDER BY event_id').fetchall()
    finally:
        con.close()
    return report, {"batches": batches, "audit": audit}


def _comparable(report: integrity.IntegrityReport, extra: dict) -> tuple:
    """Every table's checksum, with the import and audit times (which differ between runs) left out."""
    sums = {t: v for t, v in report.checksums.items() if t not in ("import_batches", "audit_log")}
    return tuple(sorted(sums.items())), tuple(extra["batches"]), tuple(extra["audit"])


class _Import:
    """`attune import` in a subprocess, with the time each progress line appeared."""

    def __init__(self, csv: Path, database: Path):
        self.process = subprocess.Popen(
            [*ATTUNE_CLI, "import", str(csv), "--db", str(database)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, str]] = []
        self.seen = {word: threading.Event() for word in PHASE_MARKS}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.strip()))
            for word, event in self.seen.items():
                if word in line:
                    event.set()
        for event in self.seen.values():  # the process ended: nobody waits for a line that never comes
            event.set()

    @property
    def phase(self) -> str:
        if self.process.poll() is not None:
            return "finished"
        for _, line in reversed(self.lines):
            for word, phase in PHASE_MARKS.items():
                if word in line:
                    return phase
        return "starting"

    def wait_for(self, word: str) -> float:
        if not self.seen[word].wait(timeout=600):
            raise TimeoutError(f"the import never printed {word!r}")
        return time.monotonic()


def _phase_durations(run: _Import, ended: float) -> dict[str, float]:
    """How long each phase (from its progress line to the next, or to the exit) took in a full import."""
    starts = {word: next(at for at, line in run.lines if word in line) for word in PHASE_MARKS}
    ends = [*list(starts.values())[1:], ended]
    return {word: end - start for (word, start), end in zip(starts.items(), ends, strict=True)}


def run_crash_test(tmp_path: Path, template: Path, rows: int, kills: int, seed: int, figures) -> None:
    big = write_sessions(tmp_path / "big_sessions.csv", rows, prefix="CRASH")
    pristine = tmp_path / "pristine.duckdb"
    shutil.copy(template, pristine)
    before = _comparable(*_state(pristine))

    reference = tmp_path / "reference.duckdb"
    shutil.copy(pristine, reference)
    full = _Import(big, reference)
    assert full.process.wait(timeout=1800) == 0
    durations = _phase_durations(full, time.monotonic())
    after_report, after_extra = _state(reference)
    after = _comparable(after_report, after_extra)
    assert after_report.ok and after != before

    work = tmp_path / "work.duckdb"
    shutil.copy(pristine, work)
    rng = random.Random(seed)
    outcomes: Counter = Counter()
    phases: Counter = Counter()
    for attempt in range(kills):
        mark = list(PHASE_MARKS)[attempt % len(PHASE_MARKS)]  # each phase in turn, a random moment within it
        running = _Import(big, work)
        running.wait_for(mark)
        time.sleep(rng.uniform(0, durations[mark]))
        phases[running.phase] += 1
        if running.process.poll() is None:
            os.kill(running.process.pid, signal.SIGKILL)
        running.process.wait(timeout=60)
        report, extra = _state(work)
        assert report.ok, f"kill {attempt + 1}: {report.problems}"
        now = _comparable(report, extra)
        if now == before:
            outcomes["rolled back"] += 1
        elif now == after:
            outcomes["committed"] += 1
            shutil.copy(pristine, work)  # start the next attempt from the state before the import again
            work.with_name(work.name + ".wal").unlink(missing_ok=True)
        else:
            differing = [t for (t, v), (_, w) in zip(now[0], before[0], strict=False) if v != w]
            pytest.fail(f"kill {attempt + 1} (during {running.phase}) left a partial state in {differing}")
    figures(kills=kills, kills_survived=sum(outcomes.values()), rolled_back=outcomes["rolled back"],
            committed_before_kill=outcomes["committed"], import_rows=rows,
            phase_seconds={PHASE_MARKS[w]: round(d, 1) for w, d in durations.items()},
            seed=seed, kill_phases=dict(phases))
    assert sum(outcomes.values()) == kills


def test_killed_imports_leave_the_database_as_it_was(tmp_path, demo_db_template, figures):
    """The make-test variant: a kill in each phase of a 30,000-row import."""
    seed = int(os.environ.get("ATTUNE_CRASH_SEED", "11"))
    run_crash_test(tmp_path, demo_db_template, rows=30_000, kills=3, seed=seed, figures=figures)


@pytest.mark.soak
def test_many_killed_imports_soak(tmp_path, demo_db_template, figures):
    """The soak variant (make soak): many kills during a 300,000-row import."""
    seed = int(os.environ.get("ATTUNE_CRASH_SEED", "2024"))
    kills = int(os.environ.get("ATTUNE_SOAK_KILLS", "30"))
    run_crash_test(tmp_path, demo_db_template, rows=300_000, kills=kills, seed=seed, figures=figures)


# ---- a power cut while supervisors write the review log ----------------------------------------------

REVIEWER = """
import sys
from attune import attention, db, settings
cur = db.connect(sys.argv[1]).cursor()
as_of = attention.latest_day(cur)
pairs = attention.weekly_list(cur, as_of, settings.load(cur), include_discussed=True)
pairs = pairs.select("client_id", "therapist_id").rows()
print("ready", flush=True)
done = 0
while True:
    for client, therapist in pairs:
        attention.mark_discussed(cur, client, therapist, as_of=as_of, note=f"note {done}", reviewed_by="crash test")
        done += 1
        print(done, flush=True)
"""


def _reviews(path: Path) -> tuple[int, int, bool]:
    con = db.connect(path)
    try:
        reviews = con.execute("SELECT count(*) FROM reviews").fetchall()[0][0]
        return reviews, db.data_version(con), integrity.check(con.cursor()).ok
    finally:
        con.close()


def run_review_power_cuts(tmp_path: Path, template: Path, cuts: int, torn_copies: int, seed: int, figures) -> None:
    """Kill a process writing reviews, then also replay only part of its write-ahead log (a power cut loses
    the tail that had not reached the disk): every state must be whole reviews, each with its version bump."""
    work = tmp_path / "reviews.duckdb"
    shutil.copy(template, work)
    reviews0, version0, ok = _reviews(work)
    assert ok
    rng = random.Random(seed)
    checked = 0
    for _ in range(cuts):
        writer = subprocess.Popen([sys.executable, "-c", REVIEWER, str(work)], cwd=ROOT, stdout=subprocess.PIPE,
                                  text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.2, 2.0))
        os.kill(writer.pid, signal.SIGKILL)
        printed = writer.stdout.read().split()
        writer.wait(timeout=60)
        confirmed = int(printed[-1]) if printed else 0  # reviews the writer saw committed in this run
        before, before_version = reviews0, version0
        wal = work.with_name(work.name + ".wal")
        size = wal.stat().st_size if wal.exists() else 0
        for cut in sorted(rng.sample(range(size), min(torn_copies, size))):
            torn = tmp_path / "torn.duckdb"
            shutil.copy(work, torn)
            shutil.copy(wal, torn.with_name(torn.name + ".wal"))
            with torn.with_name(torn.name + ".wal").open("r+b") as fh:
                fh.truncate(cut)
            reviews, version, ok = _reviews(torn)
            assert ok, f"a WAL cut at byte {cut} of {size} left a damaged database"
            assert reviews - before == version - before_version, "a review without its data-version bump"
            assert reviews - before <= confirmed + 1
            checked += 1
            for leftover in (torn, torn.with_name(torn.name + ".wal")):
                leftover.unlink(missing_ok=True)
        reviews0, version0, ok = _reviews(work)  # the whole log: every confirmed review is there
        assert ok and reviews0 - before in (confirmed, confirmed + 1)
        assert version0 - before_version == reviews0 - before
    figures(review_writer_kills=cuts, kills_survived=cuts, torn_wal_copies_checked=checked,
            reviews_written=reviews0, seed=seed)


def test_power_cut_while_writing_reviews(tmp_path, demo_db_template, figures):
    run_review_power_cuts(tmp_path, demo_db_template, cuts=1, torn_copies=5, seed=3, figures=figures)


@pytest.mark.soak
def test_power_cuts_while_writing_reviews_soak(tmp_path, demo_db_template, figures):
    run_review_power_cuts(tmp_path, demo_db_template, cuts=10, torn_copies=10, seed=5, figures=figures)
