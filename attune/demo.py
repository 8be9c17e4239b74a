"""A synthetic clinic that behaves like a real one, for the demo, the tests and the benchmarks.

Writes the CSV exports a clinic's systems would produce (therapist roster, sessions, feedback with SRS
items and ORS, episodes of care, requests to change therapist) with realistic distributions, and plants
the patterns a supervisor should find. `demo_manifest.json` names the planted cases so that tests (and
curious readers) can check the app finds them.

Vectorised with NumPy so that millions of sessions take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

DEFAULT_END = date(2026, 11, 20)
DEFAULT_SESSIONS = 4000

FIRST_NAMES = ["Amara", "Ben", "Chloe", "Dana", "Elias", "Farah", "Gus", "Hana", "Ivo", "Jonas", "Kemi",
               "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tess", "Uma", "Viktor",
               "Wren", "Yusuf", "Zoe"]
LAST_NAMES = ["Okafor", "Lindqvist", "Moreau", "Whitfield", "Haddad", "Nakamura", "Brennan", "Silva",
              "Kowalski", "Mensah", "Iyer", "Novak", "Castillo", "Fischer", "Adeyemi", "Park", "Rossi",
              "Dubois", "Petrov", "Quist"]
SERVICES = ["Adult counselling", "Couples", "Young people"]
SWITCH_REASONS = [
    "I don't feel we click, would like someone different",
    "Would prefer a therapist who uses a more structured approach like CBT",
    "The new appointment times don't fit my work schedule",
    "I would feel more comfortable with a therapist who shares my cultural background",
    "Would like a female therapist",
    "Moving closer to the other site",
    "Felt the sessions were not going anywhere",
    "Personality clash, nothing wrong as such",
]
POSITIVE_COMMENTS = ["I felt heard today", "Really useful session", "Good to talk about the plan",
                     "Helpful, thank you", "We worked on what I wanted to work on",
                     "I didn't feel judged at all, thank you", "Never felt rushed, we had enough time"]
NEGATIVE_COMMENTS = ["I felt rushed at the end", "Not sure we are working on the right things",
                     "I felt a bit judged when I talked about my drinking", "I didn't feel listened to today",
                     "Felt pressured to do homework I'm not ready for", "I'm not sure this approach suits me",
                     "I didn't feel safe enough to talk about what happened",
                     "My therapist talked a lot about their own problems, it felt too personal",
                     "We don't agree on what we should focus on", "I kept getting interrupted",
                     "I don't think we click, maybe someone else would suit me better",
                     "Felt a little criticised about missing last week"]


@dataclass
class DemoClinic:
    therapists: pl.DataFrame
    sessions: pl.DataFrame
    feedback: pl.DataFrame
    episodes: pl.DataFrame
    switch_requests: pl.DataFrame
    planted: dict = field(default_factory=dict)

    def write(self, out: Path) -> dict[str, Path]:
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in ("therapists", "sessions", "feedback", "episodes", "switch_requests"):
            path = out / f"{name}.csv"
            getattr(self, name).write_csv(path, datetime_format="%Y-%m-%d %H:%M", date_format="%Y-%m-%d")
            paths[name] = path
        (out / "demo_manifest.json").write_text(json.dumps(self.planted, indent=2, default=str))
        return paths


def therapist_count(sessions: int) -> int:
    """12 therapists for a small clinic, about one per 5,000 sessions for a network."""
    return 12 if sessions <= 20_000 else max(40, sessions // 5000)


def generate(seed: int = 1, sessions: int = DEFAULT_SESSIONS, end: date = DEFAULT_END, months: int = 18,
             therapists: int | None = None) -> DemoClinic:
    """A clinic of about `sessions` appointments ending on `end`, with the planted cases added."""
    rng = np.random.default_rng(seed)
    n_ther = therapists or therapist_count(sessions)
    start = end - timedelta(days=int(months * 30.4))
    roster = _roster(n_ther)
    regular_ids = roster["therapist_id"].to_list()[:-1]  # the last one is a new hire with a tiny caseload
    episodes = _episodes(rng, sessions, regular_ids, start, end)
    episodes, switches = _switches(rng, episodes, regular_ids)
    appts = _appointments(rng, episodes, start, end)
    feedback = _feedback(rng, appts, episodes)
    clinic = _assemble(rng, roster, appts, feedback, episodes, switches, start, end)
    return _plant(clinic, start, end)


def _roster(n: int) -> pl.DataFrame:
    n_sup = max(3, n // 5)
    n_sites = max(2, n // 20)
    width = 2 if n < 100 else 4
    names = [f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7 + i // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
             for i in range(n)]
    supervisors = [f"{LAST_NAMES[(j * 3 + 1) % len(LAST_NAMES)]} team" if j < len(LAST_NAMES)
                   else f"Team {j + 1}" for j in range(n_sup)]
    sites = ["North", "Riverside"] + [f"Site {k + 3}" for k in range(n_sites - 2)]
    return pl.DataFrame({
        "therapist_id": [f"T{i + 1:0{width}d}" for i in range(n)],
        "name": names,
        "supervisor": [supervisors[i % n_sup] for i in range(n)],
        "site": [sites[(i // 2) % n_sites] for i in range(n)],
        "active": [True] * n,
    })


def _episodes(rng, sessions: int, therapist_ids: list[str], start: date, end: date) -> pl.DataFrame:
    """One row per episode of care with the client's hidden traits (alliance level, no-show tendency)."""
    n = max(40, int(sessions / 9.0 * 1.1))
    weights = rng.gamma(6.0, 1.0, len(therapist_ids))
    ther = rng.choice(len(therapist_ids), size=n, p=weights / weights.sum())
    alliance = np.clip(9.4 - rng.exponential(0.33, n), 6.0, 10.0)  # a client's typical SRS item score
    planned_len = 2 + rng.negative_binomial(3, 3 / (3 + 8.0), n)
    dropout = rng.random(n) < np.where(alliance < 8.8, 0.40, 0.15)
    length = np.where(dropout, np.minimum(1 + rng.geometric(0.3, n), planned_len), planned_len)
    reason = np.where(dropout, "dropout", np.where(rng.random(n) < 0.08, "referred", "planned"))
    return pl.DataFrame({
        "episode": np.arange(n),
        "client_id": [f"C{i + 1:06d}" for i in range(n)],
        "therapist_id": np.array(therapist_ids)[ther],
        "start_offset": rng.integers(0, (end - start).days - 7, n),
        "length": length.astype(np.int64),
        "end_reason": reason,
        "alliance": alliance,
        "interval": rng.choice([7, 7, 7, 14], n),
        "hour": rng.choice([8, 9, 10, 11, 13, 14, 15, 16, 17, 18], n),
        "noshow_prop": rng.beta(1.2, 14.0, n),
        "ors_intake": np.clip(rng.normal(19.0, 6.5, n), 2, 38),
    })


def _switches(rng, episodes: pl.DataFrame, therapist_ids: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """About 3% of clients ask to change therapist, more often when the alliance is weak."""
    n = episodes.height
    lengths = episodes["length"].to_numpy().copy()
    eligible = (lengths >= 3) & (episodes["end_reason"].to_numpy() != "dropout")
    chosen = np.flatnonzero(rng.random(n) < np.where(episodes["alliance"].to_numpy() < 8.8, 0.09, 0.018) * eligible)
    at = (2 + rng.random(len(chosen)) * (lengths[chosen] - 2)).astype(np.int64)
    lengths[chosen] = at
    reasons = episodes["end_reason"].to_numpy().astype(object)
    reasons[chosen] = "switched"
    base = episodes.with_columns(pl.Series("length", lengths), pl.Series("end_reason", reasons.astype(str)))
    old = base[chosen]
    from_ids = old["therapist_id"].to_numpy()
    shift = rng.integers(1, len(therapist_ids), len(chosen))
    index_of = {t: i for i, t in enumerate(therapist_ids)}
    to_ids = np.array(therapist_ids)[(np.array([index_of[f] for f in from_ids], dtype=np.int64) + shift)
                                     % len(therapist_ids)]
    requested = old["start_offset"].to_numpy() + at * old["interval"].to_numpy()
    follow = old.with_columns(
        pl.Series("episode", np.arange(n, n + len(chosen))),
        pl.Series("therapist_id", to_ids),
        pl.Series("start_offset", requested + 12),
        pl.Series("length", 2 + rng.negative_binomial(3, 3 / 11, len(chosen))),
        pl.Series("end_reason", np.where(rng.random(len(chosen)) < 0.15, "dropout", "planned")),
        pl.Series("alliance", np.clip(old["alliance"].to_numpy() + rng.normal(0.5, 0.2, len(chosen)), 6, 10)),
    )
    switches = pl.DataFrame({
        "client_id": old["client_id"],
        "from_therapist_id": from_ids,
        "to_therapist_id": to_ids,
        "requested_offset": requested,
        "reason": rng.choice(SWITCH_REASONS, len(chosen)),
        "status": np.where(rng.random(len(chosen)) < 0.9, "completed", "declined"),
    })
    return pl.concat([base, follow]), switches


def _appointments(rng, episodes: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Expand episodes into booked appointments with attendance outcomes."""
    lengths = episodes["length"].to_numpy()
    ep_idx = np.repeat(np.arange(episodes.height), lengths)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    number = np.arange(len(ep_idx)) - np.repeat(first, lengths) + 1
    jitter = rng.choice([0, 0, 0, 0, 0, 1, -1, 7], len(ep_idx)) * (number > 1)
    # An episode that would start on a weekend starts on a weekday instead, spread over the five (its sessions
    # keep that weekday): moving every weekend session to the Monday after gave Mondays three times the
    # appointments of any other day.
    offset = episodes["start_offset"].to_numpy()
    first_weekday = (np.datetime64(start, "D").view("int64") + offset + 3) % 7  # 0 = Monday (1970-01-01: a Thursday)
    offset = offset + np.where(first_weekday >= 5, (np.arange(episodes.height) % 5 - first_weekday) % 7, 0)
    day = offset[ep_idx] + (number - 1) * episodes["interval"].to_numpy()[ep_idx]
    when = np.datetime64(start, "D") + (day + jitter).astype("timedelta64[D]")
    weekday = (when.view("int64") + 3) % 7
    # a session a day off its usual weekday that fell on a weekend: Saturday back to Friday, Sunday on to Monday
    when = when + np.where(weekday == 5, -1, np.where(weekday == 6, 1, 0)).astype("timedelta64[D]")
    weekday = (when.view("int64") + 3) % 7
    hour = episodes["hour"].to_numpy()[ep_idx]
    p_noshow = (episodes["noshow_prop"].to_numpy()[ep_idx] + 0.015 + 0.13 * (number == 1)
                + 0.04 * np.isin(weekday, [0, 4]) + 0.03 * (hour >= 17))
    dropout_last = (number == lengths[ep_idx]) & (episodes["end_reason"].to_numpy()[ep_idx] == "dropout")
    u = rng.random(len(ep_idx))
    statuses = pl.Series(["no_show", "late_cancel", "cancelled", "clinician_cancel", "attended"])
    status = np.select(
        [dropout_last & (u < 0.6), u < p_noshow, u < p_noshow + 0.04, u < p_noshow + 0.10,
         u < p_noshow + 0.12], [0, 0, 1, 2, 3], 4)
    # Strings are gathered by index in Polars: NumPy string arrays of millions of rows are slow to convert.
    frame = pl.DataFrame({
        "appt": np.arange(len(ep_idx)),
        "episode": ep_idx,
        "client_id": episodes["client_id"].gather(ep_idx),
        "therapist_id": episodes["therapist_id"].gather(ep_idx),
        "scheduled_at": (when.astype("datetime64[m]") + (hour * 60).astype("timedelta64[m]")).astype("datetime64[us]"),
        "status": statuses.gather(status),
        "session_number": number,
        "service": pl.Series(SERVICES).gather((ep_idx * 7919) % 3),
    })
    return frame.filter(pl.col("scheduled_at") < datetime.combine(end, datetime.min.time()) + timedelta(days=1))


def _feedback(rng, appts: pl.DataFrame, episodes: pl.DataFrame) -> pl.DataFrame:
    """SRS after most attended sessions (clustered near the top, with a ceiling) and ORS before them."""
    attended = appts.filter(pl.col("status") == "attended").join(
        episodes.select("episode", "alliance", "ors_intake"), on="episode")
    n = attended.height
    number = attended["session_number"].to_numpy()
    base = attended["alliance"].to_numpy() + np.minimum(number * 0.03, 0.3)
    items = np.round(np.clip(base[:, None] + rng.normal(0, 0.3, (n, 4)) + rng.normal(0, 0.25, (n, 1)), 0, 10), 1)
    ors = np.clip(attended["ors_intake"].to_numpy() + np.minimum(number * 0.9, 9) + rng.normal(0, 2.5, n), 0, 40)
    ors_items = np.clip(np.round(ors[:, None] / 4 + rng.normal(0, 0.6, (n, 4)), 1), 0, 10)
    with_ors = rng.random(n) < 0.9
    total = items.sum(axis=1)
    comment_draw = rng.random(n)
    pick = rng.integers(0, 1000, n)
    # An index into [no comment, negative comments..., positive comments...], gathered as strings at the end.
    n_neg = len(NEGATIVE_COMMENTS)
    comment = np.where(
        total < 34, np.where(comment_draw < 0.4, 1 + pick % n_neg, 0),
        np.where(comment_draw < 0.05, 1 + n_neg + pick % len(POSITIVE_COMMENTS), 0))
    frame = pl.DataFrame({
        "appt": attended["appt"],
        "srs_relationship": items[:, 0], "srs_goals": items[:, 1], "srs_approach": items[:, 2],
        "srs_overall": items[:, 3],
        "ors_individual": np.where(with_ors, ors_items[:, 0], np.nan),
        "ors_interpersonal": np.where(with_ors, ors_items[:, 1], np.nan),
        "ors_social": np.where(with_ors, ors_items[:, 2], np.nan),
        "ors_overall": np.where(with_ors, ors_items[:, 3], np.nan),
        "comment": pl.Series([None, *NEGATIVE_COMMENTS, *POSITIVE_COMMENTS], dtype=pl.String).gather(comment),
    }).filter(pl.Series(rng.random(n) < 0.86))
    return frame.with_columns(pl.col("^ors_.*$").fill_nan(None))


def _assemble(rng, roster, appts, feedback, episodes, switches, start: date, end: date) -> DemoClinic:
    site = dict(zip(roster["therapist_id"], roster["site"], strict=True))
    order = appts.select(pl.arg_sort_by("scheduled_at", "appt")).to_series()
    appts = appts[order].with_columns(site=pl.col("therapist_id").replace_strict(site, return_dtype=pl.String),
                                      seq=pl.int_range(1, pl.len() + 1))
    appts = appts.with_columns(session_id=pl.format("S{}", pl.col("seq").cast(pl.Utf8).str.zfill(7)))
    sessions = appts.select("session_id", "client_id", "therapist_id", "scheduled_at", "status", "session_number",
                            "site", "service")
    # In session order (the session ids' number; as text they would sort S10000000 before S2000000).
    feedback = feedback.join(appts.select("appt", "seq", "session_id"), on="appt").sort("seq").drop("seq")
    feedback = _with_totals(feedback.drop("appt"))
    end_dt = datetime.combine(end, datetime.min.time())
    last = appts.group_by("episode").agg(pl.col("scheduled_at").max().alias("last_at"), pl.len().alias("booked"))
    eps = episodes.join(last, on="episode", how="inner").with_columns(
        start_date=pl.lit(start) + pl.duration(days=pl.col("start_offset")))
    finished = pl.col("booked") >= pl.col("length")
    closed_at = pl.when(pl.col("end_reason") == "dropout").then(pl.col("last_at") + pl.duration(days=28)).otherwise(
        pl.col("last_at") + pl.duration(days=1))
    eps = eps.with_columns(end_at=pl.when(finished & (closed_at <= end_dt)).then(closed_at))
    episodes_out = eps.sort("start_date", "client_id").select(
        "client_id", "therapist_id", "start_date", pl.col("end_at").dt.date().alias("end_date"),
        pl.when(pl.col("end_at").is_not_null()).then(pl.col("end_reason")).alias("end_reason"))
    sw = switches.with_columns(requested_at=pl.lit(start) + pl.duration(days=pl.col("requested_offset")))
    sw = sw.filter(pl.col("requested_at") <= pl.lit(end)).sort("requested_at")
    recent = pl.col("requested_at") > pl.lit(end - timedelta(days=14))
    sw = sw.with_columns(status=pl.when(recent).then(pl.lit("open")).otherwise(pl.col("status")),
                         to_therapist_id=pl.when(recent).then(None).otherwise(pl.col("to_therapist_id")))
    sw = sw.with_columns(request_id=pl.format("R{}", (pl.int_range(pl.len()) + 1).cast(pl.Utf8).str.zfill(5)))
    switch_out = sw.select("request_id", "client_id", "from_therapist_id", "to_therapist_id",
                           pl.col("requested_at").cast(pl.Date), "reason", "status")
    return DemoClinic(roster, sessions, feedback, episodes_out, switch_out, {"end": end.isoformat()})


def _with_totals(feedback: pl.DataFrame) -> pl.DataFrame:
    srs = ["srs_relationship", "srs_goals", "srs_approach", "srs_overall"]
    ors = ["ors_individual", "ors_interpersonal", "ors_social", "ors_overall"]
    return feedback.with_columns(
        srs_total=pl.sum_horizontal(srs).round(1),
        ors_total=pl.when(pl.col("ors_individual").is_not_null()).then(pl.sum_horizontal(ors).round(1)),
    ).select("session_id", *srs, "srs_total", *ors, "ors_total", "comment")


def _plant(clinic: DemoClinic, start: date, end: date) -> DemoClinic:
    """Add the cases a supervisor should find, and record them in the manifest."""
    ids = clinic.therapists["therapist_id"].to_list()
    sites = dict(zip(clinic.therapists["therapist_id"], clinic.therapists["site"], strict=True))
    sliding, tiny = ids[4], ids[-1]
    clinic.feedback = _slide(clinic, sliding, end)
    next_client = clinic.episodes.height + 1
    plan = [  # (role, therapist, statuses oldest first, SRS totals for attended sessions, comment on the last
        #         rating, or {rating index: comment})
        ("sharp_drop", ids[2], "AAAAAAA", [37.5, 38.0, 37.8, 38.2, 38.0, 37.9, 31.0],
         "I didn't feel listened to today"),
        ("sharp_drop", ids[7], "AAAAAAAA", [36.8, 37.5, 37.9, 37.2, 38.1, 37.0, 37.7, 32.4], None),
        ("rupture_repaired", ids[1], "AAAAAA", [37.8, 38.2, 38.0, 32.0, 37.6, 38.1],
         {3: "I felt rushed today and not really listened to", 4: "Glad we talked about last week, I felt heard"}),
        ("rupture_unrepaired", ids[3], "AAAAAA", [38.0, 37.6, 38.2, 31.5, 32.2, 31.8],
         {3: "I felt a bit judged when I talked about my drinking", 4: "Not sure we are working on the right things",
          5: "I felt a bit judged when I talked about my drinking"}),
        ("repeated_no_shows", ids[5], "AAAAANNN", [37.0, 37.4, 36.9, 37.8, 37.2], None),
        ("switch_after_low_scores", ids[8], "AAAA", [33.0, 32.5, 31.8, 32.0],
         "I don't feel my therapist understands me"),
        ("tiny_caseload", tiny, "AAAAAA", [37.0, 37.5, 38.0, 37.2, 37.9, 38.3], None),
        ("tiny_caseload", tiny, "AAAAA", [36.5, 37.0, 37.4, 37.9, 38.0], None),
        ("tiny_caseload", tiny, "AANAA", [35.9, 36.8, 37.5, 37.0], None),
    ]
    sessions, feedback, episodes, manifest = [], [], [], {}
    n_sessions = clinic.sessions.height
    last_day = end - timedelta(days=2)
    for role, therapist, statuses, totals, comment in plan:
        client = f"C{next_client:06d}"
        next_client += 1
        manifest.setdefault(role, []).append({"client_id": client, "therapist_id": therapist})
        scores = iter(enumerate(totals))
        notes = comment if isinstance(comment, dict) else {len(totals) - 1: comment}
        for k, code in enumerate(statuses):
            when = datetime.combine(last_day - timedelta(days=7 * (len(statuses) - 1 - k)), datetime.min.time())
            n_sessions += 1
            session_id = f"S{n_sessions:07d}"
            sessions.append({"session_id": session_id, "client_id": client, "therapist_id": therapist,
                             "scheduled_at": when + timedelta(hours=10), "status": "attended" if code == "A"
                             else "no_show", "session_number": k + 1, "site": sites[therapist],
                             "service": SERVICES[0]})
            if code == "A":
                index, total = next(scores, (None, None))
                if total is not None:
                    feedback.append(_planted_rating(session_id, total, notes.get(index)))
        first_day = last_day - timedelta(days=7 * (len(statuses) - 1))
        episodes.append({"client_id": client, "therapist_id": therapist, "start_date": first_day,
                         "end_date": None, "end_reason": None})
    switch_client = manifest["switch_after_low_scores"][0]["client_id"]
    switch = pl.DataFrame([{"request_id": f"R{clinic.switch_requests.height + 1:05d}", "client_id": switch_client,
                            "from_therapist_id": ids[8], "to_therapist_id": None,
                            "requested_at": end - timedelta(days=1),
                            "reason": "I don't feel my therapist understands me; would like someone else",
                            "status": "open"}], schema=clinic.switch_requests.schema)
    manifest["sliding_therapist"] = sliding
    manifest["tiny_caseload_therapist"] = tiny
    manifest["end"] = end.isoformat()
    clinic.sessions = pl.concat([clinic.sessions, pl.DataFrame(sessions, schema=clinic.sessions.schema)])
    clinic.feedback = pl.concat([clinic.feedback, pl.DataFrame(feedback, schema=clinic.feedback.schema)])
    clinic.episodes = pl.concat([clinic.episodes, pl.DataFrame(episodes, schema=clinic.episodes.schema)])
    clinic.switch_requests = pl.concat([clinic.switch_requests, switch])
    clinic.planted = manifest
    return clinic


def _planted_rating(session_id: str, total: float, comment: str | None) -> dict:
    """Four items that add up to `total`, the relationship item carrying most of any dip."""
    rest = round(min(total / 4 + 0.15, 10.0), 1)
    relationship = round(total - 3 * rest, 1)
    return {"session_id": session_id, "srs_relationship": relationship, "srs_goals": rest, "srs_approach": rest,
            "srs_overall": rest, "srs_total": round(relationship + 3 * rest, 1), "ors_individual": None,
            "ors_interpersonal": None, "ors_social": None, "ors_overall": None, "ors_total": None,
            "comment": comment}


def _slide(clinic: DemoClinic, therapist: str, end: date) -> pl.DataFrame:
    """One therapist's scores slide over the last eight weeks: about 4 points off the total by the end."""
    window_start = datetime.combine(end - timedelta(weeks=8), datetime.min.time())
    sliding = clinic.sessions.filter((pl.col("therapist_id") == therapist) & (pl.col("scheduled_at") >= window_start))
    when = clinic.feedback.join(sliding.select("session_id", "scheduled_at"), on="session_id", how="left",
                                maintain_order="left")
    progress = ((pl.col("scheduled_at") - window_start).dt.total_days() / 56).clip(0, 1)
    drop = pl.when(pl.col("scheduled_at").is_not_null()).then(progress * 1.1).otherwise(0.0)
    items = ["srs_relationship", "srs_goals", "srs_approach", "srs_overall"]
    slid = when.with_columns([(pl.col(c) - drop).clip(0, 10).round(1).alias(c) for c in items])
    return _with_totals(slid.drop("scheduled_at"))
