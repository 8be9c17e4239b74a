-- Append one event to the audit trail.
-- Parameters: $actor, $role, $action, $detail. Returns nothing.
INSERT INTO audit_log ("at", actor, role, action, detail)
VALUES (current_localtimestamp(), $actor, $role, $action, $detail);
