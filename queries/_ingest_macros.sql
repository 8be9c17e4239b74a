-- Helpers for validating staged text, used by the importer's generated checks.
-- clean(x): trimmed text, NULL for blanks and spreadsheet missing-value markers.
-- Written as cheap tests first (the markers are short and start with n, #, or -) and no IN list: DuckDB turns
-- an IN list into a join per column, which made this the slowest step of an import.
CREATE OR REPLACE TEMP MACRO unmarked(t) AS (
    CASE WHEN t = '' OR (length(t) <= 6 AND contains('nN#-', left(t, 1))
                         AND regexp_full_match(lower(t), 'na|n/a|#n/a|#null!|null|none|nan|-')) THEN NULL
         ELSE t END
);
-- trimmed(x): trim(x), which strips Unicode space separators, called only when there can be one to strip
-- (a space at either end, or any non-ASCII character): trim copies every value, which made it a third of
-- the time spent typing a file.
CREATE OR REPLACE TEMP MACRO trimmed(x) AS (
    CASE WHEN starts_with(x, ' ') OR ends_with(x, ' ') OR strlen(x) <> length(x) THEN trim(x) ELSE x END
);
CREATE OR REPLACE TEMP MACRO clean(x) AS (unmarked(trimmed(x)));
-- word(x): a status word in one spelling: lower case, single spaces. The regular expression (costly, once
-- per row) runs only for a value with something to collapse: two spaces, a tab or line break, or a space or
-- non-ASCII character that trimming might strip.
CREATE OR REPLACE TEMP MACRO word(x) AS (
    CASE WHEN contains(x, '  ') OR contains(x, chr(9)) OR contains(x, chr(10)) OR contains(x, chr(12))
              OR contains(x, chr(13)) OR trimmed(x) <> x
         THEN lower(regexp_replace(trim(x), '\s+', ' ', 'g')) ELSE lower(x) END
);
-- as_bool(x): yes/no words as a boolean, NULL when not recognisable.
CREATE OR REPLACE TEMP MACRO as_bool(x) AS (
    CASE WHEN word(x) IN ('true', 'yes', 'y', '1', 'active', 't') THEN true
         WHEN word(x) IN ('false', 'no', 'n', '0', 'inactive', 'f') THEN false END
);
-- as_number(x): a number, accepting a decimal comma.
CREATE OR REPLACE TEMP MACRO as_number(x) AS (TRY_CAST(replace(x, ',', '.') AS DOUBLE));
-- iso_timestamp(x): a year-first date (2025-04-03, 2025/04/03, optionally with a time) as a timestamp.
-- The plain cast alone would also read "03/04/25" as the year 3.
CREATE OR REPLACE TEMP MACRO iso_timestamp(x) AS (
    CASE WHEN regexp_matches(x, '^\d{4}[-/]') THEN TRY_CAST(x AS TIMESTAMP) END
);
