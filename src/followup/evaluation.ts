/**
 * The survey's hand-off to the ticket: what the citizen hears first about their matter, and the
 * three answers written to the ticket as its evaluation, tied to the attempt.
 */
import type { Logger } from 'pino'
import type { AttemptOutcome } from '../dialer/model.ts'
import type { AttemptRow } from '../dialer/store.ts'
import type { Actor } from '../tickets/model.ts'
import type { TicketService } from '../tickets/service.ts'
import type { SurveyAnswers } from './rules.ts'
import type { FollowUpStore } from './store.ts'

export const DIALER_ACTOR: Actor = { id: 'follow-up-dialer', role: 'system', unitId: null }

/** Matters with a prompt of their own (dialplans/prompts/zh.tsv: survey-matter-<code>). */
const MATTER_PROMPTS = new Set(['policy-inquiry', 'city-management', 'transport', 'environment', 'market-regulation', 'housing', 'social-security', 'education', 'health'])

/** The survey's opening prompts: the center, then the ticket's matter. */
export function surveyOpening(categoryCode: string): string[] {
  const matter = MATTER_PROMPTS.has(categoryCode) ? `survey-matter-${categoryCode}` : 'survey-matter-other'
  return ['sound:hotline/survey-center', `sound:hotline/${matter}`]
}

/**
 * The citizen's three answers go to the ticket, tied to this attempt; the ticket's own rule
 * (the same as for an agent's record) reopens it when unsatisfied or not solved.
 */
export async function recordEvaluation(
  deps: { tickets: TicketService; store: FollowUpStore; log: Logger },
  attempt: AttemptRow, ticketId: string, answers: SurveyAnswers, digits: string, recordingName: string
): Promise<AttemptOutcome> {
  const { tickets, log } = deps
  let outcome: AttemptOutcome = 'evaluated'
  try {
    await tickets.linkCall(ticketId, attempt.id, recordingName)
    for (let i = 0; ; i += 1) {
      const ticket = await tickets.get(ticketId, DIALER_ACTOR)
      try {
        await tickets.act(ticket.id, ticket.version, {
          type: 'evaluate', result: answers.result, process: answers.process, solved: answers.solved, digits, method: 'phone-dtmf', attemptId: attempt.id
        }, DIALER_ACTOR)
        break
      } catch (err) {
        // Someone changed the ticket between our read and write: read again, once or twice.
        if ((err as { code?: string }).code === 'HOTLINE_TICKET_VERSION_CONFLICT' && i < 2) continue
        throw err
      }
    }
    log.info({ ticketId, ...answers, digits, taskId: attempt.taskId }, 'follow-up evaluation recorded')
  } catch (err) {
    outcome = 'ticket-changed'
    log.warn({ ticketId, err: (err as Error).message }, 'evaluation could not be written to the ticket')
  }
  // The answer is on the attempt at once (the progress figures); the attempt finishes when the call does.
  await deps.store.recordAnswer(attempt.id, answers.result, digits)
  return outcome
}
