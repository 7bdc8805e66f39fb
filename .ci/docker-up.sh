#!/usr/bin/env bash
# Make a Docker engine answer on this machine. Idempotent: run it as often as you like.
#
#   1. installs docker.io (the engine, from Debian) and debootstrap (for .ci/base-images.sh)
#      with apt-get when they are missing;
#   2. starts dockerd in the background when `docker info` fails (log: $DOCKERD_LOG);
#   3. waits up to $DOCKER_WAIT seconds (default 60) for `docker info` to answer.
#
# Exits 0 once the engine answers, 1 otherwise (printing the tail of the dockerd log).
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/migrate-dockerd.log}
DOCKER_WAIT=${DOCKER_WAIT:-60}

log() { printf 'docker-up: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Packages. The engine comes from Debian's docker.io; a docker client elsewhere on PATH
#    (e.g. /usr/local/bin/docker) is fine: it negotiates the API version down.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    log "installed in $((SECONDS - t0)) s"
fi

# 2. The engine.
if docker info >/dev/null 2>&1; then
    log "engine already answers"
    exit 0
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    # Leftovers of a dockerd that died uncleanly keep a new one from starting.
    as_root rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
    log "starting dockerd (log: $DOCKERD_LOG)"
    as_root mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid + nohup: the engine outlives this script and the shell that ran it.
    as_root setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
else
    log "dockerd is running but does not answer yet; waiting"
fi

# 3. Wait.
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$DOCKER_WAIT" ]; do
    if docker info >/dev/null 2>&1; then
        log "engine answers after $((SECONDS - t0)) s ($(docker version --format 'server {{.Server.Version}}' 2>/dev/null))"
        exit 0
    fi
    sleep 1
done

log "no answer from the engine after ${DOCKER_WAIT} s; last lines of $DOCKERD_LOG:"
tail -n 30 "$DOCKERD_LOG" >&2 || true
exit 1
