"""Which image to build for each app: its build context, Dockerfile and tag."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import UserError
from migrate.generate.plan import UNKNOWN_START, dockerfile_path, image_name
from migrate.generate.recipes.common import build_context
from migrate.profile import AppProfile, Inspection


@dataclass(frozen=True)
class BuildTarget:
    """One image to build."""

    app: AppProfile
    tag: str
    context: Path
    dockerfile: str  # relative to the context, as the engine wants it


def build_targets(inspection: Inspection, tag: str | None = None) -> list[BuildTarget]:
    """A target per app; a missing Dockerfile is a user error naming the command that makes it."""
    if not inspection.apps:
        raise UserError(f"{inspection.root}: no app found to build", hint="run `migrate inspect` to see why")
    root = Path(inspection.root)
    targets = []
    for app in inspection.apps:
        context = build_context(app)
        dockerfile = dockerfile_path(app)
        if not (root / dockerfile).is_file():
            raise UserError(f"{root / dockerfile}: no Dockerfile", hint=f"generate one with `migrate init {root}`")
        targets.append(BuildTarget(app, _tag(app, tag, len(inspection.apps)), root / context, posixpath.relpath(dockerfile, context)))
    return targets


def refuse_unknown_start(targets: list[BuildTarget], stage: str) -> None:
    """Fail before building when a Dockerfile's ``stage`` still has the CMD of an unknown start command.

    Such an image would build, start and exit 1: the fix is an edit, named here.
    """
    for item in targets:
        path = item.context / item.dockerfile
        refuse_placeholder_cmd(path, path.read_text(encoding="utf-8", errors="replace"), stage, item.app.name)


def refuse_placeholder_cmd(path: Path, dockerfile: str, stage: str, who: str) -> None:
    """Fail when a build of ``stage`` of ``dockerfile`` (read from ``path``) ends with the unknown-start CMD."""
    cmd = effective_cmd(dockerfile, stage)
    if cmd is not None and UNKNOWN_START in cmd:
        raise UserError(
            f"{path}: no start command is known for {who}: replace the placeholder CMD in that file "
            "with the command that starts it (or add a Procfile web: line and run `migrate init --force`)"
        )


def refuse_unknown_start_in_compose(root: Path, compose_file: str = "compose.yaml") -> None:
    """Fail before ``compose up`` when a service compose builds would run the CMD of an unknown start command.

    Reads what compose itself will build (each service's ``build`` context, Dockerfile and target),
    so a Dockerfile the user has since edited, or a service with its own ``command:``, passes.
    """
    import yaml

    try:
        document = yaml.safe_load((root / compose_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"{root / compose_file}: cannot be read ({exc.__class__.__name__})") from exc
    services = document.get("services") if isinstance(document, dict) else None
    for name, service in (services or {}).items():
        if not isinstance(service, dict) or service.get("command") is not None:
            continue
        build = service.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict) or build.get("dockerfile_inline") is not None:
            continue
        path = root / str(build.get("context", ".")) / str(build.get("dockerfile", "Dockerfile"))
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # compose reports a missing Dockerfile itself, naming it
        refuse_placeholder_cmd(path, text, str(build.get("target") or last_stage(text)), f"the {name} service")


def effective_cmd(dockerfile: str, stage: str) -> str | None:
    """The ``CMD`` line a build of ``stage`` ends with: the stage's own last one, else its parent stage's."""
    cmds: dict[str, str] = {}
    parents: dict[str, str] = {}
    current = None
    for line in dockerfile.splitlines():
        words = line.split()
        if len(words) >= 4 and words[0].upper() == "FROM" and words[2].upper() == "AS":
            current, parents[words[3]] = words[3], words[1]
        elif words and words[0].upper() == "CMD" and current is not None:
            cmds[current] = line
    seen: set[str] = set()
    while stage not in cmds and stage in parents and stage not in seen:
        seen.add(stage)
        stage = parents[stage]
    return cmds.get(stage)


def stage_names(dockerfile: str) -> list[str]:
    """The name of each stage (each ``FROM ... AS NAME``), in order; "" for a stage without a name."""
    names = []
    for line in dockerfile.splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM":
            names.append(words[3] if len(words) >= 4 and words[2].upper() == "AS" else "")
    return names


def last_stage(dockerfile: str) -> str:
    """The name of the stage a build without a target ends with ("" when that stage has no name)."""
    names = stage_names(dockerfile)
    return names[-1] if names else ""


def _tag(app: AppProfile, tag: str | None, count: int) -> str:
    if tag is None:
        return f"{image_name(app)}:local"
    if count == 1:
        return tag
    name, _, version = tag.partition(":")
    return f"{name}-{image_name(app)}:{version or 'local'}"
