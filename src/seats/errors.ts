import createError from '@fastify/error'

export const SeatErrors = {
  notASeat: createError<[string]>('HOTLINE_SEATS_NOT_A_SEAT', "no seat '%s' on the PBX (the seats are HOTLINE_SEATS and HOTLINE_WEB_SEATS)", 404),
  notAssigned: createError<[string]>('HOTLINE_SEATS_NOT_ASSIGNED', '%s', 403),
  badAssignment: createError<[string]>('HOTLINE_SEATS_BAD_ASSIGNMENT', '%s', 400),
  deskPhone: createError<[string]>('HOTLINE_SEATS_DESK_PHONE', "seat '%s' is a desk phone: its SIP account is provisioned in the phone by an administrator, never handed out", 409),
  noCredentials: createError<[string]>('HOTLINE_SEATS_NO_CREDENTIALS', '%s', 409)
}
