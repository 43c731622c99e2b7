-- The ledger as it stood when migrations became versioned (refinery). Every statement
-- is IF NOT EXISTS: a ledger made before then was brought up to this by
-- `store::legacy_columns` first, and this migration only records it as applied.
CREATE TABLE IF NOT EXISTS documents (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT,
    duplicate_of TEXT REFERENCES documents(id),
    -- 1 once the inbox file was moved or deleted after ingest.
    intake_done  INTEGER NOT NULL DEFAULT 0,
    received_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    result       TEXT,
    posted_at    TEXT,
    -- The email this document was an attachment of.
    parent_id    TEXT,
    source_meta  TEXT,
    -- How many times a worker picked the document up (see `Store::recover`).
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- The type, for the review queue's counts and filter without reading every
    -- document's JSON.
    doc_type     TEXT GENERATED ALWAYS AS (json_extract(result, '$.doc_type.value')) VIRTUAL
);
CREATE INDEX IF NOT EXISTS documents_sha256 ON documents(sha256);
CREATE INDEX IF NOT EXISTS documents_state ON documents(state, seq);
CREATE INDEX IF NOT EXISTS documents_state_type ON documents(state, doc_type, seq);
CREATE INDEX IF NOT EXISTS documents_parent ON documents(parent_id, seq);
CREATE TABLE IF NOT EXISTS transitions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents(id),
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT
);
CREATE INDEX IF NOT EXISTS transitions_document ON transitions(document_id, id);
CREATE INDEX IF NOT EXISTS transitions_to_state ON transitions(to_state, id);

CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id     TEXT NOT NULL REFERENCES documents(id),
    sink            TEXT NOT NULL,
    event           TEXT NOT NULL,
    -- The transition that raised the event: with the document id, the idempotency key.
    revision        INTEGER NOT NULL,
    payload         TEXT NOT NULL,
    -- pending | delivered | dead
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds; the dispatcher takes rows whose time has come.
    next_attempt_at INTEGER NOT NULL,
    -- Start of the retry window (max_age counts from here); reset by an admin retry.
    window_start    INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT,
    last_status     INTEGER,
    last_response   TEXT,
    UNIQUE (document_id, sink, event, revision)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(sink, state, next_attempt_at, id);
CREATE INDEX IF NOT EXISTS outbox_document ON outbox(document_id, id);

-- Every value a person changed, with what the pipeline had read there, so extraction
-- can learn from corrections later.
CREATE TABLE IF NOT EXISTS corrections (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id    TEXT NOT NULL REFERENCES documents(id),
    field          TEXT NOT NULL,
    old_value      TEXT,
    new_value      TEXT,
    old_raw        TEXT,
    old_confidence REAL,
    old_page       INTEGER,
    old_bbox       TEXT,
    old_origin     TEXT,
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_document ON corrections(document_id, id);
-- How each page was normalised before OCR, so its image can be rebuilt to match the
-- boxes (`text::render_page`).
CREATE TABLE IF NOT EXISTS pages (
    document_id TEXT NOT NULL REFERENCES documents(id),
    number      INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    transform   TEXT NOT NULL,
    words       TEXT,
    origin      TEXT,
    marks       TEXT,
    codes       TEXT,
    PRIMARY KEY (document_id, number)
);

CREATE TABLE IF NOT EXISTS api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    -- read | write
    scope        TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    -- reviewer | admin
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
-- The cookie holds a random secret; the table its SHA-256.
CREATE TABLE IF NOT EXISTS sessions (
    hash        TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
-- A reviewer who opened a document holds it until expires_at (unix ms).
CREATE TABLE IF NOT EXISTS leases (
    document_id TEXT PRIMARY KEY REFERENCES documents(id),
    user_name   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS mail_seen (
    mailbox      TEXT NOT NULL,
    folder       TEXT NOT NULL,
    uid_validity INTEGER NOT NULL,
    uid          INTEGER NOT NULL,
    document_id  TEXT NOT NULL REFERENCES documents(id),
    acted_at     TEXT,
    PRIMARY KEY (mailbox, folder, uid_validity, uid)
);

CREATE TABLE IF NOT EXISTS vendors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    vat_id     TEXT UNIQUE,
    record     TEXT NOT NULL,
    learned    TEXT NOT NULL DEFAULT '{"documents":0}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
