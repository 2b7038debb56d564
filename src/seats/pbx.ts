/**
 * A web seat's SIP credentials on the PBX, through ARI push configuration: the seat's auth object
 * lives in sorcery's memory wizard (dialplans/sorcery.conf), created at sign-in with that sign-in's
 * password and deleted at sign-out. Without the object Asterisk has nothing to check a digest
 * against, so no REGISTER for the seat succeeds, whatever password an earlier sign-in gave out.
 */
import { ignoreGone } from '../pbx/ari/errors.ts'
import type { AriRest } from '../pbx/ari/rest.ts'

export interface SeatAuthPort {
  set(seat: string, password: string): Promise<void>
  remove(seat: string): Promise<void>
}

export function ariSeatAuth(rest: AriRest): SeatAuthPort {
  const path = (seat: string) => `/asterisk/config/dynamic/res_pjsip/auth/${encodeURIComponent(seat)}`
  return {
    async set(seat, password) {
      // PUT creates the object, or replaces its fields when it exists (a re-push after a restart).
      await rest.request('PUT', path(seat), {}, {
        fields: [
          { attribute: 'auth_type', value: 'userpass' },
          { attribute: 'username', value: seat },
          { attribute: 'password', value: password }
        ]
      })
    },
    async remove(seat) {
      await ignoreGone(rest.request('DELETE', path(seat)))
    }
  }
}
