-- Claims that outlive no process (issue 15): who holds a document in `processing` and
-- until when (unix ms, renewed while the holder lives), and which process sends a
-- sink's deliveries. Written on every engine; SQLite, one process per ledger, leaves
-- them empty.
ALTER TABLE documents ADD COLUMN claimed_by TEXT;
ALTER TABLE documents ADD COLUMN lease_until INTEGER;
CREATE TABLE IF NOT EXISTS sink_leases (
    sink        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until INTEGER NOT NULL
);
