"""Stage 2: render the files a team would otherwise write by hand.

``generate(inspection)`` is a pure function: from an
:class:`~migrate.profile.Inspection` it returns the files to write (paths
relative to the inspected root, and their content). Writing them, safely, is
:mod:`migrate.generate.writer`'s job.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from migrate import __version__
from migrate.generate.checks import installs_before_source
from migrate.generate.plan import ContainerPlan
from migrate.generate.processes import TaskService, task_services
from migrate.generate.recipes import plan_for
from migrate.generate.recipes.common import build_context
from migrate.generate.render import render, slug
from migrate.generate.services import Peer, ServiceSpec, service_image, services_for, wiring
from migrate.profile import EnvVar, Inspection

if TYPE_CHECKING:
    from migrate.generate.ci import CiSettings

Output = Literal["dockerfile", "dockerignore", "compose", "devcontainer", "env", "docs", "ci"]
#: Every output, in the order files are listed.
OUTPUTS: tuple[Output, ...] = ("dockerfile", "dockerignore", "compose", "devcontainer", "env", "docs")

#: The other file names compose looks for when no -f is given (it reads compose.yaml first, and one file only).
COMPOSE_ALTERNATIVES = ("compose.yml", "docker-compose.yaml", "docker-compose.yml")

_TOOLS = {
    "postgres": {"name": "adminer", "image": "adminer:4.8.1", "port": 8081, "container_port": 8080, "depends_on": "postgres"},
}


@dataclass(frozen=True)
class GeneratedFile:
    """One rendered file."""

    path: str
    content: str
    output: Output
    #: True for files that only seed a starting point (``.env.example``): an existing one is kept.
    keep_existing: bool = False
    #: Other names the file's reader accepts in its place: an existing one clashes with this file.
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ComposeApp:
    """One app as compose and the dev container see it."""

    plan: ContainerPlan
    service: str
    context: str
    dockerfile: str
    environment: dict[str, str]
    depends_on: list[str]
    watch: list[Any]
    port: int | None
    healthcheck: list[str] | None
    post_create: str | None
    extensions: tuple[str, ...]
    name: str
    path: str
    env: tuple[EnvVar, ...]
    #: The Dockerfile installs dependencies from the manifests before it copies the source.
    dependency_layer: bool
    #: The release step and the workers, each a compose service of its own on the same image.
    tasks: tuple[TaskService, ...] = ()

    @property
    def release(self) -> TaskService | None:
        """The one-shot release service the app and its workers wait for, if the app has a release step."""
        return next((t for t in self.tasks if t.role == "release"), None)


def generate(inspection: Inspection, outputs: Iterable[Output] = OUTPUTS, ci: CiSettings | None = None) -> tuple[GeneratedFile, ...]:
    """Render every requested output for every app of ``inspection``; ``ci`` (the ``ci`` output, opt-in) says where the workflow deploys."""
    wanted = set(outputs)
    plans = [plan_for(app) for app in inspection.apps]
    project = slug(PurePosixPath(inspection.root).name)
    dockerfiles = [render(f"dockerfile/{plan.template}", plan=plan, values=plan.values, version=__version__) for plan in plans]
    compose_apps = _compose_apps(plans, dockerfiles)
    files: list[GeneratedFile] = []
    for plan, capp, content in zip(plans, compose_apps, dockerfiles, strict=True):
        if "dockerfile" in wanted:
            files.append(GeneratedFile(plan.dockerfile, content, "dockerfile"))
            files.extend(GeneratedFile(_join(plan.app.path, path), text, "dockerfile") for path, text in plan.files)
        if "dockerignore" in wanted:
            # capp.context is compose's "./services/x"; file paths are plain tree-relative ones.
            files.append(GeneratedFile(_join(posixpath.normpath(capp.context), ".dockerignore"), _dockerignore(plan), "dockerignore"))
    if "compose" in wanted and plans:
        files.append(GeneratedFile("compose.yaml", _compose(project, compose_apps), "compose", alternatives=COMPOSE_ALTERNATIVES))
    if "devcontainer" in wanted:
        files.extend(_devcontainers(project, compose_apps))
    if "env" in wanted and any(a.env for a in inspection.apps):
        content = render("env.example.j2", apps=compose_apps, env_value=_env_value, env_source=_env_source, version=__version__)
        files.append(GeneratedFile(".env.example", content, "env", keep_existing=True))
    if "docs" in wanted and plans:
        services = services_for([p.app for p in plans])
        content = render(
            "CONTAINERS.md.j2", apps=compose_apps, project=project, services=services, service_image=service_image,
            moved_ports=_moved_ports(compose_apps, services), version=__version__,
        )
        files.append(GeneratedFile("CONTAINERS.md", content, "docs"))
    if "ci" in wanted and plans:
        files.extend(_ci(compose_apps, ci))
    return _dedupe(files)


def _ci(apps: list[_ComposeApp], settings: CiSettings | None) -> list[GeneratedFile]:
    """The workflow and its deploy role (see :mod:`migrate.generate.ci`)."""
    from migrate.generate.ci import CiApp, render_ci

    if settings is None:
        raise ValueError("the ci output needs CiSettings")  # a caller's bug: init always passes them
    jobs = [CiApp(a.name, f"test-{slug(a.service)}", a.service, posixpath.normpath(a.context), a.plan.dockerfile,
                  settings.tests.get(a.path), a.post_create) for a in apps]
    return [GeneratedFile(path, text, "ci") for path, text in render_ci(jobs, settings, __version__)]


def _compose_apps(plans: list[ContainerPlan], dockerfiles: list[str]) -> list[_ComposeApp]:
    taken = {s.name for s in services_for([p.app for p in plans])}
    names = []
    for plan in plans:
        names.append(plan.service if plan.service not in taken else f"{plan.service}-app")
        taken.add(names[-1])
    peers = {plan.service: Peer(name, plan.port) for plan, name in zip(plans, names, strict=True)}
    taken.update(names)
    result = []
    for plan, service, text in zip(plans, names, dockerfiles, strict=True):
        siblings = {k: v for k, v in peers.items() if v.service != service}
        context = build_context(plan.app)
        dockerfile = posixpath.relpath(plan.dockerfile, context)
        used = {s.kind for s in plan.app.backing_services}
        watch = [_watch_rule(plan.app.path, r) for r in plan.watch]
        result.append(
            _ComposeApp(
                plan=plan,
                service=service,
                context=_dot(context),
                dockerfile=dockerfile,
                # The listen address beats a copied .env (env_file), which holds the code's loopback default.
                environment={**wiring(plan.app, siblings), **plan.listen_env},
                depends_on=[s.name for s in services_for([plan.app]) if s.kind in used],
                watch=watch,
                port=plan.port,
                # Compose interpolates $NAME in every value: a probe's own $ (PHP, sh) is written $$.
                healthcheck=[part.replace("$", "$$") for part in plan.healthcheck] if plan.healthcheck else None,
                post_create=plan.post_create,
                extensions=plan.extensions,
                name=plan.app.name,
                path=plan.app.path,
                env=plan.app.env,
                dependency_layer=installs_before_source(text),
                tasks=task_services(plan, service, watch, taken),
            )
        )
    return result


def _compose(project: str, apps: list[_ComposeApp]) -> str:
    services = services_for([a.plan.app for a in apps])
    tools = [_TOOLS[s.kind] for s in services if s.kind in _TOOLS]
    volumes = [f"{s.name}-data" for s in services if s.data_path]
    hosts = host_ports([(a.service, a.port) for a in apps], services, [(str(t["name"]), int(str(t["port"]))) for t in tools])
    return render(
        "compose.yaml.j2", project=project, apps=apps, services=services, tools=tools, volumes=volumes, host_ports=hosts, version=__version__
    )


def _moved_ports(apps: list[_ComposeApp], services: list[ServiceSpec]) -> list[tuple[str, int, int]]:
    """``(service, port, host port)`` of every service published on a port other than its own."""
    hosts = host_ports([(a.service, a.port) for a in apps], services)
    wanted = [(a.service, a.port) for a in apps] + [(s.name, s.port) for s in services]
    return [(name, port, hosts[name]) for name, port in wanted if port is not None and hosts[name] != port]


def host_ports(
    apps: list[tuple[str, int | None]], services: Iterable[ServiceSpec], tools: Iterable[tuple[str, int]] = ()
) -> dict[str, int]:
    """The host port compose publishes for each app and backing service (by compose service name).

    Two services may listen on the same container port (two ASP.NET apps on 8080), but
    one host port can be published once, or ``compose up`` fails. Each takes its own port
    when free, else the next free one above it, in a fixed order (apps as inspected, then
    backing services, then tools), so the same tree always gets the same ports.
    """
    wanted = [*apps, *((s.name, s.port) for s in services), *tools]
    taken: set[int] = set()
    result: dict[str, int] = {}
    for name, port in wanted:
        if port is None or name in result:
            continue
        host = port
        while host in taken:
            host += 1
        taken.add(host)
        result[name] = host
    return result


def _devcontainers(project: str, apps: list[_ComposeApp]) -> list[GeneratedFile]:
    files = []
    single = len(apps) == 1
    for app in apps:
        folder = ".devcontainer" if single else f".devcontainer/{app.service}"
        up = "../" * folder.count("/") + "../"
        workspace_root = f"/workspaces/{project}"
        context = {
            "name": project if single else f"{project}: {app.name}",
            "app": app,
            "compose_files": [f"{up}compose.yaml", "compose.devcontainer.yaml"],
            "run_services": [app.service, *app.depends_on],
            "workspace_folder": workspace_root if app.path == "." else f"{workspace_root}/{app.path}",
            "workspace_root": workspace_root,
            "forward_ports": [app.port] if app.port else [],
            "version": __version__,
        }
        files.append(GeneratedFile(f"{folder}/devcontainer.json", render("devcontainer/devcontainer.json.j2", **context), "devcontainer"))
        files.append(GeneratedFile(f"{folder}/compose.devcontainer.yaml", render("devcontainer/compose.devcontainer.yaml.j2", **context), "devcontainer"))
    return files


def _dockerignore(plan: ContainerPlan) -> str:
    from migrate.generate.recipes import dockerignore_patterns

    return render("dockerignore.j2", plan=plan, patterns=dockerignore_patterns(plan.app), version=__version__)


def _watch_rule(app_path: str, rule: Any) -> dict[str, Any]:
    """A recipe's app-relative watch rule, made relative to the compose file at the root."""
    path = posixpath.normpath(posixpath.join(app_path, rule.path))
    return {"action": rule.action, "path": _dot(path), "target": rule.target, "ignore": list(rule.ignore)}


def _env_value(var: EnvVar) -> str:
    """A dotenv value: the code's default for settings, empty for secrets."""
    if var.secret or var.default is None:
        return ""
    escaped = var.default.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$")
    return f'"{escaped}"'


def _env_source(var: EnvVar) -> str:
    """Where the code reads ``var`` (an example env file only when the code does not)."""
    in_code = [e for e in var.evidence if not e.path.rsplit("/", 1)[-1].startswith((".env", "env.", "example.", "sample."))]
    return str((in_code or list(var.evidence))[0]) if var.evidence else "an example env file"


def _join(folder: str, name: str) -> str:
    return name if folder in (".", "") else f"{folder}/{name}"


def _dot(path: str) -> str:
    return "." if path == "." else f"./{path}"


def _dedupe(files: list[GeneratedFile]) -> tuple[GeneratedFile, ...]:
    """One file per path: apps sharing a build context share one .dockerignore."""
    seen: dict[str, GeneratedFile] = {}
    for file in files:
        seen.setdefault(file.path, file)
    return tuple(seen.values())

