/**
 * The ACD under load on the real PBX: 20 agent seats on SIPp desk phones with different talk
 * times, 300 calls at 10 calls/s, some callers giving up. Every call record is then checked:
 * no agent ever had two calls at once, no caller was skipped by a later one, nobody was lost.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { agentCommand, ADMIN_PASSWORD, createAgent, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

const AGENTS = 20
const PATIENT = 270
const IMPATIENT = 30

t.test('300 calls at 10/s over 20 agents: every call accounted for, FIFO kept, one call per agent', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'sound:beep' })
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const put = await hotline.app.inject({
    method: 'PUT', url: '/v1/queues/general', headers: { authorization: `Bearer ${admin}` },
    payload: { name: '12345 综合队列', ringTimeoutSeconds: 10, wrapUpSeconds: 1, maxWaitSeconds: null, overflowQueueId: null, announceEverySeconds: null }
  })
  t.equal(put.statusCode, 200, 'queue configured: 1 s wrap-up')

  // Four desk-phone processes, five seats each, each with its own talk time (1.5 to 4.5 s).
  const secret = hotline.config.HOTLINE_SEAT_SECRET
  const tokens: { id: string; token: string; seat: string }[] = []
  for (let phone = 0; phone < 4; phone++) {
    const port = 5091 + phone
    const seats = Array.from({ length: AGENTS / 4 }, (_, i) => String(1011 + phone * 5 + i))
    await registerSeats(seats.map((seat) => ({ seat, password: seatPassword(secret, seat) })), port)
    startAgentPhone(t, 'uas-agent-answers.xml', port, { RING_MS: 100 + phone * 100, TALK_MS: 1500 + phone * 1000 }, 400, 180)
    for (const seat of seats) tokens.push({ id: `L${seat}`, seat, token: await createAgent(hotline, admin, `L${seat}`, { seat }) })
  }
  for (const a of tokens) await agentCommand(hotline, a.token, a.id, 'sign-in', { seat: a.seat })
  for (const a of tokens) await agentCommand(hotline, a.token, a.id, 'ready')

  const patient = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345',
    Array.from({ length: PATIENT }, (_, i) => `1380000${String(i).padStart(4, '0')}`), { MAX_WAIT_MS: 120000 }, { rate: 9, timeoutS: 200, port: 5080 })
  const impatient = callFromCarrier('uac-caller-abandons.xml', '12345',
    Array.from({ length: IMPATIENT }, (_, i) => `1390000${String(i).padStart(4, '0')}`), { ABANDON_AFTER_MS: 6000 }, { rate: 1, timeoutS: 200, port: 5082 })
  const [p, i] = await Promise.all([patient.done, impatient.done])
  t.equal(p.code, 0, `all ${PATIENT} patient callers completed (${/Successful call.*/.exec(p.stdout)?.[0] ?? ''}) ${p.errors}`)
  t.equal(i.code, 0, `all ${IMPATIENT} impatient callers completed`)

  const calls = await waitFor('every call record closed', async () => {
    const rows = await hotline.sql<{ id: string; callerNumber: string; agentId: string | null; outcome: string | null; queuedAt: Date | null; offeredAt: Date | null; answeredAt: Date | null; endedAt: Date | null }[]>`
      select id, caller_number, agent_id, outcome, queued_at, offered_at, answered_at, ended_at from calls`
    return rows.length === PATIENT + IMPATIENT && rows.every((r) => r.endedAt) ? rows : undefined
  }, 30000)
  t.equal(calls.length, PATIENT + IMPATIENT, 'one record per call')
  const outcomes = calls.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.outcome!]: (acc[c.outcome!] ?? 0) + 1 }), {})
  t.same(Object.keys(outcomes).sort(), Object.keys(outcomes).filter((o) => o === 'answered' || o === 'abandoned').sort(), `only answered and abandoned outcomes: ${JSON.stringify(outcomes)}`)
  t.ok(calls.filter((c) => c.callerNumber.startsWith('138')).every((c) => c.outcome === 'answered'), 'every patient caller was answered')
  t.ok((outcomes.abandoned ?? 0) > 0, 'some impatient callers gave up')

  // No agent ever had two calls: the [offered, ended] spans of each agent's calls never overlap.
  const byAgent = new Map<string, { from: number; to: number; id: string }[]>()
  for (const c of calls) {
    if (!c.agentId || !c.offeredAt) continue
    byAgent.set(c.agentId, [...(byAgent.get(c.agentId) ?? []), { from: c.offeredAt.getTime(), to: c.endedAt!.getTime(), id: c.id }])
  }
  let overlaps = 0
  for (const spans of byAgent.values()) {
    spans.sort((a, b) => a.from - b.from)
    for (let k = 1; k < spans.length; k++) if (spans[k]!.from < spans[k - 1]!.to) overlaps++
  }
  t.equal(overlaps, 0, `no agent was offered a call while busy (${byAgent.size} agents took calls)`)
  t.equal(byAgent.size, AGENTS, 'every agent took calls')

  // FIFO: when a caller was offered, nobody who had queued earlier was still waiting un-offered.
  const firstOffer = new Map<string, number>()
  for (const e of await hotline.sql<{ callId: string; at: Date }[]>`select call_id, at from queue_log where event = 'offered' order by id`) {
    if (!firstOffer.has(e.callId)) firstOffer.set(e.callId, e.at.getTime())
  }
  let skipped = 0
  const queued = calls.filter((c) => c.queuedAt).map((c) => ({ id: c.id, q: c.queuedAt!.getTime(), offer: firstOffer.get(c.id) ?? null, end: c.endedAt!.getTime() }))
  for (const b of queued) {
    if (b.offer === null) continue
    for (const a of queued) {
      if (a.q >= b.q) continue
      const aStillWaiting = (a.offer === null || a.offer > b.offer) && a.end > b.offer
      if (aStillWaiting) skipped++
    }
  }
  t.equal(skipped, 0, 'no caller was offered before an earlier caller who was still waiting')
  const abandons = await hotline.sql<{ waitMs: number | null }[]>`select wait_ms from queue_log where event = 'abandoned'`
  t.equal(abandons.length, outcomes.abandoned ?? 0, 'every abandon is in the queue log')
  t.ok(abandons.every((a) => a.waitMs !== null && a.waitMs >= 0), 'with the time waited')

  const states = (await hotline.app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${admin}` } })).json() as { state: string }[]
  await waitFor('agents back to ready', async () => {
    const s = (await hotline.app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${admin}` } })).json() as { state: string }[]
    return s.every((a) => a.state === 'ready') ? s : undefined
  }, 5000)
  t.equal(states.length, AGENTS, 'all agents still signed in')
  const waiting = (await hotline.app.inject({ method: 'GET', url: '/v1/queues', headers: { authorization: `Bearer ${admin}` } })).json() as { waiting: number }[]
  t.equal(waiting.reduce((n, q) => n + q.waiting, 0), 0, 'nobody left waiting')
  const answerWaits = calls.filter((c) => c.answeredAt).map((c) => c.answeredAt!.getTime() - c.queuedAt!.getTime()).sort((a, b) => a - b)
  t.comment(`answered ${answerWaits.length}, wait median ${answerWaits[answerWaits.length >> 1]} ms, max ${answerWaits[answerWaits.length - 1]} ms`)
})
