-- Helpers for validating staged text, used by the importer's generated checks.
-- clean(x): trimmed text, NULL for blanks and spreadsheet missing-value markers.
-- Written as cheap tests first (the markers are short and start with n, #, or -) and no IN list: DuckDB turns
-- an IN list into a join per column, which made this the slowest step of an import.
CREATE OR REPLACE TEMP MACRO unmarked(t) AS (
    CASE WHEN t = '' OR (length(t) <= 6 AND contains('nN#-', left(t, 1))
                         AND regexp_full_match(lower(t), 'na|n/a|#n/a|#null!|null|none|nan|-')) THEN NULL
         ELSE t END
);
CREATE OR REPLACE TEMP MACRO clean(x) AS (unmarked(trim(x)));
-- word(x): a status word in one spelling: lower case, single spaces.
CREATE OR REPLACE TEMP MACRO word(x) AS (lower(regexp_replace(trim(x), '\s+', ' ', 'g')));
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
