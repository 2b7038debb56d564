// @ts-check
// The forced password change (the first administrator's generated password): a dialog that asks
// for the new password twice and sends POST /v1/auth/password; the login waits until it is done.
// Importing this module installs it as the session's onPasswordChangeRequired.
import { ApiError, changePassword, session } from './api.js'
import { errorText, t } from './i18n.js'

/**
 * Shows the dialog and resolves once the password is changed (the new session is kept).
 * @param {string} currentPassword the password the user just logged in with
 * @returns {Promise<void>}
 */
export function askNewPassword(currentPassword) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog')
    dialog.id = 'password-change'
    dialog.innerHTML = `<form method="dialog">
      <h2></h2><p class="hint"></p>
      <label><span></span><input name="new" type="password" autocomplete="new-password" required></label>
      <label><span></span><input name="repeat" type="password" autocomplete="new-password" required></label>
      <p class="error" role="alert"></p>
      <button type="submit"></button>
    </form>`
    const form = /** @type {HTMLFormElement} */ (dialog.querySelector('form'))
    const [title, hint, , , error] = /** @type {HTMLElement[]} */ ([...form.querySelectorAll('h2, p, label')])
    title.textContent = t('password.title')
    hint.textContent = t('password.hint')
    const spans = form.querySelectorAll('label span')
    spans[0].textContent = t('password.new')
    spans[1].textContent = t('password.repeat')
    const submit = /** @type {HTMLElement} */ (form.querySelector('button'))
    submit.textContent = t('password.submit')
    // Escape must not close it: nothing works until the password is changed.
    dialog.addEventListener('cancel', (e) => e.preventDefault())
    form.addEventListener('submit', async (e) => {
      e.preventDefault()
      const data = new FormData(form)
      const next = String(data.get('new'))
      if (next !== String(data.get('repeat'))) { error.textContent = t('password.mismatch'); return }
      try {
        await changePassword(currentPassword, next)
        dialog.close()
        dialog.remove()
        resolve()
      } catch (err) {
        error.textContent = errorText(err instanceof ApiError ? err : null)
      }
    })
    document.body.append(dialog)
    dialog.showModal()
  })
}

session.onPasswordChangeRequired = askNewPassword
