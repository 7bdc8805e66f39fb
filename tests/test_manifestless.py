"""Apps without a manifest, as Paketo and Nixpacks build them (issue 11, pattern 13)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile, Inspection

MakeTree = Callable[[dict[str, str | bytes]], Path]

GO_MAIN = """package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
"""
FLASK_APP = 'import os\n\nfrom flask import Flask\nimport requests, yaml as config\nimport greetings\nimport leftpad\n\napp = Flask(__name__)\n'
DENO_MAIN = 'Deno.serve({ port: 8000 }, (_req: Request) => new Response("ok"));\n'
BUILD_GRADLE = """plugins {
    id 'java'
    id 'org.springframework.boot' version '3.3.5'
    id 'io.spring.dependency-management' version '1.1.6'
}

version = '0.1.0'

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
}
"""


def only_app(result: Inspection) -> AppProfile:
    assert len(result.apps) == 1, (result.apps, result.warnings)
    return result.apps[0]


def dockerfile(root: Path, path: str = "Dockerfile") -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.path == path)


# ---------------------------------------------------------------- Go
def test_go_main_without_go_mod_builds_with_a_generated_module(make_tree: MakeTree) -> None:
    root = make_tree({"main.go": GO_MAIN})
    result = inspect_tree(root)
    app = only_app(result)
    assert (app.language.value, app.package_manager.value, app.detail("generated_module")) == ("go", "go", "tree")
    assert app.start_command.value == "/out/tree"
    assert "main.go:1: package main without go.mod" in [str(e) for e in app.language.evidence]
    assert any("no go.mod: the image generates one (`go mod init tree`)" in w for w in result.warnings)
    text = dockerfile(root)
    assert 'RUN go mod init tree && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tree .\n' in text
    assert "go mod download" not in text  # nothing to download before the source: no go.mod yet
    assert "GOPATH mode" not in text and "GO111MODULE" not in text


def test_go_main_importing_modules_tidies_and_warns(make_tree: MakeTree) -> None:
    source = GO_MAIN.replace('"os"\n', '"os"\n\n\t"github.com/go-chi/chi/v5"\n')
    root = make_tree({"main.go": source})
    result = inspect_tree(root)
    only_app(result)
    assert any("imports github.com/go-chi/chi/v5: the image resolves the newest versions with `go mod tidy`" in w for w in result.warnings)
    assert "RUN go mod init tree && go mod tidy && CGO_ENABLED=0 go build" in dockerfile(root)


def test_a_loose_go_program_inside_a_module_or_another_app_is_not_an_app(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "go.mod": "module example.com/shop\n\ngo 1.23\n",
            "main.go": GO_MAIN,
            "tools/gen/main.go": GO_MAIN,  # part of the module above
        }
    )
    assert [a.path for a in inspect_tree(root).apps] == ["."]
    node = make_tree({"package.json": '{"name": "web", "scripts": {"start": "node server.js"}}', "scripts/bench/main.go": GO_MAIN})
    assert [a.path for a in inspect_tree(node).apps] == ["."]


# ---------------------------------------------------------------- Python
def test_python_app_py_alone_installs_what_its_imports_prove(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": FLASK_APP, "greetings.py": "def hello():\n    return 'hi'\n", "runtime.txt": "python-3.12\n"})
    result = inspect_tree(root)
    app = only_app(result)
    assert (app.framework.value, app.package_manager.value, app.runtime_version.value) == ("flask", "pip", "3.12")
    assert app.start_command.value == "gunicorn app:app --bind 0.0.0.0:8000"
    # Local modules and the standard library are not installed; a name no manifest maps is only reported.
    assert app.detail("install_packages") == "flask pyyaml requests"
    assert any("installs flask, pyyaml, requests, from the imports, unpinned" in w for w in result.warnings)
    assert any(w.endswith("imports leftpad: no manifest says which distribution provides them, so they are not installed") for w in result.warnings)
    text = dockerfile(root)
    # One step with the venv (no manifest to copy first); the production server pinned, as for any Flask app.
    assert ("# hadolint ignore=DL3013\nRUN python -m venv --without-pip /opt/venv \\\n"
            " && PIP_PYTHON=/opt/venv/bin/python pip install --no-cache-dir flask pyyaml requests gunicorn==") in text
    assert "pip install --no-cache-dir .\n" not in text
    assert "Dependency manifests first" not in text


def test_python_main_py_with_a_main_guard_runs_as_a_script(make_tree: MakeTree) -> None:
    root = make_tree({"main.py": "import time\n\n\nif __name__ == '__main__':\n    while True:\n        time.sleep(60)\n"})
    app = only_app(inspect_tree(root))
    assert (app.start_command.value, app.detail("install_packages")) == ("python main.py", None)


def test_python_files_without_an_entry_point_are_not_an_app(make_tree: MakeTree) -> None:
    assert inspect_tree(make_tree({"app.py": "def add(a, b):\n    return a + b\n"})).apps == ()


# ---------------------------------------------------------------- Deno
def test_deno_entry_without_deno_json(make_tree: MakeTree) -> None:
    root = make_tree({"src/index.ts": DENO_MAIN})
    result = inspect_tree(root)
    app = only_app(result)
    assert (app.language.value, app.package_manager.value, app.port.value) == ("deno", "deno", 8000)
    assert app.detail("entrypoint") == "src/index.ts"
    assert not any("not a readable JSON object" in w for w in result.warnings)
    assert "RUN deno install --entrypoint src/index.ts\n" in dockerfile(root)


def test_a_typescript_file_of_a_node_app_is_not_deno(make_tree: MakeTree) -> None:
    root = make_tree({"package.json": '{"name": "web", "scripts": {"start": "node main.js"}}', "main.ts": DENO_MAIN})
    assert [a.language.value for a in inspect_tree(root).apps] == ["node"]


# ---------------------------------------------------------------- Gradle
def test_gradle_build_without_settings_or_wrapper_names_its_project(make_tree: MakeTree) -> None:
    root = make_tree({"build.gradle": BUILD_GRADLE, "src/main/java/demo/App.java": "package demo;\n"})
    result = inspect_tree(root)
    app = only_app(result)
    assert (app.package_manager.value, app.start_command.value) == ("gradle", "java -jar build/libs/tree-0.1.0.jar")
    assert any(w.endswith('no settings.gradle: the image writes one with rootProject.name = "tree" (the folder\'s name); commit one to fix the name') for w in result.warnings)
    # In the image the folder is /src: without the settings file the project (and its jar) would be named "src".
    text = dockerfile(root)
    assert "RUN echo 'rootProject.name = \"tree\"' > settings.gradle && gradle dependencies --no-daemon\n" in text
    # The runnable jar is found by pattern, whatever name and version the build gives it.
    assert "find /src/build/libs -maxdepth 1 -name '*.jar'" in text and "tree-0.1.0.jar" not in text


def test_python_script_importing_nothing_installs_nothing(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"main.py": "import time\n\n\nif __name__ == '__main__':\n    time.sleep(60)\n"})
    text = dockerfile(root)
    assert not re.search(r"^(RUN| &&) .*pip install", text, re.MULTILINE)
    assert "RUN python -m venv --without-pip /opt/venv\n" in text and "ENV PIP_PYTHON=/opt/venv/bin/python\nCOPY . .\n" in text
    assert_hadolint_clean(text, tmp_path)
