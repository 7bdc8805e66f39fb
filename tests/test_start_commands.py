"""Never invent a start command: unknown is said in inspect, the Dockerfile, CONTAINERS.md and build.

A plausible guess (``node index.js``, ``python -m app``, ``bundle exec puma config.ru``,
``deno run main.ts``) builds, starts and crash-loops far from the cause. With no start
command found, the CMD prints what to edit and exits 1, and ``migrate build`` refuses
the Dockerfile before building until that CMD is replaced.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, MakeTree, Result

from migrate.containers.targets import effective_cmd
from migrate.generate import generate
from migrate.generate.plan import UNKNOWN_START
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree

#: One app per language whose start command nothing in the tree says.
NO_START: dict[str, dict[str, str | bytes]] = {
    "node": {"package.json": '{"name": "api", "dependencies": {"express": "^4.21.2"}}\n', "src/app.js": "module.exports = 1;\n"},
    "python": {"requirements.txt": "requests==2.32.3\n", "tool.py": "import requests\n"},
    "ruby": {"Gemfile": 'source "https://rubygems.org"\ngem "rack"\n', "lib/thing.rb": "module Thing; end\n"},
    "deno": {"deno.json": '{"imports": {}}\n', "lib/util.ts": "export const x = 1;\n"},
}
#: Words of the commands that used to be invented.
_INVENTED = ("index.js", "python -m app", "config.ru", "main.ts")


@pytest.mark.parametrize("language", sorted(NO_START))
def test_an_unknown_start_command_is_never_guessed(make_tree: MakeTree, language: str) -> None:
    inspection = inspect_tree(make_tree(NO_START[language]))
    (app,) = inspection.apps
    assert app.language.value == language and app.start_command.value is None
    assert any("could not tell how to start it" in w for w in inspection.warnings)
    plan = plan_for(app)
    assert not plan.start_known
    for argv in (plan.cmd, plan.dev_cmd):
        assert argv[:2] == ("sh", "-c") and argv[2].endswith("exit 1"), argv
        assert UNKNOWN_START in argv[2] and "Dockerfile" in argv[2]
        assert not any(word in argv[2] for word in _INVENTED), argv


def test_the_dockerfile_and_containers_md_say_so(make_tree: MakeTree) -> None:
    files = {f.path: f.content for f in generate(inspect_tree(make_tree(NO_START["node"])), ["dockerfile", "docs"])}
    assert UNKNOWN_START in (effective_cmd(files["Dockerfile"], "runtime") or "")
    assert "node index.js" not in files["Dockerfile"]
    assert "| start | **unknown** |" in files["CONTAINERS.md"]


def test_a_known_start_command_is_kept(make_tree: MakeTree) -> None:
    files = {**NO_START["node"], "package.json": '{"name": "api", "scripts": {"start": "node src/app.js"}, "dependencies": {"express": "^4"}}\n'}
    plan = plan_for(inspect_tree(make_tree(files)).apps[0])
    assert plan.start_known and plan.cmd == ("node", "src/app.js")


def _init(tmp_path: Path, run_cli: object, only: str = "dockerfile,dockerignore") -> Path:
    root = tmp_path / "node-no-start"
    shutil.copytree(EXAMPLES / "node-no-start", root)
    result: Result = run_cli("init", str(root), "--yes", "--only", only)  # type: ignore[operator]
    assert result.status == 0, result.stderr
    return root


def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any Docker call fails with "no engine in this test": a refusal must come before it."""
    from migrate.containers import engine

    def no_engine() -> object:
        raise engine.EngineUnavailableError("no engine in this test")

    monkeypatch.setattr(engine, "connect", no_engine)


def _edit_cmd(dockerfile: Path) -> None:
    """Do what the refusal asks: replace the placeholder CMD with the app's start command."""
    edited = [('CMD ["node", "src/bin/serve.js"]' if UNKNOWN_START in line and line.startswith("CMD") else line)
              for line in dockerfile.read_text(encoding="utf-8").splitlines()]
    dockerfile.write_text("\n".join(edited) + "\n", encoding="utf-8")


def test_build_refuses_an_unknown_start_command_in_one_line(tmp_path: Path, run_cli: object) -> None:
    """Before any Docker call: the error names the file to edit and the alternative."""
    root = _init(tmp_path, run_cli)
    result: Result = run_cli("build", str(root))  # type: ignore[operator]
    assert result.status == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"migrate: error: {root / 'Dockerfile'}: no start command is known for link-shortener")
    assert "replace the placeholder CMD" in lines[0] and "Procfile" in lines[0]


def test_build_goes_on_once_the_cmd_is_edited(tmp_path: Path, run_cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _init(tmp_path, run_cli)
    _edit_cmd(root / "Dockerfile")
    _no_engine(monkeypatch)
    result: Result = run_cli("build", str(root))  # type: ignore[operator]
    assert "no start command" not in result.stderr and "no engine in this test" in result.stderr


def test_effective_cmd_follows_the_stage_chain() -> None:
    text = 'FROM x AS base\nCMD ["a"]\nFROM base AS runtime\nCMD ["b"]\nFROM runtime AS dev\nCMD ["c"]\nFROM runtime AS production\n'
    assert effective_cmd(text, "runtime") == 'CMD ["b"]'
    assert effective_cmd(text, "dev") == 'CMD ["c"]'
    assert effective_cmd(text, "production") == 'CMD ["b"]'
    assert effective_cmd(text, "missing") is None


def test_dotnet_without_an_assembly_does_not_guess_its_name() -> None:
    from migrate.profile import AppProfile, Fact

    app = AppProfile(name="svc", path="api", language=Fact("dotnet"), runtime_version=Fact("8.0"), framework=Fact("aspnetcore"))
    plan = plan_for(app)
    assert not plan.start_known and "svc.dll" not in " ".join(plan.cmd) and "api/Dockerfile" in plan.cmd[2]


def test_dev_refuses_an_unknown_start_command_in_one_line(tmp_path: Path, run_cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before any Docker call: compose would build the dev stage and start a container that exits 1."""
    root = _init(tmp_path, run_cli, "dockerfile,compose")
    _no_engine(monkeypatch)
    result: Result = run_cli("dev", str(root))  # type: ignore[operator]
    assert result.status == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"migrate: error: {root / 'Dockerfile'}: no start command is known for the ")
    assert "replace the placeholder CMD" in lines[0]


def test_dev_starts_once_the_cmd_is_edited_or_compose_overrides_it(tmp_path: Path, run_cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _init(tmp_path, run_cli, "dockerfile,compose")
    _no_engine(monkeypatch)
    compose = root / "compose.yaml"
    original = compose.read_text(encoding="utf-8")
    compose.write_text(original.replace("      target: dev\n", "      target: dev\n    command: [\"node\", \"src/bin/serve.js\"]\n", 1), encoding="utf-8")
    result: Result = run_cli("dev", str(root))  # type: ignore[operator]
    assert "no start command" not in result.stderr and "no engine in this test" in result.stderr
    compose.write_text(original, encoding="utf-8")
    _edit_cmd(root / "Dockerfile")
    result = run_cli("dev", str(root))  # type: ignore[operator]
    assert "no start command" not in result.stderr and "no engine in this test" in result.stderr


# ---------------------------------------------------------------- scripts run by a manager the image lacks
def _yarn_berry(procfile: str | None, start: str, manager: str = "yarn@4.5.0") -> dict[str, str | bytes]:
    import json

    lock = {"yarn": "yarn.lock", "pnpm": "pnpm-lock.yaml", "bun": "bun.lock"}[manager.split("@")[0]]
    files: dict[str, str | bytes] = {
        "package.json": json.dumps({"name": "wiki", "packageManager": manager, "dependencies": {"koa": "^2.15.0"},
                                    "scripts": {"start": start, "serve": "yarn start", "build": "tsc"}}),
        lock: "__metadata:\n  version: 8\n" if lock == "yarn.lock" else "lockfileVersion: '9.0'\n",
        "server/index.ts": "app.listen(3000);\n",
    }
    if procfile is not None:
        files["Procfile"] = procfile
    return files


@pytest.mark.parametrize("manager", ["yarn@4.5.0", "pnpm@9.12.0", "yarn@1.22.22"])
def test_a_script_run_through_yarn_or_pnpm_runs_its_own_command(make_tree: MakeTree, manager: str) -> None:
    # Outline's Procfile: the runtime image holds no corepack (nor, from Node 25, any yarn), only npm.
    tool = manager.split("@")[0]
    procfile = f"web: {tool} start --services=web,websockets\nworker: {tool} run serve -- --services=worker\n"
    app = inspect_tree(make_tree(_yarn_berry(procfile, "node ./build/server/index.js", manager))).apps[0]
    assert app.start_command.value == "node ./build/server/index.js --services=web,websockets"
    assert [str(e) for e in app.start_command.evidence] == [
        "Procfile:1: Procfile web process",
        f"package.json:1: scripts.start: node ./build/server/index.js (run without {tool})"]
    assert {p.name: p.command for p in app.processes} == {
        "web": "node ./build/server/index.js --services=web,websockets",
        "worker": "node ./build/server/index.js --services=worker",  # serve runs start: followed to its command
    }


def test_a_script_that_is_not_a_node_command_is_left_with_a_warning(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree(_yarn_berry("web: yarn start\n", "concurrently 'yarn api' 'yarn web'")))
    assert result.apps[0].start_command.value == "yarn start"
    assert any("runs a package script through yarn, which the runtime image does not have" in w for w in result.warnings)


def test_npm_is_in_the_image_and_keeps_its_command(make_tree: MakeTree) -> None:
    files = _yarn_berry("web: npm run start -- --port 8080\n", "node server.js")
    files["package-lock.json"] = "{}"
    del files["yarn.lock"]
    files["package.json"] = files["package.json"].replace('"packageManager": "yarn@4.5.0", ', "")  # type: ignore[union-attr]
    assert inspect_tree(make_tree(files)).apps[0].start_command.value == "npm run start -- --port 8080"
