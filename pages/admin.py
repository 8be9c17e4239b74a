"""Admin: who may see what (roles and teams) and the audit trail. Directors only."""

import streamlit as st

from attune import access
from attune.ui import sidebar
from attune.ui.access import require
from attune.ui.cache import cursor, load
from attune.ui.tables import PLAIN_NUMBER, show_table

sidebar.render()
viewer = st.session_state["viewer"]
st.title("Admin")
require(viewer.is_director, "user management and the audit log (directors only)")

st.subheader("People and roles")
st.caption(" · ".join(f"**{role}**: {text}" for role, text in access.ROLE_HELP.items()))
show_table(load(access.users), "users", None, key="admin_users", aggregate=False)

with st.form("admin_user_form", clear_on_submit=True):
    st.markdown("**Add or change a person**")
    left, right = st.columns(2)
    email = left.text_input("Email (as the sign-in provider gives it)", key="admin_email")
    name = right.text_input("Name", key="admin_name")
    role = left.selectbox("Role", access.ROLES, key="admin_role")
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
events = load(access.audit_events, None if action == "all" else action)
if events.is_empty():
    st.info("Nothing recorded yet for this kind of action.")
else:
    show_table(events, "audit-trail", None, key="admin_audit", aggregate=False,
               column_config={"event_id": PLAIN_NUMBER})
