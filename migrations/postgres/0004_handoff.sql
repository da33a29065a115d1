-- Handoffs become a ticket outbox: where each one went, how its delivery stands and the ticket it
-- made. Rooms remember their ticket; workspaces keep their helpdesk integrations.

-- The id the API and the helpdesks know a handoff by (its ticket's idempotency key).
ALTER TABLE handoffs ADD COLUMN public_id TEXT;
-- Handoffs decided before this migration get a random (version 4) UUID of the same form.
UPDATE handoffs SET public_id = gen_random_uuid()::text WHERE public_id IS NULL;
ALTER TABLE handoffs ALTER COLUMN public_id SET NOT NULL;
CREATE UNIQUE INDEX handoffs_by_public_id ON handoffs (public_id);

-- Earlier handoffs predate the choice of action: they stayed with the built-in queue, no ticket.
ALTER TABLE handoffs ADD COLUMN action TEXT NOT NULL DEFAULT 'queue'
    CHECK (action IN ('helpdesk', 'queue', 'static'));
ALTER TABLE handoffs ADD COLUMN helpdesk TEXT;
ALTER TABLE handoffs ADD COLUMN state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('pending', 'delivered', 'dead', 'queued'));
ALTER TABLE handoffs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE handoffs ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE handoffs ADD COLUMN lease_until TIMESTAMPTZ;
-- Some attempt may have created the ticket without the engine hearing back.
ALTER TABLE handoffs ADD COLUMN uncertain BOOLEAN NOT NULL DEFAULT FALSE;
-- The handoff message names the ticket: it is written when the job finishes.
ALTER TABLE handoffs ADD COLUMN notify BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE handoffs ADD COLUMN last_error TEXT;
-- The ticket to create, built once so every retry sends the same one.
ALTER TABLE handoffs ADD COLUMN ticket JSONB;
ALTER TABLE handoffs ADD COLUMN ticket_id TEXT;
ALTER TABLE handoffs ADD COLUMN ticket_url TEXT;
ALTER TABLE handoffs ADD COLUMN delivered_at TIMESTAMPTZ;

CREATE INDEX handoffs_due ON handoffs (next_attempt_at) WHERE state = 'pending';
CREATE INDEX handoffs_by_workspace ON handoffs (workspace_id, id);
CREATE INDEX handoffs_by_state ON handoffs (workspace_id, state, id);

ALTER TABLE rooms ADD COLUMN ticket_helpdesk TEXT;
ALTER TABLE rooms ADD COLUMN ticket_id TEXT;
ALTER TABLE rooms ADD COLUMN ticket_url TEXT;

CREATE TABLE helpdesks (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    name          TEXT NOT NULL,
    config        JSONB NOT NULL,
    secrets       JSONB NOT NULL,
    max_attempts  BIGINT NOT NULL,
    check_result  JSONB,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
