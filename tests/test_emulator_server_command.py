"""`python -m aioacquiring emulate`, the admin endpoints and the pytest plugin's fixtures."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from aioacquiring.alif import Alif, SessionItem
from aioacquiring.bank131 import Bank131
from aioacquiring.cloudpayments import Accepted, CloudPayments
from aioacquiring.errors import ProviderInternalError
from aioacquiring.testing import (
    AlifEmulator,
    Bank131Emulator,
    CloudPaymentsEmulator,
    test_cryptogram,
)
from aioacquiring.testing.cli import main, serve
from tests.conftest import FAST_RETRY

URL_LINE = re.compile(r"^(\w+)\s+(http://\S+)$")


def start_command(*args: str) -> tuple[subprocess.Popen[str], dict[str, str], list[str]]:
    """Start the command, read its banner; return the process, the URLs and the banner."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aioacquiring", "emulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    urls: dict[str, str] = {}
    banner: list[str] = []
    for line in process.stdout:
        banner.append(line.rstrip("\n"))
        match = URL_LINE.match(line.strip())
        if match:
            urls[match[1]] = match[2]
        if line.startswith("Serving"):
            break
    return process, urls, banner


def stop_command(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=15)
    return process.returncode, out


async def test_the_command_serves_the_emulator_until_ctrl_c() -> None:
    process, urls, banner = start_command("--provider", "cloudpayments")
    try:
        assert set(urls) == {"cloudpayments"}
        url = urls["cloudpayments"]
        assert url.startswith("http://127.0.0.1:")  # loopback unless told otherwise
        text = "\n".join(banner)
        assert "pk_test_emulator" in text
        assert "emulator_api_secret" in text
        async with CloudPayments(
            public_id="pk_test_emulator", api_secret="emulator_api_secret", base_url=url
        ) as client:
            result = await client.payments.cards_charge(
                amount=Decimal("10"),
                ip_address="127.0.0.1",
                card_cryptogram_packet=test_cryptogram("4000000000003055"),
            )
            assert isinstance(result, Accepted)
    finally:
        code, out = stop_command(process)
    assert code == 0
    assert "Stopped." in out


def free_ports_in_a_row(count: int) -> int:
    """A port such that it and the next ``count - 1`` are free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free run of ports")


async def test_the_command_puts_providers_on_consecutive_ports() -> None:
    base = free_ports_in_a_row(3)
    process, urls, _ = start_command("--port", str(base))
    try:
        ports = sorted(int(url.rsplit(":", 1)[1]) for url in urls.values())
        assert ports == list(range(base, base + len(urls)))
        assert set(urls) == {"cloudpayments", "bank131", "alif"}
    finally:
        code, _ = stop_command(process)
    assert code == 0


def test_the_command_refuses_unknown_providers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["emulate", "--provider", "nonesuch"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_command_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["emulate", "--provider", "cloudpayments", "--port", str(port)]) == 1
    assert "could not start" in capsys.readouterr().err


async def test_serve_warns_nothing_on_loopback_and_stops_on_its_event() -> None:
    out = io.StringIO()
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(["cloudpayments"], host="127.0.0.1", port=0, out=out, stop=stop)
    )
    for _ in range(100):
        if "Serving" in out.getvalue():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert out.getvalue().endswith("Stopped.\n")


# -- admin endpoints ---------------------------------------------------------------------


async def test_faults_can_be_scripted_over_http(emulator: CloudPaymentsEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            emulator.url + "/_emulator/faults",
            json={"kind": "fail", "count": 3, "status": 503, "path": "/payments/get"},
        )
        assert answer.status == 200
        assert (await answer.json()) == {"pending": 3}
        async with CloudPayments(
            public_id=emulator.public_id,
            api_secret=emulator.api_secret,
            base_url=emulator.url,
            retry=FAST_RETRY,
        ) as client:
            with pytest.raises(ProviderInternalError) as caught:
                await client.payments.get(transaction_id=1)
        assert caught.value.attempts == 3
        counts = await (await http.get(emulator.url + "/_emulator/requests")).json()
        assert counts["total"] == 3  # admin calls are not counted
        assert counts["pending_faults"] == 0


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "delay", "seconds": 0.01},
        {"kind": "drop_before", "count": 2},
        {"kind": "drop_after"},
        {"kind": "compress", "path": "/payments/get"},
        [{"kind": "fail", "status": 429, "retry_after": 1}, {"kind": "fail", "body": {"x": 1}}],
    ],
)
async def test_every_fault_kind_is_accepted(emulator: CloudPaymentsEmulator, spec: object) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http.post(emulator.url + "/_emulator/faults", json=spec)
        assert answer.status == 200
        assert emulator.faults.pending >= 1
        cleared = await http.delete(emulator.url + "/_emulator/faults")
        assert (await cleared.json()) == {"pending": 0}
    assert emulator.faults.pending == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"kind": "explode"}',
        b'"fail"',
        b'{"kind": "delay"}',
        b'{"kind": "fail", "status": 99}',
        b'{"kind": "fail", "count": 0}',
        b'{"kind": "fail", "path": 5}',
    ],
)
async def test_bad_fault_descriptions_are_refused(
    emulator: CloudPaymentsEmulator, body: bytes
) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http.post(emulator.url + "/_emulator/faults", data=body)
        assert answer.status == 400
        assert "error" in await answer.json()
    assert emulator.faults.pending == 0


async def test_admin_paths_need_no_credentials_and_show_state(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http.get(emulator.url + "/_emulator/state")
        assert answer.status == 200
        assert (await answer.json())["transactions"] == []
        refused = await http.post(emulator.url + "/payments/get", json={"TransactionId": 1})
        assert refused.status == 401  # the provider's own paths still check auth


# -- the pytest plugin (loaded through its entry point, not from conftest) ------------------


async def test_plugin_fixtures_give_a_client_on_a_fresh_emulator(
    cloudpayments_client: CloudPayments, cloudpayments_emulator: CloudPaymentsEmulator
) -> None:
    assert cloudpayments_client.base_url == cloudpayments_emulator.url
    assert cloudpayments_emulator.transactions == []
    cloudpayments_emulator.faults.drop_after_next(1, path="/payments/cards/charge")
    result = await cloudpayments_client.payments.cards_charge(
        amount=Decimal("5"),
        ip_address="127.0.0.1",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
    )
    assert isinstance(result, Accepted)
    assert len(cloudpayments_emulator.transactions) == 1


def test_the_plugin_is_registered_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("aioacquiring") == "aioacquiring.testing.pytest_plugin"


async def test_plugin_fixtures_give_an_alif_client(
    alif_client: Alif, alif_emulator: AlifEmulator
) -> None:
    assert alif_client.base_url == alif_emulator.url
    session = await alif_client.checkout.session_create(
        items=[SessionItem(name="Tea", price=1_500_000, amount=1)],
        redirect_url="https://shop.example/thanks",
    )
    assert session.session_ref
    assert len(alif_emulator.inspect()["sessions"]) == 1


async def test_plugin_fixtures_give_a_bank131_client(
    bank131_client: Bank131, bank131_emulator: Bank131Emulator
) -> None:
    assert bank131_client.base_url == bank131_emulator.url
    result = await bank131_client.session.create()
    assert result.session_id
    assert len(bank131_emulator.inspect()["sessions"]) == 1


def test_the_command_writes_bank131_keys_for_the_run() -> None:
    out = io.StringIO()

    async def run_briefly() -> tuple[Path, str, int]:
        stop = asyncio.Event()
        task = asyncio.create_task(serve(["bank131"], host="127.0.0.1", port=0, out=out, stop=stop))
        while "Serving" not in out.getvalue():  # noqa: ASYNC110 - the banner is the signal
            await asyncio.sleep(0.01)
        found = re.search(r"private_key\s+(\S+) \(PEM\)", out.getvalue())
        assert found is not None
        key = Path(found[1])
        text = await asyncio.to_thread(key.read_text)
        mode = (await asyncio.to_thread(key.stat)).st_mode
        stop.set()
        await task
        return key, text, mode

    key, text, mode = asyncio.run(run_briefly())
    assert text.startswith("-----BEGIN")
    assert mode & 0o077 == 0  # readable by its owner only
    assert not key.exists()  # removed when the command stops


async def test_webhook_faults_over_http(emulator: CloudPaymentsEmulator) -> None:
    received: list[bytes] = []

    async def shop(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"code": 0})

    app = web.Application()
    app.router.add_post("/pay", shop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    emulator.notify_url("Pay", f"http://127.0.0.1:{runner.addresses[0][1]}/pay")
    try:
        async with aiohttp.ClientSession() as http:
            answer = await http.post(
                emulator.url + "/_emulator/webhooks", json={"kind": "duplicate"}
            )
            assert await answer.json() == {"scripted": "duplicate", "count": 1}
            refused = await http.post(emulator.url + "/_emulator/webhooks", json={"kind": "x"})
            assert refused.status == 400
            async with CloudPayments(
                public_id=emulator.public_id,
                api_secret=emulator.api_secret,
                base_url=emulator.url,
            ) as client:
                await client.payments.cards_charge(
                    amount=Decimal("3"),
                    ip_address="127.0.0.1",
                    card_cryptogram_packet=test_cryptogram("4000000000003055"),
                )
            await emulator.notifications_delivered()
            listed = await (await http.get(emulator.url + "/_emulator/webhooks")).json()
            state = await (await http.get(emulator.url + "/_emulator/state")).json()
    finally:
        await runner.cleanup()
    assert len(received) == 2
    assert received[0] == received[1]  # the same signed Pay, delivered twice
    assert [d["copy"] for d in listed] == [0, 1]
    assert len(state["transactions"]) == 1  # delivered twice, charged once
    assert all(d["delivered"] for d in listed)
