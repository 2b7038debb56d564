// @ts-check
// The call's media state, judged from WebRTC statistics once a second. Pure: the panel feeds it
// what getStats() and the call say; the rule is here so it reads in one place.

/** How long ICE may take before "connecting" becomes "no audio": loopback and LAN connect in well under a second. */
export const CONNECT_GRACE_MS = 5000
/** Silence on a connected transport for this long (no RTP packet at all, not quiet speech) is "no audio". */
export const SILENCE_MS = 3000

/**
 * @param {{ legConnected: boolean; hasMedia: boolean; ice: string | null; msSinceStart: number; msSinceAudio: number }} m
 *   legConnected: the seat is in the call (false while the server redials it after a drop);
 *   hasMedia: a peer connection exists; msSinceAudio: since the last new RTP packet arrived (or since start, before the first).
 * @returns {import('../src/realtime/contract.ts').MediaState}
 */
export function judgeMedia(m) {
  if (!m.legConnected) return 'reconnecting'
  if (!m.hasMedia) return 'reconnecting'
  if (m.ice === 'failed' || m.ice === 'closed') return 'no-audio'
  if (m.ice === 'disconnected') return 'reconnecting'
  if (m.ice === 'new' || m.ice === 'checking') return m.msSinceStart > CONNECT_GRACE_MS ? 'no-audio' : 'connecting'
  // ICE connected or completed: audio is flowing while packets keep arriving.
  if (m.msSinceAudio <= SILENCE_MS) return 'connected'
  return m.msSinceStart > SILENCE_MS ? 'no-audio' : 'connecting'
}
