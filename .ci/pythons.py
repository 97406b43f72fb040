"""`make oldest` and `make newest`: the test suite at both ends of what pyproject.toml allows.

`make test` runs the suite on the machine's default Python with the newest
dependencies. pyproject.toml promises more, so two more runs hold it to that:

* **oldest** -- ``python3.10`` with each runtime dependency pinned to its floor
  (``aiohttp>=3.12`` -> ``aiohttp==3.12``), in ``.venv-oldest``;
* **newest** -- the newest CPython 3.12 or later on the machine, with the newest
  dependencies, in ``.venv-newest`` (aiohttp and asyncio take other paths there:
  eagerly started tasks, ``asyncio.timeout``).

Each installs the package (editable) and runs pytest. Tests that need the
development tools (codegen) or the examples' extras (aiogram) are left out: they
are about the build, not about what users install. Without a fitting Python on
the machine a run says so and stops with success: the suite still ran on the
default Python in `make test`.

Usage: ``python .ci/pythons.py oldest|newest``
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = ["pytest>=8", "pytest-asyncio>=0.23", "hypothesis>=6.100"]
NOT_HERE = [
    "tests/test_codegen.py",  # needs datamodel-code-generator (development only)
    "tests/test_regenerate_after_docs_change.py",  # the same
    "tests/test_example_bot.py",  # needs aiogram (the examples extra)
]
OLDEST = (3, 10)
NEWEST_TRIED = [(3, 14), (3, 13), (3, 12)]
"""Newer Pythons looked for, newest first (3.11 is what `make test` usually runs)."""


def floors() -> list[str]:
    """Each runtime dependency pinned to the lowest version pyproject.toml allows.

    Read from the installed package's metadata (`make` reinstalls it whenever
    pyproject.toml changes); extras' requirements carry a marker and are skipped.
    """
    pinned = []
    for requirement in requires("aioacquiring") or []:
        if ";" in requirement:
            continue
        name, sep, version = requirement.partition(">=")
        if not sep or "," in version:
            raise SystemExit(f"pythons: cannot read a floor from {requirement!r}")
        pinned.append(f"{name.strip()}=={version.strip()}")
    return pinned


def newest_allowed() -> list[str]:
    """Each runtime dependency as pyproject.toml states it: pip takes the newest."""
    return [r for r in requires("aioacquiring") or [] if ";" not in r]


def find_python(version: tuple[int, int]) -> str | None:
    """A working ``python3.X``: on PATH, or one of pyenv's (its shim fails when not selected)."""
    name = f"python{version[0]}.{version[1]}"
    candidates = [shutil.which(name)]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version[0]}.{version[1]}*/bin/{name}")
    )
    for candidate in candidates:
        if candidate is None:
            continue
        probe = [candidate, "-c", f"import sys; assert sys.version_info[:2] == {version!r}"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return candidate
    return None


MODES: dict[str, tuple[list[tuple[int, int]], Callable[[], list[str]]]] = {
    "oldest": ([OLDEST], floors),
    "newest": (NEWEST_TRIED, newest_allowed),
}
"""Each run: the Pythons it takes (the first found), and the requirements it installs."""


def main() -> int:
    """Build (or reuse) the run's venv and run the suite there; pytest's exit status."""
    mode = sys.argv[1] if len(sys.argv) == 2 else ""
    if mode not in MODES:
        raise SystemExit(f"usage: {sys.argv[0]} {'|'.join(MODES)}")
    versions, requirements = MODES[mode]
    found = next(((v, python) for v in versions if (python := find_python(v)) is not None), None)
    if found is None:
        wanted = " or ".join(f"python{v[0]}.{v[1]}" for v in versions)
        print(f"{mode}: no {wanted} on this machine; skipped (make test ran the default Python)")
        return 0
    version, python = found
    venv = ROOT / f".venv-{mode}"
    pins = requirements()
    stamp = venv / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + python.encode()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *pins, *TEST_TOOLS], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        stamp.write_text(wanted)
    print(f"{mode}: python{version[0]}.{version[1]} with {', '.join(pins)}", flush=True)
    ignores = [f"--ignore={path}" for path in NOT_HERE]
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run([*command, *ignores], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
