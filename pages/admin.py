"""Admin: who may see what (roles and teams) and the audit trail. Directors only."""

import streamlit as st

from attune import access
from attune.ui import sidebar
from attune.ui.access import require
from attune.ui.cache import cursor
from attune.ui.tables import show_table

sidebar.render(with_filters=False)
viewer = st.session_state["viewer"]
st.title("Admin")
require(viewer.is_director, "user management and the audit log (directors only)")

st.subheader("People and roles")
st.caption(" · ".join(f"**{role}**: {text}" for role, text in access.ROLE_HELP.items()))
# Read live, not through the data cache: saving a person or recording an event does not change the data version
# (a sign-in must not empty everyone's caches), so a cached list would miss the newest entries.
with cursor() as cur:
    people = access.users(cur)
if people.is_empty():
    st.info("Nobody is listed yet. Add each person below with their role before sign-in is turned on: a signed-in "
            "person without a role (here or in their sign-in token) sees nothing.")
else:
    show_table(people, "users", None, key="admin_users", aggregate=False, column_config={
        "email": "Email", "name": "Name", "role": "Role", "teams": "Teams", "therapist_id": "Therapist id",
        "added_at": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD HH:mm"), "added_by": "Added by"})

with st.form("admin_user_form", clear_on_submit=True):
    st.markdown("**Add or change a person**")
    left, right = st.columns(2)
    email = left.text_input("Email (as the sign-in provider gives it)", key="admin_email")
    name = right.text_input("Name", key="admin_name")
    # No role preselected: the first would be director, who sees everything.
    role = left.selectbox("Role", access.ROLES, index=None, placeholder="Choose a role", key="admin_role",
                          format_func=lambda r: f"{r}: {access.ROLE_HELP[r]}")
    teams = right.text_input("Teams (supervisors; comma-separated, as in the roster's supervisor column)",
                             key="admin_teams")
    therapist_id = left.text_input("Therapist id (therapists)", key="admin_therapist_id")
    if st.form_submit_button("Save"):
        try:
            with cursor() as cur:
                access.save_user(cur, email, role, name=name or None,
                                 teams=tuple(t.strip() for t in teams.split(",") if t.strip()),
                                 therapist_id=therapist_id or None, added_by=viewer.identity)
                access.record(cur, viewer, "users", f"set {email} as {role}")
            st.success(f"Saved {email} as {role}.")
            st.rerun()
        except access.AccessError as exc:
            st.error(str(exc))

st.subheader("Audit trail")
action = st.selectbox("Show", ["all", "sign_in", "import", "undo", "export", "review", "settings", "users"],
                      key="admin_audit_action")
with cursor() as cur:
    events = access.audit_events(cur, None if action == "all" else action)
if events.is_empty():
    st.info("Nothing recorded yet for this kind of action.")
else:
    show_table(events, "audit-trail", None, key="admin_audit", aggregate=False,
               column_config={"event_id": st.column_config.NumberColumn("Event", format="%d"),
                              "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
                              "actor": "Who", "role": "Role", "action": "Action", "detail": "Detail"})
