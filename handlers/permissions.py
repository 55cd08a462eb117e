"""Who may do what: one table of command × role, and who may see which case."""

from __future__ import annotations

from mediation.roles import Role
from storage.models import Case, Member

ANYONE = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.STAFF})
ADMIN_ONLY = frozenset({Role.ADMIN})

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "help": ANYONE,
    "case": ANYONE,  # narrowed by may_see_case
    "withdraw": ANYONE,  # reporters withdraw their own cases; staff any
    "bind": STAFF,
    "accept": STAFF,
    "assign": STAFF,
    "refuse": STAFF,
    "close": STAFF,
    "reopen": STAFF,
    "role": ADMIN_ONLY,
    "calendar": STAFF,
    "outbox": STAFF,
    "stats": STAFF,
    "cases": frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.MERCHANT}),  # narrowed
    "export": STAFF,  # carries personal data: sent to the staff member privately
    "merchant": STAFF,
}


def may_run(role: Role, command: str) -> bool:
    return role in COMMAND_ROLES.get(command, frozenset())


def may_see_case(member: Member, case: Case) -> bool:
    """Staff see every case; a merchant only its own; anyone else the cases they reported."""
    role = Role(member.role)
    if role.is_staff:
        return True
    if role is Role.MERCHANT:
        return member.merchant_id is not None and member.merchant_id == case.merchant_id
    return member.id == case.reporter_id
