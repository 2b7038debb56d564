/** What an agent's panel shows of its current call (REST and Socket.IO give the same view). */
import type { CallOfferView, CurrentCallView } from '../realtime/contract.ts'
import type { CallControl } from './control.ts'
import type { LiveCall } from './model.ts'

/** The screen pop of a call (src/screen-pop/ builds it; it reads calls, so calls only names the port). */
export interface CallPop {
  view(call: LiveCall): Promise<CallOfferView>
}

/** The agent's current call as a reconnecting panel needs it (shared with the REST route). */
export async function currentCallView(control: CallControl, pop: CallPop, agentId: string): Promise<CurrentCallView | null> {
  const current = await control.current(agentId)
  if (!current) return null
  const { call } = current
  return {
    call: await pop.view(call), phase: call.phase === 'talking' ? 'talking' : 'offered',
    answeredAt: call.answeredAt === null ? null : new Date(call.answeredAt).toISOString(), recordingName: call.recordingName, control: current.control,
    agentLegConnected: call.phase !== 'talking' || !call.agentLegLostAt,
    rejoinBy: current.rejoinBy === null ? null : new Date(current.rejoinBy).toISOString()
  }
}
