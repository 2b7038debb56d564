import { Type } from 'typebox'
import { AGENT_STATES, type AgentStateName } from './model.ts'

export const AgentIdParam = Type.Object({ agentId: Type.String({ pattern: '^(me|[A-Za-z0-9_.-]{1,64})$', description: "agent id, or 'me'" }) })

export const AgentStateSchema = Type.Object({
  agentId: Type.String(),
  state: Type.Unsafe<AgentStateName>({ type: 'string', enum: [...AGENT_STATES] }),
  since: Type.String({ format: 'date-time' }),
  seat: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  callId: Type.Union([Type.String(), Type.Null()]),
  wrapUpUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  pendingNotReady: Type.Union([Type.String(), Type.Null()]),
  callsToday: Type.Integer()
})

export const SignInBody = Type.Object({ seat: Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$', description: 'seat id (PJSIP endpoint)' }) }, { additionalProperties: false })
export const NotReadyBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false })
export const ExtendBody = Type.Object({ seconds: Type.Integer({ minimum: 1, maximum: 3600 }) }, { additionalProperties: false })
