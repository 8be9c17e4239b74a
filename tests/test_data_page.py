"""The Data page, run headlessly: uploads, detection, the mapping editor, ambiguous dates, saved mappings,
import results and undo from the history."""

from __future__ import annotations

import tempfile

import pytest
from conftest import app_test

from attune import db, profiles

PAGE = "pages/data.py"
ROSTER = b"therapist_id,name\nT1,Ann\nT2,Bob\n"
FOREIGN = b"Ref;Who;By;When;Outcome\nR1;C1;T1;2025-04-03 10:00;Kept\nR2;C2;T2;2025-04-04 10:00;Show\n"


@pytest.fixture(autouse=True)
def _profiles(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTUNE_PROFILES", str(tmp_path / "profiles"))


def widgets(at, kind: str, prefix: str) -> list:
    return [w for w in getattr(at, kind) if w.key and w.key.startswith(prefix)]


def upload(at, *files: tuple[str, bytes]):
    at.file_uploader(key="data_upload").set_value([(name, data, "text/csv") for name, data in files])
    at.run()
    assert not at.exception, at.exception
    return at


def query(db_path, sql: str) -> list[tuple]:
    """Read the database the page wrote (same settings as the app's connection, so DuckDB shares it)."""
    con = db.connect(db_path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def count(db_path, table: str) -> int:
    return query(db_path, f"SELECT count(*) FROM {table}")[0][0]


def test_empty_database_says_what_to_do(empty_db):
    at = app_test(PAGE)
    assert not at.exception
    texts = [i.value for i in at.info]
    assert any(t.startswith("Choose one or more export files to begin.") for t in texts)
    assert "No imports yet. Upload your clinic's exports above." in texts


def test_upload_detect_and_import(empty_db):
    at = upload(app_test(PAGE), ("roster.csv", ROSTER))
    assert [e.label for e in at.expander] == ["**roster.csv** — Therapist roster · UTF-8, comma-separated"]
    assert at.selectbox(key=widgets(at, "selectbox", "data_kind_")[0].key).value == "therapists"
    button = at.button(key="data_import")
    assert button.label == "Import 1 file" and not button.disabled
    button.click()
    at.run()
    assert not at.exception
    assert at.success[0].value == ("roster.csv (therapists): imported as batch 1. 2 rows read: 2 new, 0 updated, "
                                   "0 unchanged, 0 rejected.")
    assert count(empty_db, "therapists") == 2
    assert widgets(at, "button", "data_undo_") == [at.button(key="data_undo_1")]


def test_unrecognised_file_opens_the_mapping_editor_and_saves_a_profile(empty_db):
    at = upload(app_test(PAGE), ("care.csv", FOREIGN))
    assert at.button(key="data_import").disabled
    assert any("The column names were not recognised" in w.value for w in at.warning)
    kind = widgets(at, "selectbox", "data_kind_")[0]
    assert kind.value is None
    kind.set_value("sessions")
    at.run()
    editors = {w.key.rsplit("_", 1)[-1]: w for w in widgets(at, "selectbox", "data_map_")}
    assert editors["status"].value == 4  # "Outcome" is a known synonym
    assert any("Choose the columns that hold session_id, client_id, therapist_id, scheduled_at (required)." in w.value
               for w in at.warning)
    keys = [w.key for w in widgets(at, "selectbox", "data_map_")]
    for canonical, source in (("session_id", 0), ("client_id", 1), ("therapist_id", 2), ("scheduled_at", 3)):
        at.selectbox(key=next(k for k in keys if k.endswith(f"_{canonical}"))).set_value(source)
    at.run()
    assert not at.button(key="data_import").disabled
    widgets(at, "text_input", "data_profile_name_")[0].set_value("CarePractice")
    widgets(at, "button", "data_profile_save_")[0].click()
    at.run()
    saved = profiles.load(profiles.profiles_dir() / "carepractice.toml")
    assert saved.columns == {"session_id": "Ref", "client_id": "Who", "therapist_id": "By", "scheduled_at": "When",
                             "status": "Outcome"}
    at.button(key="data_import").click()
    at.run()
    assert at.success[0].value.startswith("care.csv (sessions): imported as batch 1. 2 rows read: 2 new")
    assert count(empty_db, "sessions") == 2


def test_saved_profile_is_offered_for_the_same_layout(empty_db):
    profiles.save(profiles.from_mapping("CarePractice", "sessions", ("Ref", "Who", "By", "When", "Outcome"), {
        "session_id": 0, "client_id": 1, "therapist_id": 2, "scheduled_at": 3, "status": 4}))
    at = upload(app_test(PAGE), ("care_may.csv", FOREIGN))
    toggle = widgets(at, "toggle", "data_use_profile_")[0]
    assert toggle.label.startswith("Use the saved mapping **CarePractice**") and toggle.value is True
    at.button(key="data_import").click()
    at.run()
    assert at.success[0].value.startswith("care_may.csv (sessions): imported as batch 1.")


def test_ambiguous_dates_must_be_chosen_and_unknown_words_mapped(empty_db):
    data = (b"appointment_id,patient_id,clinician,date_of_service,status\n"
            b"A1,C1,T1,03/04/2025,Walked out\nA2,C1,T1,05/04/2025,Show\n")
    at = upload(app_test(PAGE), ("pm.csv", data))
    assert at.button(key="data_import").disabled
    assert any("could be day/month/year or month/day/year" in w.value for w in at.warning)
    dates = widgets(at, "radio", "data_dates_")[0]
    assert dates.value is None
    assert dates.options == ["year-month-day (2025-04-03)", "day/month/year (03/04/2025 = 3 April)",
                             "month/day/year (04/03/2025 = 3 April)"]
    dates.set_value("dmy")
    word = next(w for w in widgets(at, "selectbox", "data_val_") if w.label == "Walked out (1 row)")
    assert word.value == "(reject these rows)" and word.options[-1] == "not_held"  # or: not held yet, left out
    word.set_value("late_cancel")
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert at.success[0].value.startswith("pm.csv (sessions): imported as batch 1. 2 rows read: 2 new")
    assert query(empty_db, "SELECT session_id, strftime(scheduled_at, '%Y-%m-%d'), status FROM sessions "
                           "ORDER BY 1") == [("A1", "2025-04-03", "late_cancel"), ("A2", "2025-04-05", "attended")]


def test_problems_listed_and_rejected_rows_downloadable(empty_db, tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    data = b"therapist_id,name,active\nT1,Ann,yes\nT2,Bob,perhaps\n"
    at = upload(app_test(PAGE), ("roster.csv", data))
    at.radio(key="data_on_problems").set_value("keep_valid")
    at.button(key="data_import").click()
    at.run()
    download = next(e for e in at.get("download_button") if e.proto.id.endswith("data_rejects_0"))
    assert download.proto.label == "Download the 1 rejected rows with their reasons (CSV)"
    assert not list(temp.glob("attune-rejects-*")), "the rejected rows are kept in the results, not on disk"
    assert at.warning[0].value == ("roster.csv (therapists): imported as batch 1. 2 rows read: 1 new, 0 updated, "
                                   "0 unchanged, 1 rejected.")
    problems = at.dataframe[-2].value  # the problems table (the history table comes last)
    assert problems[["line", "column", "value"]].values.tolist() == [[3, "active", "perhaps"]]
    assert count(empty_db, "therapists") == 1


def test_unreadable_upload_gets_a_message(empty_db):
    at = upload(app_test(PAGE), ("empty.csv", b""))
    assert at.error[0].value == "**empty.csv** cannot be imported. empty.csv is empty: there is nothing to import."
    assert at.button(key="data_import").disabled


def test_history_undo_with_confirmation(demo_db):
    at = app_test(PAGE)
    assert not at.exception
    assert len(widgets(at, "button", "data_undo_")) == 5
    before = count(demo_db, "switch_requests")
    assert before > 0
    at.button(key="data_undo_5").click()
    at.run()
    assert at.warning[0].value.startswith("Undo batch 5?")
    at.button(key="data_undo_confirm").click()
    at.run()
    assert not at.exception
    assert at.success[0].value.startswith(f"Undid batch 5: removed {before:,} rows, restored 0.")
    assert count(demo_db, "switch_requests") == 0
    assert len(widgets(at, "button", "data_undo_")) == 4


def test_xlsx_sheet_can_be_chosen(empty_db, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Read me"
    wb.active.append(["Appointments are on the next sheet."])
    sheet = wb.create_sheet("Appointments")
    sheet.append(["Appointment ID", "Patient ID", "Clinician", "Date of Service", "Status"])
    sheet.append(["A1", "P1", "T1", "2025-04-03", "Show"])
    wb.save(tmp_path / "report.xlsx")
    at = app_test(PAGE)
    at.file_uploader(key="data_upload").set_value(
        [("report.xlsx", (tmp_path / "report.xlsx").read_bytes(),
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    at.run()
    assert at.expander[0].label == "**report.xlsx** — not recognised · Excel sheet 'Read me'"
    widgets(at, "selectbox", "data_sheet_")[0].set_value("Appointments")
    at.run()
    assert at.expander[0].label == "**report.xlsx** — Sessions (appointments) · Excel sheet 'Appointments'"
    at.button(key="data_import").click()
    at.run()
    assert at.success[0].value.startswith("report.xlsx (sessions): imported as batch 1. 1 row read: 1 new")
    assert query(empty_db, "SELECT session_id, client_id, status, source_line FROM sessions") == [
        ("A1", "P1", "attended", 2)]
