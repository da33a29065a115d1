-- Engine notices (the auto-close message) are not the conversation: content search leaves them
-- out, so the trigram table need not hold them. (Searching "문의" should not find every room that
-- was closed with "다시 문의해 주세요".) A message's author never changes.
DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_update;
INSERT INTO messages_search (messages_search, rowid, text)
    SELECT 'delete', rowid, text FROM messages WHERE author = 'system';
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages WHEN new.author <> 'system' BEGIN
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages WHEN old.author <> 'system' BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages WHEN new.author <> 'system' BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;
