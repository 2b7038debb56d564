/**
 * What a capability contributes to the server. Every capability's `index.ts` builds its own
 * stores and services from the adapters it is given and returns one of these (plus the services
 * other capabilities use); the composition root (app.ts) registers the routes, hands the
 * Socket.IO server to `sockets`, and calls the life-cycle hooks in its start and close order.
 * ARI handlers and event subscriptions are registered by the index itself, on the AriRouter and
 * the emitters it is handed, so that what a capability listens to is written in one place.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Server } from 'socket.io'

export interface Contribution {
  /** Fastify plugins with the capability's REST routes and pages, registered in this order. */
  routes?: readonly FastifyPluginAsync[]
  /**
   * Namespaces and socket handlers, given the realtime server once it exists: its Socket.IO
   * instance and (typed by the capability that needs it) its socket-session guard.
   */
  sockets?(realtime: { io: Server }): void
  /** Before the PBX connects: re-read records, arm timers. */
  start?(): Promise<void> | void
  /** Each time the PBX (re)connects: reconcile what this capability holds with the PBX. */
  pbxConnected?(reconnect: boolean): Promise<void>
  /** On the periodic sweep (HOTLINE_RECONCILE_S) and after a connect: repair what an event gap left. */
  reconcile?(): Promise<void>
  /** On shutdown: undo start. */
  stop?(): Promise<void> | void
}
