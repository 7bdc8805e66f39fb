""".NET: the SDK image restores and publishes; the ASP.NET (or runtime) image runs the published app.

Project files (and what restore reads besides: Directory.*.props, NuGet.config,
global.json, lock files) are copied before the source, so ``dotnet restore``
is cached until a package reference changes. The runtime image runs as its
built-in non-root ``app`` user (uid 1654, .NET 8 and later).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv, unknown_start
from migrate.generate.probes import probe_of, static_probe
from migrate.generate.recipes.common import (
    base_plan,
    build_context,
    copy_groups,
    dockerfile_path,
    in_context,
    manifests,
    probe_source,
)
from migrate.generate.versions import DOTNET_SDK_IMAGE, RUNTIME_IMAGES
from migrate.profile import AppProfile

#: Where the build context is copied in the SDK stages.
SOURCE_DIR = "/src"
#: Where ``dotnet publish`` writes (the detector's publish folder), copied whole into the runtime image.
PUBLISH_DIR = "/app/publish"
#: Where the health probe (a framework-dependent dll, run by the image's own dotnet) lands.
PROBE_DIR = "/usr/local/lib/probe"
#: NuGet's package folder, outside root's home so the dev target can hand it to the app user.
NUGET_PACKAGES = "/opt/nuget/packages"
#: The non-root user the official images create from .NET 8 on ($APP_UID; hadolint wants the number).
APP_UID = "1654"
#: Before .NET 8 the images have no such user: the recipe creates one with the shared uid.
SHARED_UID = "10001"

_SDK_ENV = {
    # No telemetry, no first-run banner; packages in a folder the dev target can chown.
    "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
    "DOTNET_NOLOGO": "1",
    "NUGET_PACKAGES": NUGET_PACKAGES,
}
_DEV_ENV = {
    "ASPNETCORE_ENVIRONMENT": "Development",
    "DOTNET_ENVIRONMENT": "Development",
    # dotnet watch restarts on edits hot reload cannot apply, instead of asking on a terminal.
    "DOTNET_WATCH_RESTART_ON_RUDE_EDIT": "1",
}
_EXTENSIONS = ("ms-dotnettools.csdevkit",)


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a .NET app (ASP.NET Core, a worker, or a console app)."""
    version = app.runtime_version.value or "8.0"
    modern = _major(version) >= 8
    web = app.framework.value == "aspnetcore"
    port = app.port.value
    copies = [c for c in (in_context(app, m) for m in manifests(app)) if c is not None]
    project = posixpath.basename(app.detail("project_file") or "")
    runtime_env = _runtime_env(web, modern, port)
    values = {
        "sdk_env": _SDK_ENV,
        "source_dir": SOURCE_DIR,
        "app_dir": _in_image(app),
        "manifest_copies": copy_groups(copies),
        "restore": app.detail("install_command") or "dotnet restore",
        "publish": _publish_command(app),
        "publish_dir": app.detail("publish_dir") or PUBLISH_DIR,
        "runtime_env": runtime_env,
        "dev_env": {**_DEV_ENV, **runtime_env},
        "nuget_packages": NUGET_PACKAGES,
        "builtin_user": modern,
        # The health probe is built by the SDK stage and run by the runtime's dotnet: no other toolchain.
        "probe_source": probe_source("probe.cs"),
        "probe_project": _probe_project(version),
        "probe_dir": PROBE_DIR,
        "project": project,
    }
    image = RUNTIME_IMAGES["dotnet"] if web else "mcr.microsoft.com/dotnet/runtime:{version}"
    result = base_plan(
        app,
        template="dotnet.Dockerfile.j2",
        images={"build": DOTNET_SDK_IMAGE.format(version=version), "runtime": image.format(version=version)},
        cmd=_cmd(app),
        dev_cmd=dev_command(app),
        healthcheck=_dotnet_probe(static_probe(probe_of(app))) if web else None,
        values=values,
        watch=(
            # dotnet watch sees synced files itself: hot reload, or a restart for rude edits.
            WatchRule("sync", ".", _in_image(app), ignore=("bin/", "obj/")),
            *(WatchRule("rebuild", m) for m in manifests(app)),
        ),
        post_create=_post_create(app),
        extensions=_EXTENSIONS,
    )
    notes = _notes(app, modern, len(copies) < len(manifests(app)))
    return dataclasses.replace(result, workdir=SOURCE_DIR, uid=int(APP_UID if modern else SHARED_UID), notes=notes)


def _dotnet_probe(probe: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The probe command run by ``dotnet`` from the probe's dll (same arguments: ``PORT [PATH MAX]``)."""
    return ("dotnet", f"{PROBE_DIR}/probe.dll", *probe[1:]) if probe else None


def _probe_project(version: str) -> str:
    """The probe's project file, one line, for the runtime the app ships on (no apphost: dotnet runs it)."""
    framework = f"net{version}" if _major(version) >= 5 else f"netcoreapp{version}"
    return ('<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType>'
            f"<TargetFramework>{framework}</TargetFramework><UseAppHost>false</UseAppHost>"
            "<InvariantGlobalization>true</InvariantGlobalization></PropertyGroup></Project>")


def _major(version: str) -> int:
    match = re.match(r"(\d+)", version)
    return int(match.group(1)) if match else 8


def _runtime_env(web: bool, modern: bool, port: int | None) -> dict[str, str]:
    """Kestrel's port: ``ASPNETCORE_HTTP_PORTS`` from .NET 8 (the images default to 8080), ``ASPNETCORE_URLS`` before."""
    if not web or port is None:
        return {}
    return {"ASPNETCORE_HTTP_PORTS": str(port)} if modern else {"ASPNETCORE_URLS": f"http://+:{port}"}


def _publish_command(app: AppProfile) -> str:
    """The detector's publish command, without a second restore (the restore layer already did it)."""
    command = app.build_command.value or f"dotnet publish -c Release -o {PUBLISH_DIR}"
    return command if "--no-restore" in command else f"{command} --no-restore"


def _cmd(app: AppProfile) -> tuple[str, ...]:
    """``dotnet App.dll`` (or the native executable of a PublishAot app), run from the publish folder.

    With neither a start command nor the assembly the project builds, the CMD says so (no guessed name).
    """
    start = app.start_command.value
    if start:
        return command_argv(start)
    assembly = app.detail("assembly")
    if not assembly:
        return unknown_start(dockerfile_path(app))
    return ("dotnet", assembly) if assembly.endswith(".dll") else (f"./{assembly}",)


def dev_command(app: AppProfile) -> tuple[str, ...]:
    """``dotnet watch run``: hot reload; ``--no-launch-profile`` so launchSettings.json's localhost URLs do not win."""
    project = app.detail("project_file")
    several = len((app.detail("install_command") or "").split()) > 2  # ``dotnet restore X.csproj``: the folder has several
    target = ("--project", posixpath.basename(project)) if project and several else ()
    return ("dotnet", "watch", *target, "run", "--no-launch-profile")


def _post_create(app: AppProfile) -> str:
    return app.detail("install_command") or "dotnet restore"


def _in_image(app: AppProfile) -> str:
    relative = posixpath.relpath(app.path, build_context(app))
    return SOURCE_DIR if relative == "." else f"{SOURCE_DIR}/{relative}"


def _notes(app: AppProfile, modern: bool, outside: bool) -> tuple[str, ...]:
    notes = [
        "dotnet is PID 1 and handles SIGTERM: the host stops accepting connections and finishes requests in flight",
        ".NET sizes its heap from the container's memory limit by itself (75% by default): no setting needed",
        f"the image's own non-root user app (uid {APP_UID})" if modern else f"images before .NET 8 have no non-root user: one is created (uid {SHARED_UID})",
    ]
    if app.detail("dev_urls"):
        notes.append("launchSettings.json URLs are for dotnet run on a workstation; containers listen on ASPNETCORE_HTTP_PORTS")
    if outside:
        notes.append("some files restore reads are outside the build context and are not copied: build from the folder that holds them")
    return tuple(notes)
