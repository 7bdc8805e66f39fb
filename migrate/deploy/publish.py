"""``migrate deploy`` without ``--image``: build each app's image here, then push it to the app's ECR repository.

The image each task definition runs is known before anything is built or pushed: the app's ECR
repository (``ACCOUNT.dkr.ecr.REGION.amazonaws.com/PROJECT/APP``) tagged after the app's source
(:func:`~migrate.deploy.registry.image_tag`: the commit, a dirty marker with a hash of the
changes, or a hash of the build context). So ``--plan`` shows the exact task definition, a second
deploy of the same source changes nothing, and the repository is created by the plan's first phase
before anything is pushed to it. The build runs before the plan is confirmed (it changes nothing in
AWS, and a failing build must stop the deploy before anything does); the push runs after the first
phase and before any service moves (:func:`migrate.deploy.workflow.deploy`'s ``release`` seam).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.foundation import Names
from migrate.deploy.registry import PushEvent, ecr_auth, image_tag, push_image
from migrate.errors import UserError
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes.common import build_context

#: The Dockerfile stage deploy builds: generated Dockerfiles end with it; a Dockerfile of the user's
#: without a stage of that name is built to its last stage, as `docker build` would.
STAGE = "production"


def build_stage(dockerfile: str) -> str | None:
    """:data:`STAGE` when ``dockerfile`` has a stage of that name, else None (its last stage)."""
    from migrate.containers.targets import stage_names

    return STAGE if STAGE in (name.lower() for name in stage_names(dockerfile)) else None


@dataclass(frozen=True)
class SourceImage:
    """One app's image as deploy makes it: where it is built from, the local tag, and where it goes."""

    app: str  # the app's image name, as migrate.toml and --image name it
    context: Path
    dockerfile: str  # relative to the context
    local: str  # the tag of the local build
    repository: str  # the ECR repository name (PROJECT/APP)
    tag: str
    uri: str  # what the task definition runs: REGISTRY/REPOSITORY:TAG
    why: str  # where the tag comes from, for people


def source_images(project_name: str, root: Path, plans: Sequence[ContainerPlan], aws: Aws) -> tuple[SourceImage, ...]:
    """The image of each app, named before it is built: its ECR repository, tagged after its source."""
    registry = f"{aws.account_id}.dkr.ecr.{aws.region}.amazonaws.com"
    images = []
    for plan in plans:
        context = root / build_context(plan.app)
        tag = image_tag(context)
        repository = Names(project_name, plan.image).repository
        dockerfile = posixpath.relpath(plan.dockerfile, build_context(plan.app))
        images.append(SourceImage(plan.image, context, dockerfile, f"{plan.image}:{tag.value}", repository, tag.value,
                                  f"{registry}/{repository}:{tag.value}", tag.why))
    return tuple(images)


def local_images(project_name: str, root: Path, plans: Sequence[ContainerPlan]) -> tuple[SourceImage, ...]:
    """The image of each app for the local target: no registry, the tag ``PROJECT-APP:TAG`` after its source."""
    images = []
    for plan in plans:
        context = root / build_context(plan.app)
        tag = image_tag(context)
        local = f"{project_name}-{plan.image}:{tag.value}"
        dockerfile = posixpath.relpath(plan.dockerfile, build_context(plan.app))
        images.append(SourceImage(plan.image, context, dockerfile, local, f"{project_name}-{plan.image}", tag.value, local, tag.why))
    return tuple(images)


def check_buildable(images: Sequence[SourceImage], plans: Sequence[ContainerPlan]) -> None:
    """Refuse, before anything runs, an app with no Dockerfile or whose Dockerfile has no start command."""
    from migrate.containers.targets import last_stage, refuse_placeholder_cmd

    for image in images:
        if not (image.context / image.dockerfile).is_file():
            raise UserError(f"{image.context / image.dockerfile}: no Dockerfile to build {image.app} from",
                            hint="generate one with `migrate init`, or deploy an image you built with --image URI")
    for image, plan in zip(images, plans, strict=True):
        path = image.context / image.dockerfile
        text = path.read_text(encoding="utf-8", errors="replace")
        refuse_placeholder_cmd(path, text, build_stage(text) or last_stage(text), plan.app.name)


def build(images: Sequence[SourceImage], client: Any, say: Callable[[str], None]) -> None:
    """Build each image's production stage on the local engine (nothing in AWS changes)."""
    from migrate.containers import engine

    for image in images:
        say(f"building {image.local} ({image.why})")
        stage = build_stage((image.context / image.dockerfile).read_text(encoding="utf-8", errors="replace"))
        result = engine.build(client, context=str(image.context), dockerfile=image.dockerfile, tag=image.local, target=stage)
        say(f"built {image.local}: {result.size_bytes / 1e6:.1f} MB in {result.seconds:.1f} s ({result.cached_steps}/{result.steps} steps from cache)")


def push(images: Sequence[SourceImage], client: Any, aws: Aws, say: Callable[[str], None]) -> None:
    """Push each built image to its app's repository (the deploy does it once the repositories exist, before any service moves)."""
    auth = ecr_auth(aws)
    for image in images:
        pushed = push_image(client, image.local, image.repository, image.tag, auth, on_event=_progress(image.uri, say))
        say(f"{image.uri}: {'pushed' if pushed.pushed else 'already in the registry'} ({pushed.digest})")


def _progress(name: str, say: Callable[[str], None]) -> Callable[[PushEvent], None]:
    """One line per new push status of the image (layers report the same ones many times)."""
    seen: set[str] = set()

    def show(event: PushEvent) -> None:
        if event.status not in seen:
            seen.add(event.status)
            say(f"{name}: {event.status.lower()}")

    return show
