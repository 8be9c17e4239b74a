"""Large, valid exports for load and crash tests: extra sessions for the demo clinic's therapists."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

STATUSES = ["attended", "no_show", "late_cancel", "cancelled", "clinician_cancel"]


def write_sessions(path: Path, rows: int, *, seed: int = 7, therapists: int = 12,
                   first: datetime = datetime(2025, 6, 1), days: int = 500, prefix: str = "BIG") -> Path:
    """A sessions export of `rows` new sessions (ids PREFIX0000001…) spread over `days` days from `first`."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(8 * 60, 19 * 60, rows) + rng.integers(0, days, rows) * 24 * 60
    numbers = pl.int_range(0, rows, eager=True).alias("i")
    frame = pl.DataFrame(numbers).select(
        session_id=pl.lit(prefix) + pl.col("i").cast(pl.Utf8).str.zfill(7),
        client_id=pl.lit(prefix + "C") + (pl.col("i") % max(1, rows // 12)).cast(pl.Utf8).str.zfill(6),
        therapist_id=pl.lit("T") + (pl.col("i") % therapists + 1).cast(pl.Utf8).str.zfill(2),
        scheduled_at=pl.lit(first) + pl.duration(minutes=pl.Series(minutes)),
        status=pl.Series(rng.choice(STATUSES, rows, p=[0.78, 0.1, 0.05, 0.05, 0.02])),
        session_number=pl.col("i") % 20 + 1,
        site=pl.Series(rng.choice(["North", "Riverside"], rows)),
        service=pl.Series(rng.choice(["Adult counselling", "Couples", "Young people"], rows)),
    )
    frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M")
    return path
