/**
 * Seats (desk phones and WebRTC seats), wired: who each is assigned to (PostgreSQL), the WebRTC
 * seats' SIP secrets (Redis) and their PJSIP auth on the PBX, the REST routes; the PBX's copy is
 * reconciled after every connect.
 */
import type { Logger } from 'pino'
import type { AuditLog } from '../audit/index.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Contribution } from '../domain/module.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import type { Redis } from '../redis/client.ts'
import { ariSeatAuth } from './pbx.ts'
import { seatRoutes } from './routes.ts'
import { SeatService } from './service.ts'
import { SeatAssignments, SeatSecrets } from './store.ts'

export interface Seats extends Contribution {
  seats: SeatService
}

export function createSeats(d: { config: Config; sql: Sql; redis: Redis; rest: AriRest; audit: AuditLog; log: Logger }): Seats {
  const log = d.log.child({ component: 'seats' })
  const seats = new SeatService({
    assignments: new SeatAssignments(d.sql), secrets: new SeatSecrets(d.redis), pbx: ariSeatAuth(d.rest), audit: d.audit,
    log, deskSeats: d.config.HOTLINE_SEATS, webSeats: d.config.HOTLINE_WEB_SEATS
  })
  return {
    seats,
    routes: [seatRoutes({ seats })],
    async pbxConnected(reconnect) {
      await seats.reconcilePbx()
        .then((r) => log.info({ ...r, reconnect }, 'web seat credentials reconciled with the PBX'))
        .catch((err) => log.error({ err }, 'reconciling web seat credentials failed'))
    }
  }
}
