"""The exact versions pyproject.toml pins, for the contract tests of the
adapters that reach a dependency's private API."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def pinned_version(distribution: str) -> str | None:
    """The version pinned with ``==`` for ``distribution``, or None if it is not pinned exactly."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\],]+?)\s*==\s*([^;\s]+)", requirement.strip())
        if match and match[1].split("[")[0].lower() == distribution.lower():
            return match[2]
    return None


def installed_version(distribution: str) -> str:
    return version(distribution)
