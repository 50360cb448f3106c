"""LoyaltyDog's state and business rules, kept apart from HTTP so tests can reach both layers.

Money is ``Decimal`` throughout and leaves as ``"12.50"`` strings; every mutation runs under one
lock so a redeem is atomic across uvicorn's worker threads, as the vendor promises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pos_app.sandbox.loyaltydog_models import GiftCardStatus, GiftCardTransactionType

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_BALANCE = Decimal("10000.00")
MAX_RELOAD = Decimal("5000.00")
EXPIRING_SOON = timedelta(days=30)
IDEMPOTENCY_TTL = timedelta(hours=24)
EXPORT_TTL = timedelta(hours=24)
BALANCE_CHECK_MAX_FAILURES = 5
BALANCE_CHECK_LOCKOUT = timedelta(minutes=15)
MERCHANT_NAME = "Tillcard Demo Café"

TxType = GiftCardTransactionType
Status = GiftCardStatus


def money(value: Decimal) -> str:
    """The wire form of an amount: a string with exactly two decimals."""
    return f"{value.quantize(CENT):.2f}"


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and ``Z``, as MongoDB-backed services return it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def object_id(moment: datetime, tail: int) -> str:
    """An ObjectId whose first four bytes are the creation time, like MongoDB's."""
    return f"{int(moment.timestamp()) & 0xFFFFFFFF:08x}{tail & 0xFFFFFFFFFFFFFFFF:016x}"


class ApiError(Exception):
    """A business-rule failure the app turns into ``{"detail": ...}`` plus optional raw keys."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        extra: dict[str, Decimal] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    email: str
    phone: str | None
    session_token: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "phone": self.phone}


@dataclass(slots=True)
class Program:
    id: str
    name: str
    program_type: str
    share_url: str | None


@dataclass(slots=True)
class Transaction:
    id: str
    type: GiftCardTransactionType
    amount: Decimal
    balance_before: Decimal
    balance_after: Decimal
    created_at: datetime
    merchant_id: str
    reference_id: str | None = None
    description: str | None = None
    pos_transaction_id: str | None = None
    cashier_id: str | None = None
    terminal_id: str | None = None
    refunded: Decimal = ZERO
    """For a REDEMPTION: how much of it has been refunded so far."""

    def as_json(self) -> dict[str, Any]:
        stamp = iso(self.created_at)
        return {
            "id": self.id,
            "transactionType": self.type.value,
            "amount": money(self.amount),
            "balanceBefore": money(self.balance_before),
            "balanceAfter": money(self.balance_after),
            "referenceId": self.reference_id,
            "description": self.description,
            "createdAt": stamp,
            "processedAt": stamp,
            "merchantId": self.merchant_id,
            "posTransactionId": self.pos_transaction_id,
            "cashierId": self.cashier_id,
            "terminalId": self.terminal_id,
        }

    def matches(self, needle: str) -> bool:
        fields = (
            self.type.value,
            self.reference_id,
            self.description,
            self.pos_transaction_id,
            self.cashier_id,
            self.terminal_id,
        )
        return any(value is not None and needle in value.lower() for value in fields)


@dataclass(slots=True)
class Card:
    id: str
    program_id: str
    merchant_id: str
    number: str
    security_code: str
    balance: Decimal
    initial_value: Decimal
    status: GiftCardStatus
    created_at: datetime
    expires_at: datetime
    role: str
    updated_at: datetime | None = None
    activated_at: datetime | None = None
    suspended_reason: str | None = None
    suspended_until: datetime | None = None
    suspended_at: datetime | None = None
    customer: Customer | None = None
    sender_name: str | None = None
    is_physical: bool = False
    design_template: str | None = None
    custom_message: str | None = None
    pass_serial: str | None = None
    redeemed_total: Decimal = ZERO
    """Redemptions minus their refunds, kept current so reports never walk 10,000 rows."""
    reloaded_total: Decimal = ZERO
    history_factory: Callable[[], list[Transaction]] | None = None
    """Builds a long seeded history on first read, so a reset stays fast."""
    history: list[Transaction] = field(default_factory=list)
    pending_rows: int = 0
    """How many rows ``history_factory`` will add, so counting does not build them."""
    failed_code_attempts: int = 0
    locked_until: datetime | None = None

    @property
    def transactions(self) -> list[Transaction]:
        """Oldest first; materialises a lazily seeded history on first use."""
        if self.history_factory is not None:
            self.history = self.history_factory() + self.history
            self.history_factory = None
            self.pending_rows = 0
        return self.history

    @property
    def transaction_count(self) -> int:
        return self.pending_rows + len(self.history)

    def find_transaction(self, transaction_id: str) -> Transaction | None:
        for transaction in reversed(self.transactions):
            if transaction.id == transaction_id:
                return transaction
        return None

    def as_json(self) -> dict[str, Any]:
        customer = self.customer
        card = None
        if self.pass_serial is not None:
            card = {
                "serialNumber": self.pass_serial,
                "passTypeIdentifier": "pass.dog.loyalty.giftcard",
                "url": f"https://pass.loyalty.dog/p/{self.pass_serial}",
            }
        return {
            "id": self.id,
            "cardNumber": self.number,
            "balance": money(self.balance),
            "initialValue": money(self.initial_value),
            "status": self.status.value,
            "createdAt": iso(self.created_at),
            "updatedAt": iso_or_none(self.updated_at),
            "activatedAt": iso_or_none(self.activated_at),
            "expiresAt": iso(self.expires_at),
            "suspendedReason": self.suspended_reason,
            "suspendedUntil": iso_or_none(self.suspended_until),
            "suspendedAt": iso_or_none(self.suspended_at),
            "customerId": customer.id if customer else None,
            "customerEmail": customer.email if customer else None,
            "customerPhone": customer.phone if customer else None,
            "customerName": customer.name if customer else None,
            "senderName": self.sender_name,
            "merchantId": self.merchant_id,
            "merchantName": MERCHANT_NAME,
            "isPhysical": self.is_physical,
            "designTemplate": self.design_template,
            "customMessage": self.custom_message,
            "lastFourDigits": self.number[-4:],
            "programId": self.program_id,
            "deliverAt": None,
            "delivered": True,
            "card": card,
        }

    def matches(self, needle: str, digits: str) -> bool:
        """The vendor's ``q``: card number (substring, so last four too), customer name or email."""
        if digits and digits in self.number:
            return True
        customer = self.customer
        return customer is not None and (
            needle in customer.name.lower() or needle in customer.email.lower()
        )


@dataclass(slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: dict[str, Any]
    stored_at: datetime


@dataclass(slots=True)
class Export:
    id: str
    customer: Customer
    program_id: str | None
    format: str
    requested_at: datetime
    expires_at: datetime


class LoyaltyDogData:
    """Everything one LoyaltyDog account holds; ``Sandbox.reset()`` swaps in a fresh copy."""

    def __init__(
        self,
        *,
        today: date,
        seed: int,
        user_id: str,
        username: str,
        password: str,
        merchant_id: str,
        programs: list[Program],
        customers: list[Customer],
        cards: list[Card],
        token_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self.seed = seed
        self.user_id = user_id
        self.username = username
        self.password = password
        self.merchant_id = merchant_id
        self.programs = programs
        self.customers = customers
        self.cards = cards
        self.token_ttl = token_ttl
        self.lock = threading.RLock()
        self._clock_offset = today - datetime.now(UTC).date()
        self._tokens: dict[str, datetime] = {}
        self._secret = hashlib.sha256(f"loyaltydog-sandbox-{seed}".encode()).digest()
        self._idempotency: dict[tuple[str, ...], StoredResponse] = {}
        self._exports: dict[str, Export] = {}
        self._id_counter = 0
        # Ids minted at run time stay unique across resets, as a real database's would.
        self._id_tail = secrets.randbits(40) << 24
        self._by_id = {card.id: card for card in cards}

    @classmethod
    def seeded(cls, seed: int, today: date) -> LoyaltyDogData:
        from pos_app.sandbox.loyaltydog_seed import build

        return build(cls, seed, today)

    # -- clock and ids -------------------------------------------------------------------------

    def now(self) -> datetime:
        """Wall-clock time moved to the seeded ``today``, so seeded expiry dates keep meaning."""
        return datetime.now(UTC) + self._clock_offset

    def new_id(self) -> str:
        with self.lock:
            self._id_counter += 1
            return object_id(self.now(), self._id_tail | self._id_counter)

    # -- auth ---------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> str | None:
        if not (
            hmac.compare_digest(username.encode(), self.username.encode())
            and hmac.compare_digest(password.encode(), self.password.encode())
        ):
            return None
        issued = self.now()
        expires = issued + self.token_ttl
        token = self._jwt(
            {
                "sub": self.user_id,
                "iat": int(issued.timestamp()),
                "exp": int(expires.timestamp()),
                "jti": self.new_id(),
            }
        )
        with self.lock:
            self._tokens[token] = expires
        return token

    def _jwt(self, claims: dict[str, Any]) -> str:
        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), "sha256").digest()
        return f"{header}.{payload}.{b64(signature)}"

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expires = self._tokens.get(token)
            if expires is None:
                return False
            if expires <= self.now():
                del self._tokens[token]
                return False
            return True

    def expire_tokens(self) -> None:
        """Forget every issued token: the next call with one gets a 401."""
        with self.lock:
            self._tokens.clear()

    # -- lookups ------------------------------------------------------------------------------

    def gift_card_program(self, program_id: str) -> Program:
        for program in self.programs:
            if program.id == program_id:
                if program.program_type != "giftcard":
                    raise ApiError(400, "Program is not a gift card program")
                return program
        raise ApiError(404, "Program not found")

    def card(self, program_id: str, card_id: str) -> Card:
        self.gift_card_program(program_id)
        card = self._by_id.get(card_id)
        if card is None or card.program_id != program_id:
            raise ApiError(404, "Gift card not found")
        return card

    def search(
        self,
        *,
        program_id: str | None,
        q: str | None = None,
        merchant_id: str | None = None,
        card_id: str | None = None,
        status: GiftCardStatus | None = None,
        positive_balance: bool = False,
    ) -> list[Card]:
        needle = (q or "").strip().lower()
        digits = "".join(ch for ch in needle if ch.isdigit())
        if digits and any(ch not in "0123456789 -" for ch in needle):
            digits = ""  # "card 1234" is text, not a number: only names and emails match it
        found = []
        for card in self.cards:
            if program_id is not None and card.program_id != program_id:
                continue
            if merchant_id is not None and card.merchant_id != merchant_id:
                continue
            if card_id is not None and card.id != card_id:
                continue
            if status is not None and card.status is not status:
                continue
            if positive_balance and card.balance <= 0:
                continue
            if needle and not card.matches(needle, digits):
                continue
            found.append(card)
        return found

    def customer_by_token(self, token: str) -> Customer | None:
        for customer in self.customers:
            if hmac.compare_digest(customer.session_token.encode(), token.encode()):
                return customer
        return None

    def cards_of(self, customer: Customer, program_id: str | None) -> list[Card]:
        return [
            card
            for card in self.cards
            if card.customer is customer and (program_id is None or card.program_id == program_id)
        ]

    # -- idempotency --------------------------------------------------------------------------

    def idempotent(
        self,
        scope: tuple[str, ...],
        fingerprint: str,
        action: Callable[[], dict[str, Any]],
    ) -> tuple[dict[str, Any], bool]:
        """Run ``action`` once per scope+key; a replay returns the stored body and ``True``.

        Only successes are stored: a refused operation changed nothing, so running it again
        is harmless and gives the answer that fits the card's state at that time.
        """
        with self.lock:
            now = self.now()
            stored = self._idempotency.get(scope)
            if stored is not None and now - stored.stored_at < IDEMPOTENCY_TTL:
                if stored.fingerprint != fingerprint:
                    raise ApiError(
                        422,
                        "Idempotency key has already been used with a different request payload",
                    )
                return stored.body, True
            body = action()
            self._idempotency[scope] = StoredResponse(fingerprint, 200, body, now)
            return body, False

    # -- money moves ------------------------------------------------------------------------

    def _require_usable(self, card: Card, *, allow_depleted: bool = False) -> None:
        allowed = {Status.ACTIVE, Status.DEPLETED} if allow_depleted else {Status.ACTIVE}
        if card.status not in allowed:
            raise ApiError(400, f"Gift card is not active (status: {card.status.value})")
        if card.expires_at <= self.now():
            raise ApiError(400, "Gift card has expired")

    def _append(self, card: Card, tx_type: TxType, amount: Decimal, **extra: Any) -> Transaction:
        now = self.now()
        before = card.balance
        transaction = Transaction(
            id=self.new_id(),
            type=tx_type,
            amount=amount,
            balance_before=before,
            balance_after=before + amount,
            created_at=now,
            merchant_id=card.merchant_id,
            **extra,
        )
        card.transactions.append(transaction)
        card.balance = transaction.balance_after
        card.updated_at = now
        return transaction

    def redeem(
        self,
        card: Card,
        amount: Decimal,
        *,
        pos_transaction_id: str | None,
        cashier_id: str | None,
        terminal_id: str | None,
        description: str | None,
    ) -> Transaction:
        with self.lock:
            self._require_usable(card)
            if amount > card.balance:
                raise ApiError(
                    400, f"Insufficient balance: available balance is {money(card.balance)}"
                )
            amount = amount.quantize(CENT)
            transaction = self._append(
                card,
                TxType.REDEMPTION,
                -amount,
                description=description or "Gift card redemption",
                pos_transaction_id=pos_transaction_id,
                cashier_id=cashier_id,
                terminal_id=terminal_id,
            )
            card.redeemed_total += amount
            if card.balance == 0:
                card.status = Status.DEPLETED
            return transaction

    def refund(
        self,
        card: Card,
        transaction_id: str,
        amount: Decimal | None,
        *,
        reason: str | None,
        pos_transaction_id: str | None,
    ) -> Transaction:
        with self.lock:
            self._require_usable(card, allow_depleted=True)
            original = card.find_transaction(transaction_id)
            if original is None:
                raise ApiError(404, "Transaction not found")
            if original.type is not TxType.REDEMPTION:
                raise ApiError(400, "Only REDEMPTION transactions can be refunded")
            refundable = -original.amount - original.refunded
            if refundable <= 0:
                raise ApiError(400, "Transaction has already been fully refunded")
            if amount is None:
                amount = refundable
            if amount > refundable:
                raise ApiError(
                    400,
                    f"Refund amount exceeds the refundable amount of {money(refundable)}",
                )
            amount = amount.quantize(CENT)
            if card.balance + amount > MAX_BALANCE:
                raise ApiError(400, "Refund would exceed maximum card balance")
            refund = self._append(
                card,
                TxType.REFUND,
                amount,
                reference_id=original.id,
                description=reason or f"Refund of transaction {original.id}",
                pos_transaction_id=pos_transaction_id,
            )
            original.refunded += amount
            card.redeemed_total -= amount
            if card.status is Status.DEPLETED:
                card.status = Status.ACTIVE
            return refund

    def reload(
        self, card: Card, amount: Decimal, *, reference_id: str | None, description: str | None
    ) -> Transaction:
        with self.lock:
            self._require_usable(card)
            if card.balance + amount > MAX_BALANCE:
                raise ApiError(
                    400,
                    "Reload would exceed maximum card balance",
                    extra={
                        "currentBalance": card.balance,
                        "reloadAmount": amount,
                        "maxBalance": MAX_BALANCE,
                        "availableReloadAmount": MAX_BALANCE - card.balance,
                    },
                )
            transaction = self._append(
                card,
                TxType.RELOAD,
                amount.quantize(CENT),
                reference_id=reference_id,
                description=description or "Gift card reload",
            )
            card.reloaded_total += transaction.amount
            return transaction

    def void(self, card: Card, *, reason: str, refund_reference: str | None) -> Transaction:
        with self.lock:
            if card.status is Status.VOIDED:
                raise ApiError(400, "Gift card is already voided")
            transaction = self._append(
                card,
                TxType.VOID,
                -card.balance,
                reference_id=refund_reference,
                description=reason,
            )
            card.status = Status.VOIDED
            return transaction

    def balance_check(self, program_id: str, number: str, code: str) -> Card:
        """Exact number and code, with a per-card lockout after repeated wrong codes."""
        with self.lock:
            self.gift_card_program(program_id)
            card = next(
                (c for c in self.cards if c.number == number and c.program_id == program_id),
                None,
            )
            if card is None:
                raise ApiError(404, "Gift card not found or invalid security code")
            now = self.now()
            if card.locked_until is not None and card.locked_until > now:
                retry = max(1, int((card.locked_until - now).total_seconds()))
                raise ApiError(
                    429,
                    "Too many failed attempts. Card temporarily locked.",
                    headers={"Retry-After": str(retry)},
                )
            if not hmac.compare_digest(card.security_code.encode(), code.encode()):
                card.failed_code_attempts += 1
                if card.failed_code_attempts >= BALANCE_CHECK_MAX_FAILURES:
                    card.failed_code_attempts = 0
                    card.locked_until = now + BALANCE_CHECK_LOCKOUT
                raise ApiError(404, "Gift card not found or invalid security code")
            card.failed_code_attempts = 0
            card.locked_until = None
            return card

    def is_usable(self, card: Card) -> bool:
        return card.status is Status.ACTIVE and card.expires_at > self.now()

    # -- reports ------------------------------------------------------------------------------

    def business_report(self, program_id: str) -> dict[str, Any]:
        """Counts by status; "sold" is money loaded (activations and reloads), while the
        monthly figures count the cards activated this calendar month (UTC)."""
        with self.lock:
            cards = [card for card in self.cards if card.program_id == program_id]
            now = self.now()

            def count(status: GiftCardStatus) -> int:
                return sum(1 for card in cards if card.status is status)

            sold = [card for card in cards if card.activated_at is not None]
            this_month = [
                card
                for card in sold
                if card.activated_at is not None
                and (card.activated_at.year, card.activated_at.month) == (now.year, now.month)
            ]
            return {
                "totalCards": len(cards),
                "activeCards": count(Status.ACTIVE),
                "pendingCards": count(Status.PENDING),
                "depletedCards": count(Status.DEPLETED),
                "expiredCards": count(Status.EXPIRED),
                "voidedCards": count(Status.VOIDED),
                "totalSold": money(
                    _total(card.initial_value for card in sold)
                    + _total(card.reloaded_total for card in cards)
                ),
                "totalRedeemed": money(_total(card.redeemed_total for card in cards)),
                "totalBalance": money(_total(card.balance for card in cards)),
                "cardsSoldThisMonth": len(this_month),
                "salesThisMonth": money(_total(card.initial_value for card in this_month)),
            }

    def customer_report(self, cards: list[Card]) -> dict[str, Any]:
        """Active means usable now; expiring soon means usable and expiring within 30 days."""
        with self.lock:
            now = self.now()
            usable = [card for card in cards if self.is_usable(card)]
            return {
                "totalCards": len(cards),
                "activeCards": len(usable),
                "expiringSoonCards": sum(
                    1 for card in usable if card.expires_at - now <= EXPIRING_SOON
                ),
                "totalSpent": money(_total(card.redeemed_total for card in cards)),
                "totalBalance": money(_total(card.balance for card in cards)),
            }

    # -- GDPR ---------------------------------------------------------------------------------

    def find_customer(self, customer_id: str | None, email: str | None) -> Customer | None:
        for customer in self.customers:
            if customer_id and customer.id != customer_id:
                continue
            if email and customer.email.lower() != email.lower():
                continue
            return customer
        return None

    def create_export(self, customer: Customer, program_id: str | None, fmt: str) -> Export:
        with self.lock:
            now = self.now()
            export = Export(self.new_id(), customer, program_id, fmt, now, now + EXPORT_TTL)
            self._exports[export.id] = export
            return export

    def export(self, export_id: str) -> Export:
        with self.lock:
            export = self._exports.get(export_id)
            if export is None:
                raise ApiError(404, "Export not found")
            if export.expires_at <= self.now():
                raise ApiError(404, "Export has expired")
            return export

    # -- the sandbox's own view -----------------------------------------------------------------

    def seed_summary(self) -> dict[str, Any]:
        """Public test data for ``/_sandbox/seed``: credentials, customers and every card."""
        giftcard = next(p for p in self.programs if p.program_type == "giftcard")
        return {
            "program_id": giftcard.id,
            "username": self.username,
            "password": self.password,
            "user_id": self.user_id,
            "merchant_id": self.merchant_id,
            "programs": [
                {"id": p.id, "name": p.name, "programType": p.program_type} for p in self.programs
            ],
            "customers": [
                {
                    "id": c.id,
                    "name": c.name,
                    "email": c.email,
                    "sessionToken": c.session_token,
                }
                for c in self.customers
            ],
            "cards": [
                {
                    "id": card.id,
                    "cardNumber": card.number,
                    "securityCode": card.security_code,
                    "balance": money(card.balance),
                    "status": card.status.value,
                    "role": card.role,
                    "expiresAt": iso(card.expires_at),
                    "customerId": card.customer.id if card.customer else None,
                    "customerName": card.customer.name if card.customer else None,
                    "customerEmail": card.customer.email if card.customer else None,
                    "transactionCount": card.transaction_count,
                }
                for card in self.cards
            ],
        }

    def card_by_role(self, role: str) -> Card:
        """Test and tooling helper: the seeded card playing ``role``."""
        return next(card for card in self.cards if card.role == role)


def _total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
