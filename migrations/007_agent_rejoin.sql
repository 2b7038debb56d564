-- A WebRTC seat whose browser leg dropped mid-call (a page reload, a network blip) keeps the
-- caller on music for a grace time while the panel rejoins: the queue log shows the drop, the
-- rejoin, or the grace running out, so a supervisor can see it happened.
alter table queue_log drop constraint queue_log_event_check;
alter table queue_log add constraint queue_log_event_check check (event in (
  'entered', 'offered', 'answered', 'abandoned', 'ring-no-answer', 'offer-rejected', 'overflowed', 'completed', 'pbx-lost',
  'callback-offered', 'callback-requested', 'callback-scheduled', 'callback-dialled', 'callback-failed', 'callback-connected',
  'callback-unreachable', 'callback-cancelled',
  'agent-leg-lost', 'agent-rejoined', 'rejoin-expired'));
