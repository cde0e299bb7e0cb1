"""Roles and organisation scopes (vai trò và phạm vi).

A role is held in an organisation; a lane of the route names a role and a scope that says
which organisation of the dossier's route holds it (DESIGN decision 7).
"""

from __future__ import annotations

from enum import StrEnum

from service.domain.i18n import N_


class Role(StrEnum):
    UNIT_OFFICER = "unit_officer"
    UNIT_HEAD = "unit_head"
    CLUSTER_LEADER = "cluster_leader"
    CLUSTER_SECRETARY = "cluster_secretary"
    BOARD_SPECIALIST = "board_specialist"
    BOARD_HEAD = "board_head"
    COUNCIL_SECRETARY = "council_secretary"
    CHAIRMAN = "chairman"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Scope(StrEnum):
    """Which organisation of a dossier's route a lane resolves to."""

    UNIT = "unit"
    CLUSTER = "cluster"
    PROVINCE = "province"


class OrgKind(StrEnum):
    PROVINCE = "province"
    BOARD = "board"
    COUNCIL = "council"
    CLUSTER = "cluster"
    UNIT = "unit"


ROLE_LABELS: dict[Role, str] = {
    Role.UNIT_OFFICER: N_("Cán bộ TĐKT đơn vị"),
    Role.UNIT_HEAD: N_("Thủ trưởng đơn vị"),
    Role.CLUSTER_LEADER: N_("Trưởng Cụm/Khối thi đua"),
    Role.CLUSTER_SECRETARY: N_("Thư ký Cụm/Khối thi đua"),
    Role.BOARD_SPECIALIST: N_("Chuyên viên Ban TĐKT"),
    Role.BOARD_HEAD: N_("Trưởng Ban TĐKT"),
    Role.COUNCIL_SECRETARY: N_("Thư ký Hội đồng TĐKT"),
    Role.CHAIRMAN: N_("Chủ tịch UBND tỉnh"),
    Role.ADMIN: N_("Quản trị hệ thống"),
    Role.AUDITOR: N_("Kiểm toán viên"),
}

KNOWN_ROLES: frozenset[str] = frozenset(r.value for r in Role)

UNIT_ROLES = frozenset({Role.UNIT_OFFICER, Role.UNIT_HEAD})
CLUSTER_ROLES = frozenset({Role.CLUSTER_LEADER, Role.CLUSTER_SECRETARY})
PROVINCE_REVIEW_ROLES = frozenset(
    {Role.BOARD_SPECIALIST, Role.BOARD_HEAD, Role.COUNCIL_SECRETARY, Role.CHAIRMAN}
)
