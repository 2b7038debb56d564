import t from 'tap'
import { ariRoute } from '../../../src/pbx/ari/rest.ts'

t.test('ARI requests count by route, ids replaced', async (t) => {
  t.equal(ariRoute('POST', '/channels/followup-1-1'), 'POST /channels/{id}')
  t.equal(ariRoute('POST', '/channels/abc/play/abc:p1'), 'POST /channels/{id}/play/{id}')
  t.equal(ariRoute('POST', '/channels/abc/snoop/abc-rec'), 'POST /channels/{id}/snoop/{id}')
  t.equal(ariRoute('POST', '/bridges/call-x-mix/addChannel'), 'POST /bridges/{id}/addChannel')
  t.equal(ariRoute('POST', '/recordings/live/call-x/stop'), 'POST /recordings/live/{id}/stop')
  t.equal(ariRoute('GET', '/recordings/stored/call-x/file'), 'GET /recordings/stored/{id}/file')
  t.equal(ariRoute('GET', '/endpoints/PJSIP/1001'), 'GET /endpoints/PJSIP/{id}')
  t.equal(ariRoute('PUT', '/asterisk/config/dynamic/res_pjsip/auth/8001'), 'PUT /asterisk/config/dynamic/res_pjsip/auth/{id}')
  t.equal(ariRoute('GET', '/asterisk/info'), 'GET /asterisk/info')
  t.equal(ariRoute('GET', '/channels'), 'GET /channels')
})
