"""The shared filter bar's logic: quick picks, reading a shared link (invalid values dropped with a notice)."""

from datetime import date

from attune.filters import Choices, Selection, parse_query, preset_range, to_query

AS_OF = date(2026, 11, 20)
FIRST = date(2025, 5, 22)
CHOICES = Choices(therapist_ids=("T01", "T02", "T03"), supervisors=("Haddad team", "Silva team"),
                  sites=("North", "South"), services=("Adult", "Couples"))


def test_quick_picks_end_at_the_newest_data():
    assert preset_range("4w", AS_OF, FIRST) == (date(2026, 10, 24), AS_OF)
    assert preset_range("quarter", AS_OF, FIRST) == (date(2026, 7, 1), date(2026, 9, 30))  # last full quarter
    assert preset_range("quarter", date(2026, 2, 3), FIRST) == (date(2025, 10, 1), date(2025, 12, 31))
    assert preset_range("ytd", AS_OF, FIRST) == (date(2026, 1, 1), AS_OF)
    assert preset_range("all", AS_OF, FIRST) == (FIRST, AS_OF)
    assert preset_range("12w", AS_OF, FIRST) == (date(2026, 8, 29), AS_OF)


def test_a_link_round_trips():
    selection = Selection("custom", date(2026, 3, 1), date(2026, 5, 31), ("T01", "T03"), ("Silva team",), ("North",),
                          ("Couples",))
    query = to_query(selection)
    assert query == {"period": "custom", "from": "2026-03-01", "to": "2026-05-31", "therapist": "T01,T03",
                     "team": "Silva team", "site": "North", "service": "Couples"}
    assert parse_query(query, CHOICES, AS_OF, FIRST) == (selection, [])
    quick = Selection("ytd", date(2026, 1, 1), AS_OF, ("T02",))
    assert parse_query(to_query(quick), CHOICES, AS_OF, FIRST) == (quick, [])


def test_repeated_parameters_and_case_are_accepted():
    selection, notices = parse_query({"therapist": ["t01", "T02,T01"], "team": "haddad TEAM"}, CHOICES, AS_OF, FIRST)
    assert selection.therapist_ids == ("T01", "T02")
    assert selection.supervisors == ("Haddad team",)
    assert notices == []


def test_unknown_values_are_ignored_with_a_notice():
    selection, notices = parse_query({"therapist": "T01,T99", "site": "Mars"}, CHOICES, AS_OF, FIRST)
    assert selection.therapist_ids == ("T01",) and selection.sites == ()
    assert any("T99" in n for n in notices) and any("Mars" in n for n in notices)


def test_reversed_dates_are_swapped_with_a_notice():
    selection, notices = parse_query({"from": "2026-06-30", "to": "2026-06-01"}, CHOICES, AS_OF, FIRST)
    assert (selection.preset, selection.start, selection.end) == ("custom", date(2026, 6, 1), date(2026, 6, 30))
    assert "swapped" in notices[0]


def test_garbage_falls_back_to_the_default_period():
    default = preset_range("12w", AS_OF, FIRST)
    for query in ({"period": "<script>"}, {"from": "yesterday"}, {"from": "2026-13-45"},
                  {"from": "0001-01-01", "to": "9999-12-31"}, {"period": "custom", "to": "soon"}):
        selection, notices = parse_query(query, CHOICES, AS_OF, FIRST)
        assert (selection.start, selection.end) == default, query
        assert len(notices) == 1, query
    # the previous period of any accepted range can be computed (no date overflow)
    selection, _ = parse_query({"from": "1900-01-01", "to": "2100-12-31"}, CHOICES, AS_OF, FIRST)
    assert selection.filters().previous().start.year >= 1
