"""Bank 131 models and converters: tagged unions, v1/v2 spellings, round trips, contract answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioacquiring.bank131 import (
    AmountDetails,
    ApplePayVariant,
    BankAccountMethod,
    BankCard,
    BankCardVariant,
    CardInfo,
    CardMethod,
    Customer,
    EncryptedCard,
    EncryptedCardVariant,
    FasterPaymentSystemMethod,
    FasterPaymentSystemQr,
    FpsBankAccountVariant,
    GooglePayVariant,
    IbanBankAccountVariant,
    InformInteraction,
    InitPayoutRequest,
    InternalTransferMethod,
    InternetBankingMethod,
    MonetaWalletVariant,
    NextAction,
    OperationStatus,
    Participant,
    ParticipantDetails,
    Payout,
    QiwiWalletVariant,
    RecurrentMethod,
    RecurrentToken,
    RedirectInteraction,
    RuBankAccountVariant,
    SberPayVariant,
    SecuredCardMethod,
    Session,
    SessionStatus,
    SteamWalletVariant,
    TaxMethod,
    TokenInfoRequest,
    TokenizedCard,
    TokenizedCardVariant,
    TpayVariant,
    UnknownBankAccountVariant,
    UnknownCardVariant,
    UnknownPaymentMethod,
    UnknownPayoutMethod,
    UnknownWalletVariant,
    WalletAccount,
    WalletMethod,
    YoomoneyWalletVariant,
    is_final,
    next_action,
    payment_of,
    payout_of,
    refund_of,
)
from aioacquiring.bank131.decoders import decode_session
from aioacquiring.bank131.serde import CONVERTERS, converter, tagged_union
from aioacquiring.models.bank131.bank_account import (
    BankAccountFps,
    BankAccountIban,
    BankAccountRu,
)
from aioacquiring.models.bank131.payment_details import (
    PaymentDetails,
    SberPay,
    Tpay,
    WalletToken,
)
from aioacquiring.models.bank131.payout_details import PayoutDetails

CONTRACT = Path(__file__).parent / "contract"
KNOWN_TAGS = {
    "card",
    "bank_account",
    "wallet",
    "tax",
    "recurrent",
    "secured_card",
    "faster_payment_system",
    "internet_banking",
    "internal_transfer",
}

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
optional_text = st.none() | text
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
free_object = st.dictionaries(text, json_value, max_size=3)


def unknown(tag_key: str, cls: type, known: set[str]) -> st.SearchStrategy[Any]:
    tags = text.filter(lambda t: t not in known and t != "")
    data = st.dictionaries(text.filter(lambda k: k != tag_key), json_value, max_size=3)
    return st.builds(lambda t, d: cls(**{tag_key: t, "data": d}), tags, data)


cards = st.one_of(
    st.builds(
        BankCardVariant,
        bank_card=st.builds(
            BankCard,
            number=st.from_regex(r"\A[0-9]{12,19}\Z"),
            expiration_month=optional_text,
            expiration_year=optional_text,
            security_code=optional_text,
            cardholder_name=optional_text,
        ),
    ),
    st.builds(EncryptedCardVariant, encrypted_card=st.builds(EncryptedCard, number_hash=text)),
    st.builds(TokenizedCardVariant, tokenized_card=st.builds(TokenizedCard, token=text)),
    st.builds(CardInfo, brand=optional_text, last4=optional_text, bin=optional_text),
    unknown("type", UnknownCardVariant, {"bank_card", "encrypted_card", "tokenized_card"}),
)
accounts = st.one_of(
    st.builds(
        RuBankAccountVariant,
        ru=st.builds(
            BankAccountRu,
            bik=text,
            account=text,
            full_name=optional_text,
            is_fast=st.none() | st.booleans(),
        ),
    ),
    st.builds(
        FpsBankAccountVariant,
        faster_payment_system=st.builds(BankAccountFps, phone=text, bank_id=text),
    ),
    st.builds(IbanBankAccountVariant, iban=st.builds(BankAccountIban, account=text)),
    unknown(
        "system_type",
        UnknownBankAccountVariant,
        {"ru", "faster_payment_system", "faster_payment_system_verification", "iban"},
    ),
)
wallet_account = st.builds(WalletAccount, account=text, description=optional_text)
wallets = st.one_of(
    st.builds(QiwiWalletVariant, qiwi=wallet_account),
    st.builds(YoomoneyWalletVariant, yoomoney=wallet_account),
    st.builds(MonetaWalletVariant, moneta=wallet_account),
    st.builds(SteamWalletVariant, steam=wallet_account),
    unknown("type", UnknownWalletVariant, {"qiwi", "yoomoney", "moneta", "steam"}),
)
payout_details = st.one_of(
    st.builds(CardMethod, card=cards),
    st.builds(BankAccountMethod, bank_account=accounts),
    st.builds(WalletMethod, wallet=wallets),
    st.builds(TaxMethod, tax=free_object),
    unknown("type", UnknownPayoutMethod, KNOWN_TAGS),
)
payment_details = st.one_of(
    st.builds(CardMethod, card=cards),
    st.builds(
        RecurrentMethod,
        recurrent=st.builds(
            RecurrentToken, token=text, initiator=st.sampled_from(["merchant", "client", "new"])
        ),
    ),
    st.builds(
        SecuredCardMethod,
        secured_card=st.one_of(
            st.builds(GooglePayVariant, google_pay=st.builds(WalletToken, token=text)),
            st.builds(ApplePayVariant, apple_pay=st.builds(WalletToken, token=text)),
        ),
    ),
    st.builds(
        FasterPaymentSystemMethod,
        faster_payment_system=st.builds(FasterPaymentSystemQr, description=optional_text),
    ),
    st.builds(
        InternetBankingMethod,
        internet_banking=st.one_of(
            st.builds(
                SberPayVariant,
                sber_pay=st.builds(SberPay, phone=optional_text, channel=optional_text),
            ),
            st.builds(TpayVariant, tpay=st.builds(Tpay, phone=optional_text)),
        ),
    ),
    st.builds(InternalTransferMethod, internal_transfer=free_object),
    unknown("type", UnknownPaymentMethod, KNOWN_TAGS),
)


def through_json(data: Any) -> Any:
    return json.loads(json.dumps(data))


@settings(max_examples=150, deadline=None)
@given(details=payout_details, version=st.sampled_from([1, 2]))
def test_payout_details_round_trip_in_either_version(details: Any, version: int) -> None:
    wire = through_json(CONVERTERS[version].unstructure(details, unstructure_as=PayoutDetails))
    assert wire["type"] == details.type
    assert converter.structure(wire, PayoutDetails) == details


@settings(max_examples=150, deadline=None)
@given(details=payment_details)
def test_payment_details_round_trip(details: Any) -> None:
    wire = through_json(converter.unstructure(details, unstructure_as=PaymentDetails))
    assert converter.structure(wire, PaymentDetails) == details


payouts = st.builds(
    Payout,
    id=text,
    status=st.sampled_from(list(OperationStatus)) | st.just("brand_new_status"),
    payout_details=st.none() | payout_details,
    amount_details=st.none()
    | st.builds(AmountDetails, amount=st.integers(1, 10**12), currency=st.just("rub")),
    metadata=st.none() | json_value,
)
sessions = st.builds(
    Session,
    id=text,
    status=st.sampled_from(list(SessionStatus)),
    next_action=st.none() | st.sampled_from(list(NextAction)),
    payout_list=st.none() | st.lists(payouts, min_size=1, max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(session=sessions, version=st.sampled_from([1, 2]))
def test_sessions_written_in_either_version_read_back_the_same(
    session: Session, version: int
) -> None:
    wire = through_json(CONVERTERS[version].unstructure(session))
    if session.payout_list:
        assert ("payments" in wire) is (version == 1)
        first = wire["payments" if version == 1 else "payout_list"][0]
        if session.payout_list[0].payout_details is not None:
            assert ("payment_method" in first) is (version == 1)
    assert converter.structure(wire, Session) == session


def test_v1_writer_renames_fields_but_never_keys_inside_metadata() -> None:
    request = InitPayoutRequest(
        payout_details=CardMethod(
            card=TokenizedCardVariant(tokenized_card=TokenizedCard(token="t"))
        ),
        amount_details=AmountDetails(amount=1, currency="rub"),
        participant_details=ParticipantDetails(recipient=Participant(full_name="I")),
        metadata={"payout_details": "kept", "payout_list": [1]},
    )
    v1 = CONVERTERS[1].unstructure(request)
    assert v1["payment_method"]["card"] == {
        "type": "tokenized_card",
        "tokenized_card": {"token": "t"},
    }
    assert v1["metadata"] == {"payout_details": "kept", "payout_list": [1]}
    assert "payout_details" not in v1
    assert "customer" not in v1
    assert CONVERTERS[2].unstructure(request)["payout_details"]["type"] == "card"


def test_defaults_that_say_something_are_always_written() -> None:
    request = TokenInfoRequest(card=TokenizedCardVariant(tokenized_card=TokenizedCard(token="t")))
    assert converter.unstructure(request) == {
        "card": {"tokenized_card": {"token": "t"}, "type": "tokenized_card"},
        "type": "card",
    }


def test_unknown_tags_read_into_generic_variants_at_every_level() -> None:
    payout = converter.structure(
        {
            "id": "po_1",
            "payout_details": {
                "type": "bank_account",
                "bank_account": {"system_type": "upi", "upi": {"vpa": "a@b"}},
            },
        },
        Payout,
    )
    account = payout.payout_details.bank_account  # type: ignore[union-attr]
    assert isinstance(account, UnknownBankAccountVariant)
    assert (account.system_type, account.data) == ("upi", {"upi": {"vpa": "a@b"}})
    assert converter.unstructure(payout)["payout_details"]["bank_account"] == {
        "system_type": "upi",
        "upi": {"vpa": "a@b"},
    }


def test_only_unions_of_tagged_classes_are_tagged_unions() -> None:
    assert tagged_union(PayoutDetails) is not None
    assert tagged_union(int | str) is None
    assert tagged_union(Customer | None) is None  # one untagged class is not a tagged union
    assert tagged_union(CardMethod | TaxMethod).generic is None  # type: ignore[union-attr]


def test_a_union_without_a_generic_member_refuses_unknown_tags() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        converter.structure({"type": "nope"}, CardMethod | TaxMethod)
    with pytest.raises(ValueError, match="no 'type'"):
        converter.structure({}, CardMethod | TaxMethod)
    with pytest.raises(ValueError, match="expected an object"):
        converter.structure("card", CardMethod | TaxMethod)
    assert converter.structure(None, CardMethod | TaxMethod | None) is None


def test_contract_v1_session_reads_into_the_v2_models() -> None:
    result = decode_session(json.loads((CONTRACT / "bank131_session_v1.json").read_text()))
    session = result.session
    assert session.status is SessionStatus.IN_PROGRESS
    assert session.updated_at is not None
    assert session.updated_at.utcoffset().total_seconds() == 0
    payment = payment_of(session)
    assert payment is not None
    assert payment.metadata == '{"key":"value"}'
    assert isinstance(payment.payment_details, CardMethod)
    assert payment.payment_details.card == CardInfo(brand="visa", last4="4242")
    assert isinstance(payment.customer_interaction, RedirectInteraction)
    assert payment.customer_interaction.redirect.params == {"PaReq": "eJxVUt1u", "MD": "1"}
    payout = payout_of(session)
    assert payout is not None
    assert payout.status is OperationStatus.SUCCEEDED
    assert payout.amount_details == AmountDetails(amount=1000, currency="RUB")
    fps = payout.payout_details.bank_account.faster_payment_system  # type: ignore[union-attr]
    assert (fps.phone, fps.bank_id) == ("79001234567", "100000000111")
    taxpayer = payout.fiscalization_details.professional_income_taxpayer  # type: ignore[union-attr]
    assert taxpayer.receipt.link.endswith("200abc")  # type: ignore[union-attr]
    assert payout.transaction_info.rrn == "012345678901"  # type: ignore[union-attr]
    assert "1234567890'" not in repr(payout)  # documents are never in a repr
    transfer = result.confirm_information.transfer_details  # type: ignore[union-attr]
    assert transfer.payout_details.wallet.qiwi.account == "79001234567"  # type: ignore[union-attr]
    assert result.confirm_information.account_details == {"account_number": "40702810000000000001"}  # type: ignore[union-attr]


def test_contract_session_in_error_is_not_final() -> None:
    result = decode_session(json.loads((CONTRACT / "bank131_session_error.json").read_text()))
    assert result.status is SessionStatus.ERROR
    assert not result.is_final
    assert not is_final(result.session)
    assert result.error is not None
    assert result.error.code == "insufficient_funds"
    payment = result.payment
    assert payment is not None
    assert isinstance(payment.customer_interaction, InformInteraction)
    assert payment.customer_interaction.inform.qr.content == "https://qr.nspk.ru/AD100"  # type: ignore[union-attr]
    refund = refund_of(result.session)
    assert refund is not None
    assert refund.is_chargeback is False


def test_session_helpers() -> None:
    waiting = Session(id="ps", status=SessionStatus.IN_PROGRESS, next_action=NextAction.CONFIRM)
    done = attrs.evolve(waiting, status=SessionStatus.ACCEPTED)
    strange = attrs.evolve(waiting, status="brand_new")
    assert next_action(waiting) is NextAction.CONFIRM
    assert not is_final(waiting)
    assert next_action(done) is None
    assert is_final(done)
    assert not is_final(strange)
    assert payout_of(waiting) is None
    assert payment_of(waiting) is None
    assert refund_of(waiting) is None


def test_session_result_error_falls_back_to_the_operation_s() -> None:
    from aioacquiring.bank131 import Error, SessionResult

    failed = Payout(id="po", error=Error(code="declined_by_issuer_bank"))
    result = SessionResult(session=Session(id="ps", payout_list=[failed]))
    assert result.error == Error(code="declined_by_issuer_bank")
    assert SessionResult(session=Session(id="ps")).error is None


def test_converters_exist_for_the_two_versions_only() -> None:
    from aioacquiring.bank131.serde import make_bank131_converter, variant_tag

    with pytest.raises(ValueError, match="api_version"):
        make_bank131_converter(3)
    assert variant_tag(int) is None
    assert variant_tag(Customer) is None
    assert variant_tag(CardMethod) == ("type", "card")
