"""The shared filter state: a date range and selections of therapists, teams, sites and services.

Every named query receives the same parameters from `Filters.params()`, so all pages filter alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

DEFAULT_WEEKS = 12
SRS_CUTOFF = 36.0


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    therapist_ids: tuple[str, ...] = ()
    supervisors: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    visible_therapists: tuple[str, ...] | None = None  # None: the viewer may see every therapist

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one, same selections."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def params(self, **extra: Any) -> dict[str, Any]:
        base = {
            "start_date": self.start,
            "end_date": self.end,
            "therapist_ids": list(self.therapist_ids),
            "supervisors": list(self.supervisors),
            "sites": list(self.sites),
            "services": list(self.services),
            "visible": None if self.visible_therapists is None else list(self.visible_therapists),
            "srs_cutoff": SRS_CUTOFF,
        }
        base.update(extra)
        return base


def default_filters(as_of: date | None) -> Filters:
    """The last twelve weeks up to the newest data (or today when there is none)."""
    end = as_of or date.today()
    return Filters(start=end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), end=end)


PRESETS = {
    "4w": "Last 4 weeks",
    "12w": "Last 12 weeks",
    "quarter": "Last quarter",
    "ytd": "Year to date",
    "12m": "Last 12 months",
    "all": "All data",
    "custom": "Custom range",
}
QUERY_KEYS = {"therapist_ids": "therapist", "supervisors": "team", "sites": "site", "services": "service"}


def preset_range(preset: str, as_of: date, first: date | None) -> tuple[date, date]:
    """The dates a quick pick means, ending at the newest data (`as_of`)."""
    if preset == "4w":
        return as_of - timedelta(weeks=4) + timedelta(days=1), as_of
    if preset == "quarter":
        quarter_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        prev_end = quarter_start - timedelta(days=1)
        return date(prev_end.year, 3 * ((prev_end.month - 1) // 3) + 1, 1), prev_end
    if preset == "ytd":
        return date(as_of.year, 1, 1), as_of
    if preset == "12m":
        return as_of - timedelta(days=364), as_of
    if preset == "all":
        return first or as_of, as_of
    return as_of - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), as_of


@dataclass(frozen=True)
class Choices:
    """What the filter bar can offer; URL values outside these are ignored."""

    therapist_ids: tuple[str, ...]
    supervisors: tuple[str, ...]
    sites: tuple[str, ...]
    services: tuple[str, ...]


@dataclass(frozen=True)
class Selection:
    preset: str
    start: date
    end: date
    therapist_ids: tuple[str, ...] = ()
    supervisors: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def filters(self, visible: tuple[str, ...] | None = None) -> Filters:
        return Filters(self.start, self.end, self.therapist_ids, self.supervisors, self.sites, self.services,
                       visible)


def parse_query(
    query: dict[str, str], choices: Choices, as_of: date, first: date | None
) -> tuple[Selection, list[str]]:
    """Read a shared link's filters; anything invalid is dropped with a notice, never an error."""
    notices: list[str] = []
    preset = query.get("period", "12w")
    if preset not in PRESETS:
        notices.append(f"Unknown period '{preset}' in the link: showing the last 12 weeks.")
        preset = "12w"
    start, end = preset_range(preset, as_of, first)
    if preset == "custom" or "from" in query or "to" in query:
        try:
            start = date.fromisoformat(query.get("from", start.isoformat()))
            end = date.fromisoformat(query.get("to", end.isoformat()))
            preset = "custom"
        except ValueError:
            notices.append("The dates in the link are not valid (use YYYY-MM-DD): showing the last 12 weeks.")
            preset, (start, end) = "12w", preset_range("12w", as_of, first)
        if start > end:
            notices.append("The link's start date is after its end date: the two were swapped.")
            start, end = end, start
    picked: dict[str, tuple[str, ...]] = {}
    for field_name, key in QUERY_KEYS.items():
        allowed = getattr(choices, field_name)
        wanted = [v for v in query.get(key, "").split(",") if v]
        unknown = [v for v in wanted if v not in allowed]
        if unknown:
            notices.append(f"Ignored unknown {key} value(s) in the link: {', '.join(unknown[:5])}.")
        picked[field_name] = tuple(v for v in wanted if v in allowed)
    return Selection(preset, start, end, **picked), notices


def to_query(selection: Selection) -> dict[str, str]:
    """The URL query string that reproduces this view."""
    query = {"period": selection.preset}
    if selection.preset == "custom":
        query["from"], query["to"] = selection.start.isoformat(), selection.end.isoformat()
    for field_name, key in QUERY_KEYS.items():
        values = getattr(selection, field_name)
        if values:
            query[key] = ",".join(values)
    return query
