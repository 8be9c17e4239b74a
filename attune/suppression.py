"""Small-count suppression for exported aggregate tables, with secondary suppression.

A count between 1 and the threshold minus one (default 10) is hidden (primary suppression). Hiding it alone is
not enough: whoever knows a column's total (the clinic-wide number on the Overview, or the sum of the other
rows) gets the hidden count back by subtraction. So every *line* of the table along which a total can be known
(each count column, and any group of columns that add up to a known row total) must hide either none or at
least two cells (secondary suppression, smallest other cell first). Two per line is still not always enough
(a hidden cell that bridges two otherwise separate patterns is fixed by the others), so the result is audited:
for every primary cell a linear programme finds the smallest and largest value consistent with everything
published (line totals known, counts non-negative); where the two coincide, one more cell is hidden and the
audit repeats.

Rates written the Attune way ("18.2% of 1,204") are read as two counts (numerator and denominator) and take
part like any count column. Other columns (means, intervals, rates as numbers) are hidden in a row whenever a
count in that row is, unless `Spec.derived` says exactly which counts each one is computed from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from attune import db
from attune.formatting import MISSING, counted

MIN_COUNT = 10  # the default threshold; a `privacy_min_count` row in the settings table overrides it
SETTING_KEY = "privacy_min_count"
MARK = "suppressed"
RATE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)% of ([\d,]+)\s*$")
Cell = tuple[int, int]


@dataclass(frozen=True)
class Spec:
    """Which columns of an aggregate table are counts and how they relate.

    counts: count columns (None: every integer column that is not a label).
    labels: columns that name the row and are never hidden (None: the first column).
    row_groups: groups of count columns that add up to a row total someone could know, e.g.
        ("attended", "no_show", "late_cancel") when the number of kept bookings is published elsewhere.
    derived: (column, (count columns it is computed from)) pairs; None: every column that is neither a label,
        a count nor a rate text is hidden in any row where a count is hidden.
    suppress_zeros: hide zero counts too (off: a zero is not a small group of people).
    """

    counts: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None
    row_groups: tuple[tuple[str, ...], ...] = ()
    derived: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    suppress_zeros: bool = False


@dataclass(frozen=True)
class Suppressed:
    frame: pl.DataFrame  # hidden cells set to null
    hidden: pl.DataFrame  # one boolean column per column of the frame: True where the cell is hidden
    primary: int
    secondary: int
    threshold: int

    def export_frame(self) -> pl.DataFrame:
        """The frame as exported: columns with hidden cells become text, hidden cells read 'suppressed'."""
        columns = []
        for name in self.frame.columns:
            if self.hidden[name].any():
                text = self.frame[name].cast(pl.Utf8) if self.frame[name].dtype != pl.Utf8 else self.frame[name]
                columns.append(pl.when(self.hidden[name]).then(pl.lit(MARK)).otherwise(text).alias(name))
            else:
                columns.append(pl.col(name))
        return self.frame.select(columns)

    @property
    def cells_hidden(self) -> int:
        return int(self.hidden.select(pl.sum_horizontal(pl.all().cast(pl.Int64))).to_series().sum())

    @property
    def note(self) -> str:
        if not self.primary:
            return f"no count below {self.threshold}, nothing suppressed"
        return (f"counts below {self.threshold}, and cells that would reveal them by subtraction, read "
                f"'{MARK}' ({counted(self.cells_hidden, 'cell')})")


def min_count(cur: duckdb.DuckDBPyConnection) -> int:
    """The threshold: the settings table's `privacy_min_count` when one is stored there, else MIN_COUNT."""
    if "settings_values" not in db.query_names() or not db.run_query(cur, "table_exists", {"name": "settings"})[
            "found"][0]:
        return MIN_COUNT
    stored = db.run_query(cur, "settings_values").filter(pl.col("key") == SETTING_KEY)["value"].to_list()
    try:
        value = int(float(stored[0])) if stored else MIN_COUNT
    except ValueError:
        return MIN_COUNT
    return max(value, 1)


def suppress(frame: pl.DataFrame, spec: Spec | None = None, threshold: int = MIN_COUNT) -> Suppressed:
    """Hide small counts and the cells that would reveal them; see the module docstring."""
    spec = spec or Spec()
    labels = spec.labels if spec.labels is not None else tuple(frame.columns[:1])
    counts = spec.counts if spec.counts is not None else tuple(
        c for c, t in frame.schema.items() if t.is_integer() and c not in labels)
    rate_columns = tuple(c for c, t in frame.schema.items()
                         if t == pl.Utf8 and c not in labels and _is_rate_column(frame[c]))

    # The matrix of counts: real count columns, then two virtual columns (numerator, denominator) per rate text.
    columns: list[np.ndarray] = [frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy().copy() for c in counts]
    for c in rate_columns:
        parsed = [_parse_rate(v) for v in frame[c].to_list()]
        columns.append(np.array([np.nan if p is None else p[0] for p in parsed], dtype=float))
        columns.append(np.array([np.nan if p is None else p[1] for p in parsed], dtype=float))
    matrix = np.column_stack(columns) if columns else np.zeros((frame.height, 0))
    lines = [[(i, j) for i in range(frame.height)] for j in range(matrix.shape[1])]
    index = {c: j for j, c in enumerate(counts)}
    for group in spec.row_groups:
        lines += [[(i, index[c]) for c in group] for i in range(frame.height)]
    primary, hidden = protect(matrix, lines, threshold, spec.suppress_zeros)

    masks: dict[str, np.ndarray] = {c: np.zeros(frame.height, dtype=bool) for c in frame.columns}
    for j, c in enumerate(counts):
        masks[c] = hidden[:, j].copy()
    for k, c in enumerate(rate_columns):
        j = len(counts) + 2 * k
        masks[c] = hidden[:, j] | hidden[:, j + 1]
    row_hidden = hidden.any(axis=1) if hidden.size else np.zeros(frame.height, dtype=bool)
    if spec.derived is None:
        for c in frame.columns:
            if c not in labels and c not in counts and c not in rate_columns:
                masks[c] = row_hidden.copy()
    else:
        for c, sources in spec.derived:
            masks[c] = np.logical_or.reduce([masks[s] for s in sources]) if sources else masks[c]
    hidden_frame = pl.DataFrame({c: masks[c] for c in frame.columns})
    shown = frame.with_columns(
        [pl.when(pl.Series(masks[c])).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns])
    n_primary = int(primary.sum())
    return Suppressed(shown, hidden_frame, n_primary, int(hidden.sum()) - n_primary, threshold)


def protect(matrix: np.ndarray, lines: list[list[Cell]], threshold: int, suppress_zeros: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """(primary, hidden) boolean masks for a matrix of counts (NaN: no cell) whose line totals are known."""
    present = ~np.isnan(matrix)
    low = 0 if suppress_zeros else 1
    primary = present & (np.nan_to_num(matrix, nan=-1) >= low) & (np.nan_to_num(matrix, nan=-1) < threshold)
    hidden = primary.copy()
    if not primary.any():
        return primary, hidden
    while True:
        _two_per_line(matrix, present, hidden, lines)
        exposed = exposed_cells(matrix, hidden, primary, lines)
        if not exposed:
            return primary, hidden
        if not _hide_neighbour(matrix, present, hidden, lines, exposed[0]):
            return primary, hidden  # nothing left to hide: every cell around it is hidden already


def exposed_cells(matrix: np.ndarray, hidden: np.ndarray, primary: np.ndarray, lines: list[list[Cell]]
                  ) -> list[Cell]:
    """Primary cells whose value follows exactly from the published cells and the line totals."""
    return [cell for cell, (low, high) in feasible_ranges(matrix, hidden, lines).items()
            if primary[cell] and high - low < 0.5]


def feasible_ranges(matrix: np.ndarray, hidden: np.ndarray, lines: list[list[Cell]]
                    ) -> dict[Cell, tuple[float, float]]:
    """For each hidden cell, the smallest and largest value an attacker could deduce (linear programme)."""
    cells = [tuple(c) for c in np.argwhere(hidden)]
    if not cells:
        return {}
    position = {c: k for k, c in enumerate(cells)}
    rows, totals = [], []
    for line in lines:
        line = [c for c in line if not np.isnan(matrix[c])]
        unknown = [c for c in line if hidden[c]]
        if not unknown:
            continue
        row = np.zeros(len(cells))
        for c in unknown:
            row[position[c]] = 1.0
        rows.append(row)
        published = sum(matrix[c] for c in line if not hidden[c])
        totals.append(sum(matrix[c] for c in line) - published)
    from scipy.optimize import linprog  # imported here: most of a second, for a rarely needed audit

    a_eq, b_eq = np.array(rows), np.array(totals)
    ranges = {}
    for k, cell in enumerate(cells):
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        ranges[cell] = (low.fun if low.success else 0.0, -high.fun if high.success else float("inf"))
    return ranges


def _two_per_line(matrix: np.ndarray, present: np.ndarray, hidden: np.ndarray, lines: list[list[Cell]]) -> None:
    """Until no line hides exactly one cell: hide the smallest other cell of such a line (non-zero first)."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            cells = [c for c in line if present[c]]
            if sum(hidden[c] for c in cells) != 1:
                continue
            candidates = [c for c in cells if not hidden[c]]
            if candidates:
                hidden[min(candidates, key=lambda c: (matrix[c] == 0, matrix[c]))] = True
                changed = True


def _hide_neighbour(matrix: np.ndarray, present: np.ndarray, hidden: np.ndarray, lines: list[list[Cell]],
                    cell: Cell) -> bool:
    """Hide the smallest visible cell sharing a line with `cell` (any visible cell when none does)."""
    near = {c for line in lines if cell in line for c in line if present[c] and not hidden[c]}
    if not near:
        near = {tuple(c) for c in np.argwhere(present & ~hidden)}
    if not near:
        return False
    hidden[min(near, key=lambda c: (matrix[c] == 0, matrix[c], c))] = True
    return True


def _parse_rate(value: str | None) -> tuple[float, float] | None:
    match = RATE_TEXT.match(value) if isinstance(value, str) else None
    if not match:
        return None
    denominator = float(match.group(2).replace(",", ""))
    return round(float(match.group(1)) * denominator / 100), denominator


def _is_rate_column(series: pl.Series) -> bool:
    values = [v for v in series.to_list() if v not in (None, "", MISSING)]
    return bool(values) and all(RATE_TEXT.match(v) for v in values)
