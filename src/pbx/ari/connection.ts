/**
 * The event side of ARI: one WebSocket per Stasis application, kept up by ari-client with its
 * own backoff, restarted from scratch by us when ari-client gives up. Credentials are checked
 * over plain HTTP first: ari-client throws a 401 out of band (an uncaught exception from its
 * Swagger loader) instead of rejecting, which would kill the process.
 */
import { EventEmitter } from 'node:events'
import ari from 'ari-client'
import type { Logger } from 'pino'
import { AriAuthError, AriUnreachable } from './errors.ts'
import { HANDLED_EVENT_TYPES, type AriEvent } from './events.ts'
import { AriRest } from './rest.ts'

export interface AriConnectionOptions {
  url: string
  user: string
  password: string
  app: string
  log: Logger
  /** First retry delay and cap, ms. */
  retryMinMs?: number
  retryMaxMs?: number
}

export interface AriConnectionEvents {
  event: [AriEvent]
  /** The WebSocket is (again) subscribed: the app must re-read channels and bridges. */
  connected: [{ reconnect: boolean }]
  disconnected: [{ reason: string }]
}

type AriClient = Awaited<ReturnType<typeof ari.connect>>

export class AriConnection extends EventEmitter<AriConnectionEvents> {
  readonly rest: AriRest
  private client: AriClient | null = null
  private stopped = false
  private everConnected = false
  private retryTimer: NodeJS.Timeout | null = null
  private attempt = 0
  private _connected = false
  lastError: Error | null = null

  constructor(private readonly options: AriConnectionOptions) {
    super()
    this.rest = new AriRest(options)
  }

  get connected(): boolean {
    return this._connected
  }

  /**
   * Connects, and keeps reconnecting in the background on transient failures. Resolves after
   * the first successful subscription; rejects only for wrong credentials (retrying cannot help).
   */
  async start(): Promise<void> {
    this.stopped = false
    for (;;) {
      try {
        await this.connectOnce()
        return
      } catch (err) {
        if (err instanceof AriAuthError || this.stopped) throw err
        this.noteFailure(err as Error)
        await new Promise<void>((r) => { this.retryTimer = setTimeout(r, this.nextDelay(), undefined) })
        if (this.stopped) throw new AriUnreachable('ARI connection stopped before it was established', null)
      }
    }
  }

  /** Like start(), but returns at once and keeps trying in the background (readiness shows it). */
  startInBackground(): void {
    this.start().catch((err: Error) => {
      this.lastError = err
      this.options.log.error({ err }, 'ARI connection gave up')
    })
  }

  private nextDelay(): number {
    const min = this.options.retryMinMs ?? 250
    const max = this.options.retryMaxMs ?? 5000
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 10))
    this.attempt += 1
    return delay
  }

  private noteFailure(err: Error): void {
    this.lastError = err
    this.options.log.warn({ err: { message: err.message, name: err.name }, attempt: this.attempt }, 'ARI not reachable, retrying')
  }

  private async connectOnce(): Promise<void> {
    await this.rest.info() // throws AriAuthError / AriUnreachable with a clear message
    const client = await ari.connect(this.options.url, this.options.user, this.options.password)
    if (this.stopped) { client.stop(); return }
    this.client = client
    for (const type of HANDLED_EVENT_TYPES) {
      (client as unknown as EventEmitter).on(type, (event: unknown) => this.emit('event', event as AriEvent))
    }
    client.on('WebSocketReconnecting', () => {
      if (this._connected) this.emit('disconnected', { reason: 'websocket closed' })
      this._connected = false
    })
    client.on('WebSocketConnected', () => {
      // ari-client's own automatic reconnect succeeded (the first connect resolves start()).
      if (!this._connected && this.everConnected) {
        this._connected = true
        this.emit('connected', { reconnect: true })
      }
    })
    client.on('WebSocketMaxRetries', () => {
      this._connected = false
      this.emit('disconnected', { reason: 'websocket retries exhausted' })
      this.restartLater()
    })
    await client.start(this.options.app)
    // Stopped while subscribing (this node stood down): stop() already closed the client.
    if (this.stopped) return
    this.attempt = 0
    this._connected = true
    this.lastError = null
    const reconnect = this.everConnected
    this.everConnected = true
    this.options.log.info({ app: this.options.app, reconnect }, 'ARI connected')
    this.emit('connected', { reconnect })
  }

  private restartLater(): void {
    if (this.stopped) return
    const old = this.client
    this.client = null
    try { old?.stop() } catch { /* already closed */ }
    (old as unknown as EventEmitter | null)?.removeAllListeners()
    this.retryTimer = setTimeout(() => {
      this.connectOnce().catch((err: Error) => {
        if (err instanceof AriAuthError) { this.lastError = err; this.options.log.error({ err }, 'ARI credentials rejected'); return }
        this.noteFailure(err)
        this.restartLater()
      })
    }, this.nextDelay())
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    const client = this.client
    this.client = null
    this._connected = false
    if (client) {
      try { client.stop() } catch { /* already closed */ }
      (client as unknown as EventEmitter).removeAllListeners()
    }
  }
}
