// @ts-check
// The agent panel's texts (the lookup itself is shared: /shared/i18n.js). zh-CN is the default
// (the centers' working language); English complete for trainers and vendors. Keys are English
// phrases in kebab form; test/unit/pages/texts.test.ts checks both tables have the same keys.
import { useTexts } from '/shared/i18n.js'
export { currentLang, errorText, setLang, t, translatePage } from '/shared/i18n.js'

/** @type {import('../public/shared/i18n.js').Texts} */
export const TEXTS = {
  'zh-CN': {
    title: '12345 热线坐席工作台', login: '登录', username: '工号', password: '密码', logout: '退出',
    seat: '座席号', 'sign-in': '签入', 'sign-out': '签出', ready: '示闲', 'not-ready': '示忙', reason: '示忙原因',
    'state.signed-out': '未签入', 'state.ready': '空闲', 'state.not-ready': '示忙', 'state.offered': '振铃', 'state.talking': '通话中',
    'state.on-hold': '保持中', 'state.wrap-up': '话后整理',
    answer: '接听', hangup: '挂断', hold: '保持', unhold: '取回', mute: '静音', unmute: '取消静音', dtmf: '按键', send: '发送',
    transfer: '转接', 'blind-transfer': '直接转', consult: '咨询', 'consult-complete': '完成转接', 'consult-cancel': '取消咨询',
    'transfer-target': '转接目标', 'wrap-up-left': '整理剩余', extend: '延长30秒', seconds: '秒',
    'sip.registered': '话机已注册', 'sip.unregistered': '话机未注册', 'sip.connecting': '话机连接中', 'socket.online': '服务在线', 'socket.offline': '服务断开',
    'pop.title': '来电信息', 'pop.empty': '暂无来电', caller: '来电号码', line: '呼入线路', queue: '队列', wait: '等待时长', 'call-id': '通话编号',
    'repeat-caller': '重复来电', 'earlier-tickets': '历史工单', 'no-tickets': '无历史工单', open: '未办结', closed: '已办结',
    'ticket.title': '工单受理', category: '诉求类别', urgency: '紧急程度', content: '诉求内容', address: '事发地址', recording: '录音',
    'resolved-on-call': '即办（电话中已解答）', dispatch: '派单', 'lead-unit': '承办单位', save: '保存工单', saved: '工单已保存',
    'search.title': '工单查询', 'search.number': '来电号码', search: '查询', 'search.none': '没有找到工单',
    'urgency.normal': '一般', 'urgency.urgent': '紧急', 'urgency.very-urgent': '特急',
    'status.accepted': '已受理', 'status.dispatched': '已派单', 'status.signed-for': '已签收', 'status.replied': '已答复', 'status.returned': '已退单',
    'status.closed': '已办结', 'status.reopened': '重办中',
    'reason.break': '小休', 'reason.meal': '用餐', 'reason.training': '培训', 'reason.meeting': '会议', 'reason.restroom': '洗手间', 'reason.other': '其他',
    'reason.signed-in': '刚签入', 'reason.missed-call': '未接来电', 'reason.forced-by-supervisor': '班长置忙', 'reason.pbx-lost': '交换机断开', 'reason.no-audio': '无语音',
    'same-category': '同类诉求', ringing: '来电振铃', talking: '通话中', 'consult.ringing': '咨询呼叫中', 'consult.talking': '咨询通话中',
    'call-ended': '通话已结束', transferred: '已转出',
    'rejoin.waiting': '话机已断开，来电方正在听等待音乐', 'rejoin.dialling': '正在重新接入通话…', 'rejoin.done': '已重新接入通话', 'choose': '请选择', 'number': '编号', 'created': '受理时间', 'status': '状态',
    'co-units': '协办单位', 'contact-allowed': '同意承办单位联系（否则对单位隐藏号码）', 'merge-into': '并入工单', link: '并入此单', 'status.merged': '已并单',
    'followup.title': '回访（坐席代录）', 'followup.reply': '承办单位答复', 'followup.process': '办理过程满意度', 'followup.result': '办理结果满意度', 'followup.solved': '问题是否解决',
    'followup.record': '记录群众评价', 'followup.marked': '评价将标记为坐席代录，并关联本次回访通话', 'followup.saved': '评价已记录',
    'eval.satisfied': '满意', 'eval.basically-satisfied': '基本满意', 'eval.unsatisfied': '不满意', yes: '已解决', no: '未解决',
    'state.unknown': '状态未知', 'state.unknown-hint': '与服务器断开，状态未知',
    'seat.hint': '只列出分配给您的浏览器座席（WebRTC）。桌面话机座席请在话机上使用。', 'seat.free': '空闲', 'seat.taken': '已被占用',
    'seat.none': '没有分配给您的浏览器座席，请联系管理员分配。', 'seat.workstation': '本工位',
    'media.connecting': '语音连接中', 'media.connected': '语音已连通', 'media.no-audio': '无声音', 'media.reconnecting': '语音重连中',
    'media.no-audio-hint': '听不到声音：浏览器与交换机之间的语音没有连通，班长已收到提示',
    'call-gone': '来电已结束（未能接通到您的座席）',
    'login.HOTLINE_AUTH_UNAUTHORIZED': '工号或密码错误', 'login.HOTLINE_AUTH_FORBIDDEN': '该账号不是坐席账号，不能使用坐席工作台',
    'dtmf-ph': '按键', 'search-ph': '来电号码',
    'target.110': '公安报警 110', 'target.119': '消防 119', 'target.120': '医疗急救 120', 'target.122': '交通事故 122',
    'consult-with': '{state}：{name}', 'dispatch-needs-unit': '派单请选择承办单位'
  },
  en: {
    title: '12345 Hotline agent desktop', login: 'Log in', username: 'User id', password: 'Password', logout: 'Log out',
    seat: 'Seat', 'sign-in': 'Sign in', 'sign-out': 'Sign out', ready: 'Ready', 'not-ready': 'Not ready', reason: 'Reason',
    'state.signed-out': 'Signed out', 'state.ready': 'Ready', 'state.not-ready': 'Not ready', 'state.offered': 'Ringing', 'state.talking': 'Talking',
    'state.on-hold': 'On hold', 'state.wrap-up': 'Wrap-up',
    answer: 'Answer', hangup: 'Hang up', hold: 'Hold', unhold: 'Resume', mute: 'Mute', unmute: 'Unmute', dtmf: 'Keys', send: 'Send',
    transfer: 'Transfer', 'blind-transfer': 'Blind', consult: 'Consult', 'consult-complete': 'Complete', 'consult-cancel': 'Cancel consult',
    'transfer-target': 'Transfer to', 'wrap-up-left': 'Wrap-up left', extend: '+30 s', seconds: 's',
    'sip.registered': 'Phone registered', 'sip.unregistered': 'Phone not registered', 'sip.connecting': 'Phone connecting', 'socket.online': 'Online', 'socket.offline': 'Offline',
    'pop.title': 'Caller', 'pop.empty': 'No call', caller: 'Caller', line: 'Line', queue: 'Queue', wait: 'Waited', 'call-id': 'Call id',
    'repeat-caller': 'Repeat caller', 'earlier-tickets': 'Earlier tickets', 'no-tickets': 'No earlier tickets', open: 'Open', closed: 'Closed',
    'ticket.title': 'New ticket', category: 'Category', urgency: 'Urgency', content: 'Request', address: 'Address', recording: 'Recording',
    'resolved-on-call': 'Resolved on the call', dispatch: 'Dispatch', 'lead-unit': 'Handling unit', save: 'Save ticket', saved: 'Ticket saved',
    'search.title': 'Find tickets', 'search.number': 'Caller number', search: 'Search', 'search.none': 'No tickets found',
    'urgency.normal': 'Normal', 'urgency.urgent': 'Urgent', 'urgency.very-urgent': 'Very urgent',
    'status.accepted': 'Accepted', 'status.dispatched': 'Dispatched', 'status.signed-for': 'Signed for', 'status.replied': 'Replied', 'status.returned': 'Returned',
    'status.closed': 'Closed', 'status.reopened': 'Reopened',
    'reason.break': 'Break', 'reason.meal': 'Meal', 'reason.training': 'Training', 'reason.meeting': 'Meeting', 'reason.restroom': 'Restroom', 'reason.other': 'Other',
    'reason.signed-in': 'Just signed in', 'reason.missed-call': 'Missed call', 'reason.forced-by-supervisor': 'Set by supervisor', 'reason.pbx-lost': 'PBX lost', 'reason.no-audio': 'No audio',
    'same-category': 'Same category', ringing: 'Ringing', talking: 'Talking', 'consult.ringing': 'Consult ringing', 'consult.talking': 'Consulting',
    'call-ended': 'Call ended', transferred: 'Transferred',
    'rejoin.waiting': 'Phone disconnected; the caller hears hold music', 'rejoin.dialling': 'Rejoining the call…', 'rejoin.done': 'Back in the call', 'choose': 'Choose…', 'number': 'Number', 'created': 'Accepted at', 'status': 'Status',
    'co-units': 'Co-units', 'contact-allowed': 'Caller allows the unit to contact them (else the number is hidden from units)', 'merge-into': 'Merge into', link: 'Link to this one', 'status.merged': 'Merged',
    'followup.title': 'Follow-up (recorded by the agent)', 'followup.reply': "Unit's reply", 'followup.process': 'Process', 'followup.result': 'Result', 'followup.solved': 'Solved?',
    'followup.record': "Record the citizen's answers", 'followup.marked': 'Marked as recorded by the agent, tied to this follow-up call', 'followup.saved': 'Evaluation recorded',
    'eval.satisfied': 'Satisfied', 'eval.basically-satisfied': 'Basically satisfied', 'eval.unsatisfied': 'Unsatisfied', yes: 'Solved', no: 'Not solved',
    'state.unknown': 'State unknown', 'state.unknown-hint': 'Disconnected from the server; state unknown',
    'seat.hint': 'Only the browser (WebRTC) seats assigned to you are listed. Desk phone seats are used on the phone.', 'seat.free': 'free', 'seat.taken': 'in use',
    'seat.none': 'No browser seat is assigned to you; ask an administrator.', 'seat.workstation': 'this workstation',
    'media.connecting': 'Audio connecting', 'media.connected': 'Audio connected', 'media.no-audio': 'No audio', 'media.reconnecting': 'Audio reconnecting',
    'media.no-audio-hint': 'No audio: the browser and the PBX have no voice connection; your supervisor has been told',
    'call-gone': 'The call is gone (it could not be put through to your seat)',
    'login.HOTLINE_AUTH_UNAUTHORIZED': 'Wrong user id or password', 'login.HOTLINE_AUTH_FORBIDDEN': 'This account is not an agent account; it cannot use the agent desktop',
    'dtmf-ph': 'Keys', 'search-ph': 'Caller number',
    'target.110': 'Police 110', 'target.119': 'Fire 119', 'target.120': 'Ambulance 120', 'target.122': 'Traffic accidents 122',
    'consult-with': '{state}: {name}', 'dispatch-needs-unit': 'Choose a handling unit to dispatch to'
  }
}

useTexts(TEXTS)
