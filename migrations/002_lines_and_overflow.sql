-- Lines carry priority, opening hours, holidays and their overflow to the 12345 pool
-- (dual-number lines: reserved seats first, then the pool). Not-ready reasons become data.

alter table lines
  add column priority               integer not null default 0 check (priority between 0 and 9),
  add column hours                  jsonb,
  add column closed_dates           text[] not null default '{}',
  add column overflow_queue_id      text references queues(id),
  add column overflow_after_seconds integer check (overflow_after_seconds > 0);

create table not_ready_reasons (
  code       text primary key check (code ~ '^[a-z0-9_-]{1,40}$'),
  label      text not null,
  sort_order integer not null default 0
);
insert into not_ready_reasons (code, label, sort_order) values
  ('break', '小休', 1), ('meal', '就餐', 2), ('training', '培训', 3), ('meeting', '会议', 4), ('restroom', '如厕', 5), ('other', '其他', 9);
