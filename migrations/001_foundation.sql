-- Foundation: users and roles, queues, lines, agent profiles, call records, queue log,
-- agent state log. Times are timestamptz; the center's own zone is applied when reporting.

create table users (
  id            text primary key check (id ~ '^[A-Za-z0-9_.-]{1,64}$'),  -- login / work number (工号)
  display_name  text not null,
  role          text not null check (role in ('agent', 'supervisor', 'admin')),
  password_hash text not null,
  disabled      boolean not null default false,
  created_at    timestamptz not null default now()
);

create table queues (
  id                     text primary key check (id ~ '^[a-z0-9_-]{1,64}$'),
  name                   text not null,
  strategy               text not null default 'longest-idle' check (strategy in ('longest-idle', 'fewest-calls', 'skill-level')),
  required_skills        text[] not null default '{}',
  wrap_up_seconds        integer not null default 10 check (wrap_up_seconds between 0 and 3600),
  ring_timeout_seconds   integer not null default 15 check (ring_timeout_seconds between 3 and 120),
  max_wait_seconds       integer check (max_wait_seconds > 0),
  overflow_queue_id      text references queues(id),
  announce_every_seconds integer check (announce_every_seconds >= 10),
  created_at             timestamptz not null default now()
);

-- Every dialled number is a line (热线号码): 12345 itself and the departmental numbers merged into it.
create table lines (
  number     text primary key check (number ~ '^[0-9+*#]{2,32}$'),
  name       text not null,
  kind       text not null default 'main' check (kind in ('main', 'merged', 'dual-number', 'sub-center')),
  queue_id   text not null references queues(id),
  greeting   text,
  created_at timestamptz not null default now()
);

-- What an agent can take: skills with levels and the queues served.
create table agent_profiles (
  agent_id text primary key references users(id) on delete cascade,
  skills   jsonb not null default '{}'::jsonb,
  queues   text[] not null default '{general}'
);

create table calls (
  id                uuid primary key,
  direction         text not null default 'inbound' check (direction in ('inbound', 'outbound')),
  caller_number     text not null,
  dialled_number    text not null,
  line_number       text,
  queue_id          text,
  agent_id          text,
  seat              text,
  caller_channel_id text not null,
  agent_channel_id  text,
  arrived_at        timestamptz not null,
  queued_at         timestamptz,
  offered_at        timestamptz,
  answered_at       timestamptz,
  ended_at          timestamptz,
  -- null while the call is live
  outcome           text check (outcome in ('answered', 'abandoned', 'overflowed', 'failed', 'pbx-lost')),
  ended_by          text check (ended_by in ('caller', 'agent', 'system')),
  offer_attempts    integer not null default 0,
  recording_name    text,
  created_at        timestamptz not null default now()
);
create index calls_caller_number_arrived on calls (caller_number, arrived_at desc);
create index calls_arrived on calls (arrived_at);
create index calls_live on calls (id) where ended_at is null;

-- One row per queue event; answer rate, 15-second answer rate and abandon rate come from here.
create table queue_log (
  id          bigserial primary key,
  at          timestamptz not null default now(),
  call_id     uuid not null,
  queue_id    text,
  line_number text,
  agent_id    text,
  event       text not null check (event in ('entered', 'offered', 'answered', 'abandoned', 'ring-no-answer', 'offer-rejected', 'overflowed', 'completed', 'pbx-lost')),
  wait_ms     integer,
  detail      jsonb
);
create index queue_log_queue_at on queue_log (queue_id, at);
create index queue_log_line_at on queue_log (line_number, at);
create index queue_log_call on queue_log (call_id);

-- Every agent state change with its reason: occupancy and not-ready statistics come from here.
create table agent_state_log (
  id             bigserial primary key,
  at             timestamptz not null,
  agent_id       text not null,
  state          text not null,
  reason         text,
  previous_state text,
  seat           text,
  call_id        uuid,
  actor          text
);
create index agent_state_log_agent_at on agent_state_log (agent_id, at);

-- The 12345 pool and its number exist in every center.
insert into queues (id, name) values ('general', '12345 综合队列');
insert into lines (number, name, kind, queue_id) values ('12345', '12345 政务服务便民热线', 'main', 'general');
