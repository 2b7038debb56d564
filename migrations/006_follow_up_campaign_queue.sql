-- A campaign's agent queue is checked by the API, not by a foreign key: removing a queue (an
-- administrator, or a test resetting its world) must not be blocked by a follow-up campaign
-- that once named it. A campaign whose queue is gone leaves its answered calls unqueued and
-- says so in the log.
alter table follow_up_campaigns drop constraint follow_up_campaigns_agent_queue_id_fkey;
