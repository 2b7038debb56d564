/**
 * ARI REST commands over fetch. ari-client's generated operations reject with a bare Error
 * whose text is the response body, losing the HTTP status; call control must tell "channel
 * already gone" (404, a normal race with a caller hanging up) from real failures, so commands
 * go straight to the documented REST endpoints and keep the status.
 */
import { AriAuthError, AriError, AriNotFound, AriUnreachable } from './errors.ts'
import type { AriBridge, AriChannel } from './events.ts'

export interface AriRestOptions {
  url: string
  user: string
  password: string
  /** Per-request limit; Asterisk answers loopback commands in a few ms. */
  timeoutMs?: number
}

type Query = Record<string, string | number | boolean | undefined>

/**
 * "POST /channels/{id}/play/{id}": the request's route with every id replaced, so requests of
 * one kind count together however many channels, bridges and playbacks there are.
 */
export function ariRoute(method: string, path: string): string {
  const parts = path.split('/')
  const out = parts.map((p, i) => {
    const before = parts[i - 1]
    if (p === '' || before === undefined) return p
    if (ID_AFTER.has(before)) return '{id}'
    // /endpoints/{tech}/{resource} and /asterisk/config/dynamic/{class}/{type}/{id}: the last one only
    if ((parts[1] === 'endpoints' && i === 3) || (parts[2] === 'config' && i === 6)) return '{id}'
    return p
  })
  return `${method} ${out.join('/')}`
}

/** Path segments followed by an id of our own or Asterisk's. */
const ID_AFTER = new Set(['channels', 'bridges', 'playbacks', 'live', 'stored', 'play', 'snoop', 'deviceStates'])

export class AriRest {
  private readonly base: string
  private readonly auth: string
  private readonly timeoutMs: number
  /** Requests sent, by route (ariRoute): exposed on /metrics as hotline_ari_requests_total. */
  readonly requestCounts = new Map<string, number>()

  constructor(options: AriRestOptions) {
    this.base = options.url.replace(/\/+$/, '') + '/ari'
    this.auth = 'Basic ' + Buffer.from(`${options.user}:${options.password}`).toString('base64')
    this.timeoutMs = options.timeoutMs ?? 5000
  }

  async request<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, query, body)
    if (res.status === 204) return undefined as T
    const text = await res.text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** The raw response, for streaming recordings; throws on any non-2xx status. */
  async raw(method: string, path: string, query: Query = {}, body?: unknown): Promise<Response> {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, String(v))
    const qs = search.toString()
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`
    const route = ariRoute(method, path)
    this.requestCounts.set(route, (this.requestCounts.get(route) ?? 0) + 1)
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: this.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
    } catch (cause) {
      throw new AriUnreachable(`Asterisk ARI did not answer ${method} ${path}`, null, { url: this.base }, { cause })
    }
    if (res.ok) return res
    const text = await res.text().catch(() => '')
    let message = text
    try { message = (JSON.parse(text) as { message?: string }).message ?? text } catch { /* body was not JSON */ }
    const details = { method, path, status: res.status }
    if (res.status === 401) throw new AriAuthError(`ARI rejected the credentials of user (${message || 'unauthorized'})`, 401, details)
    if (res.status === 404) throw new AriNotFound(`${method} ${path}: ${message || 'not found'}`, 404, details)
    throw new AriError(`${method} ${path} failed with ${res.status}: ${message}`, res.status, details)
  }

  /** status.startup_time tells a restarted PBX from a connection that merely dropped. */
  info(): Promise<{ system: { version: string; entity_id: string }; status?: { startup_time?: string } }> {
    return this.request('GET', '/asterisk/info')
  }

  answer(channelId: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/answer`)
  }

  ring(channelId: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/ring`)
  }

  hangup(channelId: string, reason: 'normal' | 'busy' | 'congestion' | 'no_answer' | 'timeout' | 'rejected' | 'answered_elsewhere' = 'normal'): Promise<void> {
    return this.request('DELETE', `/channels/${enc(channelId)}`, { reason })
  }

  play(channelId: string, media: string, playbackId: string): Promise<{ id: string }> {
    return this.request('POST', `/channels/${enc(channelId)}/play/${enc(playbackId)}`, { media })
  }

  playOnBridge(bridgeId: string, media: string, playbackId: string): Promise<{ id: string }> {
    return this.request('POST', `/bridges/${enc(bridgeId)}/play/${enc(playbackId)}`, { media })
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.request('DELETE', `/playbacks/${enc(playbackId)}`)
  }

  startChannelMoh(channelId: string, mohClass: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/moh`, { mohClass })
  }

  stopChannelMoh(channelId: string): Promise<void> {
    return this.request('DELETE', `/channels/${enc(channelId)}/moh`)
  }

  hold(channelId: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/hold`)
  }

  unhold(channelId: string): Promise<void> {
    return this.request('DELETE', `/channels/${enc(channelId)}/hold`)
  }

  mute(channelId: string, direction: 'in' | 'out' | 'both' = 'in'): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/mute`, { direction })
  }

  unmute(channelId: string, direction: 'in' | 'out' | 'both' = 'in'): Promise<void> {
    return this.request('DELETE', `/channels/${enc(channelId)}/mute`, { direction })
  }

  sendDtmf(channelId: string, dtmf: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/dtmf`, { dtmf })
  }

  getChannel(channelId: string): Promise<AriChannel> {
    return this.request('GET', `/channels/${enc(channelId)}`)
  }

  listChannels(): Promise<AriChannel[]> {
    return this.request('GET', '/channels')
  }

  getVariable(channelId: string, variable: string): Promise<{ value: string }> {
    return this.request('GET', `/channels/${enc(channelId)}/variable`, { variable })
  }

  setVariable(channelId: string, variable: string, value: string): Promise<void> {
    return this.request('POST', `/channels/${enc(channelId)}/variable`, { variable, value })
  }

  /**
   * Originates with an id we chose, so listeners can be in place before the first event.
   * The channel enters Stasis (our app, with appArgs) only when the far end answers.
   */
  originate(params: {
    channelId: string
    endpoint: string
    app: string
    appArgs: string
    callerId?: string
    timeoutSeconds: number
    variables?: Record<string, string>
    originator?: string
  }): Promise<AriChannel> {
    return this.request('POST', `/channels/${enc(params.channelId)}`, {
      endpoint: params.endpoint,
      app: params.app,
      appArgs: params.appArgs,
      callerId: params.callerId,
      timeout: params.timeoutSeconds,
      originator: params.originator
    }, params.variables ? { variables: params.variables } : undefined)
  }

  /** Creates the bridge, or returns it when it exists (Asterisk 22 answers 409 to a second create). */
  async createBridge(bridgeId: string, type: string, name?: string): Promise<AriBridge> {
    try {
      return await this.request<AriBridge>('POST', `/bridges/${enc(bridgeId)}`, { type, name })
    } catch (err) {
      if (err instanceof AriError && err.status === 409) return this.getBridge(bridgeId)
      throw err
    }
  }

  getBridge(bridgeId: string): Promise<AriBridge> {
    return this.request('GET', `/bridges/${enc(bridgeId)}`)
  }

  listBridges(): Promise<AriBridge[]> {
    return this.request('GET', '/bridges')
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.request('DELETE', `/bridges/${enc(bridgeId)}`)
  }

  addToBridge(bridgeId: string, channelIds: string[], options: { role?: string; absorbDTMF?: boolean; mute?: boolean } = {}): Promise<void> {
    return this.request('POST', `/bridges/${enc(bridgeId)}/addChannel`, { channel: channelIds.join(','), ...options })
  }

  /**
   * Takes channels out of a bridge. Asterisk answers 422 when a channel is not in that bridge:
   * what the caller wanted (the channel out of it) is already true, so that is success.
   */
  async removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    try {
      await this.request('POST', `/bridges/${enc(bridgeId)}/removeChannel`, { channel: channelIds.join(',') })
    } catch (err) {
      if (err instanceof AriError && err.status === 422) return
      throw err
    }
  }

  startBridgeMoh(bridgeId: string, mohClass: string): Promise<void> {
    return this.request('POST', `/bridges/${enc(bridgeId)}/moh`, { mohClass })
  }

  stopBridgeMoh(bridgeId: string): Promise<void> {
    return this.request('DELETE', `/bridges/${enc(bridgeId)}/moh`)
  }

  recordBridge(bridgeId: string, name: string, format = 'wav'): Promise<{ name: string }> {
    return this.request('POST', `/bridges/${enc(bridgeId)}/record`, { name, format, ifExists: 'overwrite', beep: false, terminateOn: 'none' })
  }

  /** Records a channel (a snoop, typically) until it hangs up or the recording is stopped. */
  recordChannel(channelId: string, name: string, format = 'wav'): Promise<{ name: string }> {
    return this.request('POST', `/channels/${enc(channelId)}/record`, { name, format, ifExists: 'overwrite', beep: false, terminateOn: 'none' })
  }

  /** Stops a live recording; 409 ("not in session") means it has already ended, which is the goal. */
  async stopRecording(name: string): Promise<void> {
    try {
      await this.request('POST', `/recordings/live/${enc(name)}/stop`)
    } catch (err) {
      if (err instanceof AriError && err.status === 409) return
      throw err
    }
  }

  storedRecording(name: string): Promise<{ name: string; format: string }> {
    return this.request('GET', `/recordings/stored/${enc(name)}`)
  }

  /** The recording's bytes, streamed from Asterisk: no shared disk is assumed. */
  storedRecordingFile(name: string): Promise<Response> {
    return this.raw('GET', `/recordings/stored/${enc(name)}/file`)
  }

  snoop(channelId: string, params: { snoopId: string; app: string; appArgs: string; spy: 'none' | 'both' | 'out' | 'in'; whisper: 'none' | 'both' | 'out' | 'in' }): Promise<AriChannel> {
    return this.request('POST', `/channels/${enc(channelId)}/snoop/${enc(params.snoopId)}`, {
      app: params.app, appArgs: params.appArgs, spy: params.spy, whisper: params.whisper
    })
  }

  endpoint(tech: string, resource: string): Promise<{ technology: string; resource: string; state: string; channel_ids: string[] }> {
    return this.request('GET', `/endpoints/${enc(tech)}/${enc(resource)}`)
  }
}

const enc = encodeURIComponent
