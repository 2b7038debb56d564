/**
 * Two or more server processes against the same PostgreSQL, Redis and Asterisk (issue 11): each
 * a spawnServer with its own node id and port; one holds the call-control lease.
 */
import type { Test } from 'tap'
import { ADMIN_PASSWORD, waitFor } from './hotline.ts'
import { api, spawnServer, type ServerProcess } from './server-process.ts'

export interface Node extends ServerProcess { nodeId: string }
export interface ClusterView { nodeId: string; role: 'holder' | 'standby'; holder: { nodeId: string; epoch: number } | null }

export const NODE_ENV = { HOTLINE_GREETING: 'sound:beep', HOTLINE_ADMIN_PASSWORD: ADMIN_PASSWORD }

export async function startNode(t: Test, nodeId: string, env: Record<string, string> = {}): Promise<Node> {
  const server = await spawnServer(t, { ...NODE_ENV, HOTLINE_NODE_ID: nodeId, ...env })
  await waitFor(`node ${nodeId} ready`, async () => (await api(server.url, 'GET', '/ready')).status === 200, 20000)
  return Object.assign(server, { nodeId })
}

export async function adminToken(url: string): Promise<string> {
  return (await api<{ token: string }>(url, 'POST', '/v1/auth/token', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body.token
}

export async function clusterView(node: ServerProcess, token: string): Promise<ClusterView> {
  const r = await api<ClusterView>(node.url, 'GET', '/v1/cluster', token)
  if (r.status !== 200) throw new Error(`GET /v1/cluster: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** Waits until `node` drives the calls and its Stasis websocket is up (its /ready says so). */
export async function waitHolder(node: ServerProcess, token: string, timeoutMs = 10000): Promise<ClusterView> {
  return waitFor(`node holds the lease`, async () => {
    const v = await clusterView(node, token).catch(() => null)
    if (v?.role !== 'holder') return undefined
    return (await api(node.url, 'GET', '/ready')).status === 200 ? v : undefined
  }, timeoutMs, 20)
}

/** An agent on a SIPp desk phone (registered elsewhere), signed in; ready when asked. Returns its token. */
export async function signInAgent(url: string, admin: string, id: string, seat: string, ready: boolean): Promise<string> {
  await api(url, 'POST', '/v1/users', admin, { id, displayName: `坐席${seat}`, role: 'agent', password: `${id}-password` })
  await api(url, 'PUT', `/v1/seats/${seat}`, admin, { agentId: id })
  const tok = (await api<{ token: string }>(url, 'POST', '/v1/auth/token', undefined, { username: id, password: `${id}-password` })).body.token
  const signIn = await api(url, 'POST', `/v1/agents/${id}/sign-in`, tok, { seat })
  if (signIn.status !== 200) throw new Error(`sign-in of ${id} failed: ${JSON.stringify(signIn.body)}`)
  if (ready && (await api(url, 'POST', `/v1/agents/${id}/ready`, tok)).status !== 200) throw new Error(`${id} not ready`)
  return tok
}
