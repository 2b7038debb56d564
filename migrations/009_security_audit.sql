-- Security audit (安全审计, 等保三级): one append-only log of who did what, when, from where and
-- with which outcome. Nothing in the application updates or deletes a row; the database refuses
-- it too, so neither a bug nor a stolen application login can rewrite the trail. The only way
-- out is the retention purge, and only for rows older than 180 days (the MLPS minimum), never
-- younger whatever the configuration says.

-- The auditor (审计管理员) reads the audit log and nothing else: kept apart from the
-- administrator, who is audited.
alter table users drop constraint users_role_check;
alter table users add constraint users_role_check check (role in ('agent', 'supervisor', 'admin', 'unit', 'auditor'));

create table audit_log (
  id          bigserial primary key,
  at          timestamptz not null default now(),
  -- the user id, or the name a failed login tried (it may not exist); null for the system
  actor       text,
  actor_role  text,
  action      text not null check (action ~ '^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$'),
  target      text,
  outcome     text not null check (outcome in ('success', 'failure', 'denied')),
  ip          text,
  details     jsonb not null default '{}'::jsonb
);
create index audit_log_at on audit_log (at);
create index audit_log_actor_at on audit_log (actor, at);
create index audit_log_action_at on audit_log (action, at);

create function audit_log_refuse_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE'
     and coalesce(current_setting('hotline.audit_purge', true), '') = 'on'
     and old.at < now() - interval '180 days' then
    return old;
  end if;
  raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_log_refuse_change();

create function audit_log_refuse_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only (TRUNCATE refused)' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_refuse_truncate();

-- A ticket's own trail (ticket_events) and the supervisors' intervention log stay when the thing
-- they describe goes: the ticket id remains as a fact, like the call ids in ticket_calls.
alter table ticket_events drop constraint ticket_events_ticket_id_fkey;
