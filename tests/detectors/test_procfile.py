"""Procfiles: the web process is the start command, fixed ports, release commands, processes.

A Procfile is not an ecosystem: alone in a folder it does not make an app (it
says how to run an app, not what the app is built from, so there is nothing to
install or build); it only overrides the start command of an app that an
ecosystem claimed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree, procfile
from migrate.inspect.detectors.base import AppDir, Findings
from migrate.inspect.tree import SourceTree
from migrate.profile import Evidence

MakeTree = Callable[[dict[str, str | bytes]], Path]
FLASK = {
    "requirements.txt": "Flask==3.0.3\ngunicorn==22.0.0\n",
    "myapp/__init__.py": "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n",
    "myapp/wsgi.py": "from myapp import create_app\n\napplication = create_app()\n",
}
HEROKU_WEB = "web: gunicorn myapp.wsgi --bind 0.0.0.0:$PORT --log-file -"


def only_app(root: Path) -> dict[str, Any]:
    found = inspect_tree(root).to_json()["apps"]
    assert len(found) == 1, [a["path"] for a in found]
    app: dict[str, Any] = found[0]
    return app


def findings(make_tree: MakeTree, text: str) -> Findings:
    """Run the Procfile detector alone on a folder holding ``text`` as its Procfile."""
    tree = SourceTree.scan(make_tree({"Procfile": text}))
    found = Findings()
    procfile.detect(AppDir(tree, "."), found)
    return found


def test_web_process_beats_the_framework_start_command(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**FLASK, "Procfile": HEROKU_WEB + "\n"}))
    assert app["framework"] == "flask"
    assert app["start_command"] == "gunicorn myapp.wsgi --bind 0.0.0.0:$PORT --log-file -"
    assert app["evidence"]["start_command"] == ["Procfile:1: Procfile web process"]
    assert app["processes"] == {"web": "gunicorn myapp.wsgi --bind 0.0.0.0:$PORT --log-file -"}


def test_a_default_port_applies_when_the_procfile_uses_port_var(make_tree: MakeTree) -> None:
    """``$PORT`` is ours to choose: a default port (the framework's, else 8000), and ``PORT`` is set to it."""
    app = only_app(make_tree({**FLASK, "Procfile": HEROKU_WEB + "\n"}))
    assert app["port"] == 8000
    assert "port" in app["defaults"]
    assert app["details"]["port_env"] == "PORT"
    assert not [w for w in inspect_tree(make_tree({**FLASK, "Procfile": HEROKU_WEB + "\n"})).warnings if "port" in w]


def test_port_var_fallback_when_no_detector_sets_a_port(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: ./bin/server --listen 0.0.0.0:$PORT\n")
    assert found.get("port") is None
    procfile.port_fallback(found)
    assert (found.get("port"), found.facts["port"].is_default) == (8000, True)
    assert found.facts["port"].evidence == (Evidence("Procfile", 1, "the web process binds $PORT; PORT=8000 is set for it"),)


def test_port_var_fallback_keeps_a_detector_port(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: node server.js --port $PORT\n")
    found.set("port", 3000, Evidence("server.js", 4, "listen(3000)"))
    procfile.port_fallback(found)
    assert found.get("port") == 3000


def test_no_port_var_no_fallback(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: ./bin/server\n")
    procfile.port_fallback(found)
    assert found.get("port") is None


def test_wsgi_detail_follows_the_procfile(make_tree: MakeTree) -> None:
    """gunicorn given only a module serves its ``application``; the Flask factory guess must not disagree."""
    app = only_app(make_tree({**FLASK, "Procfile": HEROKU_WEB + "\n"}))
    assert app["details"]["wsgi_app"] == "myapp.wsgi:application"


def test_without_procfile_the_framework_decides(make_tree: MakeTree) -> None:
    app = only_app(make_tree(FLASK))
    assert app["start_command"].startswith("gunicorn ")
    assert app["start_command"] != HEROKU_WEB.removeprefix("web: ")
    assert not any(e.startswith("Procfile") for e in app["evidence"]["start_command"])
    assert "port_env" not in app["details"]


def test_fixed_port_in_the_procfile_is_observed(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**FLASK, "Procfile": "web: gunicorn myapp.wsgi --bind 0.0.0.0:5000\n"}))
    assert (app["port"], app["evidence"]["port"]) == (5000, ["Procfile:1: Procfile web process"])
    assert "port" not in app["defaults"]


@pytest.mark.parametrize(
    ("command", "port"),
    [
        ("gunicorn app:app --bind 0.0.0.0:5000", 5000),
        ("gunicorn app:app -b :7000 --workers 2", 7000),
        ("uvicorn main:app --host 0.0.0.0 --port 8080", 8080),
        ("uvicorn main:app --port=8081", 8081),
        ("bundle exec puma -p 3000", 3000),
        ("bin/rails server -p ${PORT:-5000} -e production", 5000),
        ("java -Dserver.port=9090 -jar target/app.jar", 9090),
        ("./server --listen :4000", 4000),
        ("gunicorn app:app --bind 0.0.0.0:$PORT", None),
        ("bin/wait-for db:5432 -- gunicorn app:app --bind 0.0.0.0:$PORT", None),
        ("node server.js", None),
    ],
)
def test_port_from_the_web_command(make_tree: MakeTree, command: str, port: int | None) -> None:
    found = findings(make_tree, f"web: {command}\n")
    assert found.get("start_command") == command
    assert found.get("port") == port


def test_release_process_is_a_detail_not_a_process(make_tree: MakeTree) -> None:
    text = "release: python manage.py migrate --noinput\n" + HEROKU_WEB + "\nworker: rq worker --url $REDIS_URL\n"
    found = findings(make_tree, text)
    assert found.details["release_command"] == "python manage.py migrate --noinput"
    assert sorted(found.processes) == ["web", "worker"]
    assert found.get("start_command") == HEROKU_WEB.removeprefix("web: ")
    assert found.facts["start_command"].evidence == (Evidence("Procfile", 2, "Procfile web process"),)


def test_release_only_procfile_sets_no_start_command(make_tree: MakeTree) -> None:
    found = findings(make_tree, "release: ./migrate.sh\n")
    assert found.get("start_command") is None
    assert found.details == {"release_command": "./migrate.sh"}


def test_only_process_is_the_start_command(make_tree: MakeTree) -> None:
    found = findings(make_tree, "worker: celery -A tasks worker --loglevel=INFO\n")
    assert found.get("start_command") == "celery -A tasks worker --loglevel=INFO"


def test_several_processes_without_web_set_no_start_command(make_tree: MakeTree) -> None:
    found = findings(make_tree, "worker: rq worker\nclock: python clock.py\n")
    assert found.get("start_command") is None
    assert sorted(found.processes) == ["clock", "worker"]


def test_comments_blank_lines_and_crlf(make_tree: MakeTree) -> None:
    found = findings(make_tree, "# processes\r\n\r\nweb:   node server.js   \r\n  # web: not this\r\n")
    assert found.get("start_command") == "node server.js"
    assert found.facts["start_command"].evidence == (Evidence("Procfile", 3, "Procfile web process"),)


def test_first_web_definition_wins(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: node a.js\nweb: node b.js\n")
    assert found.get("start_command") == "node a.js"


def test_asgi_detail_from_uvicorn(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: uvicorn app.main:api --host 0.0.0.0 --port $PORT\n")
    assert found.details["asgi_app"] == "app.main:api"
    assert found.details["port_env"] == "PORT"


def test_procfile_alone_is_not_an_app(make_tree: MakeTree) -> None:
    """No manifest, nothing to install or build: the Procfile alone does not make an app."""
    result = inspect_tree(make_tree({"Procfile": "web: ./bin/server\n", "README.md": "# x\n"}))
    assert result.apps == ()
    assert any(w.startswith("no app found") for w in result.warnings)


def test_procfile_in_a_nested_app_applies_to_that_app_only(make_tree: MakeTree) -> None:
    files = {f"api/{k}": v for k, v in FLASK.items()}
    files["api/Procfile"] = "web: gunicorn myapp.wsgi --bind 0.0.0.0:$PORT\n"
    app = only_app(make_tree(files))
    assert app["path"] == "api"
    assert app["evidence"]["start_command"] == ["api/Procfile:1: Procfile web process"]


def test_procfile_beats_a_deno_start_task(make_tree: MakeTree) -> None:
    files = {
        "deno.json": '{"tasks": {"start": "deno run -A main.ts"}}\n',
        "main.ts": 'Deno.serve(() => new Response("x"));\n',
        "Procfile": "web: deno run --allow-net --allow-env --allow-read main.ts\n",
    }
    app = only_app(make_tree(files))
    assert app["start_command"] == "deno run --allow-net --allow-env --allow-read main.ts"
    assert app["evidence"]["start_command"] == ["Procfile:1: Procfile web process"]


# ---------------------------------------------------------------- the $PORT convention
PLAIN_APP = {"requirements.txt": "Flask==3.0.3\ngunicorn==22.0.0\n", "app.py": "from flask import Flask\n\napp = Flask(__name__)\n"}


def test_gunicorn_without_a_bind_listens_on_port(make_tree: MakeTree) -> None:
    """gunicorn binds 0.0.0.0:$PORT by itself when PORT is set: a web process, not a worker."""
    root = make_tree({**PLAIN_APP, "Procfile": "web: gunicorn app:app\n"})
    app = only_app(root)
    assert (app["port"], app["details"]["port_env"]) == (8000, "PORT")
    assert app["evidence"]["port"] == ["Procfile:1: the web process binds $PORT; PORT=8000 is set for it"]
    (profile,) = inspect_tree(root).apps
    from migrate.generate.recipes import plan_for

    plan = plan_for(profile)
    assert plan.port == 8000 and plan.healthcheck is not None and "'/'" in plan.healthcheck[-1]


def test_gunicorn_with_a_bind_in_its_config_keeps_that_bind(make_tree: MakeTree) -> None:
    config = 'import os\nbind = ["[::]:{}".format(os.environ.get("PORT", 5006))]\n'
    app = only_app(make_tree({**PLAIN_APP, "Procfile": "web: gunicorn --config gunicorn.conf.py app:app\n", "gunicorn.conf.py": config}))
    assert app["port"] == 5006 and "port_env" not in app["details"]


def test_gunicorn_with_a_fixed_bind_in_the_default_config_is_not_told_port(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**PLAIN_APP, "Procfile": "web: gunicorn app:app\n", "gunicorn.conf.py": 'bind = "0.0.0.0:5000"\n'}))
    assert "port_env" not in app["details"]


def test_code_that_reads_port_without_a_default_listens_on_port(make_tree: MakeTree) -> None:
    files = {
        "package.json": '{"name": "api", "scripts": {"start": "node server.js"}}\n',
        "server.js": "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT);\n",
    }
    app = only_app(make_tree(files))
    assert (app["port"], app["details"]["port_env"]) == (8000, "PORT")
    assert app["evidence"]["port"] == ["server.js:1: the code reads PORT with no default (the platform sets it); PORT=8000 is set for it"]


def test_a_worker_reading_port_gets_no_port(make_tree: MakeTree) -> None:
    files = {"requirements.txt": "celery==5.4.0\n", "tasks.py": "import os\nfrom celery import Celery\napp = Celery(broker=os.environ['PORT'])\n"}
    app = only_app(make_tree(files))
    assert app["port"] is None


def test_uvicorn_without_a_host_is_opened_through_its_own_setting(make_tree: MakeTree) -> None:
    """uvicorn listens on 127.0.0.1 unless told: the image sets UVICORN_HOST, which uvicorn reads."""
    found = findings(make_tree, "web: uvicorn main:app --port $PORT\n")
    assert found.details["listen_env"] == "UVICORN_HOST=0.0.0.0"
    assert "listen_env" not in findings(make_tree, "web: uvicorn main:app --host 0.0.0.0 --port $PORT\n").details
    assert findings(make_tree, "web: flask run --port 5000\n").details["listen_env"] == "FLASK_RUN_HOST=0.0.0.0"


def test_a_loopback_bind_written_in_the_command_is_reported(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: gunicorn app:app --bind 127.0.0.1:8000\n")
    assert any("listens on loopback" in w for w in found.warnings) and "listen_env" not in found.details


# ---------------------------------------------------------------- chains: steps, then the server
MICROBLOG_WEB = "web: flask db upgrade; flask translate compile; gunicorn app:app\n"


def test_a_chain_is_served_by_its_last_command(make_tree: MakeTree) -> None:
    """microblog's pattern: steps run on every start, then gunicorn (no bind: it listens on $PORT)."""
    root = make_tree({**PLAIN_APP, "Procfile": MICROBLOG_WEB})
    app = only_app(root)
    assert app["start_command"] == MICROBLOG_WEB.removeprefix("web: ").strip()
    assert (app["port"], app["details"]["port_env"]) == (8000, "PORT")
    from migrate.generate.recipes import plan_for

    plan = plan_for(inspect_tree(root).apps[0])
    assert plan.port == 8000 and plan.healthcheck is not None and "'/'" in plan.healthcheck[-1]
    # The steps stay, as the Procfile runs them; gunicorn replaces the shell, so it gets SIGTERM.
    assert plan.cmd == ("sh", "-c", "flask db upgrade; flask translate compile; exec gunicorn app:app")
    assert plan.dev_cmd[-1].endswith("exec gunicorn app:app --reload")


def test_a_chain_reads_the_servers_config_where_cd_moved(make_tree: MakeTree) -> None:
    backend = {f"backend/{k}": v for k, v in PLAIN_APP.items()}
    web = "web: cd backend && gunicorn app:app\n"
    binds = only_app(make_tree({**backend, "Procfile": web, "backend/gunicorn.conf.py": 'bind = "0.0.0.0:5000"\n'}))
    assert "port_env" not in binds["details"]


def test_a_chain_with_a_server_that_binds_nothing_in_its_folder_listens_on_port(make_tree: MakeTree) -> None:
    # gunicorn.conf.py at the root is not the one gunicorn reads from backend/.
    web = "web: cd backend && gunicorn app:app\n"
    app = only_app(make_tree({**PLAIN_APP, "Procfile": web, "gunicorn.conf.py": 'bind = "0.0.0.0:5000"\n'}))
    assert app["details"]["port_env"] == "PORT"


def test_a_chain_ending_in_uvicorn_is_opened_and_its_port_read(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: alembic upgrade head && uvicorn main:app --port 9000\n")
    assert found.details["listen_env"] == "UVICORN_HOST=0.0.0.0" and found.facts["port"].value == 9000
    assert "port" not in findings(make_tree, "web: ./wait-for db:5432 && uvicorn main:app --port $PORT\n").facts


MIGRATING_FLASK = {**PLAIN_APP, "requirements.txt": "Flask==3.0.3\nFlask-Migrate==4.0.7\ngunicorn==22.0.0\n", "migrations/env.py": ""}


def test_a_migration_the_web_chain_runs_is_not_also_a_release_step(make_tree: MakeTree) -> None:
    root = make_tree({**MIGRATING_FLASK, "Procfile": MICROBLOG_WEB})
    assert "release_command" not in only_app(root)["details"]
    assert any("runs flask db upgrade before its server on every start" in w for w in inspect_tree(root).warnings)


def test_a_release_step_the_web_chain_does_not_run_stays(make_tree: MakeTree) -> None:
    web = "web: flask translate compile; gunicorn app:app\n"
    assert only_app(make_tree({**MIGRATING_FLASK, "Procfile": web}))["details"]["release_command"] == "flask --app app:app db upgrade"


def test_a_procfile_release_line_stays_even_when_the_web_chain_runs_it(make_tree: MakeTree) -> None:
    procfile_text = "release: flask db upgrade\n" + MICROBLOG_WEB
    assert only_app(make_tree({**MIGRATING_FLASK, "Procfile": procfile_text}))["details"]["release_command"] == "flask db upgrade"


def test_a_procfile_hypercorn_names_its_app_by_module(make_tree: MakeTree) -> None:
    found = findings(make_tree, "web: hypercorn src/api:app --bind 0.0.0.0:$PORT\n")
    assert found.details["asgi_app"] == "api:app" and found.details["port_env"] == "PORT"
    assert findings(make_tree, "web: hypercorn api --bind 0.0.0.0:$PORT\n").details["asgi_app"] == "api:app"


def test_a_procfile_hypercorn_without_a_bind_is_reported_unreachable(make_tree: MakeTree) -> None:
    """hypercorn listens on 127.0.0.1:8000 unless bound, and reads no setting that could open it."""
    found = findings(make_tree, "web: hypercorn app:app\n")
    assert any("listens on 127.0.0.1:8000 only" in w for w in found.warnings)
    assert not findings(make_tree, "web: hypercorn app:app -b 0.0.0.0:$PORT\n").warnings
