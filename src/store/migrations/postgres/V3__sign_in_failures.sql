-- Failed sign-ins per name (issue 15 point 4, issue 17), counted in the ledger rather
-- than in one process's memory: every `mailroom serve` behind a load balancer shares
-- one limit. `name` is lower-cased; `window_start` is unix ms, the first failure of
-- the current window.
CREATE TABLE sign_in_failures (
    name         TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
