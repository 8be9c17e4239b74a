"""Rupture and repair, and comment themes, on small hand-written sequences with hand-computed outcomes.

Defaults: a rupture is a drop of at least 2 from the previous rating or a fall below 36 from a rating at or
above it; repaired within 2 ratings; as of 2026-03-31 (the newest session). Every client below sees one
therapist weekly, the last session on 03-31 unless said otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from attune import attention, ruptures, settings, themes
from attune.filters import Filters
from tests import hand_clinic

AS_OF = date(2026, 3, 31)
# client: (therapist, SRS totals oldest first (None: attended, not rated), date of the last session, comments)
CLINIC: dict[str, tuple[str, list[float | None], str, dict[int, str]]] = {
    "R_REPAIRED": ("T1", [38, 38, 32, 37.5], "03-31", {3: "I felt heard today"}),  # back above 36 next time
    "R_WITHIN": ("T1", [35, 35, 31, 34.2], "03-31", {}),  # back within 1 point of 35, still below 36
    "R_SLOW": ("T1", [38, 38, 32, 33, 37], "03-31", {}),  # repaired at the second rating
    "R_UNREPAIRED": ("T1", [38, 38, 32, 32.5, 33], "03-31", {2: "I didn't feel listened to today"}),
    "R_LATE": ("T1", [38, 38, 32, 32, 33, 38], "03-31", {}),  # recovers at the third rating: too late
    "R_STOPPED": ("T1", [38, 38, 32], "01-27", {}),  # never came back
    "R_ENDED": ("T1", [38, 38, 32], "03-24", {}),  # episode ended on 03-28
    "R_OPEN": ("T1", [38, 38, 32], "03-31", {}),  # the rupture is the latest rating
    "R_OPEN1": ("T1", [38, 38, 32, 33], "03-31", {}),  # one rating since, not recovered, R is 2
    "R_UNRATED": ("T1", [38, 38, 32, None, None], "03-31", {}),  # attends, gives no rating: still open
    "R_SMALL": ("T1", [38, 38, 36.5], "03-31", {}),  # a drop of 1.5 staying above 36: no rupture
    "R_CROSS": ("T1", [36.5, 36.5, 35.8, 35.8, 35.7], "03-31", {}),  # falls below 36; 35.8 again is no repair
    "R_TWICE": ("T1", [38, 32, 37.5, 37.5, 31, 30], "03-31", {}),  # repaired, then a second rupture
    "R_DEEPER": ("T1", [38, 32, 29, 27], "03-31", {}),  # one rupture that deepens, not three
    "R_OTHER": ("T2", [38, 38, 32, 38], "03-31", {}),
}
# client: [(rupture date, before, at rupture, status, rated sessions to repair)]
EXPECTED = {
    "R_REPAIRED": [("03-24", 38, 32, "repaired", 1)],
    "R_WITHIN": [("03-24", 35, 31, "repaired", 1)],
    "R_SLOW": [("03-17", 38, 32, "repaired", 2)],
    "R_UNREPAIRED": [("03-17", 38, 32, "unrepaired", None)],
    "R_LATE": [("03-10", 38, 32, "unrepaired", None)],
    "R_STOPPED": [("01-27", 38, 32, "unrepaired", None)],
    "R_ENDED": [("03-24", 38, 32, "unrepaired", None)],
    "R_OPEN": [("03-31", 38, 32, "open", None)],
    "R_OPEN1": [("03-24", 38, 32, "open", None)],
    "R_UNRATED": [("03-17", 38, 32, "open", None)],
    "R_CROSS": [("03-17", 36.5, 35.8, "unrepaired", None)],
    "R_TWICE": [("03-03", 38, 32, "repaired", 1), ("03-24", 37.5, 31, "open", None)],
    "R_DEEPER": [("03-17", 38, 32, "unrepaired", None)],
    "R_OTHER": [("03-24", 38, 32, "repaired", 1)],
}
EVERYTHING = Filters(date(2025, 10, 1), AS_OF)


def clinic_files(write_csv) -> list:
    sessions = ["session_id,client_id,therapist_id,scheduled_at,status,session_number"]
    feedback = ["session_id,srs_total,comment"]
    n = 0
    for client, (therapist, totals, last, notes) in CLINIC.items():
        last_day = date.fromisoformat(f"2026-{last}")
        for k, total in enumerate(totals):
            n += 1
            when = last_day - timedelta(weeks=len(totals) - 1 - k)
            sessions.append(f"S{n:03d},{client},{therapist},{when} 10:00,attended,{k + 1}")
            if total is not None:
                feedback.append(f'S{n:03d},{total:g},"{notes.get(k, "")}"')
    return [
        write_csv("therapists.csv", "therapist_id,name,supervisor,site\nT1,Ada Byrne,North team,North\n"
                                    "T2,Bo Chen,South team,South"),
        write_csv("sessions.csv", "\n".join(sessions)),
        write_csv("feedback.csv", "\n".join(feedback)),
        write_csv("episodes.csv", "client_id,therapist_id,start_date,end_date,end_reason\n"
                                  "R_ENDED,T1,2026-03-10,2026-03-28,dropout"),
        write_csv("switch_requests.csv", "request_id,client_id,from_therapist_id,to_therapist_id,requested_at,"
                                         "reason,status\n"
                                         "Q1,R_LATE,T1,,2026-03-20,\"I don't feel we click, would like someone "
                                         "different\",open"),
    ]


def import_clinic(con, folder: Path) -> None:
    from attune import ingest

    for path in clinic_files(hand_clinic.csv_writer(folder)):
        report = ingest.import_file(con, path)
        assert report.status == "imported", report.summary


@pytest.fixture
def clinic(built_copy):
    return built_copy(import_clinic)


def outcomes(frame: pl.DataFrame) -> dict[str, list[tuple]]:
    got: dict[str, list[tuple]] = {}
    for r in frame.sort("client_id", "rupture_on").iter_rows(named=True):
        got.setdefault(r["client_id"], []).append(
            (r["rupture_on"].strftime("%m-%d"), r["before_srs"], r["rupture_srs"], r["status"],
             r["sessions_to_repair"]))
    return got


def test_each_sequence_has_the_hand_computed_ruptures(clinic):
    got = outcomes(ruptures.events(clinic, EVERYTHING, settings.defaults(), AS_OF))
    assert got == EXPECTED  # R_SMALL (a drop smaller than K, above the cutoff) has none


def test_stopping_attending_counts_as_unrepaired(clinic):
    frame = ruptures.events(clinic, EVERYTHING, settings.defaults(), AS_OF)
    stopped = set(frame.filter(pl.col("stopped"))["client_id"])
    assert stopped == {"R_STOPPED", "R_ENDED"}
    # On 02-10 R_STOPPED's last visit was only two weeks ago: the rupture was still open then.
    earlier = ruptures.events(clinic, EVERYTHING, settings.defaults(), date(2026, 2, 10))
    assert earlier.select("client_id", "status", "stopped").rows() == [("R_STOPPED", "open", False)]


def test_thresholds_change_the_outcome(clinic):
    values = settings.defaults()
    three = outcomes(ruptures.events(clinic, EVERYTHING, {**values, "repair_sessions": 3}, AS_OF))
    assert three["R_LATE"] == [("03-10", 38, 32, "repaired", 3)]  # the recovery now falls inside the window
    assert three["R_OPEN1"][0][3] == "open" and three["R_UNREPAIRED"][0][3] == "open"  # 2 of 3 ratings so far
    five = outcomes(ruptures.events(clinic, EVERYTHING, {**values, "rupture_drop": 5}, AS_OF))
    assert "R_WITHIN" not in five  # 35 → 31 is a drop of 4 and 35 was already below the cutoff
    assert five["R_REPAIRED"] == EXPECTED["R_REPAIRED"]  # 38 → 32 still falls below 36


def test_the_list_of_ruptures_shows_the_newest_first(clinic):
    """A long list is cut to its first rows on the page, so those must be the ones a supervisor acts on."""
    view = ruptures.events_view(ruptures.events(clinic, EVERYTHING, settings.defaults(), AS_OF))
    days = view["Rupture on"].to_list()
    assert days == sorted(days, reverse=True) and days[0] > days[-1]
    assert view["Client"][0] == "/attention?client=R_OPEN"  # the only rupture on 03-31


def test_filters_scope_the_ruptures(clinic):
    values = settings.defaults()
    t2 = Filters(EVERYTHING.start, AS_OF, therapist_ids=("T2",))
    assert ruptures.events(clinic, t2, values, AS_OF)["client_id"].to_list() == ["R_OTHER"]
    january = Filters(date(2026, 1, 1), date(2026, 1, 31))
    assert ruptures.events(clinic, january, values, AS_OF)["client_id"].to_list() == ["R_STOPPED"]
    hidden = Filters(EVERYTHING.start, AS_OF, visible_therapists=("T2",))
    assert set(ruptures.events(clinic, hidden, values, AS_OF)["client_id"]) == {"R_OTHER"}


def test_per_therapist_counts_share_interval_and_caseload(clinic):
    per = ruptures.by_therapist(clinic, EVERYTHING, settings.defaults(), AS_OF)
    t1 = per.filter(pl.col("therapist_id") == "T1").row(0, named=True)
    # T1: repaired R_REPAIRED, R_WITHIN, R_SLOW, R_TWICE's first; open R_OPEN, R_OPEN1, R_UNRATED, R_TWICE's
    # second; not repaired the other six. 14 clients rated (R_SMALL has no rupture).
    assert (t1["clients"], t1["ruptures"], t1["repaired"], t1["unrepaired"], t1["open"], t1["stopped"]) == (
        14, 14, 4, 6, 4, 2)
    assert t1["median_to_repair"] == 1.0  # 1, 1, 2, 1
    assert t1["share_repaired"] == pytest.approx(0.4)
    assert (t1["low"], t1["high"]) == pytest.approx((0.1682, 0.6873), abs=1e-4)  # Wilson, 4 of 10
    assert t1["small_caseload"]  # fewer than 15 clients
    lower = ruptures.by_therapist(clinic, EVERYTHING, settings.defaults(), AS_OF, min_caseload=10)
    assert dict(lower.select("therapist_id", "small_caseload").iter_rows()) == {"T1": False, "T2": True}
    table = ruptures.therapist_table(per)
    row = table.filter(pl.col("Therapist") == "Ada Byrne (T1)").row(0, named=True)
    assert row["Share repaired"] == "40.0% of 10"
    assert row["95% interval"] == "17–69%"
    assert row["Note"] == "fewer than 15 clients: too few to compare"
    total = ruptures.clinic_total(per, ruptures.events(clinic, EVERYTHING, settings.defaults(), AS_OF))
    assert (total["ruptures"], total["repaired"], total["resolved"], total["median_to_repair"]) == (15, 5, 11, 1.0)


def test_wilson_interval_known_values():
    assert ruptures.wilson(3, 4) == pytest.approx((0.3006, 0.9544), abs=1e-4)
    assert ruptures.wilson(0, 5)[0] == 0.0 and ruptures.wilson(5, 5)[1] == 1.0
    assert ruptures.wilson(0, 0) == (None, None)


def test_repair_rate_over_time(clinic):
    frame = ruptures.over_time(clinic, EVERYTHING, settings.defaults(), AS_OF)
    assert frame["grain"].unique().to_list() == ["month"]
    rows = frame.select("period_start", "ruptures", "repaired", "unrepaired", "open").rows()
    assert rows == [(date(2026, 1, 1), 1, 0, 1, 0), (date(2026, 3, 1), 14, 5, 5, 4)]
    assert frame["share_repaired"].to_list() == [0.0, 0.5]
    assert ruptures.grain(Filters(date(2026, 1, 1), AS_OF)) == "week"


def test_attention_flags_open_and_unrepaired_ruptures(clinic):
    raised = attention.flags(clinic, AS_OF, settings.defaults(), kinds=("rupture",))
    by = {r["client_id"]: r for r in raised.iter_rows(named=True)}
    assert set(by) == {"R_UNREPAIRED", "R_LATE", "R_OPEN", "R_OPEN1", "R_UNRATED", "R_CROSS", "R_TWICE", "R_DEEPER"}
    assert by["R_UNREPAIRED"]["reason"] == ("Rupture on 2026-03-17: SRS 38.0 → 32.0, not repaired in the 2 ratings "
                                            "since (latest 33.0).")
    assert (by["R_UNREPAIRED"]["severity"], by["R_UNREPAIRED"]["flagged_on"]) == (3, date(2026, 3, 17))
    assert by["R_OPEN1"]["reason"] == "Rupture on 2026-03-24: SRS 38.0 → 32.0, not yet repaired (1 rating since: 33.0)."
    assert by["R_OPEN1"]["severity"] == 2
    assert by["R_OPEN"]["reason"] == "Rupture on 2026-03-31: SRS 38.0 → 32.0, not yet repaired (no rating since)."
    assert by["R_OPEN"]["severity"] == 1
    assert by["R_TWICE"]["flagged_on"] == date(2026, 3, 24)  # the open one, not the repaired one
    # Outside the last 42 days a rupture no longer flags; the list is about now.
    assert "R_LATE" not in set(attention.flags(clinic, AS_OF, {**settings.defaults(), "active_days": 20},
                                               kinds=("rupture",))["client_id"])


def test_client_ruptures_and_timeline_markers(clinic):
    from attune import charts

    broken = ruptures.for_client(clinic, "R_TWICE", AS_OF, settings.defaults())
    assert broken["status"].to_list() == ["repaired", "open"]
    assert ruptures.client_reasons(broken) == [
        "2026-03-03 with Ada Byrne: SRS 38.0 → 32.0, repaired on 2026-03-10 (37.5, 1 rated session later).",
        "2026-03-24 with Ada Byrne: SRS 37.5 → 31.0, not yet repaired."]
    assert ruptures.for_client(clinic, "R_TWICE", AS_OF, settings.defaults(), visible=("T2",)).is_empty()
    history = attention.client_sessions(clinic, "R_TWICE", AS_OF)
    fig = charts.client_timeline(history, attention.client_switches(clinic, "R_TWICE", AS_OF), as_of=AS_OF,
                                 ruptures=broken)
    traces = {t.name: t for t in fig.data if t.name}
    assert list(traces["Rupture, repaired"].y) == [32.0]
    assert list(traces["Rupture, not repaired"].y) == [31.0]
    assert traces["Rupture, not repaired"].marker.color == charts.FLAG
    assert list(traces["Repair"].y) == [37.5]
    assert list(traces["Repair"].customdata) == ["1 rated session"]  # the hover: "… 1 rated session after …"
    assert [a.text for a in fig.layout.annotations if "repaired" in a.text or a.text == "rupture"] == [
        "rupture, not yet repaired", "rupture", "repaired"]
    plain = charts.client_timeline(history, attention.client_switches(clinic, "R_TWICE", AS_OF), as_of=AS_OF)
    assert "Repair" not in {t.name for t in plain.data}


# --- themes -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("I felt heard today", []),
    ("I didn't feel listened to today", ["not_heard"]),
    ("I didn’t feel heard", ["not_heard"]),  # curly apostrophe
    ("Nobody seems to listen to what I say", ["not_heard"]),
    ("I felt heard, but not understood", ["not_heard"]),  # the negation is in the second clause
    ("I didn't feel judged at all", []),
    ("I felt a bit judged when I talked about my drinking", ["judged"]),
    ("She was quite judgemental", ["judged"]),  # judg* matches any ending
    ("Never felt rushed, we had enough time", []),
    ("I felt rushed and not listened to", ["not_heard", "pressured"]),
    ("I didn't feel safe enough to talk", ["not_safe"]),
    ("I would feel more comfortable with a therapist who shares my cultural background", ["fit"]),
    ("My therapist talked about their own problems, it felt too personal", ["boundaries"]),
    ("Not sure we are working on the right things", ["goals"]),
    ("Felt the sessions were not going anywhere", ["goals"]),
    ("I don't feel we click, would like someone different", ["fit"]),
    ("The new appointment times don't fit my work schedule", []),
    ("", []),
    (None, []),
])
def test_theme_tagging_with_negation(text, expected):
    assert themes.tag(text, themes.default_keywords()) == expected


def test_keyword_lists_are_editable_and_stored(clinic):
    assert themes.load_keywords(clinic).equals(themes.default_keywords())
    edited = themes.editor_view(themes.default_keywords()).vstack(
        pl.DataFrame({"theme": ["Feeling pressured or rushed"], "phrase": ["Too Much Homework"],
                      "signal": [themes.AS_WRITTEN]}))
    assert themes.save_keywords(clinic, edited, updated_by="lead") == themes.default_keywords().height + 1
    stored = themes.load_keywords(clinic)
    assert stored.row(-1) == ("pressured", "too much homework", themes.AS_WRITTEN)
    assert themes.tag("Way too much homework again", stored) == ["pressured"]
    assert themes.tag("Way too much homework again", themes.default_keywords()) == []
    settings_rows = clinic.sql("SELECT key, updated_by FROM settings").fetchall()
    assert settings_rows == [("comment_themes", "lead")]
    assert settings.load(clinic) == settings.defaults()  # the thresholds ignore the keyword row
    with pytest.raises(themes.KeywordError, match="unknown theme"):
        themes.save_keywords(clinic, pl.DataFrame({"theme": ["Weather"], "phrase": ["rain"], "signal": ["as written"]}))
    with pytest.raises(themes.KeywordError, match="not a phrase"):
        themes.save_keywords(clinic, pl.DataFrame({"theme": ["judged"], "phrase": ["!!!"], "signal": ["as written"]}))
    themes.restore_defaults(clinic)
    assert themes.load_keywords(clinic).equals(themes.default_keywords())


def test_comments_grouped_by_therapist_and_over_time(clinic):
    tagged = themes.comments(clinic, EVERYTHING)
    assert tagged.select("client_id", "source", "themes").rows() == [
        ("R_UNREPAIRED", "feedback", ["not_heard"]),
        ("R_LATE", "switch request", ["fit"]),
        ("R_REPAIRED", "feedback", []),
    ]
    counts = themes.by_therapist(tagged).row(0, named=True)
    assert (counts["Therapist"], counts["Comments"], counts["With a theme"], counts["Not feeling heard"],
            counts["Fit / wanting a different therapist"], counts["Feeling judged"]) == (
        "Ada Byrne (T1)", 3, 2, 1, 1, 0)
    assert themes.over_time(tagged).rows() == [(date(2026, 3, 1), "Fit / wanting a different therapist", 1),
                                               (date(2026, 3, 1), "Not feeling heard", 1)]
    heard = themes.matching(tagged, "not_heard", "T1")
    assert heard.select("Client", "In the client's words", "Matched phrases").rows() == [
        ("R_UNREPAIRED", "I didn't feel listened to today", "listened")]
    assert themes.matching(tagged, "not_heard", "T2").is_empty()
    assert themes.matching(tagged).height == 2  # any theme


def test_client_words_beside_the_scores(clinic):
    words = themes.words_view(themes.client_words(clinic, "R_UNREPAIRED", AS_OF))
    assert words.rows() == [(date(2026, 3, 17), "Ada Byrne (T1)", 32.0, "feedback", "I didn't feel listened to today",
                             "Not feeling heard")]
    switch = themes.words_view(themes.client_words(clinic, "R_LATE", AS_OF))
    assert switch.select("Said in", "SRS", "Themes").rows() == [
        ("switch request", None, "Fit / wanting a different therapist")]
    assert themes.client_words(clinic, "R_LATE", AS_OF, visible=("T2",)).is_empty()


def test_the_repair_chart_of_a_network_draws_the_therapists_standing_out(clinic):
    per = ruptures.by_therapist(clinic, Filters(date(2026, 1, 1), AS_OF))
    drawn = ruptures.charted(per)
    assert drawn.equals(per.filter(pl.col("resolved") > 0)) and ruptures.chart_note(per, drawn) == ""
    n = 100  # a network: therapists 90-99 have no resolved rupture and are never drawn
    share = [0.2 + i * 0.006 for i in range(n)]
    network = pl.DataFrame({"therapist_id": [f"T{i:03d}" for i in range(n)], "share_repaired": share,
                            "low": [s - 0.1 for s in share], "high": [s + 0.1 for s in share],
                            "resolved": [10] * 90 + [0] * 10, "clients": 20})
    drawn = ruptures.charted(network)
    assert drawn.height == 40 and drawn["resolved"].min() > 0
    assert {"T000", "T089"} <= set(drawn["therapist_id"]) and "T045" not in set(drawn["therapist_id"])
    assert ruptures.chart_note(network, drawn).startswith("The chart shows the 40 of 90 therapists")
