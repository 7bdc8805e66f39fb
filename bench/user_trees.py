"""Benchmark trees shaped like a user's: apps with many source files that inspect must read.

``generate_node_monorepo`` writes an npm workspace of three Node apps with
10,000 JS/TS source files each (requires and imports, routes, some
``listen(...)`` calls and ``process.env`` reads, tests, React components), a
large ``node_modules``, a ``.git`` folder and build output: about 100,000
files. ``generate_polyglot`` writes a FastAPI service and a Go service of
10,000 source files each, with a virtualenv and a ``.git`` folder.

The sources vary by index (several templates, different names, imports and
lengths), so the scanners meet text of the size and shape of real code rather
than one repeated line; one source file in twenty ends with a comment that is not
ASCII, as real code does. Nothing here imports ``migrate``.
"""

from __future__ import annotations

import json
from pathlib import Path

NODE_APPS = ("api", "web", "jobs")
NODE_APP_FILES = 10_000
NODE_MODULES_PACKAGES = 1_200  # x 48 files each
GIT_OBJECTS = 6_000
POLY_APP_FILES = 10_000
#: One source file in this many carries non-ASCII text (a comment with an em dash, a euro sign, an accent):
#: 1-14% of the source files of the real apps we tried do, and text that is not ASCII takes other paths
#: in the scanners (case folding), so an all-ASCII tree would flatter them.
NON_ASCII_EVERY = 20
_NON_ASCII_NOTE = "Prices in \u20ac \u2014 see the caf\u00e9 docs."


def _with_note(text: str, index: int, comment: str) -> str:
    """``text``, with a non-ASCII comment line at its end for one file in ``NON_ASCII_EVERY``."""
    return text + f"{comment} {_NON_ASCII_NOTE}\n" if index % NON_ASCII_EVERY == 7 else text

_ROOT_GITIGNORE = "node_modules/\ndist/\ncoverage/\n.env\n*.log\n.DS_Store\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def git_folder(root: Path, objects: int = GIT_OBJECTS, repeat: int = 20) -> None:
    """A ``.git`` folder of ``objects`` loose objects (``repeat`` sets their size)."""
    git = root / ".git"
    _write(git / "HEAD", "ref: refs/heads/main\n")
    _write(git / "config", "[core]\n\trepositoryformatversion = 0\n")
    for i in range(objects):
        name = f"{i * 2654435761 % 16**40:040x}"
        (git / "objects" / name[:2]).mkdir(parents=True, exist_ok=True)
        (git / "objects" / name[:2] / name[2:]).write_bytes(b"x\x01" + name.encode() * repeat)


# ---------------------------------------------------------------- Node sources
_TS_SERVICE = """import {{ Injectable }} from "../../core/di";
import {{ Logger }} from "../../core/logger";
import type {{ {model}, {model}Input }} from "./{name}.types";
import {{ {dep}Repository }} from "../{dep_module}/{dep}.repository";

const logger = new Logger("{model}Service");

/** Business rules for {model} records ({index}). */
@Injectable()
export class {model}Service {{
  private readonly cache = new Map<string, {model}>();

  constructor(private readonly repository: {dep}Repository) {{}}

  async findAll(limit = {limit}): Promise<{model}[]> {{
    const rows = await this.repository.query("SELECT * FROM {table} LIMIT $1", [limit]);
    logger.debug(`loaded ${{rows.length}} {table}`);
    return rows.map((row) => this.toModel(row));
  }}

  async findOne(id: string): Promise<{model} | undefined> {{
    if (this.cache.has(id)) {{
      return this.cache.get(id);
    }}
    const row = await this.repository.findById("{table}", id);
    const model = row ? this.toModel(row) : undefined;
    if (model) this.cache.set(id, model);
    return model;
  }}

  async create(input: {model}Input): Promise<{model}> {{
    if (!input.name || input.name.length > {limit}) {{
      throw new Error("invalid {name}: name is required");
    }}
    const row = await this.repository.insert("{table}", {{ ...input, createdAt: new Date() }});
    return this.toModel(row);
  }}

  private toModel(row: Record<string, unknown>): {model} {{
    return {{ id: String(row.id), name: String(row.name ?? ""), createdAt: new Date(String(row.created_at)) }} as {model};
  }}
}}
"""

_JS_ROUTES = """"use strict";

const express = require("express");
const {{ {model}Service }} = require("./{name}.service");
const validate = require("../../middleware/validate");
const asyncHandler = require("../../middleware/async-handler");

const router = express.Router();
const service = new {model}Service();

router.get("/{table}", asyncHandler(async (req, res) => {{
  const limit = Math.min(Number(req.query.limit) || {limit}, 500);
  res.json(await service.findAll(limit));
}}));

router.get("/{table}/:id", asyncHandler(async (req, res) => {{
  const item = await service.findOne(req.params.id);
  if (!item) return res.status(404).json({{ error: "not found" }});
  res.json(item);
}}));

router.post("/{table}", validate("{name}"), asyncHandler(async (req, res) => {{
  const created = await service.create(req.body);
  res.status(201).json(created);
}}));

module.exports = router;
"""

_JS_CONFIG = """const path = require("path");

// Settings for the {name} module, from the environment.
module.exports = {{
  enabled: process.env.{env}_ENABLED === "true",
  url: process.env.{env}_URL || "http://localhost:{port}",
  timeoutMs: Number(process.env.{env}_TIMEOUT_MS) || {limit},
  dataDir: path.join(__dirname, "..", "..", "data", "{table}"),
}};
"""

_TSX_COMPONENT = """import React, {{ useEffect, useState }} from "react";
import {{ fetchJson }} from "../../lib/http";
import styles from "./{model}List.module.css";

interface Props {{
  pageSize?: number;
  onSelect?: (id: string) => void;
}}

export function {model}List({{ pageSize = {limit}, onSelect }}: Props): JSX.Element {{
  const [items, setItems] = useState<Array<{{ id: string; name: string }}>>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {{
    let cancelled = false;
    fetchJson(`/api/{table}?limit=${{pageSize}}`)
      .then((rows) => !cancelled && setItems(rows))
      .catch((e: Error) => !cancelled && setError(e.message));
    return () => {{
      cancelled = true;
    }};
  }}, [pageSize]);

  if (error) return <p className={{styles.error}}>{{error}}</p>;
  return (
    <ul className={{styles.list}}>
      {{items.map((item) => (
        <li key={{item.id}} onClick={{() => onSelect?.(item.id)}}>
          {{item.name}}
        </li>
      ))}}
    </ul>
  );
}}
"""

_TS_EVENTS = """import {{ EventEmitter }} from "node:events";
import {{ {model}Service }} from "./{name}.service";

/** Re-publishes {name} changes to subscribers; listens on the shared bus. */
export class {model}Events extends EventEmitter {{
  constructor(private readonly service: {model}Service, bus: EventEmitter) {{
    super();
    bus.on("{table}.changed", (id: string) => this.refresh(id));
  }}

  listen(handler: (id: string) => void): () => void {{
    this.on("refreshed", handler);
    return () => this.off("refreshed", handler);
  }}

  private async refresh(id: string): Promise<void> {{
    await this.service.findOne(id);
    this.emit("refreshed", id);
  }}
}}
"""

_TS_TEST = """import {{ describe, expect, it }} from "vitest";
import {{ {model}Service }} from "../src/modules/{module}/{name}.service";

describe("{model}Service", () => {{
  it("rejects an empty name", async () => {{
    const service = new {model}Service({{ insert: async () => ({{}}) }} as never);
    await expect(service.create({{ name: "" }} as never)).rejects.toThrow("invalid");
  }});

  it("uses TEST_DATABASE_URL", () => {{
    expect(process.env.TEST_DATABASE_URL ?? "postgres://localhost/test").toContain("postgres");
  }});
}});
"""

_TS_TYPES = """export interface {model} {{
  id: string;
  name: string;
  createdAt: Date;
  tags?: string[];
}}

export type {model}Input = Pick<{model}, "name"> & Partial<Pick<{model}, "tags">>;
"""

#: (file name pattern, template) in the order a module folder holds them.
_NODE_KINDS = (
    ("{name}.service.ts", _TS_SERVICE),
    ("{name}.routes.js", _JS_ROUTES),
    ("{name}.types.ts", _TS_TYPES),
    ("{model}List.tsx", _TSX_COMPONENT),
    ("{name}.events.ts", _TS_EVENTS),
    ("{name}.config.js", _JS_CONFIG),
)

_WORDS = ("order", "invoice", "customer", "product", "shipment", "payment", "review", "coupon", "warehouse", "supplier")


def _fields(index: int) -> dict[str, object]:
    word = _WORDS[index % len(_WORDS)]
    name = f"{word}{index}"
    dep = _WORDS[(index * 7 + 3) % len(_WORDS)]
    return {
        "name": name,
        "model": name[0].upper() + name[1:],
        "table": f"{word}s_{index}",
        "dep": dep[0].upper() + dep[1:],
        "dep_module": f"m{(index * 13) % 97}",
        # A large app reads many variables, but not thousands: about 100 names, each read in many files.
        "env": f"{word.upper()}_{index % 10}",
        "limit": 20 + index % 80,
        "port": 7000 + index % 900,
        "index": index,
    }


def _node_app(root: Path, app: str, port: int, files: int = NODE_APP_FILES, folder: Path | None = None) -> None:
    folder = folder or root / "apps" / app
    manifest = {
        "name": f"@shop/{app}",
        "version": "2.3.0",
        "private": True,
        "main": "dist/main.js",
        "scripts": {"build": "tsc -p tsconfig.build.json", "start": "node dist/main.js", "test": "vitest run"},
        "dependencies": {"express": "^4.19.2", "pg": "^8.11.5", "ioredis": "^5.4.1", "react": "^18.3.1", "zod": "^3.23.8"},
        "devDependencies": {"typescript": "^5.4.5", "vitest": "^1.6.0", "@types/express": "^4.17.21"},
        "engines": {"node": ">=20 <23"},
    }
    _write(folder / "package.json", json.dumps(manifest, indent=2) + "\n")
    _write(folder / "tsconfig.json", '{"compilerOptions": {"outDir": "dist", "strict": true, "jsx": "react-jsx"}}\n')
    _write(folder / ".env.example", f"PORT={port}\nDATABASE_URL=postgres://shop:shop@localhost:5432/shop\nREDIS_URL=redis://localhost:6379\n")
    main = (
        'import express from "express";\nimport { routes } from "./routes";\n\n'
        "const app = express();\n"
        f"const port = Number(process.env.PORT) || {port};\n"
        "const databaseUrl = process.env.DATABASE_URL;\n\n"
        'app.get("/healthz", (_req, res) => res.send("ok"));\n'
        "app.use(express.json());\napp.use(routes(databaseUrl));\n\n"
        'app.listen(port, "0.0.0.0", () => console.log(`listening on ${port}`));\n'
    )
    _write(folder / "src" / "main.ts", main)
    written = 1
    index = 0
    while written < files:
        module = f"m{index // len(_NODE_KINDS) % 97}"
        fields = _fields(index)
        kind_name, template = _NODE_KINDS[index % len(_NODE_KINDS)]
        if index % 10 == 9:  # one file in ten is a test, outside src/
            path = folder / "test" / module / f"{fields['name']}.service.test.ts"
            text = _TS_TEST.format(module=module, **fields)
        else:
            path = folder / "src" / "modules" / module / kind_name.format(**fields)
            text = template.format(**fields)
        _write(path, _with_note(text, index, "//"))
        written += 1
        index += 1
    for i in range(300):  # build output (skipped by name and by .gitignore)
        _write(folder / "dist" / "modules" / f"chunk{i}.js", "exports.x=1;app.listen(1234);\n")


def node_package(root: Path, index: int) -> None:
    """One installed npm package: manifest, sources, types, docs, a nested dependency."""
    pkg = root / f"pkg-{index:04d}"
    _write(pkg / "package.json", json.dumps({"name": f"pkg-{index}", "version": "1.0.0", "main": "index.js"}))
    _write(pkg / "index.js", "module.exports = require('./lib/m0');\n")
    _write(pkg / "README.md", f"# pkg-{index}\n")
    _write(pkg / "LICENSE", "MIT\n")
    for m in range(30):
        _write(pkg / "lib" / f"m{m}.js", f"exports.v{m} = process.env.PKG_{index}_{m} || {m};\n")
    for m in range(10):
        _write(pkg / "types" / f"m{m}.d.ts", f"export declare const v{m}: number;\n")
    nested = pkg / "node_modules" / f"dep-{index}"
    _write(nested / "package.json", json.dumps({"name": f"dep-{index}", "version": "0.1.0"}))
    for m in range(4):
        _write(nested / f"f{m}.js", "module.exports = {};\n")


def _node_modules(root: Path) -> None:
    for index in range(NODE_MODULES_PACKAGES):
        node_package(root / "node_modules", index)


def generate_node_monorepo(root: Path) -> None:
    """An npm workspace of three Node apps with 10,000 source files each (about 100,000 files in all)."""
    root.mkdir(parents=True)
    workspace = {"name": "shop", "private": True, "workspaces": ["apps/*"], "devDependencies": {"prettier": "^3.3.0"}}
    _write(root / "package.json", json.dumps(workspace, indent=2) + "\n")
    _write(root / "package-lock.json", json.dumps({"name": "shop", "lockfileVersion": 3, "packages": {}}) + "\n")
    _write(root / ".gitignore", _ROOT_GITIGNORE)
    _write(root / "README.md", "# shop\n\nThree services in one npm workspace.\n")
    for number, app in enumerate(NODE_APPS):
        _node_app(root, app, 3000 + number)
    _node_modules(root)
    git_folder(root)
    for i in range(200):
        _write(root / "coverage" / f"lcov-{i}.html", "<html></html>\n")


def generate_node_monolith(root: Path) -> None:
    """One Node app of 30,000 source files at the root (about 100,000 files in all): the same sources as
    the monorepo's three apps, in one app, so inspect cannot profile apps side by side."""
    root.mkdir(parents=True)
    _node_app(root, "shop", 3000, files=len(NODE_APPS) * NODE_APP_FILES, folder=root)
    _write(root / "package-lock.json", json.dumps({"name": "@shop/shop", "lockfileVersion": 3, "packages": {}}) + "\n")
    _write(root / ".gitignore", _ROOT_GITIGNORE)
    _write(root / "README.md", "# shop\n\nOne service.\n")
    _node_modules(root)
    git_folder(root)
    for i in range(200):
        _write(root / "coverage" / f"lcov-{i}.html", "<html></html>\n")


# ---------------------------------------------------------------- Python and Go sources
_PY_MODULE = '''"""{model} endpoints and rules ({index})."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from app.db import session_scope
from app.modules.{dep_module} import {dep_name}

log = logging.getLogger(__name__)
router = APIRouter(prefix="/{table}", tags=["{name}"])
PAGE_SIZE = int(os.getenv("{env}_PAGE_SIZE", "{limit}"))


class {model}(BaseModel):
    id: int
    name: str
    created_at: datetime


@router.get("/")
def list_{name}(limit: int = PAGE_SIZE) -> list[{model}]:
    with session_scope() as session:
        rows = session.execute("SELECT id, name, created_at FROM {table} LIMIT :n", {{"n": limit}})
        return [{model}(**row) for row in rows]


@router.get("/{{item_id}}")
def get_{name}(item_id: int) -> {model}:
    with session_scope() as session:
        row = session.get("{table}", item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{name} not found")
    log.debug("loaded %s from %s", item_id, {dep_name}.__name__)
    return {model}(**row)
'''

_GO_FILE = """package {pkg}

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// {model} is one row of {table} ({index}).
type {model} struct {{
	ID        int64
	Name      string
	CreatedAt time.Time
}}

// {model}Store reads and writes {table}.
type {model}Store struct {{
	db *sql.DB
}}

// Find{model} loads one {name} by id.
func (s *{model}Store) Find{model}(ctx context.Context, id int64) (*{model}, error) {{
	row := s.db.QueryRowContext(ctx, "SELECT id, name, created_at FROM {table} WHERE id = $1", id)
	var m {model}
	if err := row.Scan(&m.ID, &m.Name, &m.CreatedAt); err != nil {{
		if errors.Is(err, sql.ErrNoRows) {{
			return nil, nil
		}}
		return nil, fmt.Errorf("find {name} %d: %w", id, err)
	}}
	return &m, nil
}}

// List{model} loads up to {limit} rows.
func (s *{model}Store) List{model}(ctx context.Context) ([]{model}, error) {{
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, created_at FROM {table} LIMIT {limit}")
	if err != nil {{
		return nil, err
	}}
	defer rows.Close()
	var out []{model}
	for rows.Next() {{
		var m {model}
		if err := rows.Scan(&m.ID, &m.Name, &m.CreatedAt); err != nil {{
			return nil, err
		}}
		out = append(out, m)
	}}
	return out, rows.Err()
}}
"""

_GO_MAIN = """package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	log.Fatal(http.ListenAndServe(":"+port, mux))
}
"""


def _python_service(root: Path) -> None:
    api = root / "services" / "catalog"
    _write(api / "pyproject.toml", '[project]\nname = "catalog"\nversion = "1.0.0"\nrequires-python = ">=3.12"\n'
           'dependencies = ["fastapi>=0.110", "uvicorn[standard]>=0.29", "psycopg[binary]>=3.1"]\n')
    _write(api / "app" / "__init__.py", "")
    _write(api / "app" / "main.py", 'import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n'
           'DATABASE_URL = os.environ["DATABASE_URL"]\n\n\n@app.get("/health")\ndef health() -> dict[str, str]:\n'
           '    return {"status": "ok"}\n')
    for index in range(POLY_APP_FILES - 2):
        fields = _fields(index)
        folder = "tests" if index % 10 == 9 else f"app/modules/m{index % 97}"
        name = f"test_{fields['name']}.py" if folder == "tests" else f"{fields['name']}.py"
        _write(api / folder / name, _with_note(_PY_MODULE.format(dep_name=f"m{index % 97}_helpers", **fields), index, "#"))
    venv = api / ".venv"
    _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    for i in range(3_000):
        _write(venv / "lib" / "python3.12" / "site-packages" / f"mod{i // 10}" / f"f{i}.py", "X = 1\n")


def _go_service(root: Path) -> None:
    svc = root / "services" / "ledger"
    _write(svc / "go.mod", "module example.com/ledger\n\ngo 1.22\n\nrequire github.com/lib/pq v1.10.9\n")
    _write(svc / "go.sum", "github.com/lib/pq v1.10.9 h1:x=\n")
    _write(svc / "cmd" / "server" / "main.go", _GO_MAIN)
    for index in range(POLY_APP_FILES - 1):
        fields = _fields(index)
        pkg = f"p{index % 97}"
        suffix = "_test.go" if index % 10 == 9 else ".go"
        _write(svc / "internal" / pkg / f"{fields['name']}{suffix}", _with_note(_GO_FILE.format(pkg=pkg, **fields), index, "//"))


def generate_polyglot(root: Path) -> None:
    """A FastAPI service and a Go service of 10,000 source files each, with a virtualenv and ``.git``."""
    root.mkdir(parents=True)
    _write(root / ".gitignore", "__pycache__/\n*.pyc\n/bin/\n.env\n")
    _write(root / "README.md", "# ledger and catalog\n")
    _python_service(root)
    _go_service(root)
    git_folder(root)
