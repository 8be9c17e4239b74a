"""The shared filter state: a date range and selections of therapists, teams, sites and services.

Every named query receives the same parameters from `Filters.params()`, so all pages filter alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from attune.formatting import noun_for

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
URL_KEYS = ("period", "from", "to", *QUERY_KEYS.values())


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


EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def _values(query: Mapping[str, str | list[str]], key: str) -> list[str]:
    """A parameter's values: comma-separated and/or repeated (`?therapist=T1,T2` or `?therapist=T1&therapist=T2`)."""
    raw = query.get(key, [])
    items = [raw] if isinstance(raw, str) else list(raw)
    return [v.strip() for item in items for v in item.split(",") if v.strip()]


def _last(query: Mapping[str, str | list[str]], key: str) -> str | None:
    values = _values(query, key)
    return values[-1] if values else None


def parse_query(
    query: Mapping[str, str | list[str]], choices: Choices, as_of: date, first: date | None
) -> tuple[Selection, list[str]]:
    """Read a shared link's filters; anything invalid is dropped with a notice, never an error.

    Values match the offered choices regardless of case; unknown ones are ignored (and named in the notice).
    """
    notices: list[str] = []
    preset = _last(query, "period") or "12w"
    if preset not in PRESETS:
        notices.append(f"Unknown period '{preset[:40]}' in the link: showing the last 12 weeks.")
        preset = "12w"
    start, end = preset_range(preset, as_of, first)
    if preset == "custom" or "from" in query or "to" in query:
        try:
            start = date.fromisoformat(_last(query, "from") or start.isoformat())
            end = date.fromisoformat(_last(query, "to") or end.isoformat())
            preset = "custom"
        except ValueError:
            notices.append("The dates in the link are not valid (use YYYY-MM-DD): showing the last 12 weeks.")
            preset, (start, end) = "12w", preset_range("12w", as_of, first)
        if start > end:
            notices.append("The link's start date is after its end date: the two were swapped.")
            start, end = end, start
        if start < EARLIEST or end > LATEST:
            notices.append(f"The link's dates are outside {EARLIEST.year}–{LATEST.year}: showing the last 12 weeks.")
            preset, (start, end) = "12w", preset_range("12w", as_of, first)
    picked: dict[str, tuple[str, ...]] = {}
    for field_name, key in QUERY_KEYS.items():
        allowed = {v.casefold(): v for v in getattr(choices, field_name)}
        wanted = _values(query, key)
        unknown = [v for v in wanted if v.casefold() not in allowed]
        if unknown:
            shown = ", ".join(v[:40] for v in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            notices.append(f"Ignored unknown {key} {noun_for(len(unknown), 'value')} in the link: {shown}.")
        picked[field_name] = tuple(dict.fromkeys(allowed[v.casefold()] for v in wanted if v.casefold() in allowed))
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
