"""The catalogue naming rule (DESIGN.md) and the drift check itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "codegen"))

from catalogue import method_names  # noqa: E402


def test_paths_become_namespace_and_method() -> None:
    operations = [
        {"path": "/test"},
        {"path": "/payments/cards/charge"},
        {"path": "/v2/payments/list"},
        {"path": "/payments/list"},
        {"path": "/session/init/payout"},
    ]
    assert method_names(operations) == [
        (None, "test"),
        ("payments", "cards_charge"),
        ("payments", "list"),
        ("payments", "list_v1"),
        ("session", "init_payout"),
    ]


def test_generated_code_matches_the_schemas() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "codegen" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_catalogue_method_exists_on_the_client() -> None:
    from aioacquiring.cloudpayments import CloudPayments

    client = CloudPayments(public_id="pk", api_secret="secret")
    for name in ["cards_charge", "cards_auth", "cards_post3ds", "tokens_charge", "tokens_auth",
                 "confirm", "void", "refund", "get", "find", "list"]:  # fmt: skip
        method = getattr(client.payments, name)
        assert method.__doc__, name
    assert client.test.__doc__
