/**
 * What the request log may show. Tokens never (headers, bodies, query strings); citizens' phone
 * numbers never in a logged URL (a search by caller number is personal data, GB/T 35273). The
 * user id is added by the auth gate once the token is verified.
 */
import type { FastifyServerOptions } from 'fastify'

/** Query parameters whose values are replaced by *** in every logged URL. */
export const REDACTED_QUERY_KEYS: readonly string[] = [
  'token', 'access_token', 'accessToken', 'refreshToken', 'refresh_token', 'password',
  'callerNumber', 'caller', 'phoneNumber', 'phone', 'number', 'calledNumber', 'mobile'
]

/** The URL with the values of sensitive query parameters replaced; the path is kept as it is. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = new URLSearchParams(url.slice(q + 1))
  let changed = false
  for (const key of [...new Set(params.keys())]) {
    if (REDACTED_QUERY_KEYS.some((k) => k.toLowerCase() === key.toLowerCase())) {
      params.set(key, '***')
      changed = true
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString().replace(/%2A/g, '*')}` : url
}

interface LoggedRequest { method: string; url: string; host?: string; hostname?: string; ip?: string; socket?: { remotePort?: number }; id?: string }

/** pino options for Fastify: level, redaction of secrets, and a request serializer that redacts the URL. */
export function loggerOptions(level: string, override?: boolean | object): FastifyServerOptions['logger'] {
  if (override === false) return false
  const base = {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.newPassword', '*.currentPassword', '*.token', '*.refreshToken'],
    serializers: {
      req(req: LoggedRequest) {
        return { method: req.method, url: redactUrl(req.url), host: req.host ?? req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort }
      }
    }
  }
  return typeof override === 'object' ? { ...base, ...override } : base
}
