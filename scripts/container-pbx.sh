#!/usr/bin/env bash
# Entry of docker-compose.yml's asterisk service (Debian sid, Debian's own Asterisk 22 package):
# installs Asterisk and the prompt tools once per container, renders the Mandarin prompts from
# dialplans/prompts/zh.tsv (the same espeak-ng/sox recipe as scripts/setup.sh, custom recordings
# in dialplans/prompts/custom/ win), renders the configuration from dialplans/ with
# scripts/render-pbx-config.mjs, then runs Asterisk in the foreground.
#
# Reads: HOTLINE_TTS_VOICE (optional espeak-ng voice), and whatever render-pbx-config.mjs reads
# (HOTLINE_ARI_*, HOTLINE_SEAT_SECRET, HOTLINE_SIP_BIND, HOTLINE_SEATS, ...).
set -euo pipefail
HOTLINE=${HOTLINE_DIR:-/hotline}
SOUNDS=/usr/share/asterisk/sounds/hotline
if ! command -v asterisk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends asterisk asterisk-modules \
    asterisk-core-sounds-en-wav asterisk-moh-opsound-wav nodejs espeak-ng sox ca-certificates >/dev/null
fi

voice=
for v in ${HOTLINE_TTS_VOICE:-} cmn-latn-pinyin cmn zh; do
  espeak-ng -v "$v" -q -x '请按一' >/dev/null 2>&1 || continue
  if ! espeak-ng -v "$v" -q -x '请按一，您前面还有两位' 2>/dev/null | grep -q '(en)'; then voice=$v; break; fi
done
[ -n "$voice" ] || { echo "container-pbx: no working Mandarin espeak-ng voice" >&2; exit 1; }
mkdir -p "$SOUNDS"
n=0
while IFS=$'\t' read -r name text spoken || [ -n "$name" ]; do
  case "$name" in ''|'#'*) continue;; esac
  espeak-ng -v "$voice" -s 175 -w "/tmp/$name.raw.wav" -- "${spoken:-$text}"
  sox -q "/tmp/$name.raw.wav" -b 16 -e signed-integer -c 1 "$SOUNDS/$name.wav" norm -3 rate 8000
  rm -f "/tmp/$name.raw.wav"
  n=$((n + 1))
done < "$HOTLINE/dialplans/prompts/zh.tsv"
for f in "$HOTLINE"/dialplans/prompts/custom/*.wav; do
  [ -f "$f" ] && sox -q "$f" -b 16 -e signed-integer -c 1 "$SOUNDS/$(basename "$f")" rate 8000
done
echo "container-pbx: $n prompts rendered with voice $voice"

node "$HOTLINE/scripts/render-pbx-config.mjs" /etc/asterisk
mkdir -p /var/spool/asterisk/recording /run/asterisk
chown -R asterisk:asterisk /etc/asterisk /var/spool/asterisk /var/lib/asterisk /var/log/asterisk /run/asterisk "$SOUNDS"
exec asterisk -f -U asterisk -G asterisk
