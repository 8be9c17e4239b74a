-- What the stored attention list (attune/attention_facts.py) is computed from: every import batch (any kind,
-- imported and undone) and the row counts of the tables the rules read. A change here means it must be
-- computed again. Reviews are not part of it: the stored list leaves them out and they are joined when read.
-- Parameters: none. Returns: fingerprint VARCHAR.
-- One-row subqueries joined, not scalar subqueries in the select list: the same counts in a fifth of the time
-- (4 against 18 ms, read on every page that shows ruptures or the list).
SELECT concat_ws('/', b.batches, b.newest, b.undone, s.n, f.n, e.n, w.n, t.n) AS fingerprint
FROM (SELECT count(*) AS batches, coalesce(max(batch_id), 0) AS newest, count(undone_at) AS undone
      FROM import_batches) b,
     (SELECT count(*) AS n FROM sessions) s,
     (SELECT count(*) AS n FROM feedback) f,
     (SELECT count(*) AS n FROM episodes) e,
     (SELECT count(*) AS n FROM switch_requests) w,
     (SELECT count(*) AS n FROM therapists) t;
