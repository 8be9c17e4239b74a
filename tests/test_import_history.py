"""Import history: batches, idempotent re-imports, updates, exact undo; saved mappings (profiles) and the
`attune import` command line (exit codes, --json, --mapping)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attune import batches, cli, ingest, profiles
from attune.contract import Constant

TABLES = ("therapists", "sessions", "feedback", "episodes", "switch_requests", "therapists_history",
          "sessions_history", "feedback_history", "episodes_history", "switch_requests_history", "meta")
HEADER = b"session_id,client_id,therapist_id,scheduled_at,status\n"
FIRST = HEADER + b"S1,C1,T1,2025-04-03 10:00,Show\nS2,C1,T1,2025-04-10 10:00,DNA\n"
# A newer export: S2's status corrected, S3 added, S1 as before.
SECOND = HEADER + (b"S1,C1,T1,2025-04-03 10:00,Show\nS2,C1,T1,2025-04-10 10:00,Late canceled\n"
                   b"S3,C2,T1,2025-04-11 9:00,Show\n")


def contents(con) -> dict[str, list[tuple]]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_batch_records_who_what_and_counts(con, tmp_path):
    report = ingest.import_file(con, write(tmp_path, "first.csv", FIRST), imported_by="ana@clinic")
    history = batches.list_batches(con)
    row = history.row(0, named=True)
    assert (row["batch_id"], row["kind"], row["file_name"], row["imported_by"]) == (
        report.batch_id, "sessions", "first.csv", "ana@clinic")
    assert row["file_hash"] == report.file_hash and len(row["file_hash"]) == 64
    assert (row["rows_read"], row["inserted"], row["updated"], row["unchanged"], row["rejected"]) == (2, 2, 0, 0, 0)


def test_reimporting_the_same_file_is_a_noop_that_says_so(con, tmp_path):
    path = write(tmp_path, "first.csv", FIRST)
    first = ingest.import_file(con, path)
    before = contents(con)
    again = ingest.import_file(con, path)
    assert contents(con) == before
    assert (again.status, again.batch_id, again.unchanged) == ("unchanged", None, 2)
    assert again.summary == ("first.csv (sessions): nothing changed: every row is already in the database. "
                             "2 rows read: 0 new, 0 updated, 2 unchanged, 0 rejected.")
    assert again.notes[0].startswith(f"This exact file was imported before (batch {first.batch_id}, ")
    assert batches.list_batches(con).height == 1


def test_newer_export_updates_and_undo_restores_exactly(con, tmp_path):
    ingest.import_file(con, write(tmp_path, "first.csv", FIRST))
    before = contents(con)
    report = ingest.import_file(con, write(tmp_path, "second.csv", SECOND))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    assert con.execute("SELECT status FROM sessions WHERE session_id = 'S2'").fetchall() == [("late_cancel",)]
    result = batches.undo_batch(con, report.batch_id, undone_by="ana")
    assert result == {"batch_id": report.batch_id, "removed": 1, "restored": 1}
    after = contents(con)
    # meta holds the data version, which every import and undo bumps; everything else is exactly as before.
    assert {k: v for k, v in after.items() if k != "meta"} == {k: v for k, v in before.items() if k != "meta"}
    undone = batches.list_batches(con).filter(batch_id=report.batch_id).row(0, named=True)
    assert undone["undone_by"] == "ana" and undone["undone_at"] is not None


def test_undo_refuses_twice_and_out_of_order(con, tmp_path):
    first = ingest.import_file(con, write(tmp_path, "first.csv", FIRST))
    second = ingest.import_file(con, write(tmp_path, "second.csv", SECOND))
    with pytest.raises(batches.UndoError, match=f"Batch {second.batch_id} later changed rows that batch "
                                                f"{first.batch_id} imported; undo batch {second.batch_id} first."):
        batches.undo_batch(con, first.batch_id)
    batches.undo_batch(con, second.batch_id)
    with pytest.raises(batches.UndoError, match=f"Batch {second.batch_id} was already undone"):
        batches.undo_batch(con, second.batch_id)
    with pytest.raises(batches.UndoError, match="There is no import batch 99."):
        batches.undo_batch(con, 99)
    batches.undo_batch(con, first.batch_id)
    assert con.execute("SELECT count(*) FROM sessions").fetchall() == [(0,)]


def test_undo_after_reimport_of_undone_file(con, tmp_path):
    path = write(tmp_path, "first.csv", FIRST)
    first = ingest.import_file(con, path)
    batches.undo_batch(con, first.batch_id)
    again = ingest.import_file(con, path)
    assert (again.status, again.inserted) == ("imported", 2)


def test_profile_round_trip_and_layout_match(tmp_path):
    labels = ("Ref", "Who", "By", "When", "Outcome", "Date", "Date (2)")
    mapping = {"session_id": 0, "client_id": 1, "therapist_id": 2, "scheduled_at": 3, "status": 4,
               "site": Constant("North")}
    profile = profiles.from_mapping("CarePractice appointments", "sessions", labels, mapping,
                                    {"status": {"kept": "attended", "tentative": "not_held"}}, "dmy")
    path = profiles.save(profile, tmp_path)
    assert path == tmp_path / "carepractice-appointments.toml"
    loaded = profiles.load(path)
    assert (loaded.name, loaded.kind, loaded.date_format) == ("CarePractice appointments", "sessions", "dmy")
    assert loaded.columns == {"session_id": "Ref", "client_id": "Who", "therapist_id": "By", "scheduled_at": "When",
                              "status": "Outcome"}
    assert loaded.constants == {"site": "North"}  # a word may also mean an appointment not held yet
    assert loaded.values == {"status": {"kept": "attended", "tentative": "not_held"}}
    # Same layout with other spacing/case: offered. Columns reordered: the mapping still resolves by name.
    assert profiles.find_matching([" ref", "WHO", "by", "when", "outcome", "date", "date"], tmp_path).name == \
        "CarePractice appointments"
    assert profiles.find_matching(["Ref", "Who"], tmp_path) is None
    assert loaded.mapping_for(["Outcome", "When", "By", "Who", "Ref"]) == {
        "session_id": 4, "client_id": 3, "therapist_id": 2, "scheduled_at": 1, "status": 0, "site": Constant("North")}
    with pytest.raises(profiles.ProfileError, match=r"expects the column Outcome, which this file does not"):
        loaded.mapping_for(["Ref", "Who", "By", "When"])


@pytest.mark.parametrize(("toml", "message"), [
    ('kind = "invoices"\n[columns]\n', "unknown kind 'invoices'"),
    ('kind = "sessions"\n[columns]\nbilling = "Code"\n', r"'billing' is not a column of sessions \(appointments\)"),
    ('kind = "sessions"\n[columns]\nstatus = "S"\n[values.status]\nkept = "present"\n',
     "'kept' is mapped to 'present', which is not one of attended, no_show"),
    ('kind = "sessions"\ndate_format = "ymd"\n', "date_format must be one of auto, iso, dmy, mdy"),
    ("kind = \n", "cannot be read"),
])
def test_bad_profiles_are_refused_with_the_reason(tmp_path, toml, message):
    path = write(tmp_path, "bad.toml", toml.encode())
    with pytest.raises(profiles.ProfileError, match=message):
        profiles.load(path)


FOREIGN = b"Ref;Who;By;When;Outcome\nR1;P1;T1;03/04/2025;Kept\nR2;P1;T1;04/04/2025;Walked out\n"


def _profile(tmp_path: Path) -> Path:
    profile = profiles.from_mapping("Care", "sessions", ("Ref", "Who", "By", "When", "Outcome"),
                                    {"session_id": 0, "client_id": 1, "therapist_id": 2, "scheduled_at": 3,
                                     "status": 4}, {"status": {"kept": "attended", "walked out": "late_cancel"}},
                                    "dmy")
    return profiles.save(profile, tmp_path / "profiles")


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


def test_cli_import_with_mapping_profile_and_json(tmp_path, capsys):
    db_file = str(tmp_path / "c.duckdb")
    data = write(tmp_path, "foreign.csv", FOREIGN)
    code, out = run_cli(capsys, "import", str(data), "--db", db_file, "--json")
    assert code == 2
    assert json.loads(out)["files"][0]["problems"][0]["message"].startswith("No recognisable columns")
    code, out = run_cli(capsys, "import", str(data), "--db", db_file, "--json", "--mapping", str(_profile(tmp_path)))
    summary = json.loads(out)
    assert code == 0 and summary["exit_code"] == 0
    report = summary["files"][0]
    assert {k: report[k] for k in ("batch_id", "kind", "rows_read", "inserted", "updated", "unchanged", "rejected",
                                   "problems")} == {
        "batch_id": 1, "kind": "sessions", "rows_read": 2, "inserted": 2, "updated": 0, "unchanged": 0,
        "rejected": 0, "problems": []}


def test_cli_exit_1_when_rows_rejected_and_rejects_file(tmp_path, capsys):
    db_file = str(tmp_path / "c.duckdb")
    data = write(tmp_path, "s.csv", HEADER + b"S1,C1,T1,2025-04-03 10:00,Show\nS2,C1,T1,2025-04-03 11:00,Nope\n")
    code, out = run_cli(capsys, "import", str(data), "--db", db_file, "--json")
    assert code == 1
    report = json.loads(out)["files"][0]
    assert (report["status"], report["rejected"], report["problems"][0]["line"]) == ("rejected", 1, 3)
    code, out = run_cli(capsys, "import", str(data), "--db", db_file, "--keep-valid", "--rejects", str(tmp_path))
    assert code == 1
    assert "s.csv (sessions): imported as batch 1. 2 rows read: 1 new, 0 updated, 0 unchanged, 1 rejected." in out
    assert "  line 3, column 'status': \"Nope\" is not a known status word" in out
    assert (tmp_path / "s-rejected.csv").read_text().splitlines()[0] == (
        "line,session_id,client_id,therapist_id,scheduled_at,status,reason")


def test_cli_exit_2_for_unreadable_and_undo(tmp_path, capsys):
    db_file = str(tmp_path / "c.duckdb")
    empty = write(tmp_path, "empty.csv", b"")
    good = write(tmp_path, "good.csv", FIRST)
    code, out = run_cli(capsys, "import", str(empty), str(good), "--db", db_file)
    assert code == 2
    assert "empty.csv: not imported. empty.csv is empty: there is nothing to import." in out
    assert "good.csv (sessions): imported as batch 1." in out
    code, out = run_cli(capsys, "undo", "1", "--db", db_file)
    assert (code, out.strip()) == (0, "Undid batch 1: removed 2 rows, restored 0.")
    assert run_cli(capsys, "import", str(tmp_path / "nope.csv"), "--db", db_file)[0] == 2


def test_cli_hints_a_matching_saved_profile(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATTUNE_PROFILES", str(tmp_path / "profiles"))
    path = _profile(tmp_path)
    code, out = run_cli(capsys, "import", str(write(tmp_path, "f.csv", FOREIGN)), "--db", str(tmp_path / "c.duckdb"))
    assert code == 2 and f"hint: the saved mapping 'Care' fits this file: --mapping {path}" in out
