# Shared by compose/container/{up,test,down}: the compose topology of compose/docker-compose.yml run with real
# containers on a Debian machine that has no Docker engine and reaches no image registry. Source it; do not
# run it.
#
# - podman runs the containers (rootful), with this folder's containers.conf;
# - Debian's docker-compose drives it through `podman system service`, podman's Docker API socket;
# - images a registry would give are made locally from Debian's packages with mmdebstrap (see make_base_images);
# - podman runs healthchecks from systemd timers; without systemd, run_healthchecks does that job.
# shellcheck shell=bash

source "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"

COMPOSE_FILE=$ROOT/compose/docker-compose.yml
STATE_DIR=${QUOTING_CONTAINER_DIR:-$ROOT/.data/container}
ENV_FILE=$STATE_DIR/compose.env
export CONTAINERS_CONF=$ROOT/compose/container/containers.conf
export DOCKER_HOST=unix://$STATE_DIR/podman.sock
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-quoting}
CONTAINER_PROXY_PORT=${CONTAINER_PROXY_PORT:-8180}
# The Dockerfile's two bases, made here under the very names it uses, and the stand-ins for the official
# postgres, redis and nginx images, which compose takes from POSTGRES_IMAGE, REDIS_IMAGE and PROXY_IMAGE.
DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
SWIFT_IMAGE=docker.io/library/$(sed -n 's/^FROM \(swift:[^ ]*\) AS build$/\1/p' "$ROOT/compose/Dockerfile")
STAND_IN=localhost/quoting-stand-in
SERVICE_IMAGE_PREFIX=localhost/quoting

ensure_container_tools() {
    ensure_packages podman runc netavark aardvark-dns docker-compose mmdebstrap
}

# docker-compose on the deployment, with podman's network options (podman.yml) and any extra -f files in
# COMPOSE_EXTRA_FILES.
compose() {
    local files=(-f "$COMPOSE_FILE" -f "$ROOT/compose/container/podman.yml") extra
    for extra in ${COMPOSE_EXTRA_FILES:-}; do files+=(-f "$extra"); done
    docker-compose --project-directory "$ROOT/compose" "${files[@]}" --env-file "$ENV_FILE" "$@"
}

engine_running() { curl -fsS --unix-socket "$STATE_DIR/podman.sock" http://podman/_ping >/dev/null 2>&1; }

# Starts podman's Docker API service on $STATE_DIR/podman.sock, unless it answers already.
start_engine() {
    mkdir -p "$STATE_DIR"
    engine_running && return
    log "starting podman's Docker API service"
    rm -f "$STATE_DIR/podman.sock"
    nohup podman system service --time=0 "unix://$STATE_DIR/podman.sock" >>"$STATE_DIR/podman-service.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/podman-service.pid"
    for _ in $(seq 1 100); do engine_running && return; sleep 0.1; done
    die "podman's API service did not start; see $STATE_DIR/podman-service.log"
}

stop_engine() { kill_pidfile "$STATE_DIR/podman-service.pid"; }

# Runs every container's healthcheck every HEALTHCHECK_INTERVAL seconds. podman schedules healthchecks with
# systemd timers; on a machine without systemd they would never run, every service would stay "starting", and
# compose's `condition: service_healthy` would wait forever. With systemd this loop is not started.
start_healthchecks() {
    [ -d /run/systemd/system ] && return
    pid_alive "$STATE_DIR/healthchecks.pid" && return
    (
        while :; do
            for name in $(podman ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}}'); do
                podman healthcheck run "$name" >/dev/null 2>&1 || true
            done
            sleep "${HEALTHCHECK_INTERVAL:-3}"
        done
    ) </dev/null >/dev/null 2>&1 &
    echo $! >"$STATE_DIR/healthchecks.pid"
}

stop_healthchecks() { kill_pidfile "$STATE_DIR/healthchecks.pid"; }

# Makes image $1 from Debian bookworm unless it exists: mmdebstrap's variant $2 with the packages $3
# (comma-separated), then the mmdebstrap options and `--` podman import options that follow.
make_debian_image() {
    local name=$1 variant=$2 packages=$3 options=() imports=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    imports=("$@")
    podman image exists "$name" && return
    log "making $name from Debian's packages (mmdebstrap)"
    # Like Debian's -slim images: no documentation, manual pages or translations, no apt lists.
    mmdebstrap --quiet --variant="$variant" ${packages:+--include="$packages"} \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
        "${options[@]}" bookworm - \
        | podman import --quiet "${imports[@]}" - "$name" >/dev/null
}

# The images this machine cannot pull. A Docker user with a registry pulls the real ones instead.
make_base_images() {
    local stand_ins=$ROOT/compose/container/stand-ins swift_version toolchain
    # Debian's own minimal system, merged /usr without the usrmerge tool and the full perl it brings: what
    # debian:bookworm-slim is.
    make_debian_image "$DEBIAN_IMAGE" minbase usr-is-merged \
        --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl perl-modules-5.36 libperl5.36 >/dev/null' \
        -- --change 'CMD ["bash"]'
    # The toolchain this machine has (the version the Dockerfile names), on bookworm with what swift:*-bookworm
    # images carry, and the Swift package copies this machine's git reads github.com from.
    swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -n 1)
    [[ $SWIFT_IMAGE == *":$swift_version-bookworm" ]] \
        || die "the Dockerfile builds with $SWIFT_IMAGE; this machine's toolchain is Swift $swift_version"
    toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
    make_debian_image "$SWIFT_IMAGE" apt \
        binutils,ca-certificates,git,gnupg,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libncurses-dev,libpython3.11,libsqlite3-0,libstdc++-12-dev,libxml2-dev,libz3-4,pkg-config,tzdata,unzip,zlib1g-dev \
        --customize-hook='mkdir -p "$1/opt/swift" "$1/opt/swift-packages"' \
        --customize-hook="sync-in $toolchain /opt/swift" \
        --customize-hook="sync-in /opt/swift-packages /opt/swift-packages" \
        --customize-hook="git config --file \"\$1/etc/gitconfig\" url./opt/swift-packages/.insteadOf https://github.com/" \
        -- --change "ENV PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change 'CMD ["bash"]'
    make_debian_image "$STAND_IN/postgres:15-bookworm" minbase postgresql-15,postgresql-client-15 \
        --essential-hook='mkdir -p "$1/etc/postgresql-common" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.conf"' \
        --customize-hook="upload $stand_ins/postgres-entrypoint /usr/local/bin/docker-entrypoint.sh" \
        --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"' \
        -- --change "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' --change 'CMD ["postgres"]' \
        --change 'STOPSIGNAL SIGINT'
    make_debian_image "$STAND_IN/redis:7-bookworm" minbase redis-server,redis-tools \
        --customize-hook="upload $stand_ins/redis-entrypoint /usr/local/bin/docker-entrypoint.sh" \
        --customize-hook='chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"' \
        -- --change 'WORKDIR /data' --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
        --change 'CMD ["redis-server"]'
    # Debian's nginx is 1.22; compose/nginx/nginx.conf works with it and with the official 1.27.
    make_debian_image "$STAND_IN/nginx:1.22-bookworm" minbase nginx-light \
        --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log" && ln -sf /dev/stderr "$1/var/log/nginx/error.log"' \
        -- --change 'CMD ["nginx", "-g", "daemon off;"]' --change 'STOPSIGNAL SIGQUIT'
}

# Builds the five service images and the proxy's from compose/Dockerfile: the build stage once (podman caches
# its layers, and the build folder in a cache mount), then each target. Docker format, so that HEALTHCHECK is
# kept. Do not `podman image prune`: it drops the cached build stage, and the next build starts from nothing.
build_service_images() {
    local image
    for image in "${SERVICES[@]}" proxy; do
        log "building the $image image"
        mkdir -p "$STATE_DIR"
        podman build --pull=never --format docker --target "$image" -f "$ROOT/compose/Dockerfile" \
            --build-arg "PROXY_IMAGE=$STAND_IN/nginx:1.22-bookworm" \
            -t "$SERVICE_IMAGE_PREFIX/$image:latest" "$ROOT" >"$STATE_DIR/build-$image.log" 2>&1 \
            || { tail -n 30 "$STATE_DIR/build-$image.log" >&2; die "the $image image did not build"; }
    done
}

# The deployment's variables for this machine, made once: secrets generated with openssl, the stand-in
# images, the proxy on 127.0.0.1:$CONTAINER_PROXY_PORT. compose/.env.example says what each one is.
write_env_file() {
    [ -s "$ENV_FILE" ] && return
    mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR"
    cat >"$ENV_FILE.new" <<ENV
POSTGRES_PASSWORD=$(openssl rand -hex 24)
$(jwt_key_pair k1)
ACTIVITY_INGEST_KEYS=quoting-core:quote.*|customer.*:$(openssl rand -hex 32)
PROXY_PUBLISH=127.0.0.1:$CONTAINER_PROXY_PORT
QUOTING_IMAGE_PREFIX=$SERVICE_IMAGE_PREFIX
POSTGRES_IMAGE=$STAND_IN/postgres:15-bookworm
REDIS_IMAGE=$STAND_IN/redis:7-bookworm
PROXY_IMAGE=$STAND_IN/nginx:1.22-bookworm
ENV
    chmod 600 "$ENV_FILE.new" && mv "$ENV_FILE.new" "$ENV_FILE"
}

env_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }

# Waits until the deployment is healthy and the proxy on $CONTAINER_PROXY_PORT reaches every service.
wait_ready_through_proxy() {
    wait_healthy || return 1
    for service in "${SERVICES[@]}"; do
        curl -fs -o /dev/null --retry 30 --retry-delay 1 --retry-all-errors \
            "http://127.0.0.1:$CONTAINER_PROXY_PORT/health/$service" || { log "the proxy does not reach $service"; return 1; }
    done
}

# Waits until every container of the project runs, and those with a healthcheck report healthy, or fails
# naming those that do not.
wait_healthy() {
    local deadline=$((SECONDS + ${READY_TIMEOUT:-300})) pending
    while :; do
        pending=$(podman ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
            --format '{{.Names}} {{.Status}}' | grep -Ev '^[^ ]+ Up [^(]*(\(healthy\))?$' || true)
        [ -z "$pending" ] && return
        [ $SECONDS -lt $deadline ] || { log "not healthy in time: $(tr '\n' ';' <<<"$pending")"; return 1; }
        sleep 1
    done
}
