"""Small-count suppression: small cells hidden, and not recoverable by subtraction from known totals."""

from itertools import product

import numpy as np
import polars as pl

from attune.suppression import MARK, MIN_COUNT, Spec, exposed_cells, min_count, protect, suppress


def completions(matrix: np.ndarray, hidden: np.ndarray, lines: list[list[tuple[int, int]]], top: int) -> list[dict]:
    """Every way to fill the hidden cells with counts 0..top that keeps every line total: what an attacker who
    knows the published cells and all row and column totals cannot rule out (brute force, independent of the
    code under test)."""
    cells = [tuple(c) for c in np.argwhere(hidden)]
    grid = np.array(list(product(range(top + 1), repeat=len(cells))))
    keep = np.ones(len(grid), dtype=bool)
    for line in lines:
        unknown = [k for k, c in enumerate(cells) if c in line]
        if unknown:
            published = sum(matrix[c] for c in line if not hidden[c])
            keep &= grid[:, unknown].sum(axis=1) == sum(matrix[c] for c in line) - published
    return [dict(zip(cells, row, strict=True)) for row in grid[keep].tolist()]


def test_small_counts_are_hidden_and_large_ones_kept():
    frame = pl.DataFrame({"therapist": ["A", "B", "C"], "clients": [25, 4, 31], "sessions": [120, 60, 0]})
    result = suppress(frame, threshold=10)
    exported = result.export_frame()
    assert exported["clients"].to_list()[1] == MARK  # 4 < 10
    assert exported["sessions"].to_list()[2] == 0  # a zero is not a small group of people
    assert exported["therapist"].to_list() == ["A", "B", "C"]  # labels are never hidden
    assert result.primary == 1


def test_one_hidden_cell_per_column_would_be_recovered_so_a_second_is_hidden():
    # Clinic total of clients (60) is on the Overview: hiding only B's 4 gives it back as 60 - 25 - 31.
    frame = pl.DataFrame({"therapist": ["A", "B", "C"], "clients": [25, 4, 31]})
    result = suppress(frame, threshold=10)
    hidden = result.hidden["clients"].to_list()
    assert hidden == [True, True, False]  # the smallest other cell (25) goes too
    assert result.secondary == 1
    values = completions(np.array([[25.0], [4.0], [31.0]]), np.array([[True], [True], [False]]),
                         [[(0, 0), (1, 0), (2, 0)]], top=40)
    assert len({v[(1, 0)] for v in values}) > 1


def test_crafted_two_way_table_cannot_be_undone_by_subtraction():
    # Rows: three therapists; columns: attended, no-show, late cancellation, which add up to the kept bookings
    # (a number other pages publish), and each column adds up to a clinic total. Two small cells.
    frame = pl.DataFrame({
        "therapist": ["A", "B", "C"],
        "attended": [40, 12, 30],
        "no_show": [6, 11, 14],
        "late_cancel": [3, 12, 15],
    })
    spec = Spec(row_groups=(("attended", "no_show", "late_cancel"),))
    result = suppress(frame, spec, threshold=10)
    hidden = result.hidden.select("attended", "no_show", "late_cancel").to_numpy()
    matrix = frame.select("attended", "no_show", "late_cancel").to_numpy().astype(float)
    assert hidden[0, 1] and hidden[0, 2]  # the 6 and the 3

    lines = [[(i, j) for i in range(3)] for j in range(3)] + [[(i, j) for j in range(3)] for i in range(3)]
    # Primary suppression alone is undone by subtraction: each small cell is the only unknown of its column.
    naive = np.zeros_like(hidden)
    naive[0, 1] = naive[0, 2] = True
    naive_fills = completions(matrix, naive, lines, top=20)
    assert {v[(0, 1)] for v in naive_fills} == {6} and {v[(0, 2)] for v in naive_fills} == {3}
    # With the secondary suppression every small cell has more than one possible value.
    fills = completions(matrix, hidden, lines, top=20)
    assert {v[(0, 1)] for v in fills} >= {5, 6, 7} and len({v[(0, 2)] for v in fills}) > 1
    for line in lines:
        assert sum(hidden[c] for c in line) != 1


def test_audit_finds_a_cell_fixed_by_the_others_and_hides_more():
    # Two hidden rectangles joined by one hidden cell (1, 2): no line hides exactly one cell, yet the joining
    # cell is the only hidden cell that no alternating change can move, so its value follows from the totals.
    matrix = np.array([[20, 21, 30, 31],
                       [22, 5, 32, 33],
                       [40, 41, 23, 24],
                       [42, 43, 25, 26]], dtype=float)
    matrix[1, 2] = 4
    hidden = np.zeros(matrix.shape, dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]:
        hidden[cell] = True
    lines = [[(i, j) for i in range(4)] for j in range(4)] + [[(i, j) for j in range(4)] for i in range(4)]
    primary = np.zeros_like(hidden)
    primary[1, 2] = True
    assert exposed_cells(matrix, hidden, primary, lines) == [(1, 2)]
    # The subtraction that gives it away: row 1's hidden cells add up to its total minus its published cells;
    # the left rectangle's two row-1 cells add up to (column 0 + column 1 hidden parts) - row 0's hidden part.
    def hidden_part(line):
        return sum(matrix[c] for c in line if hidden[c])
    left = hidden_part(lines[0]) + hidden_part(lines[1]) - hidden_part(lines[4])
    assert hidden_part(lines[5]) - left == 4

    # protect() starting from the small cells only ends with nothing exposed.
    primary, protected = protect(matrix, lines, threshold=10)
    assert primary[1, 1] and primary[1, 2]
    assert exposed_cells(matrix, protected, primary, lines) == []


def test_rates_written_with_their_denominator_count_as_counts():
    frame = pl.DataFrame({"site": ["North", "South", "East"],
                          "no_show_rate": ["18.2% of 110", "25.0% of 8", "10.0% of 50"],
                          "mean_srs": [36.1, 35.2, 37.0]})
    result = suppress(frame, threshold=10)
    exported = result.export_frame()
    assert exported["no_show_rate"].to_list()[1] == MARK  # denominator 8
    assert exported["mean_srs"].to_list()[1] == MARK  # computed from the same small group
    assert sum(result.hidden["no_show_rate"]) >= 2  # and one more rate, or 8 = total - the others


def test_declared_derived_columns_follow_only_their_sources():
    frame = pl.DataFrame({"team": ["X", "Y", "Z"], "rated": [50, 40, 60], "below": [3, 12, 15],
                          "mean_srs": [36.0, 35.5, 37.1], "share_below": [0.06, 0.3, 0.25]})
    spec = Spec(derived=(("share_below", ("below",)), ("mean_srs", ("rated",))))
    result = suppress(frame, spec, threshold=10)
    assert result.hidden["share_below"].to_list() == result.hidden["below"].to_list()
    assert not result.hidden["mean_srs"].any()


def test_no_small_counts_changes_nothing():
    frame = pl.DataFrame({"team": ["X", "Y"], "clients": [12, 40]})
    result = suppress(frame)
    assert result.export_frame().equals(frame)
    assert result.primary == 0 and MIN_COUNT == 10


def test_threshold_defaults_without_a_settings_table(con):
    assert min_count(con) == MIN_COUNT
