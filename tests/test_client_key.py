"""Looking one client up by key (migration 005): the keys stay true, and the lookups give the full answers."""

from datetime import date, timedelta

import duckdb
import polars as pl

from attune import attention, db, keys

AS_OF = date(2026, 3, 20)


def _mismatched_keys(con) -> int:
    return con.execute("""
        SELECT (SELECT count(*) FROM sessions WHERE client_key IS DISTINCT FROM client_key(client_id))
             + (SELECT count(*) FROM sessions_history WHERE client_key IS DISTINCT FROM client_key(client_id))
             + (SELECT count(*) FROM rating_facts WHERE client_key IS DISTINCT FROM client_key(client_id))
    """).fetchall()[0][0]


def _busiest_client(con) -> str:
    return con.execute("SELECT client_id FROM sessions GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()[0][0]


def test_imported_sessions_and_rating_facts_carry_their_clients_key(demo_db):
    con = db.connect(demo_db)
    assert con.execute("SELECT count(*) FROM sessions").fetchall()[0][0] > 1000
    assert _mismatched_keys(con) == 0


def test_keys_made_by_another_hash_are_recomputed_on_connect(demo_db):
    con = db.connect(demo_db)
    client = _busiest_client(con)
    as_of = con.execute("SELECT max(scheduled_at)::DATE FROM sessions").fetchall()[0][0]
    before = attention.client_sessions(con.cursor(), client, as_of)
    assert before.height >= 3
    # As if an upgraded DuckDB hashed differently: the stored keys and the probe no longer match.
    con.execute("UPDATE sessions SET client_key = client_key + 1")
    con.execute("UPDATE rating_facts SET client_key = client_key + 1")
    con.execute("UPDATE meta SET value = 'another hash' WHERE key = 'client_key_probe'")
    assert attention.client_sessions(con.cursor(), client, as_of).is_empty()  # the lookup reads the key
    con.close()

    con = db.connect(demo_db)
    assert _mismatched_keys(con) == 0
    assert attention.client_sessions(con.cursor(), client, as_of).equals(before)
    assert not keys.ensure_current(con)  # once only


def test_current_clients_are_every_client_attended_in_the_window_with_their_whole_history(demo_db):
    """therapist_clients finds the window's clients first and reads only their rows: the answer must be the one the
    definition gives over every session (attended in the window, no episode ended since; counts over all time)."""
    con = db.connect(demo_db)
    sessions = con.sql("SELECT client_id, therapist_id, scheduled_at, status FROM sessions").pl()
    episodes = con.sql("SELECT client_id, therapist_id, end_date FROM episodes WHERE end_date IS NOT NULL").pl()
    checked = 0
    for as_of in (AS_OF, AS_OF - timedelta(days=120)):
        for therapist in sorted(sessions["therapist_id"].unique())[:8]:
            booked = sessions.filter((pl.col("therapist_id") == therapist)
                                     & (pl.col("scheduled_at") < pl.lit(as_of + timedelta(days=1))))
            per_client = booked.group_by("client_id").agg(
                sessions_attended=(pl.col("status") == "attended").sum().cast(pl.Int64),
                last_attended=pl.col("scheduled_at").filter(pl.col("status") == "attended").max())
            ended = episodes.filter((pl.col("therapist_id") == therapist) & (pl.col("end_date") <= as_of))
            expected = (per_client
                        .filter(pl.col("last_attended") >= pl.lit(as_of) - pl.duration(days=42))
                        .join(ended, on="client_id", how="left")
                        .group_by("client_id", "sessions_attended", "last_attended")
                        .agg(ended_since=(pl.col("end_date") >= pl.col("last_attended").dt.date()).any())
                        .filter(~pl.col("ended_since"))
                        .select("client_id", "sessions_attended").sort("client_id"))
            got = db.run_query(con, "therapist_clients", {"therapist_id": therapist, "as_of": as_of,
                                                          "active_days": 42, "visible": None})
            assert got.select("client_id", pl.col("sessions_attended").cast(pl.Int64)).equals(expected), therapist
            checked += expected.height
    assert checked > 20


def _columns(con, table: str) -> list[tuple]:
    return con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t "
                       "ORDER BY ordinal_position", {"t": table}).fetchall()


def test_a_database_written_before_the_keys_upgrades_to_the_new_schema_with_its_rows(tmp_path):
    """Migration 005 adds the key to sessions and rebuilds their history with it in the same place, so that the
    import's and the undo's positional copies between the two still line up, as in a new database."""
    old = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version, path in db.migrations():
        if version < 5:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES ($v, current_localtimestamp())", {"v": version})
    con.execute("INSERT INTO sessions VALUES ('S1', 'C1', 'T1', '2026-03-02 10:00', 'attended', 1, 'North', "
                "'Adult', 2, 2, 7)")
    con.execute("INSERT INTO sessions_history VALUES ('S1', 'C1', 'T1', '2026-03-02 10:00', 'no_show', 1, "
                "'North', 'Adult', 1, 2, 5, 2)")
    con.close()

    upgraded, fresh = db.connect(old), db.connect(tmp_path / "new.duckdb")
    for table in ("sessions", "sessions_history"):
        assert _columns(upgraded, table) == _columns(fresh, table)
    assert ("client_key", "UINTEGER") in _columns(upgraded, "sessions_history")
    assert _columns(upgraded, "sessions_history")[-1][0] == "replaced_by_batch"
    assert upgraded.execute("SELECT status, replaced_by_batch, client_key = client_key('C1') FROM sessions_history"
                            ).fetchall() == [("no_show", 2, True)]
    assert _mismatched_keys(upgraded) == 0
