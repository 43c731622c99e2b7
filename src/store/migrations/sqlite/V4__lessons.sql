-- What each approval taught the vendor book (issue 18): the supplier it taught, whether
-- the approval made that record, the record's parts it filled in and the counts it
-- added (`Learned`, JSON), keyed by the posting's transition. Undoing the approval
-- takes back exactly these, whatever other approvals taught since.
CREATE TABLE lessons (
    document_id TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    vendor_id   BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    filled      TEXT NOT NULL,
    taught      TEXT NOT NULL,
    PRIMARY KEY (document_id, revision)
);
