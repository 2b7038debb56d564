-- Sessions (issue 12 finding 4): short-lived access tokens are renewed with refresh tokens.
-- A refresh token is stored only as its SHA-256 hash. Every use rotates it: the row is marked
-- used and a new row of the same family (one login) is written. A used token presented again
-- means one of the two copies was stolen, so the whole family is revoked. A family ends at
-- expires_at whatever its rotations (the longest a session lasts without a new login).
create table refresh_tokens (
  token_hash text primary key,
  family_id uuid not null,
  user_id text not null references users(id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text
);
create index refresh_tokens_family on refresh_tokens (family_id);
create index refresh_tokens_user_live on refresh_tokens (user_id) where revoked_at is null;

-- The generated first administrator's password must be changed before anything else is allowed.
alter table users add column must_change_password boolean not null default false;
