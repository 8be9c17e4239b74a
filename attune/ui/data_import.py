"""Widgets of the Data page: one panel per uploaded file (kind, preview, mapping editor, value words, date
format, saved mappings), the import results, and the history with undo. The logic is in attune.upload,
attune.ingest, attune.profiles and attune.batches; this module only lays out widgets and reads them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from attune import batches, db, ingest, profiles, upload
from attune.contract import CATEGORIES, MAPPABLE, SPECS, Constant, Mapping, TableSpec
from attune.formatting import counted
from attune.ingest import DATE_FORMAT_LABELS
from attune.reader import save_upload, work_folder
from attune.ui import cache
from attune.ui.tables import PLAIN_NUMBER, show_table

NOT_PRESENT, CONSTANT = "(not present)", "(constant value)"
DATE_CHOICES = {"auto": "detect from the values", **DATE_FORMAT_LABELS}


@st.cache_data(max_entries=64, show_spinner="Reading the file…")
def _analyse(path: str, name: str, sheet: str | None, profiles_dir: str, _mtime: float) -> upload.FileAnalysis:
    return upload.analyse(Path(path), name, sheet, Path(profiles_dir))


@st.cache_data(max_entries=256, show_spinner="Reading the column…")
def _values(path: str, sheet: str | None, index: int):
    return upload.source_values(Path(path), sheet, index)


@st.cache_data(max_entries=256, show_spinner="Checking the dates…")
def _dates(path: str, sheet: str | None, index: int):
    return upload.date_verdict(Path(path), sheet, index)


def current_user() -> str:
    """Who is importing, for the import history: the signed-in viewer (or the local user)."""
    viewer = st.session_state.get("viewer")
    return viewer.identity if viewer is not None else "app"


def saved_uploads(files) -> list[tuple[str, Path]]:
    """Each uploaded file written once to a private temporary folder, roster first."""
    saved = [(f.name, save_upload(f.name, f.getvalue(), f.file_id)) for f in files]
    return [saved[i] for i in upload.import_order([p for _, p in saved])]


def file_panel(name: str, path: Path, expanded: bool = True) -> upload.ImportPlan:
    """One uploaded file: what it is, a preview, and (when needed or asked for) the mapping editor."""
    fid = hashlib.sha1(f"{name}|{path}".encode()).hexdigest()[:10]
    sheet = st.session_state.get(f"data_sheet_{fid}")
    folder = profiles.profiles_dir()
    analysis = _analyse(str(path), name, sheet, str(folder), _mtime(folder))
    plan = upload.ImportPlan(name, path, sheet=analysis.sheet)
    if analysis.error:
        st.error(f"**{name}** cannot be imported. {analysis.error}", icon=":material/block:")
        plan.blockers.append(analysis.error)
        return plan
    suggested = analysis.kind or (analysis.profile.kind if analysis.profile else None)
    detected = SPECS[suggested].label if suggested else "not recognised"
    if analysis.profile is not None:
        detected += f" (saved mapping '{analysis.profile.name}')"
    with st.expander(f"**{name}** — {detected} · {analysis.description}", expanded=expanded or not suggested):
        if len(analysis.sheets) > 1:
            st.selectbox("Sheet", analysis.sheets, key=f"data_sheet_{fid}",
                         help="The workbook has several sheets; the first one is read unless you choose another.")
        # Widgets below depend on the sheet's columns: their keys do too, so a new sheet starts afresh.
        _panel_body(hashlib.sha1(f"{fid}|{analysis.sheet}".encode()).hexdigest()[:10], name, path, analysis, plan)
    for blocker in plan.blockers:
        st.warning(f"**{name}**: {blocker}", icon=":material/edit_note:")
    return plan


def _panel_body(fid: str, name: str, path: Path, analysis: upload.FileAnalysis, plan: upload.ImportPlan) -> None:
    show_table(analysis.preview, f"preview-{Path(name).stem}", None, key=f"data_preview_{fid}", aggregate=False)
    kinds = list(SPECS)
    suggested = analysis.kind or (analysis.profile.kind if analysis.profile else None)
    kind = st.selectbox("This file holds", kinds, index=kinds.index(suggested) if suggested else None,
                        format_func=lambda k: SPECS[k].label, key=f"data_kind_{fid}",
                        placeholder="Choose what this file holds")
    if kind is None:
        plan.blockers.append("The column names were not recognised. Choose what the file holds, then map "
                             "its columns.")
        return
    spec = SPECS[kind]
    plan.kind = kind
    use_profile = False
    if analysis.profile is not None and analysis.profile.kind == kind:
        use_profile = st.toggle(f"Use the saved mapping **{analysis.profile.name}** (made for this same "
                                "column layout)", value=True, key=f"data_use_profile_{fid}")
    start = upload.initial_mapping(analysis, spec, use_profile)
    needs_editor = bool(upload.blockers(spec, start)) or suggested != kind
    edit = st.toggle("Edit the column mapping", value=needs_editor, key=f"data_edit_{fid}_{kind}")
    mapping = mapping_editor(fid, spec, analysis.labels, start) if edit else start
    if not edit:
        st.caption("Columns: " + "; ".join(f"{c} ← {_source(t, analysis.labels)}" for c, t in mapping.items()))
    plan.mapping = mapping
    plan.blockers.extend(upload.blockers(spec, mapping))
    saved = analysis.profile if use_profile else None
    plan.values = value_editor(fid, spec, path, analysis.sheet, mapping, saved.values if saved else {}, edit)
    plan.date_format = date_choice(fid, spec, path, analysis.sheet, mapping, saved.date_format if saved else "auto",
                                   plan)
    if edit:
        save_profile(fid, name, kind, analysis, plan)


def _mtime(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.glob("*.toml")), default=0.0) if folder.exists() else 0.0


def _source(target, labels: tuple[str, ...]) -> str:
    return f'"{target.value}" (constant)' if isinstance(target, Constant) else labels[target]


def mapping_editor(fid: str, spec: TableSpec, labels: tuple[str, ...], start: Mapping) -> Mapping:
    st.markdown("**Column mapping** — for each column Attune uses, pick the column of your file that holds it "
                "(required ones marked \\*).")
    options = [NOT_PRESENT, CONSTANT, *range(len(labels))]
    mapping: Mapping = {}
    grid = st.columns(3)
    for i, column in enumerate(spec.columns):
        target = start.get(column.name)
        index = 0 if target is None else (1 if isinstance(target, Constant) else options.index(target))
        cell = grid[i % 3]
        label = (f"{column.name} (if not present: {column.default_when_absent})" if column.default_when_absent
                 else f"{column.name}{' *' if column.required else ''}")
        chosen = cell.selectbox(label, options, index=index, key=f"data_map_{fid}_{spec.kind}_{column.name}",
                                format_func=lambda o: o if isinstance(o, str) else labels[o])
        if chosen == CONSTANT:
            value = cell.text_input(f"{column.name}: value for every row", key=f"data_const_{fid}_{spec.kind}_"
                                    f"{column.name}", value=target.value if isinstance(target, Constant) else "")
            mapping[column.name] = Constant(value)
        elif chosen != NOT_PRESENT:
            mapping[column.name] = chosen
    return mapping


def value_editor(fid, spec, path, sheet, mapping, saved: dict, edit: bool) -> dict[str, dict[str, str]]:
    """Words in categorical columns: unknown ones must be mapped (or their rows are rejected)."""
    values: dict[str, dict[str, str]] = {}
    for column in spec.columns:
        target = mapping.get(column.name)
        if column.type not in CATEGORIES or not isinstance(target, int):
            continue
        custom = dict(saved.get(column.name, {}))
        words = _values(str(path), sheet, target)
        unknown = [w for w in words["value"] if upload.interpretation(column, w, custom) is None]
        if not unknown and not edit:
            continue
        st.markdown(f"**Values of {column.name}** — what each word in your file means")
        choices = [upload.REJECT, *MAPPABLE[column.type]]
        grid = st.columns(4)
        for i, (word, rows) in enumerate(words.iter_rows()):
            current = upload.interpretation(column, word, custom)
            key = f"data_val_{fid}_{column.name}_{hashlib.sha1(word.encode()).hexdigest()[:8]}"
            picked = grid[i % 4].selectbox(f"{word} ({counted(rows, 'row')})", choices, key=key,
                                           index=choices.index(current) if current else 0)
            builtin = upload.interpretation(column, word)
            if picked != upload.REJECT and picked != builtin:
                custom[word] = picked
        values[column.name] = custom
    return values


def date_choice(fid, spec, path, sheet, mapping, saved: str, plan: upload.ImportPlan) -> str:
    columns = [c for c in spec.columns if c.type in ("timestamp", "date") and isinstance(mapping.get(c.name), int)]
    verdicts = {c.name: _dates(str(path), sheet, mapping[c.name]) for c in columns}
    ambiguous = {name: example for name, (family, example) in verdicts.items() if family is None}
    if not ambiguous and saved == "auto":
        found = sorted({DATE_FORMAT_LABELS[f] for f, _ in verdicts.values() if f})
        if found:
            st.caption(f"Dates read as {', '.join(found)}.")
        return "auto"
    options = [k for k in DATE_CHOICES if not (ambiguous and k == "auto")]
    if ambiguous:
        name, example = next(iter(ambiguous.items()))
        st.warning(f"The dates in {name} (e.g. **{example}**) could be day/month/year or month/day/year. "
                   "Say which, so that no date is guessed.")
    chosen = st.radio("How are the dates written?", options, format_func=DATE_CHOICES.__getitem__, horizontal=True,
                      index=options.index(saved) if saved in options else None, key=f"data_dates_{fid}")
    if chosen is None:
        plan.blockers.append("Choose how the dates are written.")
        return "auto"
    return chosen


def save_profile(fid: str, name: str, kind: str, analysis: upload.FileAnalysis, plan: upload.ImportPlan) -> None:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    title = left.text_input("Save this mapping as", value=Path(name).stem, key=f"data_profile_name_{fid}",
                            help="Saved mappings are offered automatically when a file with the same columns "
                                 "is uploaded again, and work with `attune import FILE --mapping PROFILE.toml`.")
    if right.button("Save mapping", key=f"data_profile_save_{fid}", icon=":material/save:",
                    disabled=bool(plan.blockers)):
        try:
            saved = profiles.save(profiles.from_mapping(title, kind, analysis.labels, plan.mapping, plan.values,
                                                        plan.date_format, analysis.sheet))
        except profiles.ProfileError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved as {saved}.")


def run_imports(plans: list[upload.ImportPlan], keep_valid: bool) -> list[dict]:
    """Import every planned file with a progress bar; the results survive reruns in session state.

    Each file's rejected rows are kept as bytes in the results, so their folder goes when the imports end.
    """
    bar = st.progress(0.0, text="Starting…")
    results = []
    con = cache.connection(str(db.db_path()))
    with work_folder("rejects") as rejects_dir:
        for i, plan in enumerate(plans):
            def progress(fraction: float, message: str, i: int = i) -> None:
                bar.progress(min((i + fraction) / len(plans), 1.0), text=message)

            report = ingest.import_file(con, plan.path, kind=plan.kind, mapping=plan.mapping, values=plan.values,
                                        date_format=plan.date_format, keep_valid=keep_valid,
                                        imported_by=current_user(), display_name=plan.name, progress=progress,
                                        sheet=plan.sheet, rejects_dir=Path(rejects_dir))
            rejects = Path(report.rejects_file).read_bytes() if report.rejects_file else None
            results.append({"report": report, "rejects": rejects})
    bar.progress(1.0, text="Done.")
    return results


def show_results(results: list[dict]) -> None:
    for i, result in enumerate(results):
        report: ingest.ImportReport = result["report"]
        show = {"imported": st.warning if report.rejected else st.success, "unchanged": st.info}.get(
            report.status, st.error)
        show(report.summary, icon={"imported": ":material/check_circle:", "unchanged": ":material/info:"}.get(
            report.status, ":material/error:"))
        for note in report.notes:
            st.caption(note)
        if report.problems:
            more = report.problem_count - len(report.problems)
            st.markdown(f"**Problems in {report.file_name}** ({report.problem_count:,}"
                        f"{f'; the first {len(report.problems):,} are listed' if more > 0 else ''})")
            show_table(report.problems_frame(), f"problems-{Path(report.file_name).stem}", None,
                       key=f"data_problems_{i}", aggregate=False, column_config={"line": PLAIN_NUMBER})
        if result["rejects"]:
            st.download_button(f"Download the {report.rejected:,} rejected rows with their reasons (CSV)",
                               result["rejects"], file_name=f"{Path(report.file_name).stem}-rejected.csv",
                               mime="text/csv", key=f"data_rejects_{i}", icon=":material/download:")


def history() -> None:
    frame = cache.load(batches.history_table)
    if frame.is_empty():
        st.info("No imports yet. Upload your clinic's exports above.")
        return
    show_table(frame, "import-history", None, key="data_history", aggregate=False,
               column_config={"Batch": PLAIN_NUMBER})
    pending = st.session_state.get("data_confirm_undo")
    active = frame.filter(frame["Status"] == "active").head(20)
    st.markdown("**Undo an import** — removes the rows it added and puts back the rows it changed.")
    for row in active.iter_rows(named=True):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"Batch {row['Batch']}: {row['File']} ({row['Kind']}), {row['Imported']} by {row['By']} — "
                      f"{row['New']:,} new, {row['Updated']:,} updated")
        if right.button("Undo", key=f"data_undo_{row['Batch']}", icon=":material/undo:"):
            st.session_state["data_confirm_undo"] = pending = row["Batch"]
    if pending is not None:
        _confirm_undo(int(pending))


def _confirm_undo(batch_id: int) -> None:
    st.warning(f"Undo batch {batch_id}? Its new rows are removed and the rows it changed get their earlier values.")
    yes, no = st.columns(2)
    if yes.button(f"Yes, undo batch {batch_id}", key="data_undo_confirm", type="primary"):
        try:
            con = cache.connection(str(db.db_path()))
            with st.spinner(f"Undoing batch {batch_id} and updating the attention list…"):
                result = batches.undo_batch(con, batch_id, undone_by=current_user())
        except batches.UndoError as exc:
            st.session_state["data_undo_message"] = ("error", str(exc))
        else:
            st.session_state["data_undo_message"] = ("success", f"Undid batch {batch_id}: removed "
                                                                f"{result['removed']:,} rows, restored "
                                                                f"{result['restored']:,}.")
        st.session_state["data_confirm_undo"] = None
        st.rerun()
    if no.button("Cancel", key="data_undo_cancel"):
        st.session_state["data_confirm_undo"] = None
        st.rerun()
