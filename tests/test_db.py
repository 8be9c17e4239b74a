"""The database layer: migrations, the named-query runner, and every named query against real data."""

from datetime import date

import pytest

from attune import db, settings
from attune.filters import default_filters


def test_migrations_are_versioned_and_idempotent(tmp_path):
    path = tmp_path / "m.duckdb"
    con = db.connect(path)
    latest = max(v for v, _ in db.migrations())
    assert db.schema_version(con) == latest
    con.close()
    con = db.connect(path)  # reopening applies nothing twice
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == len(db.migrations())
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"therapists", "sessions", "feedback", "episodes", "switch_requests", "import_batches"} <= tables


def test_run_query_binds_named_parameters(con):
    con.execute("INSERT INTO therapists VALUES ('T1', 'Ann', 'A team', 'North', true, 1, 2, 0)")
    frame = db.run_query(con, "filter_options", {"visible": None, "unused": 1})
    assert frame.height == 0  # no sessions yet, the roster alone offers nothing
    con.execute("INSERT INTO sessions VALUES ('S1','C1','T1','2025-01-01 10:00','attended',1,'North','Adult',1,2,0,"
                "client_key('C1'))")
    db.bump_data_version(con)  # as every import does: the derived tables follow the data
    frame = db.run_query(con, "filter_options", {"visible": None})
    assert frame["therapist_name"].to_list() == ["Ann"]
    assert db.run_query(con, "filter_options", {"visible": ["T9"]}).height == 0


def test_run_row_gives_the_first_row_and_leaves_the_connection_usable(con):
    assert db.run_row(con, "meta_value", {"key": "nothing here"}) is None
    db.execute(con, "set_meta_value", {"key": "k", "value": "v"})
    assert db.run_row(con, "meta_value", {"key": "k", "unused": 1}) == ("v",)
    assert db.run_query(con, "meta_value", {"key": "k"})["value"].to_list() == ["v"]  # nothing left unread


def test_values_are_bound_not_spliced(con):
    con.execute("INSERT INTO sessions VALUES ('S1','C1','T1','2025-01-01 10:00','attended',1,'North','Adult',1,2,0,"
                "client_key('C1'))")
    hostile = "T1'); DROP TABLE sessions; --"
    assert db.run_query(con, "filter_options", {"visible": [hostile]}).height == 0
    assert con.execute("SELECT count(*) FROM sessions").fetchall()[0][0] == 1


def test_unknown_query_lists_known_ones(con):
    with pytest.raises(KeyError, match="Known queries: .*data_version"):
        db.run_query(con, "no_such_query")
    with pytest.raises(KeyError, match="No query named"):
        db.run_query(con, "../etc/passwd")


def test_missing_parameter_is_named(con):
    with pytest.raises(KeyError, match="visible"):
        db.run_query(con, "filter_options", {})


def test_data_version_bumps(con):
    before = db.data_version(con)
    db.bump_data_version(con)
    assert db.data_version(con) == before + 1


def test_second_writer_gets_a_clear_message(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = db.connect(path)
    import subprocess
    import sys

    code = ("import sys; from attune import db\n"
            "try:\n    db.connect(sys.argv[1])\nexcept db.DatabaseBusyError as e:\n    print('BUSY', e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    holder.close()
    assert "BUSY" in out.stdout and "another Attune process" in out.stdout


# A realistic value for every parameter any named query takes; a new parameter needs a value here.
SAMPLE_PARAMS = default_filters(date(2026, 11, 20)).params() | settings.defaults() | {
    "dropout_gap_days": 42, "batch_id": 1, "as_of": date(2026, 11, 20), "client_id": "C000501",
    "therapist_id": "T03", "action": None, "limit": 50, "teams": ["Haddad team"], "identity": "someone@example.org",
    "name": "sessions", "grain": "week", "min_count": 2, "file_hash": "0" * 64, "key": "data_version",
    "table_name": "sessions", "stored": False, "pairs_stored": False,
}


def _is_read_query(sql: str) -> bool:
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip().upper()
    return body.startswith(("SELECT", "WITH")) and not any(w in body for w in ("INSERT ", "UPDATE ", "DELETE "))


def test_every_named_query_runs_on_the_demo_clinic(demo_db):
    """Each read query runs with realistic parameters on the demo clinic and returns columns."""
    con = db.connect(demo_db)
    for name in db.query_names():
        if not _is_read_query(db.query_sql(name)):
            continue
        missing = db.query_parameters(name) - SAMPLE_PARAMS.keys()
        assert not missing, f"add sample values for {missing} (query {name})"
        frame = db.run_query(con, name, SAMPLE_PARAMS)
        assert frame.width > 0, name
    con.close()


def test_a_migration_numbered_below_the_newest_is_still_applied(tmp_path):
    """Branches can land out of order: a database at versions 1 and 3 still gets 2."""
    path = tmp_path / "gap.duckdb"
    con = db.connect(path)
    con.execute("DROP TABLE reviews; DROP SEQUENCE review_seq; DROP TABLE settings; "
                "DELETE FROM schema_migrations WHERE version = 2")
    con.close()
    con = db.connect(path)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"settings", "reviews"} <= tables
    assert 2 in {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
