-- Messages and room history are written in bulk (the auto-close sweep writes a closing message and
-- a history entry for each of a hundred thousand rooms), and a foreign-key check per row was a
-- fifth of that work. Both are only ever written in a transaction that holds their room's row (it
-- updated or locked the room first), rooms are never deleted, and every read goes through the room,
-- so the reference is kept by the engine instead. References to accounts and to messages stay.
ALTER TABLE messages DROP CONSTRAINT messages_room_id_fkey;
ALTER TABLE room_events DROP CONSTRAINT room_events_room_id_fkey;
