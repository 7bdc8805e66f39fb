#!/usr/bin/env bash
# Smoke test of the base images (stand-ins or real): each one has the layout of the official image
# and builds and runs what the generated files ask of it.  Prints one line per check and exits
# non-zero on the first failure.
#   python:X-slim      python, python3, pip, pip3, pydoc in /usr/local/bin; setuptools and wheel
#                      importable up to 3.11 only, as in the official images; pip install (PyPI)
#                      and python -m venv in a docker build; a gunicorn app becomes healthy
#                      (HEALTHCHECK) and answers 200 as a non-root user
#   node:X-slim        the official layout of that Node major: node, npm, npx, the user node
#                      (uid/gid 1000); yarn 1 linked from /opt up to Node 25, none from 26;
#                      corepack up to 24, none from 25 (so on 25 "npm install -g corepack" fails
#                      with EEXIST, as on the real image). npm install and a healthy app as user
#                      node. The Dockerfiles migrate generates for a yarn 1, a Yarn 4 and a pnpm
#                      app pinned to that Node build.
#   redis:7            redis-cli ping, locally and over the network
#   postgres:16        healthy with pg_isready; psql login over the network with the env credentials
#   golang:1.24-bookworm + nginxinc/nginx-unprivileged:1.27-bookworm
#                      a static Go probe built with CGO_ENABLED=0 is the HEALTHCHECK of nginx on 8080
#
# Usage: bash .ci/check-base-images.sh [IMAGE...]
#   No IMAGE: the images .ci/base-images.sh makes by default. Else the checks of the images named
#   (node:20-slim node:25-slim ...: each tag gets its own).  Needs the engine and the images
#   (docker-up.sh, base-images.sh) and, for the generated Dockerfiles, migrate on PATH (or $MIGRATE).
#   MIGRATE_STANDIN_NAMESPACE=try checks try/NAME, as base-images.sh builds them with the same
#   variable (the FROM lines of the generated Dockerfiles are pointed there too).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NAMESPACE=${MIGRATE_STANDIN_NAMESPACE:-}
MIGRATE=${MIGRATE:-migrate}
# The local tag of an official image name.
img() { echo "${NAMESPACE:+$NAMESPACE/}$1"; }

WORK=$(mktemp -d)
PREFIX="migrate-check-$$"
dangling() { docker images --quiet --filter dangling=true | sort -u; }
dangling >"$WORK/dangling.before"
cleanup() {
    docker ps -aq --filter "name=^$PREFIX-" | xargs -r docker rm -f -v >/dev/null 2>&1 || true
    docker images --format '{{.Repository}}' | grep "^$PREFIX-" | sort -u | xargs -r docker rmi >/dev/null 2>&1 || true
    # The multi-stage builds leave their build stages behind: remove those (only this run's).
    dangling | comm -13 "$WORK/dangling.before" - | xargs -r docker rmi >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

T0=$SECONDS
ok() { printf 'check: ok   %-70s (%d s)\n' "$1" "$((SECONDS - T0))"; }
fail() { printf 'check: FAIL %s\n' "$1" >&2; exit 1; }

build() {  # TAG DIR
    DOCKER_BUILDKIT=0 docker build --quiet --tag "$1" "$2" >"$WORK/build.log" 2>&1 ||
        { tail -n 30 "$WORK/build.log" >&2; fail "docker build of $1"; }
}

wait_healthy() {  # CONTAINER SECONDS
    local i s
    for ((i = 0; i < $2; i++)); do
        s=$(docker inspect --format '{{.State.Health.Status}}' "$1")
        [ "$s" = healthy ] && return 0
        sleep 1
    done
    docker logs "$1" 2>&1 | tail -n 20 >&2
    fail "$1 is not healthy after $2 s (status: $s)"
}

ip_of() { docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
# A container name from an image name: node:22-slim -> PREFIX-node-22-slim.
cname() { echo "$PREFIX-$(echo "$1" | tr -c 'a-zA-Z0-9_.\n-' '-')"; }

# --- python --------------------------------------------------------------------------------
check_python() {  # NAME
    local name=$1 image c
    image=$(img "$name"); c=$(cname "$name")
    # Official images: python, python3, pip, pip3, pydoc in /usr/local/bin; setuptools and wheel
    # preinstalled up to 3.11 only (docker-library/python), so a build relying on them fails on 3.12.
    local tag_minor bundled=yes
    tag_minor=$(echo "${name#*:}" | cut -d- -f1 | cut -d. -f1-2)
    python3 -c 'import sys; sys.exit(tuple(map(int, sys.argv[1].split("."))) < (3, 12))' "$tag_minor" && bundled=no
    # shellcheck disable=SC2016  # expanded in the container
    docker run --rm --entrypoint sh -e BUNDLED="$bundled" "$image" -c '
        for b in python python3 pip pip3 pydoc; do [ -x "/usr/local/bin/$b" ] || { echo "no /usr/local/bin/$b"; exit 1; }; done
        [ "$(command -v pip)" = /usr/local/bin/pip ] || { echo "pip on PATH is $(command -v pip)"; exit 1; }
        pip --version >/dev/null || exit 1
        if python -c "import setuptools, wheel" 2>/dev/null; then has=yes; else has=no; fi
        [ "$has" = "$BUNDLED" ] || { echo "setuptools and wheel importable: $has, official image: $BUNDLED"; exit 1; }' \
        >"$WORK/layout.log" 2>&1 || { cat "$WORK/layout.log" >&2; fail "$name: the official python layout"; }
    [ "$(docker run --rm "$image" python -c 'print(1)')" = 1 ] || fail "$name python -c 'print(1)'"
    ok "$name: python, python3, pip, pip3, pydoc in /usr/local/bin; setuptools+wheel: $bundled; runs"
    mkdir -p "$WORK/$c"
    cat >"$WORK/$c/Dockerfile" <<EOF
FROM $image AS base
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:\$PATH"
WORKDIR /app
FROM base AS build
RUN /usr/local/bin/pip install --no-cache-dir uv==0.5.11 && uv --version && python -m venv /opt/venv
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
FROM base AS runtime
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /app /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 \\
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/').status != 200)"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
EOF
    printf 'flask==3.1.0\ngunicorn==23.0.0\n' >"$WORK/$c/requirements.txt"
    printf 'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get("/")\ndef index():\n    return "ok"\n' >"$WORK/$c/app.py"
    build "$c" "$WORK/$c"
    ok "$name: pip install from PyPI and python -m venv in a docker build"
    docker run -d --name "$c" "$c" >/dev/null
    wait_healthy "$c" 30
    [ "$(docker exec "$c" id -u)" = 10001 ] || fail "$name: the app runs as uid 10001"
    docker run --rm --network container:"$c" "$image" \
        python -c "import urllib.request; assert urllib.request.urlopen('http://127.0.0.1:8000/').read() == b'ok'" ||
        fail "$name: the app answers 200"
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$name: the app stops within 5 s"
    ok "$name: HEALTHCHECK healthy, 200, non-root, stops at once"
}

# --- node ----------------------------------------------------------------------------------
# The official layout of a node image (nodejs/docker-node): what differs by Node major.
node_layout() {  # NAME
    local name=$1 image major
    image=$(img "$name")
    major=$(docker run --rm "$image" node -p 'process.versions.node.split(".")[0]')
    # shellcheck disable=SC2016  # expanded in the container
    docker run --rm --user 0 --entrypoint bash -e MAJOR="$major" "$image" -c '
        set -u
        bad() { echo "$*"; exit 1; }
        for b in node npm npx; do [ -x "/usr/local/bin/$b" ] || bad "no /usr/local/bin/$b"; done
        [ "$(id -u node):$(id -g node):$(getent passwd node | cut -d: -f6)" = 1000:1000:/home/node ] ||
            bad "user node is not uid/gid 1000 with home /home/node"
        if [ "$MAJOR" -le 25 ]; then
            [ "$(readlink /usr/local/bin/yarn)" = /opt/yarn-v1.22.22/bin/yarn ] || bad "yarn is not linked to /opt/yarn-v1.22.22"
            [ "$(readlink /usr/local/bin/yarnpkg)" = /opt/yarn-v1.22.22/bin/yarnpkg ] || bad "yarnpkg is not linked to /opt/yarn-v1.22.22"
            [ "$(yarn --version)" = 1.22.22 ] || bad "yarn is not 1.22.22"
        else
            ! command -v yarn && ! command -v yarnpkg || bad "yarn is installed (node images stopped shipping it with 26)"
        fi
        if [ "$MAJOR" -le 24 ]; then
            [ "$(readlink /usr/local/bin/corepack)" = ../lib/node_modules/corepack/dist/corepack.js ] &&
                corepack --version >/dev/null || bad "no corepack in /usr/local/lib/node_modules, linked from /usr/local/bin"
        else
            ! command -v corepack || bad "corepack is installed (Node 25 stopped bundling it)"
        fi
        if [ "$MAJOR" -eq 25 ]; then
            # The trap the generated files avoid (uppy#3287): with no corepack installed, corepack
            # from npm cannot link its own yarn over the preinstalled one.
            out=$(npm install -g corepack 2>&1) && bad "npm install -g corepack succeeded over the preinstalled yarn"
            echo "$out" | grep -q EEXIST || bad "npm install -g corepack failed without EEXIST: $out"
        fi' >"$WORK/layout.log" 2>&1 || { tail -n 5 "$WORK/layout.log" >&2; fail "$name: the official node $major layout"; }
    ok "$name: node $major layout (node user 1000; yarn 1 $([ "$major" -le 25 ] && echo linked || echo absent), corepack $([ "$major" -le 24 ] && echo bundled || echo absent))"
}

check_node() {  # NAME
    local name=$1 image c
    image=$(img "$name"); c=$(cname "$name")
    node_layout "$name"
    mkdir -p "$WORK/$c"
    cat >"$WORK/$c/Dockerfile" <<EOF
FROM $image
WORKDIR /app
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY server.js ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
EOF
    echo '{"name": "check", "version": "1.0.0", "dependencies": {"express": "4.21.2"}}' >"$WORK/$c/package.json"
    cat >"$WORK/$c/server.js" <<'EOF'
const app = require("express")();
app.get("/", (req, res) => res.send("ok"));
const server = app.listen(3000);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
EOF
    build "$c" "$WORK/$c"
    ok "$name: npm install from the npm registry in a docker build"
    docker run -d --name "$c" "$c" >/dev/null
    # A node probe takes seconds on a loaded 2-core machine: allow for it.
    wait_healthy "$c" 60
    [ "$(docker exec "$c" id -u)" = 1000 ] || fail "$name: the app runs as uid 1000"
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$name: the app stops within 5 s"
    ok "$name: HEALTHCHECK healthy, user node, stops at once"
    generated_node "$name"
}

# The Dockerfiles migrate generates for a yarn 1, a Yarn 4 and a pnpm app pinned to this Node
# major build on this image (no dependencies: the lockfiles are exact, the frozen installs run).
generated_node() {  # NAME
    local name=$1 major pm dir c
    if ! command -v "$MIGRATE" >/dev/null 2>&1; then
        fail "$name: '$MIGRATE' not found: install the project (pip install -e .) or set MIGRATE"
    fi
    major=$(docker run --rm "$(img "$name")" node -p 'process.versions.node.split(".")[0]')
    for pm in yarn@1.22.22 yarn@4.5.0 pnpm@9.15.0; do
        dir="$WORK/gen-$major-${pm%%.*}"; c=$(cname "gen-$major-${pm%%.*}")
        mkdir -p "$dir"
        printf '{"name": "app", "version": "1.0.0", "private": true, "packageManager": "%s", "scripts": {"start": "node server.js"}}\n' \
            "$pm" >"$dir/package.json"
        echo "$major" >"$dir/.nvmrc"
        printf 'require("http").createServer((q, r) => r.end("ok")).listen(process.env.PORT || 3000);\n' >"$dir/server.js"
        case "$pm" in
            yarn@1.*) cp "$HERE/check-fixtures/yarn1.lock" "$dir/yarn.lock" ;;
            yarn@*) cp "$HERE/check-fixtures/yarn4.lock" "$dir/yarn.lock" ;;
            pnpm@*) cp "$HERE/check-fixtures/pnpm-lock.yaml" "$dir/pnpm-lock.yaml" ;;
        esac
        "$MIGRATE" init --yes --only dockerfile,dockerignore "$dir" >"$WORK/init.log" 2>&1 ||
            { cat "$WORK/init.log" >&2; fail "$name: migrate init for a $pm app"; }
        grep -q "^FROM node:$major-slim " "$dir/Dockerfile" || fail "$name: the $pm Dockerfile is not FROM node:$major-slim"
        [ -z "$NAMESPACE" ] || sed -i -E "s#^FROM node:#FROM $NAMESPACE/node:#" "$dir/Dockerfile"
        build "$c" "$dir"
        [ "$(docker run --rm --entrypoint id "$c" -u)" = 10001 ] || fail "$name: the generated $pm image runs as uid 10001"
        ok "$name: the generated Dockerfile of a $pm app builds"
    done
}

# --- redis ---------------------------------------------------------------------------------
check_redis() {  # NAME
    local name=$1 image c
    image=$(img "$name"); c=$(cname "$name")
    docker run -d --name "$c" --health-cmd 'redis-cli ping' --health-interval 1s "$image" >/dev/null
    wait_healthy "$c" 30
    [ "$(docker run --rm "$image" redis-cli -h "$(ip_of "$c")" ping)" = PONG ] || fail "$name: redis-cli ping over the network"
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$name: redis stops within 5 s"
    ok "$name: redis-cli ping locally and over the network"
}

# --- postgres ------------------------------------------------------------------------------
check_postgres() {  # NAME
    local name=$1 image c out
    image=$(img "$name"); c=$(cname "$name")
    docker run -d --name "$c" -e POSTGRES_USER=app -e POSTGRES_PASSWORD=app-pw -e POSTGRES_DB=appdb \
        --health-cmd 'pg_isready -U app -d appdb' --health-interval 1s "$image" >/dev/null
    wait_healthy "$c" 60
    out=$(docker run --rm -e PGPASSWORD=app-pw "$image" \
        psql -h "$(ip_of "$c")" -U app -d appdb -tAc 'select current_user || current_database()')
    [ "$out" = appappdb ] || fail "$name: psql login with the env credentials (got '$out')"
    if docker run --rm -e PGPASSWORD=wrong "$image" psql -h "$(ip_of "$c")" -U app -d appdb -c 'select 1' >/dev/null 2>&1; then
        fail "$name: postgres accepted a wrong password"
    fi
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$name: postgres stops within 5 s"
    ok "$name: pg_isready healthy, psql login over the network, password checked"
}

# --- golang + nginx-unprivileged -----------------------------------------------------------
check_go_nginx() {  # GOLANG_NAME NGINX_NAME
    local go=$1 nginx=$2 c
    c=$(cname web)
    mkdir -p "$WORK/web"
    cat >"$WORK/web/Dockerfile" <<EOF
FROM $(img "$go") AS probe
WORKDIR /src
RUN printf '%s\n' \\
  'package main' \\
  'import ("net/http"; "os"; "time")' \\
  'func main() {' \\
  '	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(os.Args[1])' \\
  '	if err != nil || resp.StatusCode >= 400 { os.Exit(1) }' \\
  '}' > probe.go \\
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /probe probe.go
FROM $(img "$nginx")
COPY --from=probe /probe /usr/local/bin/probe
COPY index.html /usr/share/nginx/html/index.html
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 CMD ["probe", "http://127.0.0.1:8080/"]
EOF
    echo '<h1>ok</h1>' >"$WORK/web/index.html"
    build "$c" "$WORK/web"
    ok "$go: go build of a static probe in a docker build"
    docker run -d --name "$c" "$c" >/dev/null
    wait_healthy "$c" 30
    [ "$(docker exec "$c" id -u)" = 101 ] || fail "$nginx: nginx runs as uid 101"
    docker exec "$c" curl -fsS http://127.0.0.1:8080/ | grep -q '<h1>ok</h1>' || fail "$nginx: nginx answers on 8080"
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$nginx: nginx stops within 5 s"
    ok "$nginx: healthy with the Go probe, uid 101, 8080"
}

# --- haproxy -------------------------------------------------------------------------------
check_haproxy() {  # NAME
    local name=$1 image c
    image=$(img "$name"); c=$(cname "$name")
    # shellcheck disable=SC2016  # expanded in the container
    docker run --rm --entrypoint sh "$image" -c '
        bad() { echo "$*"; exit 1; }
        [ "$(command -v haproxy)" = /usr/local/sbin/haproxy ] || bad "haproxy on PATH is $(command -v haproxy)"
        [ "$(id -u):$(id -g)" = 99:99 ] && [ "$(id -un)" = haproxy ] || bad "runs as $(id), not haproxy 99:99"
        [ -d /usr/local/etc/haproxy ] || bad "no /usr/local/etc/haproxy"
        [ "$(stat -c %u /var/lib/haproxy)" = 99 ] || bad "/var/lib/haproxy is not owned by haproxy"' \
        >"$WORK/layout.log" 2>&1 || { cat "$WORK/layout.log" >&2; fail "$name: the official haproxy layout"; }
    [ "$(docker image inspect --format '{{.Config.StopSignal}} {{json .Config.Cmd}}' "$image")" = \
        'SIGUSR1 ["haproxy","-f","/usr/local/etc/haproxy/haproxy.cfg"]' ] || fail "$name: STOPSIGNAL SIGUSR1 and the official CMD"
    ok "$name: /usr/local/sbin/haproxy, user haproxy 99, STOPSIGNAL SIGUSR1, CMD -f /usr/local/etc/haproxy/haproxy.cfg"
    # An HTTP check (of its own frontend) and the runtime API: a weight set at run time reads back.
    cat >"$WORK/haproxy.cfg" <<EOF
global
    stats socket ipv4@127.0.0.1:9999 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 0.0.0.0:8080
    http-request return status 200 content-type text/plain string ok
backend app
    option httpchk GET /healthz
    http-check expect status 200-399
    server one 127.0.0.1:8080 check inter 500ms weight 10
EOF
    docker create --name "$c" "$image" >/dev/null
    docker cp "$WORK/haproxy.cfg" "$c:/usr/local/etc/haproxy/haproxy.cfg"
    docker start "$c" >/dev/null
    local i out=""
    for ((i = 0; i < 30; i++)); do
        # shellcheck disable=SC2016  # expanded in the container (bash's /dev/tcp: the image has no socat)
        out=$(docker exec "$c" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9999 && echo "set server app/one weight 7; get weight app/one" >&3 && cat <&3' 2>/dev/null || true)
        [ -n "$out" ] && break
        sleep 1
    done
    [ "$(echo "$out" | grep -o '^7 (initial 10)')" = "7 (initial 10)" ] || { docker logs "$c" 2>&1 | tail -n 20 >&2; fail "$name: a weight set through the runtime API reads back (got '$out')"; }
    local t=$SECONDS; docker stop "$c" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "$name: haproxy stops within 5 s"
    ok "$name: starts on a configuration copied in, runtime API sets and reads a weight, stops at once"
}

# --- which checks --------------------------------------------------------------------------
if [ "$#" -gt 0 ]; then names=("$@"); else mapfile -t names < <(bash "$HERE/base-images.sh" --list); fi
go_name="" nginx_name=""
for name in "${names[@]}"; do
    case "$name" in
        python:*) check_python "$name" ;;
        node:*) check_node "$name" ;;
        redis:*) check_redis "$name" ;;
        postgres:*) check_postgres "$name" ;;
        golang:*) go_name=$name ;;
        nginxinc/nginx-unprivileged:*) nginx_name=$name ;;
        haproxy:*) check_haproxy "$name" ;;
        debian:*) [ "$(docker run --rm "$(img "$name")" sh -c 'echo ok')" = ok ] || fail "$name runs"; ok "$name runs" ;;
        *) fail "no check for $name" ;;
    esac
done
if [ -n "$go_name$nginx_name" ]; then
    check_go_nginx "${go_name:-golang:1.24-bookworm}" "${nginx_name:-nginxinc/nginx-unprivileged:1.27-bookworm}"
fi

echo "check: all base images passed in $((SECONDS - T0)) s"
