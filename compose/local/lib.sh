# Shared by compose/local/{up,down,test,bench}: where things live, which ports they use, and how the
# private Postgres, Redis, services and nginx are started and stopped. Source it; do not run it.
# shellcheck shell=bash

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA_DIR=${QUOTING_DATA_DIR:-$ROOT/.data}
LOG_DIR=$DATA_DIR/logs
RUN_DIR=$DATA_DIR/run

SERVICES=(users rates activity feedback dashboard)
declare -A DEFAULT_PORT=([users]=8081 [rates]=8082 [activity]=8083 [feedback]=8084 [dashboard]=8085)

export POSTGRES_HOST=${POSTGRES_HOST:-127.0.0.1}
export POSTGRES_PORT=${POSTGRES_PORT:-55432}
export POSTGRES_USER=${POSTGRES_USER:-quoting}
export POSTGRES_DATABASE=${POSTGRES_DATABASE:-quoting}
export REDIS_HOST=${REDIS_HOST:-127.0.0.1}
export REDIS_PORT=${REDIS_PORT:-56379}
PROXY_PORT=${PROXY_PORT:-8080}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
BUILD_CONFIGURATION=${BUILD_CONFIGURATION:-release}
# A service with APP_ENV unset runs as production and refuses to start without its secrets; on one machine
# the services run in development, with keys of their own (use_local_keys).
export APP_ENV=${APP_ENV:-development}

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

# Installs the Debian packages the system needs, once; a second run finds them and installs nothing.
# Installs what the scripts need, and any extra packages named as arguments, when missing.
ensure_packages() {
    local wanted=(postgresql redis-server nginx-light libhiredis-dev libcurl4-openssl-dev pkg-config curl ca-certificates openssl "$@")
    local missing=()
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    # nginx-light and nginx-full both provide an nginx binary; either will do.
    if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v nginx >/dev/null; then
        missing=("${missing[@]/nginx-light}")
    fi
    local needed=()
    for package in "${missing[@]}"; do [ -n "$package" ] && needed+=("$package"); done
    if [ ${#needed[@]} -gt 0 ]; then
        log "installing ${needed[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
    fi
}

# The folder of the server binaries (initdb, pg_ctl, pg_isready): Debian's versioned folder, else PATH.
pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null; then dir=$(dirname "$(command -v pg_ctl)"); fi
    [ -n "$dir" ] || die "PostgreSQL binaries not found; is the postgresql package installed?"
    echo "$dir"
}

# Postgres refuses to run as root: as root, run its tools as the postgres user.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The postgres user must be able to reach the data folder: as root in a private checkout (mktemp -d makes
# 0700 folders), give "others" search permission (x, not read) on each folder on the way.
make_reachable_for_postgres() {
    local target=$1 dir
    [ "$(id -u)" = 0 ] || return 0
    dir=$target
    while [ "$dir" != "/" ]; do
        if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
            log "allowing the postgres user to traverse $dir (chmod o+x)"
            chmod o+x "$dir"
        fi
        dir=$(dirname "$dir")
    done
}

local_host() { [ "$1" = 127.0.0.1 ] || [ "$1" = localhost ] || [ "$1" = ::1 ]; }

postgres_running() {
    "$(pg_bin)/pg_isready" -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" >/dev/null 2>&1
}

start_postgres() {
    local_host "$POSTGRES_HOST" || { log "using Postgres at $POSTGRES_HOST:$POSTGRES_PORT"; return; }
    local bin pgdata=$DATA_DIR/postgres
    bin=$(pg_bin)
    mkdir -p "$LOG_DIR" "$RUN_DIR"
    if postgres_running; then log "Postgres already running on port $POSTGRES_PORT"; return; fi
    make_reachable_for_postgres "$DATA_DIR"
    if [ ! -s "$pgdata/PG_VERSION" ]; then
        log "creating a Postgres cluster in $pgdata"
        mkdir -p "$pgdata"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdata"
        chmod 700 "$pgdata"
        as_postgres "$bin/initdb" -D "$pgdata" -U "$POSTGRES_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >>"$pgdata/postgresql.conf" <<CONF
# compose/local: a private cluster on loopback, beside any system Postgres.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
CONF
    fi
    touch "$LOG_DIR/postgres.log"
    [ "$(id -u)" = 0 ] && chown postgres "$LOG_DIR/postgres.log"
    log "starting Postgres on 127.0.0.1:$POSTGRES_PORT"
    as_postgres "$bin/pg_ctl" -D "$pgdata" -l "$LOG_DIR/postgres.log" -o "-p $POSTGRES_PORT" -w -t 60 start >/dev/null \
        || { tail -n 20 "$LOG_DIR/postgres.log" >&2; die "Postgres did not start"; }
    ensure_database "$POSTGRES_DATABASE"
}

ensure_database() {
    local name=$1
    if ! psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        log "creating database $name"
        psql -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
    fi
}

stop_postgres() {
    local pgdata=$DATA_DIR/postgres
    [ -s "$pgdata/postmaster.pid" ] || return 0
    log "stopping Postgres"
    as_postgres "$(pg_bin)/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null || true
}

redis_running() {
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG
}

start_redis() {
    local_host "$REDIS_HOST" || { log "using Redis at $REDIS_HOST:$REDIS_PORT"; return; }
    mkdir -p "$DATA_DIR/redis" "$LOG_DIR" "$RUN_DIR"
    if redis_running; then log "Redis already running on port $REDIS_PORT"; return; fi
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA_DIR/redis" \
        --daemonize yes --pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" \
        --appendonly yes --appendfsync everysec --save "" >/dev/null
    for _ in $(seq 1 100); do redis_running && return; sleep 0.1; done
    tail -n 20 "$LOG_DIR/redis.log" >&2
    die "Redis did not start"
}

stop_redis() {
    [ -s "$RUN_DIR/redis.pid" ] || return 0
    log "stopping Redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill_pidfile "$RUN_DIR/redis.pid"
    rm -f "$RUN_DIR/redis.pid"
}

# Whether the process in pid file $1 runs (a zombie, killed but not yet reaped, does not count).
pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    kill -0 "$pid" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

kill_pidfile() {
    local file=$1 pid
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

# The port of replica $2 (1-based) of service $1: the service's port, then +100 per further replica.
service_port() {
    local service=$1 replica=${2:-1} variable base
    variable="${service^^}_HTTP_PORT"
    base=${!variable:-${DEFAULT_PORT[$service]}}
    echo $((base + 100 * (replica - 1)))
}

replicas_of() {
    local variable="${1^^}_REPLICAS"
    echo "${!variable:-1}"
}

# The secret of the quoting core's key in ACTIVITY_INGEST_KEYS (comma-separated <source>:<patterns>:<secret>
# entries), which the demo data, the fault test and the benchmarks post with; the development key when unset.
quoting_core_ingest_key() {
    local entry entries
    if [ -z "${ACTIVITY_INGEST_KEYS:-}" ]; then
        echo dev-ingest-key
        return
    fi
    IFS=, read -ra entries <<<"$ACTIVITY_INGEST_KEYS"
    for entry in "${entries[@]}"; do
        entry=${entry#"${entry%%[![:space:]]*}"}
        entry=${entry%"${entry##*[![:space:]]}"}
        if [ "${entry%%:*}" = quoting-core ]; then
            entry=${entry#*:}
            echo "${entry#*:}"
            return
        fi
    done
    die "ACTIVITY_INGEST_KEYS has no key for the source quoting-core"
}

# swift build with its arguments, without the progress lines and the dependencies' known warnings.
swift_build() {
    local status
    set +o pipefail
    (cd "$ROOT" && swift build "$@" 2>&1) \
        | { grep -Ev "^\[[0-9]+/[0-9]+\]|prohibited flag|found [0-9]+ file\(s\) which are unhandled|CMakeLists.txt$|^Building for|^Planning build" || true; }
    status=${PIPESTATUS[0]}
    set -o pipefail
    return "$status"
}

build_services() {
    log "building the services ($BUILD_CONFIGURATION)"
    swift_build -c "$BUILD_CONFIGURATION" || die "the build failed"
}

bin_path() { (cd "$ROOT" && swift build -c "$BUILD_CONFIGURATION" --show-bin-path); }

# A new Ed25519 access-token key pair under the key id $1, as the two lines JWT_PUBLIC_KEYS=… and
# JWT_PRIVATE_KEY=… (base64url, no padding), made with openssl.
jwt_key_pair() {
    local pem seed public
    pem=$(openssl genpkey -algorithm ed25519)
    # The last 32 bytes of the DER forms are the raw seed (PKCS #8) and the raw public key (SPKI).
    seed=$(printf '%s\n' "$pem" | openssl pkey -outform DER | tail -c 32 | basenc --base64url | tr -d '=\n')
    public=$(printf '%s\n' "$pem" | openssl pkey -pubout -outform DER | tail -c 32 | basenc --base64url | tr -d '=\n')
    printf 'JWT_PUBLIC_KEYS=%s:%s\nJWT_PRIVATE_KEY=%s:%s\n' "$1" "$public" "$1" "$seed"
}

# The access-token keys of this data folder, made once with openssl: an Ed25519 pair, exported as
# JWT_PUBLIC_KEYS (every service verifies with it) and JWT_PRIVATE_KEY (only users signs; the others ignore
# it), unless JWT_PUBLIC_KEYS is already set. Nothing is shared with any other machine or checkout, and no key is in the repository.
use_local_keys() {
    local dir=$DATA_DIR/keys
    [ -z "${JWT_PUBLIC_KEYS:-}" ] || return 0
    if [ ! -s "$dir/jwt.env" ]; then
        mkdir -p "$dir" && chmod 700 "$dir"
        jwt_key_pair local >"$dir/jwt.env.new"
        chmod 600 "$dir/jwt.env.new" && mv "$dir/jwt.env.new" "$dir/jwt.env"
    fi
    set -a
    # shellcheck disable=SC1091
    source "$dir/jwt.env"
    set +a
}

start_service() {
    local service=$1 replica=$2 port pidfile bin
    use_local_keys
    port=$(service_port "$service" "$replica")
    pidfile=$RUN_DIR/$service-$replica.pid
    if pid_alive "$pidfile"; then return; fi
    bin=$(bin_path)/$service
    log "starting $service #$replica on 127.0.0.1:$port"
    # What the build_info metric reports: the checkout's, asked once per script run.
    : "${BUILD_VERSION:=$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo unknown)}"
    : "${BUILD_REVISION:=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}"
    env "${service^^}_HTTP_PORT=$port" "INSTANCE_ID=${INSTANCE_ID_PREFIX:-}$service-$replica" \
        "BUILD_VERSION=$BUILD_VERSION" "BUILD_REVISION=$BUILD_REVISION" \
        nohup "$bin" >>"$LOG_DIR/$service-$replica.log" 2>&1 </dev/null &
    disown $! 2>/dev/null || true
    echo $! >"$pidfile"
}

stop_services() {
    local file
    for file in "$RUN_DIR"/*.pid; do
        [ -e "$file" ] || continue
        case $(basename "$file") in redis.pid | nginx.pid | prometheus.pid) continue ;; esac
        log "stopping $(basename "$file" .pid)"
        kill_pidfile "$file"
    done
}

# A stand-in for the Central Bank's site on 127.0.0.1:$1, for the tests (cbr.ru is not reachable from every
# machine, and a test must not depend on it): the recorded 17 March 2026 daily rates for whatever date is
# asked, served by Python's http.server. Point CBR_BASE_URL at http://127.0.0.1:$1/scripts/. stop_services
# stops it.
start_cbr_stand_in() {
    local port=$1
    pid_alive "$RUN_DIR/cbr.pid" && return
    mkdir -p "$DATA_DIR/cbr/scripts" "$LOG_DIR" "$RUN_DIR"
    cp "$ROOT/Tests/RatesAppTests/Fixtures/XML_daily_date_req_17-03-2026.xml" "$DATA_DIR/cbr/scripts/XML_daily.asp"
    log "starting the stand-in CBR site on 127.0.0.1:$port"
    nohup python3 -m http.server --bind 127.0.0.1 --directory "$DATA_DIR/cbr" "$port" \
        >>"$LOG_DIR/cbr.log" 2>&1 </dev/null &
    disown $! 2>/dev/null || true
    echo $! >"$RUN_DIR/cbr.pid"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/scripts/XML_daily.asp" 2>/dev/null && return
        sleep 0.1
    done
    die "the stand-in CBR site did not start (see $LOG_DIR/cbr.log)"
}

# Waits until every replica answers /health/ready, or fails naming the ones that did not.
wait_ready() {
    local deadline=$((SECONDS + ${READY_TIMEOUT:-180})) service replica pending
    while :; do
        pending=()
        for service in "${SERVICES[@]}"; do
            for replica in $(seq 1 "$(replicas_of "$service")"); do
                if ! pid_alive "$RUN_DIR/$service-$replica.pid"; then
                    tail -n 30 "$LOG_DIR/$service-$replica.log" >&2 || true
                    die "$service #$replica exited; see $LOG_DIR/$service-$replica.log"
                fi
                curl -fsS -o /dev/null "http://127.0.0.1:$(service_port "$service" "$replica")/health/ready" 2>/dev/null \
                    || pending+=("$service#$replica")
            done
        done
        [ ${#pending[@]} -eq 0 ] && return
        [ $SECONDS -lt $deadline ] || die "not ready in time: ${pending[*]} (logs in $LOG_DIR)"
        sleep 0.5
    done
}

write_nginx_conf() {
    local conf=$DATA_DIR/nginx/nginx.conf service replica upstreams=""
    mkdir -p "$DATA_DIR/nginx/tmp" "$LOG_DIR" "$RUN_DIR"
    for service in "${SERVICES[@]}"; do
        upstreams+="    upstream $service {\n"
        for replica in $(seq 1 "$(replicas_of "$service")"); do
            upstreams+="        server 127.0.0.1:$(service_port "$service" "$replica") max_fails=0;\n"
        done
        upstreams+="        keepalive 32;\n    }\n"
    done
    local user_line=""
    [ "$(id -u)" = 0 ] && user_line="user root;"
    sed -e "s|@USER@|$user_line|" -e "s|@DATA@|$DATA_DIR|g" -e "s|@PROXY_PORT@|$PROXY_PORT|g" -e "s|@ROOT@|$ROOT|g" \
        -e "s|@UPSTREAMS@|$upstreams|" "$ROOT/compose/local/nginx.conf.template" >"$conf"
    cp "$ROOT"/compose/nginx/{http,routes,headers,console}.conf "$DATA_DIR/nginx/"
    "$(bin_path)/api-docs" --output "$DATA_DIR/api-docs" "$ROOT"/Services/*/*App/openapi.json >&2 \
        || die "the API reference could not be made from the services' OpenAPI documents"
    echo "$conf"
}

start_nginx() {
    local conf
    conf=$(write_nginx_conf)
    nginx -t -q -c "$conf" -p "$DATA_DIR/nginx" 2>&1 | grep -v "^$" >&2 || true
    if pid_alive "$RUN_DIR/nginx.pid"; then
        nginx -c "$conf" -p "$DATA_DIR/nginx" -s reload
        return
    fi
    log "starting nginx on 127.0.0.1:$PROXY_PORT"
    nginx -c "$conf" -p "$DATA_DIR/nginx"
}

stop_nginx() {
    pid_alive "$RUN_DIR/nginx.pid" || return 0
    log "stopping nginx"
    kill_pidfile "$RUN_DIR/nginx.pid"
}

# The scrape configuration of this system (compose/prometheus/local.yml.template), written in folder $1 (by
# default $DATA_DIR/prometheus): every replica of every service as a static target, and the repository's alert
# rules (compose/prometheus/rules.yml). Prints its path.
write_prometheus_conf() {
    local dir=${1:-$DATA_DIR/prometheus} service replica targets substitutions=()
    mkdir -p "$dir"
    for service in "${SERVICES[@]}"; do
        targets=""
        for replica in $(seq 1 "$(replicas_of "$service")"); do
            targets+="${targets:+, }'127.0.0.1:$(service_port "$service" "$replica")'"
        done
        substitutions+=(-e "s|@TARGETS_${service^^}@|$targets|")
    done
    sed "${substitutions[@]}" -e "s|@RULES@|$ROOT/compose/prometheus/rules.yml|" \
        "$ROOT/compose/prometheus/local.yml.template" >"$dir/prometheus.yml"
    echo "$dir/prometheus.yml"
}

prometheus_ready() {
    curl -fsS -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 2>/dev/null
}

# Debian's Prometheus on 127.0.0.1:$PROMETHEUS_PORT with write_prometheus_conf's configuration, its data in
# $DATA_DIR/prometheus/data. When it runs already, it reads the configuration again (SIGHUP): replicas added
# since are scraped too.
start_prometheus() {
    local conf pidfile=$RUN_DIR/prometheus.pid
    conf=$(write_prometheus_conf)
    mkdir -p "$DATA_DIR/prometheus/data" "$LOG_DIR" "$RUN_DIR"
    if pid_alive "$pidfile"; then
        log "Prometheus reads its configuration again"
        kill -HUP "$(cat "$pidfile")"
        return
    fi
    prometheus_ready && die "something else answers on 127.0.0.1:$PROMETHEUS_PORT; set PROMETHEUS_PORT"
    log "starting Prometheus on 127.0.0.1:$PROMETHEUS_PORT"
    nohup prometheus --config.file="$conf" --storage.tsdb.path="$DATA_DIR/prometheus/data" \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >>"$LOG_DIR/prometheus.log" 2>&1 </dev/null &
    disown $! 2>/dev/null || true
    echo $! >"$pidfile"
    for _ in $(seq 1 300); do
        pid_alive "$pidfile" || break
        prometheus_ready && return
        sleep 0.1
    done
    tail -n 20 "$LOG_DIR/prometheus.log" >&2
    die "Prometheus did not start (see $LOG_DIR/prometheus.log)"
}

stop_prometheus() {
    pid_alive "$RUN_DIR/prometheus.pid" || { rm -f "$RUN_DIR/prometheus.pid"; return 0; }
    log "stopping Prometheus"
    kill_pidfile "$RUN_DIR/prometheus.pid"
}
