"""A provider's docs change: a schema edit plus `make codegen` is the whole update.

Rehearsed on a copy of the project: a new field in an answer and a new
optional request field are added to the schemas, the codegen regenerates the
copy, and a fresh interpreter using the copy sends the new keyword and reads
the new field over real HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json
    from decimal import Decimal
    from aiohttp import web
    import aioacquiring
    from aioacquiring.cloudpayments import Accepted, CloudPayments

    ANSWER = {"Success": True, "Model": {
        "TransactionId": 7, "Amount": 10, "Currency": "RUB", "Status": "Completed",
        "RiskScore": 0.25}}

    async def main():
        seen = []
        async def charge(request):
            seen.append(json.loads(await request.read()))
            return web.json_response(ANSWER)
        app = web.Application()
        app.router.add_post("/payments/cards/charge", charge)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with CloudPayments(public_id="pk", api_secret="s",
                                 base_url=f"http://127.0.0.1:{port}") as client:
            result = await client.payments.cards_charge(
                amount=Decimal("10"), ip_address="127.0.0.1",
                card_cryptogram_packet="packet", merchant_reference="ref-1")
        await runner.cleanup()
        assert isinstance(result, Accepted), result
        print(json.dumps({
            "module": aioacquiring.__file__,
            "sent": seen[0].get("MerchantReference"),
            "risk_score": str(result.transaction.risk_score),
        }))

    asyncio.run(main())
    """
)


def add_fields(schemas: Path) -> None:
    transaction_path = schemas / "cloudpayments" / "transaction.json"
    transaction = json.loads(transaction_path.read_text())
    transaction["properties"]["RiskScore"] = {
        "type": ["number", "null"],
        "format": "decimal",
        "description": "Fraud risk score from 0 to 1 (new in the provider's docs).",
    }
    transaction_path.write_text(json.dumps(transaction, ensure_ascii=False, indent=2))
    cards_path = schemas / "cloudpayments" / "payments_cards.json"
    cards = json.loads(cards_path.read_text())
    cards["$defs"]["CardPaymentRequest"]["properties"]["MerchantReference"] = {
        "type": "string",
        "description": "The merchant's own reference (new in the provider's docs).",
    }
    cards_path.write_text(json.dumps(cards, ensure_ascii=False, indent=2))


def test_a_schema_edit_and_a_regeneration_are_the_whole_update(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    src = tmp_path / "src"
    shutil.copytree(ROOT / "schemas", schemas)
    shutil.copytree(
        ROOT / "src" / "aioacquiring",
        src / "aioacquiring",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    add_fields(schemas)

    subprocess.run(
        [
            sys.executable,
            str(ROOT / "codegen" / "generate.py"),
            "--schemas",
            str(schemas),
            "--src",
            str(src),
            "--provider",
            "cloudpayments",
        ],
        check=True,
        capture_output=True,
    )
    regenerated = (src / "aioacquiring" / "models" / "cloudpayments" / "transaction.py").read_text()
    assert "risk_score: Decimal | None" in regenerated
    assert (
        "merchant_reference: str | None = None"
        in (src / "aioacquiring" / "cloudpayments" / "resources.py").read_text()
    )
    # The project itself is untouched.
    assert (
        "risk_score"
        not in (
            ROOT / "src" / "aioacquiring" / "models" / "cloudpayments" / "transaction.py"
        ).read_text()
    )

    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("COVERAGE_PROCESS_START", None)
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], check=True, capture_output=True, text=True, env=env
    )
    outcome = json.loads(run.stdout)
    assert outcome["module"].startswith(str(src))  # the copy, not the installed package
    assert outcome["sent"] == "ref-1"
    assert outcome["risk_score"] == "0.25"
