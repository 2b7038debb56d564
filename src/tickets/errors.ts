/** Ticket errors: `HOTLINE_TICKET_<REASON>`, with the ids involved in `details`. */
import createError, { type FastifyErrorConstructor } from '@fastify/error'
import type { TicketRejection } from './model.ts'

export const TicketErrors = {
  notFound: createError<[string]>('HOTLINE_TICKET_NOT_FOUND', "no ticket '%s'", 404),
  illegalTransition: createError<[string]>('HOTLINE_TICKET_ILLEGAL_TRANSITION', '%s', 409),
  versionConflict: createError<[string, number, number]>('HOTLINE_TICKET_VERSION_CONFLICT', 'ticket %s is at version %d, not %d: it was changed meanwhile; reload it and try again', 409),
  forbidden: createError<[string]>('HOTLINE_TICKET_FORBIDDEN', '%s', 403),
  invalid: createError<[string]>('HOTLINE_TICKET_INVALID', '%s', 400),
  unitExists: createError<[string]>('HOTLINE_TICKET_UNIT_EXISTS', "unit '%s' already exists", 409),
  tooLarge: createError<[string]>('HOTLINE_TICKET_ATTACHMENT_TOO_LARGE', '%s', 413)
}

/** Attaches context the error handler passes to the client as `details`. */
export function withDetails<E extends Error>(error: E, details: Record<string, unknown>): E {
  return Object.assign(error, { details })
}

/** A rule's rejection as the HTTP error it stands for. */
export function rejectionError(rejection: TicketRejection, details: Record<string, unknown>): Error {
  const ctor: FastifyErrorConstructor<{ code: string }, [string]> =
    rejection.code === 'FORBIDDEN' ? TicketErrors.forbidden : rejection.code === 'INVALID' ? TicketErrors.invalid : TicketErrors.illegalTransition
  return withDetails(new ctor(rejection.message), details)
}
