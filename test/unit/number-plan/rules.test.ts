import t from 'tap'
import { classifyNumber, dialTemplateProblem, numberPlanRefusal, parseNumberPlan, transferTargetRefusal, DEFAULT_NUMBER_PLAN } from '../../../src/number-plan/rules.ts'

t.test('numbers by kind', async (t) => {
  const table: [string, ReturnType<typeof classifyNumber>][] = [
    ['13800138000', 'mobile'], ['16612345678', 'mobile'], ['19912345678', 'mobile'], ['+8613800138000', 'mobile'], ['008613800138000', 'mobile'], ['8613800138000', 'mobile'],
    ['65123456', 'local'], ['6512345', 'local'],
    ['02165123456', 'domestic'], ['075512345678', 'domestic'], ['+862165123456', 'domestic'],
    ['110', 'service'], ['120', 'service'], ['12345', 'service'], ['95588', 'service'], ['96123', 'service'],
    ['4008123123', 'toll-free'], ['8008100100', 'toll-free'],
    ['16885678', 'premium'], ['1608123456', 'premium'], ['125901234', 'premium'],
    ['00447700900123', 'international'], ['+12025550123', 'international'], ['+447700900123', 'international'],
    ['138;x', null], ['abc', null], ['1', null], ['12345678901234567890123', null], ['0123', null]
  ]
  for (const [n, kind] of table) t.equal(classifyNumber(n), kind, `${n}: ${kind}`)
})

t.test('the default plan: local and mobile only', async (t) => {
  const plan = parseNumberPlan(DEFAULT_NUMBER_PLAN)
  t.equal(numberPlanRefusal(plan, '13800138000'), null)
  t.equal(numberPlanRefusal(plan, '65123456'), null)
  t.match(numberPlanRefusal(plan, '00447700900123'), /international/)
  t.match(numberPlanRefusal(plan, '16885678'), /premium/)
  t.match(numberPlanRefusal(plan, '02165123456'), /domestic number, outside the number plan \(local, mobile\)/)
  t.match(numberPlanRefusal(parseNumberPlan('local,mobile,domestic'), '02165123456'), null, 'a center may add long distance')
  t.throws(() => parseNumberPlan('local,moblie'), /unknown kind 'moblie'/)
})

t.test('transfer targets: emergency lines are service numbers; others pass the plan', async (t) => {
  const plan = parseNumberPlan(DEFAULT_NUMBER_PLAN)
  t.equal(transferTargetRefusal(plan, { number: '110', kind: 'emergency' }), null)
  t.equal(transferTargetRefusal(plan, { number: '65001234', kind: 'unit' }), null)
  t.match(transferTargetRefusal(plan, { number: '13800138000', kind: 'emergency' }), /not a service number/)
  t.match(transferTargetRefusal(plan, { number: '0044123456789', kind: 'unit' }), /international/)
})

t.test('dial templates: two shapes, a PBX trunk, the number placeholder', async (t) => {
  const trunks = ['trunk']
  const ok = ['PJSIP/{number}@{trunk}', 'PJSIP/{number}@trunk', 'PJSIP/{trunk}/sip:{number}@127.0.0.5:5090', 'PJSIP/trunk/sip:{number}@sbc.carrier.example']
  for (const tpl of ok) t.equal(dialTemplateProblem(tpl, 'trunk', trunks), null, tpl)
  const bad: [string, string, RegExp][] = [
    ['PJSIP/0044999{number}@{trunk}', 'trunk', /must be/],                     // a prefix in front of every number
    ['PJSIP/{number}@{trunk}&PJSIP/16885678@trunk', 'trunk', /must be/],       // a second, fixed destination
    ['Local/{number}@default', 'trunk', /must be/],                            // into the dialplan
    ['PJSIP/00441234567@trunk', 'trunk', /must be/],                           // no number placeholder
    ['PJSIP/{number}@1001', 'trunk', /'1001' is not one of the PBX's trunks/], // a seat
    ['PJSIP/{number}@{trunk}', 'evil', /'evil' is not one of the PBX's trunks/],
    ['PJSIP/trunk/sip:{number}@host;transport=tcp', 'trunk', /must be/],
    ['PJSIP/trunk/sip:00{number}@127.0.0.5', 'trunk', /must be/]
  ]
  for (const [tpl, id, why] of bad) t.match(dialTemplateProblem(tpl, id, trunks), why, tpl)
})
