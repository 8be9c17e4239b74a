"""Rates with their denominators and 95% Wilson intervals, added to a Polars frame of counts.

Used by the Attendance, Dropout and Fit & switches pages; the interval itself is attune.metrics.wilson_interval.
"""

from __future__ import annotations

import polars as pl

from attune.metrics import wilson_interval

SMALL_DENOMINATOR = 20  # rates over fewer events than this are marked "small" in tables and charts


def with_rate(frame: pl.DataFrame, numerator: str, denominator: str, name: str,
              small: int = SMALL_DENOMINATOR) -> pl.DataFrame:
    """Add `{name}_rate`, `{name}_low`, `{name}_high` (95% Wilson) and `{name}_small` (denominator below `small`).

    The rate and its interval are null when the denominator is 0: nothing to divide by is not 0%.
    """
    num, den = pl.col(numerator), pl.col(denominator)
    low, high = wilson_interval(frame[numerator].to_numpy(), frame[denominator].to_numpy())
    return frame.with_columns(
        pl.when(den > 0).then(num / den).alias(f"{name}_rate"),
        pl.Series(f"{name}_low", low, dtype=pl.Float64).fill_nan(None),
        pl.Series(f"{name}_high", high, dtype=pl.Float64).fill_nan(None),
        (den < small).alias(f"{name}_small"),
    )
