"""The cutover engine is free of boto3 and Docker: not imported at load time, nor lazily inside a function,
nor through the deploy or containers stages (which wrap them)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import migrate.cutover

PACKAGE = Path(migrate.cutover.__file__).parent
SDKS = {"boto3", "botocore", "docker", "moto"}


def _modules() -> list[str]:
    return sorted(f"migrate.cutover.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def test_importing_every_module_loads_no_sdk() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {_modules()!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(SDKS)!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert len(_modules()) >= 5
    assert json.loads(proc.stdout) == []


def test_no_module_imports_an_sdk_anywhere_in_its_code() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{path.name}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in SDKS or n.startswith(("migrate.deploy", "migrate.containers"))]
    assert found == []
