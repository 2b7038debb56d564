/**
 * Least privilege of the local set-up (scripts/services.sh, dialplans/), tried as another local
 * process would: Redis answers nobody without its password (Socket.IO sessions and agent state
 * cannot be read or forged), and Asterisk has no AMI listening at all (no write=all user to
 * originate calls with).
 */
import { connect } from 'node:net'
import { Redis } from 'ioredis'
import t from 'tap'
import { testConfig } from '../../helpers/services.ts'

/** Sends raw RESP commands over TCP, as any local process could, and returns the first reply line of each. */
function redisRaw(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let buf = ''
    socket.setTimeout(3000, () => { socket.destroy(); reject(new Error(`no answer: ${buf}`)) })
    socket.on('data', (d) => {
      buf += String(d)
      const lines = buf.split('\r\n').filter(Boolean)
      if (lines.length >= commands.length) { socket.destroy(); resolve(lines.slice(0, commands.length)) }
    })
    socket.once('error', reject)
    socket.once('connect', () => socket.write(commands.map((c) => `${c}\r\n`).join('')))
  })
}

t.test('Redis requires its password; the URL the server is given carries it', async (t) => {
  const url = new URL(testConfig().REDIS_URL)
  t.ok(url.password.length >= 32, 'REDIS_URL has a password')
  const [ping, read, guess] = await redisRaw(Number(url.port), ['PING', 'GET hotline:agents:signed-in', 'AUTH guess'])
  t.match(ping, /^-NOAUTH/, 'without the password: NOAUTH')
  t.match(read, /^-NOAUTH/, 'no reads either')
  t.match(guess, /^-WRONGPASS/, 'a wrong password is refused')
  const server = new Redis(url.toString(), { maxRetriesPerRequest: 1 })
  t.teardown(() => server.disconnect())
  t.equal(await server.ping(), 'PONG', 'with it: PONG')
})

t.test('AMI is off: nothing listens on 5038', async (t) => {
  const result = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 5038 })
    socket.setTimeout(3000, () => { socket.destroy(); resolve('timeout') })
    socket.once('data', (d) => { socket.destroy(); resolve(`banner: ${String(d).trim()}`) })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
  t.equal(result, 'ECONNREFUSED', 'connection refused (it used to answer "Asterisk Call Manager")')
})
