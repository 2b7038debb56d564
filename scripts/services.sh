#!/usr/bin/env bash
# Local services for this checkout: PostgreSQL, Redis and Asterisk (in the PBX root built by setup.sh).
#
#   scripts/services.sh start            start what is not running (idempotent), write $STATE/services.env
#   scripts/services.sh stop             stop what start started (by the pids recorded in $STATE only)
#   scripts/services.sh status           one line per service; exit 0 when all managed ones run, else 3
#   scripts/services.sh pbx-restart      stop + start Asterisk only (re-renders its configuration)
#   scripts/services.sh pbx-crash        SIGKILL Asterisk (a crash: no hangups, no events), then start it
#   scripts/services.sh pbx-cli 'cmd'    run an Asterisk CLI command (chroot ... asterisk -rx)
#
# Then:  . .hotline/services.env   (export lines for the hotline server and the tests)
#
# Environment (all optional):
#   HOTLINE_STATE_DIR   state folder (default <repo>/.hotline, gitignored)
#   HOTLINE_PBX_ROOT    PBX root (default /opt/hotline-pbx)
#   DATABASE_URL        set: use that PostgreSQL, start none.  unset: own cluster on 127.0.0.1:$HOTLINE_PG_PORT
#   HOTLINE_PG_PORT     default 55432
#   REDIS_URL           set: use that Redis, start none.       unset: own redis on 127.0.0.1:$HOTLINE_REDIS_PORT
#   HOTLINE_REDIS_PORT  default 56379
#   HOTLINE_ARI_URL     set: use that Asterisk, start none.    unset: own Asterisk, ARI on http://127.0.0.1:8088
#   HOTLINE_ARI_USER    default "hotline"
#   HOTLINE_ARI_PASSWORD HOTLINE_SEAT_SECRET HOTLINE_JWT_SECRET HOTLINE_ADMIN_PASSWORD HOTLINE_REDIS_PASSWORD
#   HOTLINE_METRICS_TOKEN HOTLINE_PG_OWNER_PASSWORD HOTLINE_PG_APP_PASSWORD
#                       taken from the environment when set, else from $STATE/secrets.env (random values,
#                       created on first run, mode 600)
#   HOTLINE_SEATS HOTLINE_WEB_SEATS HOTLINE_SEAT_PERMIT HOTLINE_ICE_PERMIT HOTLINE_TRUNK_MATCH HOTLINE_TRUNK_CONTACT HOTLINE_SIP_BIND HOTLINE_ARI_APP
#   HOTLINE_SIP_TLS_CERT HOTLINE_SIP_TLS_KEY HOTLINE_SIP_TLS_BIND
#                       passed to scripts/render-pbx-config.mjs (see there for defaults)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${HOTLINE_STATE_DIR:-$REPO/.hotline}
ROOT=${HOTLINE_PBX_ROOT:-/opt/hotline-pbx}
PG_PORT=${HOTLINE_PG_PORT:-55432}
REDIS_PORT=${HOTLINE_REDIS_PORT:-56379}
ARI_PORT=8088 SIP_PORT=5060
SECRET_KEYS=(HOTLINE_ARI_PASSWORD HOTLINE_SEAT_SECRET HOTLINE_JWT_SECRET HOTLINE_ADMIN_PASSWORD HOTLINE_REDIS_PASSWORD HOTLINE_METRICS_TOKEN
  HOTLINE_PG_OWNER_PASSWORD HOTLINE_PG_APP_PASSWORD)

# PostgreSQL roles (password auth, scram-sha-256, on loopback): hotline owns the database and runs
# the migrations; hotline_app is the server's, with only the rights migration 014 grants it.
OWN_DATABASE_URL="postgres://hotline_app@127.0.0.1:$PG_PORT/hotline"   # passwords added once the secrets are loaded
strip_password() { printf %s "$1" | sed -E 's#//([^:@/]*):[^@/]*@#//\1@#'; }
OWN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"   # the password is added once the secrets are loaded (own_redis_url)
OWN_ARI_URL="http://127.0.0.1:$ARI_PORT"
# Which services `start` runs: those whose URL is unset, or set to exactly what we would write ourselves
# (so a shell that sourced services.env still manages them). `stop` stops whatever its pid files name.
MANAGE_PG=1 MANAGE_REDIS=1 MANAGE_PBX=1
[ -n "${DATABASE_URL:-}" ] && [ "$(strip_password "$DATABASE_URL")" != "$OWN_DATABASE_URL" ] && MANAGE_PG=
# Our Redis needs a password (requirepass): a URL carrying it is still ours.
[ -n "${REDIS_URL:-}" ] && [ "$(printf %s "$REDIS_URL" | sed -E 's#//[^@/]*@#//#')" != "$OWN_REDIS_URL" ] && MANAGE_REDIS=
[ -n "${HOTLINE_ARI_URL:-}" ] && [ "${HOTLINE_ARI_URL%/}" != "$OWN_ARI_URL" ] && MANAGE_PBX=

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
read_pid() { local p; p=$(cat "$1" 2>/dev/null | head -1) || true; [[ "$p" =~ ^[0-9]+$ ]] && echo "$p"; }
port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null; ss -Hlun "sport = :$1" 2>/dev/null)" ]; }

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): run scripts/setup.sh"
  echo "$d"
}

# ------------------------------------------------------------------ secrets
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
load_secrets() {
  mkdir -p "$STATE"
  local f="$STATE/secrets.env" k v
  if [ ! -f "$f" ]; then ( umask 077; : > "$f" ); fi
  chmod 600 "$f"
  for k in "${SECRET_KEYS[@]}"; do
    if ! grep -q "^$k=" "$f"; then
      case "$k" in HOTLINE_ADMIN_PASSWORD) v=$(random_hex 12);; *) v=$(random_hex 24);; esac
      printf '%s=%s\n' "$k" "$v" >> "$f"
    fi
    if [ -z "${!k:-}" ]; then            # a value already set in the environment wins
      v=$(grep "^$k=" "$f" | head -1 | cut -d= -f2-)
      printf -v "$k" '%s' "$v"; export "$k"
    fi
  done
  export HOTLINE_ARI_USER=${HOTLINE_ARI_USER:-hotline}
}

# ------------------------------------------------------------------ PostgreSQL
PGDATA="$STATE/pg" PGRUN="$STATE/pg-run"
pg_running() { [ -f "$PGDATA/postmaster.pid" ] && runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
# Only loopback with a password, and the postgres OS user on the private socket folder (peer): no
# trust anywhere. Rewritten at every start, so a cluster made by an older set-up (trust) changes too.
pg_hba() {
  ( umask 077
    printf '# written by scripts/services.sh\nlocal all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n' > "$PGDATA/pg_hba.conf" )
  chown postgres:postgres "$PGDATA/pg_hba.conf"
}
pg_psql() { runuser -u postgres -- "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGRUN" -p "$PG_PORT" -U postgres "$@"; }
# The two roles, their passwords (from secrets.env, fed on stdin: never on a command line), the
# database's owner. A database left by an older set-up (everything owned by postgres) is handed
# to hotline, so the migrations keep running as its owner.
pg_roles() {
  pg_psql -d postgres >/dev/null <<SQL || die "creating the PostgreSQL roles failed"
do \$\$ begin
  if not exists (select 1 from pg_roles where rolname = 'hotline') then create role hotline login; end if;
  if not exists (select 1 from pg_roles where rolname = 'hotline_app') then create role hotline_app login; end if;
end \$\$;
set password_encryption = 'scram-sha-256';
-- createdb: the tests and benches make databases of their own
alter role hotline with login nosuperuser nocreaterole createdb noreplication nobypassrls password '$HOTLINE_PG_OWNER_PASSWORD';
alter role hotline_app with login nosuperuser nocreaterole nocreatedb noreplication nobypassrls password '$HOTLINE_PG_APP_PASSWORD';
SQL
  local db
  for db in $(pg_psql -d postgres -tAc "select datname from pg_database where not datistemplate and datname <> 'postgres'"); do
    pg_psql -d "$db" >/dev/null <<'SQL' || die "handing database $db to the hotline role failed"
select format('alter database %I owner to hotline', current_database()) \gexec
alter schema public owner to hotline;
select format('alter %s %s owner to hotline', case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end, c.oid::regclass)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') and pg_get_userbyid(c.relowner) <> 'hotline' \gexec
select format('alter sequence %s owner to hotline', c.oid::regclass)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'S' and pg_get_userbyid(c.relowner) <> 'hotline'
    and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')) \gexec
select format('alter routine %s owner to hotline', p.oid::regprocedure)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> 'hotline' \gexec
select format('alter type %s owner to hotline', t.oid::regtype)
  from pg_type t join pg_namespace n on n.oid = t.typnamespace
  where n.nspname = 'public' and t.typtype in ('e', 'd', 'c') and t.typrelid = 0 and pg_get_userbyid(t.typowner) <> 'hotline' \gexec
SQL
  done
}
pg_start() {
  local bin t0; bin=$(pg_bin); t0=$(now_ms)
  id postgres >/dev/null 2>&1 || die "no postgres OS user: run scripts/setup.sh"
  mkdir -p "$PGRUN"; chown postgres:postgres "$PGRUN"; chmod 700 "$PGRUN"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    # initdb refuses to run as root: run it (and the server) as the postgres OS user.
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"; chmod 700 "$PGDATA"
    runuser -u postgres -- "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$STATE/pg-initdb.log" 2>&1 \
      || { tail -20 "$STATE/pg-initdb.log"; die "initdb failed (is $STATE reachable for the postgres user?)"; }
    say "postgres: initdb done in $(( $(now_ms) - t0 )) ms"
  fi
  pg_hba
  if pg_running; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" reload >/dev/null 2>&1 || true
    pg_roles
    say "postgres: already running (pid $(read_pid "$PGDATA/postmaster.pid"), port $PG_PORT)"; return 0
  fi
  port_busy "$PG_PORT" && die "port $PG_PORT is in use by another process (set HOTLINE_PG_PORT or DATABASE_URL)"
  touch "$STATE/postgres.log"; chown postgres:postgres "$STATE/postgres.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$PGDATA" -l "$STATE/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGRUN -c password_encryption=scram-sha-256" start >/dev/null 9>&- \
    || { tail -20 "$STATE/postgres.log"; die "PostgreSQL did not start"; }
  if [ "$(pg_psql -d postgres -tAc "select 1 from pg_database where datname = 'hotline'")" != 1 ]; then
    pg_psql -d postgres -c 'create database hotline' >/dev/null || die "createdb hotline failed"
  fi
  pg_roles
  say "postgres: running (pid $(read_pid "$PGDATA/postmaster.pid"), 127.0.0.1:$PG_PORT, database hotline, password auth) in $(( $(now_ms) - t0 )) ms"
}
pg_stop() {
  if [ -f "$PGDATA/postmaster.pid" ]; then
    runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
      && say "postgres: stopped" || say "postgres: was not running"
  else
    say "postgres: not started"
  fi
}

# ------------------------------------------------------------------ Redis
REDIS_PIDF="$STATE/redis.pid"
redis_pid() { local p; p=$(read_pid "$REDIS_PIDF") && pid_alive "$p" && grep -q redis "/proc/$p/comm" 2>/dev/null && echo "$p"; }
own_redis_url() { echo "redis://:$HOTLINE_REDIS_PASSWORD@127.0.0.1:$REDIS_PORT"; }
# Every client must AUTH (requirepass): Socket.IO sessions and agent state in Redis cannot be read or
# forged by any other local process. The password sits in a mode-600 config file, not in ps output.
redis_ping() { [ "$(REDISCLI_AUTH="$HOTLINE_REDIS_PASSWORD" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
redis_start() {
  local t0 p; t0=$(now_ms)
  if p=$(redis_pid); then
    redis_ping || die "redis pid $p runs without the current password (stop it: $0 stop)"
    say "redis: already running (pid $p, port $REDIS_PORT)"; return 0
  fi
  port_busy "$REDIS_PORT" && die "port $REDIS_PORT is in use by another process (set HOTLINE_REDIS_PORT or REDIS_URL)"
  mkdir -p "$STATE/redis"
  ( umask 077; printf 'requirepass "%s"\n' "$HOTLINE_REDIS_PASSWORD" > "$STATE/redis-auth.conf" )
  redis-server "$STATE/redis-auth.conf" --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --appendonly yes --dir "$STATE/redis" --daemonize yes --pidfile "$REDIS_PIDF" \
    --logfile "$STATE/redis.log" >/dev/null 2>&1 </dev/null 9>&- || die "redis-server failed (see $STATE/redis.log)"
  for _ in $(seq 100); do
    redis_ping && break; sleep 0.05
  done
  redis_ping || { tail -20 "$STATE/redis.log"; die "redis did not answer"; }
  say "redis: running (pid $(redis_pid), 127.0.0.1:$REDIS_PORT, password required) in $(( $(now_ms) - t0 )) ms"
}
redis_stop() {
  local p; p=$(read_pid "$REDIS_PIDF") || { say "redis: not started"; return 0; }
  if pid_alive "$p"; then
    kill -TERM "$p"
    for _ in $(seq 100); do pid_alive "$p" || break; sleep 0.05; done
    pid_alive "$p" && { kill -KILL "$p"; sleep 0.2; }
    say "redis: stopped"
  else
    say "redis: was not running"
  fi
  rm -f "$REDIS_PIDF"
}

# ------------------------------------------------------------------ Asterisk
PBX_PIDF="$STATE/asterisk.pid" PBX_LOG="$STATE/asterisk.log"
pbx_pid() { local p; p=$(read_pid "$PBX_PIDF") && pid_alive "$p" && grep -q asterisk "/proc/$p/comm" 2>/dev/null && echo "$p"; }
ari_ping() { curl -sf -o /dev/null -m 2 -u "$HOTLINE_ARI_USER:$HOTLINE_ARI_PASSWORD" "http://127.0.0.1:$ARI_PORT/ari/asterisk/ping"; }
pbx_render() {
  command -v node >/dev/null || die "node is required to render the Asterisk configuration"
  local new="$ROOT/etc/asterisk.new"
  rm -rf "$new"
  node "$REPO/scripts/render-pbx-config.mjs" "$new" >/dev/null || die "rendering the Asterisk configuration failed"
  # Debian's sample set stays available as etc/asterisk.dist (made by setup.sh; kept here too).
  [ -d "$ROOT/etc/asterisk.dist" ] || cp -a "$ROOT/etc/asterisk" "$ROOT/etc/asterisk.dist"
  rm -rf "$ROOT/etc/asterisk" && mv "$new" "$ROOT/etc/asterisk"
  chmod 750 "$ROOT/etc/asterisk"
  mkdir -p "$ROOT/run/asterisk" "$ROOT/var/spool/asterisk/recording"   # $ROOT/run, never $ROOT/var/run
  chroot "$ROOT" chown -R asterisk:asterisk /etc/asterisk /run/asterisk /var/lib/asterisk \
    /var/spool/asterisk /var/log/asterisk /var/cache/asterisk
}
pbx_start_once() {
  rm -f "$ROOT/var/lib/asterisk/astdb.sqlite3" "$ROOT/run/asterisk/asterisk.ctl"   # no stale registrations
  # chroot execs asterisk, so $! is Asterisk's own pid; -f: no fork; setsid: own session, survives us.
  # No -v: verbose lines would be formatted for every call (logger.conf keeps notices and up);
  # HOTLINE_PBX_VERBOSE=3 brings them back for a debugging run.
  setsid chroot "$ROOT" /usr/sbin/asterisk -f -U asterisk -G asterisk ${HOTLINE_PBX_VERBOSE:+-$(printf 'v%.0s' $(seq "$HOTLINE_PBX_VERBOSE"))} >"$PBX_LOG" 2>&1 </dev/null 9>&- &
  echo $! > "$PBX_PIDF"
  local p deadline=$(( $(now_ms) + 30000 ))
  p=$(cat "$PBX_PIDF")
  until ari_ping; do
    pid_alive "$p" || { say "asterisk exited during start-up"; return 1; }
    grep -q 'Unable to bind' "$PBX_LOG" && { say "a port was still busy"; return 2; }
    [ "$(now_ms)" -lt "$deadline" ] || { say "ARI did not answer within 30 s"; return 1; }
    sleep 0.1
  done
  chroot "$ROOT" asterisk -rx 'core waitfullybooted' >/dev/null 2>&1
}
pbx_start() {
  local p t0 rc attempt; t0=$(now_ms)
  [ -x "$ROOT/usr/sbin/asterisk" ] || die "no Asterisk in $ROOT: run scripts/setup.sh"
  if p=$(pbx_pid); then
    if ari_ping; then say "asterisk: already running (pid $p)"; return 0; fi
    die "asterisk pid $p runs but ARI does not answer with the current credentials (try: $0 pbx-restart)"
  fi
  local port other
  for port in $ARI_PORT $SIP_PORT; do
    port_busy "$port" && die "port $port is in use by another process (another Asterisk? another checkout?)"
  done
  # One Asterisk per root: its control socket lives in the root, and Unix sockets are not namespaced
  # (an Asterisk started from another checkout, or inside scripts/pbx-netns.sh, would share it).
  other=$(read_pid "$ROOT/run/asterisk/asterisk.pid") || true
  if [ -n "$other" ] && pid_alive "$other" && grep -q asterisk "/proc/$other/comm" 2>/dev/null; then
    die "another Asterisk (pid $other) already runs from $ROOT; stop it first (or use another HOTLINE_PBX_ROOT)"
  fi
  pbx_render
  for attempt in 1 2 3; do
    pbx_start_once; rc=$?
    if [ $rc -eq 0 ]; then
      say "asterisk: running (pid $(cat "$PBX_PIDF"), ARI http://127.0.0.1:$ARI_PORT, SIP udp 127.0.0.1:$SIP_PORT) in $(( $(now_ms) - t0 )) ms"
      return 0
    fi
    pbx_stop >/dev/null
    [ $rc -eq 2 ] || break
    sleep 1
  done
  tail -40 "$PBX_LOG" >&2
  die "asterisk did not start (log: $PBX_LOG)"
}
pbx_stop() {
  local p t0; t0=$(now_ms)
  p=$(read_pid "$PBX_PIDF") || { say "asterisk: not started"; return 0; }
  if pid_alive "$p"; then
    chroot "$ROOT" asterisk -rx 'core stop now' >/dev/null 2>&1 || true
    for _ in $(seq 50); do pid_alive "$p" || break; sleep 0.1; done
    if pid_alive "$p"; then kill -TERM "$p"; for _ in $(seq 20); do pid_alive "$p" || break; sleep 0.1; done; fi
    if pid_alive "$p"; then kill -KILL "$p"; sleep 0.5; fi
    # wait until HTTP/ARI and SIP are really released (a quick restart otherwise may fail to bind)
    for _ in $(seq 50); do
      port_busy $ARI_PORT || port_busy $SIP_PORT || break; sleep 0.1
    done
    say "asterisk: stopped in $(( $(now_ms) - t0 )) ms"
  else
    say "asterisk: was not running"
  fi
  rm -f "$PBX_PIDF"
}

# ------------------------------------------------------------------ services.env
q() { printf '%q' "$1"; }
write_env() {
  local f="$STATE/services.env" tmp="$STATE/.services.env.tmp"
  local db=${DATABASE_URL:-} migrate_db=${HOTLINE_MIGRATE_DATABASE_URL:-}
  if [ -n "$MANAGE_PG" ]; then
    db="postgres://hotline_app:$HOTLINE_PG_APP_PASSWORD@127.0.0.1:$PG_PORT/hotline"
    migrate_db="postgres://hotline:$HOTLINE_PG_OWNER_PASSWORD@127.0.0.1:$PG_PORT/hotline"
  fi
  local rd=${REDIS_URL:-$(own_redis_url)}
  [ -n "$MANAGE_REDIS" ] && rd=$(own_redis_url)
  local ari=${HOTLINE_ARI_URL:-$OWN_ARI_URL}
  ( umask 077
    {
      echo "# written by scripts/services.sh start on $(date -Is); source it: . $f"
      echo "export DATABASE_URL=$(q "$db")"
      [ -n "$migrate_db" ] && echo "export HOTLINE_MIGRATE_DATABASE_URL=$(q "$migrate_db")"
      echo "export REDIS_URL=$(q "$rd")"
      echo "export HOTLINE_ARI_URL=$(q "$ari")"
      echo "export HOTLINE_ARI_USER=$(q "$HOTLINE_ARI_USER")"
      echo "export HOTLINE_ARI_PASSWORD=$(q "$HOTLINE_ARI_PASSWORD")"
      echo "export HOTLINE_SEAT_SECRET=$(q "$HOTLINE_SEAT_SECRET")"
      echo "export HOTLINE_JWT_SECRET=$(q "$HOTLINE_JWT_SECRET")"
      echo "export HOTLINE_ADMIN_PASSWORD=$(q "$HOTLINE_ADMIN_PASSWORD")"
      echo "export HOTLINE_METRICS_TOKEN=$(q "$HOTLINE_METRICS_TOKEN")"
      echo "export HOTLINE_PBX_ROOT=$(q "$ROOT")"
      echo "# informational: where Asterisk writes recordings, as seen from the host"
      echo "export HOTLINE_RECORDINGS_DIR=$(q "$ROOT/var/spool/asterisk/recording")"
      echo "export HOTLINE_STATE_DIR=$(q "$STATE")"
    } > "$tmp" )
  mv "$tmp" "$f"
  say "wrote $f"
}

# ------------------------------------------------------------------ commands
lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"          # every daemon is started with 9>&- so none inherits the lock
  flock -w 120 9 || die "another services.sh holds $STATE/.lock"
}
need_root() { [ "$(id -u)" -eq 0 ] || die "run as root (chroot, runuser)"; }

cmd=${1:-}
case "$cmd" in
  start)
    need_root; lock; load_secrets; t0=$(now_ms)
    if [ -n "$MANAGE_PG" ]; then pg_start; else say "postgres: external (DATABASE_URL set)"; fi
    if [ -n "$MANAGE_REDIS" ]; then redis_start; else say "redis: external (REDIS_URL set)"; fi
    if [ -n "$MANAGE_PBX" ]; then pbx_start; else say "asterisk: external (HOTLINE_ARI_URL set)"; fi
    write_env
    say "started in $(( $(now_ms) - t0 )) ms"
    ;;
  stop)
    need_root; lock; t0=$(now_ms)
    pbx_stop; redis_stop; pg_stop
    say "stopped in $(( $(now_ms) - t0 )) ms"
    ;;
  status)
    rc=0
    if [ -n "$MANAGE_PG" ]; then
      if pg_running; then say "postgres: running (pid $(read_pid "$PGDATA/postmaster.pid"), 127.0.0.1:$PG_PORT)"; else say "postgres: stopped"; rc=3; fi
    else say "postgres: external ($DATABASE_URL)"; fi
    if [ -n "$MANAGE_REDIS" ]; then
      if p=$(redis_pid); then say "redis: running (pid $p, 127.0.0.1:$REDIS_PORT)"; else say "redis: stopped"; rc=3; fi
    else say "redis: external ($REDIS_URL)"; fi
    if [ -n "$MANAGE_PBX" ]; then
      if p=$(pbx_pid); then
        load_secrets >/dev/null
        if ari_ping; then say "asterisk: running (pid $p, ARI answers)"; else say "asterisk: running (pid $p) but ARI does not answer"; rc=3; fi
      else say "asterisk: stopped"; rc=3; fi
    else say "asterisk: external ($HOTLINE_ARI_URL)"; fi
    exit $rc
    ;;
  pbx-restart)
    need_root; [ -n "$MANAGE_PBX" ] || die "HOTLINE_ARI_URL is set: Asterisk is not managed here"
    lock; load_secrets; pbx_stop; pbx_start; write_env
    ;;
  pbx-crash)
    # A crash, as a fault test needs it: Asterisk dies without hanging anything up or telling ARI.
    need_root; [ -n "$MANAGE_PBX" ] || die "HOTLINE_ARI_URL is set: Asterisk is not managed here"
    lock; load_secrets
    if p=$(pbx_pid); then kill -KILL "$p"; for _ in $(seq 50); do pid_alive "$p" || break; sleep 0.1; done; say "asterisk: killed (pid $p)"; fi
    pbx_stop >/dev/null; pbx_start; write_env
    ;;
  pbx-cli)
    need_root; shift
    [ $# -gt 0 ] || die "usage: $0 pbx-cli '<asterisk CLI command>'"
    exec chroot "$ROOT" asterisk -rx "$*"
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
