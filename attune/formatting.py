"""How numbers are written for supervisors: rates with their denominator, scores with one decimal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

import polars as pl

# How a figure that is not there is written, in text and in every table cell.
MISSING = "—"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=])")


def rate(numerator: int | None, denominator: int | None, written: str | None = None) -> str:
    """'18.2% of 1,204' (the denominator as `written` when given); an em dash when there is nothing to divide by."""
    if not denominator:
        return MISSING
    return f"{100 * (numerator or 0) / denominator:.1f}% of {written or f'{denominator:,}'}"


def card_rate(numerator: int | None, denominator: int | None) -> str:
    """`rate` for a metric card, whose value is cut off past about 15 characters: a denominator of a million or
    more is shortened to three figures ('16.0% of 1.55M'); below that it is written in full."""
    large = denominator is not None and denominator >= 1_000_000
    return rate(numerator, denominator, short_count(denominator) if large else None)


def card_share(numerator: int | None, denominator: int | None) -> str:
    """'18.9%' for a metric card whose denominator another card shows; an em dash when there is none."""
    return percent(numerator / denominator) if denominator and numerator is not None else MISSING


def short_count(value: int) -> str:
    """A count of a million or more in three figures: '1.55M', '12.4M', '155M'."""
    millions = value / 1_000_000
    figures = f"{millions:.2f}" if millions < 10 else f"{millions:.1f}" if millions < 100 else f"{millions:.0f}"
    return f"{figures}M"


def percent(value: float | None) -> str:
    return MISSING if value is None else f"{100 * value:.1f}%"


def score(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def noun_for(value: int, noun: str, plural: str | None = None) -> str:
    """The noun in the number `value` asks for: 'team' for one, 'teams' otherwise (never 'team(s)')."""
    return noun if value == 1 else plural or noun + "s"


def natural_key(text: str) -> tuple:
    """A sort key that puts "Site 3" before "Site 10": runs of digits compare as numbers, the rest as text."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", text) if part)


def natural_order(values: pl.Series) -> pl.Expr:
    """natural_key as a polars sort key for the column `values` come from: each name's place among its distinct
    names in that order (a null has none, and sorts first as polars puts nulls)."""
    places = {name: i for i, name in enumerate(sorted(values.drop_nulls().unique().to_list(), key=natural_key))}
    return pl.col(values.name).replace_strict(places, default=None, return_dtype=pl.Int64)


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """'1 client', '1,245 clients': a count with its noun in the right number (never 'client(s)')."""
    return f"{value:,} {noun_for(value, noun, plural)}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return MISSING
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def day_text(column: str) -> pl.Expr:
    """`day` for a date or datetime column of a table: "2026-11-20", or MISSING."""
    return pl.col(column).dt.to_string("%Y-%m-%d").fill_null(MISSING)


def period(start: date, end: date) -> str:
    days = (end - start).days + 1
    span = f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"
    return f"{start.isoformat()} to {end.isoformat()} ({span})"


def plain(text: str) -> str:
    """Text from outside (a link, a file) shown through Markdown exactly as written, on one line.

    Without this a link's `![x](https://elsewhere/pixel.png)` would make the browser fetch that URL.
    """
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def therapist_label(name: str = "therapist_name", therapist_id: str = "therapist_id",
                    missing: str | None = None) -> pl.Expr:
    """A therapist as every table and chart shows one: "Ann Lee (T01)". A network has therapists who share a
    name, so the id is always written too. Where the id is null: `missing`, or null when none is given (a
    request to change therapist names no new one until it is assigned)."""
    label = pl.format("{} ({})", name, therapist_id)
    return label if missing is None else pl.when(pl.col(therapist_id).is_null()).then(pl.lit(missing)).otherwise(label)


def one_decimal(expr: pl.Expr, signed: bool = False) -> pl.Expr:
    """Scores as text with one decimal ('36.0', '+1.5'), an em dash when missing.

    Native Polars on purpose, like `each`: a Python function inside an expression (map_elements) runs on
    Polars' thread pool and needs the GIL, and while another session holds the GIL waiting on that pool (a
    frame converted for st.dataframe does) the whole server deadlocks.
    """
    rounded = expr.round(1)
    rounded = pl.when(rounded.is_null() | (rounded != 0)).then(rounded).otherwise(pl.lit(0.0))  # no "-0.0"
    text = rounded.cast(pl.Utf8)
    if signed:
        text = pl.when(rounded < 0).then(text).otherwise(pl.lit("+") + text)
    return text.fill_null(MISSING)


def each(values: pl.Series, fn: Callable[[object], object], skip_nulls: bool = True) -> pl.Series:
    """`fn` applied to every value (nulls stay null unless `skip_nulls` is False) in the calling thread, never
    on Polars' thread pool (see one_decimal)."""
    return pl.Series(values.name, [None if v is None and skip_nulls else fn(v) for v in values.to_list()],
                     dtype=pl.Utf8)


def _grouped(expr: pl.Expr) -> pl.Expr:
    """A whole number with thousands separators ('1,204'), natively."""
    n = expr.cast(pl.Int64)
    digits = [(n // 10**power) % 1000 for power in (9, 6, 3)]

    def three(part: pl.Expr) -> pl.Expr:
        return part.cast(pl.Utf8).str.zfill(3)

    return (pl.when(n >= 10**9).then(pl.format("{},{},{},{}", n // 10**9, three(digits[1]), three(digits[2]),
                                                three(n % 1000)))
            .when(n >= 10**6).then(pl.format("{},{},{}", n // 10**6, three(digits[2]), three(n % 1000)))
            .when(n >= 1000).then(pl.format("{},{}", n // 1000, three(n % 1000)))
            .otherwise(n.cast(pl.Utf8)))


def rate_text(numerator: str, denominator: str) -> pl.Expr:
    """`rate` as an expression: '18.2% of 1,204'; an em dash when there is nothing to divide by."""
    num, den = pl.col(numerator).fill_null(0), pl.col(denominator)
    return (pl.when(den.is_null() | (den == 0)).then(pl.lit(MISSING))
            .otherwise(pl.format("{}% of {}", one_decimal(100 * num / den), _grouped(den))))


def percent_interval(low: str, high: str) -> pl.Expr:
    """A 95% interval of a rate: '12.5–20.1%'; an em dash when there is none."""
    return (pl.when(pl.col(low).is_null()).then(pl.lit(MISSING))
            .otherwise(pl.format("{}–{}%", one_decimal(100 * pl.col(low)), one_decimal(100 * pl.col(high)))))
