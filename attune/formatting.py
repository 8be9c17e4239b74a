"""How numbers are written for supervisors: rates with their denominator, scores with one decimal."""

from __future__ import annotations

import re
from datetime import date, datetime

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=])")


def rate(numerator: int | None, denominator: int | None) -> str:
    """'18.2% of 1,204'; an em dash when there is nothing to divide by."""
    if not denominator:
        return "—"
    return f"{100 * (numerator or 0) / denominator:.1f}% of {denominator:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def period(start: date, end: date) -> str:
    days = (end - start).days + 1
    span = f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"
    return f"{start.isoformat()} to {end.isoformat()} ({span})"


def plain(text: str) -> str:
    """Text from outside (a link, a file) shown through Markdown exactly as written, on one line.

    Without this a link's `![x](https://elsewhere/pixel.png)` would make the browser fetch that URL.
    """
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))
