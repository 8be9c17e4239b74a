"""The client's own words: comments and switch-request reasons grouped into themes by a keyword list.

No model: each theme has a list of phrases anyone can read and edit (on the "In clients' words" page). A phrase
either signals the theme *as written* ("judged", "rushed") — unless it is negated ("I didn't feel judged" is
not "feeling judged") — or signals it *only when negated* ("heard", "listened to": "I didn't feel listened to"
is "not feeling heard", "I felt heard" is not). A phrase is negated when a negation word ("not", "never",
"didn't", "nobody", …) comes at most NEGATION_WINDOW words before it in the same clause (clauses end at
punctuation and at "but", "although", "though", "however"). A trailing * matches any ending ("judg*").

The default lists live here; a changed list is stored in the settings table (key `comment_themes`, JSON), so
a later version's new defaults reach every clinic that kept them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from attune import db
from attune.filters import Filters
from attune.formatting import therapist_label

SETTINGS_KEY = "comment_themes"
NEGATION_WINDOW = 4
NEGATIONS = frozenset({
    "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without", "hardly", "barely", "cannot",
    "cant", "dont", "didnt", "doesnt", "wasnt", "werent", "isnt", "arent", "havent", "hasnt", "hadnt", "couldnt",
    "wouldnt", "wont", "shouldnt", "aint", "noone", "lack", "lacked", "lacking",
})
CLAUSE_BREAKS = frozenset({"but", "although", "though", "however", "yet", "whereas"})
AS_WRITTEN, WHEN_NEGATED = "as written", "only when negated"


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    about: str


THEMES: tuple[Theme, ...] = (
    Theme("not_heard", "Not feeling heard", "the client felt unheard, ignored or not understood"),
    Theme("judged", "Feeling judged", "criticised, blamed, looked down on"),
    Theme("pressured", "Feeling pressured or rushed", "pushed too fast, hurried, pressed into tasks"),
    Theme("not_safe", "Not feeling safe", "unsafe, uncomfortable, unable to open up"),
    Theme("boundaries", "Boundaries", "the professional frame felt crossed or blurred"),
    Theme("goals", "Disagreement about goals or approach", "working on the wrong things, the method does not suit"),
    Theme("fit", "Fit / wanting a different therapist", "no click, wanting someone else"),
)
THEME_BY_KEY = {t.key: t for t in THEMES}
LABEL_TO_KEY = {t.label: t.key for t in THEMES}

# theme key: (phrases signalling it as written, phrases signalling it only when negated)
DEFAULT_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "not_heard": (("unheard", "ignored", "ignoring me", "interrupt*", "talked over", "dismissed", "dismissive",
                   "brushed off", "misunderstood"),
                  ("heard", "listened", "listen", "listens", "listening", "understood", "understands me",
                   "understand me", "gets me", "get me")),
    "judged": (("judg*", "criticis*", "criticiz*", "blamed", "looked down", "shamed", "ashamed", "lectured",
                "patronis*", "patroniz*", "condescending", "telling me off"),
               ("accepted",)),
    "pressured": (("rushed", "rushing", "hurried", "pressured", "pressuring", "pushed", "pushy", "forced",
                   "too fast", "cut short", "clock watching", "clock-watching"),
                  ("enough time", "my own pace", "at my pace")),
    "not_safe": (("unsafe", "intimidat*", "threatened", "uncomfortable", "scared to say", "afraid to say"),
                 ("safe", "comfortable", "trust", "open up")),
    "boundaries": (("boundary", "boundaries", "inappropriate", "overstepped", "crossed a line", "too personal",
                    "too familiar", "their own problems", "own life", "about himself", "about herself",
                    "about themselves", "social media", "texted me"),
                   ("professional",)),
    "goals": (("wrong things", "different approach", "structured approach", "more structure", "disagree*",
               "pointless", "waste of time", "going in circles"),
              ("going anywhere", "working on the right", "right things", "suits me", "suit me", "helpful",
               "useful", "agree", "same page", "what i wanted", "what i want")),
    "fit": (("someone different", "someone else", "different therapist", "another therapist", "new therapist",
             "change therapist", "female therapist", "male therapist", "personality clash", "cultural background"),
            ("click", "clicked", "connect", "connected", "good fit", "right fit", "a fit", "good match", "gel")),
}

_TOKEN = re.compile(r"[a-z0-9*]+(?:-[a-z0-9*]+)*")
_CLAUSE = re.compile(r"[.,;:!?()\n]+")


def normalise(text: str) -> str:
    """Lower case, curly apostrophes straightened and dropped ("didn't" → "didnt")."""
    return text.lower().replace("\u2019", "'").replace("'", "")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def _clauses(text: str) -> list[list[str]]:
    clauses: list[list[str]] = []
    for part in _CLAUSE.split(normalise(text)):
        current: list[str] = []
        for token in _TOKEN.findall(part):
            if token in CLAUSE_BREAKS:
                if current:
                    clauses.append(current)
                current = []
            else:
                current.append(token)
        if current:
            clauses.append(current)
    return clauses


def _word_matches(pattern: str, token: str) -> bool:
    return token.startswith(pattern[:-1]) if pattern.endswith("*") else token == pattern


def _negated(clause: list[str], start: int) -> bool:
    return any(t in NEGATIONS for t in clause[max(0, start - NEGATION_WINDOW):start])


# A compiled keyword list: phrases indexed by their first word (exact words, and * prefixes apart), so a comment
# is checked only against phrases that can start at each of its words. Entry: (order, theme, phrase, words,
# counts only when negated).
Entry = tuple[int, str, str, list[str], bool]
Compiled = tuple[dict[str, list[Entry]], list[tuple[str, Entry]]]


def compile_keywords(keywords: pl.DataFrame) -> Compiled:
    exact: dict[str, list[Entry]] = {}
    prefixed: list[tuple[str, Entry]] = []
    for order, (theme, phrase, signal) in enumerate(keywords.select("theme", "phrase", "signal").iter_rows()):
        words = _tokens(phrase)
        if not words:
            continue
        entry = (order, theme, phrase, words, signal == WHEN_NEGATED)
        if words[0].endswith("*"):
            prefixed.append((words[0][:-1], entry))
        else:
            exact.setdefault(words[0], []).append(entry)
    return exact, prefixed


def _match(text: str | None, compiled: Compiled) -> list[tuple[str, str]]:
    if not text:
        return []
    exact, prefixed = compiled
    found: dict[int, tuple[str, str]] = {}
    for clause in _clauses(text):
        for i, token in enumerate(clause):
            candidates = exact.get(token, []) + [e for prefix, e in prefixed if token.startswith(prefix)]
            for order, theme, phrase, words, want_negated in candidates:
                if order in found or i + len(words) > len(clause):
                    continue
                if all(_word_matches(w, clause[i + j]) for j, w in enumerate(words)) and \
                        _negated(clause, i) == want_negated:
                    found[order] = (theme, phrase)
    return [found[k] for k in sorted(found)]


def matches(text: str | None, keywords: pl.DataFrame) -> list[tuple[str, str]]:
    """The (theme key, phrase) pairs that fire in `text`, in the order of the keyword list."""
    return _match(text, compile_keywords(keywords))


def tag(text: str | None, keywords: pl.DataFrame) -> list[str]:
    """The themes of one comment (theme keys, in THEMES order, each once)."""
    hit = {theme for theme, _ in matches(text, keywords)}
    return [t.key for t in THEMES if t.key in hit]


# --- the keyword list: defaults, stored edits ---------------------------------------------------------------

KEYWORD_SCHEMA = {"theme": pl.Utf8, "phrase": pl.Utf8, "signal": pl.Utf8}


def default_keywords() -> pl.DataFrame:
    rows = [{"theme": key, "phrase": phrase, "signal": signal}
            for key, (plain, negated) in DEFAULT_KEYWORDS.items()
            for phrases, signal in ((plain, AS_WRITTEN), (negated, WHEN_NEGATED)) for phrase in phrases]
    return pl.DataFrame(rows, schema=KEYWORD_SCHEMA)


class KeywordError(ValueError):
    """An edited keyword list that cannot be used (unknown theme, empty or unreadable phrase)."""


def validate(edited: pl.DataFrame) -> pl.DataFrame:
    """Check an edited list (theme keys or labels, phrases, signals); return it cleaned and de-duplicated."""
    rows = []
    for number, row in enumerate(edited.iter_rows(named=True), start=1):
        theme, phrase, signal = row.get("theme"), (row.get("phrase") or "").strip(), row.get("signal") or AS_WRITTEN
        if not phrase and not theme:
            continue  # an empty row the editor left behind
        theme = LABEL_TO_KEY.get(theme, theme)
        if theme not in THEME_BY_KEY:
            raise KeywordError(f"Row {number}: unknown theme {theme!r}; choose one of "
                               f"{', '.join(t.label for t in THEMES)}.")
        if not _tokens(phrase) or len(phrase) > 60:
            raise KeywordError(f"Row {number}: '{phrase[:60]}' is not a phrase of letters or digits (up to 60 "
                               "characters; a trailing * matches any ending).")
        if signal not in (AS_WRITTEN, WHEN_NEGATED):
            raise KeywordError(f"Row {number}: choose '{AS_WRITTEN}' or '{WHEN_NEGATED}'.")
        rows.append({"theme": theme, "phrase": " ".join(_tokens(phrase)), "signal": signal})
    if not rows:
        raise KeywordError("The keyword list is empty: every comment would go untagged. Restore the defaults "
                           "instead.")
    return pl.DataFrame(rows, schema=KEYWORD_SCHEMA).unique(maintain_order=True)


def load_keywords(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The keyword list in force: the stored edit, or the defaults."""
    stored = db.run_query(cur, "settings_values").filter(pl.col("key") == SETTINGS_KEY)
    if stored.is_empty():
        return default_keywords()
    try:
        return validate(pl.DataFrame(json.loads(stored["value"][0]), schema=KEYWORD_SCHEMA))
    except (KeywordError, ValueError, TypeError):
        return default_keywords()  # a list a later version cannot read: the defaults apply


def save_keywords(cur: duckdb.DuckDBPyConnection, edited: pl.DataFrame, updated_by: str | None = None) -> int:
    """Store an edited list (identical to the defaults: forget the edit). Returns the number of phrases."""
    checked = validate(edited)
    cur.execute("BEGIN TRANSACTION")
    try:
        if checked.equals(default_keywords()):
            db.execute(cur, "settings_delete", {"key": SETTINGS_KEY})
        else:
            db.execute(cur, "settings_upsert", {"key": SETTINGS_KEY, "value": json.dumps(checked.to_dicts()),
                                                "updated_by": updated_by})
        db.bump_data_version(cur)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return checked.height


def restore_defaults(cur: duckdb.DuckDBPyConnection) -> None:
    db.execute(cur, "settings_delete", {"key": SETTINGS_KEY})
    db.bump_data_version(cur)


def editor_view(keywords: pl.DataFrame) -> pl.DataFrame:
    """The list with theme labels, as the editor shows it."""
    return keywords.with_columns(pl.col("theme").replace_strict({t.key: t.label for t in THEMES}))


# --- comments, tagged -----------------------------------------------------------------------------------------

def _tagged(frame: pl.DataFrame, keywords: pl.DataFrame) -> pl.DataFrame:
    """Each distinct text is matched once and its tags joined back: comments repeat, and at a network's scale
    building per-row Python lists cost seconds where the join costs milliseconds."""
    compiled = compile_keywords(keywords)
    texts = frame["text"].unique().to_list()
    found = [_match(text, compiled) for text in texts]
    tags = pl.DataFrame({
        "text": pl.Series(texts, dtype=pl.Utf8),
        "themes": pl.Series([[t.key for t in THEMES if t.key in {k for k, _ in hit}] for hit in found],
                            dtype=pl.List(pl.Utf8)),
        "matched": pl.Series([sorted({p for _, p in hit}) for hit in found], dtype=pl.List(pl.Utf8)),
    })
    return frame.join(tags, on="text", how="left", maintain_order="left")


def comments(cur: duckdb.DuckDBPyConnection, filters: Filters, keywords: pl.DataFrame | None = None) -> pl.DataFrame:
    """Feedback comments and switch-request reasons in the period, each with its themes and the phrases that
    matched. Columns: said_on, source, client_id, therapist_id, therapist_name, supervisor, srs_total, text,
    themes (list of keys), matched (list of phrases)."""
    keywords = load_keywords(cur) if keywords is None else keywords
    return _tagged(db.run_query(cur, "comments", filters.params()), keywords)


def client_words(cur: duckdb.DuckDBPyConnection, client_id: str, as_of: date,
                 visible: tuple[str, ...] | None = None) -> pl.DataFrame:
    """One client's comments and switch-request reasons with their themes, for the drill-down."""
    frame = db.run_query(cur, "client_words", {"client_id": client_id, "as_of": as_of,
                                               "visible": None if visible is None else list(visible)})
    return _tagged(frame, load_keywords(cur))


def labels(keys: pl.Expr) -> pl.Expr:
    """A list of theme keys as readable labels, joined."""
    return keys.list.eval(pl.element().replace_strict({t.key: t.label for t in THEMES})).list.join(", ")


def words_view(frame: pl.DataFrame) -> pl.DataFrame:
    """A client's words as the drill-down shows them, beside the scores."""
    return frame.select(pl.col("said_on").alias("Date"), therapist_label().alias("Therapist"),
                        pl.col("srs_total").alias("SRS"), pl.col("source").alias("Said in"),
                        pl.col("text").alias("In the client's words"), labels(pl.col("themes")).alias("Themes"))


def by_therapist(tagged: pl.DataFrame) -> pl.DataFrame:
    """Per therapist: comments, comments with any theme, and the count per theme (one column per theme label)."""
    base = tagged.group_by("therapist_id", "therapist_name").agg(
        pl.len().alias("Comments"), (pl.col("themes").list.len() > 0).sum().alias("With a theme"))
    long = tagged.explode("themes").drop_nulls("themes").group_by("therapist_id", "themes").len()
    wide = base.select("therapist_id")
    for theme in THEMES:
        counts = long.filter(pl.col("themes") == theme.key).select("therapist_id", pl.col("len").alias(theme.label))
        wide = wide.join(counts, on="therapist_id", how="left")
    out = base.join(wide, on="therapist_id").with_columns(pl.col(t.label).fill_null(0) for t in THEMES)
    return out.sort("With a theme", "therapist_name", descending=[True, False]).select(
        therapist_label().alias("Therapist"), "therapist_id", "Comments",
        pl.col("With a theme").cast(pl.Int64), *[pl.col(t.label).cast(pl.Int64) for t in THEMES])


def over_time(tagged: pl.DataFrame, every: str = "1mo") -> pl.DataFrame:
    """Comments per theme per month (or `every`): period_start, theme (label), comments."""
    long = tagged.explode("themes").drop_nulls("themes")
    if long.is_empty():
        return pl.DataFrame(schema={"period_start": pl.Date, "theme": pl.Utf8, "comments": pl.Int64})
    return (long.with_columns(period_start=pl.col("said_on").dt.truncate(every))
            .group_by("period_start", "themes").agg(pl.len().cast(pl.Int64).alias("comments"))
            .with_columns(theme=pl.col("themes").replace_strict({t.key: t.label for t in THEMES}))
            .select("period_start", "theme", "comments").sort("period_start", "theme"))


def matching(tagged: pl.DataFrame, theme: str | None = None, therapist_id: str | None = None) -> pl.DataFrame:
    """The comments behind a count: those with `theme` (a key; any theme when None), of one therapist or all."""
    rows = tagged.filter(pl.col("themes").list.contains(theme) if theme else pl.col("themes").list.len() > 0)
    if therapist_id:
        rows = rows.filter(pl.col("therapist_id") == therapist_id)
    return rows.sort("said_on", descending=True).select(
        pl.col("said_on").alias("Date"), pl.col("client_id").alias("Client"),
        therapist_label().alias("Therapist"), pl.col("srs_total").alias("SRS"),
        pl.col("source").alias("Said in"), pl.col("text").alias("In the client's words"),
        labels(pl.col("themes")).alias("Themes"), pl.col("matched").list.join(", ").alias("Matched phrases"))
