-- Closing the ticket loop: the units' side (sign-for with time, progress, co-unit replies, return
-- and extension requests ruled by the center, 转办 down the unit hierarchy with review, A/B
-- assignment), 并单, 催办, escalated supervision, attachments kept in the database, and the
-- follow-up's three answers (process, result, solved) tied to where they were taken.

-- 转办 goes down this line: a district or bureau passes a ticket to a unit beneath it.
alter table units add column parent_id text references units(id);
alter table units add constraint units_parent_not_self check (parent_id is null or parent_id <> id);

alter table tickets drop constraint tickets_status_check;
alter table tickets add constraint tickets_status_check
  check (status in ('accepted', 'dispatched', 'signed-for', 'replied', 'returned', 'closed', 'reopened', 'merged'));

alter table tickets
  -- 服务过程满意度 and 是否解决; evaluation_result stays the result's satisfaction (办理结果满意度)
  add column evaluation_process text check (evaluation_process in ('satisfied', 'basically-satisfied', 'unsatisfied')),
  add column evaluation_solved boolean,
  -- who recorded the answers (the dialer, or the agent on the follow-up call) and on what
  add column evaluation_recorded_by text,
  add column evaluation_attempt_id uuid,
  add column evaluation_call_id uuid,
  -- GB/T 33358 confidentiality: units see the caller's number only when contact is allowed
  add column contact_allowed boolean not null default false,
  -- a complaint (投诉) about a unit: ten in the window raise escalated supervision
  add column complaint_unit_id text references units(id),
  -- a return (退单) or extension (延期) request waiting for the center's ruling
  add column pending_request jsonb,
  -- 转办: the unit beneath the lead now handling it, and its reply waiting for review (审核)
  add column sub_unit_id text references units(id),
  add column sub_reply jsonb,
  -- the co-units (协办) that have replied to the lead in this round
  add column co_replies text[] not null default '{}',
  -- A/B roles within the lead unit
  add column assigned_user_id text,
  add column backup_user_id text,
  -- 并单: handled as part of that ticket; closed with it, followed up on its own
  add column merged_into uuid references tickets(id),
  add column reminded_before_at timestamptz,
  add column reminded_after_at timestamptz,
  add column escalated boolean not null default false;
create index tickets_sub_unit on tickets (sub_unit_id, status) where sub_unit_id is not null;
create index tickets_merged_into on tickets (merged_into) where merged_into is not null;
create index tickets_pending_request on tickets ((pending_request->>'kind')) where pending_request is not null;
create index tickets_complaint_unit on tickets (complaint_unit_id, created_at) where complaint_unit_id is not null;
create index tickets_matter on tickets (category_code, created_at);

-- Photos and documents a unit or the center attaches. Kept in PostgreSQL (bytea) so that a
-- backup of the database keeps them with the ticket they belong to.
create table ticket_attachments (
  id           uuid primary key default gen_random_uuid(),
  ticket_id    uuid not null references tickets(id) on delete cascade,
  name         text not null check (length(name) between 1 and 200),
  content_type text not null,
  size         integer not null check (size > 0),
  sha256       text not null,
  data         bytea not null,
  uploaded_by  text not null,
  unit_id      text,
  created_at   timestamptz not null default now()
);
create index ticket_attachments_ticket on ticket_attachments (ticket_id, created_at);

-- Escalated supervision (升级督办): one row per matter or unit crossing the threshold while it
-- is open; the tickets it covers carry escalated = true and an 'escalate' event.
create table ticket_escalations (
  id          bigserial primary key,
  kind        text not null check (kind in ('matter', 'unit-complaints')),
  key         text not null,
  unit_id     text,
  count       integer not null,
  window_days integer not null,
  ticket_ids  uuid[] not null,
  status      text not null default 'open' check (status in ('open', 'handled')),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create unique index ticket_escalations_one_open on ticket_escalations (key) where status = 'open';

-- The KPI reports read the event log by time and action.
create index ticket_events_at_action on ticket_events (at, action);
