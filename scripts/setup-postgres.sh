#!/usr/bin/env bash
# Make sure the local PostgreSQL (127.0.0.1:5432, trust auth) is running and
# has the pgvector extension available.
#
# Debian bookworm ships no pgvector package, so when `vector` is missing from
# pg_available_extensions this script builds it from Debian's trixie *source*
# package (see /work/shared/TOOLCHAIN.md, "PostgreSQL with pgvector"):
#   - installs postgresql-server-dev-<major> (and dpkg-dev / build tools),
#   - writes a deb-src entry for trixie into a temporary directory, derived at
#     run time from the machine's own apt sources (no host names in this file),
#   - runs `apt-get update` / `apt-get source pgvector` against that entry only,
#     with a private lists directory, so the machine's apt state is untouched,
#   - `make && make install` with the server's pg_config.
#
# Idempotent: when PostgreSQL is up and `vector` is available it only verifies.
# Meant to run as root, non-interactively (CI=true, no stdin).
set -euo pipefail

PGHOST_ADDR=127.0.0.1
PGPORT_NUM=5432
PG_USER=postgres
CHECK_DB=gatehouse_pgvector_check
SOURCE_SUITE=trixie
READY_TIMEOUT=30

export DEBIAN_FRONTEND=noninteractive
export CI="${CI:-true}"

log() { printf 'setup-postgres: %s\n' "$*"; }

WORK="$(mktemp -d -t setup-postgres.XXXXXX)"
LOG="$WORK/setup.log"
: >"$LOG"
KEEP_WORK=0

cleanup() {
  if [[ "$KEEP_WORK" == 1 ]]; then
    log "work directory kept for inspection: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

die() {
  log "ERROR: $*"
  if [[ -s "$LOG" ]]; then
    log "last lines of $LOG:"
    tail -n 40 "$LOG" | sed 's/^/    /'
    KEEP_WORK=1
  fi
  exit 1
}

# Run a noisy command with its output sent to the log; die with the log's
# tail if it fails.
run() {
  printf '\n$ %s\n' "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 </dev/null || die "command failed: $*"
}

psql_q() {
  psql -X -q -tA -v ON_ERROR_STOP=1 -h "$PGHOST_ADDR" -p "$PGPORT_NUM" \
    -U "$PG_USER" -d "${2:-postgres}" -c "$1" </dev/null
}

# ---------------------------------------------------------------- 1. server
ensure_running() {
  if pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM"; then
    log "PostgreSQL is accepting connections on $PGHOST_ADDR:$PGPORT_NUM"
    return
  fi
  [[ -d /etc/postgresql ]] || die "no /etc/postgresql: is PostgreSQL installed?"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  [[ -n "$version" ]] || die "no cluster found under /etc/postgresql"
  log "starting PostgreSQL $version/main"
  # A failure here (e.g. already starting) is logged; the wait below decides.
  printf '\n$ pg_ctlcluster --skip-systemctl-redirect %s main start\n' "$version" >>"$LOG"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >>"$LOG" 2>&1 </dev/null || true
  local waited=0
  until pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM"; do
    if ((waited >= READY_TIMEOUT)); then
      die "PostgreSQL not accepting connections on $PGHOST_ADDR:$PGPORT_NUM after ${READY_TIMEOUT}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "PostgreSQL is ready (after ${waited}s)"
}

vector_available() {
  [[ "$(psql_q "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")" == 1 ]]
}

# ------------------------------------------------------- 2. build pgvector
# Print a deb822 paragraph (Types: deb-src, Suites: $SOURCE_SUITE) built from
# the machine's main Debian archive entry: the first enabled `deb` entry whose
# suite is the release codename itself (not -updates/-security/-backports).
derive_deb_src_entry() {
  local codename="$1" f out=""
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    out="$(awk -v codename="$codename" -v suite="$SOURCE_SUITE" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && uris != "") {
          n = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) if (s[i] == codename) {
            print "Types: deb-src"
            print "URIs: " uris
            print "Suites: " suite
            print "Components: main"
            if (signed != "") print "Signed-By: " signed
            found = 1; exit
          }
        }
        types = ""; uris = ""; suites = ""; signed = ""; enabled = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      {
        key = $0; sub(/:.*/, "", key); key = tolower(key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = tolower(val)
        else if (key == "signed-by" && val !~ /^-----BEGIN/) signed = val
      }
      END { if (!found) flush() }
    ' "$f")"
    if [[ -n "$out" ]]; then printf '%s\n' "$out"; return 0; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    out="$(awk -v codename="$codename" -v suite="$SOURCE_SUITE" '
      /^[ \t]*deb[ \t]/ {
        signed = ""; i = 2
        if ($2 ~ /^\[/) {
          opts = ""
          for (; i <= NF; i++) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break } }
          if (match(opts, /signed-by=[^] \t]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
        }
        if ($(i + 1) == codename) {
          print "Types: deb-src"
          print "URIs: " $i
          print "Suites: " suite
          print "Components: main"
          if (signed != "") print "Signed-By: " signed
          exit
        }
      }
    ' "$f")"
    if [[ -n "$out" ]]; then printf '%s\n' "$out"; return 0; fi
  done
  return 1
}

build_pgvector() {
  local major="$1" started=$SECONDS
  local pg_config="/usr/lib/postgresql/$major/bin/pg_config"
  local apt_lock=(-o DPkg::Lock::Timeout=300)

  # Build dependencies from the machine's normal (bookworm) sources.
  local pkgs=("postgresql-server-dev-$major" dpkg-dev make gcc)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    printf '\n$ apt-get install -y %s\n' "${missing[*]}" >>"$LOG"
    if ! apt-get "${apt_lock[@]}" install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 </dev/null; then
      log "install failed; refreshing package lists and retrying"
      run apt-get "${apt_lock[@]}" update
      run apt-get "${apt_lock[@]}" install -y --no-install-recommends "${missing[@]}"
    fi
  fi
  [[ -x "$pg_config" ]] || die "$pg_config not found after installing postgresql-server-dev-$major"

  # A private apt configuration that only knows trixie's deb-src entry.
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [[ -n "$codename" ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
  local aptdir="$WORK/apt"
  mkdir -p "$aptdir/sources.list.d" "$aptdir/lists/partial" "$WORK/src"
  derive_deb_src_entry "$codename" >"$aptdir/sources.list.d/pgvector-src.sources" ||
    die "no '$codename' deb entry found in /etc/apt/sources.list{,.d} to derive a deb-src entry from"
  printf '\n# derived deb-src entry:\n' >>"$LOG"
  cat "$aptdir/sources.list.d/pgvector-src.sources" >>"$LOG"
  # Let apt's unprivileged download user write there (avoids sandbox warnings).
  chmod 755 "$WORK"
  if getent passwd _apt >/dev/null; then
    chown -R _apt "$aptdir/lists" "$WORK/src"
  fi
  local apt_src=(
    -o "Dir::Etc::sourceparts=$aptdir/sources.list.d"
    -o Dir::Etc::sourcelist=/dev/null
    -o "Dir::State::Lists=$aptdir/lists"
    -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache=
  )

  log "fetching pgvector source from Debian $SOURCE_SUITE"
  run apt-get "${apt_src[@]}" update
  cd "$WORK/src"
  run apt-get "${apt_src[@]}" source -y pgvector
  cd - >/dev/null
  local srcdir
  srcdir="$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)"
  [[ -n "$srcdir" ]] || die "apt-get source pgvector produced no source directory"
  log "building $(basename "$srcdir") against PostgreSQL $major"
  run make -C "$srcdir" PG_CONFIG="$pg_config"
  run make -C "$srcdir" PG_CONFIG="$pg_config" install
  log "pgvector built and installed in $((SECONDS - started))s"
}

# ----------------------------------------------------------------- 3. check
verify() {
  psql_q "DROP DATABASE IF EXISTS $CHECK_DB" >>"$LOG" 2>&1 || die "cannot drop $CHECK_DB"
  psql_q "CREATE DATABASE $CHECK_DB" >>"$LOG" 2>&1 || die "cannot create $CHECK_DB"
  local version
  if ! version="$(psql_q "CREATE EXTENSION IF NOT EXISTS vector; SELECT extversion FROM pg_extension WHERE extname = 'vector'" "$CHECK_DB" 2>>"$LOG")"; then
    psql_q "DROP DATABASE IF EXISTS $CHECK_DB" >/dev/null 2>&1 || true
    die "CREATE EXTENSION vector failed"
  fi
  psql_q "DROP DATABASE IF EXISTS $CHECK_DB" >>"$LOG" 2>&1 || die "cannot drop $CHECK_DB"
  log "OK: CREATE EXTENSION vector works (pgvector $version)"
}

main() {
  local t0=$SECONDS
  ensure_running
  if vector_available; then
    log "pgvector already available"
  else
    local server_num major
    server_num="$(psql_q 'SHOW server_version_num')" || die "cannot query server version"
    major=$((server_num / 10000))
    log "pgvector not available; building it for PostgreSQL $major"
    build_pgvector "$major"
    vector_available || die "'vector' still not in pg_available_extensions after install"
  fi
  verify
  log "done in $((SECONDS - t0))s"
}

main "$@"
