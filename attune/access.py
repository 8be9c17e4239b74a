"""Who is looking and what they may see: roles, team scope, and the audit trail.

Scope is enforced in the query layer: `visible_therapists` becomes the `$visible` parameter every named
query filters on, so a crafted URL cannot widen it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from attune import db

ROLES = ("director", "supervisor", "analyst", "therapist")
ROLE_HELP = {
    "director": "everything, all teams, user management and the audit log",
    "supervisor": "the teams they supervise, including client-level rows and comments",
    "analyst": "imports and data management, aggregate views, no client-level rows or comments",
    "therapist": "only their own caseload",
}


class AccessError(ValueError):
    """A user definition that cannot be applied (unknown role, supervisor without a team, …)."""


@dataclass(frozen=True)
class Viewer:
    identity: str
    name: str
    role: str
    teams: tuple[str, ...] = ()
    therapist_id: str | None = None
    local: bool = False  # local mode: no sign-in configured, served on localhost only
    visible: tuple[str, ...] | None = field(default=None)  # None: every therapist

    @property
    def sees_client_rows(self) -> bool:
        return self.role in ("director", "supervisor", "therapist")

    @property
    def sees_comments(self) -> bool:
        return self.role in ("director", "supervisor", "therapist")

    @property
    def can_import(self) -> bool:
        return self.role in ("director", "analyst")

    @property
    def is_director(self) -> bool:
        return self.role == "director"


def local_viewer() -> Viewer:
    return Viewer("local", "Local user", "director", local=True)


def scope(cur: duckdb.DuckDBPyConnection, viewer: Viewer) -> Viewer:
    """The viewer with `visible` filled in: which therapists' data they may see."""
    if viewer.role in ("director", "analyst"):
        visible = None
    elif viewer.role == "supervisor":
        visible = tuple(db.run_query(cur, "team_therapists", {"teams": list(viewer.teams)})["therapist_id"])
    else:
        visible = (viewer.therapist_id,) if viewer.therapist_id else ()
    return Viewer(viewer.identity, viewer.name, viewer.role, viewer.teams, viewer.therapist_id, viewer.local, visible)


def find_user(cur: duckdb.DuckDBPyConnection, identity: str) -> Viewer | None:
    rows = db.run_query(cur, "user_by_identity", {"identity": identity})
    if rows.is_empty():
        return None
    row = rows.row(0, named=True)
    return Viewer(row["email"], row["name"] or row["email"], row["role"], tuple(row["teams"] or ()),
                  row["therapist_id"])


def viewer_from_claims(claims: dict) -> Viewer | None:
    """A role carried by the sign-in provider's token (claims role, teams, therapist_id), if any."""
    role = claims.get("role")
    if role not in ROLES:
        return None
    identity = claims.get("email") or claims.get("sub") or "unknown"
    teams = claims.get("teams") or ()
    return Viewer(identity, claims.get("name") or identity, role,
                  tuple(teams if isinstance(teams, list | tuple) else [teams]), claims.get("therapist_id"))


def save_user(cur: duckdb.DuckDBPyConnection, email: str, role: str | None, *, name: str | None = None,
              teams: tuple[str, ...] = (), therapist_id: str | None = None, added_by: str = "cli") -> None:
    if not email.strip():
        raise AccessError("An email is needed: it is how the sign-in provider names the person.")
    if role is None:
        raise AccessError(f"Choose a role for {email.strip()}.")
    if role not in ROLES:
        raise AccessError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if role == "supervisor" and not teams:
        raise AccessError(f"{email}: a supervisor needs at least one team.")
    if role == "therapist" and not therapist_id:
        raise AccessError(f"{email}: a therapist needs their therapist id.")
    db.execute(cur, "upsert_user", {"email": email.strip(), "name": name, "role": role, "teams": list(teams),
                                    "therapist_id": therapist_id, "added_by": added_by})


def remove_user(cur: duckdb.DuckDBPyConnection, email: str) -> None:
    db.execute(cur, "delete_user", {"email": email})


def users(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return db.run_query(cur, "users")


def load_users_file(cur: duckdb.DuckDBPyConnection, path: Path, added_by: str = "bootstrap") -> int:
    """Bootstrap roles from a TOML file: [[user]] email, role, name, teams, therapist_id."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("user", [])
    for entry in entries:
        save_user(cur, entry["email"], entry["role"], name=entry.get("name"), teams=tuple(entry.get("teams", ())),
                  therapist_id=entry.get("therapist_id"), added_by=added_by)
    return len(entries)


def record(cur: duckdb.DuckDBPyConnection, viewer: Viewer | None, action: str, detail: str = "") -> None:
    """Append to the audit trail (who, when, what)."""
    db.execute(cur, "record_audit", {"actor": viewer.identity if viewer else "cli",
                                     "role": viewer.role if viewer else None, "action": action,
                                     "detail": detail})


def audit_events(cur: duckdb.DuckDBPyConnection, action: str | None = None, limit: int = 500) -> pl.DataFrame:
    return db.run_query(cur, "audit_events", {"action": action, "limit": limit})
