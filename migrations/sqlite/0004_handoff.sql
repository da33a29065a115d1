-- Handoffs become a ticket outbox: where each one went, how its delivery stands and the ticket it
-- made. Rooms remember their ticket; workspaces keep their helpdesk integrations.

-- The id the API and the helpdesks know a handoff by (its ticket's idempotency key).
ALTER TABLE handoffs ADD COLUMN public_id TEXT;
-- Handoffs decided before this migration get a random (version 4) UUID of the same form.
UPDATE handoffs SET public_id = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
    substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))
) WHERE public_id IS NULL;
CREATE UNIQUE INDEX handoffs_by_public_id ON handoffs (public_id);

-- Earlier handoffs predate the choice of action: they stayed with the built-in queue, no ticket.
ALTER TABLE handoffs ADD COLUMN action TEXT NOT NULL DEFAULT 'queue'
    CHECK (action IN ('helpdesk', 'queue', 'static'));
ALTER TABLE handoffs ADD COLUMN helpdesk TEXT;
ALTER TABLE handoffs ADD COLUMN state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('pending', 'delivered', 'dead', 'queued'));
ALTER TABLE handoffs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE handoffs ADD COLUMN next_attempt_at TEXT;
ALTER TABLE handoffs ADD COLUMN lease_until TEXT;
-- Some attempt may have created the ticket without the engine hearing back.
ALTER TABLE handoffs ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
-- The handoff message names the ticket: it is written when the job finishes.
ALTER TABLE handoffs ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
ALTER TABLE handoffs ADD COLUMN last_error TEXT;
-- The ticket to create, as JSON, built once so every retry sends the same one.
ALTER TABLE handoffs ADD COLUMN ticket TEXT;
ALTER TABLE handoffs ADD COLUMN ticket_id TEXT;
ALTER TABLE handoffs ADD COLUMN ticket_url TEXT;
ALTER TABLE handoffs ADD COLUMN delivered_at TEXT;

CREATE INDEX handoffs_due ON handoffs (next_attempt_at) WHERE state = 'pending';
CREATE INDEX handoffs_by_workspace ON handoffs (workspace_id, id);
CREATE INDEX handoffs_by_state ON handoffs (workspace_id, state, id);

ALTER TABLE rooms ADD COLUMN ticket_helpdesk TEXT;
ALTER TABLE rooms ADD COLUMN ticket_id TEXT;
ALTER TABLE rooms ADD COLUMN ticket_url TEXT;

CREATE TABLE helpdesks (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    name          TEXT NOT NULL,
    config        TEXT NOT NULL,
    secrets       TEXT NOT NULL,
    max_attempts  INTEGER NOT NULL,
    check_result  TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
