"""The Bank 131 emulator's methods outside sessions: FPS, widgets' tokens, balances, reports.

All but ``fps/customer_verification`` exist only in API v1.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aioacquiring.testing._bank131_fields import invalid, name, now_text, required_str
from aioacquiring.testing._bank131_records import Session
from aioacquiring.testing._bank131_state import Store

__all__ = ["FPS_BANKS"]

FPS_BANKS = [
    {"id": "100000000131", "eng_name": "Bank 131", "ru_name": "Банк 131"},
    {"id": "100000000111", "eng_name": "Sberbank", "ru_name": "Сбербанк"},
    {"id": "100000000004", "eng_name": "T-Bank", "ru_name": "Т-Банк"},
]
"""The banks ``fps/banks`` lists; a verification at another bank fails."""


def verify_fps_customer(store: Store, session: Session, body: dict[str, Any], version: int) -> None:
    """``fps/customer_verification``: a finished payout in the session says yes or no."""
    key = name("payout_details", version)
    details = body.get(key)
    account = details.get("bank_account") if isinstance(details, dict) else None
    if not isinstance(account, dict):
        account = {}
    check = account.get("faster_payment_system_verification")
    if account.get("system_type") != "faster_payment_system_verification" or not isinstance(
        check, dict
    ):
        raise invalid(f"{key}.bank_account.faster_payment_system_verification is required")
    phone = required_str(check, "phone")
    bank_id = required_str(check, "bank_id")
    participants = body.get("participant_details")
    if not isinstance(participants, dict) or not isinstance(participants.get("recipient"), dict):
        raise invalid("participant_details.recipient is required")
    operation = store.new_payout(
        {
            key: details,
            "amount_details": {"amount": 1, "currency": "rub"},
            "participant_details": participants,
        },
        version,
    )
    if any(bank["id"] == bank_id for bank in FPS_BANKS) and phone.isdigit():
        operation.status = "succeeded"
    else:
        operation.status = "failed"
        operation.error = {
            "code": "operation_rejected",
            "description": "The phone is not in the FPS at this bank",
        }
    operation.finished_at = operation.created_at
    session.operations.append(operation)
    session.touch()


def token(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    widgets = ("acquiring_widget", "tokenize_widget", "self_employed_widget")
    if not any(isinstance(body.get(w), dict) for w in widgets):
        raise invalid("one of acquiring_widget, tokenize_widget, self_employed_widget")
    widget = body.get("acquiring_widget")
    if isinstance(widget, dict):
        store.session(widget)
    return {"public_token": "pt_" + secrets.token_hex(16)}


def token_info(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    card = body.get("card") if body.get("type") == "card" else None
    inner = card.get("tokenized_card") if isinstance(card, dict) else None
    token = inner.get("token") if isinstance(inner, dict) else None
    number = store.card_tokens.get(token) if isinstance(token, str) else None
    if number is None:
        raise invalid("card.tokenized_card.token is unknown")
    brand = {"2": "mir", "4": "visa", "5": "mastercard"}.get(number[0], "unknown")
    return {
        "info": {
            "token": token,
            "number_hash": hashlib.sha256(number.encode()).hexdigest(),
            "brand": brand,
            "last4": number[-4:],
            "country_iso3": "RUS",
            "type": "card",
        }
    }


def wallet_balance(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    wallets = [
        {"id": f"wlt_{currency}", "amount_details": {"amount": amount, "currency": currency}}
        for currency, amount in sorted(store.balance.items())
    ]
    return {"wallets": wallets}


def recurrent(store: Store, body: dict[str, Any], *, disable: bool) -> dict[str, Any]:
    recurrent = body.get("recurrent")
    token = recurrent.get("token") if isinstance(recurrent, dict) else None
    record = store.recurrent_tokens.get(token) if isinstance(token, str) else None
    if record is None:
        raise invalid("recurrent.token is unknown")
    if disable and record["is_active"]:
        record["is_active"] = False
        record["finished_at"] = now_text()
    return {"recurrent": {k: v for k, v in record.items() if k != "card"}}


def account_balance(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "account_number": "40702810000000000131",
                "balance": {"amount": amount, "currency": currency},
            }
            for currency, amount in sorted(store.balance.items())
        ]
    }


def account_statement(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    date_from = required_str(body, "date_from")
    date_to = required_str(body, "date_to")
    if date_from > date_to:
        raise invalid("date_from must not be after date_to")
    movements = [
        {
            "id": op.id,
            "direction": "debit" if op.kind == "payout" else "credit",
            "amount_details": {"amount": op.captured or op.amount, "currency": op.currency},
            "finished_at": op.finished_at,
        }
        for session in store.sessions.values()
        for op in session.operations
        if op.status == "succeeded"
        and op.finished_at is not None
        and date_from <= op.finished_at[:10] <= date_to
    ]
    return {"date_from": date_from, "date_to": date_to, "transactions": movements}
