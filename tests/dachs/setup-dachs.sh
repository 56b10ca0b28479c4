#!/bin/bash
# Install and configure GAVO DaCHS (Debian bookworm's gavodachs2-server + PostgreSQL) as a
# loopback-only UWS server for tests/dachs. Adapted from ../shared/real-servers/dachs/setup-dachs.sh
# (see README.md next to this file).
#
# Usage (as root): bash tests/dachs/setup-dachs.sh [PORT] [RD_FILE]
#   PORT     [web]serverPort written to /etc/gavo.rc (default 8089; the pytest fixture overrides
#            it per session with GAVOCUSTOM, so this only matters for manual `dachs serve debug`).
#   RD_FILE  the echo service's resource descriptor (default: q.rd next to this script).
#
# Idempotent and non-interactive: safe to run on every CI run. It installs only what is missing
# (apt-get update first), starts the PostgreSQL cluster if it is down (no systemd in containers),
# repairs a half-configured DaCHS package, and fails loudly (non-zero exit, message on stderr).
set -euo pipefail

PORT="${1:-8089}"
RD_FILE="${2:-$(cd "$(dirname "$0")" && pwd)/q.rd}"
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s)

say() { echo "setup-dachs: $*"; }
die() { echo "setup-dachs: ERROR: $*" >&2; exit 1; }
trap 'echo "setup-dachs: ERROR: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, PostgreSQL and /etc/gavo.rc); try: sudo bash $0"
command -v apt-get >/dev/null || die "apt-get not found: this script supports Debian/Ubuntu only"
[ -r "$RD_FILE" ] || die "resource descriptor $RD_FILE not readable"
case "$PORT" in '' | *[!0-9]*) die "PORT must be a number, got '$PORT'" ;; esac

pkg_status() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true; }
installed() { [ "$(pkg_status "$1")" = "install ok installed" ]; }
present() { [[ "$(pkg_status "$1")" == "install ok "* ]]; }  # unpacked, half-configured, ...
as_postgres() { su postgres -s /bin/sh -c "$1"; }
as_dachsroot() { su dachsroot -s /bin/sh -c "$1"; }
# sql_true DB QUERY: the query (run as postgres) answers 't'. Output is captured, not piped into
# grep -q, so pipefail cannot turn an early-closing grep into a false "no".
sql_true() { local out; out=$(as_postgres "psql -d $1 -tAc \"$2\"" 2>/dev/null) || return 1; [ "$out" = t ]; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed (is Debian's archive reachable?)"
    apt_updated=1
  fi
  say "apt-get install $*"
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@" >/dev/null
}

# 1. PostgreSQL first, alone: DaCHS's postinst needs a running cluster (createdb, dachs init),
#    and in a container without systemd apt does not start it (policy-rc.d answers 101).
installed postgresql || apt_install postgresql
# pgsphere and q3c too (DaCHS depends on them), so that pgsphere can be mended before DaCHS's
# postinst runs CREATE EXTENSION pg_sphere.
# (An earlier failed run may have left DaCHS half-configured: apt then retries its postinst,
# which fails until pgsphere is mended below, and is configured again in step 2.)
extension() { compgen -G "/usr/share/postgresql/*/extension/$1.control" >/dev/null; }
{ extension pg_sphere && extension q3c; } ||
  apt_install postgresql-pgsphere postgresql-q3c ||
  { extension pg_sphere && extension q3c; } ||
  die "could not install pgsphere and q3c for PostgreSQL"

# 1b. bookworm's pgsphere 1.1.1 declares both "<@" and its deprecated alias "@" on (bigint,
#     smoc) and (spoint, smoc) as commutator/negator of the same "@>"/"!<@". PostgreSQL 15.20
#     (bookworm-security) refuses the second link ("commutator operator @> is already the
#     commutator of operator <@"), so CREATE EXTENSION pg_sphere, and DaCHS's postinst with it,
#     fails. Drop the links from the two "@" aliases only (idempotent; "<@" keeps them).
for sql in /usr/share/postgresql/*/extension/pg_sphere--*.sql; do
  [ -e "$sql" ] || continue
  if grep -q "RIGHTARG   = smoc" "$sql"; then
    perl -0pi -e "s/(CREATE OPERATOR @ \(\s*LEFTARG\s*=\s*(?:bigint|spoint),\s*RIGHTARG\s*=\s*smoc,\s*PROCEDURE\s*=\s*\w+,)\s*COMMUTATOR\s*=\s*'\@>',\s*NEGATOR\s*=\s*'!<\@',/\1/g" "$sql"
  fi
done
PGVER=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
[ -n "$PGVER" ] || die "no PostgreSQL server under /usr/lib/postgresql after installing it"
clusters=$(pg_lsclusters -h 2>/dev/null || true)
if [ -z "$(awk -v v="$PGVER" '$1 == v && $2 == "main"' <<<"$clusters")" ]; then
  say "creating PostgreSQL $PGVER cluster 'main'"
  pg_createcluster "$PGVER" main >/dev/null
fi
if ! pg_ctlcluster "$PGVER" main status >/dev/null 2>&1; then
  say "starting PostgreSQL $PGVER/main"
  pg_ctlcluster "$PGVER" main start || die "PostgreSQL $PGVER/main does not start; see /var/log/postgresql/"
fi

# 2. DaCHS. A previous run may have left the package unpacked but unconfigured (postinst failed
#    because the cluster was down): configure it now that PostgreSQL runs.
dachs_was_installed=1
if present gavodachs2-server && ! installed gavodachs2-server; then
  say "configuring the half-installed gavodachs2-server"
  dpkg --configure -a
fi
if ! installed gavodachs2-server; then
  dachs_was_installed=0
  apt_install gavodachs2-server || {
    say "package configuration failed; retrying dpkg --configure -a"
    dpkg --configure -a
  }
fi
installed gavodachs2-server || die "gavodachs2-server is not installed after apt-get"
command -v dachs >/dev/null || die "'dachs' command missing although gavodachs2-server is installed"

# The postinst creates the gavo database, the dachsroot role and /var/gavo; redo that if any of it
# is missing (a recreated cluster, a wiped /var/gavo). `dachs init` is "create or update".
if ! sql_true postgres "select count(*) > 0 from pg_roles where rolname = 'dachsroot'"; then
  say "creating PostgreSQL superuser dachsroot"
  as_postgres "createuser -s dachsroot"
fi
if ! sql_true postgres "select count(*) > 0 from pg_database where datname = 'gavo'"; then
  say "creating database gavo"
  as_postgres "createdb --encoding=UTF-8 --template template0 gavo"
fi
if [ ! -s /var/gavo/etc/dsn ] || ! sql_true gavo "select to_regclass('dc.tablemeta') is not null"; then
  say "dachs init"
  install -d -o dachsroot /var/gavo
  as_dachsroot "dachs init" >/dev/null
fi

# If this run installed the package and its init script started a daemon (machines without a
# policy-rc.d), stop it: the tests start their own `dachs serve debug` on a port of their own.
if [ "$dachs_was_installed" = 0 ] && [ -s /var/gavo/state/web.pid ]; then
  say "stopping the DaCHS daemon started by the package install"
  dachs serve stop >/dev/null 2>&1 || true
fi

# 3. Loopback-only web configuration (rewritten only when it changes).
rc=$(printf '[web]\nbindAddress: 127.0.0.1\nserverPort: %s\nserverURL: http://127.0.0.1:%s\n' "$PORT" "$PORT")
if [ "$(cat /etc/gavo.rc 2>/dev/null || true)" != "$rc" ]; then
  say "writing /etc/gavo.rc (127.0.0.1:$PORT)"
  printf '%s\n' "$rc" > /etc/gavo.rc
fi

# 4. Generic ("user") UWS support: `dachs imp` recreates the table (dropping its jobs), so only
#    import it when missing.
if ! sql_true gavo "select to_regclass('uws.userjobs') is not null"; then
  say "enabling user UWS (dachs imp //uws enable_useruws)"
  as_dachsroot "dachs imp //uws enable_useruws" >/dev/null
fi

# 5. The echo service (the server reads RDs on demand; a running server must be restarted).
install -d -o dachsroot -g gavo /var/gavo/inputs/uwstest
if ! cmp -s "$RD_FILE" /var/gavo/inputs/uwstest/q.rd; then
  say "installing the echo service /var/gavo/inputs/uwstest/q.rd"
  install -o dachsroot -g gavo -m 644 "$RD_FILE" /var/gavo/inputs/uwstest/q.rd
fi

# 6. HTTP Basic users: alice (group uwsusers, for the limitTo="uwsusers" echoauth service), bob.
users=$(dachs adm listusers)
ensure_user() {  # name password
  if [[ $'\n'"$users" == *$'\n'"$1 "* ]]; then
    dachs adm changeuser "$1" "$2" >/dev/null
  else
    say "adding DaCHS user $1"
    dachs adm adduser "$1" "$2" >/dev/null
  fi
}
ensure_user alice s3cret
ensure_user bob hunter2
alice_line=$(awk '$1 == "alice"' <<<"$users")
if [[ " $alice_line " != *" uwsusers "* ]]; then
  say "adding alice to group uwsusers"
  dachs adm addtogroup alice uwsusers >/dev/null
fi

say "ready in $(( $(date +%s) - t0 )) s; start with: dachs serve debug   (foreground, http://127.0.0.1:$PORT)"
