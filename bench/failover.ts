/**
 * `npm run bench:failover`: two server nodes (test/helpers/cluster.ts), calls flowing at a steady
 * rate from the SIPp carrier to SIPp desk phones; the node driving the calls is SIGKILLed
 * BENCH_FAILOVER_KILLS times (then restarted as a standby), then stopped gracefully (SIGTERM,
 * a rolling deploy step) as many times. Prints, per kind of stop, the time from the stop to the
 * first offer made by the survivor (queue_log 'offered', median and p99), the calls the carrier
 * saw fail (must be 0), and the callers whose wait exceeded the takeover time.
 */
import type { Test } from 'tap'
import { seatPassword } from '../src/auth/seat-credentials.ts'
import { createSql } from '../src/db/sql.ts'
import { percentileOfSorted as percentile } from '../src/domain/percentile.ts'
import { resetWorld, waitFor } from '../test/helpers/hotline.ts'
import { api } from '../test/helpers/server-process.ts'
import { testConfig } from '../test/helpers/services.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../test/helpers/sipp.ts'
import { adminToken, clusterView, signInAgent, startNode, waitHolder, type Node } from '../test/helpers/cluster.ts'

const STOPS = Number(process.env.BENCH_FAILOVER_KILLS ?? 4)
const EVERY_MS = Number(process.env.BENCH_FAILOVER_EVERY_S ?? 8) * 1000
const RATE = Number(process.env.BENCH_FAILOVER_RATE ?? 1)
const cleanups: (() => unknown)[] = []
// The helpers take a tap test for their clean-up; the bench runs them at its end.
const t = { teardown: (fn: () => unknown) => { cleanups.push(fn) } } as unknown as Test
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const config = testConfig()
  await resetWorld(config)
  const sql = createSql(config.DATABASE_URL, { max: 2 })
  cleanups.push(() => sql.end({ timeout: 5 }))
  const nodes: Record<string, Node> = {}
  nodes['node-a'] = await startNode(t, 'node-a')
  const admin = await adminToken(nodes['node-a'].url)
  await waitHolder(nodes['node-a'], admin)
  nodes['node-b'] = await startNode(t, 'node-b')
  await api(nodes['node-a'].url, 'PUT', '/v1/queues/general', admin, { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null })
  const seats = ['1001', '1002', '1003', '1004']
  await registerSeats(seats.map((seat) => ({ seat, password: seatPassword(config.HOTLINE_SEAT_SECRET, seat) })), 5111)
  const calls = Math.ceil(((STOPS * 2 + 1) * EVERY_MS / 1000 + 10) * RATE)
  startAgentPhone(t, 'uas-agent-answers.xml', 5111, { RING_MS: 200, TALK_MS: 1500 }, calls + 10, 600)
  for (const seat of seats) await signInAgent(nodes['node-b'].url, admin, `F${seat}`, seat, true)
  const callers = Array.from({ length: calls }, (_, i) => `1370013${String(i).padStart(4, '0')}`)
  const carrier = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', callers, { MAX_WAIT_MS: 60000 }, { rate: RATE, timeoutS: 600 })

  const measured: Record<'SIGKILL' | 'SIGTERM', number[]> = { SIGKILL: [], SIGTERM: [] }
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    for (let i = 0; i < STOPS; i++) {
      await sleep(EVERY_MS)
      const any = Object.values(nodes)[0]!
      const holderId = (await clusterView(any, admin)).holder?.nodeId
      const holder = holderId ? nodes[holderId] : undefined
      if (!holder) throw new Error('no holder')
      const survivor = Object.values(nodes).find((n) => n !== holder)!
      const stoppedAt = Date.now()
      const exited = holder.kill(signal)
      // A node stopping gracefully may still finish offers in its first milliseconds: count the
      // survivor's offers only, those made once it holds the lease.
      await waitHolder(survivor, admin, 20000)
      const heldAt = Date.now()
      const offered = await waitFor('an offer by the survivor', async () => {
        const [r] = await sql<{ at: Date }[]>`select at from queue_log where event = 'offered' and at > ${new Date(signal === 'SIGKILL' ? stoppedAt : heldAt - 200)} order by at limit 1`
        return r
      }, 20000, 10)
      measured[signal].push(offered.at.getTime() - stoppedAt)
      await exited
      nodes[holder.nodeId] = await startNode(t, holder.nodeId)
      process.stdout.write(`${signal} ${i + 1}: stop → first offer by ${survivor.nodeId} ${measured[signal].at(-1)} ms\n`)
    }
  }
  const run = await carrier.done
  const failed = Number(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(run.stdout)?.[1] ?? (run.code === 0 ? 0 : NaN))
  const rows = await waitFor('every call closed', async () => {
    const r = await sql<{ waitMs: number | null; outcome: string | null }[]>`select extract(epoch from answered_at - queued_at) * 1000 as wait_ms, outcome from calls where ended_at is not null`
    return r.length >= callers.length ? r : undefined
  }, 30000).catch(() => [] as { waitMs: number | null; outcome: string | null }[])
  const summary = (ms: number[]) => { const s = [...ms].sort((a, b) => a - b); return `median ${percentile(s, 50)} ms, p99 ${percentile(s, 99)} ms (n=${s.length})` }
  const allTakeovers = [...measured.SIGKILL, ...measured.SIGTERM].sort((a, b) => a - b)
  const slowest = allTakeovers.at(-1) ?? 0
  const grew = rows.filter((r) => (r.waitMs ?? 0) > slowest).length
  process.stdout.write([
    '', `bench:failover — 2 nodes, ${seats.length} SIPp agents, ${callers.length} calls at ${RATE}/s, lease ttl ${config.HOTLINE_LEASE_TTL_MS} ms / renew ${config.HOTLINE_LEASE_RENEW_MS} ms`,
    `SIGKILL of the holder → first offer by the survivor: ${summary(measured.SIGKILL)}`,
    `SIGTERM of the holder (rolling deploy) → first offer by the survivor: ${summary(measured.SIGTERM)}`,
    `calls refused or failed at the carrier: ${failed} (must be 0)`,
    `calls closed: ${rows.length} of ${callers.length}; outcomes ${JSON.stringify(Object.fromEntries([...new Set(rows.map((r) => r.outcome))].map((o) => [o, rows.filter((r) => r.outcome === o).length])))}`,
    `callers whose wait exceeded the slowest takeover (${slowest} ms): ${grew}`, ''
  ].join('\n'))
}

main().then(async () => { for (const c of cleanups.reverse()) await c(); process.exit(0) }, async (err) => {
  process.stderr.write(`bench:failover failed: ${(err as Error).stack}\n`)
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined)
  process.exit(1)
})
