"""Runtime settings, read from the environment and `.env` (every one is in .env.example)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mediation.deadlines import DeadlinePolicy
from mediation.money import DEFAULT_MAX_AMOUNT, STORABLE_MAX_AMOUNT
from mediation.offices import Office, parse_offices


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIAOJIE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./data")
    database_url: str = ""  # empty: sqlite+aiosqlite:///<data_dir>/tiaojie.sqlite3
    timezone: str = "Asia/Shanghai"

    bot_id: str = "tiaojie-bot"
    bot_name: str = "调解助手"
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    host: str = "127.0.0.1"
    port: int = 8000
    access_log: bool = False  # a line per HTTP request (the sandbox page asks every few seconds)
    gateway: Literal["auto", "sandbox", "wechaty"] = "auto"
    sandbox_enabled: bool | None = None  # None: on with the sandbox gateway, off with Wechaty
    # the sandbox has no login: served on a non-loopback address only when this is true
    sandbox_public: bool = False

    acceptance_days: int = 7
    first_answer_days: int = 1
    settlement_days: int = 10
    mediation_limit_days: int = 45
    remind_before_days: int = 1
    duplicate_window_days: int = 7
    sweep_minutes: int = 5
    contact_retention_days: int = 365

    summary_day: int = Field(default=1, ge=1, le=28)
    summary_time: time = time(9, 0)
    summary_show_merchants: bool = False

    # offices (监管所) as 名称:前缀,…; the first is the default one. Blank: one office, CY
    offices: str = ""

    # per-merchant 公示 (/board/merchants, /api/public/merchants) and the 放心消费 review
    disclosure_enabled: bool = True
    disclosure_min_complaints: int = Field(default=3, ge=1)
    fangxin_review_threshold: int = Field(default=3, ge=0)

    # typical cases (典型案例) and hot-issue spike alerts (issue 21)
    typical_name_merchants: bool = False
    spike_merchant_count: int = Field(default=3, ge=2)
    spike_merchant_days: int = Field(default=7, ge=1, le=60)
    spike_category_min: int = Field(default=5, ge=1)
    digest_time: time | None = time(8, 30)  # the daily staff digest; blank: none
    staff_room: str = ""  # empty: the digest goes to each staff member by private message

    outbox_max_attempts: int = 8
    max_message_chars: int = 5000
    sender_messages_per_minute: int = 20
    room_messages_per_minute: int = 20
    sqlite_busy_timeout_ms: int = 5000
    # the largest amount of money (yuan, two decimals) a complaint, answer or /close records
    max_amount: Decimal = Field(
        default=DEFAULT_MAX_AMOUNT, gt=0, le=STORABLE_MAX_AMOUNT, decimal_places=2
    )

    greeting: str = (
        "欢迎加入信息共享工作群！消费投诉请写明商家、金额、诉求和消费者电话，"
        "机器人会自动登记并跟进；发送 /help 查看可用指令。"
    )

    wechaty_puppet_service_token: str = Field(default="", alias="WECHATY_PUPPET_SERVICE_TOKEN")
    wechaty_puppet_service_endpoint: str = Field(
        default="", alias="WECHATY_PUPPET_SERVICE_ENDPOINT"
    )

    @field_validator("sandbox_enabled", mode="before")
    @classmethod
    def _blank_means_automatic(cls, value: object) -> object:
        # .env.example ships `TIAOJIE_SANDBOX_ENABLED=`: blank (or "auto") keeps the default
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return None
        return value

    @field_validator("offices")
    @classmethod
    def _offices_are_readable(cls, value: str) -> str:
        parse_offices(value)  # a ValueError names the bad item
        return value

    def office_list(self) -> tuple[Office, ...]:
        return parse_offices(self.offices)

    @field_validator("digest_time", mode="before")
    @classmethod
    def _blank_means_no_digest(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            acceptance_days=self.acceptance_days,
            first_answer_days=self.first_answer_days,
            settlement_days=self.settlement_days,
            mediation_limit_days=self.mediation_limit_days,
            remind_before_days=self.remind_before_days,
        )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tiaojie.sqlite3').as_posix()}"

    @property
    def resolved_gateway(self) -> Literal["sandbox", "wechaty"]:
        if self.gateway != "auto":
            return self.gateway
        return "wechaty" if self.wechaty_puppet_service_token else "sandbox"

    @property
    def sandbox_api_enabled(self) -> bool:
        if self.sandbox_enabled is not None:
            return self.sandbox_enabled
        return self.resolved_gateway == "sandbox"
