"""CONTAINERS.md describes the layer order each generated Dockerfile really has, for every recipe."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.generate import generate
from migrate.generate.checks import installs_before_source
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Sentences of CONTAINERS.md that say dependencies are installed before the source is copied.
CLAIMS = re.compile(r"copied before the source|before the source is copied|then the source")


def claims_dependency_layer(containers_md: str) -> bool:
    return bool(CLAIMS.search(containers_md))


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "generated" / "CONTAINERS.md").exists()))
def test_every_example_documents_the_order_its_dockerfiles_have(example: str) -> None:
    generated = EXAMPLES / example / "generated"
    dockerfiles = sorted(generated.rglob("Dockerfile"))
    assert dockerfiles
    docs = (generated / "CONTAINERS.md").read_text(encoding="utf-8")
    # One section per app: the claim of each must hold in that app's Dockerfile.
    sections = docs.split("\n## ")[2:] or [docs]
    for dockerfile in dockerfiles:
        app_dir = dockerfile.parent.relative_to(generated).as_posix()
        section = next((s for s in sections if f"(`{app_dir}`)" in s.splitlines()[0]), docs)
        if claims_dependency_layer(section):
            assert installs_before_source(dockerfile.read_text(encoding="utf-8")), f"{example}/{app_dir}"


def test_an_install_after_the_whole_source_is_documented_as_such(make_tree: MakeTree) -> None:
    """A Java build whose manifests cannot be copied first: the text must not claim a dependency layer."""
    pom = "<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>demo</artifactId><version>1</version></project>\n"
    inspection = inspect_tree(make_tree({"pom.xml": pom, "src/main/java/Main.java": "class Main {}\n"}))
    app = inspection.apps[0]
    app = dataclasses.replace(app, details=tuple((k, v) for k, v in app.details if k != "install_command"))
    files = {f.path: f.content for f in generate(dataclasses.replace(inspection, apps=(app,)))}
    assert not installs_before_source(files["Dockerfile"])
    assert not claims_dependency_layer(files["CONTAINERS.md"])
    assert "installed after the whole source is copied" in files["CONTAINERS.md"]


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        ('FROM x\nCOPY ["requirements.txt", "./"]\nRUN pip install -r requirements.txt\nCOPY . .\n', True),
        ("FROM x\nCOPY --chown=1:1 go.mod ./\nRUN go mod download\nCOPY --chown=1:1 . /app/\n", True),
        ("FROM x\nCOPY . .\nRUN pip install -r requirements.txt\n", False),
        ('FROM x\nCOPY ["package.json", "./"]\nCOPY [".", "/app"]\nRUN npm ci\n', False),  # no step on the manifests alone
        ("FROM x AS a\nRUN make\nFROM y\nCOPY --from=a /out /out\nCOPY . .\n", False),  # other stages' files are not the context
    ],
)
def test_installs_before_source(dockerfile: str, expected: bool) -> None:
    assert installs_before_source(dockerfile) is expected
