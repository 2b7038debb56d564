/**
 * Prometheus metrics. Counters move with calls; gauges (waiting callers, agents per state)
 * are read from Redis at scrape time so every node reports the same shared truth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface LiveGauges {
  waitingByQueue(): Promise<Record<string, number>>
  /** Agents per state, every state the gauge shows present (zero where nobody is in it). */
  agentsByState(): Promise<Record<string, number>>
}

export function createMetrics(sources: { ariRequests?: () => ReadonlyMap<string, number> } = {}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'hotline_process_' })
  let gauges: LiveGauges | null = null
  const metrics = {
    registry,
    callsEntered: new Counter({ name: 'hotline_calls_offered_total', help: 'Calls that entered a queue (offered to the queue)', labelNames: ['queue'], registers: [registry] }),
    callsAnswered: new Counter({ name: 'hotline_calls_answered_total', help: 'Calls answered by an agent', labelNames: ['queue'], registers: [registry] }),
    callsAbandoned: new Counter({ name: 'hotline_calls_abandoned_total', help: 'Callers who hung up before an agent answered', labelNames: ['queue'], registers: [registry] }),
    answerDelay: new Histogram({
      name: 'hotline_answer_delay_seconds', help: 'Time from queue entry to answer', labelNames: ['queue'],
      buckets: [1, 2, 5, 10, 15, 20, 30, 60, 120, 300], registers: [registry]
    }),
    attachLive(live: LiveGauges) { gauges = live }
  }
  new Gauge({
    name: 'hotline_calls_waiting', help: 'Callers waiting in each queue', labelNames: ['queue'], registers: [registry],
    async collect() {
      if (!gauges) return
      this.reset()
      for (const [queue, n] of Object.entries(await gauges.waitingByQueue())) this.set({ queue }, n)
    }
  })
  new Gauge({
    name: 'hotline_agents', help: 'Signed-in agents per state', labelNames: ['state'], registers: [registry],
    async collect() {
      if (!gauges) return
      const counts = await gauges.agentsByState()
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
    }
  })
  new Counter({
    name: 'hotline_ari_requests_total', help: 'ARI REST requests this node sent, by route (ids replaced by {id})', labelNames: ['route'], registers: [registry],
    collect() {
      if (!sources.ariRequests) return
      this.reset()
      for (const [route, n] of sources.ariRequests()) this.inc({ route }, n)
    }
  })
  return metrics
}

export type HotlineMetrics = ReturnType<typeof createMetrics>
