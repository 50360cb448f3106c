"""Request parameters the way Leal's Rails back end reads them, validated with Pydantic.

Rails merges the query string with a JSON (or form) body into one ``params`` hash, coerces
digit strings to numbers and answers ``422 {"error", "errors": {field: [messages]}}`` on bad
input, so this module does the same instead of FastAPI's ``{"detail": ...}`` defaults.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from pos_app.sandbox.leal_data import digits

MAX_ID_DIGITS = 18
_INT_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+)")
_ID_RE = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
M = TypeVar("M", bound=BaseModel)
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


class MalformedBody(Exception):
    """The body could not be parsed at all: Rails answers 400 Bad Request."""


class InvalidParams(Exception):
    """Well-formed but unacceptable parameters: 422 with Rails-style per-field messages."""

    def __init__(self, errors: dict[str, list[str]], error: str = "Validation failed") -> None:
        super().__init__(error)
        self.error = error
        self.errors = errors


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def rails_integer(value: Any) -> int:
    """Accept JSON integers and digit strings, like Rails' numericality check (only_integer)."""
    if _blank(value):
        raise PydanticCustomError("blank", "can't be blank")
    if isinstance(value, bool):
        raise PydanticCustomError("not_a_number", "is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PydanticCustomError("not_a_number", "is not a number")
        raise PydanticCustomError("not_an_integer", "must be an integer")
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.fullmatch(text):
            if len(text.lstrip("+-")) > MAX_ID_DIGITS:
                raise PydanticCustomError("too_large", "is too large")
            return int(text)
        if _DECIMAL_RE.fullmatch(text):
            raise PydanticCustomError("not_an_integer", "must be an integer")
    raise PydanticCustomError("not_a_number", "is not a number")


def rails_boolean(value: Any) -> bool:
    """The documented boolean spellings: ``true``, ``false``, ``1``, ``0`` (JSON or text)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise PydanticCustomError("inclusion", "must be one of: true, false, 1, 0")


def positive(value: int) -> int:
    if value <= 0:
        raise PydanticCustomError("greater_than", "must be greater than 0")
    return value


def optional_text(value: Any) -> Any:
    """Blank text becomes ``null`` (gap G16); numbers are cast to text as a string column would."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def required_text(value: Any) -> Any:
    if _blank(value):
        raise PydanticCustomError("blank", "can't be blank")
    return optional_text(value)


def optional_integer(value: Any) -> int | None:
    return None if _blank(value) else rails_integer(value)


def email_format(value: str | None) -> str | None:
    if value is not None and not _EMAIL_RE.fullmatch(value):
        raise PydanticCustomError("invalid", "is invalid")
    return value


def phone_format(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9 +().-]+", value) or len(digits(value)) < 7:
        raise PydanticCustomError("invalid", "is invalid")
    return value


def birthday_format(value: Any) -> Any:
    if _blank(value):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        raise PydanticCustomError("invalid_date", "is not a valid date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("invalid_date", "is not a valid date (YYYY-MM-DD)") from None


RailsInt = Annotated[int, BeforeValidator(rails_integer)]
OptionalInt = Annotated[int | None, BeforeValidator(optional_integer)]
PositiveCount = Annotated[int, BeforeValidator(rails_integer), AfterValidator(positive)]
RailsBool = Annotated[bool, BeforeValidator(rails_boolean)]
OptionalText = Annotated[str | None, BeforeValidator(optional_text)]
RequiredText = Annotated[str, BeforeValidator(required_text)]


class StampParams(BaseModel):
    """Body of ``POST .../customer_cards/{id}/stamp``."""

    model_config = ConfigDict(extra="ignore")

    stamps: PositiveCount = Field(description="Stamps to add, an integer >= 1.")
    skip_notifications: RailsBool = Field(
        False, description="true/false/1/0; suppress the wallet push."
    )


class RedeemParams(BaseModel):
    """Body of ``POST .../customer_cards/{id}/redeem``."""

    model_config = ConfigDict(extra="ignore")

    reward_id: RailsInt = Field(description="Reward to redeem, from this card's template.")


class ExternalReferenceParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: RequiredText = Field(pattern=r"^[a-z0-9_\-]+$", max_length=64)
    external_id: RequiredText = Field(max_length=255)
    metadata: dict[str, Any] = Field(default_factory=dict)


class CustomerParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_name: RequiredText = Field(max_length=255)
    last_name: OptionalText = Field(None, max_length=255)
    email: OptionalText = Field(None, max_length=255)
    phone: OptionalText = Field(None, max_length=32)
    birthday: Annotated[date | None, BeforeValidator(birthday_format)] = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    external_references: list[ExternalReferenceParams] = Field(default_factory=list)


class CreateCustomerParams(BaseModel):
    """Body of ``POST /accounts/{acc}/customers`` (Rails-nested ``customer`` object)."""

    model_config = ConfigDict(extra="ignore")

    customer: CustomerParams
    card_id: OptionalInt = None
    send_card_links: RailsBool = False


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Decode a body the way Rails' parameter parsers would, or raise ``MalformedBody``.

    Only JSON and form bodies are parsed; any other content type is ignored, as in Rails, so a
    client that forgets ``Content-Type: application/json`` meets "can't be blank" errors.
    """
    if not raw.strip():
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedBody(str(exc)) from None
    if kind != "application/json" and not kind.endswith("+json"):
        return {}
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(str(exc)[:200]) from None
    if isinstance(value, dict):
        return value
    return {"_json": value}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def validate(model: type[M], params: dict[str, Any]) -> M:
    """Validate merged params, turning Pydantic's errors into Rails' ``errors`` hash."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise InvalidParams(rails_errors(exc.errors(include_url=False))) from None


_MESSAGES = {
    "missing": "can't be blank",
    "string_type": "must be a string",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be an array",
    "string_pattern_mismatch": "is invalid",
}


def rails_errors(details: Any) -> dict[str, list[str]]:
    """``[{loc, type, msg}]`` → ``{"customer.email": ["is invalid"]}``."""
    errors: dict[str, list[str]] = {}
    for detail in details:
        loc = [str(part) for part in detail.get("loc", ()) if part not in ("body", "query")]
        key = ".".join(loc) or "base"
        kind = detail.get("type", "")
        if kind == "string_too_long":
            message = f"is too long (maximum is {detail.get('ctx', {}).get('max_length')})"
        else:
            message = _MESSAGES.get(kind) or str(detail.get("msg", "is invalid"))
        errors.setdefault(key, [])
        if message not in errors[key]:
            errors[key].append(message)
    return errors


def parse_id(text: str) -> int | None:
    """Path ids are integers; anything else can never match a record (so it is a 404)."""
    return int(text) if _ID_RE.fullmatch(text) else None


def parse_page_param(name: str, text: str | None, default: int) -> int:
    """``page``/``items`` must be integers >= 1 when given; Pagy would refuse anything else."""
    if text is None or not text.strip():
        return default
    value = text.strip()
    if not _ID_RE.fullmatch(value) or int(value) < 1:
        raise InvalidParams({name: ["must be an integer greater than 0"]}, "Invalid pagination")
    return int(value)


def check_contact(customer: CustomerParams) -> None:
    """Leal needs an email or a phone; both are format-checked like Rails validators would."""
    errors: dict[str, list[str]] = {}
    if customer.email is None and customer.phone is None:
        errors["customer.email"] = ["can't be blank when phone is blank"]
    for key, check, value in (
        ("customer.email", email_format, customer.email),
        ("customer.phone", phone_format, customer.phone),
    ):
        try:
            check(value)
        except PydanticCustomError as exc:
            errors.setdefault(key, []).append(exc.message())
    if errors:
        raise InvalidParams(errors)
