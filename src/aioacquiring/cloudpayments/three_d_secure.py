"""The auto-submitting 3-D Secure form a shop shows the payer."""

from __future__ import annotations

from html import escape


def render_3ds_form(*, acs_url: str, pa_req: str, transaction_id: int, term_url: str) -> str:
    """Render an HTML page that posts ``MD``, ``PaReq`` and ``TermUrl`` to ``acs_url`` on load.

    Every value is HTML-escaped. A ``<noscript>`` button lets a payer without
    JavaScript continue by hand.
    """
    if not acs_url.lower().startswith(("https://", "http://")):
        raise ValueError("acs_url must be an http(s) URL")
    fields = {"MD": str(transaction_id), "PaReq": pa_req, "TermUrl": term_url}
    inputs = "\n".join(
        f'    <input type="hidden" name="{name}" value="{escape(value, quote=True)}">'
        for name, value in fields.items()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"><title>3-D Secure</title></head>\n'
        '<body onload="document.forms[0].submit()">\n'
        f'  <form method="POST" action="{escape(acs_url, quote=True)}">\n'
        f"{inputs}\n"
        '    <noscript><button type="submit">Continue</button></noscript>\n'
        "  </form>\n"
        "</body></html>\n"
    )
