"""Who may see which case. (Who may run which command is declared with the command:
`handlers/registry.py`.)"""

from __future__ import annotations

from mediation.roles import Role
from storage.models import Case, Member


def may_see_case(member: Member, case: Case) -> bool:
    """Admins see every case, staff their office's; a merchant only its own; anyone else
    the cases they reported."""
    role = Role(member.role)
    if role is Role.ADMIN:
        return True
    if role.is_staff:
        return member.office_id == case.office_id
    if role is Role.MERCHANT:
        return member.merchant_id is not None and member.merchant_id == case.merchant_id
    return member.id == case.reporter_id
