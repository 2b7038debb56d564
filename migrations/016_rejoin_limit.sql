-- The rejoin limit (HOTLINE_SEAT_REJOIN_MAX): a call whose WebRTC seat lost its leg more times than
-- allowed ends with a rejoin-limit row. Without it in the check the row was refused, and the call's
-- ordered writes (its end, the completed row) stayed queued behind it: the call never closed.
alter table queue_log drop constraint queue_log_event_check;
alter table queue_log add constraint queue_log_event_check check (event in (
  'entered', 'offered', 'answered', 'abandoned', 'ring-no-answer', 'offer-rejected', 'overflowed', 'completed', 'pbx-lost',
  'callback-offered', 'callback-requested', 'callback-scheduled', 'callback-dialled', 'callback-failed', 'callback-connected',
  'callback-unreachable', 'callback-cancelled',
  'agent-leg-lost', 'agent-rejoined', 'rejoin-expired', 'rejoin-limit'));
