-- The first schema: accounts, workspaces, issues, comments, sign-in and access tokens,
-- attachments, and the event log that live updates replay from.

CREATE TABLE users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
  name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE workspaces (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug               text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,47}$'),
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  issue_key          text NOT NULL CHECK (issue_key ~ '^[A-Z][A-Z0-9]{1,9}$'),
  -- The next issue number; taken under the row lock so numbers never repeat.
  next_issue_number  integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_slug_key ON workspaces (slug);

CREATE TABLE workspace_members (
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role          text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE workspace_invitations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  email         text NOT NULL CHECK (email = lower(email)),
  role          text NOT NULL CHECK (role IN ('admin', 'member')),
  invited_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  accepted_at   timestamptz
);
CREATE UNIQUE INDEX workspace_invitations_open_key ON workspace_invitations (workspace_id, email) WHERE accepted_at IS NULL;
CREATE INDEX workspace_invitations_email_idx ON workspace_invitations (email) WHERE accepted_at IS NULL;

CREATE TABLE issues (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  number        integer NOT NULL CHECK (number > 0),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  description   text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'closed')),
  priority      text NOT NULL DEFAULT 'none' CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
  assignee_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  author_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  closed_at     timestamptz
);
-- Keyset pagination walks a workspace's issues by number, newest first, optionally per
-- status or assignee.
CREATE UNIQUE INDEX issues_workspace_number_key ON issues (workspace_id, number);
CREATE INDEX issues_workspace_status_number_idx ON issues (workspace_id, status, number DESC);
CREATE INDEX issues_workspace_assignee_number_idx ON issues (workspace_id, assignee_id, number DESC);

CREATE TABLE comments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  issue_id      uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  author_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 100000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_issue_created_idx ON comments (issue_id, created_at, id);

CREATE TABLE sessions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  user_agent    text,
  ip            text
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE personal_access_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE UNIQUE INDEX personal_access_tokens_hash_key ON personal_access_tokens (token_hash);
CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens (user_id);

CREATE TABLE magic_links (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL CHECK (email = lower(email)),
  token_hash    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz,
  requested_ip  text
);
CREATE UNIQUE INDEX magic_links_token_hash_key ON magic_links (token_hash);
CREATE INDEX magic_links_email_created_idx ON magic_links (email, created_at);

CREATE TABLE attachments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  issue_id      uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  uploader_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  object_key    text NOT NULL,
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type  text NOT NULL,
  size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attachments_object_key_key ON attachments (object_key);
CREATE INDEX attachments_issue_idx ON attachments (issue_id, created_at);

-- Live updates: every change is appended here; the id is the SSE event id, so a client that
-- reconnects with Last-Event-ID is replayed what it missed, whichever replica it reaches.
CREATE TABLE workspace_events (
  id            bigserial PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  type          text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspace_events_workspace_id_idx ON workspace_events (workspace_id, id);
