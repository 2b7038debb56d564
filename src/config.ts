/**
 * Process configuration, read once from the environment and validated before anything starts.
 * Every problem is reported at once, each with the variable's name, so an operator fixes a
 * deployment in one pass instead of one restart per mistake.
 */
import { Type, type Static } from 'typebox'
import { Ajv } from 'ajv'


const DEFAULT_TRANSFER_TARGETS = JSON.stringify([
  { number: '110', name: '公安报警 110', kind: 'emergency' },
  { number: '119', name: '消防 119', kind: 'emergency' },
  { number: '120', name: '医疗急救 120', kind: 'emergency' },
  { number: '122', name: '交通事故 122', kind: 'emergency' }
])

export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Unsafe<'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>(
    { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' }
  ),
  /** The server's own connection: the application role (hotline_app, migration 014), rows only. */
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /**
   * The schema owner's connection, for migrations only (`hotline migrate`, and `serve` before it
   * starts). Unset: migrations run with DATABASE_URL (then the server finds nothing to apply, or
   * that role must own the schema).
   */
  HOTLINE_MIGRATE_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  REDIS_URL: Type.String({ pattern: '^rediss?://' }),
  HOTLINE_ARI_URL: Type.String({ pattern: '^https?://' }),
  HOTLINE_ARI_USER: Type.String({ minLength: 1 }),
  HOTLINE_ARI_PASSWORD: Type.String({ minLength: 1 }),
  /** Stasis application name: every call enters Stasis(<app>,inbound,<dialled number>). */
  HOTLINE_ARI_APP: Type.String({ default: 'hotline', pattern: '^[A-Za-z0-9_-]+$' }),
  /** Signs the API's bearer tokens. At least 32 characters: a short HMAC key is guessable. */
  HOTLINE_JWT_SECRET: Type.String({ minLength: 32 }),
  /** Derives each desk seat's SIP password (HMAC-SHA256 of the seat id), provisioned in the phone; must match the PBX config. Web seats get a password per sign-in instead. */
  HOTLINE_SEAT_SECRET: Type.String({ minLength: 16 }),
  /**
   * The Prometheus scraper's bearer token for /metrics (at least 32 characters; in prometheus.yml:
   * authorization: { credentials: … }). Unset: /metrics refuses everyone.
   */
  HOTLINE_METRICS_TOKEN: Type.Optional(Type.String({ minLength: 32 })),
  /** Creates the first administrator when the user table is empty; ignored afterwards. */
  HOTLINE_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  /** PJSIP technology prefix used to ring a seat, e.g. PJSIP/1001. */
  HOTLINE_SEAT_TECH: Type.String({ default: 'PJSIP' }),
  /** Seconds an offer rings at a seat before it counts as ring-no-answer. */
  HOTLINE_RING_TIMEOUT_S: Type.Integer({ default: 15, minimum: 3, maximum: 120 }),
  /** Greeting played before queueing (sound name as Asterisk knows it); empty for none. */
  HOTLINE_GREETING: Type.String({ default: 'sound:hotline/greeting' }),
  HOTLINE_MOH_CLASS: Type.String({ default: 'default' }),
  /** Mask callers' numbers on the supervisors' wallboard (138****0000); false shows them whole. */
  HOTLINE_WALLBOARD_MASK_CALLER: Type.Boolean({ default: true }),
  /** Shortest time between two wallboard pushes (ms): a burst of call events becomes one message per wallboard. */
  HOTLINE_WALLBOARD_PUSH_MS: Type.Integer({ default: 250, minimum: 50, maximum: 2000 }),
  HOTLINE_TIMEZONE: Type.String({ default: 'Asia/Shanghai' }),
  /**
   * Seconds an access token (the bearer JWT) lives. The pages renew it silently with their
   * refresh token before it expires (src/auth/sessions.ts); a stolen one is worth minutes.
   */
  HOTLINE_ACCESS_TOKEN_TTL_S: Type.Integer({ default: 900, minimum: 10, maximum: 86400 }),
  /** Seconds a session lasts from its login, however often it is renewed (an 8-hour shift and more); then log in again. */
  HOTLINE_SESSION_TTL_S: Type.Integer({ default: 43200, minimum: 60, maximum: 7 * 86400 }),
  /** Failed logins of one user id (within 15 minutes) before it is locked out. */
  HOTLINE_LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  /** Seconds a user id stays locked after too many failed logins. */
  HOTLINE_LOGIN_LOCKOUT_S: Type.Integer({ default: 900, minimum: 1, maximum: 86400 }),
  /** Login attempts one client address may make per minute (any user ids). */
  HOTLINE_LOGIN_RATE_PER_MIN: Type.Integer({ default: 20, minimum: 1, maximum: 100000 }),
  /** Commands one Socket.IO connection may send per second (twice that in a burst); beyond, acks answer HOTLINE_RATE_LIMITED. */
  HOTLINE_SOCKET_COMMANDS_PER_S: Type.Integer({ default: 20, minimum: 1, maximum: 1000 }),
  /** Password hashes (scrypt) computed at once; the rest wait, so logins never take the whole thread pool. */
  HOTLINE_PASSWORD_HASH_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 16 }),
  /**
   * HTTPS and WSS: PEM files of the operator's certificate (with its chain) and private key.
   * Both or neither; without them the server speaks plain HTTP (keep it on loopback then, or
   * behind a TLS-terminating proxy).
   */
  HOTLINE_TLS_CERT: Type.Optional(Type.String({ minLength: 1 })),
  HOTLINE_TLS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** Days the security audit log is kept (purged daily beyond). Never below 180: MLPS level 3 asks for six months. */
  HOTLINE_AUDIT_RETENTION_DAYS: Type.Integer({ default: 365, minimum: 180, maximum: 36500 }),
  /** Days a call's or follow-up's recording is kept after the call ended; then it is deleted from the PBX and the deletion audited. 0: kept forever. */
  HOTLINE_RECORDING_RETENTION_DAYS: Type.Integer({ default: 365, minimum: 0, maximum: 36500 }),
  /**
   * Numbers an agent may transfer to, JSON: [{"number":"110","name":"公安","kind":"emergency"}, …]
   * (kind emergency or unit). Default: the emergency lines 110, 119, 120, 122.
   */
  HOTLINE_TRANSFER_TARGETS: Type.String({ default: DEFAULT_TRANSFER_TARGETS }),
  /** The PJSIP endpoint transfers are dialled through: PJSIP/<number>@<trunk>. */
  HOTLINE_TRANSFER_TRUNK: Type.String({ default: 'trunk', pattern: '^[A-Za-z0-9_-]+$' }),
  /**
   * The WebRTC seats (browser panels), as the PBX config renders them ("8001-8020,8050"). A
   * talking call whose leg on one of these drops without the agent hanging up waits for the
   * panel to rejoin instead of ending; desk phones are never treated so.
   */
  HOTLINE_WEB_SEATS: Type.String({ default: '8001-8020', pattern: '^[A-Za-z0-9_,\\s-]*$' }),
  /** Seconds a caller waits on music for a dropped WebRTC seat to rejoin; 0: the call ends at once. */
  HOTLINE_SEAT_REJOIN_S: Type.Integer({ default: 30, minimum: 0, maximum: 600 }),
  /** Lost legs one call waits out for its WebRTC seat (rtp_timeout drops a seat with no audio); the next ends the call; 0: no limit. */
  HOTLINE_SEAT_REJOIN_MAX: Type.Integer({ default: 3, minimum: 0, maximum: 100 }),
  /** Where the browser softphone registers (SIP over WebSocket); default: ws://<ARI host>/ws. */
  HOTLINE_SIP_WS_URL: Type.Optional(Type.String({ pattern: '^wss?://' })),
  /**
   * The desk-phone seats, as the PBX config renders them ("1001-1040"). With HOTLINE_WEB_SEATS
   * they are the only ids an administrator can assign and an agent can sign in to.
   */
  HOTLINE_SEATS: Type.String({ default: '1001-1040', pattern: '^[A-Za-z0-9_,\\s-]*$' }),
  /** Milliseconds between follow-up dialer passes; 0 turns the dialer's timer off (tests tick by hand). */
  HOTLINE_DIALER_TICK_MS: Type.Integer({ default: 200, minimum: 0, maximum: 60000 }),
  /** Caller id on follow-up calls and callbacks: the center's own number. */
  HOTLINE_DIALER_CALLER_ID: Type.String({ default: '12345', pattern: '^[0-9+]{2,32}$' }),
  /**
   * Kinds of numbers the center may dial out (follow-ups, callbacks, transfer targets), comma-separated
   * from mobile, local, domestic, service, toll-free, premium, international (src/number-plan/rules.ts).
   */
  HOTLINE_NUMBER_PLAN: Type.String({ default: 'local,mobile', pattern: '^[a-z, -]*$' }),
  /** Seconds of silence after the survey question before it is asked again (then given up). */
  HOTLINE_SURVEY_INPUT_TIMEOUT_S: Type.Integer({ default: 6, minimum: 2, maximum: 60 }),
  /** Seconds a caller waits before hearing that they may press 1 to be called back; 0: never offered. */
  HOTLINE_CALLBACK_OFFER_AFTER_S: Type.Integer({ default: 60, minimum: 0, maximum: 3600 }),
  /** A caller who hangs up after waiting this long gets a callback task; 0: no automatic callbacks. */
  HOTLINE_CALLBACK_ABANDON_AFTER_S: Type.Integer({ default: 5, minimum: 0, maximum: 3600 }),
  HOTLINE_CALLBACK_MAX_ATTEMPTS: Type.Integer({ default: 3, minimum: 1, maximum: 10 }),
  /** Minutes between callback attempts (the last value repeats), e.g. "5,15". */
  HOTLINE_CALLBACK_RETRY_MINUTES: Type.String({ default: '5,15', pattern: '^[0-9]{1,4}(,[0-9]{1,4})*$' }),
  HOTLINE_CALLBACK_RING_S: Type.Integer({ default: 30, minimum: 5, maximum: 120 }),
  /** The dialer trunk (dialer_trunks) callbacks leave through. */
  HOTLINE_CALLBACK_TRUNK: Type.String({ default: 'trunk', pattern: '^[A-Za-z0-9_-]+$' }),
  /**
   * Seconds between checks of open dial attempts against the PBX (a channel whose end was lost
   * in an event gap is closed, its trunk place and reserved agent freed) and of agents whose call
   * is gone; they also run after every ARI reconnect. 0: only after reconnects.
   */
  HOTLINE_RECONCILE_S: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
  /** Tickets: largest attachment (bytes) and the accepted types (comma-separated MIME types). */
  HOTLINE_ATTACHMENT_MAX_BYTES: Type.Integer({ default: 5 * 1024 * 1024, minimum: 1024, maximum: 50 * 1024 * 1024 }),
  HOTLINE_ATTACHMENT_TYPES: Type.String({ default: 'image/jpeg,image/png,image/webp,application/pdf,text/plain,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document', pattern: '^[a-z0-9.+/-]+(,[a-z0-9.+/-]+)*$' }),
  /** 催办: hours before the deadline the unit is reminded; the sweep runs every HOTLINE_REMINDER_SWEEP_S (0: never). */
  HOTLINE_REMIND_BEFORE_H: Type.Integer({ default: 4, minimum: 1, maximum: 240 }),
  HOTLINE_REMINDER_SWEEP_S: Type.Integer({ default: 60, minimum: 0, maximum: 86400 }),
  /** The units' inbox shows a ticket as due soon (临期) this many hours before its deadline. */
  HOTLINE_DUE_SOON_H: Type.Integer({ default: 24, minimum: 1, maximum: 720 }),
  /** 升级督办: citizens on one matter, or complaints against one unit, within the window (days). */
  HOTLINE_ESCALATION_WINDOW_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 365 }),
  HOTLINE_ESCALATION_CITIZENS: Type.Integer({ default: 10, minimum: 2, maximum: 10000 }),
  HOTLINE_ESCALATION_COMPLAINTS: Type.Integer({ default: 10, minimum: 2, maximum: 10000 }),
  /** 复重: an earlier request by the same caller in the same category within this many days. */
  HOTLINE_REPEAT_WINDOW_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 365 }),
  /** Ticket KPIs: 签收时限 in hours after the first dispatch, and the unit ranking's weights (综合评价). */
  HOTLINE_KPI_SIGN_FOR_LIMIT_H: Type.Integer({ default: 2, minimum: 1, maximum: 240 }),
  /**
   * This server node's name in the cluster (logs, the lease value, GET /v1/cluster); default
   * <host name>-<pid>. Two nodes running at once must have different ids.
   */
  HOTLINE_NODE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
  /**
   * The call-control lease (src/cluster/lease.ts): the node holding it drives the calls. A
   * killed holder is replaced this many ms after its last renewal (takeover ≈ ttl + renew + ARI
   * connect); the holder stops acting after 0.8 × ttl without a successful renewal.
   */
  HOTLINE_LEASE_TTL_MS: Type.Integer({ default: 1200, minimum: 300, maximum: 60000 }),
  /** How often the holder renews the lease and a standby tries to take it, ms; at most a third of 0.8 × ttl. */
  HOTLINE_LEASE_RENEW_MS: Type.Integer({ default: 200, minimum: 50, maximum: 20000 }),
  HOTLINE_KPI_WEIGHTS: Type.String({ default: 'signForTimelyRate=20,onTimeRate=30,resultSatisfactionRate=30,solvedRate=20', pattern: '^[A-Za-z]+=[0-9.]+(,[A-Za-z]+=[0-9.]+)*$' })
})

export type Config = Readonly<Static<typeof ConfigSchema>>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: true })
const validate = ajv.compile(ConfigSchema)

/** Names whose values must never be printed. */
export const SECRET_KEYS = ['HOTLINE_ARI_PASSWORD', 'HOTLINE_JWT_SECRET', 'HOTLINE_SEAT_SECRET', 'HOTLINE_ADMIN_PASSWORD', 'HOTLINE_METRICS_TOKEN'] as const

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') data[key] = value
  }
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => {
      if (e.keyword === 'required') return `${String(e.params.missingProperty)} is required but not set`
      const name = e.instancePath.replace(/^\//, '')
      return `${name} ${e.message ?? 'is invalid'}`
    })
    throw new ConfigError([...new Set(problems)])
  }
  if ((data.HOTLINE_TLS_CERT === undefined) !== (data.HOTLINE_TLS_KEY === undefined)) {
    throw new ConfigError(['HOTLINE_TLS_CERT and HOTLINE_TLS_KEY go together: set both (HTTPS) or neither (plain HTTP)'])
  }
  const lease = leaseSettingsProblem({ ttlMs: data.HOTLINE_LEASE_TTL_MS as number, renewMs: data.HOTLINE_LEASE_RENEW_MS as number })
  if (lease) throw new ConfigError([lease])
  return Object.freeze(data as Static<typeof ConfigSchema>)
}

/** Part of the lease's ttl its holder trusts it for after the last renewal it sent (src/cluster/lease.ts). */
export const LEASE_TRUST_FRACTION = 0.8

/** A renewal period must leave at least three renewals inside the trusted part of the ttl. */
export function leaseSettingsProblem(s: { ttlMs: number; renewMs: number }): string | null {
  if (s.renewMs * 3 > s.ttlMs * LEASE_TRUST_FRACTION) return `HOTLINE_LEASE_RENEW_MS (${s.renewMs}) must be at most a third of ${LEASE_TRUST_FRACTION} × HOTLINE_LEASE_TTL_MS (${s.ttlMs})`
  return null
}



export function redactedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config }
  for (const key of SECRET_KEYS) if (out[key] !== undefined) out[key] = '***'
  out.DATABASE_URL = String(config.DATABASE_URL).replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@')
  if (config.HOTLINE_MIGRATE_DATABASE_URL) out.HOTLINE_MIGRATE_DATABASE_URL = config.HOTLINE_MIGRATE_DATABASE_URL.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@')
  out.REDIS_URL = String(config.REDIS_URL).replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@')
  return out
}
