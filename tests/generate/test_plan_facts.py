"""The facts later stages need are typed fields of the plan, computed once (issue 12).

The image's name, its Dockerfile's path, the health check (probe, path, timings), the worker
processes and the release step are read by generate, build and deploy from the same
:class:`~migrate.generate.plan.ContainerPlan`, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from migrate.containers.targets import build_targets
from migrate.generate import generate
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree
from tests.generate.test_processes import FLASK_PROCFILE

MakeTree = Callable[[dict[str, str | bytes]], Path]


def test_compose_and_build_name_the_same_image_when_the_app_is_named_like_a_backing_service(make_tree: MakeTree) -> None:
    # An app called "redis" that uses Redis: compose's service must be renamed (redis-app), its image must not.
    root = make_tree({
        "redis/requirements.txt": "Flask==3.1.3\ngunicorn==23.0.0\nredis==5.0.8\n",
        "redis/app.py": "import os\nfrom flask import Flask\nimport redis\n\napp = Flask(__name__)\nR = redis.from_url(os.environ['REDIS_URL'])\n",
        "redis/Procfile": "web: gunicorn app:app --bind 0.0.0.0:8000\n",
        "web/package.json": '{"name": "web", "scripts": {"start": "node server.js"}, "dependencies": {"express": "4.21.2"}}',
        "web/server.js": "const app = require('express')(); app.listen(3000);\n",
    })
    inspection = inspect_tree(root)
    files = {f.path: f.content for f in generate(inspection)}
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    services = yaml.safe_load(files["compose.yaml"])["services"]
    assert "redis-app" in services  # the backing service keeps its name
    tags = {t.app.name: t.tag for t in build_targets(inspection)}
    assert services["redis-app"]["image"].split(":")[0] == tags["redis"].split(":")[0] == "redis"


def test_the_health_check_is_one_typed_fact_used_by_the_dockerfile(make_tree: MakeTree) -> None:
    root = make_tree(FLASK_PROCFILE)
    (app,) = inspect_tree(root).apps
    plan = plan_for(app)
    health = plan.health
    assert health is not None and health.command == plan.healthcheck
    assert (health.path, health.is_health_path, health.interval, health.timeout, health.retries, health.start_period) == ("/", False, 10, 5, 3, 20)
    dockerfile = {f.path: f.content for f in generate(inspect_tree(root))}[plan.dockerfile]
    line = re.search(r"HEALTHCHECK .*", dockerfile)
    assert line and line.group(0) == "HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \\"


def test_a_health_path_is_the_probed_path(make_tree: MakeTree) -> None:
    tree = dict(FLASK_PROCFILE)
    tree["shop/__init__.py"] += "\n@app.get('/healthz')\ndef healthz():\n    return 'ok'\n"
    (app,) = inspect_tree(make_tree(tree)).apps
    health = plan_for(app).health
    assert health is not None and (health.path, health.is_health_path) == ("/healthz", True)


def test_workers_and_the_release_step_are_on_the_plan(make_tree: MakeTree) -> None:
    (app,) = inspect_tree(make_tree(FLASK_PROCFILE)).apps
    plan = plan_for(app)
    assert [(w.name, w.command) for w in plan.workers] == [("worker", ("sh", "-c", "exec rq worker --url $REDIS_URL mail"))]
    assert plan.release == ("python", "-m", "shop.migrate")
    assert (plan.image, plan.dockerfile) == (app.name, "Dockerfile")


def test_a_jvm_app_gets_a_longer_start_period_in_the_image_and_on_the_plan() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "java-spring-maven"
    (app,) = inspect_tree(root).apps
    plan = plan_for(app)
    assert plan.health is not None and plan.health.start_period == 30
    dockerfile = {f.path: f.content for f in generate(inspect_tree(root))}[plan.dockerfile]
    assert "--start-period=30s" in dockerfile
