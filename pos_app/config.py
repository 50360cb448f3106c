"""The store's configuration file (TOML), per the contract; secrets are never part of it."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pos_app.domain.money import CENT, LARGEST_AMOUNT
from pos_app.domain.operations import OperationKind
from pos_app.domain.policy import (
    DEFAULT_MAX_CARD_AGE,
    DEFAULT_MODES,
    DEFAULT_PER_TRANSACTION_CAP,
    DEFAULT_TERMINAL_CAP,
    OnlineMode,
)
from pos_app.domain.receipts import PaperWidth
from pos_app.problems import ConfigError

CONFIG_ENV = "POS_APP_CONFIG"
__all__ = [
    "AppConfig",
    "ConfigError",
    "PolicyConfig",
    "RedeemRules",
    "load_config",
    "parse_config",
]
SECRET_KEYS = frozenset(
    {"password", "token", "api_key", "apikey", "api_access_key", "user_password", "secret"}
)


def _host_is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """HTTPS everywhere; plain HTTP only to this machine (the sandbox), so TLS stays on."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _host_is_loopback(parts.hostname):
        raise ValueError(f"{url!r} must use https (plain http is only allowed to 127.0.0.1)")
    return url.rstrip("/")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TerminalConfig(_Section):
    id: str = Field("till-1", min_length=1, max_length=50)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    shop_name: str = "Tillcard shop"
    decimal_separator: str = Field(".", pattern=r"^[.,]$")


class ScannerConfig(_Section):
    """Keyboard-wedge timing: a scanner types faster than any person (Odoo uses <= 100 ms)."""

    max_gap_ms: int = Field(50, ge=5, le=500)
    min_length: int = Field(4, ge=1, le=64)
    prefix: str = Field("", max_length=8)
    suffix: str = Field("", max_length=8)
    serial_port: str | None = None
    serial_baud: int = Field(9600, ge=1200, le=921600)


class _Backend(_Section):
    enabled: bool = True
    base_url: str

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        return check_base_url(value)


class LoyaltyDogConfig(_Backend):
    base_url: str = "https://api.loyalty.dog"
    program_id: str = Field(pattern=r"^[0-9a-f]{24}$")
    username: str = Field(min_length=1)


class LealConfig(_Backend):
    base_url: str = "https://app.getleal.com"
    account_id: int = Field(ge=1)


class ClientToolboxConfig(_Backend):
    base_url: str = "https://api.clienttoolbox.com"
    account_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    campaign_ids: list[str] = Field(default_factory=list)

    @field_validator("campaign_ids", mode="before")
    @classmethod
    def _ids_are_strings(cls, value: Any) -> Any:
        if isinstance(value, list) and any(not isinstance(item, str) for item in value):
            raise ValueError("campaign ids must be quoted strings (they may start with 0)")
        return value


def _parse_cap(value: Any) -> Decimal:
    """A cap is money: a TOML string or number, never negative, at most 2 decimals.

    A TOML float goes through ``str()`` so ``50.1`` stays 50.10 instead of a binary fraction.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('an amount must be a quoted number such as "50.00"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'{value!r} is not an amount; write it like "50.00"') from None
    if not amount.is_finite():
        raise ValueError(f'{value!r} is not an amount; write it like "50.00"')
    if amount < 0:
        raise ValueError(f"{value} is negative; a cap must be 0 or more")
    if amount > LARGEST_AMOUNT:
        raise ValueError(f"{value} is too large for an amount")
    rounded = amount.quantize(CENT)
    if rounded != amount:
        raise ValueError(f"{value} has more than 2 decimals; amounts are in cents")
    return rounded.copy_abs()  # a "-0" is simply 0.00


class _OperationPolicy(_Section):
    """One kind of operation's online mode; each subclass carries its architecture §3 default."""

    mode: OnlineMode


class RedeemRules(_OperationPolicy):
    """Gift-card redemption and ClientToolbox stored value (§3): offline only within caps."""

    mode: OnlineMode = DEFAULT_MODES[OperationKind.REDEEM]
    per_transaction_cap: Decimal = DEFAULT_PER_TRANSACTION_CAP
    terminal_cap: Decimal = DEFAULT_TERMINAL_CAP
    max_card_age_hours: int = Field(int(DEFAULT_MAX_CARD_AGE.total_seconds() // 3600), ge=1, le=720)

    @field_validator("per_transaction_cap", "terminal_cap", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Decimal:
        return _parse_cap(value)

    @property
    def max_card_age(self) -> timedelta:
        """How recently the card must have been read online for an offline redemption."""
        return timedelta(hours=self.max_card_age_hours)


class StampRules(_OperationPolicy):
    mode: OnlineMode = DEFAULT_MODES[OperationKind.ADD_STAMPS]


class RedeemRewardRules(_OperationPolicy):
    mode: OnlineMode = DEFAULT_MODES[OperationKind.REDEEM_REWARD]


class RefundRules(_OperationPolicy):
    """Undo of a redemption (LoyaltyDog refund, ClientToolbox delete), e.g. from a receipt."""

    mode: OnlineMode = DEFAULT_MODES[OperationKind.REFUND]
    #: A cashier may undo their till's redemption this long after it; later, a manager's PIN.
    cashier_minutes: int = Field(30, ge=0, le=1440)
    #: No undo at all past this age: it is a return of goods, handled in the back office.
    max_age_days: int = Field(30, ge=1, le=365)


class PolicyConfig(_Section):
    """The offline risk policy's knobs; defaults are architecture §3, the domain decides."""

    patience_seconds: int = Field(5, ge=1, le=30)
    redeem: RedeemRules = Field(default_factory=RedeemRules)
    stamp: StampRules = Field(default_factory=StampRules)
    redeem_reward: RedeemRewardRules = Field(default_factory=RedeemRewardRules)
    refund: RefundRules = Field(default_factory=RefundRules)

    def mode_for(self, kind: OperationKind) -> OnlineMode:
        """The configured mode for one kind of operation, as the services ask for it."""
        sections: dict[OperationKind, _OperationPolicy] = {
            OperationKind.REDEEM: self.redeem,
            OperationKind.ADD_STAMPS: self.stamp,
            OperationKind.REDEEM_REWARD: self.redeem_reward,
            OperationKind.REFUND: self.refund,
        }
        return sections[kind].mode


class SyncConfig(_Section):
    """How the journal is sent: cards in parallel, and how patiently failures are retried."""

    concurrency: int = Field(16, ge=1, le=64)
    first_retry_seconds: float = Field(1.0, ge=0.05, le=60)
    max_retry_seconds: float = Field(300.0, ge=0.1, le=3600)


class ReceiptsConfig(_Section):
    """Receipt printing: the paper on the till's printer and the printer's name."""

    paper: PaperWidth = PaperWidth.MM80
    printer: str = Field("", max_length=200)  # empty: the system's default printer
    print_after_operation: bool = False  # True: print each receipt without asking
    footer: str = Field("Thank you!", max_length=200)


class AppConfig(_Section):
    terminal: TerminalConfig = Field(default_factory=TerminalConfig)
    receipts: ReceiptsConfig = Field(default_factory=ReceiptsConfig)
    scanner: ScannerConfig = Field(default_factory=ScannerConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    loyaltydog: LoyaltyDogConfig | None = None
    leal: LealConfig | None = None
    clienttoolbox: ClientToolboxConfig | None = None

    def enabled_backends(self) -> list[str]:
        sections = {"loyaltydog": self.loyaltydog, "leal": self.leal}
        sections["clienttoolbox"] = self.clienttoolbox  # type: ignore[assignment]
        return [name for name, section in sections.items() if section and section.enabled]


def _find_secrets(data: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in SECRET_KEYS:
                found.append(where)
            found.extend(_find_secrets(value, where))
    return found


def parse_config(data: dict[str, Any], source: str = "the configuration") -> AppConfig:
    secrets = _find_secrets(data)
    if secrets:
        raise ConfigError(
            f"{source} contains secrets ({', '.join(secrets)}). Remove them: passwords, tokens "
            "and API keys live in the system keyring or in POS_APP_* environment variables."
        )
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{source} is not valid: {problems}") from None


def config_path(explicit: str | None) -> Path | None:
    """``--config``, then ``POS_APP_CONFIG``, then the file Settings writes, if there is one.

    The default is used only when it exists, so a till never set up still says "no
    configuration" (and the GUI shows its first-run screen) rather than "file not found".
    """
    chosen = explicit or os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser()
    from pos_app.config_file import default_config_file

    default = default_config_file()
    return default if default.is_file() else None


def load_config(path: Path) -> AppConfig:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"The configuration file {path} does not exist.") from None
    except OSError as exc:
        raise ConfigError(
            f"The configuration file {path} cannot be read: {exc.strerror}."
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}") from None
    return parse_config(data, source=str(path))
