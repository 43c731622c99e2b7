-- The document's type in its search row (issue 18): the queue's counts by type and its
-- type filter read this narrow row, as on SQLite (where the virtual `documents.doc_type`
-- parses the typed JSON at every read). Written with the other keys by
-- `store::search::index_document`; filled here for the rows already there.
ALTER TABLE document_search ADD COLUMN doc_type TEXT;
UPDATE document_search s SET doc_type = d.doc_type FROM documents d WHERE d.seq = s.seq;
-- The counts scan this index (never the search text) and the type filter looks a type up.
CREATE INDEX document_search_type ON document_search(doc_type, seq);
