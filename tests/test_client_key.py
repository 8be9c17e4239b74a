"""Looking one client up by key (migration 005): the keys stay true, and the lookups give the full answers."""

from datetime import date, timedelta

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
