"""Thresholds of the attention rules: defaults (with where they come from) in code, changes in the database.

Only values someone changed are stored (table `settings`); everything else takes its default, so a new
default in a later version reaches every clinic that kept the old one.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from attune import db
from attune.formatting import noun_for


class SettingsError(ValueError):
    """A value outside the range a threshold allows, or an unknown setting."""


@dataclass(frozen=True)
class Threshold:
    key: str
    label: str
    default: float
    unit: str
    low: float
    high: float
    step: float
    rules: tuple[str, ...]  # the flag kinds it changes
    meaning: str
    source: str

    @property
    def whole(self) -> bool:
        return float(self.step).is_integer() and float(self.default).is_integer()

    def coerce(self, value: float | int | str) -> float | int:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{self.label}: '{value}' is not a number.") from exc
        if not self.low <= number <= self.high:
            raise SettingsError(f"{self.label} must be between {self.low:g} and {self.high:g} {self.unit}; "
                                f"got {number:g}.")
        if self.whole:
            if not number.is_integer():
                raise SettingsError(f"{self.label} must be a whole number of {self.unit}; got {number:g}.")
            return int(number)
        return number


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("active_days", "Active: a session within", 42, "days", 7, 365, 1, ("*",),
              "A relationship is on the list only while it is active: a booking in this many days up to the "
              "data's date and no ended episode (an open request to change therapist keeps it on too).",
              "Six weeks: a client seen fortnightly who misses two sessions is still in therapy. The same gap "
              "Attune uses to estimate dropout when no episodes export exists."),
    Threshold("srs_cutoff", "SRS total cutoff", 36, "points", 0, 40, 0.5, ("low_srs", "early_low", "rupture"),
              "An SRS total below this (0–40) is a reason to talk about the relationship.",
              "The cutoff of 36 used with the Session Rating Scale in PCOMS (Duncan, Miller et al., 2003). Scores "
              "cluster near the top (mean about 36–37), so the cutoff is high."),
    Threshold("srs_item_cutoff", "SRS item cutoff", 8, "points", 0, 10, 0.5, ("low_srs",),
              "Any of the four SRS items (0–10) below this is a reason to ask, even when the total is fine: a "
              "client can keep the total at 36 while one item falls.",
              "Attune's default. Items cluster around 9–10, so an item below 8 stands out."),
    Threshold("srs_drop", "SRS drop", 2, "points", 0.5, 10, 0.5, ("srs_drop",),
              "A fall of at least this much in the SRS total from the client's previous rating, or below the "
              "client's own average, matters as much as a low score.",
              "Some feedback systems flag any drop of 1 point; 2 points ignores one-point wobbles."),
    Threshold("rupture_drop", "Rupture: SRS drop", 2, "points", 0.5, 10, 0.5, ("rupture",),
              "A rupture is an SRS total at least this far below the client's previous rating with the same "
              "therapist, or a total below the cutoff right after one at or above it.",
              "The same default as the SRS drop rule, above one-point wobbles. Rupture–repair research looks for a "
              "dip from the client's own level and a return to it (Stiles et al., 2004); repaired ruptures go "
              "with better outcomes (Eubanks, Muran & Safran, 2018, meta-analysis, r ≈ .29)."),
    Threshold("repair_sessions", "Repair within", 2, "rated sessions", 1, 10, 1, ("rupture",),
              "A rupture counts as repaired when one of this many ratings after it is back within 1 point of "
              "the rating before the rupture, or at or above the cutoff; after that many ratings without it, or "
              "when the client stops attending, it counts as not repaired.",
              "Attune's default: a repair the client notices usually shows at the next session or the one after. "
              "A later recovery is not counted, so the number stays about the response to the rupture."),
    Threshold("early_sessions", "Early phase", 3, "rated sessions", 1, 10, 1, ("early_low",),
              "While a client has at most this many rated sessions, a mean SRS below the cutoff is flagged as a "
              "low early alliance.",
              "A weak alliance early in therapy is one of the strongest known predictors of dropping out "
              "(Sharf, Primavera & Diener, 2010, meta-analysis of alliance and dropout)."),
    Threshold("no_feedback_sessions", "Sessions without feedback", 3, "attended sessions", 1, 20, 1,
              ("no_feedback",),
              "This many attended sessions in a row without an SRS: the relationship is invisible.",
              "Feedback-informed treatment asks for the SRS at every session; three missing in a row is more "
              "than an oversight."),
    Threshold("missed_in_row", "Missed sessions in a row", 2, "sessions", 1, 10, 1, ("missed_sessions",),
              "This many no-shows or late cancellations in a row (the latest bookings) is flagged.",
              "Outpatient no-show rates are around 20%, so one miss is common; two in a row is not, and often "
              "precedes dropping out."),
    Threshold("gap_days", "Gone quiet after", 21, "days", 7, 180, 1, ("gone_quiet",),
              "More than this many days since the last attended session, with no ending recorded.",
              "Three weeks: longer than the usual weekly or fortnightly rhythm, early enough to reach out."),
    Threshold("ors_sessions", "ORS review after", 6, "sessions", 2, 30, 1, ("ors_flat",),
              "From this many attended sessions on, an ORS total that has not improved by the reliable change "
              "since the first ORS is flagged (only when ORS is collected).",
              "Most clients who benefit show it early (dose–effect research, Howard et al., 1986); six "
              "sessions is a common point to review a plan that is not working."),
    Threshold("ors_change", "ORS reliable change", 5, "points", 1, 20, 0.5, ("ors_flat",),
              "The improvement in the ORS total (0–40) that counts as real change rather than noise.",
              "The ORS's reliable change index of 5 points (Miller, Duncan et al., 2003)."),
    Threshold("ors_cutoff", "ORS clinical cutoff", 25, "points", 0, 40, 0.5, ("ors_flat",),
              "Only clients whose first ORS was below this are expected to improve reliably; above it, a flat "
              "ORS is no reason to worry.",
              "The ORS's adult clinical cutoff of 25 (Miller, Duncan et al., 2003)."),
)
BY_KEY = {t.key: t for t in THRESHOLDS}

# Published feedback systems flag roughly this share of clients at each assessment: a list a meeting can handle.
GUIDANCE_LOW, GUIDANCE_HIGH = 0.10, 0.15


def defaults() -> dict[str, float | int]:
    return {t.key: t.coerce(t.default) for t in THRESHOLDS}


def describe() -> pl.DataFrame:
    """Every threshold with its default, what it means and where the default comes from."""
    return pl.DataFrame({
        "Setting": [t.label for t in THRESHOLDS],
        "Default": [f"{t.coerce(t.default):g} {t.unit}" for t in THRESHOLDS],
        "Meaning": [t.meaning for t in THRESHOLDS],
        "Source": [t.source for t in THRESHOLDS],
    })


def load(cur: duckdb.DuckDBPyConnection) -> dict[str, float | int]:
    """Every threshold: its stored value when someone changed it, else its default."""
    values = defaults()
    for key, value in db.run_query(cur, "settings_values").select("key", "value").iter_rows():
        if key in BY_KEY:
            try:
                values[key] = BY_KEY[key].coerce(value)
            except SettingsError:
                continue  # a value a later version no longer allows: the default applies
    return values


def validate(values: dict[str, float | int | str]) -> dict[str, float | int]:
    """Check and convert edited values; raise SettingsError naming the first bad one."""
    unknown = set(values) - BY_KEY.keys()
    if unknown:
        raise SettingsError(f"Unknown {noun_for(len(unknown), 'setting')}: {', '.join(sorted(unknown))}.")
    return {key: BY_KEY[key].coerce(value) for key, value in values.items()}


def save(cur: duckdb.DuckDBPyConnection, values: dict[str, float | int | str], updated_by: str | None = None) -> None:
    """Store the given thresholds (a value equal to its default is stored as 'use the default')."""
    checked = validate(values)
    cur.execute("BEGIN TRANSACTION")
    try:
        for key, value in checked.items():
            if value == BY_KEY[key].coerce(BY_KEY[key].default):
                db.execute(cur, "settings_delete", {"key": key})
            else:
                db.execute(cur, "settings_upsert", {"key": key, "value": str(value), "updated_by": updated_by})
        db.bump_data_version(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
