"""Django answers 400 to a request whose Host it does not allow, and behind the ALB every request names the balancer.

An app that reads ALLOWED_HOSTS from a variable gets the balancer's address there (tests/deploy/test_service.py);
one whose list is fixed in its settings is warned before the deploy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from migrate.deploy.workflow import host_warnings, load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_django_app_whose_allowed_hosts_are_fixed_is_warned_of_the_400s(tmp_path: Path) -> None:
    """Behind the balancer every request names it; a fixed ALLOWED_HOSTS without it answers 400 to all."""
    root = tmp_path / "site"
    shutil.copytree(EXAMPLES / "python-django-celery", root)
    settings = root / "proj" / "settings.py"
    assert host_warnings(load_project(root)) == []  # read from DJANGO_ALLOWED_HOSTS, which deploy sets
    text = settings.read_text().replace('os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")', '["localhost"]')
    settings.write_text(text)
    (warning,) = host_warnings(load_project(root))
    assert warning.startswith("shopfront: ALLOWED_HOSTS is a fixed list (proj/settings.py:10) without the load balancer's address")
