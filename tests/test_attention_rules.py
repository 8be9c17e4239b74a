"""The attention rules on a small hand-written clinic: each fires exactly where it should, not on its neighbours.

Every client below is built so that, with the default thresholds and as of 2026-03-31 (the newest session),
the flags in EXPECTED are the only ones raised; the neighbours sit just on the other side of a threshold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from attune import attention, ingest, settings
from attune.filters import Filters
from tests import hand_clinic

AS_OF = date(2026, 3, 31)
ITEMS = tuple[float, float, float, float]
# client: (therapist, [(day in 2026, status, SRS total or its four items or None, ORS total or None)])
# status: A attended, N no-show, L late cancellation, X cancelled in good time, K cancelled by the clinician
CLINIC: dict[str, tuple[str, list[tuple[str, str, float | ITEMS | None, float | None]]]] = {
    "C_LOW": ("T1", [("03-10", "A", 36.5, None), ("03-17", "A", 36.0, None), ("03-24", "A", 35.5, None)]),
    "C_AT36": ("T1", [("03-10", "A", 37.0, None), ("03-17", "A", 36.5, None), ("03-24", "A", (10, 9, 9, 8), None)]),
    "C_ITEM": ("T1", [("03-10", "A", 37.0, None), ("03-17", "A", 37.0, None),
                      ("03-24", "A", (9.5, 9.5, 9.8, 7.7), None)]),
    "C_DROP2": ("T1", [("03-10", "A", 38.0, None), ("03-17", "A", 38.0, None), ("03-24", "A", 36.0, None)]),
    "C_DROP1": ("T1", [("03-10", "A", 38.0, None), ("03-17", "A", 38.0, None), ("03-24", "A", 37.0, None)]),
    "C_AVG": ("T1", [("02-24", "A", 40.0, None), ("03-03", "A", 40.0, None), ("03-10", "A", 40.0, None),
                     ("03-17", "A", 37.6, None), ("03-24", "A", 37.0, None)]),
    "C_EARLY": ("T1", [("03-17", "A", 33.0, None), ("03-24", "A", 37.0, None)]),
    "C_EARLY_PAST": ("T1", [("03-03", "A", 33.0, None), ("03-10", "A", 37.0, None), ("03-17", "A", 37.0, None),
                            ("03-24", "A", 37.0, None)]),
    "C_NOFB": ("T1", [("03-03", "A", 37.0, None), ("03-10", "A", 37.0, None), ("03-17", "A", None, None),
                      ("03-24", "A", None, None), ("03-31", "A", None, None)]),
    "C_NOFB2": ("T1", [("03-10", "A", 37.0, None), ("03-24", "A", None, None), ("03-31", "A", None, None)]),
    "C_MISS2": ("T1", [("03-03", "A", 37.0, None), ("03-10", "A", 37.0, None), ("03-17", "N", None, None),
                       ("03-24", "X", None, None), ("03-31", "L", None, None)]),
    "C_MISS1": ("T1", [("03-10", "A", 37.0, None), ("03-17", "A", 37.0, None), ("03-24", "N", None, None),
                       ("03-31", "K", None, None)]),
    "C_QUIET": ("T1", [("02-24", "A", 37.0, None), ("03-03", "A", 37.0, None), ("03-10", "X", None, None)]),
    "C_YESTERDAY": ("T1", [("03-23", "A", 37.5, None), ("03-30", "A", 37.5, None)]),
    "C_ENDED": ("T1", [("02-24", "A", 37.0, None), ("03-03", "A", 37.0, None)]),
    "C_OLD": ("T1", [("02-10", "A", 30.0, None)]),
    "C_SWITCH": ("T2", [("03-24", "A", 37.0, None), ("03-31", "A", 37.0, None)]),
    "C_SWITCH_OLD": ("T2", [("03-24", "A", 37.0, None), ("03-31", "A", 37.0, None)]),
    "C_ORS": ("T1", [(d, "A", 37.0, o) for d, o in zip(["02-17", "02-24", "03-03", "03-10", "03-17", "03-24"],
                                                       [18, 19, 20, 20, 21, 22], strict=True)]),
    "C_ORS_OK": ("T1", [(d, "A", 37.0, o) for d, o in zip(["02-17", "02-24", "03-03", "03-10", "03-17", "03-24"],
                                                          [18, 19, 20, 21, 22, 23], strict=True)]),
    "C_ORS_HIGH": ("T1", [(d, "A", 37.0, o) for d, o in zip(["02-17", "02-24", "03-03", "03-10", "03-17", "03-24"],
                                                            [28, 28, 28, 28, 28, 29], strict=True)]),
}
EXPECTED = {
    "C_LOW": {"low_srs", "rupture"}, "C_ITEM": {"low_srs"}, "C_DROP2": {"srs_drop", "rupture"}, "C_AVG": {"srs_drop"},
    "C_EARLY": {"early_low"}, "C_NOFB": {"no_feedback"}, "C_MISS2": {"missed_sessions"}, "C_QUIET": {"gone_quiet"},
    "C_SWITCH": {"switch_request"}, "C_ORS": {"ors_flat"},
}
NOT_ACTIVE = {"C_ENDED", "C_OLD"}
STATUS = {"A": "attended", "N": "no_show", "L": "late_cancel", "X": "cancelled", "K": "clinician_cancel"}


def clinic_files(write_csv) -> list:
    sessions, feedback = ["session_id,client_id,therapist_id,scheduled_at,status,session_number"], [
        "session_id,srs_relationship,srs_goals,srs_approach,srs_overall,srs_total,ors_total"]
    n = 0
    for client, (therapist, visits) in CLINIC.items():
        for number, (day, status, srs, ors) in enumerate(visits, start=1):
            n += 1
            sessions.append(f"S{n:03d},{client},{therapist},2026-{day} 10:00,{STATUS[status]},{number}")
            if srs is None and ors is None:
                continue
            items = ",".join(f"{v:g}" for v in srs) + "," if isinstance(srs, tuple) else ",,,,"
            total = "" if srs is None or isinstance(srs, tuple) else f"{srs:g}"
            feedback.append(f"S{n:03d},{items}{total},{'' if ors is None else ors}")
    return [
        write_csv("therapists.csv", "therapist_id,name,supervisor,site\nT1,Ada Byrne,North team,North\n"
                                    "T2,Bo Chen,South team,South"),
        write_csv("sessions.csv", "\n".join(sessions)),
        write_csv("feedback.csv", "\n".join(feedback)),
        write_csv("episodes.csv", "client_id,therapist_id,start_date,end_date,end_reason\n"
                                  "C_ENDED,T1,2026-02-24,2026-03-20,planned"),
        write_csv("switch_requests.csv", "request_id,client_id,from_therapist_id,to_therapist_id,requested_at,"
                                         "reason,status\n"
                                         "R1,C_SWITCH,T2,,2026-03-30,Would prefer a more structured approach,open\n"
                                         "R2,C_SWITCH_OLD,T2,T1,2026-01-10,Times did not fit,completed"),
    ]


def import_clinic(con, folder: Path) -> None:
    for path in clinic_files(hand_clinic.csv_writer(folder)):
        report = ingest.import_file(con, path)
        assert report.status == "imported", report.summary + str([p.describe() for p in report.problems])


@pytest.fixture
def clinic(built_copy):
    return built_copy(import_clinic)


def kinds_by_client(frame: pl.DataFrame) -> dict[str, set[str]]:
    return {c: set(k) for c, k in frame.group_by("client_id").agg(pl.col("flag_kind")).iter_rows()}


def test_each_rule_fires_exactly_where_it_should(clinic):
    assert attention.latest_day(clinic) == AS_OF
    raised = attention.flags(clinic, AS_OF, settings.defaults())
    assert kinds_by_client(raised) == EXPECTED
    assert raised.columns == ["client_id", "therapist_id", "flag_kind", "reason", "severity", "flagged_on"]


def test_active_relationships_exclude_ended_and_old(clinic):
    active = attention.relationships(clinic, AS_OF, settings.defaults())
    assert set(active["client_id"]) == set(CLINIC) - NOT_ACTIVE


def test_reasons_and_severities_in_plain_words(clinic):
    raised = attention.flags(clinic, AS_OF, settings.defaults())
    by = {(r["client_id"], r["flag_kind"]): r for r in raised.iter_rows(named=True)}
    assert by["C_LOW", "low_srs"]["reason"] == "Latest SRS 35.5 on 2026-03-24, below 36."
    assert by["C_LOW", "low_srs"]["severity"] == 2
    assert by["C_ITEM", "low_srs"]["reason"] == ("Latest SRS 36.5 on 2026-03-24 is not below 36, but an item is "
                                                 "below 8: overall 7.7.")
    assert by["C_ITEM", "low_srs"]["severity"] == 1
    assert by["C_DROP2", "srs_drop"]["reason"] == (
        "SRS fell 2.0 points from the previous rating: 38.0 to 36.0 on 2026-03-24.")
    assert by["C_DROP2", "rupture"]["reason"] == (
        "Rupture on 2026-03-24: SRS 38.0 → 36.0, not yet repaired (no rating since).")
    assert by["C_LOW", "rupture"]["reason"] == (  # not a drop of 2, but below the cutoff after a rating at it
        "Rupture on 2026-03-24: SRS 36.0 → 35.5, not yet repaired (no rating since).")
    assert by["C_LOW", "rupture"]["severity"] == 1  # the same rating already raised low_srs
    assert by["C_AVG", "srs_drop"]["reason"] == ("SRS 37.0 on 2026-03-24 is 2.4 points below the client's own "
                                                 "average of 39.4 (4 earlier ratings).")
    assert by["C_EARLY", "early_low"]["reason"].startswith("Low alliance early: mean SRS 35.0 over the first 2")
    assert by["C_EARLY", "early_low"]["severity"] == 3
    assert by["C_NOFB", "no_feedback"]["reason"] == "No SRS at the last 3 attended sessions (since 2026-03-17)."
    assert by["C_MISS2", "missed_sessions"]["reason"] == (
        "Missed the last 2 sessions in a row (1 no-show, 1 late cancellation), latest on 2026-03-31.")
    assert by["C_QUIET", "gone_quiet"]["reason"] == (
        "No attended session for 28 days (last on 2026-03-03), and no ending recorded.")
    assert by["C_QUIET", "gone_quiet"]["flagged_on"] == date(2026, 3, 25)
    assert by["C_SWITCH", "switch_request"]["reason"] == (
        'Asked to change therapist on 2026-03-30 (open): "Would prefer a more structured approach"')
    assert by["C_SWITCH", "switch_request"]["severity"] == 3
    assert by["C_ORS", "ors_flat"]["reason"] == (
        "ORS +4.0 points in 6 sessions (18.0 to 22.0), short of the reliable change of 5.")


def test_drop_of_exactly_k_fires_and_twice_k_is_high(clinic):
    values = {**settings.defaults(), "srs_drop": 1}
    raised = attention.flags(clinic, AS_OF, values, kinds=("srs_drop",))
    assert dict(raised.select("client_id", "severity").iter_rows()) == {"C_DROP1": 2, "C_DROP2": 3, "C_AVG": 3}


def test_thresholds_move_the_line(clinic):
    values = {**settings.defaults(), "srs_cutoff": 37.5, "gap_days": 28, "missed_in_row": 1, "ors_change": 4}
    got = kinds_by_client(attention.flags(clinic, AS_OF, values))
    assert "gone_quiet" not in got.get("C_QUIET", set())  # 28 days is no longer more than the gap
    assert "missed_sessions" in got["C_MISS1"]
    assert "ors_flat" not in got.get("C_ORS", set())
    assert "low_srs" in got["C_AT36"] and "low_srs" in got["C_DROP1"]  # 36.0 and 37.0 now below 37.5


def test_rules_look_only_at_data_up_to_as_of(clinic):
    earlier = kinds_by_client(attention.flags(clinic, date(2026, 3, 24), settings.defaults()))
    assert "C_SWITCH" not in earlier  # the request came on 03-30
    assert "C_MISS2" not in earlier  # on 03-24 only one session had been missed (the cancellation is skipped)
    assert "C_NOFB" not in earlier  # two unrated sessions so far


def test_filters_scope_the_list(clinic):
    only_t2 = Filters(AS_OF, AS_OF, therapist_ids=("T2",))
    assert set(attention.flags(clinic, AS_OF, settings.defaults(), only_t2)["client_id"]) == {"C_SWITCH"}
    south = Filters(AS_OF, AS_OF, supervisors=("South team",))
    assert set(attention.relationships(clinic, AS_OF, settings.defaults(), south)["client_id"]) == {
        "C_SWITCH", "C_SWITCH_OLD"}
    hidden = Filters(AS_OF, AS_OF, visible_therapists=("T1",))
    assert "C_SWITCH" not in set(attention.flags(clinic, AS_OF, settings.defaults(), hidden)["client_id"])


def test_priority_order(clinic):
    listed = attention.weekly_list(clinic, AS_OF, settings.defaults())
    assert listed["client_id"].to_list() == ["C_SWITCH", "C_EARLY", "C_DROP2", "C_LOW", "C_MISS2", "C_QUIET",
                                             "C_AVG", "C_NOFB", "C_ITEM", "C_ORS"]
    assert listed["rank"].to_list() == list(range(1, 11))
    top = listed.row(0, named=True)
    assert (top["priority"], top["sessions_attended"], top["latest_srs"], top["days_since_attended"]) == (
        3, 2, 37.0, 0)
    grouped = attention.by_therapist(listed)
    assert grouped["therapist_id"].to_list() == ["T2"] + ["T1"] * 9


def test_preview_counts_per_rule(clinic):
    preview = attention.preview(clinic, AS_OF, {**settings.defaults(), "srs_drop": 1})
    counts = dict(preview.select("flag_kind", "flagged").iter_rows())
    assert counts == {"early_low": 1, "low_srs": 2, "srs_drop": 3, "rupture": 2, "switch_request": 1,
                      "missed_sessions": 1, "gone_quiet": 1, "no_feedback": 1, "ors_flat": 1, "any": 11}
    assert preview["active"].unique().to_list() == [19]
    assert preview.filter(pl.col("flag_kind") == "any")["share"][0] == pytest.approx(11 / 19)


def test_no_feedback_silent_without_any_feedback(con, write_csv):
    path = write_csv("s.csv", "session_id,client_id,therapist_id,scheduled_at,status\n"
                              + "\n".join(f"S{i},C1,T1,2026-03-{10 + i} 10:00,attended" for i in range(4)))
    ingest.import_file(con, path)
    assert attention.flags(con, date(2026, 3, 13), settings.defaults()).is_empty()


def test_settings_saved_and_validated(clinic):
    assert settings.load(clinic) == settings.defaults()
    settings.save(clinic, {"srs_cutoff": 35.5, "gap_days": 28, "srs_drop": 2}, updated_by="lead")
    loaded = settings.load(clinic)
    assert (loaded["srs_cutoff"], loaded["gap_days"], loaded["srs_drop"]) == (35.5, 28, 2)
    stored = clinic.sql("SELECT key, updated_by FROM settings ORDER BY key").fetchall()
    assert stored == [("gap_days", "lead"), ("srs_cutoff", "lead")]  # a default is not stored
    with pytest.raises(settings.SettingsError, match="between 0 and 40"):
        settings.save(clinic, {"srs_cutoff": 41})
    with pytest.raises(settings.SettingsError, match="whole number"):
        settings.save(clinic, {"gap_days": 21.5})
    settings.save(clinic, {"srs_cutoff": 36})
    assert settings.load(clinic)["srs_cutoff"] == 36.0


def test_every_threshold_has_a_meaning_and_a_source():
    for threshold in settings.THRESHOLDS:
        assert threshold.low <= threshold.default <= threshold.high
        assert len(threshold.meaning) > 30 and len(threshold.source) > 30
        assert set(threshold.rules) <= {r.kind for r in attention.RULES} | {"*"}


def listed_clients(con, as_of: date = AS_OF) -> list[str]:
    return attention.weekly_list(con, as_of, settings.defaults())["client_id"].to_list()


def test_discussed_leaves_the_list_until_new_data(clinic, write_csv):
    attention.mark_discussed(clinic, "C_LOW", "T1", as_of=AS_OF, note="Talk about pace", reviewed_by="Sam",
                             reasons=["Latest SRS 35.5 on 2026-03-24, below 36."])
    assert "C_LOW" not in listed_clients(clinic)
    shown = attention.weekly_list(clinic, AS_OF, settings.defaults(), include_discussed=True)
    row = shown.filter(pl.col("client_id") == "C_LOW").row(0, named=True)
    assert row["discussed"] and row["review_note"] == "Talk about pace"
    log = attention.client_reviews(clinic, "C_LOW")
    assert log.select("therapist_id", "reviewed_by", "note", "flags").row(0) == (
        "T1", "Sam", "Talk about pace", "Latest SRS 35.5 on 2026-03-24, below 36.")
    sessions = attention.client_sessions(clinic, "C_LOW", AS_OF)
    assert attention.sessions_view(sessions).columns[-1] == "Comment"
    assert "Comment" not in attention.sessions_view(sessions.drop("comment")).columns  # a role without comments
    shown_log = attention.reviews_view(log)
    assert shown_log.columns == ["Discussed", "Therapist", "By", "Note", "Follow up on", "Flags at the time"]
    assert shown_log.select("Therapist", "By", "Note").row(0) == (
        f"{log['therapist_name'][0]} (T1)", "Sam", "Talk about pace")

    # New data about another client, and the same export again, change nothing for C_LOW.
    other = write_csv("other.csv", "session_id,client_id,therapist_id,scheduled_at,status\n"
                                   "S900,C_YESTERDAY,T1,2026-03-31 09:00,attended")
    assert ingest.import_file(clinic, other).status == "imported"
    assert ingest.import_file(clinic, clinic_files(write_csv)[1]).status == "unchanged"
    assert "C_LOW" not in listed_clients(clinic)

    # A new low score for C_LOW brings it back, with the new reason.
    session = write_csv("new_session.csv", "session_id,client_id,therapist_id,scheduled_at,status\n"
                                           "S901,C_LOW,T1,2026-03-31 11:00,attended")
    score = write_csv("new_score.csv", "session_id,srs_total\nS901,33.0")
    assert ingest.import_file(clinic, session).status == "imported"
    assert ingest.import_file(clinic, score).status == "imported"
    assert "C_LOW" in listed_clients(clinic)
    reasons = attention.weekly_list(clinic, AS_OF, settings.defaults()).filter(
        pl.col("client_id") == "C_LOW")["reasons"][0].to_list()
    assert "Latest SRS 33.0 on 2026-03-31, below 36." in reasons


def test_discussed_returns_when_follow_up_arrives(clinic):
    attention.mark_discussed(clinic, "C_DROP2", "T1", as_of=AS_OF, follow_up=date(2026, 4, 7))
    assert "C_DROP2" not in listed_clients(clinic, date(2026, 4, 6))
    assert "C_DROP2" in listed_clients(clinic, date(2026, 4, 7))
    with pytest.raises(ValueError, match="after 2026-03-31"):
        attention.mark_discussed(clinic, "C_DROP2", "T1", as_of=AS_OF, follow_up=AS_OF)
    with pytest.raises(ValueError, match="no data about client C_NOBODY"):
        attention.mark_discussed(clinic, "C_NOBODY", "T1", as_of=AS_OF)


def test_review_log_survives_reconnecting(tmp_path, write_csv):
    from attune import db

    path = tmp_path / "clinic.duckdb"
    con = db.connect(path)
    for file in clinic_files(write_csv):
        ingest.import_file(con, file)
    attention.mark_discussed(con, "C_EARLY", "T1", as_of=AS_OF, note="Check in next week")
    con.close()
    again = db.connect(path)
    assert attention.client_reviews(again, "C_EARLY")["note"].to_list() == ["Check in next week"]
    assert "C_EARLY" not in listed_clients(again)
    again.close()


def test_client_history_and_timeline_chart(clinic):
    from attune import charts

    history = attention.client_sessions(clinic, "C_MISS2", AS_OF)
    assert history["status"].to_list() == ["attended", "attended", "no_show", "cancelled", "late_cancel"]
    assert history["srs_total"].to_list() == [37.0, 37.0, None, None, None]
    assert attention.client_sessions(clinic, "C_MISS2", AS_OF, visible=("T2",)).is_empty()

    low = attention.client_sessions(clinic, "C_LOW", AS_OF)
    switches = attention.client_switches(clinic, "C_SWITCH", AS_OF)
    assert switches.select("request_id", "status").row(0) == ("R1", "open")
    fig = charts.client_timeline(low, switches, srs_cutoff=36, as_of=AS_OF)
    srs = next(t for t in fig.data if t.name == "SRS total")
    assert list(srs.y) == [36.5, 36.0, 35.5]
    assert list(srs.marker.color) == [charts.BLUE, charts.BLUE, charts.FLAG]  # only the score below the cutoff
    assert {t.name for t in fig.data} >= {"Relationship", "Goals and topics", "Approach or method", "Overall",
                                          "Attended"}
    assert any(s.type == "line" and s.line.dash == "dot" for s in fig.layout.shapes)  # the request
    assert str(fig.layout.xaxis3.range[1]).startswith("2026-04-04")
