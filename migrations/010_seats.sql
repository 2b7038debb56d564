-- Seats (座席): the PBX seats agents sign in to, and who may use each. Administrators keep the
-- assignment; an agent signs in only to a seat assigned to them, or to the seat of the
-- workstation (an address) they sign in from. Which ids are seats at all, and of which kind
-- (desk phone or WebRTC), is the PBX configuration's (HOTLINE_SEATS, HOTLINE_WEB_SEATS): the trunk
-- or any other endpoint can never be entered here.
create table seats (
  id           text primary key check (id ~ '^[0-9A-Za-z_-]{1,40}$'),
  -- the agent (or supervisor, for a phone used to listen) this seat belongs to
  agent_id     text references users(id) on delete set null,
  -- or: the workstation's address; whoever signs in from it may use the seat (hot desking)
  workstation  inet,
  updated_by   text not null,
  updated_at   timestamptz not null default now(),
  constraint seats_one_assignment check (agent_id is null or workstation is null)
);
create index seats_agent on seats (agent_id) where agent_id is not null;
