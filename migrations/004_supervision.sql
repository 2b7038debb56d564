-- Supervisors' interventions (监听 listen, 耳语 whisper, 强插 barge, forced states, queue moves):
-- who did what to whom and when, kept as evidence. A refused attempt is logged too (ok = false),
-- because an attempt to listen in is itself worth knowing about.

create table supervisor_actions (
  id          bigserial primary key,
  at          timestamptz not null default now(),
  actor       text not null,
  actor_role  text not null,
  action      text not null check (action in ('listen', 'whisper', 'barge', 'force-not-ready', 'force-sign-out', 'move-call', 'call-to-head')),
  agent_id    text,
  call_id     uuid,
  queue_id    text,
  detail      jsonb,
  ok          boolean not null,
  error       text
);
create index supervisor_actions_at on supervisor_actions (at);
create index supervisor_actions_actor_at on supervisor_actions (actor, at);
