-- Closing a room costs less: the auto-close sweep closes rooms by the hundred thousand.

-- Engine notices (the auto-close message) are not the conversation: content search leaves them
-- out, so the trigram index need not hold them. (Searching "문의" should not find every room that
-- was closed with "다시 문의해 주세요".)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'messages_text_trgm' AND relkind = 'i') THEN
        DROP INDEX messages_text_trgm;
        CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops) WHERE author <> 'system';
    END IF;
END
$$;

-- A message's or event's workspace is its room's, which the room reference already checks.
ALTER TABLE messages DROP CONSTRAINT messages_workspace_id_fkey;
ALTER TABLE room_events DROP CONSTRAINT room_events_workspace_id_fkey;

-- Lists by assignee and by creation time are of open rooms (closed rooms are found by when they
-- closed), so a room leaves these indexes when it closes instead of being written into them again.
DROP INDEX rooms_by_assignee;
CREATE INDEX rooms_by_assignee ON rooms (assignee_id, status) WHERE status <> 'closed';
DROP INDEX rooms_by_created;
CREATE INDEX rooms_by_created ON rooms (workspace_id, status, created_at, id) WHERE status <> 'closed';
