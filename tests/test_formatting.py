"""Numbers as the pages write them."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from attune import settings
from attune.formatting import (
    MISSING,
    card_rate,
    card_share,
    counted,
    day,
    day_text,
    natural_key,
    natural_order,
    noun_for,
    rate,
    short_count,
    therapist_label,
)


def test_rate_names_the_denominator_in_full():
    assert rate(219, 1204) == "18.2% of 1,204"
    assert rate(0, 0) == "—"


def test_card_rate_shortens_only_millions_so_the_card_shows_it_whole():
    assert card_rate(219, 1204) == rate(219, 1204)
    assert card_rate(999_999, 999_999) == "100.0% of 999,999"
    assert card_rate(248_197, 1_551_234) == "16.0% of 1.55M"
    assert card_rate(None, None) == "—"
    assert len(card_rate(1, 123_456_789)) <= 15


def test_short_count_keeps_three_figures():
    assert [short_count(n) for n in (1_000_000, 1_551_234, 12_449_000, 155_300_000)] == [
        "1.00M", "1.55M", "12.4M", "155M"]


def test_a_therapist_reads_name_and_id_and_a_missing_one_reads_as_asked():
    frame = pl.DataFrame({"to_name": ["Ann Lee", None], "to_therapist_id": ["T01", None]})
    assert frame.select(therapist_label("to_name", "to_therapist_id"))[:, 0].to_list() == [
        "Ann Lee (T01)", None]
    assert frame.select(therapist_label("to_name", "to_therapist_id", missing="—"))[:, 0].to_list() == [
        "Ann Lee (T01)", "—"]


def test_a_count_takes_its_noun_in_the_right_number():
    assert counted(1, "client") == "1 client"
    assert counted(0, "client") == "0 clients"
    assert counted(1245, "relationship") == "1,245 relationships"
    assert counted(2, "empty line") == "2 empty lines"
    assert counted(3, "analysis", "analyses") == "3 analyses"


def test_a_list_of_names_takes_its_noun_in_the_right_number():
    assert noun_for(1, "team") == "team"
    assert noun_for(2, "team") == "teams"
    assert noun_for(2, "analysis", "analyses") == "analyses"
    with pytest.raises(settings.SettingsError, match=r"^Unknown setting: nope\.$"):
        settings.validate({"nope": 1})
    with pytest.raises(settings.SettingsError, match=r"^Unknown settings: a, b\.$"):
        settings.validate({"b": 1, "a": 2})


def test_a_card_share_is_the_percentage_alone():
    assert card_share(36_285, 191_984) == "18.9%"
    assert card_share(0, 12) == "0.0%"
    assert card_share(None, 12) == card_share(3, 0) == card_share(None, None) == "—"


def test_names_with_numbers_sort_as_people_count():
    names = ["Site 10", "Site 3", "Site 1", "Annex", "site 2", "Team 34", "Team 4"]
    expected = ["Annex", "Site 1", "site 2", "Site 3", "Site 10", "Team 4", "Team 34"]
    assert sorted(names, key=natural_key) == expected
    frame = pl.DataFrame({"level": names})
    assert frame.sort(natural_order(frame["level"]))["level"].to_list() == expected
    rooms = pl.DataFrame({"level": ["Site 2 room 10", "Site 2 room 9", None]})  # one order for both forms
    assert rooms.sort(natural_order(rooms["level"]))["level"].to_list() == [None, "Site 2 room 9", "Site 2 room 10"]


def test_day_text_writes_dates_and_datetimes_as_day_does():
    frame = pl.DataFrame({"when": [datetime(2026, 11, 20, 9, 30), None]})
    assert frame.select(day_text("when")).to_series().to_list() == [day(datetime(2026, 11, 20, 9, 30)), MISSING]
