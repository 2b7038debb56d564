/**
 * The number plan for calls the center places (follow-ups 回访, callbacks, transfers): which kinds
 * of numbers may be dialled out at all. A caller id is whatever the caller's network says, so a
 * callback or follow-up to it must never reach an international or premium-rate number (toll
 * fraud: book a callback from such a number, the center pays for the call).
 *
 * Kinds, by the mainland China numbering plan (a leading +86 / 0086 is the country's own prefix
 * and is read past):
 *   mobile         11 digits: 13x, 14x, 15x, 162/165/166/167, 17x, 18x, 19x
 *   local          a landline of this area, 7 or 8 digits (not starting 0 or 1)
 *   domestic       a landline with its area code: 0 + 2-3 digit code + 7-8 digits (10–12 digits)
 *   service        short service and emergency numbers: 110, 119, 120, 122, 12345, 95588, 96xxx (3–5 digits)
 *   toll-free      400 and 800 numbers (10 digits)
 *   premium        information services billed above the call: 160x, 168x, 1259x
 *   international  00 or + followed by another country
 */
export const NUMBER_KINDS = ['mobile', 'local', 'domestic', 'service', 'toll-free', 'premium', 'international'] as const
export type NumberKind = (typeof NUMBER_KINDS)[number]

/** Kinds that may be dialled out. */
export type NumberPlan = ReadonlySet<NumberKind>

export const DEFAULT_NUMBER_PLAN = 'local,mobile'

/** "local,mobile" → the plan; unknown kinds are an error (a typo must not open or close a door silently). */
export function parseNumberPlan(spec: string): NumberPlan {
  const kinds = spec.split(',').map((k) => k.trim()).filter(Boolean)
  for (const k of kinds) if (!(NUMBER_KINDS as readonly string[]).includes(k)) throw new Error(`number plan: unknown kind '${k}' (known: ${NUMBER_KINDS.join(', ')})`)
  return new Set(kinds as NumberKind[])
}

/** The kind of a number, or null when it is not a number one could dial (letters, separators, too long). */
export function classifyNumber(raw: string): NumberKind | null {
  if (!/^\+?\d{2,20}$/.test(raw)) return null
  let n = raw
  const national = (rest: string) => (rest.startsWith('1') ? rest : `0${rest}`)   // +86 21 … is 021 …
  if (n.startsWith('+86')) n = national(n.slice(3))
  else if (n.startsWith('0086')) n = national(n.slice(4))
  else if (n.startsWith('+') || n.startsWith('00')) return 'international'
  else if (/^86(1[3-9]\d{9})$/.test(n)) n = n.slice(2)
  if (/^(160|168|1259)\d*$/.test(n)) return 'premium'
  if (/^1(3\d|4\d|5\d|6[2567]|7\d|8\d|9\d)\d{8}$/.test(n)) return 'mobile'
  if (/^(400|800)\d{7}$/.test(n)) return 'toll-free'
  if (/^0[1-9]\d{8,10}$/.test(n)) return 'domestic'
  if (/^[2-9]\d{6,7}$/.test(n)) return 'local'
  if (/^(1\d{2,4}|9[56]\d{3})$/.test(n)) return 'service'
  return null
}

/** May this number be dialled out under this plan? Returns the refusal's reason, or null when it may. */
export function numberPlanRefusal(plan: NumberPlan, number: string): string | null {
  const kind = classifyNumber(number)
  if (kind === null) return `'${number}' is not a dialable number`
  if (!plan.has(kind)) return `'${number}' is a ${kind} number, outside the number plan (${[...plan].join(', ') || 'nothing'})`
  return null
}

/**
 * A dialer trunk's dial template, checked before an administrator's change is saved. Two shapes
 * only, both with the number placeholder and a PJSIP endpoint that is one of the PBX's trunks
 * (`{trunk}` stands for the dialer trunk's own id):
 *   PJSIP/{number}@<trunk>                      the number at the trunk's contact
 *   PJSIP/<trunk>/sip:{number}@<host>[:port]    the number at a fixed carrier address, through the trunk
 * Anything else (another technology, a seat, Local/ channels into the dialplan, a second number, a
 * dial string with options) is refused: the template decides where every follow-up and callback goes.
 */
export function dialTemplateProblem(template: string, trunkId: string, pbxTrunks: readonly string[]): string | null {
  const atTrunk = /^PJSIP\/\{number\}@(\{trunk\}|[A-Za-z0-9_-]{1,40})$/.exec(template)
  const viaTrunk = /^PJSIP\/(\{trunk\}|[A-Za-z0-9_-]{1,40})\/sip:\{number\}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$/.exec(template)
  const match = atTrunk ?? viaTrunk
  if (!match) return 'the dial template must be PJSIP/{number}@<trunk> or PJSIP/<trunk>/sip:{number}@<host>[:port]'
  const endpoint = match[1] === '{trunk}' ? trunkId : match[1]!
  if (!pbxTrunks.includes(endpoint)) return `'${endpoint}' is not one of the PBX's trunks (${pbxTrunks.join(', ')})`
  return null
}

/**
 * A configured transfer target against the plan: an emergency target must be a service number
 * (110, 119, 120, 122 …, always allowed), any other must pass the plan like every number dialled.
 */
export function transferTargetRefusal(plan: NumberPlan, target: { number: string; kind: 'emergency' | 'unit' }): string | null {
  if (target.kind === 'emergency') return classifyNumber(target.number) === 'service' ? null : `emergency target '${target.number}' is not a service number`
  return numberPlanRefusal(plan, target.number)
}
