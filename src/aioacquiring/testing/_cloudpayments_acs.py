"""The emulator's fake 3-D Secure page (the bank's ACS): it passes the payer at once."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiohttp import web

from aioacquiring.testing._cloudpayments_state import Store

__all__ = ["ACS_PATH", "acs_handler"]

ACS_PATH = "/acs"


def acs_handler(store: Store) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The ACS page: checks ``MD`` and ``PaReq``, then posts ``MD`` and ``PaRes`` to ``TermUrl``."""

    async def acs(request: web.Request) -> web.Response:
        form = await request.post()
        md, pa_req, term_url = (form.get(name) for name in ("MD", "PaReq", "TermUrl"))
        if not (isinstance(md, str) and isinstance(pa_req, str) and isinstance(term_url, str)):
            return web.Response(status=400, text="MD, PaReq and TermUrl are required")
        payment = store.payments.get(int(md)) if md.strip().isdigit() else None
        if payment is None or payment.pa_req is None or payment.pa_req != pa_req:
            return web.Response(status=400, text="Unknown MD or PaReq")
        assert payment.pa_res is not None
        page = _ACS_PAGE.format(
            term_url=html.escape(term_url),
            md=html.escape(md),
            pa_res=html.escape(payment.pa_res),
        )
        return web.Response(text=page, content_type="text/html")

    return acs


_ACS_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>3-D Secure (CloudPayments emulator)</title></head>
<body onload="document.forms[0].submit()">
<p>Authentication passed. Returning to the shop...</p>
<form method="POST" action="{term_url}">
<input type="hidden" name="MD" value="{md}">
<input type="hidden" name="PaRes" value="{pa_res}">
<noscript><button type="submit">Continue</button></noscript>
</form>
</body>
</html>
"""
