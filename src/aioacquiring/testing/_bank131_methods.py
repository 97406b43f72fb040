"""The Bank 131 emulator's methods: each reads a request body and answers a payload.

A handler takes the parsed body and the API version of the path and returns
the answer's payload (``status: ok`` is added by the server), or raises
``ApiError``. The steps the bank takes after answering are left to the store
(``Store.later``) and run by the server once the answer is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aioacquiring.testing import _bank131_v1 as v1
from aioacquiring.testing._bank131_fields import ApiError, invalid, name, required_str
from aioacquiring.testing._bank131_records import Session
from aioacquiring.testing._bank131_state import Store

__all__ = ["Handler", "Method", "SessionMethods"]

Handler = Callable[[dict[str, Any], int], dict[str, Any]]


@dataclass(frozen=True)
class Method:
    """One API method: its handler, and what the bank allows for it."""

    handler: Handler
    idempotent: bool = True
    v1_only: bool = False
    http_method: str = "POST"


class SessionMethods:
    """The handlers, around one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def table(self) -> dict[str, Method]:
        """Every method the emulator serves, by its path after ``/api/v<N>/``."""
        store = self._store
        plain: dict[str, Method] = {
            "session/create": Method(self._create),
            "session/init/payment": Method(self._init_payment),
            "session/init/payment/sync": Method(lambda b, v: self._init_payment(b, v, sync=True)),
            "session/start/payment": Method(self._start_payment),
            "session/init/payout": Method(self._init_payout),
            "session/init/payout/fiscalization": Method(
                lambda b, v: self._init_payout(b, v, fiscal=True)
            ),
            "session/start/payout": Method(self._start_payout),
            "session/start/payout/fiscalization": Method(
                lambda b, v: self._start_payout(b, v, fiscal=True)
            ),
            "session/confirm": Method(self._session_call(store.confirm)),
            "session/cancel": Method(self._session_call(lambda s, b: store.cancel(s))),
            "session/capture": Method(self._session_call(store.capture)),
            "session/refund": Method(self._session_call(store.refund)),
            "session/status": Method(self._session_call(lambda s, b: None), idempotent=False),
            "fps/customer_verification": Method(self._fps_verification, idempotent=False),
        }
        for flow in ("nominal", "rko"):
            plain[f"session/init/payout/{flow}"] = Method(self._flow(self._init_payout, flow))
            plain[f"session/multi/create/{flow}"] = Method(self._flow(self._multi_create, flow))
            plain[f"session/multi/start/payment/{flow}"] = Method(
                self._flow(self._multi_start, flow, create=False)
            )
        plain["session/multi/init/payment/nominal"] = Method(
            lambda b, v: self._multi_start(b, v, flow="nominal", create=True)
        )
        v1_only: dict[str, Handler] = {
            "token": lambda b, v: v1.token(store, b),
            "token/info": lambda b, v: v1.token_info(store, b),
            "wallet/balance": lambda b, v: v1.wallet_balance(store, b),
            "recurrent/status": lambda b, v: v1.recurrent(store, b, disable=False),
            "recurrent/disable": lambda b, v: v1.recurrent(store, b, disable=True),
            "report/account_balance": lambda b, v: v1.account_balance(store, b),
            "report/account_statement": lambda b, v: v1.account_statement(store, b),
        }
        for path, handler in v1_only.items():
            plain[path] = Method(handler, idempotent=False, v1_only=True)
        plain["fps/banks"] = Method(
            lambda b, v: {"banks": v1.FPS_BANKS}, idempotent=False, v1_only=True, http_method="GET"
        )
        return plain

    @staticmethod
    def _flow(handler: Callable[..., dict[str, Any]], flow: str, **options: Any) -> Handler:
        """``handler`` bound to a flow (``nominal``, ``rko``)."""

        def bound(body: dict[str, Any], version: int) -> dict[str, Any]:
            return handler(body, version, flow=flow, **options)

        return bound

    def answer(self, session: Session, version: int) -> dict[str, Any]:
        """A session answer: the session and, while it waits, what to confirm."""
        answer: dict[str, Any] = {"session": session.render(version)}
        information = session.rendered_confirm_information(version)
        if information is not None:
            answer["confirm_information"] = information
        return answer

    def _session_call(self, action: Callable[[Session, dict[str, Any]], object]) -> Handler:
        def handler(body: dict[str, Any], version: int) -> dict[str, Any]:
            session = self._store.session(body)
            action(session, body)
            return self.answer(session, version)

        return handler

    def _create(self, body: dict[str, Any], version: int) -> dict[str, Any]:
        session = self._store.create(metadata=body.get("metadata"))
        session.draft = dict(body)
        return self.answer(session, version)

    def _new_session(self, flow: str, start: Callable[[Session], object]) -> Session:
        session = self._store.create(flow=flow)
        try:
            start(session)
        except ApiError:
            del self._store.sessions[session.id]  # a refused request leaves nothing behind
            raise
        return session

    def _init_payout(
        self, body: dict[str, Any], version: int, *, fiscal: bool = False, flow: str = "plain"
    ) -> dict[str, Any]:
        if fiscal and not isinstance(body.get("fiscalization_details"), dict):
            raise invalid("fiscalization_details is required")
        session = self._new_session(flow, lambda s: self._store.start_payout(s, body, version))
        return self.answer(session, version)

    def _start_payout(
        self, body: dict[str, Any], version: int, *, fiscal: bool = False
    ) -> dict[str, Any]:
        if fiscal and not isinstance(body.get("fiscalization_details"), dict):
            raise invalid("fiscalization_details is required")
        session = self._store.session(body)
        self._store.check_startable(session)
        self._store.start_payout(session, {**session.draft, **body}, version)
        return self.answer(session, version)

    def _init_payment(
        self, body: dict[str, Any], version: int, *, sync: bool = False
    ) -> dict[str, Any]:
        required_customer(body)
        session = self._new_session("plain", lambda s: self._store.start_payment(s, body, version))
        if sync:
            self._store.run_deferred()
        return self.answer(session, version)

    def _start_payment(self, body: dict[str, Any], version: int) -> dict[str, Any]:
        session = self._store.session(body)
        self._store.check_startable(session)
        merged = {**session.draft, **body}
        required_customer(merged)
        self._store.start_payment(session, merged, version)
        return self.answer(session, version)

    def _multi_create(self, body: dict[str, Any], version: int, *, flow: str) -> dict[str, Any]:
        session = self._store.create(flow=flow, metadata=body.get("metadata"))
        session.draft = dict(body)
        return self.answer(session, version)

    def _multi_start(
        self, body: dict[str, Any], version: int, *, flow: str, create: bool
    ) -> dict[str, Any]:
        key = name("payment_list", version)
        items = body.get(key)
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise invalid(f"{key} must be a non-empty list of payments")

        def start(session: Session) -> None:
            for item in items:
                self._store.start_payment(session, item, version)

        if create:
            session = self._new_session(flow, start)
        else:
            session = self._store.session(body)
            self._store.check_startable(session)
            session.flow = flow
            start(session)
        return self.answer(session, version)

    def _fps_verification(self, body: dict[str, Any], version: int) -> dict[str, Any]:
        session = self._store.session(body)
        v1.verify_fps_customer(self._store, session, body, version)
        return self.answer(session, version)


def required_customer(body: Mapping[str, Any]) -> None:
    """Payments need the customer's reference."""
    customer = body.get("customer")
    if not isinstance(customer, dict):
        raise invalid("customer is required")
    required_str(customer, "reference")
