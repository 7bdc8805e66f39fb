"""The wizard's flow: where, what was found, corrections, outputs, preview, write.

Each answer resolves flag -> migrate.toml -> detected value -> prompt. The prompt is skipped with
``--yes`` and when stdin is not a terminal; then a question without any answer fails with one line
naming its flag. Nothing is written before the last question is answered, so Ctrl-C leaves no file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from migrate.config import CONFIG_FILE, AppSettings, Config, parse_config
from migrate.environment import Environment
from migrate.errors import UserError
from migrate.generate.writer import Action, PlannedFile
from migrate.profile import AppProfile, Inspection
from migrate.wizard.prompt import Asker
from migrate.wizard.questions import OUTPUTS_QUESTION, Question, app_questions, write_question


@dataclass(frozen=True)
class WizardOptions:
    """What the command line answered: ``answers`` maps a question's name (``api.port``) to its flag's value."""

    path: Path
    answers: Mapping[str, Any] = field(default_factory=dict)
    yes: bool = False
    force: bool = False


@dataclass
class _Resolver:
    options: WizardOptions
    is_interactive: bool
    asker: Asker

    def answer(self, question: Question) -> Any:
        if question.name in self.options.answers:
            given = self.options.answers[question.name]
            problem = question.validate(given) if question.validate is not None and isinstance(given, str) else None
            if problem:  # a flag's answer is held to what a typed one is
                raise UserError(f"{question.flag} {given}: {problem}")
            return given
        if self.is_interactive:
            return self.asker.ask(question)
        if question.validate is not None:  # an empty default is an answer where the question takes one (a VPC: none)
            missing = question.default is None or question.validate(str(question.default)) is not None
        else:
            missing = question.default in (None, "")
        if missing:
            raise UserError(f"no answer for {question.message} (stdin is not a terminal); pass {question.flag}")
        return question.default


def run_wizard(env: Environment, options: WizardOptions, asker: Asker | None = None) -> int:
    """Ask, preview and write (every file only after the last answer, with consent), then offer the next step;
    the exit status (the next step's, when one ran)."""
    from migrate.cli.report import print_inspection
    from migrate.init import select_apps
    from migrate.inspect import inspect_tree

    inspection = select_apps(inspect_tree(options.path), ())
    print_inspection(env, inspection)
    options = replace(options, answers=_named(options.answers, list(_by_image(inspection))))
    resolver = _Resolver(options, env.stdin_isatty and not options.yes, asker or Asker())
    root = Path(inspection.root)
    text, saved = _saved(root, inspection)
    answers = {image: _correct(resolver, app, saved) for image, app in _by_image(inspection).items()}
    outputs = tuple(o for o in resolver.answer(_outputs_question(saved)) if o != "config")
    ci = _ci(resolver, root, saved) if "ci" in outputs else None
    new_text = _merge(text, {k: v for k, v in answers.items() if v}, ci)
    config = parse_config(new_text, root / CONFIG_FILE)  # the strict reader checks every answer before any write
    files = _plan(root, outputs, config, new_text, force=options.force)
    _preview(env, files)
    if any(f.action is Action.CONFLICT for f in files):
        overwrite = Question("force", f"Overwrite {sum(f.action is Action.CONFLICT for f in files)} file(s) that differ "
                             "(a backup of each is kept)?", "your files are kept as NAME.migrate-backup", "confirm", "--force", False)
        if not resolver.answer(overwrite):
            raise UserError("existing files differ; nothing was written", hint="pass --force to overwrite them (backups are kept)")
        files = _plan(root, outputs, config, new_text, force=True)
    writes = [f for f in files if f.action in (Action.CREATE, Action.OVERWRITE)]
    if not writes:
        env.stderr.write("everything is up to date\n")
    elif not resolver.answer(write_question(len(writes), str(root))):
        env.stderr.write("nothing was written\n")
        return 0
    else:
        _write(env, root, files)
    return _next(env, resolver, root)


def _next(env: Environment, resolver: _Resolver, root: Path) -> int:
    """Offer what comes after the files (build, dev, the local rehearsal, the deploy) and run it as its own
    command would, in this process; its exit status. A deploy's region and strategy are saved first."""
    from migrate.config import load_config
    from migrate.wizard.questions import (
        NEXT_QUESTION,
        cluster_question,
        deploy_questions,
        network_questions,
        profile_question,
        smoke_question,
    )

    step = resolver.answer(NEXT_QUESTION)
    if step == "nothing":
        return 0
    argv = {"build": ["build", str(root)], "dev": ["dev", str(root)],
            "rehearse": ["deploy", str(root), "--target", "local"]}.get(step)
    profile: str | None = None
    if argv is None:  # deploy
        saved = load_config(root)
        profiles = _aws_profiles()
        if profiles or "deploy.profile" in resolver.options.answers:
            current = os.environ.get("AWS_PROFILE", "")
            default = current if current in profiles else "default" if "default" in profiles else profiles[0] if profiles else ""
            profile = str(resolver.answer(profile_question(profiles, default)))
        region_q, strategy_q = deploy_questions(saved.region or _aws_region(profile), saved.deploy.strategy or "blue-green")
        region, strategy = str(resolver.answer(region_q)), str(resolver.answer(strategy_q))
        smoke_answer = str(resolver.answer(smoke_question(saved.deploy.smoke or ())))
        smoke = [part.strip() for part in smoke_answer.split(",") if part.strip()]
        cluster = str(resolver.answer(cluster_question(saved.cluster))).strip()
        vpc_q, subnets_q = network_questions(saved.network.vpc, saved.network.subnets)
        vpc = str(resolver.answer(vpc_q)).strip()
        deploy: dict[str, Any] = {"strategy": strategy}
        if smoke or saved.deploy.smoke:  # an empty answer clears an earlier one; none at all writes nothing
            deploy["smoke"] = smoke
        project: dict[str, Any] = {"region": region}
        if cluster or saved.cluster:  # empty: the project's own cluster again (the setting removed)
            project["cluster"] = cluster or None
        sections: dict[str, dict[str, Any]] = {"project": project, "deploy": deploy}
        if vpc:  # else the region's default VPC, as deploy takes it when migrate.toml names none
            subnets = [part.strip() for part in str(resolver.answer(subnets_q)).split(",") if part.strip()]
            sections["network"] = {"vpc": vpc, "subnets": subnets}
        _save(env, root, sections)
        if (cluster or None) != saved.cluster and saved.ci.provider is not None:
            from migrate.generate.ci import PERMISSION_POLICY

            env.stderr.write(f"the CI deploy role's permissions name the ECS cluster: `migrate init {root} --only ci --force` "
                             f"writes {PERMISSION_POLICY} again (a backup kept); then give the role that policy\n")
        argv = ["deploy", str(root), "--target", "ecs", "--region", region, "--strategy", strategy]
        if resolver.options.yes:
            argv.append("--yes")  # else deploy shows its plan and asks before it changes anything
    env.stderr.write(f"running: migrate {' '.join(argv)}" + (f" (AWS profile {profile})" if profile else "") + "\n")
    from migrate.cli import run

    with _aws_profile(profile):
        return run(argv, env)


def _aws_profiles() -> tuple[str, ...]:
    """The profiles of this machine's AWS config and credentials files (none: the environment's credentials only).
    botocore's session lists them without resolving one (an ``AWS_PROFILE`` naming none of them is not an error here)."""
    import botocore.session

    return tuple(sorted(botocore.session.Session().available_profiles))


def _aws_region(profile: str | None = None) -> str | None:
    """The region of the user's AWS configuration (the profile, else the environment's), if any; None also when
    ``AWS_PROFILE`` names a profile this machine does not have (the region is then asked with no default)."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(profile_name=profile).region_name
    except ProfileNotFound:
        return None


@contextlib.contextmanager
def _aws_profile(profile: str | None) -> Iterator[None]:
    """``AWS_PROFILE`` set to ``profile`` while the command runs (the standard chain's own variable), then as it was."""
    if profile is None:
        yield
        return
    before = os.environ.get("AWS_PROFILE")
    os.environ["AWS_PROFILE"] = profile
    try:
        yield
    finally:
        if before is None:
            del os.environ["AWS_PROFILE"]
        else:
            os.environ["AWS_PROFILE"] = before


def _save(env: Environment, root: Path, sections: Mapping[str, Mapping[str, Any]]) -> None:
    """``sections``' keys set in migrate.toml, comments kept, written atomically."""
    from migrate.generate.writer import apply, plan

    path = root / CONFIG_FILE
    text = _merge(path.read_text(encoding="utf-8") if path.exists() else "", {}, None, sections)
    parse_config(text, path)  # the strict reader checks the answers before the write
    apply(root, plan(root, [(CONFIG_FILE, text)], force=True), backup_suffix=".migrate-backup")
    env.stderr.write(f"saved {', '.join(f'[{name}]' for name in sections)} in {CONFIG_FILE}\n")


def _outputs_question(saved: Config) -> Question:
    """The outputs, with the CI workflow checked when migrate.toml's [ci] says an earlier run chose it."""
    if saved.ci.provider is None:
        return OUTPUTS_QUESTION
    return replace(OUTPUTS_QUESTION, default=(*OUTPUTS_QUESTION.default, "ci"))


def _ci(resolver: _Resolver, root: Path, saved: Config) -> dict[str, str]:
    """The CI workflow's answers, as migrate.toml's [ci] keys: saved ones, else the git remote's, else asked."""
    from migrate.generate.ci import default_branch, github_repository
    from migrate.wizard.questions import ci_questions

    repository = saved.ci.repository
    if repository is None:
        try:
            repository = github_repository(root)
        except UserError:
            repository = None  # asked (or named by --github-repo)
    questions = ci_questions(repository, saved.ci.branch or default_branch(root), saved.ci.aws_account)
    result = {"provider": "github"}
    result.update({q.name.partition(".")[2]: str(resolver.answer(q)) for q in questions})
    return result


def _named(answers: Mapping[str, Any], images: list[str]) -> dict[str, Any]:
    """Flag answers keyed by app: ``*.port`` (a bare ``--port 8000``) is the only app's; an unknown app is an error."""
    named: dict[str, Any] = {}
    for key, value in answers.items():
        app, dot, fact = key.partition(".")
        if app in ("ci", "deploy", "network"):  # the project's answers (--github-repo, --branch, --aws-account, --region,
            # --strategy, --smoke, --cluster, --vpc, --subnets)
            named[key] = value
            continue
        if dot and app == "*":
            if len(images) != 1:
                raise UserError(f"{len(images)} apps here: name one, as --{fact.replace('_', '-')} APP={value}",
                                hint=f"apps: {', '.join(images)}")
            app = images[0]
        elif dot and app not in images:
            raise UserError(f"no app named {app}; apps here: {', '.join(images)}")
        named[f"{app}{dot}{fact}"] = value
    return named


def _by_image(inspection: Inspection) -> dict[str, AppProfile]:
    from migrate.generate.plan import image_name

    return {image_name(app): app for app in inspection.apps}


def _saved(root: Path, inspection: Inspection) -> tuple[str, Config]:
    """migrate.toml's text and settings; the commented starter when there is none yet."""
    from migrate.config import load_config
    from migrate.init import starter_config

    path = root / CONFIG_FILE
    if path.exists():
        return path.read_text(encoding="utf-8"), load_config(root)
    text = starter_config(root, inspection)
    return text, parse_config(text, path)


def _correct(resolver: _Resolver, app: AppProfile, saved: Config) -> dict[str, Any]:
    """The app's confirmed or corrected facts, as migrate.toml keys."""
    from migrate.generate.plan import image_name
    from migrate.generate.probes import speaks_http
    from migrate.generate.recipes import plan_for

    image = image_name(app)
    settings = saved.app(image)
    port = settings.port if settings.port is not None else app.port.value
    questions = app_questions(image, settings.start or app.start_command.value, port,
                              settings.health_path or app.health_path.value)
    start, port_q, health = questions
    result: dict[str, Any] = {}
    # An app whose image starts without a command of its own (a static site behind nginx) is not asked;
    # one whose image would only say "no start command is known" must be answered (a flag off a terminal).
    if start.default or start.name in resolver.options.answers or not plan_for(app).start_known:
        result["start"] = str(resolver.answer(start))
    if port is not None or speaks_http(app) or port_q.name in resolver.options.answers:
        result["port"] = int(resolver.answer(port_q))
        result["health_path"] = str(resolver.answer(health))
    result.update(_corrected_facts(resolver, image, app, settings))
    return result


def _corrected_facts(resolver: _Resolver, image: str, app: AppProfile, settings: AppSettings) -> dict[str, Any]:
    """The runtime version, the framework, the secrets and the backing services: each saved only when it differs
    from what inspect found (None removes an earlier correction), so migrate.toml does not pin what the code already says."""
    from migrate.generate.services import SERVICES
    from migrate.init import check_framework
    from migrate.inspect.detectors import NO_FRAMEWORK, frameworks_of
    from migrate.wizard.questions import (
        VERSION,
        framework_question,
        runtime_question,
        secrets_question,
        services_question,
    )

    result: dict[str, Any] = {}
    detected = app.runtime_version.value
    version = settings.runtime_version or detected
    asked = runtime_question(image, app.language.value or "runtime", version or "")
    if (version and VERSION.fullmatch(version)) or asked.name in resolver.options.answers:
        answer = str(resolver.answer(asked))
        result["runtime_version"] = None if answer == detected else answer
    frameworks = frameworks_of(app.language.value) if app.language.value else ()
    if settings.framework is not None:
        check_framework(image, app.language.value, settings.framework)  # a hand-written one, before it is offered
    if frameworks:
        found = app.framework.value or NO_FRAMEWORK
        framework = str(resolver.answer(framework_question(image, frameworks, settings.framework or found)))
        result["framework"] = None if framework == found else framework
    names = tuple(var.name for var in app.env)
    found_secrets = tuple(var.name for var in app.env if var.secret)
    if names:
        saved = settings.secret_vars if settings.secret_vars is not None else found_secrets  # () is an answer: none
        chosen = tuple(resolver.answer(secrets_question(image, names, saved)))
        # In the code's order; a name inspect did not find (typed in a flag) is kept: init adds it as a secret.
        ordered = [n for n in names if n in chosen] + [n for n in chosen if n not in names]
        result["secret_vars"] = None if set(chosen) == set(found_secrets) else ordered
    found_services = tuple(s.kind for s in app.backing_services)
    kinds = tuple(sorted(SERVICES))
    services = tuple(resolver.answer(services_question(image, kinds, settings.services if settings.services is not None
                                                                            else found_services)))
    result["services"] = None if set(services) == set(found_services) else sorted(services)
    return result


def _merge(text: str, answers: Mapping[str, Mapping[str, Any]], ci: Mapping[str, str] | None,
           sections: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    from migrate.wizard.answers import updated_config

    return updated_config(text, answers, ci, sections)


def _plan(root: Path, outputs: tuple[str, ...], config: Config, config_text: str, *, force: bool) -> tuple[PlannedFile, ...]:
    """The generated files (corrected by ``config``), then migrate.toml itself (the answers, always the user's to keep)."""
    from migrate.generate.writer import plan
    from migrate.init import CiOptions, plan_init

    ci = CiOptions(config.ci.aws_account, config.ci.repository, config.ci.branch) if "ci" in outputs else None
    generated = plan_init(root, outputs=outputs, config=config, force=force, ci=ci).files if outputs else ()
    return generated + tuple(plan(root, [(CONFIG_FILE, config_text)], force=True))


def _preview(env: Environment, files: tuple[PlannedFile, ...]) -> None:
    """Each file's action, and the diff of each one that would change (init's own diff)."""
    console = env.console()
    for item in files:
        console.print(f"{item.action.value:>9}  {item.path}", markup=False, highlight=False)
        if item.action in (Action.CONFLICT, Action.OVERWRITE):
            console.print(item.diff(), markup=False, highlight=False, end="")


def _write(env: Environment, root: Path, files: tuple[PlannedFile, ...]) -> None:
    from migrate.generate.writer import apply

    backups = apply(root, files, backup_suffix=".migrate-backup")
    for backup in backups:
        env.stderr.write(f"kept a backup: {backup.relative_to(root)}\n")
    count = sum(f.action in (Action.CREATE, Action.OVERWRITE) for f in files)
    env.stderr.write(f"wrote {count} file(s); answers saved in {CONFIG_FILE}; next: `migrate build {root}` or `migrate dev {root}`\n")
