-- What search filters on, per document (issue 18): taken from its id, file name and
-- typed result by `store::search::keys` whenever those are written, in a narrow table
-- of its own so that a search reads a few hundred bytes a document, not its whole
-- typed JSON. `text` is the lower-cased id, name, every field's value and text as read
-- and line item descriptions, one a line; `vendor` the lower-cased vendor or merchant
-- names; `total` the total as a number (a coarse filter the caller checks exactly);
-- `date_min`/`date_max` the earliest and latest YYYY-MM-DD value among its fields (the
-- document's date lies between). Rows are filled for older documents on open.
CREATE TABLE document_search (
    seq      INTEGER PRIMARY KEY,
    text     TEXT NOT NULL,
    vendor   TEXT NOT NULL,
    total    REAL,
    date_min TEXT,
    date_max TEXT
);
