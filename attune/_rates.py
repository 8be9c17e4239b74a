"""Rates with their denominators and 95% Wilson intervals, as Polars expressions.

A small private stand-in used by the attendance, dropout and fit pages until the shared interval helpers in
attune/metrics.py land; the lead can point `with_rate` at those without changing its callers.
"""

from __future__ import annotations

import polars as pl

Z95 = 1.959963984540054
SMALL_DENOMINATOR = 20  # rates over fewer events than this are marked "small" in tables and charts


def wilson_bounds(successes: pl.Expr, trials: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """Lower and upper 95% Wilson score bounds of successes/trials (null when trials is 0).

    Wilson rather than the normal approximation: it stays inside 0–1 and behaves at 0 of 5 or 5 of 5.
    """
    n = trials.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).sqrt()) / (1 + z * z / n)
    valid = trials > 0
    return (pl.when(valid).then((centre - half).clip(0.0, 1.0)),
            pl.when(valid).then((centre + half).clip(0.0, 1.0)))


def with_rate(frame: pl.DataFrame, numerator: str, denominator: str, name: str,
              small: int = SMALL_DENOMINATOR) -> pl.DataFrame:
    """Add `{name}_rate`, `{name}_low`, `{name}_high` and `{name}_small` (denominator below `small`).

    The rate is null when the denominator is 0: nothing to divide by is not 0%.
    """
    num, den = pl.col(numerator), pl.col(denominator)
    low, high = wilson_bounds(num, den)
    return frame.with_columns(
        pl.when(den > 0).then(num / den).alias(f"{name}_rate"),
        low.alias(f"{name}_low"),
        high.alias(f"{name}_high"),
        (den < small).alias(f"{name}_small"),
    )
