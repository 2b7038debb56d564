/**
 * The one consumer of the Stasis app's event stream. Every event is routed once:
 * - StasisStart by its Stasis entry (the first app argument) to the capability that placed
 *   the channel there (ids.ts lists the entries);
 * - channel events (StasisEnd, ChannelDestroyed, DTMF) by the channel's id: ids this server
 *   made name their owner and call (ids.ts); channels Asterisk named (a citizen's inbound leg)
 *   are found through the call that adopted them;
 * - PlaybackFinished by the playback's id.
 * Events that belong to a call run in that call's lane, one at a time and in arrival order,
 * shared by everything that acts on a call (call flow, call control, callbacks), so a hang-up
 * never interleaves with an answer or a transfer half done.
 */
import type { Logger } from 'pino'
import { Lanes } from '../../domain/lanes.ts'
import type { AriChannel, AriEvent } from './events.ts'
import { parseChannelId, parsePlaybackId, type ChannelRef, type PlaybackRef } from './ids.ts'

export type ChannelEvent = Extract<AriEvent, { type: 'StasisEnd' | 'ChannelDestroyed' | 'ChannelDtmfReceived' }>
export type StasisStartEvent = Extract<AriEvent, { type: 'StasisStart' }>

/** A StasisStart for an entry; the handler takes the lane it needs (call lanes through AriRouter.inCallLane). */
export type EntryHandler = (channel: AriChannel, args: string[], event: StasisStartEvent) => Promise<void>
/** A channel event of a call's channel, in the call's lane. */
export type CallChannelHandler = (event: ChannelEvent, callId: string, ref: ChannelRef | null) => Promise<void>
/** A channel event of a channel the dialer or supervision made (not yet, or never, a call). */
export type OwnedChannelHandler = (event: ChannelEvent, ref: ChannelRef) => Promise<void>
export type PlaybackHandler = (ref: PlaybackRef, playbackId: string) => Promise<void>

type Owner = 'followup' | 'callback' | 'supervisor'

export class AriRouter {
  private readonly lanes = new Lanes()
  private readonly entries = new Map<string, EntryHandler>()
  private readonly callHandlers: CallChannelHandler[] = []
  private readonly owned = new Map<Owner, OwnedChannelHandler[]>()
  private readonly playbacks = new Map<PlaybackRef['kind'], PlaybackHandler>()
  private callOf: (channelId: string) => Promise<string | null> = async () => null
  private fallbackEntry: EntryHandler | null = null

  constructor(private readonly log: Logger) {}

  /** Work on a call that must not interleave with its events (and everything else done to it). */
  inCallLane<T>(callId: string, work: () => Promise<T>): Promise<T> {
    return this.lanes.run(callId, work)
  }

  /** Work on a channel that is not (yet) a call, e.g. a dialer attempt: keyed by channel id. */
  inChannelLane<T>(channelId: string, work: () => Promise<T>): Promise<T> {
    return this.lanes.run(`channel:${channelId}`, work)
  }

  onEntry(entry: string, handler: EntryHandler): void {
    if (this.entries.has(entry)) throw new Error(`AriRouter: Stasis entry '${entry}' has a handler already`)
    this.entries.set(entry, handler)
  }

  /** Entries nobody registered (a channel the dialplan sent without one). */
  onUnknownEntry(handler: EntryHandler): void {
    this.fallbackEntry = handler
  }

  /** The call flow tells the router which call owns a channel whose id Asterisk made. */
  resolveCallsWith(callOf: (channelId: string) => Promise<string | null>): void {
    this.callOf = callOf
  }

  /** Handlers run in registration order in the call's lane. */
  onCallChannel(handler: CallChannelHandler): void {
    this.callHandlers.push(handler)
  }

  onOwnedChannel(owner: Owner, handler: OwnedChannelHandler): void {
    this.owned.set(owner, [...(this.owned.get(owner) ?? []), handler])
  }

  onPlayback(kind: PlaybackRef['kind'], handler: PlaybackHandler): void {
    this.playbacks.set(kind, handler)
  }

  dispatch(event: AriEvent): Promise<void> {
    switch (event.type) {
      case 'StasisStart': {
        const entry = event.args[0]
        const handler = (entry === undefined ? undefined : this.entries.get(entry)) ?? this.fallbackEntry
        if (!handler) return Promise.resolve()
        return handler(event.channel, event.args.slice(1), event)
      }
      case 'StasisEnd':
      case 'ChannelDestroyed':
      case 'ChannelDtmfReceived':
        return this.routeChannel(event)
      case 'PlaybackFinished': {
        const ref = parsePlaybackId(event.playback.id)
        const handler = ref ? this.playbacks.get(ref.kind) : undefined
        return handler ? handler(ref!, event.playback.id) : Promise.resolve()
      }
      default:
        return Promise.resolve()
    }
  }

  private async routeChannel(event: ChannelEvent): Promise<void> {
    const ref = parseChannelId(event.channel.id)
    const work: Promise<void>[] = []
    if (ref && (ref.kind === 'followup' || ref.kind === 'callback' || ref.kind === 'supervisor' || ref.kind === 'snoop')) {
      const owner: Owner = ref.kind === 'snoop' ? 'supervisor' : ref.kind
      for (const h of this.owned.get(owner) ?? []) work.push(this.guard(h(event, ref), event, owner))
    }
    // A dialer channel becomes a call's channel once the citizen answers (adoption): both hear it.
    const callId = ref && 'callId' in ref ? ref.callId : ref?.kind === 'supervisor' || ref?.kind === 'snoop' ? null : await this.callOf(event.channel.id)
    if (callId) {
      work.push(this.lanes.run(callId, async () => {
        for (const h of this.callHandlers) await this.guard(h(event, callId, ref), event, 'call')
      }))
    }
    await Promise.all(work)
  }

  private guard(p: Promise<void>, event: AriEvent, owner: string): Promise<void> {
    return p.catch((err) => this.log.error({ err, type: event.type, owner }, 'ARI event handling failed'))
  }

  /** Resolves when every lane has drained. */
  idle(): Promise<void> {
    return this.lanes.idle()
  }
}
