"""Golden tests: the full inspection of every app in examples/.

Each folder in ``examples/`` has its expected ``migrate inspect --json`` output
at ``tests/examples/<name>/inspect.json`` (without the machine-specific
``root``). Rewrite them with ``MIGRATE_UPDATE_GOLDEN=1 pytest`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, update_golden

from migrate.inspect import inspect_tree

EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLE_NAMES) >= 12


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_profile(name: str) -> None:
    result = inspect_tree(EXAMPLES / name).to_json()
    assert result.pop("root") == str((EXAMPLES / name).resolve())
    golden = REPO / "tests" / "examples" / name / "inspect.json"
    if update_golden() or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not update_golden():
            pytest.fail(f"wrote missing golden file {golden.relative_to(REPO)}; review it and run again")
    expected = json.loads(Path(golden).read_text(encoding="utf-8"))
    assert result == expected


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_has_no_warnings_about_its_own_files(name: str) -> None:
    """Examples are well-formed: nothing in them is malformed or unreadable."""
    warnings = inspect_tree(EXAMPLES / name).warnings
    assert not [w for w in warnings if "malformed" in w or "cannot read" in w]
