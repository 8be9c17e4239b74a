"""Derived tables: rating_facts always holds what the ratings view would return, after every import and undo."""

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from attune import batches, db, derived, ingest, therapists
from attune.filters import Filters

SESSIONS = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S1,C1,T1,2025-01-06 09:00,attended,1,North,Adult
S2,C1,T1,2025-01-13 09:00,attended,2,North,Adult
S3,C2,T2,2025-01-14 10:00,attended,1,Riverside,Couples
"""
FEEDBACK = """
session_id,srs_relationship,srs_goals,srs_approach,srs_overall
S1,9.0,9.0,9.0,9.0
S2,8.0,8.5,9.0,8.5
S3,10.0,9.5,9.5,9.0
"""


def facts(con) -> list[tuple]:
    return con.execute("SELECT session_id, therapist_id, rated_at, site, srs_total FROM rating_facts "
                       "ORDER BY session_id").fetchall()


def view(con) -> list[tuple]:
    return con.execute("SELECT session_id, therapist_id, rated_at, site, srs_total FROM ratings "
                       "ORDER BY session_id").fetchall()


def test_rating_facts_follow_imports_updates_and_undo(con, write_csv):
    assert facts(con) == []
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK))
    assert [(r[0], r[4]) for r in facts(con)] == [("S1", 36.0), ("S2", 34.0), ("S3", 38.0)]
    assert facts(con) == view(con)

    # A newer sessions export moves S2 to another therapist and site: the rating moves with it.
    moved = SESSIONS.replace("S2,C1,T1,2025-01-13 09:00,attended,2,North",
                             "S2,C1,T2,2025-01-13 09:00,attended,2,Riverside")
    update = ingest.import_file(con, write_csv("sessions_v2.csv", moved))
    assert update.updated == 1
    assert facts(con)[1][1:4:2] == ("T2", "Riverside")
    assert facts(con) == view(con)

    batches.undo_batch(con, update.batch_id)
    assert facts(con)[1][1:4:2] == ("T1", "North")
    assert facts(con) == view(con)


def combos(con) -> tuple[list[tuple], list[tuple]]:
    """session_combos as stored, and as found afresh in the sessions."""
    return tuple(con.execute(f"SELECT therapist_id, site, service FROM {source} ORDER BY ALL").fetchall()
                 for source in ("session_combos", "(SELECT DISTINCT therapist_id, site, service FROM sessions)"))


def test_session_combos_follow_sessions_imports_updates_and_undo(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    stored, fresh = combos(con)
    assert stored == fresh == [("T1", "North", "Adult"), ("T2", "Riverside", "Couples")]
    moved = SESSIONS.replace("S2,C1,T1,2025-01-13 09:00,attended,2,North,Adult",
                             "S2,C1,T3,2025-01-13 09:00,attended,2,,Adult")
    update = ingest.import_file(con, write_csv("sessions_v2.csv", moved))
    stored, fresh = combos(con)
    assert stored == fresh and ("T3", None, "Adult") in stored
    assert "T3" in db.run_query(con, "filter_options", {"visible": None})["therapist_id"].to_list()
    batches.undo_batch(con, update.batch_id)
    stored, fresh = combos(con)
    assert stored == fresh and all(t != "T3" for t, _, _ in stored)


def test_scoped_ratings_reads_the_facts_with_the_filters(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK))
    params = Filters(date(2025, 1, 7), date(2025, 1, 31), therapist_ids=("T1",)).params()
    rows = con.execute("SELECT session_id, srs_total FROM scoped_ratings($start_date, $end_date, $therapist_ids, "
                       "$supervisors, $sites, $services, $visible)",
                       {k: params[k] for k in ("start_date", "end_date", "therapist_ids", "supervisors", "sites",
                                               "services", "visible")}).fetchall()
    assert rows == [("S2", 34.0)]  # S1 is before the range, S3 is T2's


def test_a_bump_without_new_imports_does_not_rebuild(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    assert derived.is_fresh(con)
    assert derived.refresh(con) == []  # e.g. a review note bumped the version: nothing to rebuild
    db.bump_data_version(con)
    assert derived.refresh(con) == []
    assert derived.refresh(con, force=True) == list(derived.TABLES)


def test_an_older_database_gets_its_facts_when_opened(tmp_path, write_csv):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK))
    con.execute("DROP TABLE rating_facts")  # as written before rating_facts existed
    con.close()
    con = db.connect(path)
    assert len(facts(con)) == 3 and facts(con) == view(con)
    con.close()


def test_a_missing_table_is_stale_though_an_attached_copy_holds_one(con, write_csv, tmp_path):
    """A backup attaches its copy beside the database: its rating_facts must not stand in for a missing one."""
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    con.execute(f"ATTACH '{tmp_path / 'copy.duckdb'}' AS copy")
    con.execute("CREATE TABLE copy.rating_facts AS SELECT * FROM rating_facts")
    con.execute("DROP TABLE rating_facts")
    assert "rating_facts" not in derived.fresh_tables(con)
    assert derived.refresh(con) == ["rating_facts"]
    con.execute("DETACH copy")


def test_attention_ratings_order_equals_sorting_every_rating(demo_db):
    """seq/rev come from rating_facts.srs_seq and a count; they must equal numbering the ratings afresh."""
    con = db.connect(demo_db)
    for as_of in (date(2026, 11, 20), date(2026, 6, 30)):
        fresh = con.execute("""
            SELECT feedback_key,
                   row_number() OVER (PARTITION BY client_id, therapist_id ORDER BY rated_at, feedback_key) AS seq,
                   row_number() OVER (PARTITION BY client_id, therapist_id
                                      ORDER BY rated_at DESC, feedback_key DESC) AS rev
            FROM ratings WHERE srs_total IS NOT NULL AND rated_at < $as_of::DATE + INTERVAL 1 DAY
            ORDER BY feedback_key""", {"as_of": as_of}).fetchall()
        stored = con.execute("SELECT feedback_key, seq, rev FROM attention_ratings($as_of) ORDER BY feedback_key",
                             {"as_of": as_of}).fetchall()
        assert stored == fresh and len(fresh) > 1000
    con.close()


def test_stored_places_equal_numbering_every_rating_afresh(demo_db):
    con = db.connect(demo_db)
    fresh = con.execute("""
        SELECT feedback_key, feedback_batch,
               row_number() OVER (PARTITION BY client_id, therapist_id ORDER BY rated_at, feedback_key) AS seq,
               row_number() OVER (PARTITION BY client_id, therapist_id ORDER BY rated_at DESC, feedback_key DESC)
        FROM ratings WHERE srs_total IS NOT NULL ORDER BY feedback_key""").fetchall()
    stored = con.execute("""SELECT feedback_key, feedback_batch, srs_seq, srs_rev FROM rating_facts
                            WHERE srs_total IS NOT NULL ORDER BY feedback_key""").fetchall()
    batch_of = dict(con.execute("SELECT feedback_key, batch_id FROM feedback").fetchall())
    con.close()
    assert stored == fresh and len(fresh) > 1000
    assert {key: batch for key, batch, _seq, _rev in stored}.items() <= batch_of.items()


def test_stored_previous_rating_equals_looking_it_up(demo_db):
    """rupture_events reads each rating's previous SRS from rating_facts.srs_prev instead of sorting again."""
    con = db.connect(demo_db)
    fresh = con.execute("""
        SELECT feedback_key, lag(round(srs_total, 1)) OVER (PARTITION BY client_id, therapist_id
                                                            ORDER BY rated_at, feedback_key)
        FROM ratings WHERE srs_total IS NOT NULL ORDER BY feedback_key""").fetchall()
    stored = con.execute("SELECT feedback_key, srs_prev FROM rating_facts WHERE srs_total IS NOT NULL "
                         "ORDER BY feedback_key").fetchall()
    assert stored == fresh and sum(prev is not None for _, prev in fresh) > 1000
    con.close()


def test_attention_pairs_equal_aggregating_every_pair(demo_db):
    """Only candidate pairs are aggregated; the result must equal aggregating all of them and then filtering."""
    con = db.connect(demo_db)
    for as_of in (date(2026, 11, 20), date(2026, 6, 30)):
        params = {"as_of": as_of, "days": 42.0}
        every = con.execute("""
            WITH booked AS (
                SELECT client_id, therapist_id, count(*) FILTER (WHERE status = 'attended') AS n,
                       max(scheduled_at) AS last_booked
                FROM sessions WHERE scheduled_at < $as_of::DATE + INTERVAL 1 DAY GROUP BY ALL),
            open_request AS (SELECT DISTINCT client_id, from_therapist_id AS therapist_id FROM switch_requests
                             WHERE status = 'open' AND requested_at <= $as_of::DATE),
            ended AS (SELECT client_id, therapist_id, arg_max_null(end_date, start_date) AS end_date FROM episodes
                      WHERE start_date <= $as_of::DATE GROUP BY ALL)
            SELECT b.client_id, b.therapist_id, b.n FROM booked b
            LEFT JOIN ended e USING (client_id, therapist_id) LEFT JOIN open_request o USING (client_id, therapist_id)
            WHERE ($as_of::DATE - b.last_booked::DATE <= $days AND (e.end_date IS NULL OR e.end_date > $as_of::DATE))
               OR o.client_id IS NOT NULL
            ORDER BY ALL""", params).fetchall()
        pairs = con.execute("""SELECT client_id, therapist_id, sessions_attended
            FROM attention_pairs($as_of, $days, [], [], [], [], NULL) ORDER BY ALL""", params).fetchall()
        assert pairs == every and len(every) > 50
    con.close()


TIED = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S1,C1,T1,2025-01-06 09:00,attended,1,North,Adult
S0,C1,T1,2025-01-06 09:00,attended,1,North,Adult
S2,C1,T1,2025-01-13 09:00,attended,2,North,Adult
S9,C1,T1,2025-01-20 09:00,attended,3,North,Adult
S8,C1,T1,2025-01-20 09:00,attended,3,North,Adult
"""
TIED_FEEDBACK = """
session_id,srs_relationship,srs_goals,srs_approach,srs_overall,ors_individual,ors_interpersonal,ors_social,ors_overall
S1,9,9,9,9,5,5,5,5
S0,9,9,9,9,4,4,4,4
S2,9,9,9,9,6,6,6,6
S9,9,9,9,9,8,8,8,8
S8,9,9,9,9,7,7,7,7
"""


def test_rating_facts_rowid_is_time_then_feedback_key_order(con, write_csv, demo_db):
    """Queries take a relationship's earliest and latest rating by rowid (refresh_rating_facts.sql); ratings at
    the same time must still come in feedback-key order, after every rebuild."""
    ingest.import_file(con, write_csv("sessions.csv", TIED))
    ingest.import_file(con, write_csv("feedback.csv", TIED_FEEDBACK))
    for database in (con, db.connect(demo_db)):
        by_rowid = database.execute("SELECT feedback_key FROM rating_facts ORDER BY rowid").fetchall()
        by_time = database.execute("SELECT feedback_key FROM rating_facts ORDER BY rated_at, feedback_key").fetchall()
        assert by_rowid == by_time and len(by_time) >= 5
    # the ties decide: S0 sorts before S1 at 09:00 on the 6th, S8 before S9 on the 20th
    outcome = db.run_query(con, "therapist_ors_clients", Filters(date(2025, 1, 1), date(2025, 1, 31)).params())
    assert outcome.select("intake_ors", "latest_ors", "ors_ratings").row(0) == (16.0, 32.0, 5)
    current = db.run_query(con, "therapist_clients", {"therapist_id": "T1", "as_of": date(2025, 1, 21),
                                                      "active_days": 60, "visible": None})
    assert current.select("intake_ors", "latest_ors").row(0) == (16.0, 32.0)


def test_ors_outcomes_equal_ordering_by_time_and_key(demo_db):
    """therapist_ors_clients orders by rowid; the answer must be the one ordering by (rated_at, feedback_key) gives."""
    con = db.connect(demo_db)
    params = Filters(date(2025, 1, 1), date(2026, 6, 30)).params()
    got = db.run_query(con, "therapist_ors_clients", params).sort("therapist_id", "client_id")
    expected = con.execute("""
        SELECT therapist_id, client_id, arg_min(ors_total, (rated_at, feedback_key)) AS intake_ors,
               arg_max(ors_total, (rated_at, feedback_key)) AS latest_ors
        FROM ratings WHERE ors_total IS NOT NULL AND rated_at < DATE '2026-07-01'
        GROUP BY ALL HAVING count(*) >= 2 ORDER BY ALL""").fetchall()
    scoped = {(t, c) for t, c in got.select("therapist_id", "client_id").iter_rows()}
    assert got.select("therapist_id", "client_id", "intake_ors", "latest_ors").rows() == [
        row for row in expected if (row[0], row[1]) in scoped]
    assert len(scoped) > 100
    con.close()


def test_stored_ors_pairs_answer_periods_ending_at_the_newest_rating(demo_db):
    """therapist_ors_pairs (the stored all-time pairs) must give what grouping the ratings live gives, whenever the
    period ends at or after the newest rating; an earlier end is grouped live."""
    con = db.connect(demo_db)
    newest = con.execute("SELECT max(rated_at)::DATE FROM rating_facts").fetchall()[0][0]
    team, *some = con.execute("SELECT min(supervisor), min(therapist_id), max(therapist_id) "
                              "FROM therapists").fetchall()[0]
    recent = newest - timedelta(weeks=12)
    heights = []
    scopes = (Filters(recent, newest), Filters(date(2020, 1, 1), newest + timedelta(days=30)),
              Filters(newest - timedelta(weeks=26), newest, sites=("North",)),
              Filters(recent, newest, services=("Adult counselling",)),
              Filters(recent, newest, supervisors=(team,)), Filters(recent, newest, therapist_ids=tuple(some)),
              Filters(recent, newest, visible_therapists=(some[0],)))
    for scope in scopes:
        stored = db.run_query(con, "therapist_ors_pairs", scope.params()).sort("therapist_id", "client_id")
        live = db.run_query(con, "therapist_ors_clients", scope.params()).sort("therapist_id", "client_id")
        assert stored.equals(live) and stored.height > 0, scope
        heights.append(stored.height)
        assert therapists._ors_pairs_query(con, scope) == "therapist_ors_pairs"
    assert min(heights[:2]) > 20
    earlier = Filters(newest - timedelta(weeks=20), newest - timedelta(weeks=8))
    assert therapists._ors_pairs_query(con, earlier) == "therapist_ors_clients"
    by_pair = ("therapist_id", "client_id")
    assert not db.run_query(con, "therapist_ors_pairs", earlier.params()).sort(by_pair).equals(
        db.run_query(con, "therapist_ors_clients", earlier.params()).sort(by_pair))  # why the choice matters
    con.close()


def test_ors_pairs_follow_imports_and_undo(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", TIED))
    feedback = ingest.import_file(con, write_csv("feedback.csv", TIED_FEEDBACK))
    assert con.execute("SELECT intake_ors, latest_ors, ors_ratings FROM ors_pairs").fetchall() == [(16.0, 32.0, 5)]
    batches.undo_batch(con, feedback.batch_id)
    assert con.execute("SELECT count(*) FROM ors_pairs").fetchall() == [(0,)]


EPISODES = """
client_id,therapist_id,start_date,end_date,end_reason
C1,T1,2025-01-01,2025-01-20,planned
"""


def test_episode_facts_follow_episodes_imports_without_rebuilding_the_rating_tables(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK))
    columns = "client_id, therapist_id, end_reason, estimated, attended_sessions, early_srs, early_ratings, last_srs"
    estimated = con.execute(f"SELECT {columns} FROM episode_facts ORDER BY client_id").fetchall()
    assert estimated == [("C1", "T1", None, True, 2, 35.0, 2, 34.0), ("C2", "T2", None, True, 1, 38.0, 1, 38.0)]
    def built_from() -> dict[str, str]:
        return {t: con.execute("SELECT value FROM meta WHERE key = $k", {"k": f"derived_source:{t}"}).fetchall()[0][0]
                for t in derived.TABLES}

    before = built_from()
    export = ingest.import_file(con, write_csv("episodes.csv", EPISODES))
    assert con.execute(f"SELECT {columns} FROM episode_facts").fetchall() == [
        ("C1", "T1", "planned", False, 2, 35.0, 2, 34.0)]  # the export's episodes replace the estimate
    after = built_from()
    assert after["episode_facts"] != before["episode_facts"]
    for table in ("session_combos", "rating_facts", "ors_pairs"):  # not rebuilt: their sources did not change
        assert after[table] == before[table]
    batches.undo_batch(con, export.batch_id)
    assert con.execute(f"SELECT {columns} FROM episode_facts ORDER BY client_id").fetchall() == estimated


def table_oid(con, table: str) -> int:
    """DuckDB gives a table rebuilt with CREATE OR REPLACE a new oid."""
    return con.execute("SELECT table_oid FROM duckdb_tables() WHERE table_name = $t", {"t": table}).fetchall()[0][0]


def whole(con, table: str) -> list[tuple]:
    """Every row in rowid order (the order rating_facts promises), every column."""
    return con.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


NEXT_WEEK = """
session_id,client_id,therapist_id,scheduled_at,status,session_number,site,service
S4,C1,T1,2025-01-20 09:00,attended,3,North,Adult
S5,C2,T2,2025-01-21 10:00,no_show,2,Riverside,Couples
"""


def test_new_sessions_no_rating_names_leave_the_rating_tables_as_they_were(con, write_csv):
    """A weekly appointments export comes before its ratings: rebuilding rating_facts for it (20 s at 10M
    sessions) would change nothing."""
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK))
    before = {t: (table_oid(con, t), whole(con, t)) for t in derived.TABLES}
    assert ingest.import_file(con, write_csv("week.csv", NEXT_WEEK)).inserted == 2
    for table in derived.RATING_TABLES:  # kept, not rebuilt, and what a rebuild gives
        assert (table_oid(con, table), whole(con, table)) == before[table]
    assert table_oid(con, "episode_facts") != before["episode_facts"][0]  # it counts the new sessions
    assert derived.is_fresh(con)
    derived.refresh(con, force=True)
    for table in derived.RATING_TABLES:
        assert whole(con, table) == before[table][1]


def test_sessions_a_rating_names_or_changed_sessions_rebuild_the_rating_tables(con, write_csv):
    ingest.import_file(con, write_csv("sessions.csv", SESSIONS))
    ingest.import_file(con, write_csv("feedback.csv", FEEDBACK + "S4,7.0,7.0,7.0,7.0\n"))  # rated before S4 came
    assert [r[2] for r in facts(con) if r[0] == "S4"] == [None]  # no session yet: no time for the rating
    oid = table_oid(con, "rating_facts")
    ingest.import_file(con, write_csv("week.csv", NEXT_WEEK))
    assert table_oid(con, "rating_facts") != oid
    assert facts(con) == view(con) and [r[3] for r in facts(con) if r[0] == "S4"] == ["North"]

    oid = table_oid(con, "rating_facts")
    moved = NEXT_WEEK.replace("S5,C2,T2,2025-01-21 10:00", "S5,C2,T2,2025-01-22 10:00")  # an updated session
    assert ingest.import_file(con, write_csv("week2.csv", moved)).updated == 1
    assert table_oid(con, "rating_facts") != oid
    assert facts(con) == view(con)


def _weekly_feedback(demo_exports: Path, folder: Path, cutoff: str) -> tuple[Path, Path]:
    """The demo clinic's feedback split at a day: the export so far, and the week's that follows it."""
    sessions = pl.read_csv(demo_exports / "sessions.csv", columns=["session_id", "scheduled_at"])
    feedback = pl.read_csv(demo_exports / "feedback.csv", infer_schema=False).join(sessions, on="session_id")
    late = pl.col("scheduled_at") >= cutoff
    paths = folder / "feedback-before.csv", folder / "feedback-week.csv"
    feedback.filter(~late).drop("scheduled_at").write_csv(paths[0])
    feedback.filter(late).drop("scheduled_at").write_csv(paths[1])
    return paths


def _rating_tables(con) -> dict[str, list[tuple]]:
    """Every column of the tables a weekly feedback import brings up to date: rating_facts and episode_facts in
    rowid order (the order they promise), ors_pairs sorted (it promises none)."""
    return {"rating_facts": whole(con, "rating_facts"), "episode_facts": whole(con, "episode_facts"),
            "ors_pairs": sorted(con.execute("SELECT * FROM ors_pairs").fetchall(), key=repr)}


@pytest.mark.parametrize(("cutoff", "appended"), [("2026-11-14", True), ("2026-06-01", True), ("2025-06-01", False),
                                                  (None, False)])
def test_a_weekly_feedback_import_appends_to_rating_facts_what_a_rebuild_gives(
        demo_exports, tmp_path, monkeypatch, cutoff, appended):
    """New ratings all later than the stored ones join rating_facts at its end (append_rating_facts.sql): every
    column, the stored ratings' srs_rev included, and the rowid order equal a rebuild's. Their episodes' SRS
    figures are set again (update_episode_srs.sql) and their ORS added to ors_pairs (merge_ors_pairs.sql): both
    tables equal a rebuild's too. A week that also holds a late entry for an older session (cutoff None: one
    rating moved into the week's file) is rebuilt, and so is a batch holding most of the ratings (cutoff
    2025-06-01)."""
    con = db.connect(tmp_path / "weekly.duckdb")
    for kind in ("therapists", "sessions"):
        ingest.import_file(con, demo_exports / f"{kind}.csv")
    before, week = _weekly_feedback(demo_exports, tmp_path, cutoff or "2026-11-14")
    if cutoff is None:
        rows = before.read_text().splitlines(keepends=True)
        before.write_text("".join(rows[:1] + rows[2:]))
        week.write_text(week.read_text() + rows[1])
    assert ingest.import_file(con, before).status == "imported"
    ran = []
    execute = db.execute
    monkeypatch.setattr(db, "execute", lambda cur, name, params=None: (ran.append(name), execute(cur, name, params)))
    report = ingest.import_file(con, week)
    assert report.status == "imported" and report.inserted > 0
    assert ("append_rating_facts" in ran) is appended and ("refresh_rating_facts" in ran) is not appended
    assert ("update_episode_srs" in ran) is appended and ("refresh_episode_facts" in ran) is not appended
    assert ("merge_ors_pairs" in ran) is appended and ("refresh_ors_pairs" in ran) is not appended
    incremental = _rating_tables(con)
    derived.refresh(con, force=True)
    assert incremental == _rating_tables(con)
    assert len(incremental["rating_facts"]) == report.inserted + len(before.read_text().splitlines()) - 1
    con.close()
