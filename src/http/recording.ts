/**
 * Sends a recording stored on the PBX as a WAV download, streamed through ARI: the server keeps
 * no copy (no shared disk with Asterisk is assumed). Used by every route that hands out a
 * recording (calls, follow-up attempts), so they answer alike.
 */
import { Readable } from 'node:stream'
import type { ReadableStream } from 'node:stream/web'
import type { FastifyReply } from 'fastify'
import { AriNotFound } from '../pbx/ari/errors.ts'
import type { AriRest } from '../pbx/ari/rest.ts'

/** `notStored` makes the error for a recording the PBX does not have (a 404 of the caller's kind). */
export async function sendStoredRecording(reply: FastifyReply, rest: AriRest, name: string, notStored: () => Error): Promise<FastifyReply> {
  let file: Response
  try {
    file = await rest.storedRecordingFile(name)
  } catch (err) {
    if (err instanceof AriNotFound) throw notStored()
    throw err
  }
  reply.header('content-type', file.headers.get('content-type') ?? 'audio/wav')
  const length = file.headers.get('content-length')
  if (length) reply.header('content-length', length)
  reply.header('content-disposition', `attachment; filename="${name}.wav"`)
  return reply.send(Readable.fromWeb(file.body as ReadableStream))
}
