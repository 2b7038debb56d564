import createError from '@fastify/error'

export const AgentErrors = {
  invalidTransition: createError<[string]>('HOTLINE_AGENTS_INVALID_TRANSITION', '%s', 409),
  unknownReason: createError<[string]>('HOTLINE_AGENTS_UNKNOWN_REASON', '%s', 400),
  noSuchAgent: createError<[string]>('HOTLINE_AGENTS_NO_SUCH_AGENT', "no agent with id '%s'", 404),
  noSuchSeat: createError<[string]>('HOTLINE_AGENTS_NO_SUCH_SEAT', "no seat '%s' on the PBX", 404),
  seatTaken: createError<[string, string]>('HOTLINE_AGENTS_SEAT_TAKEN', "seat '%s' is signed in by agent '%s'", 409),
  busy: createError<[string]>('HOTLINE_AGENTS_BUSY', 'agent %s changed concurrently too often; try again', 503)
}
