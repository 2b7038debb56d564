-- Least privilege (等保三级, issue 12 finding 11): the server runs as the role hotline_app, which may
-- read and write the application's rows and nothing else: no DDL (no CREATE on the schema, owns
-- nothing, so it cannot alter, drop, or disable a trigger), no TRUNCATE, and the security audit log
-- is append-only for it: INSERT and SELECT, never UPDATE or DELETE. The retention purge goes through
-- audit_log_purge(), which runs as the owner and deletes nothing younger than 180 days.
--
-- Migrations run as the schema's owner (HOTLINE_MIGRATE_DATABASE_URL). The local set-up
-- (scripts/services.sh) creates hotline_app as a login role with a generated password; elsewhere
-- the operator creates it (CREATE ROLE hotline_app LOGIN PASSWORD …, or NOLOGIN and GRANT
-- hotline_app TO the server's login). A migrating role allowed to create roles makes it NOLOGIN here.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'hotline_app') then
    create role hotline_app nologin;
  end if;
exception when insufficient_privilege then
  raise exception 'role hotline_app does not exist and % may not create it: create it first (CREATE ROLE hotline_app LOGIN PASSWORD ...), see the README', current_user;
end $$;

revoke create on schema public from public;
grant usage on schema public to hotline_app;
grant select, insert, update, delete on all tables in schema public to hotline_app;
grant usage, select on all sequences in schema public to hotline_app;
-- Tables and sequences later migrations create (as this same owner) get the same rights.
alter default privileges in schema public grant select, insert, update, delete on tables to hotline_app;
alter default privileges in schema public grant usage, select on sequences to hotline_app;

-- Append-only for the application: the trail it writes it cannot rewrite.
revoke insert, update, delete, truncate on audit_log from hotline_app;
-- It inserts what happened, never when: the time is the database's (a back-dated row could be
-- made to look past its retention and purged).
grant insert (actor, actor_role, action, target, outcome, ip, details) on audit_log to hotline_app;
-- Which migrations ran is the owner's to write; the server only reads it (to start without DDL).
revoke insert, update, delete, truncate on schema_migrations from hotline_app;

create function audit_log_purge(cutoff timestamptz) returns bigint
  language plpgsql security definer set search_path = public, pg_temp as $$
declare
  n bigint;
begin
  perform set_config('hotline.audit_purge', 'on', true);
  delete from audit_log where at < least(cutoff, now() - interval '180 days');
  get diagnostics n = row_count;
  perform set_config('hotline.audit_purge', '', true);
  return n;
end $$;
revoke all on function audit_log_purge(timestamptz) from public;
grant execute on function audit_log_purge(timestamptz) to hotline_app;
