-- Forget a stored setting, so its default applies again.
-- Parameters: $key. Returns nothing.
DELETE FROM settings WHERE key = $key;
