"""Saved column mappings ("profiles"): how one system's export maps onto a canonical table.

A profile is a small TOML file under the data directory (data/profiles/ next to the database, or
$ATTUNE_PROFILES). It names source columns by their header text, so it still applies when the export's
columns come in another order, and it records the header layout it was made for, so the Data page can
offer it automatically when the same layout is uploaded again. Example:

    name = "CarePractice appointments"
    kind = "sessions"
    date_format = "dmy"
    headers = ["Appt Ref", "Patient", "Seen By", "When", "Outcome"]

    [columns]
    session_id = "Appt Ref"
    client_id = "Patient"
    therapist_id = "Seen By"
    scheduled_at = "When"
    status = "Outcome"

    [constants]
    site = "North"

    [values.status]
    "kept" = "attended"
    "walked out" = "late_cancel"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from attune import db
from attune.contract import (
    CATEGORIES,
    MAPPABLE,
    SPECS,
    Constant,
    Mapping,
    ValueMap,
    normalise_header,
    normalise_word,
)
from attune.formatting import noun_for
from attune.reader import display_headers

DATE_FORMAT_CHOICES = ("auto", "iso", "dmy", "mdy")


class ProfileError(ValueError):
    """A profile file that cannot be used (unreadable, or naming columns the export does not have)."""


@dataclass
class Profile:
    name: str
    kind: str
    headers: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    constants: dict[str, str] = field(default_factory=dict)
    values: ValueMap = field(default_factory=dict)
    date_format: str = "auto"
    sheet: str | None = None
    path: Path | None = None

    @property
    def layout(self) -> tuple[str, ...]:
        return layout(self.headers)

    def mapping_for(self, labels: tuple[str, ...] | list[str]) -> Mapping:
        """Resolve the source headers against a file's header names (its display labels)."""
        by_name = {normalise_header(label): i for i, label in enumerate(labels)}
        mapping: Mapping = {}
        missing = []
        for canonical, source in self.columns.items():
            index = by_name.get(normalise_header(source))
            if index is None:
                missing.append(source)
            else:
                mapping[canonical] = index
        if missing:
            raise ProfileError(f"The saved mapping '{self.name}' expects the {noun_for(len(missing), 'column')} "
                               f"{', '.join(missing)}, "
                               "which this file does not have.")
        mapping.update({canonical: Constant(value) for canonical, value in self.constants.items()})
        return mapping


def layout(headers: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A header layout in one spelling: what 'the same export again' means."""
    return tuple(normalise_header(h) for h in display_headers(headers))


def profiles_dir() -> Path:
    configured = os.environ.get("ATTUNE_PROFILES")
    return Path(configured) if configured else db.db_path().parent / "profiles"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "mapping"


def from_mapping(name: str, kind: str, labels: tuple[str, ...] | list[str], mapping: Mapping,
                 values: ValueMap | None = None, date_format: str = "auto", sheet: str | None = None) -> Profile:
    """A profile from what the analyst chose on the Data page (source columns by index into `labels`)."""
    columns = {c: labels[t] for c, t in mapping.items() if not isinstance(t, Constant)}
    constants = {c: t.value for c, t in mapping.items() if isinstance(t, Constant)}
    kept_values = {c: dict(words) for c, words in (values or {}).items() if words and c in columns}
    return Profile(name.strip(), kind, tuple(labels), columns, constants, kept_values, date_format, sheet)


def to_toml(profile: Profile) -> str:
    document: dict = {"name": profile.name, "kind": profile.kind, "date_format": profile.date_format,
                      "headers": list(profile.headers), "columns": profile.columns}
    if profile.sheet:
        document["sheet"] = profile.sheet
    if profile.constants:
        document["constants"] = profile.constants
    if profile.values:
        document["values"] = profile.values
    return tomli_w.dumps(document)


def save(profile: Profile, folder: Path | None = None) -> Path:
    """Write the profile as NAME.toml (replacing a profile of the same name)."""
    if not profile.name:
        raise ProfileError("Give the mapping a name before saving it.")
    validate(profile)
    folder = folder or profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(profile.name)}.toml"
    path.write_text(to_toml(profile), encoding="utf-8")
    profile.path = path
    return path


def load(path: Path | str) -> Profile:
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"The mapping file {path.name} cannot be read: {exc}") from exc
    try:
        profile = Profile(
            name=str(document.get("name") or path.stem),
            kind=str(document["kind"]),
            headers=tuple(str(h) for h in document.get("headers", ())),
            columns={str(k): str(v) for k, v in document.get("columns", {}).items()},
            constants={str(k): str(v) for k, v in document.get("constants", {}).items()},
            values={str(c): {normalise_word(str(w)): str(v) for w, v in words.items()}
                    for c, words in document.get("values", {}).items()},
            date_format=str(document.get("date_format", "auto")),
            sheet=document.get("sheet"),
            path=path,
        )
    except (KeyError, AttributeError, TypeError) as exc:
        raise ProfileError(f"The mapping file {path.name} is missing {exc} or has it in the wrong form.") from exc
    validate(profile)
    return profile


def validate(profile: Profile) -> None:
    """Refuse profiles naming unknown tables, columns, values or date formats (with the reason)."""
    where = profile.path.name if profile.path else f"mapping '{profile.name}'"
    spec = SPECS.get(profile.kind)
    if spec is None:
        raise ProfileError(f"{where}: unknown kind '{profile.kind}' (expected one of: {', '.join(SPECS)}).")
    for canonical in (*profile.columns, *profile.constants):
        if canonical not in spec.names:
            raise ProfileError(f"{where}: '{canonical}' is not a column of {spec.label.lower()} "
                               f"(columns: {', '.join(spec.names)}).")
    for canonical, words in profile.values.items():
        column = spec.column(canonical) if canonical in spec.names else None
        if column is None or column.type not in CATEGORIES:
            categorical = ", ".join(c.name for c in spec.columns if c.type in CATEGORIES) or "no column"
            raise ProfileError(f"{where}: values can only be mapped for {categorical} in {spec.label.lower()}.")
        allowed = MAPPABLE[column.type]
        for word, value in words.items():
            if value not in allowed:
                raise ProfileError(f"{where}: '{word}' is mapped to '{value}', which is not one of "
                                   f"{', '.join(allowed)}.")
    if profile.date_format not in DATE_FORMAT_CHOICES:
        raise ProfileError(f"{where}: date_format must be one of {', '.join(DATE_FORMAT_CHOICES)}.")


def list_profiles(folder: Path | None = None) -> list[Profile]:
    """Every readable profile, newest first (unreadable files are skipped here; `load` names the problem)."""
    folder = folder or profiles_dir()
    found = []
    for path in sorted(folder.glob("*.toml"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            found.append(load(path))
        except ProfileError:
            continue
    return found


def find_matching(headers: tuple[str, ...] | list[str], folder: Path | None = None) -> Profile | None:
    """The newest saved profile made for exactly this header layout, if any."""
    wanted = layout(headers)
    return next((p for p in list_profiles(folder) if p.layout == wanted), None)
