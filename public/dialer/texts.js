// @ts-check
// The dialer page's texts; the lookup is shared (/shared/i18n.js). zh-CN default, English complete.
/** @type {import('../shared/i18n.js').Texts} */
export const TEXTS = {
  'zh-CN': {
    title: '回访与回拨', login: '登录', username: '工号', password: '密码', logout: '退出',
    progress: '今日进度', campaigns: '回访活动', trunks: '中继限制', coverage: '回访率', callbacks: '回拨',
    'col.campaign': '活动', 'col.due': '待拨', 'col.in-progress': '进行中', 'col.dialled': '已拨', 'col.answered': '接通', 'col.satisfied': '满意',
    'col.basically-satisfied': '基本满意', 'col.unsatisfied': '不满意', 'col.unreachable': '无法联系', 'col.done': '完成',
    'col.id': '编号', 'col.name': '名称', 'col.line': '线路', 'col.mode': '方式', 'col.state': '状态', 'col.windows': '外呼时段', 'col.max': '最多次数',
    'col.retry': '重试间隔(分)', 'col.trunk': '中继', 'col.concurrent': '最大并发', 'col.cps': '每秒呼叫', 'col.day': '日期', 'col.closed': '办结',
    'col.followed-up': '已回访', 'col.pending': '待回访', 'col.coverage': '回访率',
    'other-lines': '（其他线路）', 'mode.survey': '自动语音', 'mode.agent': '坐席', 'state.running': '运行中', 'state.paused': '已暂停',
    pause: '暂停', run: '运行', 'save-windows': '保存时段', save: '保存', saved: '已保存', 'no-data': '暂无数据', unsaved: '有未保存的修改',
    'login.HOTLINE_AUTH_UNAUTHORIZED': '工号或密码错误', 'login.HOTLINE_AUTH_FORBIDDEN': '该账号无权管理回访与回拨'
  },
  en: {
    title: 'Follow-ups and callbacks', login: 'Log in', username: 'User id', password: 'Password', logout: 'Log out',
    progress: "Today's progress", campaigns: 'Campaigns', trunks: 'Trunk limits', coverage: 'Coverage', callbacks: 'Callbacks',
    'col.campaign': 'Campaign', 'col.due': 'Due', 'col.in-progress': 'In progress', 'col.dialled': 'Dialled', 'col.answered': 'Answered', 'col.satisfied': 'Satisfied',
    'col.basically-satisfied': 'Basically satisfied', 'col.unsatisfied': 'Unsatisfied', 'col.unreachable': 'Unreachable', 'col.done': 'Done',
    'col.id': 'Id', 'col.name': 'Name', 'col.line': 'Line', 'col.mode': 'Mode', 'col.state': 'State', 'col.windows': 'Calling windows', 'col.max': 'Max attempts',
    'col.retry': 'Retry (min)', 'col.trunk': 'Trunk', 'col.concurrent': 'Max concurrent', 'col.cps': 'Calls per second', 'col.day': 'Day', 'col.closed': 'Closed',
    'col.followed-up': 'Followed up', 'col.pending': 'Pending', 'col.coverage': 'Coverage',
    'other-lines': '(other lines)', 'mode.survey': 'IVR survey', 'mode.agent': 'Agent', 'state.running': 'Running', 'state.paused': 'Paused',
    pause: 'Pause', run: 'Run', 'save-windows': 'Save windows', save: 'Save', saved: 'Saved', 'no-data': 'No data yet', unsaved: 'Unsaved changes',
    'login.HOTLINE_AUTH_UNAUTHORIZED': 'Wrong user id or password', 'login.HOTLINE_AUTH_FORBIDDEN': 'This account may not manage follow-ups and callbacks'
  }
}
