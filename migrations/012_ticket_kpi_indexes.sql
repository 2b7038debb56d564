-- The KPI report and the units' inbox at scale (bench:ticket-kpis: 1,000,000 tickets): the
-- report reads each ticket's latest follow-up task, which had no index by ticket outside the
-- pending ones, and the inbox reads a unit's open tickets by deadline.
create index follow_up_tasks_ticket on follow_up_tasks (ticket_id, id desc);
create index tickets_unit_open on tickets (lead_unit_id, deadline) where status in ('dispatched', 'signed-for');
