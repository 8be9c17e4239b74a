"""Relationships needing attention: the rules that flag a client–therapist relationship, with reasons.

Every rule is one named query, queries/attention_<kind>.sql, returning the flags frame
(client_id, therapist_id, flag_kind, reason, severity, flagged_on) for the relationships active on the day
`as_of`: the reason is a plain sentence a supervisor can read aloud, severity is 3 (high), 2 (medium) or
1 (low), flagged_on is the day of the event that raised the flag. Adding a rule is one SQL file and one
entry in RULES.

Priority (the order of the weekly list), documented on the page:
  1. the sum of the relationship's flag severities (more, and more serious, reasons first);
  2. then its most serious single flag;
  3. then recency: the newest flagged_on first;
  4. then client id, so the order is stable.

A relationship marked "discussed" leaves the list until an import brings new data about it (any newer
import batch touching its sessions, ratings, requests or episodes) or its follow-up date arrives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from attune import attention_facts, db, settings
from attune.filters import Filters
from attune.formatting import MISSING, rate, score, therapist_label


@dataclass(frozen=True)
class Rule:
    kind: str
    query: str
    label: str
    description: str


RULES: tuple[Rule, ...] = (
    Rule("early_low", "attention_early_low", "Low alliance early",
         "Still in the first few rated sessions, with a mean SRS below the cutoff. A weak early alliance is one "
         "of the strongest predictors of dropping out."),
    Rule("low_srs", "attention_low_srs", "Low SRS",
         "The latest SRS total is below the cutoff, or one of its items is below the item cutoff."),
    Rule("srs_drop", "attention_srs_drop", "SRS drop",
         "The latest SRS fell from the previous rating, or lies below the client's own average."),
    Rule("rupture", "attention_rupture", "Rupture not yet repaired",
         "A rupture (a drop of the SRS from the client's previous rating, or a fall below the cutoff) in recent "
         "weeks that is not yet repaired: no rating since back near the earlier level. Noticing a rupture is "
         "the first step of repairing it."),
    Rule("switch_request", "attention_switch_request", "Asked to change therapist",
         "An open request to change therapist, or one made recently, with the client's reason. Asking is often "
         "healthy self-advocacy about fit: a reason to talk, not a verdict."),
    Rule("missed_sessions", "attention_missed_sessions", "Missed sessions",
         "The latest bookings were no-shows or late cancellations, several in a row."),
    Rule("gone_quiet", "attention_gone_quiet", "Gone quiet",
         "No attended session for weeks, and no ending recorded."),
    Rule("no_feedback", "attention_no_feedback", "No feedback",
         "Several attended sessions in a row without an SRS: the relationship is invisible to feedback."),
    Rule("ors_flat", "attention_ors_flat", "ORS not improving",
         "After several sessions the ORS of a client who started below the clinical cutoff has not improved by "
         "the reliable change."),
)
RULE_BY_KIND = {r.kind: r for r in RULES}
SEVERITY = {3: "high", 2: "medium", 1: "low"}
FLAG_SCHEMA = {"client_id": pl.Utf8, "therapist_id": pl.Utf8, "flag_kind": pl.Utf8, "reason": pl.Utf8,
               "severity": pl.Int32, "flagged_on": pl.Date}
NO_SCOPE = {"therapist_ids": [], "supervisors": [], "sites": [], "services": [], "visible": None}


def label(kind: str) -> str:
    return RULE_BY_KIND[kind].label if kind in RULE_BY_KIND else kind.replace("_", " ").capitalize()


def rule_params(as_of: date, values: dict[str, Any], filters: Filters | None = None,
                stored_ruptures: bool = False, stored_pairs: bool = False) -> dict[str, Any]:
    """The parameters every rule (and rupture) query takes: the filter selection, the thresholds and the day,
    and whether the stored ruptures may be read for them: only when they answer this day and these thresholds
    (attune/attention_facts.py), or while storing the list they were stored with. The stored relationships
    (pair_facts) are read only while storing the list, which writes them first."""
    return {**_scope(filters), **values, "as_of": as_of, "stored": stored_ruptures, "pairs_stored": stored_pairs}


def latest_day(cur: duckdb.DuckDBPyConnection, visible: tuple[str, ...] | None = None) -> date | None:
    """The newest session's date (among the therapists the viewer may see): the list's day by default."""
    return db.run_row(cur, "attention_latest_day", {"visible": None if visible is None else list(visible)})[0]


def flags(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any], filters: Filters | None = None,
          kinds: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Every flag raised on `as_of`, one row per relationship and rule (reviews do not hide anything here)."""
    return _flags_in(cur, as_of, values, _scope(filters), kinds).sort(
        "client_id", "therapist_id", pl.col("severity"), "flag_kind", descending=[False, False, True, False])


def _flags_in(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any], scope: dict[str, Any],
              kinds: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Read from the stored list when it answers this day and these thresholds (attune/attention_facts.py),
    otherwise computed by running the rules."""
    if attention_facts.is_current(cur, as_of, values):
        raised = attention_facts.flags(cur, scope).cast(FLAG_SCHEMA)
        return raised if kinds is None else raised.filter(pl.col("flag_kind").is_in(list(kinds)))
    return _run_rules(cur, {**scope, **values, "as_of": as_of, "stored": False, "pairs_stored": False}, kinds)


def _run_rules(cur: duckdb.DuckDBPyConnection, params: dict[str, Any],
               kinds: tuple[str, ...] | None = None) -> pl.DataFrame:
    frames = [db.run_query(cur, rule.query, params).select(list(FLAG_SCHEMA)).cast(FLAG_SCHEMA)
              for rule in RULES if kinds is None or rule.kind in kinds]
    return pl.concat([pl.DataFrame(schema=FLAG_SCHEMA), *frames])


def _scope(filters: Filters | None) -> dict[str, Any]:
    return filters.params() if filters is not None else dict(NO_SCOPE)


def relationships(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any],
                  filters: Filters | None = None) -> pl.DataFrame:
    """The relationships active on `as_of`, with sessions so far, SRS trend and review state."""
    if attention_facts.is_current(cur, as_of, values):
        return attention_facts.relationships(cur, as_of, _scope(filters))
    return db.run_query(cur, "attention_relationships", rule_params(as_of, values, filters))


REVIEW_COLUMNS = ("reviewed_at", "reviewed_by", "review_note", "follow_up", "discussed")


def default_day(cur: duckdb.DuckDBPyConnection) -> date | None:
    """The day the pages show the list for (the newest session, or today when bookings lie ahead)."""
    newest = latest_day(cur)
    return None if newest is None else min(newest, date.today())


def store_current(cur: duckdb.DuckDBPyConnection) -> bool:
    """Inside the caller's transaction, compute and store the list for the default day and the saved thresholds
    unless the stored one still answers them; True when it stored a new one."""
    as_of, values = default_day(cur), settings.load(cur)
    if as_of is None or attention_facts.is_current(cur, as_of, values):
        return False
    params = rule_params(as_of, values, stored_ruptures=True, stored_pairs=True)
    attention_facts.store_ruptures(cur, params)
    attention_facts.store_pairs(cur, params)
    pairs = db.run_query(cur, "attention_relationships", params).drop(REVIEW_COLUMNS)
    attention_facts.store(cur, _run_rules(cur, params), pairs, attention_facts.fingerprint(cur, as_of, values))
    return True


def refresh_stored(cur: duckdb.DuckDBPyConnection) -> bool:
    """store_current in a transaction of its own (one snapshot: the fingerprint and the list agree). Another
    process or session storing at the same moment wins (False here)."""
    cur.execute("BEGIN TRANSACTION")
    try:
        stored = store_current(cur)
        cur.execute("COMMIT" if stored else "ROLLBACK")
        return stored
    except Exception as exc:
        cur.execute("ROLLBACK")
        if isinstance(exc, duckdb.TransactionException):
            return False
        raise


def weekly_list(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any],
                filters: Filters | None = None, include_discussed: bool = False) -> pl.DataFrame:
    """One row per flagged relationship, ranked by priority (see the module docstring).

    Columns: rank, priority, top_severity, therapist_id, therapist_name, supervisor, site, client_id,
    sessions_attended, latest_srs, srs_trend, flag_kinds (list), flags (labels), reasons (list),
    latest_flag, last_attended, days_since_attended, discussed, reviewed_at, review_note, follow_up.
    """
    raised = flags(cur, as_of, values, filters)
    per_pair = raised.group_by("client_id", "therapist_id", maintain_order=True).agg(
        priority=pl.col("severity").sum().cast(pl.Int32),
        top_severity=pl.col("severity").max(),
        flag_kinds=pl.col("flag_kind"),
        reasons=pl.col("reason"),
        latest_flag=pl.col("flagged_on").max(),
    )
    active = relationships(cur, as_of, values, filters)
    listed = per_pair.join(active, on=["client_id", "therapist_id"], how="inner")
    if not include_discussed:
        listed = listed.filter(~pl.col("discussed"))
    listed = listed.sort(["priority", "top_severity", "latest_flag", "client_id", "therapist_id"],
                         descending=[True, True, True, False, False])
    return listed.with_columns(
        rank=pl.int_range(1, pl.len() + 1).cast(pl.Int32),
        flags=pl.col("flag_kinds").list.eval(pl.element().replace_strict(
            {r.kind: r.label for r in RULES}, default=pl.element())).list.join(", "),
    ).select("rank", "priority", "top_severity", "therapist_id", "therapist_name", "supervisor", "site",
             "client_id", "sessions_attended", "latest_srs", "srs_trend", "flag_kinds", "flags", "reasons",
             "latest_flag", "last_attended", "days_since_attended", "discussed", "reviewed_at", "review_note",
             "follow_up")


def by_therapist(listed: pl.DataFrame) -> pl.DataFrame:
    """The list grouped for the meeting: therapists in order of their most urgent relationship."""
    first = listed.group_by("therapist_id").agg(pl.col("rank").min().alias("_first"))
    return listed.join(first, on="therapist_id").sort("_first", "rank").drop("_first")


def with_kinds(listed: pl.DataFrame, kinds: list[str] | tuple[str, ...]) -> pl.DataFrame:
    """Relationships with at least one of the given flag kinds (all kinds when none are given)."""
    if not kinds:
        return listed
    return listed.filter(pl.col("flag_kinds").list.eval(pl.element().is_in(list(kinds))).list.any())


# Between one flag's reason and the next, in the table and the report: a reason ends with a full stop or with
# the client's quoted words, so a semicolon after it read ".;".
REASONS_JOINED = "  ·  "


def rows_key(listed: pl.DataFrame) -> str:
    """A key for the table that changes whenever its rows or their order do.

    The grid's selection is a row number, and it outlives a rerun: keyed by the rows, a new order, flag kind or
    filter starts a fresh grid with nothing selected, instead of ticking whichever client moved to that row
    while the history below still shows the one chosen before.
    """
    rows = listed.select(pl.concat_str("therapist_id", "client_id", separator="|").hash(seed=0)).to_series()
    return hashlib.blake2b(rows.to_numpy().tobytes(), digest_size=8).hexdigest()


def table_view(listed: pl.DataFrame) -> pl.DataFrame:
    """The list as the page shows (and exports) it: readable column names, reasons in one cell."""
    return listed.select(
        pl.col("rank").alias("Priority"),
        therapist_label().alias("Therapist"),
        pl.col("client_id").alias("Client"),
        pl.col("reasons").list.join(REASONS_JOINED).alias("Why"),
        pl.col("latest_srs").alias("Latest SRS"),
        pl.col("srs_trend").alias("SRS trend"),
        pl.col("sessions_attended").alias("Sessions"),
        pl.col("days_since_attended").alias("Days since attended"),
        pl.col("flags").alias("Flags"),
        pl.when(pl.col("discussed")).then(pl.format("discussed {}", pl.col("reviewed_at").dt.strftime("%Y-%m-%d")))
        .alias("Review"),
    )


def preview(cur: duckdb.DuckDBPyConnection, as_of: date, values: dict[str, Any],
            filters: Filters | None = None) -> pl.DataFrame:
    """How many active relationships each rule (and any rule) would flag with these thresholds.

    Reviews are ignored: this is the size of the list before anything is discussed. Columns: flag_kind,
    rule, thresholds, flagged, active, share.
    """
    active = relationships(cur, as_of, values, filters).height
    raised = flags(cur, as_of, values, filters)
    counts = dict(raised.group_by("flag_kind").agg(pl.struct("client_id", "therapist_id").n_unique())
                  .iter_rows())
    rows = []
    for rule in RULES:
        used = [t for t in settings.THRESHOLDS if rule.kind in t.rules]
        rows.append({"flag_kind": rule.kind, "rule": rule.label,
                     "thresholds": ", ".join(f"{t.label} {values[t.key]:g} {t.unit}" for t in used)
                     or f"open, or made in the last {values['active_days']:g} days",
                     "flagged": counts.get(rule.kind, 0)})
    any_flag = raised.select(pl.struct("client_id", "therapist_id").n_unique()).item()
    rows.append({"flag_kind": "any", "rule": "Any rule (the weekly list)", "thresholds": "",
                 "flagged": any_flag})
    frame = pl.DataFrame(rows, schema={"flag_kind": pl.Utf8, "rule": pl.Utf8, "thresholds": pl.Utf8,
                                       "flagged": pl.Int64})
    return frame.with_columns(active=pl.lit(active, pl.Int64),
                              share=pl.when(active > 0).then(pl.col("flagged") / active))


def mark_discussed(cur: duckdb.DuckDBPyConnection, client_id: str, therapist_id: str, *, as_of: date,
                   note: str | None = None, follow_up: date | None = None, reviewed_by: str | None = None,
                   reasons: list[str] | None = None) -> None:
    """Log that a supervisor discussed this relationship; it leaves the list until new data or follow-up."""
    if follow_up is not None and follow_up <= as_of:
        raise ValueError(f"The follow-up date must be after {as_of.isoformat()}, the date the data describes.")
    cur.execute("BEGIN TRANSACTION")
    try:
        batch = db.run_query(cur, "attention_data_batch", {"client_id": client_id, "therapist_id": therapist_id})
        if batch["data_batch"][0] is None:
            raise ValueError(f"There is no data about client {client_id} with therapist {therapist_id}.")
        db.execute(cur, "attention_insert_review", {
            "client_id": client_id, "therapist_id": therapist_id, "reviewed_by": reviewed_by or None,
            "note": (note or "").strip() or None, "follow_up": follow_up, "as_of": as_of,
            "data_batch": int(batch["data_batch"][0]), "flags": " | ".join(reasons or []) or None})
        db.bump_data_version(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise


def client_sessions(cur: duckdb.DuckDBPyConnection, client_id: str, as_of: date,
                    visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    return db.run_query(cur, "attention_client_sessions", {"client_id": client_id, "as_of": as_of,
                                                           "visible": None if visible is None else list(visible)})


def client_switches(cur: duckdb.DuckDBPyConnection, client_id: str, as_of: date,
                    visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    return db.run_query(cur, "attention_client_switches", {"client_id": client_id, "as_of": as_of,
                                                           "visible": None if visible is None else list(visible)})


def client_reviews(cur: duckdb.DuckDBPyConnection, client_id: str,
                   visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    return db.run_query(cur, "attention_reviews", {"client_id": client_id,
                                                   "visible": None if visible is None else list(visible)})


def sessions_view(sessions: pl.DataFrame) -> pl.DataFrame:
    """A client's sessions and ratings (client_sessions) as the page lists them, with readable headers; without
    a Comment column when the viewer's role does not see comments (the page drops `comment` before)."""
    return sessions.select(
        pl.col("occurred_at").alias("When"),
        therapist_label().alias("Therapist"),
        pl.col("status").alias("Status"), pl.col("session_number").alias("Session"),
        pl.col("srs_total").alias("SRS"), pl.col("srs_relationship").alias("SRS relationship"),
        pl.col("srs_goals").alias("SRS goals and topics"), pl.col("srs_approach").alias("SRS approach or method"),
        pl.col("srs_overall").alias("SRS overall"), pl.col("ors_total").alias("ORS"),
        *([pl.col("comment").alias("Comment")] if "comment" in sessions.columns else []),
    )


def switches_view(switches: pl.DataFrame) -> pl.DataFrame:
    """A client's requests to change therapist (client_switches) as the page lists them."""
    return switches.select(
        pl.col("requested_at").alias("Requested"), pl.col("request_id").alias("Request"),
        therapist_label("from_name", "from_therapist_id").alias("From"),
        therapist_label("to_name", "to_therapist_id", missing=MISSING).alias("To"),
        pl.col("status").fill_null("not recorded").alias("Status"),
        pl.col("reason").fill_null("").alias("Reason (client's words)"),
    )


def reviews_view(reviews: pl.DataFrame) -> pl.DataFrame:
    """A client's review log (client_reviews) as the page lists it, newest first."""
    return reviews.select(
        pl.col("reviewed_at").alias("Discussed"),
        therapist_label().alias("Therapist"),
        pl.col("reviewed_by").alias("By"), pl.col("note").alias("Note"), pl.col("follow_up").alias("Follow up on"),
        pl.col("flags").alias("Flags at the time"),
    )


def client_flags(cur: duckdb.DuckDBPyConnection, client_id: str, as_of: date, values: dict[str, Any],
                 visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The flags raised for one client on `as_of` (with every therapist the viewer may see).

    A flag is about one relationship and only its own data, so the rules run for the client's therapists only.
    """
    scope = {**NO_SCOPE, "visible": None if visible is None else list(visible)}
    therapists = db.run_query(cur, "attention_client_therapists", {"client_id": client_id, **scope})
    if therapists.is_empty():
        return pl.DataFrame(schema=FLAG_SCHEMA)
    raised = _flags_in(cur, as_of, values, {**scope, "therapist_ids": therapists["therapist_id"].to_list()})
    return raised.filter(pl.col("client_id") == client_id).sort(
        "severity", "therapist_id", "flag_kind", descending=[True, False, False])


def to_records(listed: pl.DataFrame, raised: pl.DataFrame) -> list[dict[str, Any]]:
    """The list as plain records (for JSON): each relationship with its flags in full."""
    detail = raised.group_by("client_id", "therapist_id").agg(
        pl.struct(kind="flag_kind", reason="reason", severity="severity", flagged_on="flagged_on").alias("flag"))
    merged = listed.join(detail, on=["client_id", "therapist_id"], how="left", maintain_order="left")
    keep = ["rank", "priority", "therapist_id", "therapist_name", "supervisor", "client_id", "sessions_attended",
            "latest_srs", "last_attended", "days_since_attended", "flag"]
    records = merged.select(keep).rename({"flag": "flags"}).to_dicts()
    for record in records:
        record["flags"] = sorted(record["flags"], key=lambda f: -f["severity"])
    return records


def as_text(listed: pl.DataFrame, as_of: date, active: int) -> str:
    """The list for a terminal, grouped by therapist."""
    lines = [f"Needs attention as of {as_of.isoformat()}: {listed.height:,} relationships, "
             f"{rate(listed.height, active)} active relationships."]
    for (therapist_id, name), group in by_therapist(listed).group_by(["therapist_id", "therapist_name"],
                                                                       maintain_order=True):
        lines += ["", f"{name} ({therapist_id})"]
        for row in group.iter_rows(named=True):
            srs = score(row["latest_srs"])
            since = "never attended" if row["days_since_attended"] is None else (
                f"last attended {row['days_since_attended']} days ago")
            lines.append(f"  #{row['rank']} {row['client_id']}  priority {row['priority']}  "
                         f"{row['sessions_attended']} sessions  latest SRS {srs}  {since}")
            lines += [f"      - {reason}" for reason in row["reasons"]]
    return "\n".join(lines)

