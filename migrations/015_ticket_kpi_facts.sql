-- The KPI report's facts, one row per ticket, kept up to date as tickets, their events and
-- their follow-up tasks are written (bench:ticket-kpis: the report over 1,000,000 tickets and
-- 5.35 M events read every event, follow-up task and 60 days of tickets of the month on each
-- request, 5 s and more). Statement triggers merge what each insert or update adds, so every
-- writer (the ticket store, the dialer, a bulk load) keeps the row; the event log stays the
-- only source of the handling facts and the citizen's answers: nothing here is set through the
-- API. The report reads the month's rows by created_at and groups them (src/ticket-kpis/store.ts).
create table ticket_kpi_facts (
  ticket_id       uuid primary key references tickets(id) on delete cascade,
  -- From the ticket row (what it is about, who holds it, where it is now).
  created_at      timestamptz not null,
  category_code   text not null,
  line_number     text,
  lead_unit_id    text,
  deadline        timestamptz not null,
  status          text not null,
  -- 复重: when this caller last raised the same category before this ticket (the window is the report's).
  prev_same_at    timestamptz,
  -- From the event log.
  on_call         boolean not null default false,   -- closed as resolved on the call (即办)
  first_dispatch  timestamptz,
  first_sign_for  timestamptz,
  last_reply      timestamptz,
  last_close      timestamptz,
  returns         integer not null default 0,       -- 退单 requests
  redispatches    integer not null default 0,       -- 改派
  return_units    text[] not null default '{}',     -- the units that asked to return it (退单 counts for them)
  evaluation_id   bigint,                           -- the latest evaluation (回访) and the citizen's answers
  evaluated_at    timestamptz,
  process         text,
  result          text,
  solved          boolean,
  -- The latest follow-up task's status.
  follow_up_id    bigint,
  follow_up       text
-- Room in each page for the row's updates (HOT), so a month's rows stay where they were written.
) with (fillfactor = 70);
create index ticket_kpi_facts_created on ticket_kpi_facts (created_at);
-- The server reads the facts; only the triggers below (running as the owner) write them.
revoke insert, update, delete, truncate on ticket_kpi_facts from hotline_app;

-- Tickets: a new ticket gets its row (and its previous ticket of the same caller and category);
-- a changed ticket updates what it is about and who holds it.
create function ticket_kpi_facts_from_tickets() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
begin
  if tg_op = 'INSERT' then
    insert into ticket_kpi_facts (ticket_id, created_at, category_code, line_number, lead_unit_id, deadline, status, prev_same_at)
      select n.id, n.created_at, n.category_code, n.line_number, n.lead_unit_id, n.deadline, n.status,
        (select max(o.created_at) from tickets o where o.caller_number = n.caller_number and o.category_code = n.category_code
          and (o.created_at < n.created_at or (o.created_at = n.created_at and o.id < n.id)))
      from new_tickets n
    on conflict (ticket_id) do nothing;
  else
    update ticket_kpi_facts f set category_code = n.category_code, line_number = n.line_number, lead_unit_id = n.lead_unit_id, deadline = n.deadline, status = n.status
      from new_tickets n
      where f.ticket_id = n.id and (f.category_code, f.line_number, f.lead_unit_id, f.deadline, f.status) is distinct from (n.category_code, n.line_number, n.lead_unit_id, n.deadline, n.status);
  end if;
  return null;
end $$;
create trigger tickets_kpi_facts_insert after insert on tickets
  referencing new table as new_tickets for each statement execute function ticket_kpi_facts_from_tickets();
create trigger tickets_kpi_facts_update after update on tickets
  referencing new table as new_tickets for each statement execute function ticket_kpi_facts_from_tickets();

-- Events (append-only): the new rows merged into the facts.
create function ticket_kpi_facts_from_events() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
begin
  update ticket_kpi_facts f set
    on_call = f.on_call or a.on_call,
    first_dispatch = least(f.first_dispatch, a.first_dispatch),
    first_sign_for = least(f.first_sign_for, a.first_sign_for),
    last_reply = greatest(f.last_reply, a.last_reply),
    last_close = greatest(f.last_close, a.last_close),
    returns = f.returns + a.returns,
    redispatches = f.redispatches + a.redispatches,
    return_units = case when a.return_units = '{}' then f.return_units
      else array(select distinct u from unnest(f.return_units || a.return_units) u order by u) end,
    evaluation_id = coalesce(a.evaluation_id, f.evaluation_id),
    evaluated_at = case when a.evaluation_id is not null then a.evaluated_at else f.evaluated_at end,
    process = case when a.evaluation_id is not null then a.process else f.process end,
    result = case when a.evaluation_id is not null then a.result else f.result end,
    solved = case when a.evaluation_id is not null then a.solved else f.solved end
  from (
    select g.*, e.at as evaluated_at, e.detail->>'process' as process, e.detail->>'result' as result, (e.detail->>'solved')::boolean as solved
    from (
      select n.ticket_id,
        coalesce(bool_or(n.action = 'close' and n.detail->>'resolvedOnCall' = 'true'), false) as on_call,
        min(n.at) filter (where n.action = 'dispatch') as first_dispatch,
        min(n.at) filter (where n.action = 'sign-for') as first_sign_for,
        max(n.at) filter (where n.action = 'reply') as last_reply,
        max(n.at) filter (where n.action = 'close') as last_close,
        count(*) filter (where n.action = 'return') as returns,
        count(*) filter (where n.action = 'dispatch' and n.detail->>'redispatch' = 'true') as redispatches,
        coalesce(array_agg(distinct coalesce(n.detail->>'unitId', n.detail->>'leadUnitId'))
          filter (where n.action = 'return' and coalesce(n.detail->>'unitId', n.detail->>'leadUnitId') is not null), '{}') as return_units,
        max(n.id) filter (where n.action = 'evaluate') as evaluation_id
      from new_events n group by n.ticket_id) g
    left join new_events e on e.id = g.evaluation_id) a
  where f.ticket_id = a.ticket_id;
  return null;
end $$;
create trigger ticket_events_kpi_facts after insert on ticket_events
  referencing new table as new_events for each statement execute function ticket_kpi_facts_from_events();

-- Follow-up tasks: the latest task's status.
create function ticket_kpi_facts_from_follow_ups() returns trigger language plpgsql security definer set search_path = public, pg_temp as $$
begin
  update ticket_kpi_facts f set follow_up_id = n.id, follow_up = n.status
    from (select distinct on (ticket_id) ticket_id, id, status from new_tasks order by ticket_id, id desc) n
    where f.ticket_id = n.ticket_id and (f.follow_up_id is null or n.id >= f.follow_up_id) and (f.follow_up_id, f.follow_up) is distinct from (n.id, n.status);
  return null;
end $$;
create trigger follow_up_tasks_kpi_facts_insert after insert on follow_up_tasks
  referencing new table as new_tasks for each statement execute function ticket_kpi_facts_from_follow_ups();
create trigger follow_up_tasks_kpi_facts_update after update on follow_up_tasks
  referencing new table as new_tasks for each statement execute function ticket_kpi_facts_from_follow_ups();

-- The facts of what is already written.
insert into ticket_kpi_facts (ticket_id, created_at, category_code, line_number, lead_unit_id, deadline, status, prev_same_at)
  select id, created_at, category_code, line_number, lead_unit_id, deadline, status,
    lag(created_at) over (partition by caller_number, category_code order by created_at, id)
  from tickets;
update ticket_kpi_facts f set on_call = a.on_call, first_dispatch = a.first_dispatch, first_sign_for = a.first_sign_for, last_reply = a.last_reply,
    last_close = a.last_close, returns = a.returns, redispatches = a.redispatches, return_units = a.return_units, evaluation_id = a.evaluation_id,
    evaluated_at = e.at, process = e.detail->>'process', result = e.detail->>'result', solved = (e.detail->>'solved')::boolean
  from (
    select n.ticket_id,
      coalesce(bool_or(n.action = 'close' and n.detail->>'resolvedOnCall' = 'true'), false) as on_call,
      min(n.at) filter (where n.action = 'dispatch') as first_dispatch,
      min(n.at) filter (where n.action = 'sign-for') as first_sign_for,
      max(n.at) filter (where n.action = 'reply') as last_reply,
      max(n.at) filter (where n.action = 'close') as last_close,
      count(*) filter (where n.action = 'return') as returns,
      count(*) filter (where n.action = 'dispatch' and n.detail->>'redispatch' = 'true') as redispatches,
      coalesce(array_agg(distinct coalesce(n.detail->>'unitId', n.detail->>'leadUnitId'))
        filter (where n.action = 'return' and coalesce(n.detail->>'unitId', n.detail->>'leadUnitId') is not null), '{}') as return_units,
      max(n.id) filter (where n.action = 'evaluate') as evaluation_id
    from ticket_events n group by n.ticket_id) a
  left join ticket_events e on e.id = a.evaluation_id
  where f.ticket_id = a.ticket_id;
update ticket_kpi_facts f set follow_up_id = t.id, follow_up = t.status
  from (select distinct on (ticket_id) ticket_id, id, status from follow_up_tasks order by ticket_id, id desc) t
  where f.ticket_id = t.ticket_id;
