/** Lines and queues as records: created and changed by administrators through the API. */
import type { Sql } from '../db/sql.ts'
import type { QueueConfig } from '../queueing/model.ts'
import type { LineConfig } from './model.ts'

export class RoutingRecords {
  constructor(private readonly sql: Sql) {}

  async upsertQueue(q: QueueConfig): Promise<'created' | 'updated'> {
    const [row] = await this.sql<{ created: boolean }[]>`insert into queues (id, name, strategy, required_skills, wrap_up_seconds, ring_timeout_seconds, max_wait_seconds, overflow_queue_id, announce_every_seconds)
      values (${q.id}, ${q.name}, ${q.strategy}, ${q.requiredSkills as string[]}, ${q.wrapUpSeconds}, ${q.ringTimeoutSeconds}, ${q.maxWaitSeconds}, ${q.overflowQueueId}, ${q.announceEverySeconds})
      on conflict (id) do update set name = excluded.name, strategy = excluded.strategy, required_skills = excluded.required_skills,
        wrap_up_seconds = excluded.wrap_up_seconds, ring_timeout_seconds = excluded.ring_timeout_seconds, max_wait_seconds = excluded.max_wait_seconds,
        overflow_queue_id = excluded.overflow_queue_id, announce_every_seconds = excluded.announce_every_seconds
      returning (xmax = 0) as created`
    return row?.created ? 'created' : 'updated'
  }

  async deleteQueue(id: string): Promise<'deleted' | 'missing' | 'in-use'> {
    const [use] = await this.sql<{ n: number }[]>`select (select count(*) from lines where queue_id = ${id} or overflow_queue_id = ${id})
      + (select count(*) from queues where overflow_queue_id = ${id}) as n`
    if (Number(use?.n ?? 0) > 0) return 'in-use'
    const rows = await this.sql`delete from queues where id = ${id} returning id`
    return rows.length ? 'deleted' : 'missing'
  }

  async queueExists(id: string): Promise<boolean> {
    return (await this.sql`select 1 from queues where id = ${id}`).length > 0
  }

  async upsertLine(l: LineConfig): Promise<'created' | 'updated'> {
    const [row] = await this.sql<{ created: boolean }[]>`insert into lines (number, name, kind, queue_id, greeting, priority, hours, closed_dates, overflow_queue_id, overflow_after_seconds)
      values (${l.number}, ${l.name}, ${l.kind}, ${l.queueId}, ${l.greeting}, ${l.priority}, ${l.hours === null ? null : this.sql.json(l.hours as never)}, ${l.closedDates}, ${l.overflowQueueId}, ${l.overflowAfterSeconds})
      on conflict (number) do update set name = excluded.name, kind = excluded.kind, queue_id = excluded.queue_id, greeting = excluded.greeting,
        priority = excluded.priority, hours = excluded.hours, closed_dates = excluded.closed_dates, overflow_queue_id = excluded.overflow_queue_id,
        overflow_after_seconds = excluded.overflow_after_seconds
      returning (xmax = 0) as created`
    return row?.created ? 'created' : 'updated'
  }

  async deleteLine(number: string): Promise<boolean> {
    return (await this.sql`delete from lines where number = ${number} returning number`).length > 0
  }

  async notReadyReasons(): Promise<{ code: string; label: string }[]> {
    return this.sql<{ code: string; label: string }[]>`select code, label from not_ready_reasons order by sort_order, code`
  }

  async upsertNotReadyReason(code: string, label: string, sortOrder: number): Promise<'created' | 'updated'> {
    const [row] = await this.sql<{ created: boolean }[]>`insert into not_ready_reasons (code, label, sort_order) values (${code}, ${label}, ${sortOrder})
      on conflict (code) do update set label = excluded.label, sort_order = excluded.sort_order returning (xmax = 0) as created`
    return row?.created ? 'created' : 'updated'
  }

  async deleteNotReadyReason(code: string): Promise<boolean> {
    return (await this.sql`delete from not_ready_reasons where code = ${code} returning code`).length > 0
  }

  async setProfile(agentId: string, skills: Record<string, number>, queues: string[]): Promise<boolean> {
    const rows = await this.sql`insert into agent_profiles (agent_id, skills, queues) select id, ${this.sql.json(skills as never)}, ${queues} from users where id = ${agentId} and role = 'agent'
      on conflict (agent_id) do update set skills = excluded.skills, queues = excluded.queues returning agent_id`
    return rows.length > 0
  }
}
