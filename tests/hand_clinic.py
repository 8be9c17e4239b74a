"""Small hand-written clinics for the Attendance, Dropout and Fit & switches tests.

Each is a set of CSV exports imported through the real importer, so the tests exercise the same path as the
app. Expected values are worked out by hand in the tests that use them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from attune import ingest

ROSTER = """
therapist_id,name,supervisor,site,active
T1,Ann Archer,Alpha team,North,true
T2,Bo Berg,Beta team,Riverside,true
T3,Cy Chen,Beta team,Riverside,true
"""

# 2026-03-02 is a Monday. Counts per therapist, weekday, hour and session number are worked out in
# test_attendance.py.
ATTENDANCE_SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S01,C1,T1,2026-03-02 09:00,attended,1,North,Adult
S02,C1,T1,2026-03-09 09:00,no_show,2,North,Adult
S03,C1,T1,2026-03-16 09:00,no_show,3,North,Adult
S04,C1,T1,2026-03-23 09:00,late_cancel,4,North,Adult
S05,C1,T1,2026-03-30 09:00,cancelled,5,North,Adult
S06,C1,T1,2026-04-06 09:00,clinician_cancel,6,North,Adult
S07,C2,T1,2026-03-03 17:00,no_show,1,North,Adult
S08,C2,T1,2026-03-10 17:00,attended,2,North,Adult
S09,C2,T1,2026-03-17 17:00,clinician_cancel,3,North,Adult
S10,C2,T1,2026-03-24 17:00,clinician_cancel,4,North,Adult
S11,C3,T2,2026-03-04 10:00,attended,1,Riverside,Couples
S12,C3,T2,2026-03-11 10:00,attended,2,Riverside,Couples
S13,C3,T2,2026-03-18 10:00,no_show,3,Riverside,Couples
"""

# Episodes with an export: durations (attended sessions) and outcomes worked out in test_dropout.py.
DROPOUT_SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
D01,C1,T1,2026-01-05 10:00,attended,1,North,Adult
D02,C1,T1,2026-01-12 10:00,no_show,2,North,Adult
D03,C2,T1,2026-01-06 10:00,attended,1,North,Adult
D04,C2,T1,2026-01-13 10:00,attended,2,North,Adult
D05,C2,T1,2026-01-20 10:00,attended,3,North,Adult
D06,C2,T1,2026-01-27 10:00,attended,4,North,Adult
D07,C3,T1,2026-01-07 10:00,attended,1,North,Adult
D08,C3,T1,2026-01-14 10:00,attended,2,North,Adult
D09,C3,T1,2026-03-25 10:00,attended,3,North,Adult
D10,C4,T2,2026-01-08 10:00,attended,1,Riverside,Adult
D11,C4,T2,2026-01-15 10:00,attended,2,Riverside,Adult
D12,C4,T2,2026-01-22 10:00,attended,3,Riverside,Adult
D13,C4,T2,2026-01-29 10:00,no_show,4,Riverside,Adult
D14,C5,T2,2026-01-09 10:00,attended,1,Riverside,Adult
D15,C5,T2,2026-01-16 10:00,attended,2,Riverside,Adult
"""
DROPOUT_FEEDBACK = """
session_id,srs_total
D01,30
D03,38
D04,37
D05,39
D10,34
D11,36
D12,20
D14,38
D15,39
"""
DROPOUT_EPISODES = """
client_id,therapist_id,start_date,end_date,end_reason
C1,T1,2026-01-05,2026-02-20,dropout
C2,T1,2026-01-06,2026-03-10,planned
C3,T1,2026-01-07,,
C4,T2,2026-01-08,2026-03-01,dropout
C5,T2,2026-01-09,2026-02-15,switched
"""

# No episodes export: the gap rule (42 days) decides. The newest session is 2026-03-30. C5's last slot was
# booked twice (attended and no-show at the same time): attended wins, whatever the row order.
ESTIMATE_SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
G01,C1,T1,2026-01-05 10:00,attended,1,North,Adult
G02,C1,T1,2026-01-12 10:00,attended,2,North,Adult
G03,C1,T1,2026-01-19 10:00,no_show,3,North,Adult
G04,C2,T1,2026-01-06 10:00,attended,1,North,Adult
G05,C2,T1,2026-01-13 10:00,attended,2,North,Adult
G06,C2,T1,2026-01-20 10:00,attended,3,North,Adult
G07,C3,T2,2026-01-07 10:00,attended,1,Riverside,Adult
G08,C3,T2,2026-03-30 10:00,attended,2,Riverside,Adult
G09,C4,T2,2026-01-08 10:00,no_show,1,Riverside,Adult
G10,C5,T1,2026-01-05 10:00,attended,1,North,Adult
G11,C5,T1,2026-01-12 10:00,attended,2,North,Adult
G12,C5,T1,2026-01-12 10:00,no_show,3,North,Adult
"""

# Requests to change therapist; outcomes worked out in test_fit.py. No episodes export: the new therapist's
# episode is estimated (C1 with T2 is still running on 2026-03-30).
SWITCH_SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
W01,C1,T1,2026-01-05 10:00,attended,1,North,Adult
W02,C1,T1,2026-01-12 10:00,attended,2,North,Adult
W03,C1,T1,2026-01-19 10:00,attended,3,North,Adult
W04,C1,T1,2026-01-26 10:00,attended,4,North,Adult
W05,C1,T2,2026-02-05 10:00,attended,1,Riverside,Adult
W06,C1,T2,2026-02-12 10:00,attended,2,Riverside,Adult
W07,C1,T2,2026-02-19 10:00,attended,3,Riverside,Adult
W08,C1,T2,2026-02-26 10:00,attended,4,Riverside,Adult
W09,C2,T1,2026-02-03 10:00,attended,1,North,Adult
W10,C3,T2,2026-03-16 10:00,attended,1,Riverside,Adult
W11,C3,T2,2026-03-23 10:00,attended,2,Riverside,Adult
W12,C3,T2,2026-03-30 10:00,attended,3,Riverside,Adult
"""
SWITCH_FEEDBACK = """
session_id,srs_total
W01,30
W02,32
W03,34
W04,35
W05,36
W06,38
W07,37
W08,40
W09,36
W10,31
W11,30
"""
SWITCH_REQUESTS = """
request_id,client_id,from_therapist_id,to_therapist_id,requested_at,reason,status
R1,C1,T1,T2,2026-02-01,We just don't click,completed
R2,C2,T1,T3,2026-02-10,Need evening appointments,completed
R3,C3,T2,,2026-03-20,Would like a therapist who shares my cultural background,open
R4,C4,T2,T1,2026-01-15,I would prefer CBT,declined
R5,C5,T3,T1,2025-12-01,,completed
"""


def csv_writer(folder: Path) -> Callable[..., Path]:
    """Write a small CSV file from text into `folder` (dedented, exact bytes when given bytes)."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text("\n".join(line.strip() for line in content.strip().splitlines()) + "\n",
                            encoding=encoding)
        return path

    return _write


def load(con, directory: Path, **tables: str) -> None:
    """Import the given exports (name=csv text) through the importer, roster first."""
    directory.mkdir(parents=True, exist_ok=True)
    write = csv_writer(directory)
    for name, text in tables.items():
        report = ingest.import_file(con, write(f"{name}.csv", text))
        assert report.status == "imported", report.summary


def attendance_clinic(con, directory: Path) -> None:
    load(con, directory, therapists=ROSTER, sessions=ATTENDANCE_SESSIONS)


def dropout_clinic(con, directory: Path) -> None:
    load(con, directory, therapists=ROSTER, sessions=DROPOUT_SESSIONS, feedback=DROPOUT_FEEDBACK,
         episodes=DROPOUT_EPISODES)


def estimate_clinic(con, directory: Path) -> None:
    load(con, directory, therapists=ROSTER, sessions=ESTIMATE_SESSIONS)


def switch_clinic(con, directory: Path) -> None:
    load(con, directory, therapists=ROSTER, sessions=SWITCH_SESSIONS, feedback=SWITCH_FEEDBACK,
         switch_requests=SWITCH_REQUESTS)
