"""`make oldest`: the test suite on the oldest Python and dependencies pyproject.toml allows.

pyproject.toml promises Python >= 3.10 and floors for the four runtime
dependencies; `make test` otherwise runs only on the newest. This builds
`.venv-oldest` with `python3.10` and each runtime dependency pinned to its
floor (``aiohttp>=3.12`` -> ``aiohttp==3.12``), installs the package
(editable) and runs pytest there. Tests that need the development tools
(codegen) or the examples' extras (aiogram) are left out: they are about the
build, not about what users install.

Without a ``python3.10`` on the machine it says so and stops with success:
the suite still ran on the newest Python in `make test`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-oldest"
OLDEST_PYTHON = "python3.10"
TEST_TOOLS = ["pytest>=8", "pytest-asyncio>=0.23", "hypothesis>=6.100"]
NOT_HERE = [
    "tests/test_codegen.py",  # needs datamodel-code-generator (development only)
    "tests/test_regenerate_after_docs_change.py",  # the same
    "tests/test_example_bot.py",  # needs aiogram (the examples extra)
]


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
            raise SystemExit(f"oldest: cannot read a floor from {requirement!r}")
        pinned.append(f"{name.strip()}=={version.strip()}")
    return pinned


def find_oldest_python() -> str | None:
    """A working ``python3.10``: on PATH, or one of pyenv's (its shim fails when not selected)."""
    candidates = [shutil.which(OLDEST_PYTHON)]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/3.10*/bin/{OLDEST_PYTHON}")
    )
    for candidate in candidates:
        if candidate is None:
            continue
        probe = [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return candidate
    return None


def main() -> int:
    """Build (or reuse) .venv-oldest and run the suite there; pytest's exit status."""
    python = find_oldest_python()
    if python is None:
        print(f"oldest: no {OLDEST_PYTHON} on this machine; skipped (make test ran the newest)")
        return 0
    text = (ROOT / "pyproject.toml").read_bytes()
    pins = floors()
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(text).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *pins, *TEST_TOOLS], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        stamp.write_text(wanted)
    print(f"oldest: {OLDEST_PYTHON} with {', '.join(pins)}", flush=True)
    ignores = [f"--ignore={path}" for path in NOT_HERE]
    command = [str(VENV / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run([*command, *ignores], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
