"""``migrate init`` as a core function: plan the files, then apply the plan.

The CLI (``migrate/cli/init_cmd.py``), the wizard and deploy call the same two functions:
:func:`plan_init` inspects, generates and compares with the disk (it writes nothing), and
:func:`apply_init` writes what the plan says, refusing while a file of the user's would be
overwritten without ``force``. ``migrate.toml`` is written only when absent: it is the user's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from migrate.config import CONFIG_FILE, Config, project_name
from migrate.errors import UserError
from migrate.generate.writer import Action, PlannedFile
from migrate.profile import AppProfile, Evidence, Inspection

#: What init can write; ``config`` is migrate.toml; ``ci`` the GitHub Actions workflow and its deploy role.
OUTPUTS = ("dockerfile", "dockerignore", "compose", "devcontainer", "env", "docs", "config", "ci")
#: What init writes when no output is named: the CI workflow is opt-in (``--ci github``), since it
#: needs the GitHub repository and the AWS account, and touches the repository's automation.
DEFAULT_OUTPUTS = tuple(o for o in OUTPUTS if o != "ci")


@dataclass(frozen=True)
class CiOptions:
    """What the ``ci`` output is told (None: found from the git remote; the account has no default)."""

    account: str | None = None
    repository: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class InitPlan:
    """The files init would write under ``root``, each with what happens to it."""

    root: Path
    files: tuple[PlannedFile, ...]

    @property
    def conflicts(self) -> tuple[PlannedFile, ...]:
        """Existing files that differ and would be overwritten only with ``force``."""
        return tuple(f for f in self.files if f.action is Action.CONFLICT)

    @property
    def writes(self) -> tuple[PlannedFile, ...]:
        """The files applying writes."""
        return tuple(f for f in self.files if f.action in (Action.CREATE, Action.OVERWRITE))


def select_apps(inspection: Inspection, apps: Sequence[str]) -> Inspection:
    """Keep only the apps named (all when none is named); fail when there is no app at all."""
    from migrate.inspect import NO_APP

    if not inspection.apps:
        reason = next((w for w in inspection.warnings if w.startswith(NO_APP)), NO_APP)
        raise UserError(f"{inspection.root}: {reason}")
    if not apps:
        return inspection
    known = {a.name for a in inspection.apps}
    missing = [a for a in apps if a not in known]
    if missing:
        raise UserError(f"no app named {', '.join(missing)}; apps here: {', '.join(sorted(known)) or 'none'}")
    return replace(inspection, apps=tuple(a for a in inspection.apps if a.name in apps))


def plan_init(path: Path, *, outputs: Sequence[str] = DEFAULT_OUTPUTS, apps: Sequence[str] = (), force: bool = False,
              pin_digests: bool = False, config: Config | None = None, ci: CiOptions | None = None) -> InitPlan:
    """What ``migrate init`` would write for the apps at ``path``; reads the tree and the disk, writes nothing.

    ``config`` corrects the apps' facts (None: migrate.toml's, as it is on disk); ``ci`` answers
    what the ``ci`` output needs (the workflow is written for every app, whichever ``apps`` are chosen).
    """
    from migrate.generate import generate
    from migrate.generate.writer import plan
    from migrate.inspect import inspect_tree

    inspection = with_config(select_apps(inspect_tree(path), apps), config)
    settings = _ci_settings(inspection, config, ci, outputs) if "ci" in outputs else None
    files = list(generate(inspection, [o for o in outputs if o != "config"], ci=settings))  # type: ignore[misc]
    if pin_digests:
        files = list(_pinned(files))
    root = Path(inspection.root)
    pairs = [(f.path, f.content) for f in files]
    keep = {f.path for f in files if f.keep_existing}
    if "config" in outputs:
        pairs.append((CONFIG_FILE, starter_config(root, inspection, settings)))
        keep.add(CONFIG_FILE)  # the user's settings: written once, never replaced (not even with --force)
    alternatives = {f.path: f.alternatives for f in files if f.alternatives}
    return InitPlan(root, plan(root, pairs, force=force, keep=keep, alternatives=alternatives))


def with_config(inspection: Inspection, config: Config | None) -> Inspection:
    """``inspection`` with the corrections ``config`` makes per app (None: migrate.toml's on disk)."""
    from migrate.config import load_config
    from migrate.generate.plan import image_name
    from migrate.profile import Fact

    config = config if config is not None else load_config(Path(inspection.root))
    if not config.apps:
        return inspection
    source = CONFIG_FILE
    fixed = []
    for app in inspection.apps:
        settings = config.app(image_name(app))  # [apps.NAME] is keyed by the image name, as deploy reads it
        if settings.start is not None:
            app = replace(app, start_command=Fact(settings.start, (Evidence(source, None, "start in migrate.toml"),)))
        if settings.port is not None:
            app = replace(app, port=Fact(settings.port, (Evidence(source, None, "port in migrate.toml"),)))
        if settings.health_path is not None:
            app = replace(app, health_path=Fact(settings.health_path, (Evidence(source, None, "health_path in migrate.toml"),)))
        if settings.runtime_version is not None:
            app = replace(app, runtime_version=Fact(settings.runtime_version, (Evidence(source, None, "runtime_version in migrate.toml"),)))
        if settings.framework is not None:
            app = _chosen_framework(app, image_name(app), settings.framework, Evidence(source, None, "framework in migrate.toml"))
        if settings.services is not None:
            app = _chosen_services(app, settings.services, Evidence(source, None, "services in migrate.toml"))
        if settings.secret_vars is not None:
            app = _chosen_secrets(app, settings.secret_vars, Evidence(source, None, "secret_vars in migrate.toml"))
        fixed.append(app)
    return replace(inspection, apps=tuple(fixed))


def _chosen_framework(app: AppProfile, key: str, framework: str, why: Evidence) -> AppProfile:
    """``app`` built as ``framework`` apps are (``none``: as an app of no framework)."""
    from migrate.inspect.detectors import NO_FRAMEWORK
    from migrate.profile import Fact

    check_framework(key, app.language.value, framework)
    return replace(app, framework=Fact(None if framework == NO_FRAMEWORK else framework, (why,)))


def check_framework(key: str, language: str | None, framework: str) -> None:
    """Refuse ``[apps.KEY] framework`` when it is not one of the app's language's (``none`` aside): another
    language's recipe would not fit the app's runtime."""
    from migrate.config import ConfigError
    from migrate.inspect.detectors import NO_FRAMEWORK, frameworks_of

    known = (*frameworks_of(language), NO_FRAMEWORK) if language else (NO_FRAMEWORK,)
    if framework not in known:
        raise ConfigError(f"{CONFIG_FILE}: apps.{key}.framework {framework!r} is not a {language or 'known'} framework "
                          f"(known: {', '.join(known)})")


def _chosen_services(app: AppProfile, kinds: Sequence[str], why: Evidence) -> AppProfile:
    """``app`` running exactly ``kinds`` as backing services: the detected ones keep their evidence (an
    optional one chosen becomes a default), one inspect did not find is migrate.toml's."""
    from migrate.profile import BackingService

    found = {s.kind: s for s in (*app.optional_services, *app.backing_services)}
    chosen = tuple(replace(found[k], status="default") if k in found else BackingService(k, (why,)) for k in kinds)
    return replace(app, backing_services=chosen, optional_services=tuple(s for s in app.optional_services if s.kind not in kinds))


def _chosen_secrets(app: AppProfile, names: Sequence[str], why: Evidence) -> AppProfile:
    """``app`` whose secrets are exactly ``names``: each detected variable marked or unmarked, and a named one
    inspect did not find added as a required secret."""
    from migrate.profile import EnvVar

    known = {var.name for var in app.env}
    env = tuple(replace(var, secret=var.name in names) for var in app.env)
    added = tuple(EnvVar(name, secret=True, required=True, evidence=(why,)) for name in names if name not in known)
    return replace(app, env=env + added)


def _ci_settings(inspection: Inspection, config: Config | None, ci: CiOptions | None, outputs: Sequence[str]) -> Any:
    from migrate.config import load_config
    from migrate.generate.ci import ci_settings

    root = Path(inspection.root)
    if not (root / "compose.yaml").is_file() and "compose" not in outputs:
        raise UserError("the workflow runs each app's tests in compose.yaml's services, and there is none",
                        hint="write it too: --only ...,compose,ci (or drop --only)")
    options = ci or CiOptions()
    config = config if config is not None else load_config(root)
    saved = config.ci  # migrate.toml's [ci]: what an earlier run (the wizard) answered
    return ci_settings(root, inspection, config, account=options.account or saved.aws_account,
                       repository=options.repository or saved.repository, branch=options.branch or saved.branch)


def apply_init(planned: InitPlan) -> list[Path]:
    """Write what ``planned`` says; refuse (writing nothing) while a file differs. Returns the backups kept."""
    from migrate.generate.writer import apply

    clash = next((p for p in planned.conflicts if p.replaces), None)
    if clash is not None:
        raise UserError(
            f"{clash.replaces} exists, and compose would read a new {clash.path} instead of it; nothing was written",
            hint=f"keep yours: --only without compose; or --force to write {clash.path} and move {clash.replaces} "
            f"to {clash.replaces}.migrate-backup (compare first with --diff)",
        )
    if planned.conflicts:
        raise UserError(
            f"{len(planned.conflicts)} existing file(s) differ: {', '.join(p.path for p in planned.conflicts)}; nothing was written",
            hint="see the changes with --diff; overwrite with --force (backups are kept); or skip outputs with --only",
        )
    return apply(planned.root, planned.files, backup_suffix=".migrate-backup")


def starter_config(root: Path, inspection: Inspection, ci: Any = None) -> str:
    """A commented migrate.toml with each app's defaults, for the user to edit; with ``ci`` (CiSettings), its [ci] table."""
    from migrate import __version__
    from migrate.deploy.specs import default_size
    from migrate.generate.probes import speaks_http
    from migrate.generate.recipes import plan_for
    from migrate.generate.render import render

    plans = [plan_for(app) for app in inspection.apps]
    web = [p for p in plans if p.port is not None]
    return render("migrate.toml.j2", project=project_name(root, Config()), plans=plans, sizes={p.image: default_size(p) for p in plans},
                  shared_balancer=len(web) > 1, needs_port={p.image for p in plans if p.port is None and speaks_http(p.app)},
                  ci=ci, version=__version__)


def _pinned(files: Any) -> Any:
    """The files with every external image pinned by the digest its registry reports."""
    from migrate.containers import engine
    from migrate.generate.pinning import image_references, pin

    client = engine.connect()
    digests = {ref: engine.resolve_digest(client, ref) for ref in sorted(image_references(files))}
    return pin(files, digests)
