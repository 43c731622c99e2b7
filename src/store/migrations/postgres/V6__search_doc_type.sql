-- The document's type in its search row (issue 18), as on SQLite, where the queue's
-- counts read it here instead of the virtual `documents.doc_type` (which parses the
-- typed JSON at every read). Here `documents.doc_type` is stored and indexed, and the
-- counts read it; the column keeps both engines' tables alike, and the type filter
-- looks types up in it. Written with the other keys by `store::search::write_keys`;
-- filled here for the rows already there.
ALTER TABLE document_search ADD COLUMN doc_type TEXT;
UPDATE document_search s SET doc_type = d.doc_type FROM documents d WHERE d.seq = s.seq;
-- The type filter looks a type up in this index.
CREATE INDEX document_search_type ON document_search(doc_type, seq);
