"""Go: one static binary built in the golang image, run from a slim Debian image.

Why Debian slim and not distroless: the ``dev`` target is built FROM the
runtime and needs a shell, glibc and room for the Go toolchain (the dev
container runs ``sleep infinity`` and the editor's server in it); cgo builds
need glibc at run time too. The image stays small: the binary, CA
certificates and the static health probe.

Signals: no init process. A Go binary as PID 1 exits on SIGTERM even when
the app never calls ``signal.Notify``: the Go runtime installs a handler
for every signal, and for an unhandled SIGTERM it exits with 128+15 itself
(``dieFromSignal``), where another program as PID 1 would be ignored by the
kernel. Apps that do call ``signal.Notify`` shut down gracefully.
"""

from __future__ import annotations

import dataclasses
import posixpath
import shlex

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv
from migrate.generate.probes import probe_of, static_probe
from migrate.generate.recipes.common import base_plan, build_context, manifests
from migrate.generate.versions import DEBIAN_RUNTIME_IMAGE, RUNTIME_IMAGES
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import AppProfile
from migrate.shell import program_offsets

#: Where the source sits in every stage: the build context's root (the app folder, or its go.work workspace).
SOURCE_ROOT = "/app"
_DEFAULT_BUILD = 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app .'


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Go app."""
    version = app.runtime_version.value or DEFAULT_RUNTIME["go"]
    build_image = RUNTIME_IMAGES["go"].format(version=version)
    app_dir = _app_dir(app)
    workdir = posixpath.normpath(posixpath.join(SOURCE_ROOT, app_dir))
    cgo = app.detail("cgo") == "true"
    binary = app.detail("binary") or "app"
    start = _on_out(app.start_command.value, binary, app) or f"/out/{binary}"
    build = app.build_command.value or _DEFAULT_BUILD
    generated = app.detail("generated_module")
    if generated:
        # No go.mod in the repository: module mode with a generated one (GOPATH mode is gone).
        build = f"go mod init {shlex.quote(generated)}{' && go mod tidy' if app.detail('module_tidy') else ''} && {build}"
    values = {
        "copies": _manifest_copies(app, app_dir),
        "download": bool(manifests(app)),
        "warm_cache": _warm_cache(app.build_command.value or _DEFAULT_BUILD),
        "app_dir": app_dir,
        "workdir": workdir,
        "build_command": build,
        "cgo": cgo,
        # The image's warm-up compiles into the build cache and keeps no binary: one left in /tmp would belong
        # to the image's user, and the dev container's (the developer's uid) could not replace it.
        "dev_build": _dev_build(app, "/dev/null"),
    }
    result = base_plan(
        app,
        template="go.Dockerfile.j2",
        images={"build": build_image, "runtime": DEBIAN_RUNTIME_IMAGE},
        # The start command is the binary's path: one argv word, even with characters a shell would read.
        cmd=(start,) if not any(c.isspace() for c in start) else command_argv(start),
        dev_cmd=("sh", "-c", f"{_dev_build(app, binary)} && exec {shlex.quote('/tmp/' + binary)}"),
        healthcheck=static_probe(probe_of(app)),
        values=values,
        watch=(
            # A source change restarts the container, whose command rebuilds (cached) and execs the binary.
            WatchRule("sync+restart", ".", workdir),
            *(WatchRule("rebuild", m) for m in manifests(app)),
        ),
        post_create=f"test -f go.mod || go mod init {shlex.quote(generated)}" if generated else "go mod download",
        extensions=("golang.go",),
    )
    return dataclasses.replace(result, workdir=workdir, notes=_notes(app, cgo))


def _on_out(command: str | None, binary: str, app: AppProfile) -> str | None:
    """A Procfile command that names a built binary (``miniflux.app``, ``bin/web -flag``) runs it from /out.

    Heroku's Go buildpack puts binaries on PATH (``bin/``); this image builds them
    into /out, which is not on PATH: the bare name would not be found. Every
    command of a chain is one (``bin/migrate up && bin/web``), not only the first.
    """
    if not command:
        return None
    names = {binary, *(p.name for p in app.processes)}
    for at in reversed(program_offsets(command)):  # from the end: earlier offsets stay valid
        first = command[at:].split(None, 1)[0]
        name = posixpath.basename(first)
        if name in names and not first.startswith("/out/"):
            command = f"{command[:at]}/out/{name}{command[at + len(first):]}"
    return command


def _app_dir(app: AppProfile) -> str:
    """The app folder relative to the build context (``.`` unless the context is a go.work workspace)."""
    context = build_context(app)
    return posixpath.relpath(app.path, context)


def _manifest_copies(app: AppProfile, app_dir: str) -> list[list[str]]:
    """One JSON-form COPY per folder: ``[src..., dest/]`` with paths relative to the build context.

    A go.work member copies the workspace's go.work and every module's go.mod/go.sum, each into its
    own folder (a single COPY of files from several folders would flatten them).
    """
    by_folder: dict[str, list[str]] = {}
    for path in manifests(app):
        rel = posixpath.normpath(posixpath.join(app_dir, path))
        folder = posixpath.dirname(rel) or "."
        by_folder.setdefault(folder, []).append(rel)
    return [[*files, "./" if folder == "." else f"{folder}/"] for folder, files in by_folder.items()]


def _dev_build(app: AppProfile, output: str) -> str:
    """The dev target's build of the main package into ``output`` (a binary name goes in /tmp): the
    production flags are not needed for a quick rebuild."""
    package = app.detail("main_package") or "."
    target = output if output.startswith("/") else "/tmp/" + output
    return f"go build -o {shlex.quote(target)} {shlex.quote(package)}"


def _notes(app: AppProfile, cgo: bool) -> tuple[str, ...]:
    first = " and ".join(manifests(app)) or "no module files (no go.mod found)"
    notes = [
        "The binary is built in golang:*-bookworm and shipped alone in debian:bookworm-slim with CA certificates: "
        "the dev target (built FROM runtime) needs a shell and glibc, which distroless/static lacks.",
        "CA certificates: the golang image's bundle (/etc/ssl/certs/ca-certificates.crt, ~0.2 MB), not Debian's "
        "ca-certificates package, which pulls OpenSSL (~9 MB) that a Go binary never loads. It ships always, whether "
        "or not inspect sees a TLS call: database drivers, cloud SDKs and webhooks make them from configuration, and a "
        "missing bundle fails only at run time (x509: certificate signed by unknown authority). A rebuild refreshes it.",
        "No init process: a Go binary as PID 1 exits on SIGTERM even without signal.Notify "
        "(the Go runtime handles the signal itself); handle SIGTERM with signal.NotifyContext to drain requests.",
        f"Module files first ({first}), then `go mod download`, then the source: a code change reuses the module layer.",
        "Dev target: compose watch syncs the source and restarts the container, whose command rebuilds "
        "(from the build cache) and execs the binary, so it receives SIGTERM itself.",
    ]
    if cgo:
        notes.append("The app uses cgo: it is built with gcc in the golang image and links glibc from Debian at run time.")
    if app.processes:
        names = ", ".join(p.name for p in app.processes)
        notes.append(f"Other processes ({names}) are built into /out in the same image; run them with their /out/<name> command.")
    if app.detail("generated_module"):
        notes.append(
            f"The repository has no go.mod: the build runs `go mod init {app.detail('generated_module')}` first, so Go builds "
            "in module mode (GOPATH mode is gone); commit a go.mod (and go.sum) to pin the module name and dependencies."
        )
    if app.detail("workspace_root"):
        notes.append("A go.work member: the build context is the workspace root, so sibling modules resolve.")
    return tuple(notes)


def _warm_cache(build_command: str) -> str:
    """Compile the standard library in the dependency layer, with the real build's cgo setting
    and -trimpath: Go's build cache then lives in that layer, and a source change recompiles only
    the app's own packages (without BuildKit there is no cache mount to keep it between builds)."""
    cgo = "1" if "CGO_ENABLED=1" in build_command else "0"
    return f"CGO_ENABLED={cgo} go build -trimpath std"
