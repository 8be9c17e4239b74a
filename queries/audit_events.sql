-- The audit trail, newest first, optionally one kind of action.
-- Parameters: $action (NULL = all), $limit. Returns: event_id, at, actor, role, action, detail.
SELECT event_id, "at", actor, role, action, detail FROM audit_log
WHERE $action IS NULL OR action = $action
ORDER BY event_id DESC
LIMIT $limit;
