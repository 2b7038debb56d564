/**
 * Security headers (@fastify/helmet) for the API and the three pages, and the optional TLS of
 * the listener. Certificates are the operator's (HOTLINE_TLS_CERT / HOTLINE_TLS_KEY, PEM
 * files): the server never makes its own.
 */
import { readFileSync } from 'node:fs'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

export interface TlsFiles { cert: Buffer; key: Buffer }

/** Reads the operator's certificate and key; null when TLS is not configured. */
export function readTlsFiles(certPath: string | undefined, keyPath: string | undefined): TlsFiles | null {
  if (!certPath || !keyPath) return null
  return { cert: readFileSync(certPath), key: readFileSync(keyPath) }
}

/**
 * `connectSources`: origins the pages may open connections to besides their own (the PBX's SIP
 * over WebSocket for the browser phone). Plain HTTP keeps requests as they are; with TLS the
 * pages also upgrade any http:// reference and browsers remember HTTPS (HSTS).
 */
export async function registerSecurityHeaders(app: FastifyInstance, opts: { connectSources: string[]; tls: boolean }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'", ...opts.connectSources],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        mediaSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: opts.tls ? [] : null
      }
    },
    strictTransportSecurity: opts.tls ? { maxAge: 180 * 86400, includeSubDomains: false } : false
  })
}
