"""LoyaltyDog request and response bodies, shaped so the emulator's OpenAPI matches the vendor's.

Field order, titles, constraints and ``$ref`` names follow the public ``openapi.public.json``:
clients and schema-driven tests see the same schema as against the real service.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

OBJECT_ID_PATTERN = "^[0-9a-f]{24}$"
_OBJECT_ID_RE = re.compile(r"[0-9a-fA-F]{24}")
# The string branch pattern pydantic gave Decimal fields when the vendor generated its schema.
DECIMAL_STRING_PATTERN = r"^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$"
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class PydanticObjectId(str):
    """beanie's ObjectId: 24 hex chars, case-insensitive on input, lowercase afterwards.

    The JSON schema is a named component, exactly as beanie's type renders in the vendor OpenAPI.
    """

    @classmethod
    def validate(cls, value: Any) -> PydanticObjectId:
        if isinstance(value, str) and _OBJECT_ID_RE.fullmatch(value):
            return cls(value.lower())
        raise ValueError("Id must be of type PydanticObjectId")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        wire = core_schema.str_schema(min_length=24, max_length=24, pattern=OBJECT_ID_PATTERN)
        return core_schema.no_info_plain_validator_function(
            cls.validate,
            json_schema_input_schema=wire,
            serialization=core_schema.plain_serializer_function_ser_schema(str, return_schema=wire),
            ref="PydanticObjectId",
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        handler.resolve_ref_schema(json_schema)["example"] = "5eb7cf5a86d9755df3a6c593"
        return json_schema


class _DecimalStringPattern:
    """Adds the vendor's numeric-string pattern to a Decimal field's string branch."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        for branch in json_schema.get("anyOf", []):
            if branch.get("type") == "string":
                branch["pattern"] = DECIMAL_STRING_PATTERN
        return json_schema


def _check_email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value):
        raise PydanticCustomError(
            "value_error",
            "value is not a valid email address: {reason}",
            {"reason": "An email address must have an @-sign and a domain."},
        )
    return value


Email = Annotated[
    str, AfterValidator(_check_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""pydantic's EmailStr without the email-validator dependency (same schema, simpler check)."""

RedeemAmount = Annotated[
    Decimal, Field(ge=Decimal("0.01"), decimal_places=2), _DecimalStringPattern
]
ReloadAmount = Annotated[
    Decimal, Field(ge=Decimal("0.01"), le=5000, decimal_places=2), _DecimalStringPattern
]
RefundAmount = Annotated[Decimal, Field(gt=0, decimal_places=2), _DecimalStringPattern]


class GiftCardStatus(StrEnum):
    """Gift card status enumeration."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    VOIDED = "voided"
    DEPLETED = "depleted"


class GiftCardTransactionType(StrEnum):
    """Gift card transaction type enumeration."""

    PURCHASE = "PURCHASE"
    ACTIVATION = "ACTIVATION"
    RELOAD = "RELOAD"
    REDEMPTION = "REDEMPTION"
    CONSOLIDATION = "CONSOLIDATION"
    VOID = "VOID"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    OWNERSHIP_TRANSFER = "OWNERSHIP_TRANSFER"
    RESEND_CODE = "RESEND_CODE"
    REFUND = "REFUND"


class OAuth2Token(BaseModel):
    accessToken: str | None = None
    tokenType: str = "bearer"
    mfaPending: bool = False
    pendingToken: str | None = None


class UserRead(BaseModel):
    id: PydanticObjectId
    name: str | None = None
    email: Email
    emailVerified: datetime | None = None
    active: bool = True
    admin: bool = False
    image: str | None = None
    location: str | None = None
    website: str | None = None


class BasicProgramRead(BaseModel):
    id: PydanticObjectId
    name: str
    shareUrl: str | None = Field(json_schema_extra={"readOnly": True})


class PassCard(BaseModel):
    """The customer card object

    Attributes:
        serialNumber (str): The serial number of the customer pass
        passTypeIdentifier (str): The pass type identifier of the customer pass
        url (str): The shareable URL of the customer pass"""

    serialNumber: str
    passTypeIdentifier: str
    url: Annotated[str, Field(min_length=1, json_schema_extra={"format": "uri"})]


class GiftCardResponse(BaseModel):
    id: PydanticObjectId
    cardNumber: str
    balance: str
    initialValue: str
    status: GiftCardStatus
    createdAt: datetime
    updatedAt: datetime | None
    activatedAt: datetime | None
    expiresAt: datetime
    suspendedReason: str | None
    suspendedUntil: datetime | None
    suspendedAt: datetime | None
    customerId: PydanticObjectId | None
    customerEmail: str | None
    customerPhone: str | None
    customerName: str | None
    senderName: str | None = None
    merchantId: PydanticObjectId
    merchantName: str | None = None
    isPhysical: bool
    designTemplate: str | None
    customMessage: str | None
    lastFourDigits: str
    programId: PydanticObjectId
    deliverAt: datetime | None = None
    delivered: bool = False
    card: PassCard | None


class TransactionResponse(BaseModel):
    id: PydanticObjectId
    transactionType: GiftCardTransactionType
    amount: str
    balanceBefore: str
    balanceAfter: str
    referenceId: str | None
    description: str | None
    createdAt: datetime
    processedAt: datetime
    merchantId: PydanticObjectId
    posTransactionId: str | None
    cashierId: str | None
    terminalId: str | None


class BalanceCheckRequest(BaseModel):
    cardNumber: Annotated[str, Field(max_length=20)]
    securityCode: Annotated[str, Field(max_length=6)]
    captchaToken: Annotated[str, Field(max_length=4096)] | None = None


class BalanceCheckResponse(BaseModel):
    id: PydanticObjectId
    programId: PydanticObjectId
    cardNumber: str
    lastFourDigits: str
    balance: str
    status: GiftCardStatus
    expiresAt: datetime
    isActive: bool


class RedeemGiftCardRequest(BaseModel):
    amount: RedeemAmount
    posTransactionId: Annotated[str, Field(max_length=100)] | None = None
    cashierId: Annotated[str, Field(max_length=50)] | None = None
    terminalId: Annotated[str, Field(max_length=50)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None


class RedeemResponse(BaseModel):
    transactionId: PydanticObjectId
    giftCardId: PydanticObjectId
    amountRedeemed: str
    remainingBalance: str
    success: bool
    message: str


class RefundGiftCardRequest(BaseModel):
    amount: RefundAmount | None = None
    reason: Annotated[str, Field(max_length=500)] | None = None
    posTransactionId: Annotated[str, Field(max_length=100)] | None = None


class RefundResponse(BaseModel):
    transactionId: PydanticObjectId
    giftCardId: PydanticObjectId
    refundedAmount: str
    remainingBalance: str
    success: bool
    message: str


class ReloadGiftCardRequest(BaseModel):
    amount: ReloadAmount
    referenceId: Annotated[str, Field(max_length=100)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None


class VoidGiftCardRequest(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    refundReference: Annotated[str, Field(max_length=100)] | None = None


class ExpiredCardProcessingResponse(BaseModel):
    success: bool
    cardId: str
    action: str
    message: str
    newExpiresAt: datetime | None = None
    transactionId: str | None = None


class BusinessReportResponse(BaseModel):
    totalCards: int
    activeCards: int
    pendingCards: int
    depletedCards: int
    expiredCards: int
    voidedCards: int
    totalSold: str
    totalRedeemed: str
    totalBalance: str
    cardsSoldThisMonth: int
    salesThisMonth: str


class CustomerReportResponse(BaseModel):
    totalCards: int
    activeCards: int
    expiringSoonCards: int
    totalSpent: str
    totalBalance: str


class GDPRExportRequest(BaseModel):
    customerId: str | None = None
    customerEmail: Email | None = None
    format: Annotated[str, Field(pattern="^(json|csv)$")]

    @model_validator(mode="after")
    def _needs_an_identifier(self) -> GDPRExportRequest:
        if not self.customerId and not self.customerEmail:
            raise ValueError("Either customerId or customerEmail must be provided")
        return self


class GDPRExportResponse(BaseModel):
    model_config = ConfigDict(title="GDPRExportResponse")

    exportId: str
    downloadUrl: str
    format: str
    requestedAt: datetime
    expiresAt: datetime
    status: str
