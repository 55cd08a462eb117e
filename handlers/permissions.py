"""Who may see which case. (Who may run which command is declared with the command:
`handlers/registry.py`.)"""

from __future__ import annotations

from mediation.roles import Role
from storage.models import Case, Member

from .context import DIRECT_ROOM_PREFIX


def may_see_case(member: Member, case: Case, room_id: str | None = None) -> bool:
    """Admins see every case, staff their office's; a merchant only its own; anyone else
    the cases they reported.

    Asked in a group (`room_id`), a case is shown only in its own group, to staff too:
    details of a case never reach another group's members (staff ask by private message).
    """
    role = Role(member.role)
    in_a_group = room_id is not None and not room_id.startswith(DIRECT_ROOM_PREFIX)
    if in_a_group and case.room_id != room_id:
        return False
    if role is Role.ADMIN:
        return True
    if role.is_staff:
        return member.office_id == case.office_id
    if role is Role.MERCHANT:
        return member.merchant_id is not None and member.merchant_id == case.merchant_id
    return member.id == case.reporter_id
