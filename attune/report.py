"""The weekly meeting report: one self-contained HTML file (inline CSS, Plotly with its JavaScript inlined) that
works offline and prints on A4 or Letter; optionally a PDF printed by headless Chromium.

`gather` runs the queries (cacheable, picklable result); `render` turns the result into HTML without touching the
database, so a page can gather eagerly and render only when the download button is clicked.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import polars as pl

from attune import attention, charts, db, glossary, metrics, overview, rate_charts, settings
from attune.exports import describe_filters
from attune.filters import SRS_CUTOFF, Filters
from attune.formatting import MISSING, counted, day, each, one_decimal, rate, therapist_label
from attune.overview import Headline

REPORT_WEEKS = 4
TREND_WEEKS = 12
LOWEST = 5
# The most urgent relationships the report lists. A team's list fits well within it; a whole network's (6,500 at
# 1M sessions) ran to over a hundred printed pages. The Needs attention page and its download hold them all.
ATTENTION_LISTED = 200
STALE_AFTER_DAYS = 14
ROWS_LEFT_OUT = "Client-level rows are left out for your role."  # where a role sees no client list
PRINT_WIDTH = 690  # px: fits the printable width of A4 and Letter with 12 mm margins
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer")
PAPER = {"a4": "A4", "letter": "letter"}
SRS_MAX = 40.0


@dataclass(frozen=True)
class Section:
    """A block of the report: a title, HTML content (already escaped), and a note shown under the title."""

    title: str
    html: str = ""
    note: str = ""
    keep: bool = False  # print on one page (charts); long lists may break across pages
    client_level: bool = False  # lists clients: left out for roles that may not see client-level rows


@dataclass(frozen=True)
class ReportData:
    filters: Filters
    headlines: list[Headline]
    trend: pl.DataFrame
    therapists: pl.DataFrame
    clinic_mean: float | None
    switches: pl.DataFrame
    attention: Section
    extent: dict
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def empty(self) -> bool:
        return not self.headlines[1].value and not self.headlines[0].value


def period_filters(as_of: date, weeks: int = REPORT_WEEKS, teams: tuple[str, ...] = (), **selections) -> Filters:
    """The report's usual scope: the last `weeks` weeks up to `as_of`, for some teams (all when empty)."""
    return Filters(start=as_of - timedelta(weeks=weeks) + timedelta(days=1), end=as_of, supervisors=teams,
                   **selections)


def therapist_srs(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    """Mean SRS per therapist in the period with a client-clustered 95% interval (t with clients − 1 df)."""
    frame = db.run_query(cur, "report_therapist_srs", filters.params())
    t = [metrics.t_value(0.95, n - 1) if n > 1 else None for n in frame["clients"].to_list()]
    half = pl.Series("t", t, dtype=pl.Float64) * frame["std_err"]
    return frame.with_columns(low=(pl.col("mean_srs") - half).clip(0.0, SRS_MAX),
                              high=(pl.col("mean_srs") + half).clip(0.0, SRS_MAX))


def open_switches(cur: duckdb.DuckDBPyConnection, filters: Filters) -> pl.DataFrame:
    return db.run_query(cur, "report_open_switches", filters.params())


def trend_filters(filters: Filters) -> Filters:
    """The weekly trend covers at least the last twelve weeks, more when the period is longer."""
    start = min(filters.start, filters.end - timedelta(weeks=TREND_WEEKS) + timedelta(days=1))
    return Filters(start, filters.end, filters.therapist_ids, filters.supervisors, filters.sites, filters.services,
                   filters.visible_therapists)


def attention_section(cur: duckdb.DuckDBPyConnection, filters: Filters, limit: int = ATTENTION_LISTED) -> Section:
    """The attention list as of the period's end: its `limit` most urgent relationships, grouped by therapist,
    each with its reasons."""
    flagged = attention.weekly_list(cur, filters.end, settings.load(cur), filters)
    if flagged.is_empty():
        return Section("Relationships that need attention", "",
                       "No relationship is flagged for these filters (or all were discussed).")
    listed = attention.by_therapist(flagged.sort("rank").head(limit))
    cut = "" if listed.height == flagged.height else (
        f" The {listed.height:,} most urgent are listed here; the Needs attention page and its download hold them "
        "all, or choose a team (in the sidebar, or --team) for a shorter list.")
    return Section("Relationships that need attention", attention_html(listed),
                   f"{counted(flagged.height, 'relationship')} flagged as of {day(filters.end)}, grouped by "
                   f"therapist, most urgent first.{cut} Thresholds are on the Settings page.", client_level=True)


# The page shows the attention section as the report prints it, in a scrolling box: headings at the size of the
# page's text, so two hundred clients under their therapists read as a list, not as a wall of titles.
PREVIEW_STYLE = ("<style>.attune-report-list h3{font-size:1rem;font-weight:600;margin:.7rem 0 .2rem}"
                 ".attune-report-list ul{margin:0 0 .3rem 1.2rem;padding:0}"
                 ".attune-report-list li{margin:.1rem 0}</style>")


def preview_html(section: Section) -> str:
    """A section's content for the page's preview (the same HTML the report prints, already escaped)."""
    return f'{PREVIEW_STYLE}<div class="attune-report-list">{section.html}</div>'


def attention_html(listed: pl.DataFrame) -> str:
    """The listed relationships (in attention.by_therapist's order) as a heading per therapist, "Ann Lee (T01): 3",
    over a list of their clients with the reasons.

    Grouped by id: a network has therapists who share a name, and grouping by name merged their lists. Built
    column-wise: at a large clinic the list has thousands of rows (a row-by-row loop took 100 ms)."""
    groups = (listed.with_columns(therapist_label().alias("therapist"))
              .group_by("therapist_id", "therapist", maintain_order=True)
              .agg(pl.len().alias("n"),
                   pl.concat_str(pl.lit("<li><b>"), _escaped(pl.col("client_id").cast(pl.Utf8)), pl.lit("</b>: "),
                                 _escaped(pl.col("reasons").list.join(attention.REASONS_JOINED)), pl.lit("</li>"))
                   .str.join("").alias("items")))
    return "".join(f"<h3>{_e(therapist)}: {n}</h3><ul>{items}</ul>" for _id, therapist, n, items in groups.iter_rows())


def gather(cur: duckdb.DuckDBPyConnection, filters: Filters) -> ReportData:
    """Everything the report shows, queried once."""
    therapists = therapist_srs(cur, filters)
    rated = therapists["rated"].sum()
    clinic_mean = float((therapists["mean_srs"] * therapists["rated"]).sum() / rated) if rated else None
    return ReportData(
        filters=filters,
        headlines=overview.headlines(cur, filters),
        trend=overview.weekly(cur, trend_filters(filters)),
        therapists=therapists,
        clinic_mean=clinic_mean,
        switches=open_switches(cur, filters),
        attention=attention_section(cur, filters),
        extent=db.run_query(cur, "data_extent").row(0, named=True),
    )


# ---------------------------------------------------------------------------------------------- rendering

CSS = """
@page { margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; font-size: 11pt;
       line-height: 1.35; margin: 0 auto; max-width: 186mm; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2pt; }
h2 { font-size: 14pt; margin: 14pt 0 4pt; border-bottom: 1.5pt solid #0072B2; padding-bottom: 2pt;
     break-after: avoid-page; page-break-after: avoid; }
.scope { color: #444; margin: 0 0 4pt; }
.note { color: #444; font-size: 9.5pt; margin: 2pt 0 6pt; }
.warning { border-left: 4pt solid #E69F00; padding: 3pt 6pt; background: #fff7e6; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 5pt; }
.card { border: 1pt solid #ccc; border-radius: 4pt; padding: 5pt 6pt; break-inside: avoid; }
.card .label { font-size: 9pt; color: #444; }
.card .value { font-size: 15pt; font-weight: 600; }
.card .delta { font-size: 9pt; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 4pt 0; }
th, td { text-align: left; padding: 3pt 5pt; border-bottom: 0.75pt solid #ddd; vertical-align: top; }
th { background: #f2f5f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr, .chart, .card, .keep { break-inside: avoid; page-break-inside: avoid; }
.chart { margin: 4pt 0; }
.group { font-weight: 600; background: #fafafa; }
.new-page { break-before: page; page-break-before: always; }
dl { margin: 0; font-size: 9.5pt; } dt { font-weight: 600; margin-top: 4pt; } dd { margin: 0 0 0 10pt; }
footer { margin-top: 12pt; font-size: 8.5pt; color: #555; border-top: 0.75pt solid #ccc; padding-top: 4pt; }
@media screen { body { padding: 16px; } }
@media print { a { color: inherit; text-decoration: none; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _escaped(text: pl.Expr) -> pl.Expr:
    """html.escape, column-wise (one pass, so '&' is never escaped twice); missing text becomes ''."""
    return text.fill_null("").str.replace_many(["&", "<", ">", '"', "'"], ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;"])


def _table(frame: pl.DataFrame, columns: list[tuple[str, str, bool]]) -> str:
    """columns: (frame column, heading, numeric); cells are escaped."""
    head = "".join(f'<th class="{"num" if num else ""}">{_e(title)}</th>' for _, title, num in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if num else ""}">{_e(row[col])}</td>' for col, _, num in columns)
        + "</tr>" for row in frame.iter_rows(named=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chart(fig: go.Figure, first: bool) -> str:
    fig.update_layout(width=PRINT_WIDTH, font={"size": 12}, margin={"l": 60, "r": 20})
    fig.update_annotations(font_size=12)
    return '<div class="chart">' + fig.to_html(
        full_html=False, include_plotlyjs=first, config={"displayModeBar": False, "responsive": False}) + "</div>"


def scope_text(filters: Filters) -> str:
    teams = ", ".join(filters.supervisors) if filters.supervisors else "all teams"
    extra = [f"{label}: {', '.join(values)}" for label, values in (
        ("therapists", filters.therapist_ids), ("sites", filters.sites), ("services", filters.services)) if values]
    return "; ".join([f"Team: {teams}" if filters.supervisors else "All teams", *extra])


def headline_cards(data: ReportData) -> str:
    cards = []
    for card in data.headlines:
        delta = f"{card.delta} vs previous {data.filters.days} days" if card.delta else "no earlier period to compare"
        cards.append(f'<div class="card"><div class="label">{_e(card.label)}</div>'
                     f'<div class="value">{_e(card.display)}</div><div class="delta">{_e(delta)}</div></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def charted_therapists(data: ReportData) -> pl.DataFrame:
    """The therapists the mean-SRS chart draws: every one of a clinic's; of a network's, the
    rate_charts.CHART_ROWS whose intervals lie furthest above or below the rest (2,000 rows drew a chart 68,000
    px tall)."""
    return rate_charts.standing_out_by(data.therapists, "low", "high")


def therapists_chart_note(data: ReportData, drawn: pl.DataFrame) -> str:
    """What the mean-SRS chart (`drawn`, from charted_therapists) shows, for the caption under it."""
    return rate_charts.standing_out_note(drawn, data.therapists, where="filter by team or therapist for others") or (
        f"All {data.therapists.height:,} therapists with rated sessions. ")


def lowest_therapists(data: ReportData) -> pl.DataFrame:
    """The therapists with the lowest mean SRS in the period, written for reading (interval, caseload)."""
    lowest = data.therapists.sort("mean_srs").head(LOWEST)
    below = [rate(n, d) for n, d in zip(lowest["below_cutoff"].to_list(), lowest["rated"].to_list(), strict=True)]
    return lowest.select(
        therapist_label().alias("Therapist"),
        pl.col("supervisor").fill_null(MISSING).alias("Team"),
        one_decimal(pl.col("mean_srs")).alias("Mean SRS"),
        pl.when(pl.col("low").is_null()).then(pl.lit(MISSING))
        .otherwise(pl.format("{}–{}", one_decimal(pl.col("low")), one_decimal(pl.col("high")))).alias("95% interval"),
        pl.Series(f"Below {SRS_CUTOFF:g}", below, dtype=pl.Utf8),
        pl.col("clients").alias("Clients"),
        pl.when(pl.col("clients") < glossary.MIN_CASELOAD).then(pl.lit("small caseload")).otherwise(pl.lit(""))
        .alias("Note"),
    )


def switches_table(data: ReportData) -> pl.DataFrame:
    return data.switches.select(
        therapist_label("from_therapist", "from_therapist_id").alias("Therapist"),
        pl.col("client_id").alias("Client"),
        each(data.switches["requested_at"], day).alias("Requested"),
        pl.col("days_open").alias("Days open"),
        therapist_label("to_therapist", "to_therapist_id", missing="not chosen yet").alias("Preferred therapist"),
        pl.col("reason").fill_null("no reason recorded").alias("Reason the client gave"),
    )


def sections(data: ReportData, client_rows: bool = True) -> list[Section]:
    """The report's sections in order; without `client_rows` (a role that may not see client-level rows) the
    open switch requests are counted, not listed."""
    f = data.filters
    if data.empty:
        return [Section("No sessions in this period", "", "No sessions match the period and filters: widen the "
                        "dates or choose another team, or import a recent export.")]
    first_chart = True

    def chart(fig: go.Figure) -> str:
        nonlocal first_chart
        out = _chart(fig, first_chart)
        first_chart = False
        return out

    trend_scope = trend_filters(f)
    result = [
        Section("Headline numbers", headline_cards(data),
                f"{day(f.start)} to {day(f.end)}, each compared with the {f.days} days before."),
        data.attention if client_rows or not data.attention.client_level else Section(
            "Relationships that need attention", "", ROWS_LEFT_OUT),
    ]
    if data.therapists.height:
        lowest = lowest_therapists(data)
        drawn = charted_therapists(data)
        result.append(Section(
            "Lowest mean SRS this period",
            _table(lowest, [(c, c, c in ("Mean SRS", "Clients")) for c in lowest.columns])
            + chart(charts.therapist_srs(drawn, data.clinic_mean, SRS_CUTOFF, glossary.MIN_CASELOAD)),
            f"The {min(LOWEST, data.therapists.height)} lowest of {data.therapists.height:,} therapists with rated "
            f"sessions. {therapists_chart_note(data, drawn)}Intervals treat clients as the units; where an interval "
            "reaches the clinic mean, the difference may well be noise. Hollow dots: fewer than "
            f"{glossary.MIN_CASELOAD} clients.", keep=True))
    else:
        result.append(Section("Lowest mean SRS this period", "", "No rated sessions in this period."))
    result.append(Section("Week by week", chart(charts.weekly_trend(data.trend, SRS_CUTOFF)),
                          f"{day(trend_scope.start)} to {day(trend_scope.end)}. Shaded: 95% interval of the weekly "
                          "mean SRS.", keep=True))
    if data.switches.height and not client_rows:
        result.append(Section("Open requests to change therapist", "",
                              f"{counted(data.switches.height, 'request')} to change therapist open at the end of the "
                              "period; client-level rows are left out for your role."))
    elif data.switches.height:
        table = switches_table(data)
        result.append(Section("Open requests to change therapist",
                              _table(table, [(c, c, c == "Days open") for c in table.columns]),
                              "Requests not yet resolved at the end of the period. Asking for a different "
                              "therapist is often healthy self-advocacy about fit."))
    else:
        result.append(Section("Open requests to change therapist", "",
                              "No request to change therapist is open at the end of the period."))
    return result


def _definitions() -> str:
    keep = ("Mean SRS", "Alliance per therapist", f"Sessions rated below {SRS_CUTOFF:g}", "No-show rate",
            "Dropout rate", "Dropout (estimated)", "95% interval")
    items = "".join(f"<dt>{_e(t.name)}</dt><dd>{_e(t.definition)}</dd>" for t in glossary.TERMS if t.name in keep)
    return f"<dl>{items}</dl>"


def render(data: ReportData, paper: str | None = None, client_rows: bool = True) -> str:
    """The complete HTML document; `paper` ('a4' or 'letter') fixes the page size, else the printer's applies;
    `client_rows=False` leaves client-level rows out (roles that may not see them)."""
    f, extent = data.filters, data.extent
    title = f"Weekly meeting report: {scope_text(f)}"
    warning = ""
    last = extent.get("last_session")
    if last and (f.end - last.date()).days > STALE_AFTER_DAYS:
        warning = (f'<p class="note warning">The newest session loaded is from {day(last)}, '
                   f"{(f.end - last.date()).days} days before the end of this period: import a recent export "
                   "before the meeting.</p>")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title>", f"<style>{CSS}</style>",
        f"<style>@page {{ size: {PAPER[paper]}; }}</style>" if paper else "", "</head><body>",
        "<header>", "<h1>Weekly meeting report</h1>",
        f'<p class="scope"><strong>{_e(scope_text(f))}</strong> · {day(f.start)} to {day(f.end)}</p>',
        f'<p class="note">Filters: {_e(describe_filters(f))}. Data: sessions {day(extent.get("first_session"))} to '
        f'{day(last)}; last import {day(extent.get("last_import"))}. Generated {data.generated_at:%Y-%m-%d %H:%M}.'
        "</p>", warning, "</header>",
    ]
    for section in sections(data, client_rows):
        note = f'<p class="note">{_e(section.note)}</p>' if section.note else ""
        keep = ' class="keep"' if section.keep else ""
        parts.append(f"<section{keep}><h2>{_e(section.title)}</h2>{note}{section.html}</section>")
    parts += [
        '<section class="keep"><h2>Definitions</h2>', _definitions(), "</section>",
        "<footer>Attune. Client ids are pseudonymous; keep this report within the clinical team. Numbers cover "
        "the filters above; the Glossary page in Attune gives every definition and the sources of the "
        "thresholds.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


def chromium_available(path: str = CHROMIUM) -> bool:
    return Path(path).exists() or shutil.which(Path(path).name) is not None


def write_pdf(html_text: str, pdf_path: Path, chromium: str = CHROMIUM, timeout: float = 120) -> None:
    """Print the report to PDF with headless Chromium (render it with `paper=` to choose A4 or Letter)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(html_text, encoding="utf-8")
        done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--print-to-pdf={pdf_path.resolve()}",
                               source.as_uri()], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not pdf_path.exists():
        raise RuntimeError(f"Chromium could not print the report: {done.stderr.strip()[-500:]}")
