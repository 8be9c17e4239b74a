"""The data contract: the canonical tables an export is mapped onto.

Everything the importer knows about a kind of file lives here: its columns, their value type, which
columns identify a row, the header synonyms seen in real exports and the status words they use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | int | real | timestamp | date | bool | status | end_reason | switch_status
    required: bool = False
    synonyms: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    default_when_absent: str | None = None  # the value every row gets when the export lacks the column


@dataclass(frozen=True)
class Constant:
    """A mapping target filled with the same value on every row (e.g. the site of a one-site clinic)."""

    value: str


# Canonical column -> the index of the source column that feeds it, or a constant.
Mapping = dict[str, "int | Constant"]
# Canonical column -> {word as written in the export (normalised): canonical value}.
ValueMap = dict[str, dict[str, str]]


@dataclass(frozen=True)
class TableSpec:
    kind: str
    table: str
    label: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    signature: frozenset[str] = field(default_factory=frozenset)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _scores(prefix: str, items: tuple[str, ...], synonyms: dict[str, tuple[str, ...]]) -> tuple[Column, ...]:
    item_cols = tuple(
        Column(f"{prefix}_{item}", "real", synonyms=synonyms.get(item, ()), low=0, high=10) for item in items
    )
    return item_cols + (Column(f"{prefix}_total", "real", synonyms=(f"{prefix}", f"{prefix}_score"), low=0, high=40),)


THERAPIST_SYNONYMS = ("clinician", "clinician_id", "provider", "provider_id", "therapist", "counsellor",
                      "counselor", "staff_id", "practitioner", "rendering_provider")
CLIENT_SYNONYMS = ("client", "patient_id", "patient", "client_number", "client_no", "client_code", "patient_number",
                   "person_id")

THERAPISTS = TableSpec(
    kind="therapists",
    table="therapists",
    label="Therapist roster",
    key=("therapist_id",),
    columns=(
        Column("therapist_id", "text", True, THERAPIST_SYNONYMS),
        Column("name", "text", False, ("therapist_name", "clinician_name", "provider_name", "full_name")),
        Column("supervisor", "text", False, ("team", "supervisor_name", "clinical_lead")),
        Column("site", "text", False, ("location", "clinic", "office")),
        Column("active", "bool", False, ("is_active", "current")),
    ),
    signature=frozenset({"therapist_id", "name"}),
)

SESSIONS = TableSpec(
    kind="sessions",
    table="sessions",
    label="Sessions (appointments)",
    key=("session_id",),
    columns=(
        Column("session_id", "text", True, ("appointment_id", "appt_id", "visit_id", "encounter_id", "event_id")),
        Column("client_id", "text", True, CLIENT_SYNONYMS),
        Column("therapist_id", "text", True, THERAPIST_SYNONYMS),
        Column("scheduled_at", "timestamp", True,
               ("date_of_service", "appointment_date", "appointment_time", "start_time", "session_date",
                "date", "dos", "service_date", "start")),
        Column("status", "status", True, ("attendance", "appointment_status", "appt_status", "visit_status",
                                          "attendance_status", "outcome", "attended"),
               default_when_absent="attended"),
        Column("session_number", "int", False, ("session_no", "visit_number", "appointment_number")),
        Column("site", "text", False, ("location", "clinic", "office")),
        Column("service", "text", False, ("service_type", "programme", "program", "appointment_type")),
    ),
    signature=frozenset({"session_id", "scheduled_at"}),
)

FEEDBACK = TableSpec(
    kind="feedback",
    table="feedback",
    label="Feedback scores (SRS / ORS)",
    key=("feedback_key",),
    columns=(
        Column("session_id", "text", False, ("appointment_id", "appt_id", "visit_id")),
        Column("client_id", "text", False, CLIENT_SYNONYMS),
        Column("therapist_id", "text", False, THERAPIST_SYNONYMS),
        Column("rated_on", "date", False, ("date", "session_date", "rating_date", "completed_on")),
        *_scores("srs", ("relationship", "goals", "approach", "overall"), {
            "relationship": ("srs_1", "srs_item1"), "goals": ("srs_goals_topics", "srs_2", "srs_item2"),
            "approach": ("srs_method", "srs_3", "srs_item3"), "overall": ("srs_4", "srs_item4")}),
        *_scores("ors", ("individual", "interpersonal", "social", "overall"), {
            "individual": ("ors_1",), "interpersonal": ("ors_2",), "social": ("ors_3",),
            "overall": ("ors_4",)}),
        Column("comment", "text", False, ("comments", "feedback", "client_comment", "free_text")),
    ),
    signature=frozenset({"srs_total", "ors_total", "srs_relationship", "ors_individual"}),
)

EPISODES = TableSpec(
    kind="episodes",
    table="episodes",
    label="Episodes of care",
    key=("client_id", "therapist_id", "start_date"),
    columns=(
        Column("client_id", "text", True, CLIENT_SYNONYMS),
        Column("therapist_id", "text", True, THERAPIST_SYNONYMS),
        Column("start_date", "date", True, ("referral_date", "opened", "episode_start", "admission_date")),
        Column("end_date", "date", False, ("discharge_date", "closed", "episode_end")),
        Column("end_reason", "end_reason", False, ("discharge_reason", "closure_reason", "reason_for_ending")),
    ),
    signature=frozenset({"start_date", "end_reason"}),
)

SWITCH_REQUESTS = TableSpec(
    kind="switch_requests",
    table="switch_requests",
    label="Requests to change therapist",
    key=("request_id",),
    columns=(
        Column("request_id", "text", True, ("switch_id", "transfer_id")),
        Column("client_id", "text", True, CLIENT_SYNONYMS),
        Column("from_therapist_id", "text", True, ("from_therapist", "current_therapist", "from_clinician")),
        Column("to_therapist_id", "text", False, ("to_therapist", "new_therapist", "to_clinician")),
        Column("requested_at", "date", True, ("request_date", "date_requested", "date")),
        Column("reason", "text", False, ("reason_given", "client_reason", "why")),
        Column("status", "switch_status", False, ("request_status", "outcome")),
    ),
    signature=frozenset({"request_id", "from_therapist_id"}),
)

SPECS: dict[str, TableSpec] = {s.kind: s for s in (THERAPISTS, SESSIONS, FEEDBACK, EPISODES, SWITCH_REQUESTS)}

# Status words from real practice-management exports, normalised (lower case, single spaces).
SESSION_STATUS_WORDS: dict[str, str] = {
    "attended": "attended", "show": "attended", "arrived": "attended", "seen": "attended",
    "completed": "attended", "kept": "attended", "checked out": "attended", "yes": "attended",
    "no_show": "no_show", "no show": "no_show", "no-show": "no_show", "noshow": "no_show", "dna": "no_show",
    "did not attend": "no_show", "missed": "no_show", "unarrived": "no_show", "no": "no_show",
    "late_cancel": "late_cancel", "late cancel": "late_cancel", "late canceled": "late_cancel",
    "late cancelled": "late_cancel", "late cancellation": "late_cancel", "late-cancel": "late_cancel",
    "cancelled": "cancelled", "canceled": "cancelled", "cancel": "cancelled", "cancellation": "cancelled",
    "client cancelled": "cancelled", "client canceled": "cancelled",
    "clinician_cancel": "clinician_cancel", "clinician cancel": "clinician_cancel",
    "clinician canceled": "clinician_cancel", "clinician cancelled": "clinician_cancel",
    "therapist cancelled": "clinician_cancel", "therapist canceled": "clinician_cancel",
    "provider canceled": "clinician_cancel", "provider cancelled": "clinician_cancel",
}
SESSION_STATUSES = ("attended", "no_show", "late_cancel", "cancelled", "clinician_cancel")
# An appointment not held yet (a diary export lists next week's bookings too): it has no outcome, so a sessions
# import leaves it out and says how many; a later export that gives it an outcome imports it.
NOT_HELD = "not_held"
SESSION_STATUS_WORDS.update({word: NOT_HELD for word in (
    "not_held", "not held", "scheduled", "booked", "upcoming", "pending", "confirmed", "not yet seen")})
# How the pages name each status (the stored codes are for queries and exports' machine readers).
SESSION_STATUS_LABELS = {"attended": "Attended", "no_show": "No-show", "late_cancel": "Late cancellation",
                         "cancelled": "Cancelled in time", "clinician_cancel": "Cancelled by clinician"}

END_REASON_WORDS: dict[str, str] = {
    "planned": "planned", "completed": "planned", "goals met": "planned", "mutual": "planned",
    "dropout": "dropout", "drop out": "dropout", "dropped out": "dropout", "disengaged": "dropout",
    "unplanned": "dropout", "lost to follow-up": "dropout", "did not return": "dropout",
    "switched": "switched", "transferred": "switched", "changed therapist": "switched",
    "referred": "referred", "referred on": "referred", "onward referral": "referred",
    "other": "other",
}
END_REASONS = ("planned", "dropout", "switched", "referred", "other")

SWITCH_STATUS_WORDS: dict[str, str] = {
    "open": "open", "pending": "open", "requested": "open", "new": "open",
    "completed": "completed", "done": "completed", "switched": "completed", "approved": "completed",
    "declined": "declined", "withdrawn": "withdrawn", "cancelled": "withdrawn", "canceled": "withdrawn",
}
SWITCH_STATUSES = ("open", "completed", "declined", "withdrawn")

VALUE_WORDS: dict[str, dict[str, str]] = {  # keyed by Column.type
    "status": SESSION_STATUS_WORDS,
    "end_reason": END_REASON_WORDS,
    "switch_status": SWITCH_STATUS_WORDS,
}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "status": SESSION_STATUSES, "end_reason": END_REASONS, "switch_status": SWITCH_STATUSES,
}
# What a word in a categorical column may be mapped to: a stored value, or for session status, not held yet.
MAPPABLE: dict[str, tuple[str, ...]] = CATEGORIES | {"status": (*SESSION_STATUSES, NOT_HELD)}
THERAPIST_REFERENCES = ("therapist_id", "from_therapist_id", "to_therapist_id")


def normalise_header(header: str) -> str:
    """'  Date of Service ' -> 'date_of_service' so synonyms compare on one spelling."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def normalise_word(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())


# Headers that name a person directly. Attune keeps pseudonymous ids only: such columns are never stored,
# and the import says which were left out.
DIRECT_IDENTIFIERS = frozenset({
    "name", "first_name", "firstname", "last_name", "lastname", "surname", "full_name", "client_name",
    "patient_name", "forename", "email", "email_address", "e_mail", "phone", "phone_number", "mobile",
    "telephone", "tel", "address", "street", "address_line_1", "postcode", "post_code", "zip", "zip_code",
    "dob", "date_of_birth", "birth_date", "birthdate", "nhs_number", "ssn", "social_security_number",
})


def direct_identifier_headers(headers: tuple[str, ...] | list[str], mapped: set[int]) -> list[str]:
    """Headers that look like a person's name, contact details or birth date and are not mapped to a
    canonical column (a roster's therapist `name` is mapped, so it is kept)."""
    return [h.strip() for i, h in enumerate(headers)
            if i not in mapped and normalise_header(h) in DIRECT_IDENTIFIERS]
