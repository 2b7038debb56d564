#!/usr/bin/env bash
# Prepare this machine for Hotline: host packages, the isolated Asterisk root, the Mandarin prompts.
#
#   sudo scripts/setup.sh            (root, unattended, idempotent; a re-run takes well under a second)
#
# Environment:
#   HOTLINE_PBX_ROOT   where the Debian sid root with Asterisk lives   (default /opt/hotline-pbx)
#   HOTLINE_TTS_VOICE  espeak-ng voice for the prompts                 (default: first working Mandarin voice)
#
# What it does, each step timed:
#   1. apt-get install --no-install-recommends whatever is missing of: postgresql, redis-server,
#      sip-tester (sipp), mmdebstrap, espeak-ng, sox, curl, iproute2, chromium, fonts-wqy-microhei. Detection is by command/file
#      presence; apt-get update runs only when something is missing. Services that Debian would start
#      on install (postgresql, redis-server) are kept from starting: services.sh runs our own instances.
#   2. Builds the PBX root with mmdebstrap (Debian sid, variant apt) when usr/sbin/asterisk is missing.
#      The sid binaries need a newer glibc than bookworm's, so Asterisk always runs through chroot.
#   3. Fix-ups inside the root (run dir, recording dir, /etc/hosts, resolv.conf, pristine config copy).
#   4. Renders dialplans/prompts/zh.tsv to 8 kHz mono 16-bit WAV in usr/share/asterisk/sounds/hotline/
#      (played as sound:hotline/<name>), only when the list, the custom recordings or the recipe changed.
#      dialplans/prompts/custom/<name>.wav (a center's own recordings) override the generated ones.
#   5. Node.js 24 when the machine's node is older: the official build from the npm registry into
#      .hotline/tools (HOTLINE_TOOLS_DIR), see scripts/node-runtime.sh; start.sh and test.sh use it.
#   6. Prints the installed Asterisk version.
#   Also: the system user `hotline` (HOTLINE_SERVICE_USER) that `npm start` runs the server as.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${HOTLINE_PBX_ROOT:-/opt/hotline-pbx}
PROMPTS_TSV="$REPO/dialplans/prompts/zh.tsv"
CUSTOM_DIR="$REPO/dialplans/prompts/custom"
# Bump when the rendering recipe below changes, so every machine re-renders once.
PROMPT_RECIPE="espeak-ng -s175|sox rate 8000 mono s16 norm -3|v3"
export DEBIAN_FRONTEND=noninteractive

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
T_ALL=$(now_ms)
T_STEP=$T_ALL
say()  { printf '[setup] %s\n' "$*"; }
step() { T_STEP=$(now_ms); say "$*"; }
done_step() { say "  done in $(( $(now_ms) - T_STEP )) ms${1:+: $1}"; }
die()  { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, mmdebstrap and chroot need it)"
case "$ROOT" in /|"") die "HOTLINE_PBX_ROOT must not be '$ROOT'";; esac

# ---------------------------------------------------------------- 1. host packages
step "checking host packages"
missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli    >/dev/null || missing+=(redis-tools)
command -v sipp         >/dev/null || missing+=(sip-tester)
command -v mmdebstrap   >/dev/null || missing+=(mmdebstrap)
command -v espeak-ng    >/dev/null || missing+=(espeak-ng)
command -v sox          >/dev/null || missing+=(sox)
command -v curl         >/dev/null || missing+=(curl)
command -v openssl      >/dev/null || missing+=(openssl)     # checks the Node 24 tarball (step 5)
{ command -v ss >/dev/null && command -v ip >/dev/null; } || missing+=(iproute2)
command -v runuser      >/dev/null || missing+=(util-linux)
# The agent panel's end-to-end test drives Debian's chromium (playwright-core downloads no browser);
# a CJK font so the Chinese panel renders (and its screenshots are readable) on a bare server.
command -v chromium     >/dev/null || missing+=(chromium)
compgen -G '/usr/share/fonts/truetype/wqy/wqy-microhei.tt*' >/dev/null || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  say "  installing: ${missing[*]}"
  # Keep Debian's maintainer scripts from starting host-wide postgresql/redis services:
  # a policy-rc.d answering 101 ("action forbidden") is the documented switch. Only ours, only now.
  policy_created=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    policy_created=1
    trap '[ -n "${policy_created:-}" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ -n "$policy_created" ]; then rm -f /usr/sbin/policy-rc.d; policy_created=; fi
  done_step "installed ${missing[*]}"
else
  done_step "all present"
fi
id postgres >/dev/null 2>&1 || die "the postgres OS user is missing (reinstall postgresql-common)"
# The service user `npm start` runs the server as (scripts/start.sh): no login, no home, no rights.
if ! id "${HOTLINE_SERVICE_USER:-hotline}" >/dev/null 2>&1 && [ "${HOTLINE_SERVICE_USER:-hotline}" != root ]; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "${HOTLINE_SERVICE_USER:-hotline}" \
    || die "could not create the service user ${HOTLINE_SERVICE_USER:-hotline}"
  say "created the service user ${HOTLINE_SERVICE_USER:-hotline}"
fi

# ---------------------------------------------------------------- 2. the PBX root
if [ ! -x "$ROOT/usr/sbin/asterisk" ]; then
  step "building the Asterisk root in $ROOT with mmdebstrap (Debian sid; about 1-2 minutes)"
  # An unfinished root is only ever removed if it is one of ours (marker written after a build),
  # or empty: never wipe an arbitrary folder someone pointed HOTLINE_PBX_ROOT at.
  if [ -e "$ROOT" ]; then
    if [ -e "$ROOT/.hotline-pbx-root" ] || [ -z "$(ls -A "$ROOT" 2>/dev/null)" ]; then
      rm -rf "$ROOT"
    else
      die "$ROOT exists, is not empty and has no usr/sbin/asterisk: move it away or set HOTLINE_PBX_ROOT"
    fi
  fi
  BUILD="$ROOT.partial"
  rm -rf "$BUILD"
  mkdir -p "$(dirname "$ROOT")"
  # No mirror on the command line: Debian's default archive. Valid-Until is ignored because the archive
  # this machine reaches may serve Release files past their Valid-Until date.
  mmdebstrap --mode=root --variant=apt \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include=asterisk,asterisk-modules,asterisk-core-sounds-en-wav,asterisk-moh-opsound-wav \
    sid "$BUILD"
  touch "$BUILD/.hotline-pbx-root"
  mv "$BUILD" "$ROOT"
  done_step "$(du -sh "$ROOT" | cut -f1)"
else
  say "Asterisk root present at $ROOT (delete usr/sbin/asterisk there to force a rebuild)"
fi

# ---------------------------------------------------------------- 3. fix-ups inside the root
# NOTE: $ROOT/var/run is an ABSOLUTE symlink to /run: from the host always use $ROOT/run.
step "fix-ups inside the root"
printf '127.0.0.1 localhost %s\n::1 localhost\n' "$(hostname)" > "$ROOT/etc/hosts"
printf 'nameserver 127.0.0.1\n' > "$ROOT/etc/resolv.conf"   # Asterisk must never send DNS off the box
mkdir -p "$ROOT/run/asterisk" "$ROOT/var/spool/asterisk/recording" "$ROOT/usr/share/asterisk/sounds/hotline"
# Debian's ~100 sample configs are kept once as etc/asterisk.dist; services.sh renders etc/asterisk.
[ -d "$ROOT/etc/asterisk.dist" ] || cp -a "$ROOT/etc/asterisk" "$ROOT/etc/asterisk.dist"
chroot "$ROOT" chown -R asterisk:asterisk /etc/asterisk /run/asterisk /var/lib/asterisk \
  /var/spool/asterisk /var/log/asterisk /var/cache/asterisk
done_step

# ---------------------------------------------------------------- 4. Mandarin prompts
SOUNDS="$ROOT/usr/share/asterisk/sounds/hotline"
pick_voice() {
  # espeak-ng 1.51's "cmn" voice reads the pinyin of many characters with ENGLISH rules ("latin as
  # English"); "cmn-latn-pinyin" is the same Mandarin voice reading pinyin as pinyin. Take the first
  # candidate whose phonemes for a test phrase contain no switch to English.
  local v
  for v in ${HOTLINE_TTS_VOICE:-} cmn-latn-pinyin cmn zh; do
    espeak-ng -v "$v" -q -x '请按一' >/dev/null 2>&1 || continue
    if ! espeak-ng -v "$v" -q -x '请按一，您前面还有两位' 2>/dev/null | grep -q '(en)'; then echo "$v"; return; fi
  done
  return 1
}
step "Mandarin prompts"
[ -f "$PROMPTS_TSV" ] || die "missing $PROMPTS_TSV"
want_hash=$(
  {
    echo "$PROMPT_RECIPE|${HOTLINE_TTS_VOICE:-}"
    sha256sum "$PROMPTS_TSV" | cut -d' ' -f1
    if compgen -G "$CUSTOM_DIR/*.wav" >/dev/null; then (cd "$CUSTOM_DIR" && sha256sum -- *.wav); fi
  } | sha256sum | cut -d' ' -f1
)
have_hash=$(cat "$SOUNDS/.source-sha256" 2>/dev/null || true)
if [ "$want_hash" = "$have_hash" ]; then
  done_step "unchanged ($(find "$SOUNDS" -name '*.wav' | wc -l) files)"
else
  voice=$(pick_voice) || die "no working Mandarin espeak-ng voice (espeak-ng --voices=zh)"
  tmp=$(mktemp -d)
  n=0
  while IFS=$'\t' read -r name text spoken || [ -n "$name" ]; do
    case "$name" in ''|'#'*) continue;; esac
    [[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "bad prompt name '$name' in $PROMPTS_TSV"
    [ -n "$text" ] || die "prompt '$name' has no text"
    espeak-ng -v "$voice" -s 175 -w "$tmp/$name.raw.wav" -- "${spoken:-$text}"
    sox -q "$tmp/$name.raw.wav" -b 16 -e signed-integer -c 1 "$tmp/$name.wav" norm -3 rate 8000
    rm -f "$tmp/$name.raw.wav"
    n=$((n + 1))
  done < "$PROMPTS_TSV"
  c=0
  if compgen -G "$CUSTOM_DIR/*.wav" >/dev/null; then
    for f in "$CUSTOM_DIR"/*.wav; do
      # A center's own recording wins; converted to what Asterisk's format_wav plays (8 kHz mono s16).
      sox -q "$f" -b 16 -e signed-integer -c 1 "$tmp/$(basename "$f")" rate 8000
      c=$((c + 1))
    done
  fi
  echo "$want_hash" > "$tmp/.source-sha256"
  chmod 755 "$tmp"; chmod 644 "$tmp"/*.wav "$tmp/.source-sha256"
  rm -rf "$SOUNDS.old"
  mv "$SOUNDS" "$SOUNDS.old" && mv "$tmp" "$SOUNDS" && rm -rf "$SOUNDS.old"
  done_step "$n generated with voice '$voice', $c custom override(s)"
fi

# ---------------------------------------------------------------- 5. Node.js 24
# shellcheck source=node-runtime.sh
. "$REPO/scripts/node-runtime.sh"
step "Node.js $HOTLINE_NODE_MAJOR"
if hotline_machine_node_is_current; then
  done_step "the machine's node $(node -v) is current"
else
  hotline_node_install || die "could not provide Node.js $HOTLINE_NODE_VERSION"
  done_step "machine has $(node -v 2>/dev/null || echo 'no node'); using $("$(hotline_node_home)/bin/node" -v) from $(hotline_node_home)"
fi

# ---------------------------------------------------------------- 6. report
say "Asterisk $(chroot "$ROOT" dpkg-query -W -f='${Version}' asterisk) in $ROOT"
say "sipp: $(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ]*' | head -1); PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin/initdb | sed 's#.*/postgresql/\([^/]*\)/.*#\1#' | sort -V | tail -1); redis: $(redis-server --version | grep -o 'v=[^ ]*')"
say "total $(( $(now_ms) - T_ALL )) ms"
