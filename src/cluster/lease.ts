/**
 * The call-control lease (主控租约): one node at a time drives the calls. The holder is the only
 * node that opens the ARI Stasis websocket and runs the call timers, the follow-up dialer and
 * reconcile; every other node is a standby that serves HTTP and Socket.IO and forwards call
 * commands to the holder (./forwarding.ts).
 *
 * A Redis key `SET NX PX ttl` holds `<nodeId>|<epoch>`; the epoch (a counter incremented at each
 * acquisition) names the leadership term, so a renewal by a former holder whose key expired and
 * was taken by another node fails instead of extending someone else's term. The holder renews
 * every renewMs; it counts itself the holder only until `lastRenewSentAt + ttl * SAFE_FRACTION`
 * by its own clock, which always ends before Redis lets the key expire (ttl after the renewal
 * arrived), so two nodes never both believe they hold it.
 */
import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { LEASE_TRUST_FRACTION as SAFE_FRACTION } from '../config.ts'
import { keys } from '../redis/keys.ts'

export interface LeaseSettings {
  nodeId: string
  /** How long the key lives without a renewal, ms: a dead holder is replaced this long after its last renewal. */
  ttlMs: number
  /** Renewal period of the holder and acquisition attempt period of a standby, ms. */
  renewMs: number
}

/** Until when a holder may act, from when its last successful renewal (or acquisition) was sent. */
export function trustedUntil(sentAt: number, ttlMs: number): number {
  return sentAt + Math.floor(ttlMs * SAFE_FRACTION)
}

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return epoch`
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`

export interface LeaseEvents {
  acquired: [{ epoch: number }]
  lost: [{ epoch: number; reason: string }]
}

type Scripts = {
  hotlineLeaseAcquire(lease: string, epoch: string, nodeId: string, ttl: string): Promise<number>
  hotlineLeaseRenew(lease: string, value: string, ttl: string): Promise<number>
  hotlineLeaseRelease(lease: string, value: string): Promise<number>
}

export class CallControlLease extends EventEmitter<LeaseEvents> {
  private epoch: number | null = null
  private until = 0
  private timer: NodeJS.Timeout | undefined
  private busy = false
  private stopped = true

  /** `redis` is this lease's own connection (short command timeout: a stuck renewal must not hold a tick). */
  constructor(private readonly redis: Redis, private readonly s: LeaseSettings, private readonly log: Logger, private readonly now: () => number = Date.now) {
    super()
    redis.defineCommand('hotlineLeaseAcquire', { numberOfKeys: 2, lua: ACQUIRE })
    redis.defineCommand('hotlineLeaseRenew', { numberOfKeys: 1, lua: RENEW })
    redis.defineCommand('hotlineLeaseRelease', { numberOfKeys: 1, lua: RELEASE })
  }

  /** The current term while this node holds the lease, else null. */
  get heldEpoch(): number | null {
    if (this.epoch !== null && this.now() > this.until) this.drop('lease not renewed in time')
    return this.epoch
  }

  get holding(): boolean {
    return this.heldEpoch !== null
  }

  /** Tries at once, then every renewMs. */
  async start(): Promise<void> {
    this.stopped = false
    await this.tick()
    this.timer = setInterval(() => { void this.tick() }, this.s.renewMs)
    this.timer.unref()
  }

  /** Who holds the lease now (any node), from Redis. */
  async holder(): Promise<{ nodeId: string; epoch: number } | null> {
    const raw = await this.redis.get(keys.clusterLease())
    if (!raw) return null
    const cut = raw.lastIndexOf('|')
    return { nodeId: raw.slice(0, cut), epoch: Number(raw.slice(cut + 1)) }
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    // The trusted time runs out on its own: checked on every tick even while a request hangs.
    const held = this.heldEpoch
    if (this.busy) return
    this.busy = true
    const sentAt = this.now()
    try {
      if (held === null) {
        const epoch = Number(await this.scripts.hotlineLeaseAcquire(keys.clusterLease(), keys.clusterEpoch(), this.s.nodeId, String(this.s.ttlMs)))
        if (epoch > 0 && !this.stopped) {
          this.epoch = epoch
          this.until = trustedUntil(sentAt, this.s.ttlMs)
          this.log.info({ nodeId: this.s.nodeId, epoch }, 'call-control lease acquired: this node drives the calls')
          this.emit('acquired', { epoch })
        } else if (epoch > 0) {
          await this.scripts.hotlineLeaseRelease(keys.clusterLease(), `${this.s.nodeId}|${epoch}`)
        }
      } else {
        const ok = await this.scripts.hotlineLeaseRenew(keys.clusterLease(), `${this.s.nodeId}|${held}`, String(this.s.ttlMs))
        if (this.epoch !== held) return // dropped meanwhile
        if (ok === 1) this.until = trustedUntil(sentAt, this.s.ttlMs)
        else this.drop('another node holds the lease')
      }
    } catch (err) {
      // Redis unreachable: a holder keeps acting until its trusted time ends (heldEpoch drops it).
      this.log.warn({ err: { message: (err as Error).message }, holding: this.epoch !== null }, 'call-control lease request failed')
    } finally {
      this.busy = false
    }
  }

  private drop(reason: string): void {
    const epoch = this.epoch
    if (epoch === null) return
    this.epoch = null
    this.log.warn({ nodeId: this.s.nodeId, epoch, reason }, 'call-control lease lost: this node stops driving calls')
    this.emit('lost', { epoch, reason })
  }

  /** Stops trying; a holder gives the lease up at once so a standby takes over without waiting for the ttl. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    const epoch = this.epoch
    if (epoch === null) return
    this.drop('node stopping')
    try {
      await this.scripts.hotlineLeaseRelease(keys.clusterLease(), `${this.s.nodeId}|${epoch}`)
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'releasing the call-control lease failed; it expires by itself')
    }
  }
}
