/**
 * PostgreSQL refusing the call's answer write does not strand anyone: the caller and the agent
 * are connected, the agent's state follows the call (talking, wrap-up, ready) and the agent can
 * sign out afterwards; the refused record lands once PostgreSQL takes it again. Before, the
 * failed write stopped the answer half-way: the agent stayed 'offered' for ever, and sign-out,
 * force sign-out and ready were all refused. The failure is real: a trigger in the test's own
 * database refuses the update that records the answer, for as long as the test keeps it.
 */
import t from 'tap'
import { seatPassword } from '../../../src/auth/seat-credentials.ts'
import { ADMIN_PASSWORD, agentCommand, createAgent, ownerSql, startHotline, tokenFor, waitFor } from '../../helpers/hotline.ts'
import { callFromCarrier, registerSeats, startAgentPhone } from '../../helpers/sipp.ts'

t.test('a refused write at answer time: the call goes on, the agent is never stuck, the record catches up', async (t) => {
  const hotline = await startHotline(t, { HOTLINE_GREETING: 'none' })
  const sql = ownerSql(t) // the schema owner: the server's role may not truncate or add triggers
  const refuse = async () => {
    await sql`create or replace function test_refuse_answer() returns trigger language plpgsql as $$ begin raise exception 'test: the answer write is refused'; end $$`
    await sql`create trigger test_refuse_answer before update on calls for each row when (new.answered_at is not null and old.answered_at is null) execute function test_refuse_answer()`
  }
  const accept = async () => {
    await sql`drop trigger if exists test_refuse_answer on calls`
    await sql`drop function if exists test_refuse_answer()`
  }
  await accept()
  t.teardown(accept)
  const admin = await tokenFor(hotline, 'admin', ADMIN_PASSWORD)
  const token = await createAgent(hotline, admin, 'A6001', { seat: '1006' })
  const state = async () => ((await hotline.app.inject({ method: 'GET', url: '/v1/agents/me/state', headers: { authorization: `Bearer ${token}` } })).json() as { state: string }).state
  await registerSeats([{ seat: '1006', password: seatPassword(hotline.config.HOTLINE_SEAT_SECRET, '1006') }], 5078)
  startAgentPhone(t, 'uas-agent-answers.xml', 5078, { RING_MS: 200, TALK_MS: 4000 }, 1, 60)
  await agentCommand(hotline, token, 'me', 'sign-in', { seat: '1006' })
  await agentCommand(hotline, token, 'me', 'ready')

  await refuse()
  const caller = callFromCarrier('uac-caller-talks-then-waits-bye.xml', '12345', ['13800138066'], { MAX_WAIT_MS: 30000 }, { timeoutS: 45 })
  t.equal(await waitFor('the agent talking', async () => ((await state()) === 'talking' ? 'talking' : undefined), 15000), 'talking',
    'the agent answered and is talking although PostgreSQL refused the answer')
  const [row] = await sql<{ id: string; answeredAt: Date | null }[]>`select id, answered_at from calls where caller_number = '13800138066'`
  t.equal(row?.answeredAt, null, 'the answer is not in PostgreSQL yet')

  await accept()
  const answered = await waitFor('the refused record written once PostgreSQL takes it', async () => {
    const [r] = await sql<{ answeredAt: Date | null; agentId: string | null }[]>`select answered_at, agent_id from calls where id = ${row!.id}`
    return r?.answeredAt ? r : undefined
  }, 15000, 100)
  t.equal(answered.agentId, 'A6001', 'with the agent')

  t.equal((await caller.done).code, 0, 'the caller talked until the agent hung up')
  const ended = await waitFor('the call record closed', async () => {
    const [r] = await sql<{ outcome: string; endedBy: string }[]>`select outcome, ended_by from calls where id = ${row!.id} and ended_at is not null`
    return r
  }, 15000)
  t.match(ended, { outcome: 'answered', endedBy: 'agent' })
  const log = await sql<{ event: string }[]>`select event from queue_log where call_id = ${row!.id} order by id`
  t.same(log.map((l) => l.event), ['entered', 'offered', 'answered', 'completed'], 'the queue log in order, the kept write in its place')
  await waitFor('the agent back from wrap-up', async () => ((await state()) === 'ready' ? 'ready' : undefined), 10000)
  t.match(await agentCommand(hotline, token, 'me', 'sign-out'), { state: 'signed-out' }, 'the agent can sign out')
})
