-- The outbound dialer: follow-up visits (回访) fed by the follow_up_tasks outbox, and callbacks
-- for callers who could not wait. PostgreSQL is the system of record: a task is claimed with
-- `for update skip locked`, and every dial attempt is a row written before the call is placed,
-- so a crash leaves each task done, in progress (and recovered), or due again.

-- Outbound trunks and their limits. dial_template turns a number into an ARI endpoint:
-- {number} and {trunk} are replaced ('PJSIP/{number}@{trunk}' dials through the trunk's AOR).
create table dialer_trunks (
  id               text primary key check (id ~ '^[A-Za-z0-9_-]{1,40}$'),
  max_concurrent   integer not null default 10 check (max_concurrent between 1 and 1000),
  calls_per_second numeric(6, 2) not null default 2 check (calls_per_second > 0 and calls_per_second <= 200),
  dial_template    text not null default 'PJSIP/{number}@{trunk}' check (dial_template like '%{number}%'),
  updated_at       timestamptz not null default now()
);
insert into dialer_trunks (id) values ('trunk');

-- One campaign per line that wants its own rules; 'default' covers every other line.
-- windows: [{"from":"08:30","to":"12:00"}, …] in the center's zone; retry_minutes[n] is the
-- wait after the n-th unsuccessful attempt (the last value repeats).
create table follow_up_campaigns (
  id             text primary key check (id ~ '^[a-z0-9_-]{1,40}$'),
  name           text not null,
  line_number    text unique references lines(number) on delete cascade,
  mode           text not null default 'survey' check (mode in ('survey', 'agent')),
  state          text not null default 'running' check (state in ('running', 'paused')),
  trunk_id       text not null default 'trunk' references dialer_trunks(id),
  windows        jsonb not null default '[{"from":"08:30","to":"12:00"},{"from":"14:00","to":"20:30"}]',
  max_attempts   integer not null default 3 check (max_attempts between 1 and 10),
  retry_minutes  integer[] not null default '{30,120}',
  ring_seconds   integer not null default 30 check (ring_seconds between 5 and 120),
  agent_queue_id text references queues(id),
  updated_at     timestamptz not null default now(),
  check ((id = 'default') = (line_number is null)),
  check (mode = 'survey' or agent_queue_id is not null)
);
insert into follow_up_campaigns (id, name) values ('default', '回访（默认）');

alter table follow_up_tasks
  -- 约定回访时间: the caller asked to be called at this time
  add column agreed_at     timestamptz,
  -- attempts counts every attempt (it numbers them); tries only those that reached the network
  add column tries         integer not null default 0,
  add column last_outcome  text,
  add column final_reason  text,
  add column finished_at   timestamptz;
create index follow_up_tasks_created on follow_up_tasks (created_at);

-- Callbacks (回拨) for callers who could not wait. 'queued': holding a place in the queue (an
-- entry in Redis with kind 'callback'); the ACD reserves an agent when its turn comes.
create table callback_tasks (
  id               bigserial primary key,
  caller_number    text not null,
  line_number      text,
  queue_id         text not null,
  original_call_id uuid not null,
  reason           text not null check (reason in ('requested', 'abandoned')),
  status           text not null default 'due' check (status in ('due', 'queued', 'in-progress', 'done', 'unreachable', 'cancelled')),
  -- the caller's place in line (their original queue entry), kept for a requested callback
  place_at         timestamptz,
  due_at           timestamptz not null,
  attempts         integer not null default 0,
  tries            integer not null default 0,
  -- the queue entry (and future call id) of the current attempt
  entry_call_id    uuid unique,
  connected_call_id uuid,
  last_outcome     text,
  final_reason     text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  finished_at      timestamptz
);
-- One pending callback per number.
create unique index callback_tasks_one_pending on callback_tasks (caller_number) where status in ('due', 'queued', 'in-progress');
create index callback_tasks_due on callback_tasks (due_at) where status = 'due';
create index callback_tasks_created on callback_tasks (created_at);

-- Every dial attempt, written before the originate. The channel id is derived from the
-- attempt, so a re-issued originate of the same attempt is refused by Asterisk while the first
-- one lives, and recovery never re-dials an attempt: it starts a new one.
create table dial_attempts (
  id             uuid primary key,
  kind           text not null check (kind in ('follow-up', 'callback')),
  task_id        bigint not null,
  attempt_no     integer not null,
  channel_id     text not null unique,
  trunk_id       text not null,
  phone_number   text not null,
  line_number    text,
  state          text not null default 'dialling' check (state in ('dialling', 'answered', 'finished')),
  outcome        text,
  cause          integer,
  result         text check (result in ('satisfied', 'basically-satisfied', 'unsatisfied')),
  digits         text,
  recording_name text,
  agent_id       text,
  seat           text,
  due_at         timestamptz,
  created_at     timestamptz not null,
  dialled_at     timestamptz,
  answered_at    timestamptz,
  ended_at       timestamptz,
  unique (kind, task_id, attempt_no)
);
create index dial_attempts_created on dial_attempts (created_at);
create index dial_attempts_open on dial_attempts (trunk_id) where state <> 'finished';

-- Calls placed by the server (a callback connected to an agent) and what they call back.
alter table calls add column callback_of uuid;
alter table calls drop constraint calls_outcome_check;
alter table calls add constraint calls_outcome_check check (outcome in ('answered', 'abandoned', 'overflowed', 'failed', 'pbx-lost', 'callback'));

alter table queue_log drop constraint queue_log_event_check;
alter table queue_log add constraint queue_log_event_check check (event in (
  'entered', 'offered', 'answered', 'abandoned', 'ring-no-answer', 'offer-rejected', 'overflowed', 'completed', 'pbx-lost',
  'callback-offered', 'callback-requested', 'callback-scheduled', 'callback-dialled', 'callback-failed', 'callback-connected',
  'callback-unreachable', 'callback-cancelled'));
