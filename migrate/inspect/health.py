"""Health-check endpoints the app already serves.

A route whose path is a conventional health path (``/health``, ``/healthz``,
``/up``, ``/ping``...) declared through any common routing idiom. Framework
built-ins (Spring Actuator, Rails ``/up``, Streamlit) are set by their
framework detectors, which run first.
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import AppDir, Findings
from migrate.inspect.mounts import prefix_of
from migrate.profile import Evidence

_HEALTH = r"(?:healthz?|health[-_]?check|_health|livez|readyz|ready|ping|up)"
# A routing call or decorator whose first argument is a health path.
_ROUTE = re.compile(
    r"(?:(?P<receiver>[A-Za-z_]\w*)?\.(?P<method>get|route|api_route|head|all|use|GET|Get|HEAD|Any|Handle|HandleFunc|HandlerFunc"
    r"|MapGet|MapHealthChecks|UseHealthChecks|at|handle|add_url_rule)"
    r"|(?<![\w.])(?P<function>path|re_path|url|get|route|Route|HandleFunc|Handle)"
    r"|@(?:Get|Request)Mapping|#\[get|\bgetMapping|\bmatch"
    # A route table's entry: Tornado's Application([(r"/health", HealthHandler), ...]), a tuple in a list.
    r"|(?P<entry>(?<=[\[,])))"
    # Go 1.22 ServeMux patterns put the method inside the string: "GET /healthz".
    # Ruby calls need no parentheses (Sinatra ``get '/health' do``); a path may sit under a prefix (/api/health).
    r"(?:\s*\(\s*|[ \t]+)(?:value\s*=\s*)?[rf]?[\"'`]\^?(?:(?:GET|HEAD)\s+)?(?P<route>/?(?:[\w.-]+/)*" + _HEALTH + r"/?)\$?[\"'`]",
)
_SOURCES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".java", ".kt", ".rb", ".php", ".cs", ".rs")


def detect(app: AppDir, found: Findings) -> None:
    """Set ``health_path`` from the first health route declared in the app's code.

    The route's path is taken under every prefix its router is mounted with
    (see :mod:`migrate.inspect.mounts`); a route under a prefix that cannot be
    computed is skipped with a warning rather than reported at a wrong path.
    """
    if found.has("health_path"):
        return
    for path, line, match in app.grep(_SOURCES, _ROUTE):
        if _is_test(path):
            continue
        if match.group("method") and not match.group("route").startswith("/"):
            continue  # receiver.get("up"): a mapping's get (cleaned_data, environ, args), not a route: those start with /
        if match.group("entry") is not None and "(" not in match.group(0):
            continue  # ["/metrics", "/health"]: a list of paths (a log filter's), not a route table's (path, handler)
        line += match.string.count("\n", match.start(), match.start("route"))  # the route's own line (a table's entry)
        route = "/" + match.group("route").lstrip("/")
        call = match.group("method") or match.group("function") or ""
        mounts = prefix_of(app, path, match.group("receiver"), call, match.start())
        if mounts.unresolved is not None:
            found.warnings.append(f"health route {route} ({path}:{line}) is mounted under a prefix migrate cannot compute: {mounts.unresolved}")
            continue
        full = mounts.path(route)
        found.set("health_path", full, Evidence(path, line, f"route {route}"), *(e for _p, e in mounts.prefixes))
        return


def _is_test(path: str) -> bool:
    # test_*.py only as a whole file name: "latest_routes.py" is not a test.
    return bool(re.search(r"(^|/)(tests?|__tests__|spec)/|\.(test|spec)\.|_test\.go$|(^|/)(test_[^/]*|tests)\.py$", path))
