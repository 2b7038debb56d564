/**
 * The outbound dialer's API errors, shared by follow-ups and callbacks. Their codes keep the
 * HOTLINE_FOLLOW_UP_ prefix the API has always sent for both (clients match on it).
 */
import createError from '@fastify/error'

export const DialerErrors = {
  invalid: createError<[string]>('HOTLINE_FOLLOW_UP_INVALID', '%s', 400),
  notFound: createError<[string]>('HOTLINE_FOLLOW_UP_NOT_FOUND', '%s', 404),
  conflict: createError<[string]>('HOTLINE_FOLLOW_UP_CONFLICT', '%s', 409)
}
