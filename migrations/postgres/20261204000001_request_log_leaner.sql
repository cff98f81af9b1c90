-- Each request-log row is written to the table and each of its indexes, and
-- under load that writing competes with the requests themselves. Two
-- indexes carried most rows for nothing:
-- - the error-code filter only ever looks for refused requests, so its
--   index holds only those (most rows are successes, with no code);
-- - the age index served only the hourly prune, which now deletes each
--   organisation's old rows through request_log_by_time.
DROP INDEX request_log_by_code;
CREATE INDEX request_log_by_code ON request_log (organisation_id, error_code, occurred_at, id)
    WHERE error_code IS NOT NULL;
DROP INDEX request_log_by_age;
