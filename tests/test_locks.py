"""The hashed lock files (scripts/lock.sh) that the Makefile, CI and the image install from with
`pip install --require-hashes`: they cover pyproject.toml, every pin has a hash, torch is the CPU build."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(name: str) -> dict[str, tuple[str, int]]:
    """Each pinned distribution of a lock file: its version and how many hashes it carries."""
    out: dict[str, tuple[str, int]] = {}
    current = None
    for line in (REPO / name).read_text().splitlines():
        if m := PIN.match(line):
            current = norm(m.group(1))
            out[current] = (m.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = out[current]
            out[current] = (version, hashes + 1)
        elif line and not line.startswith((" ", "#")):
            raise AssertionError(f"{name}: unexpected line {line!r}")
    return out


def declared(*groups: str) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"]) + [s for g in groups for s in project["optional-dependencies"][g]]
    return {norm(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in specs}


def test_every_declared_dependency_is_locked_with_hashes() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert declared() - set(runtime) == set(), "run scripts/lock.sh after changing pyproject.toml"
    assert declared("dev") - set(dev) == set(), "run scripts/lock.sh after changing pyproject.toml"
    unhashed = [n for lock in (runtime, dev) for n, (_, hashes) in lock.items() if hashes == 0]
    assert unhashed == []
    assert runtime["torch"][0] == "2.13.0+cpu"
    # the dev lock adds the dev tools to the very same runtime pins
    assert {n: v for n, (v, _) in dev.items() if n in runtime} == {n: v for n, (v, _) in runtime.items()}
