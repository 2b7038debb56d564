// @ts-check
// Translation lookup shared by the three pages (agent panel, wallboard, dialer). Each page
// passes its own table; zh-CN is the default (the centers' working language), English complete
// for trainers and vendors. The choice is kept per browser (localStorage 'hotline.lang').

/** @typedef {'zh-CN' | 'en'} Lang */
/** @typedef {Record<Lang, Record<string, string>>} Texts */

/** @type {Texts} */
let texts = { 'zh-CN': {}, en: {} }
/** @type {Lang} */
let lang = localStorage.getItem('hotline.lang') === 'en' ? 'en' : 'zh-CN'

/** Installs a page's table (merged over the shared one below) and applies the saved language. @param {Texts} pageTexts */
export function useTexts(pageTexts) {
  texts = { 'zh-CN': { ...SHARED['zh-CN'], ...pageTexts['zh-CN'] }, en: { ...SHARED.en, ...pageTexts.en } }
  setLang(lang)
}

export const currentLang = () => lang

/** @param {string} next */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh-CN'
  localStorage.setItem('hotline.lang', lang)
  document.documentElement.lang = lang
}

/**
 * The text for `key` in the current language, `{name}` placeholders filled from `vars`. A key
 * missing in English falls back to Chinese, then to the key itself (a test checks there is none).
 * @param {string} key @param {Record<string, string | number>} [vars]
 */
export function t(key, vars) {
  const s = texts[lang][key] ?? texts['zh-CN'][key] ?? key
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? '')) : s
}

/** Is there a text for `key`? @param {string} key */
export const has = (key) => key in texts[lang] || key in texts['zh-CN']

/** Fills every [data-i18n] element's text, [data-i18n-ph] placeholder and [data-i18n-title] tooltip. @param {ParentNode} [root] */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? '')
  for (const el of root.querySelectorAll('[data-i18n-ph]')) /** @type {HTMLInputElement} */ (el).placeholder = t(/** @type {HTMLElement} */ (el).dataset.i18nPh ?? '')
  for (const el of root.querySelectorAll('[data-i18n-title]')) /** @type {HTMLElement} */ (el).title = t(/** @type {HTMLElement} */ (el).dataset.i18nTitle ?? '')
  if (has('title')) document.title = t('title')
}

/**
 * What a user reads for a server error: by its code (`error.<CODE>`), never the server's English
 * message; an unknown code reads as a generic failure naming the code (for support).
 * @param {{ code?: string } | null | undefined} error @param {string} [context] a page's own wording for the code, tried first (`<context>.<CODE>`)
 */
export function errorText(error, context) {
  const code = error?.code ?? 'HOTLINE_ERROR'
  if (context && has(`${context}.${code}`)) return t(`${context}.${code}`)
  if (has(`error.${code}`)) return t(`error.${code}`)
  return t('error.unknown', { code })
}

/** Error texts the pages share. Codes from the server's error bodies and socket acks. @type {Texts} */
const SHARED = {
  'zh-CN': {
    'error.unknown': '操作失败（{code}），请重试或联系管理员',
    'error.network': '连接服务器失败，请检查网络',
    'error.timeout': '服务器无响应，请重试',
    'error.offline': '与服务器的连接已断开',
    'error.HOTLINE_AUTH_UNAUTHORIZED': '登录已失效，请重新登录',
    'error.HOTLINE_AUTH_FORBIDDEN': '您的账号无权使用此页面',
    'error.HOTLINE_BAD_REQUEST': '填写的内容不符合要求，请检查后重试',
    'error.HOTLINE_NOT_FOUND': '找不到该项',
    'error.HOTLINE_INTERNAL': '服务器内部错误，请稍后重试',
    'error.HOTLINE_PBX_UNAVAILABLE': '交换机暂时无法连接，请稍后重试',
    'error.HOTLINE_AGENTS_INVALID_TRANSITION': '当前状态下不能进行此操作',
    'error.HOTLINE_AGENTS_UNKNOWN_REASON': '示忙原因无效',
    'error.HOTLINE_AGENTS_SEAT_TAKEN': '该座席已被其他坐席签入',
    'error.HOTLINE_AGENTS_NO_SUCH_SEAT': '交换机上没有这个座席',
    'error.HOTLINE_AGENTS_NO_SUCH_AGENT': '没有这个坐席',
    'error.HOTLINE_AGENTS_BUSY': '坐席正忙',
    'error.HOTLINE_SEATS_NOT_A_SEAT': '这不是交换机上的座席号',
    'error.HOTLINE_SEATS_NOT_ASSIGNED': '该座席未分配给您，请联系管理员',
    'error.HOTLINE_SEATS_DESK_PHONE': '这是桌面话机座席，不能在浏览器中使用',
    'error.HOTLINE_SEATS_NO_CREDENTIALS': '无法取得座席的登录信息，请重新签入',
    'error.HOTLINE_SEATS_BAD_ASSIGNMENT': '座席分配无效',
    'error.HOTLINE_CALLS_NO_CURRENT_CALL': '当前没有通话',
    'error.HOTLINE_CALLS_NOT_NOW': '当前不能进行此操作',
    'error.HOTLINE_CALLS_NO_SUCH_CALL': '找不到该通话',
    'error.HOTLINE_CALLS_NO_RECORDING': '该通话没有录音',
    'error.HOTLINE_TICKET_INVALID': '工单内容不完整，请检查后重试',
    'error.HOTLINE_TICKET_NOT_FOUND': '找不到该工单',
    'error.HOTLINE_TICKET_VERSION_CONFLICT': '工单已被他人修改，请刷新后重试',
    'error.HOTLINE_TICKET_ILLEGAL_TRANSITION': '工单当前状态下不能进行此操作',
    'error.HOTLINE_TICKET_FORBIDDEN': '您无权处理该工单',
    'error.HOTLINE_SUPERVISION_NO_SUCH_CALL': '该通话已结束',
    'error.HOTLINE_SUPERVISION_NO_SUCH_SEAT': '交换机上没有您填写的座席号',
    'error.HOTLINE_SUPERVISION_NO_SUCH_QUEUE': '没有这个队列',
    'error.HOTLINE_SUPERVISION_NO_SUCH_SESSION': '该监听已结束',
    'error.HOTLINE_SUPERVISION_NOT_WAITING': '该来电已不在排队',
    'error.HOTLINE_SUPERVISION_CALL_NOT_CONNECTED': '该通话尚未接通',
    'error.HOTLINE_SUPERVISION_BUSY': '您的座席正在使用中',
    'error.HOTLINE_FOLLOW_UP_NOT_FOUND': '找不到该回访活动或中继',
    'error.HOTLINE_FOLLOW_UP_INVALID': '设置无效，请检查后重试',
    'error.HOTLINE_FOLLOW_UP_CONFLICT': '设置冲突，请刷新后重试',
    'error.HOTLINE_REPORTS_BAD_RANGE': '日期范围无效',
    'error.HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED': '请先修改初始密码',
    'error.HOTLINE_AUTH_REFRESH_INVALID': '登录已失效，请重新登录',
    'error.HOTLINE_AUTH_LOCKED': '登录失败次数过多，账号已临时锁定，请稍后再试',
    'error.HOTLINE_AUTH_RATE_LIMITED': '登录尝试过于频繁，请稍后再试',
    'error.HOTLINE_USERS_WEAK_PASSWORD': '新密码不符合要求：至少 10 位，包含大写字母、小写字母、数字、其他字符中的三类，不能是工号，也不能与原密码相同',
    'error.HOTLINE_USERS_OWN_ROLE': '不能修改自己的角色',
    'password.title': '请修改初始密码',
    'password.hint': '初始密码只能用于修改密码。新密码至少 10 位，包含大写字母、小写字母、数字、其他字符中的三类，不能是工号。',
    'password.new': '新密码',
    'password.repeat': '再次输入新密码',
    'password.mismatch': '两次输入的新密码不一致',
    'password.submit': '修改密码'
  },
  en: {
    'error.unknown': 'That did not work ({code}); try again or ask an administrator',
    'error.network': 'Cannot reach the server; check the network',
    'error.timeout': 'The server did not answer; try again',
    'error.offline': 'The connection to the server is down',
    'error.HOTLINE_AUTH_UNAUTHORIZED': 'Your session has ended; log in again',
    'error.HOTLINE_AUTH_FORBIDDEN': 'Your account may not use this page',
    'error.HOTLINE_BAD_REQUEST': 'Something entered is not valid; check and try again',
    'error.HOTLINE_NOT_FOUND': 'Not found',
    'error.HOTLINE_INTERNAL': 'Server error; try again later',
    'error.HOTLINE_PBX_UNAVAILABLE': 'The PBX cannot be reached; try again later',
    'error.HOTLINE_AGENTS_INVALID_TRANSITION': 'Not possible in the current state',
    'error.HOTLINE_AGENTS_UNKNOWN_REASON': 'Not a valid not-ready reason',
    'error.HOTLINE_AGENTS_SEAT_TAKEN': 'Another agent is signed in to that seat',
    'error.HOTLINE_AGENTS_NO_SUCH_SEAT': 'The PBX has no such seat',
    'error.HOTLINE_AGENTS_NO_SUCH_AGENT': 'No such agent',
    'error.HOTLINE_AGENTS_BUSY': 'The agent is busy',
    'error.HOTLINE_SEATS_NOT_A_SEAT': 'That is not a seat of the PBX',
    'error.HOTLINE_SEATS_NOT_ASSIGNED': 'That seat is not assigned to you; ask an administrator',
    'error.HOTLINE_SEATS_DESK_PHONE': 'That is a desk phone seat; it cannot be used in the browser',
    'error.HOTLINE_SEATS_NO_CREDENTIALS': 'Could not get the seat\'s phone login; sign in again',
    'error.HOTLINE_SEATS_BAD_ASSIGNMENT': 'Not a valid seat assignment',
    'error.HOTLINE_CALLS_NO_CURRENT_CALL': 'There is no call now',
    'error.HOTLINE_CALLS_NOT_NOW': 'Not possible right now',
    'error.HOTLINE_CALLS_NO_SUCH_CALL': 'No such call',
    'error.HOTLINE_CALLS_NO_RECORDING': 'That call has no recording',
    'error.HOTLINE_TICKET_INVALID': 'The ticket is incomplete; check and try again',
    'error.HOTLINE_TICKET_NOT_FOUND': 'No such ticket',
    'error.HOTLINE_TICKET_VERSION_CONFLICT': 'Someone else changed the ticket; reload and try again',
    'error.HOTLINE_TICKET_ILLEGAL_TRANSITION': 'Not possible for the ticket in its current state',
    'error.HOTLINE_TICKET_FORBIDDEN': 'You may not handle that ticket',
    'error.HOTLINE_SUPERVISION_NO_SUCH_CALL': 'That call has ended',
    'error.HOTLINE_SUPERVISION_NO_SUCH_SEAT': 'The PBX has no seat with the number you entered',
    'error.HOTLINE_SUPERVISION_NO_SUCH_QUEUE': 'No such queue',
    'error.HOTLINE_SUPERVISION_NO_SUCH_SESSION': 'That session has ended',
    'error.HOTLINE_SUPERVISION_NOT_WAITING': 'That caller is no longer waiting',
    'error.HOTLINE_SUPERVISION_CALL_NOT_CONNECTED': 'That call is not connected yet',
    'error.HOTLINE_SUPERVISION_BUSY': 'Your seat is in use',
    'error.HOTLINE_FOLLOW_UP_NOT_FOUND': 'No such campaign or trunk',
    'error.HOTLINE_FOLLOW_UP_INVALID': 'Not a valid setting; check and try again',
    'error.HOTLINE_FOLLOW_UP_CONFLICT': 'Conflicting settings; reload and try again',
    'error.HOTLINE_REPORTS_BAD_RANGE': 'Not a valid date range',
    'error.HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED': 'Change the initial password first',
    'error.HOTLINE_AUTH_REFRESH_INVALID': 'Your session has ended; log in again',
    'error.HOTLINE_AUTH_LOCKED': 'Too many failed logins: the account is locked for a while; try again later',
    'error.HOTLINE_AUTH_RATE_LIMITED': 'Too many login attempts; try again later',
    'error.HOTLINE_USERS_WEAK_PASSWORD': 'The new password does not meet the rules: at least 10 characters, three of upper case, lower case, digits and other characters, not the user id and not the current password',
    'error.HOTLINE_USERS_OWN_ROLE': 'You cannot change your own role',
    'password.title': 'Change the initial password',
    'password.hint': 'The initial password is good for changing it only. The new one needs at least 10 characters, three of upper case, lower case, digits and other characters, and must not be the user id.',
    'password.new': 'New password',
    'password.repeat': 'New password again',
    'password.mismatch': 'The two new passwords differ',
    'password.submit': 'Change password'
  }
}
