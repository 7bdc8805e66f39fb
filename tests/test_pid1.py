"""A Python script runs under tini: as PID 1 it would ignore SIGTERM (``docker stop``, every ECS deployment).

Found by the e2e test of examples/python-tornado (a Tornado app started as ``python app.py``):
``docker stop`` took the full 10 s. Servers that handle SIGTERM themselves stay PID 1.
"""

from __future__ import annotations

import pytest
from conftest import MakeTree

from migrate import __version__
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.generate.recipes.python import _runs_the_interpreter
from migrate.generate.render import render
from migrate.inspect import inspect_tree


@pytest.mark.parametrize(("command", "script"), [
    ("python app.py", True),
    ("python3 -m bot", True),
    ("/usr/local/bin/python main.py --port 8080", True),
    ("DEBUG=0 python app.py", True),
    ("flask --app notes upgrade-db; exec python serve.py", True),
    ("gunicorn app:app --bind 0.0.0.0:8000", False),
    ("uvicorn main:app --host 0.0.0.0", False),
    ("streamlit run app.py", False),
    ("python manage.py migrate && exec gunicorn proj.wsgi", False),
    (None, False),
])
def test_which_commands_are_scripts_the_interpreter_runs(command: str | None, script: bool) -> None:
    assert _runs_the_interpreter(command) is script


SCRIPT = "import asyncio\n\nasync def main():\n    await asyncio.Event().wait()\n\nif __name__ == '__main__':\n    asyncio.run(main())\n"


def render_dockerfile(plan: ContainerPlan) -> str:
    return render(f"dockerfile/{plan.template}", plan=plan, values=plan.values, version=__version__)


def test_a_script_runs_under_tini_and_a_server_does_not(make_tree: MakeTree) -> None:
    script = plan_for(inspect_tree(make_tree({"requirements.txt": "requests==2.32.3\n", "bot.py": SCRIPT})).apps[0])
    dockerfile = render_dockerfile(script)
    runtime = dockerfile.split("FROM base AS runtime", 1)[1].split("FROM runtime AS dev", 1)[0]
    assert "apt-get install -y --no-install-recommends tini" in runtime
    assert 'ENTRYPOINT ["tini", "--"]\nCMD ["python", "bot.py"]' in runtime
    assert any("tini is PID 1" in note for note in script.notes)

    server = plan_for(inspect_tree(make_tree({"requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n",
                                              "app.py": "from flask import Flask\napp = Flask(__name__)\n"})).apps[0])
    assert "tini" not in render_dockerfile(server)
