"""The stored attention list answers exactly what running the rules would, and is used only while it matches."""

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from attune import attention, attention_facts, batches, db, ingest, ruptures, settings
from attune.filters import Filters


@pytest.fixture
def cur(demo_db):
    con = db.connect(demo_db)
    yield con.cursor()
    con.close()


def live(monkeypatch, fn, *args):
    """fn(*args) with the stored list ignored: the rules run."""
    with monkeypatch.context() as m:
        m.setattr(attention_facts, "is_current", lambda *_: False)
        return fn(*args)


def scopes(cur) -> list[Filters | None]:
    pairs = attention.relationships(cur, attention.default_day(cur), settings.load(cur))
    therapist, supervisor = pairs["therapist_id"][0], pairs.drop_nulls("supervisor")["supervisor"][0]
    site, service = pairs["site"][0], pairs["service"][0]
    day = date(2026, 1, 1)
    return [None, Filters(day, day, therapist_ids=(therapist,)), Filters(day, day, supervisors=(supervisor,)),
            Filters(day, day, sites=(site,), services=(service,)),
            Filters(day, day, visible_therapists=tuple(pairs["therapist_id"].unique().sort()[:5]))]


def test_stored_list_equals_running_the_rules_for_every_filter(cur, monkeypatch):
    as_of, values = attention.default_day(cur), settings.load(cur)
    assert attention_facts.is_current(cur, as_of, values)
    for filters in scopes(cur):
        stored = attention.weekly_list(cur, as_of, values, filters, True)
        assert stored.equals(live(monkeypatch, attention.weekly_list, cur, as_of, values, filters, True)), filters
        assert attention.flags(cur, as_of, values, filters).equals(
            live(monkeypatch, attention.flags, cur, as_of, values, filters))
        assert not stored.is_empty()
    client = stored["client_id"][0]
    assert attention.client_flags(cur, client, as_of, values).equals(
        live(monkeypatch, attention.client_flags, cur, client, as_of, values))


def test_every_rule_reads_the_stored_relationships_as_it_would_find_them(cur):
    """store_current finds the considered relationships once (pair_facts) and every rule reads them; within any
    filter, a rule on the stored ones answers what it answers finding them itself."""
    as_of, values = attention.default_day(cur), settings.load(cur)
    attention_facts.store_pairs(cur, attention.rule_params(as_of, values))
    queries = [rule.query for rule in attention.RULES] + ["attention_relationships"]
    for filters in scopes(cur):
        params = attention.rule_params(as_of, values, filters, stored_ruptures=True)
        for name in queries:
            found, stored = (db.run_query(cur, name, {**params, "pairs_stored": flag}) for flag in (False, True))
            assert_frame_equal(found, stored, check_row_order=False)
    assert cur.sql("SELECT count(*) FROM pair_facts").fetchall()[0][0] == attention.relationships(
        cur, as_of, values).height > 0


def test_another_day_or_other_thresholds_run_the_rules(cur, monkeypatch):
    as_of, values = attention.default_day(cur), settings.load(cur)
    assert not attention_facts.is_current(cur, as_of - timedelta(days=30), values)
    stricter = {**values, "srs_cutoff": values["srs_cutoff"] - 4}
    assert not attention_facts.is_current(cur, as_of, stricter)
    fewer = attention.flags(cur, as_of, stricter)
    assert fewer.height < attention.flags(cur, as_of, values).height  # a lower cutoff flags fewer low scores
    settings.save(cur, stricter)
    assert not attention_facts.is_current(cur, as_of, stricter)
    assert attention.refresh_stored(cur) and attention_facts.is_current(cur, as_of, stricter)
    assert attention.flags(cur, as_of, stricter).equals(fewer)


def test_review_keeps_the_store_and_shows_as_discussed(cur):
    as_of, values = attention.default_day(cur), settings.load(cur)
    first = attention.weekly_list(cur, as_of, values).row(0, named=True)
    attention.mark_discussed(cur, first["client_id"], first["therapist_id"], as_of=as_of, note="talked")
    assert attention_facts.is_current(cur, as_of, values)
    after = attention.weekly_list(cur, as_of, values, None, True)
    row = after.filter((pl.col("client_id") == first["client_id"]) & (pl.col("therapist_id") == first["therapist_id"]))
    assert row["discussed"].to_list() == [True] and row["review_note"].to_list() == ["talked"]
    assert not attention.refresh_stored(cur)  # nothing to recompute


def _missed_sessions_file(write_csv, client: str, therapist: str, day: date):
    missed = "".join(f"X{i},{client},{therapist},{day}T0{i}:00:00,no_show\n" for i in range(1, 6))
    return write_csv("sessions.csv", "session_id,client_id,therapist_id,scheduled_at,status\n" + missed)


def test_an_import_stores_the_list_for_its_data_in_its_own_transaction_and_undo_too(cur, write_csv, monkeypatch):
    """What the Data page does: readers see the new data and the list that answers it at the same moment."""
    as_of, values = attention.default_day(cur), settings.load(cur)
    pair = attention.relationships(cur, as_of, values).row(0, named=True)
    client, therapist = pair["client_id"], pair["therapist_id"]
    before = attention.client_flags(cur, client, as_of, values)
    report = ingest.import_file(cur, _missed_sessions_file(write_csv, client, therapist, as_of))
    assert report.status == "imported", report.summary
    assert attention_facts.is_current(cur, as_of, values)
    after = attention.client_flags(cur, client, as_of, values)  # read from the store
    assert "missed_sessions" in after["flag_kind"].to_list() and "missed_sessions" not in before["flag_kind"].to_list()
    assert after.equals(live(monkeypatch, attention.client_flags, cur, client, as_of, values))
    batches.undo_batch(cur, report.batch_id)
    assert attention_facts.is_current(cur, as_of, values)
    assert attention.client_flags(cur, client, as_of, values).equals(before)


def test_an_import_left_to_the_caller_makes_the_store_stale_until_refreshed(cur, write_csv, monkeypatch):
    """The command line imports every file first and stores the list once: until then the rules run live."""
    as_of, values = attention.default_day(cur), settings.load(cur)
    pair = attention.relationships(cur, as_of, values).row(0, named=True)
    client, therapist = pair["client_id"], pair["therapist_id"]
    report = ingest.import_file(cur, _missed_sessions_file(write_csv, client, therapist, as_of),
                                update_attention=False)
    assert report.status == "imported", report.summary
    assert not attention_facts.is_current(cur, as_of, values)
    after = attention.client_flags(cur, client, as_of, values)  # the rules run on the new data
    assert "missed_sessions" in after["flag_kind"].to_list()
    assert attention.refresh_stored(cur)
    assert attention.client_flags(cur, client, as_of, values).equals(after)


def test_stored_ruptures_equal_judging_them_now(cur, monkeypatch):
    as_of, values = attention.default_day(cur), settings.load(cur)
    for filters in scopes(cur):
        period = Filters(date(2025, 6, 1), as_of, filters.therapist_ids, filters.supervisors, filters.sites,
                         filters.services, filters.visible_therapists) if filters else Filters(date(2025, 6, 1), as_of)
        for fn in (ruptures.events, ruptures.by_therapist, ruptures.over_time):
            stored = fn(cur, period, values, as_of)
            assert stored.equals(live(monkeypatch, fn, cur, period, values, as_of)), (fn.__name__, filters)
        assert not ruptures.events(cur, period, values, as_of).is_empty()
