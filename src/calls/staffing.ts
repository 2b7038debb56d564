/**
 * The staffing a waiting caller's announcements are computed from: who is signed in per queue
 * (the agents' live state and profiles) and the queue's recent handle time (the call records).
 */
import type { AgentService } from '../agents/service.ts'
import type { AgentRecords } from '../agents/store.ts'
import type { StaffingView } from './service.ts'
import type { CallRecords } from './store.ts'

/** A queue without a history of its own is announced with 3 minutes a call. */
const DEFAULT_HANDLE_SECONDS = 180
/** Below this an average is noise (a few test or very short calls). */
const MIN_HANDLE_SECONDS = 30
/** The average is re-read at most once a minute per queue. */
const HANDLE_CACHE_MS = 60_000

export function createStaffingView(d: { agents: AgentService; profiles: AgentRecords; records: CallRecords; now?: () => number }): StaffingView {
  const now = d.now ?? Date.now
  const aht = new Map<string, { at: number; seconds: number }>()
  return {
    async signedInServing(queueId) {
      const signedIn = await d.agents.listSignedIn()
      if (signedIn.length === 0) return 0
      const profiles = await d.profiles.profiles(signedIn.map((a) => a.agentId))
      return profiles.filter((p) => p.queues.includes(queueId)).length
    },
    async averageHandleSeconds(queueId) {
      const cached = aht.get(queueId)
      if (cached && now() - cached.at < HANDLE_CACHE_MS) return cached.seconds
      const avg = await d.records.averageHandleSeconds(queueId)
      const seconds = avg ? Math.max(MIN_HANDLE_SECONDS, Math.round(avg)) : DEFAULT_HANDLE_SECONDS
      aht.set(queueId, { at: now(), seconds })
      return seconds
    }
  }
}
