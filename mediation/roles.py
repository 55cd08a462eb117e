"""Who someone is in the group, as far as the bot's rules are concerned."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # bureau staff named in TIAOJIE_ADMINS; may grant roles
    STAFF = "staff"  # 监管所工作人员
    GRID_WORKER = "grid_worker"  # 网格员
    MERCHANT = "merchant"  # 经营者, bound to a registry merchant
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_staff(self) -> bool:
        return self in (Role.ADMIN, Role.STAFF)


ROLE_LABELS = {
    Role.ADMIN: "管理员",
    Role.STAFF: "工作人员",
    Role.GRID_WORKER: "网格员",
    Role.MERCHANT: "商家",
    Role.UNKNOWN: "群成员",
}

ROLE_BY_LABEL = {label: role for role, label in ROLE_LABELS.items()}
