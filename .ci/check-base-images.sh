#!/usr/bin/env bash
# Smoke test of the base images (stand-ins or real): each one builds and runs what the generated
# files ask of it.  Prints one line per check and exits non-zero on the first failure.
#   python:3.12-slim   python runs; pip install (PyPI) and python -m venv in a docker build;
#                      a gunicorn app becomes healthy (HEALTHCHECK) and answers 200 as a non-root user
#   node:22-slim       npm install (npm registry) and corepack pnpm in a build; healthy; uid 1000
#   redis:7            redis-cli ping, locally and over the network
#   postgres:16        healthy with pg_isready; psql login over the network with the env credentials
#   golang:1.24-bookworm + nginxinc/nginx-unprivileged:1.27-bookworm
#                      a static Go probe built with CGO_ENABLED=0 is the HEALTHCHECK of nginx on 8080
# Usage: bash .ci/check-base-images.sh   (needs the engine and the images: docker-up.sh, base-images.sh)
set -euo pipefail

WORK=$(mktemp -d)
PREFIX="migrate-check-$$"
dangling() { docker images --quiet --filter dangling=true | sort -u; }
dangling >"$WORK/dangling.before"
cleanup() {
    docker rm -f -v "$PREFIX-py" "$PREFIX-node" "$PREFIX-redis" "$PREFIX-pg" "$PREFIX-web" >/dev/null 2>&1 || true
    docker rmi "$PREFIX-py" "$PREFIX-node" "$PREFIX-web" >/dev/null 2>&1 || true
    # The multi-stage builds leave their build stages behind: remove those (only this run's).
    dangling | comm -13 "$WORK/dangling.before" - | xargs -r docker rmi >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

T0=$SECONDS
ok() { printf 'check: ok   %-60s (%d s)\n' "$1" "$((SECONDS - T0))"; }
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

# --- python --------------------------------------------------------------------------------
[ "$(docker run --rm python:3.12-slim python -c 'print(1)')" = 1 ] || fail "python:3.12-slim python -c 'print(1)'"
ok "python:3.12-slim runs python"
mkdir -p "$WORK/py"
cat >"$WORK/py/Dockerfile" <<'EOF'
FROM python:3.12-slim AS base
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
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
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/').status != 200)"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
EOF
printf 'flask==3.1.0\ngunicorn==23.0.0\n' >"$WORK/py/requirements.txt"
printf 'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get("/")\ndef index():\n    return "ok"\n' >"$WORK/py/app.py"
build "$PREFIX-py" "$WORK/py"
ok "python: pip install from PyPI and python -m venv in a docker build"
docker run -d --name "$PREFIX-py" "$PREFIX-py" >/dev/null
wait_healthy "$PREFIX-py" 30
[ "$(docker exec "$PREFIX-py" id -u)" = 10001 ] || fail "python app runs as uid 10001"
docker run --rm --network container:"$PREFIX-py" python:3.12-slim \
    python -c "import urllib.request; assert urllib.request.urlopen('http://127.0.0.1:8000/').read() == b'ok'" ||
    fail "python app answers 200"
t=$SECONDS; docker stop "$PREFIX-py" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "python app stops within 5 s"
ok "python: HEALTHCHECK healthy, 200, non-root, stops at once"

# --- node ----------------------------------------------------------------------------------
mkdir -p "$WORK/node"
cat >"$WORK/node/Dockerfile" <<'EOF'
FROM node:22-slim
WORKDIR /app
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund
RUN corepack enable pnpm && pnpm --version && yarn --version
COPY server.js ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
EOF
echo '{"name": "check", "version": "1.0.0", "packageManager": "pnpm@9.15.0", "dependencies": {"express": "4.21.2"}}' >"$WORK/node/package.json"
cat >"$WORK/node/server.js" <<'EOF'
const app = require("express")();
app.get("/", (req, res) => res.send("ok"));
const server = app.listen(3000);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
EOF
build "$PREFIX-node" "$WORK/node"
ok "node: npm install from the npm registry and corepack pnpm in a docker build"
docker run -d --name "$PREFIX-node" "$PREFIX-node" >/dev/null
wait_healthy "$PREFIX-node" 30
[ "$(docker exec "$PREFIX-node" id -u)" = 1000 ] || fail "node app runs as uid 1000"
t=$SECONDS; docker stop "$PREFIX-node" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "node app stops within 5 s"
ok "node: HEALTHCHECK healthy, user node, stops at once"

# --- redis ---------------------------------------------------------------------------------
docker run -d --name "$PREFIX-redis" --health-cmd 'redis-cli ping' --health-interval 1s redis:7 >/dev/null
wait_healthy "$PREFIX-redis" 30
[ "$(docker run --rm redis:7 redis-cli -h "$(ip_of "$PREFIX-redis")" ping)" = PONG ] || fail "redis-cli ping over the network"
t=$SECONDS; docker stop "$PREFIX-redis" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "redis stops within 5 s"
ok "redis:7: redis-cli ping locally and over the network"

# --- postgres ------------------------------------------------------------------------------
docker run -d --name "$PREFIX-pg" -e POSTGRES_USER=app -e POSTGRES_PASSWORD=app-pw -e POSTGRES_DB=appdb \
    --health-cmd 'pg_isready -U app -d appdb' --health-interval 1s postgres:16 >/dev/null
wait_healthy "$PREFIX-pg" 60
out=$(docker run --rm -e PGPASSWORD=app-pw postgres:16 \
    psql -h "$(ip_of "$PREFIX-pg")" -U app -d appdb -tAc 'select current_user || current_database()')
[ "$out" = appappdb ] || fail "psql login with the env credentials (got '$out')"
if docker run --rm -e PGPASSWORD=wrong postgres:16 psql -h "$(ip_of "$PREFIX-pg")" -U app -d appdb -c 'select 1' >/dev/null 2>&1; then
    fail "postgres accepted a wrong password"
fi
t=$SECONDS; docker stop "$PREFIX-pg" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "postgres stops within 5 s"
ok "postgres:16: pg_isready healthy, psql login over the network, password checked"

# --- golang + nginx-unprivileged -----------------------------------------------------------
mkdir -p "$WORK/web"
cat >"$WORK/web/Dockerfile" <<'EOF'
FROM golang:1.24-bookworm AS probe
WORKDIR /src
RUN printf '%s\n' \
  'package main' \
  'import ("net/http"; "os"; "time")' \
  'func main() {' \
  '	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(os.Args[1])' \
  '	if err != nil || resp.StatusCode >= 400 { os.Exit(1) }' \
  '}' > probe.go \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /probe probe.go
FROM nginxinc/nginx-unprivileged:1.27-bookworm
COPY --from=probe /probe /usr/local/bin/probe
COPY index.html /usr/share/nginx/html/index.html
HEALTHCHECK --interval=1s --timeout=5s --start-period=10s --retries=3 CMD ["probe", "http://127.0.0.1:8080/"]
EOF
echo '<h1>ok</h1>' >"$WORK/web/index.html"
build "$PREFIX-web" "$WORK/web"
ok "golang: go build of a static probe in a docker build"
docker run -d --name "$PREFIX-web" "$PREFIX-web" >/dev/null
wait_healthy "$PREFIX-web" 30
[ "$(docker exec "$PREFIX-web" id -u)" = 101 ] || fail "nginx runs as uid 101"
docker exec "$PREFIX-web" curl -fsS http://127.0.0.1:8080/ | grep -q '<h1>ok</h1>' || fail "nginx answers on 8080"
t=$SECONDS; docker stop "$PREFIX-web" >/dev/null; [ $((SECONDS - t)) -lt 5 ] || fail "nginx stops within 5 s"
ok "nginx-unprivileged: healthy with the Go probe, uid 101, 8080"

echo "check: all base images passed in $((SECONDS - T0)) s"
