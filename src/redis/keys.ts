/** Every Redis key the server uses, built here and nowhere else. */
const P = 'hotline'

export const keys = {
  agent: (agentId: string) => `${P}:agent:${agentId}`,
  /** Set of agent ids that are signed in (any state but signed-out). */
  signedInAgents: () => `${P}:agents:signed-in`,
  /** Seat → agent id, so one seat has at most one agent. */
  seatOwner: (seat: string) => `${P}:seat:${seat}`,
  /** Hash {agentId, password}: the SIP password of a web seat's current sign-in (src/seats). */
  seatSipPassword: (seat: string) => `${P}:seat-sip:${seat}`,
  /** Sorted set of waiting call ids, scored by priority then arrival. */
  queueWaiting: (queueId: string) => `${P}:queue:${queueId}:waiting`,
  queueEntry: (callId: string) => `${P}:queue-entry:${callId}`,
  /** Set of queue ids that have (or had) waiting callers. */
  activeQueues: () => `${P}:queues:active`,
  call: (callId: string) => `${P}:call:${callId}`,
  liveCalls: () => `${P}:calls:live`,
  channelCall: (channelId: string) => `${P}:channel:${channelId}`,
  /** Hold / mute / consultation state of a call, set by the agent's call control. */
  callControl: (callId: string) => `${P}:call-control:${callId}`,
  /** Failed logins of one user id within the counting window (src/auth/throttle.ts). */
  loginFailures: (userId: string) => `${P}:auth:failures:${userId}`,
  /** Present while a user id is locked out after too many failed logins; its TTL is the rest of the lockout. */
  loginLock: (userId: string) => `${P}:auth:lock:${userId}`,
  /** Epoch ms: the user's tokens issued before it are void (src/auth/revocation.ts). */
  tokensRevokedBefore: (userId: string) => `${P}:auth:revoked-before:${userId}`,
  /** Present (value: the reason) while a session's tokens are void: a rotated refresh token of it was reused. */
  sessionRevoked: (sessionId: string) => `${P}:auth:session-revoked:${sessionId}`,
  /** Prefix of @fastify/rate-limit's counters (per client address). */
  rateLimit: () => `${P}:rate:`,
  /** The PBX start time (ARI /asterisk/info) the last reconcile saw. */
  pbxStartTime: () => `${P}:pbx:start-time`,
  /** `<nodeId>|<epoch>` of the node that drives the calls (src/cluster/lease.ts), with a ttl. */
  clusterLease: () => `${P}:cluster:lease`,
  /** Counter of call-control terms: each acquisition of the lease takes the next epoch. */
  clusterEpoch: () => `${P}:cluster:epoch`,
  /** Pub/sub: call commands forwarded to the lease holder, and its replies to one node. */
  clusterRequests: () => `${P}:cluster:requests`,
  clusterReplies: (nodeId: string) => `${P}:cluster:replies:${nodeId}`,
  /** Pub/sub: "an agent became ready" from any node: the holder runs the dispatcher. */
  clusterDispatch: () => `${P}:cluster:dispatch`
} as const
