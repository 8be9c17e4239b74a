"""The importer's SQL helpers: the guarded fast forms give exactly what the plain forms give."""

from __future__ import annotations

import duckdb
import pytest

from attune import db

PLAIN_CLEAN = "unmarked(trim(v))"
PLAIN_WORD = "lower(regexp_replace(trim(v), '\\s+', ' ', 'g'))"


@pytest.fixture
def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    db.run_script(con, "_ingest_macros")
    return con


def tricky_values() -> list[str]:
    """Every code point up to U+3000 (all of Unicode's space separators) at the ends and in the middle of a
    value, plus doubled spaces, markers and empty strings."""
    values = ["", " ", "  ", "a", " a", "a ", "a  b", "NA", " na ", "#N/A", "-", " - ", "Late  Cancel",
              "No show", "no\tshow", "no\nshow", "\u00a0Attended\u3000", "attended\u2003"]
    for point in range(0x3001):
        char = chr(point)
        if char in "\x00":
            continue
        values += [f"{char}a b{char}", f"a{char}{char}b", char]
    return values


def test_guarded_clean_and_word_equal_the_plain_forms_for_every_space_like_character(macros):
    values = tricky_values()
    macros.execute("CREATE TABLE v AS SELECT unnest($values) AS v", {"values": values})
    differing = macros.execute(f"""
        SELECT v, clean(v), {PLAIN_CLEAN}, word(v), {PLAIN_WORD} FROM v
        WHERE clean(v) IS DISTINCT FROM {PLAIN_CLEAN} OR word(v) IS DISTINCT FROM {PLAIN_WORD}""").fetchall()
    assert differing == []
    # the guard is not vacuous: some values do need trimming or collapsing
    changed = macros.execute(f"SELECT count(*) FILTER (WHERE trim(v) <> v), count(*) FILTER (WHERE {PLAIN_WORD} "
                             "<> lower(v)) FROM v").fetchall()[0]
    assert changed[0] > 30 and changed[1] > 30
