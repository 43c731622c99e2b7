-- The document's type in its search row (issue 18): the queue's counts by type and its
-- type filter read this narrow row instead of the virtual `documents.doc_type`, whose
-- every read parses the typed JSON (the counts took ~110 ms at 10,000 documents in
-- review). Written with the other keys by `store::search::write_keys`; filled here
-- for the rows already there.
ALTER TABLE document_search ADD COLUMN doc_type TEXT;
UPDATE document_search SET doc_type = (
    SELECT json_extract(d.result, '$.doc_type.value') FROM documents d WHERE d.seq = document_search.seq
);
-- The counts scan this index (never the search text) and the type filter looks a type up.
CREATE INDEX document_search_type ON document_search(doc_type, seq);
