/**
 * This server node's place in the cluster: whether it holds the call-control lease, and the
 * road by which call commands reach the holder.
 *
 * Every node serves HTTP and Socket.IO (the Redis streams adapter carries events between
 * nodes). Commands that touch a call in progress (the agent's call control and rejoin, the
 * supervisors' interventions and queue moves) must run where the call's lane, ARI subscription
 * and timers live: on the holder. A standby publishes them on a Redis channel that only the
 * holder subscribes to, and waits for the reply on its own channel; while no node holds the
 * lease (a takeover) the request is re-sent until one does or the deadline passes. Agent state
 * commands (ready, not ready, sign in) are compare-and-set in Redis and run on any node; only
 * the dispatch they trigger is asked of the holder.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Redis } from 'ioredis'
import { keys } from '../redis/keys.ts'
import { describeError, type ApiErrorBody } from '../http/errors.ts'
import { CallControlLease, type LeaseSettings } from './lease.ts'

export type NodeRole = 'holder' | 'standby'

interface Request { id: string; from: string; target: string; method: string; args: unknown[] }
type Reply = { id: string; ok: true; value: unknown } | { id: string; ok: false; status: number; body: ApiErrorBody }

/** An error that crossed from the holder: the same status and body as where it was thrown. */
export class ForwardedError extends Error {
  readonly statusCode: number
  readonly code: string
  readonly details: Record<string, unknown> | undefined
  constructor(status: number, body: ApiErrorBody) {
    super(body.message)
    this.name = 'ForwardedError'
    this.statusCode = status
    this.code = body.code
    this.details = body.details
  }
}

/** No node took the command in time (no holder during the whole wait, or the holder died mid-command). */
export class NoHolderError extends Error {
  readonly statusCode = 503
  readonly code = 'HOTLINE_NO_CALL_CONTROL'
  constructor(what: string) {
    super(`no server node drives the calls right now (${what}); try again`)
    this.name = 'NoHolderError'
  }
}

export interface ClusterEvents {
  /** This node now drives the calls (the term's epoch). */
  holder: [{ epoch: number }]
  /** This node stopped driving the calls: stop every call-driving activity at once. */
  standby: [{ epoch: number; reason: string }]
}

export class ClusterNode extends EventEmitter<ClusterEvents> {
  readonly lease: CallControlLease
  private readonly leaseRedis: Redis
  private readonly sub: Redis
  private readonly targets = new Map<string, object>()
  private readonly pending = new Map<string, { resolve: (r: Reply) => void }>()
  private dispatchHandler: () => void = () => {}
  private closed = false

  constructor(private readonly redis: Redis, readonly settings: LeaseSettings & { forwardTimeoutMs: number }, private readonly log: Logger) {
    super()
    this.leaseRedis = redis.duplicate({ connectionName: `hotline-lease-${settings.nodeId}`, commandTimeout: Math.max(100, Math.floor(settings.ttlMs / 4)), maxRetriesPerRequest: 1, enableAutoPipelining: false })
    this.sub = redis.duplicate({ connectionName: `hotline-cluster-${settings.nodeId}` })
    this.lease = new CallControlLease(this.leaseRedis, settings, log)
    this.lease.on('acquired', (e) => {
      void this.sub.subscribe(keys.clusterRequests(), keys.clusterDispatch()).catch((err) => log.error({ err }, 'subscribing to forwarded commands failed'))
      this.emit('holder', e)
    })
    this.lease.on('lost', (e) => {
      void this.sub.unsubscribe(keys.clusterRequests(), keys.clusterDispatch()).catch(() => undefined)
      this.emit('standby', e)
    })
    this.sub.on('message', (channel, message) => { this.onMessage(channel, message) })
  }

  get nodeId(): string {
    return this.settings.nodeId
  }

  get role(): NodeRole {
    return this.lease.holding ? 'holder' : 'standby'
  }

  /** Starts competing for the lease and listening for replies. */
  async start(): Promise<void> {
    await this.sub.subscribe(keys.clusterReplies(this.nodeId))
    await this.lease.start()
  }

  /** Where the holder runs an "agent became ready" dispatch (the ACD). */
  onDispatch(handler: () => void): void {
    this.dispatchHandler = handler
  }

  /** Asks the holder to dispatch waiting callers to ready agents (here, if this node holds). */
  requestDispatch(): void {
    if (this.lease.holding) { this.dispatchHandler(); return }
    // No holder: the next holder dispatches after its reconcile anyway.
    this.redis.publish(keys.clusterDispatch(), this.nodeId).catch((err) => this.log.warn({ err }, 'dispatch request not sent'))
  }

  /**
   * `object`, with `methods` run on the holder: here when this node holds the lease, else
   * forwarded. The other members are this node's own. Arguments and results must be JSON.
   */
  forwarded<T extends object>(target: string, object: T, methods: readonly (keyof T & string)[]): T {
    this.targets.set(target, object)
    const names = new Set<string>(methods)
    return new Proxy(object, {
      get: (obj, prop, receiver) => {
        if (typeof prop === 'string' && names.has(prop)) return (...args: unknown[]) => this.invoke(target, prop, args)
        const value = Reflect.get(obj, prop, receiver) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value
      }
    })
  }

  private async invoke(target: string, method: string, args: unknown[]): Promise<unknown> {
    const deadline = Date.now() + this.settings.forwardTimeoutMs
    for (;;) {
      if (this.lease.holding) return this.runHere(target, method, args)
      const id = randomUUID()
      const reply = new Promise<Reply>((resolve) => this.pending.set(id, { resolve }))
      const request: Request = { id, from: this.nodeId, target, method, args }
      const heard = await this.redis.publish(keys.clusterRequests(), JSON.stringify(request)).catch(() => 0)
      if (heard > 0) {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now())) })
        const r = await Promise.race([reply, timeout])
        clearTimeout(timer)
        this.pending.delete(id)
        // Sent once only: the holder may have run it before dying, so it is never repeated.
        if (!r) throw new NoHolderError(`${target}.${method} got no reply`)
        if (r.ok) return r.value
        throw new ForwardedError(r.status, r.body)
      }
      this.pending.delete(id)
      if (Date.now() >= deadline || this.closed) throw new NoHolderError(`${target}.${method} found no holder`)
      await new Promise((r) => setTimeout(r, Math.min(100, this.settings.renewMs)))
    }
  }

  private async runHere(target: string, method: string, args: unknown[]): Promise<unknown> {
    const obj = this.targets.get(target) as Record<string, (...a: unknown[]) => unknown> | undefined
    if (!obj || typeof obj[method] !== 'function') throw new Error(`unknown forwarded command ${target}.${method}`)
    return obj[method]!(...args)
  }

  private onMessage(channel: string, message: string): void {
    if (channel === keys.clusterDispatch()) { if (this.lease.holding) this.dispatchHandler(); return }
    if (channel === keys.clusterReplies(this.nodeId)) {
      const reply = JSON.parse(message) as Reply
      this.pending.get(reply.id)?.resolve(reply)
      return
    }
    if (channel !== keys.clusterRequests() || !this.lease.holding) return
    const req = JSON.parse(message) as Request
    const send = (reply: Reply) => this.redis.publish(keys.clusterReplies(req.from), JSON.stringify(reply)).catch((err) => this.log.warn({ err, from: req.from }, 'reply to a forwarded command not sent'))
    this.runHere(req.target, req.method, req.args).then(
      (value) => send({ id: req.id, ok: true, value: value ?? null }),
      (err: Error) => {
        const { status, body, internal } = describeError(err)
        if (internal) this.log.error({ err, target: req.target, method: req.method, from: req.from }, 'forwarded command failed')
        return send({ id: req.id, ok: false, status, body })
      }
    )
  }

  async close(): Promise<void> {
    this.closed = true
    await this.lease.stop()
    await this.sub.quit().catch(() => this.sub.disconnect())
    await this.leaseRedis.quit().catch(() => this.leaseRedis.disconnect())
  }
}
