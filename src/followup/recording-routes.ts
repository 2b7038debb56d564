/**
 * A follow-up attempt's recording (the survey call: prompts and the citizen, recorded on its
 * own bridge), downloaded like a call's recording (GET /v1/calls/{id}/recording): the file
 * stays on the PBX and is streamed through ARI, so the server keeps no copy to lose or leak.
 * Supervisors and admins only: the ticket links the recording, the download is theirs.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearerSecurity, requireRole } from '../auth/plugin.ts'
import { sendStoredRecording } from '../http/recording.ts'
import type { AriRest } from '../pbx/ari/rest.ts'
import { FollowUpErrors } from './routes.ts'
import type { FollowUpStore } from './store.ts'
import { ErrorBody } from '../http/errors.ts'


export function followUpRecordingRoutes(deps: { store: FollowUpStore; rest: AriRest }): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/v1/follow-ups/attempts/:attemptId/recording', {
      preHandler: requireRole('supervisor', 'admin'),
      schema: {
        tags: ['follow-ups'], security: bearerSecurity, summary: "A follow-up attempt's recording (WAV), fetched from Asterisk through ARI",
        params: Type.Object({ attemptId: Type.String({ format: 'uuid' }) }), produces: ['audio/wav'],
        response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
      }
    }, async (request, reply) => {
      const { attemptId } = request.params
      const attempt = await deps.store.attemptRecording(attemptId)
      if (!attempt) throw new FollowUpErrors.notFound(`no dial attempt with id '${attemptId}'`)
      // Callbacks and unanswered attempts are not recorded here (a connected callback's
      // conversation is a call: GET /v1/calls/{id}/recording).
      if (!attempt.recordingName) throw new FollowUpErrors.notFound(`dial attempt '${attemptId}' has no recording`)
      // Linked but not on the PBX (the call never got far enough, or the file was removed).
      return sendStoredRecording(reply, deps.rest, attempt.recordingName,
        () => new FollowUpErrors.notFound(`the recording of dial attempt '${attemptId}' is not stored`))
    })
  }
}
