-- Tickets (工单): handling units, categories with their time limits, the tickets themselves,
-- the calls they came from, their audit trail, and the follow-up (回访) outbox.
--
-- No foreign keys from tickets to users or calls, on purpose: the audit trail must outlive a
-- removed user account, and call records are a log that is truncated or archived on its own
-- schedule; a ticket keeps the ids as facts.

-- Handling units (联动单位): departments, districts, street offices that tickets are dispatched to.
create table units (
  id         text primary key check (id ~ '^[a-z0-9_-]{1,64}$'),
  name       text not null,
  kind       text not null check (kind in ('department', 'district', 'street', 'enterprise', 'other')),
  active     boolean not null default true,
  created_at timestamptz not null default now()
);

-- A unit's staff log in as role 'unit' and act only for their own unit.
alter table users drop constraint users_role_check;
alter table users
  add constraint users_role_check check (role in ('agent', 'supervisor', 'admin', 'unit')),
  add column unit_id text references units(id),
  add constraint users_unit_id_check check ((role = 'unit') = (unit_id is not null));

-- Categories set the handling time limit (办理时限); urgency can only shorten it.
create table ticket_categories (
  code        text primary key check (code ~ '^[a-z0-9_-]{1,40}$'),
  name        text not null,
  limit_hours integer not null check (limit_hours between 1 and 8760),
  active      boolean not null default true,
  sort_order  integer not null default 0
);
insert into ticket_categories (code, name, limit_hours, sort_order) values
  ('policy-inquiry', '政策咨询', 24, 1),
  ('city-management', '城市管理', 72, 2),
  ('transport', '交通出行', 72, 3),
  ('environment', '生态环境', 72, 4),
  ('market-regulation', '市场监管', 120, 5),
  ('housing', '住房保障', 120, 6),
  ('social-security', '社会保障', 120, 7),
  ('education', '教育培训', 120, 8),
  ('health', '医疗卫生', 72, 9);

-- One counter per day in the center's zone: ticket numbers run 000001, 000002… from midnight.
-- The upsert takes a row lock until the creating transaction ends, so numbers have no gaps
-- and no duplicates even with many agents accepting at once.
create table ticket_number_counters (
  day  date primary key,
  last integer not null
);

create table tickets (
  id                uuid primary key default gen_random_uuid(),
  number            text not null unique,  -- 12345-YYYYMMDD-NNNNNN; the unique index serves lookups by number
  status            text not null check (status in ('accepted', 'dispatched', 'signed-for', 'replied', 'returned', 'closed', 'reopened')),
  caller_number     text not null,
  caller_name       text,
  channel           text not null check (channel in ('phone', 'web', 'app', 'mini-program', 'wechat', 'mailbox', 'sms')),
  line_number       text,
  category_code     text not null references ticket_categories(code),
  content           text not null,
  address           text,
  urgency           text not null default 'normal' check (urgency in ('normal', 'urgent', 'very-urgent')),
  -- the limit in force (category, shortened by urgency); a reopened ticket gets it afresh
  limit_hours       integer not null check (limit_hours > 0),
  deadline          timestamptz not null,
  resolved_on_call  boolean not null default false,
  lead_unit_id      text references units(id),
  co_unit_ids       text[] not null default '{}',
  accepted_by       text not null,
  created_at        timestamptz not null default now(),
  dispatched_at     timestamptz,
  signed_for_at     timestamptz,
  replied_at        timestamptz,
  reply             text,
  closed_at         timestamptz,
  version           integer not null default 1,
  redispatch_count  integer not null default 0,
  reopen_count      integer not null default 0,
  key_supervision   boolean not null default false,
  -- the earlier ticket that makes this one a repeat request (复重), if any
  repeat_of         uuid references tickets(id),
  evaluation_result text check (evaluation_result in ('satisfied', 'basically-satisfied', 'unsatisfied')),
  evaluation_digits text,
  evaluated_at      timestamptz,
  evaluation_method text check (evaluation_method in ('phone-dtmf', 'sms', 'agent-call', 'web', 'app'))
);
create index tickets_caller_created on tickets (caller_number, created_at desc);  -- screen pop
create index tickets_status_deadline on tickets (status, deadline);                -- overdue watch
create index tickets_created on tickets (created_at);
create index tickets_lead_unit on tickets (lead_unit_id, status);                  -- a unit's inbox
create index tickets_co_units on tickets using gin (co_unit_ids);

-- The calls a ticket came from or was discussed on, with the recording to listen to.
create table ticket_calls (
  ticket_id      uuid not null references tickets(id) on delete cascade,
  call_id        uuid not null,
  recording_name text,
  linked_at      timestamptz not null default now(),
  primary key (ticket_id, call_id)
);
create index ticket_calls_call on ticket_calls (call_id);

-- Every change of a ticket, who made it and in which role; never updated.
create table ticket_events (
  id          bigserial primary key,
  ticket_id   uuid not null references tickets(id) on delete cascade,
  at          timestamptz not null,
  actor_id    text not null,
  actor_role  text not null,
  action      text not null,
  from_status text,
  to_status   text,
  detail      jsonb not null default '{}'::jsonb
);
create index ticket_events_ticket on ticket_events (ticket_id, id);

-- Outbox for the follow-up dialer (回访): written in the transaction that closes the ticket.
create table follow_up_tasks (
  id           bigserial primary key,
  ticket_id    uuid not null references tickets(id) on delete cascade,
  line_number  text,
  phone_number text not null,
  status       text not null default 'due' check (status in ('due', 'in-progress', 'done', 'unreachable', 'cancelled')),
  due_at       timestamptz not null,
  attempts     integer not null default 0,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);
-- At most one pending follow-up per ticket: closing again after a reopen adds a task only
-- once the earlier one is finished.
create unique index follow_up_tasks_one_pending on follow_up_tasks (ticket_id) where status in ('due', 'in-progress');
create index follow_up_tasks_due on follow_up_tasks (due_at) where status = 'due';
