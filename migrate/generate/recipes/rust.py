"""Rust: release binaries built in the rust image, run under tini in slim Debian.

Dependencies are compiled before the source is copied, without BuildKit
cache mounts: the manifests are copied with a stub (``fn main() {}``) for
every source file Cargo needs to load the packages, ``cargo build`` compiles
the dependencies, then the real source replaces the stubs (touched, because
COPY keeps the files' older timestamps) and only the app's crates rebuild.

Signals: a Rust program installs no SIGTERM handler of its own, and the
kernel drops default-action signals sent to PID 1, so a server that does not
handle SIGTERM would ignore ``docker stop`` for 10 seconds and be killed.
tini is PID 1: it forwards SIGTERM (the default action then ends the app;
apps with a tokio/signal-hook handler shut down gracefully) and reaps zombies.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex

from migrate.generate.plan import ContainerPlan, WatchRule
from migrate.generate.probes import probe_of, static_probe
from migrate.generate.recipes.common import base_plan, manifests, probe_source
from migrate.generate.versions import DEBIAN_RUNTIME_IMAGE, RUNTIME_IMAGES
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import AppProfile

#: Where the source sits in the build and dev stages: the build context's root.
SOURCE_ROOT = "/app"
#: Debian packages for C libraries crates link against: (build stage, runtime stage).
_SYSTEM_PACKAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "openssl": (("pkg-config", "libssl-dev"), ("libssl3",)),
    "libpq": (("libpq-dev",), ("libpq5",)),
}
_RELEASE = re.compile(r"\d+\.\d+(\.\d+)?")


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Rust app."""
    toolchain = _toolchain(app)
    binary = app.detail("binary") or app.name
    workers = [p.name for p in app.processes]
    locked = "--locked" in (app.build_command.value or "")
    cargo_dir = _cargo_dir(app)
    libs = (app.detail("system_libs") or "").split()
    values = {
        "toolchain": toolchain,
        # The health probe is compiled by the build image's own rustc: no second toolchain to pull.
        "probe_source": probe_source("probe.rs"),
        "copies": _copies(app, manifests(app)),
        "stubs": _stubs(app, cargo_dir),
        "binary_paths": [posixpath.normpath(posixpath.join(SOURCE_ROOT, cargo_dir, "target/release", b)) for b in [binary, *workers]],
        "cargo_dir": cargo_dir,
        "build_command": app.build_command.value or "cargo build --release",
        "build_packages": sorted({p for lib in libs for p in _SYSTEM_PACKAGES.get(lib, ((), ()))[0]}),
        "runtime_packages": sorted({p for lib in libs for p in _SYSTEM_PACKAGES.get(lib, ((), ()))[1]}),
        "rocket": app.framework.value == "rocket",
        "sqlx_offline": app.detail("sqlx_offline"),
        "dev_build": f"cargo build{' --locked' if locked else ''} --bin {shlex.quote(binary)}",
    }
    result = base_plan(
        app,
        template="rust.Dockerfile.j2",
        images={"build": RUNTIME_IMAGES["rust"].format(version=toolchain or _release(DEFAULT_RUNTIME["rust"])), "runtime": DEBIAN_RUNTIME_IMAGE},
        cmd=(f"/usr/local/bin/{binary}",),
        # cargo run execs the binary (Unix), so the app itself gets SIGTERM from compose's init.
        dev_cmd=("cargo", "run", *(("--locked",) if locked else ()), "--bin", binary),
        healthcheck=static_probe(probe_of(app)),
        values=values,
        watch=(
            WatchRule("sync+restart", ".", posixpath.normpath(posixpath.join(SOURCE_ROOT, _context_dir(app))), ignore=("target/",)),
            *(WatchRule("rebuild", m) for m in manifests(app)),
        ),
        post_create=f"cargo fetch{' --locked' if locked else ''}",
        extensions=("rust-lang.rust-analyzer",),
    )
    return dataclasses.replace(result, workdir=posixpath.normpath(posixpath.join(SOURCE_ROOT, cargo_dir)), notes=_notes(app, toolchain))


def _release(version: str) -> str:
    """``1.82`` -> ``1.82.0``: the rust image's toolchain of a tag is always a full release."""
    return version if version.count(".") == 2 else f"{version}.0"


def _toolchain(app: AppProfile) -> str | None:
    """The exact release to build with, or None for a channel rustup must install (nightly-...)."""
    version = app.runtime_version.value or DEFAULT_RUNTIME["rust"]
    return _release(version) if _RELEASE.fullmatch(version) else None


def _context(app: AppProfile) -> str:
    return app.detail("workspace_root") or app.path


def _context_dir(app: AppProfile) -> str:
    """The app folder relative to the build context."""
    return posixpath.relpath(app.path, _context(app))


def _cargo_dir(app: AppProfile) -> str:
    """Where cargo runs, relative to the build context: the Cargo workspace root (target/ lives there)."""
    workspace = app.detail("cargo_workspace")
    if workspace is None:
        return _context_dir(app)
    return posixpath.relpath(workspace, _context(app))


def _context_paths(app: AppProfile, app_relative: list[str]) -> list[str]:
    """App-relative paths made relative to the build context."""
    base = _context_dir(app)
    return [posixpath.normpath(posixpath.join(base, p)) for p in app_relative]


def _copies(app: AppProfile, app_relative: list[str]) -> list[list[str]]:
    """One JSON-form COPY per folder (``[src..., dest/]``): a COPY of files from several folders flattens them."""
    by_folder: dict[str, list[str]] = {}
    for path in _context_paths(app, app_relative):
        by_folder.setdefault(posixpath.dirname(path) or ".", []).append(path)
    return [[*files, "./" if folder == "." else f"{folder}/"] for folder, files in by_folder.items()]


def _stubs(app: AppProfile, cargo_dir: str) -> dict[str, list[str]]:
    """Stub files and their folders, shell-quoted, relative to where cargo runs (the workspace root holds every package)."""
    files = [posixpath.relpath(s, cargo_dir) for s in _context_paths(app, (app.detail("cargo_stubs") or "").split())]
    parents = {posixpath.dirname(f) for f in files} - {""}
    # mkdir -p makes the parents too: name only the deepest folders.
    folders = sorted(f for f in parents if not any(other.startswith(f + "/") for other in parents))
    return {"files": [shlex.quote(f) for f in files], "folders": [shlex.quote(f) for f in folders]}


def _notes(app: AppProfile, toolchain: str | None) -> tuple[str, ...]:
    notes = [
        "The release binary is built in rust:*-slim-bookworm and shipped in debian:bookworm-slim "
        "with CA certificates and tini; the dev target adds the toolchain from the build stage.",
        "CA certificates: the rust image's bundle (/etc/ssl/certs/ca-certificates.crt, ~0.2 MB, named by SSL_CERT_FILE), "
        "not Debian's ca-certificates package, which pulls the openssl command and libssl3 (~9 MB); libssl3 is "
        "installed only when the binary links OpenSSL. It ships always: TLS calls come from configuration "
        "(database URLs, SDKs) as often as from code, and a missing bundle fails only at run time. A rebuild refreshes it.",
        "tini is PID 1 and forwards SIGTERM: a Rust binary as PID 1 ignores SIGTERM unless the app handles it "
        "(tokio::signal), and `docker stop` would wait 10 s and kill it.",
        "Dependencies compile from Cargo.toml/Cargo.lock and stub sources before the source is copied: "
        "a code change recompiles only the app's crates.",
        "Dev target: compose watch syncs the source and restarts the container; `cargo run` rebuilds incrementally.",
        "The release binaries (./target/release/<name> in the source tree) are installed as /usr/local/bin/<name>.",
    ]
    if toolchain:
        notes.append(f"RUSTUP_TOOLCHAIN={toolchain} makes rustup use the image's toolchain, never download one for rust-toolchain.toml.")
    else:
        notes.append(f"Toolchain channel {app.runtime_version.value!r} is not a release: rustup downloads it during the build.")
    offline, needs_database = app.detail("sqlx_offline"), app.detail("sqlx_needs_database")
    if offline:
        notes.append(f"SQLX_OFFLINE=true: sqlx's query macros check queries against the committed {offline}, not a database.")
    elif needs_database:
        notes.append(
            f"sqlx's query macros ({needs_database}) need a database while compiling, and the image build has none: "
            "run `cargo sqlx prepare`, commit .sqlx/ and run `migrate init` again."
        )
    if app.processes:
        names = ", ".join(p.name for p in app.processes)
        notes.append(f"Other binaries ({names}) are installed in /usr/local/bin of the same image.")
    return tuple(notes)
