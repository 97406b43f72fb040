"""``python -m aioacquiring``: the command line (``emulate`` serves the emulators)."""

from aioacquiring.testing.cli import main

raise SystemExit(main())
