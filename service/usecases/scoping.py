"""One scoping rule per resource (WEB-6). Out-of-scope objects are reported as not found.

- a unit's officer and head see their unit's dossiers, drafts included;
- a cluster's leader and secretary see their member units' dossiers once submitted;
- the board, the council secretary, the chairman and auditors see every submitted dossier.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from service.db.models import Dossier, Task
from service.domain.roles import CLUSTER_ROLES, PROVINCE_REVIEW_ROLES, UNIT_ROLES, Role
from service.usecases.principal import Principal

_PROVINCE_READERS = PROVINCE_REVIEW_ROLES | {Role.AUDITOR}


def dossier_filter(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition selecting the dossiers ``principal`` may see."""
    if principal.has_role(*_PROVINCE_READERS):
        return Dossier.submitted.is_(true())
    clauses = []
    units = [g.organisation_id for g in principal.grants_for(*UNIT_ROLES)]
    if units:
        clauses.append(Dossier.unit_id.in_(units))
    clusters = [g.organisation_id for g in principal.grants_for(*CLUSTER_ROLES)]
    if clusters:
        clauses.append(and_(Dossier.cluster_id.in_(clusters), Dossier.submitted.is_(true())))
    return or_(*clauses) if clauses else false()


def can_see_dossier(principal: Principal, dossier: Dossier) -> bool:
    if principal.has_role(*_PROVINCE_READERS) and dossier.submitted:
        return True
    if any(g.organisation_id == dossier.unit_id for g in principal.grants_for(*UNIT_ROLES)):
        return True
    return dossier.submitted and any(
        g.organisation_id == dossier.cluster_id for g in principal.grants_for(*CLUSTER_ROLES)
    )


def task_filter(principal: Principal) -> ColumnElement[bool]:
    """Tasks for which ``principal`` is a candidate: its role, in an organisation it reaches."""
    clauses = [
        and_(Task.role == g.role, Task.organisation_id.in_(g.reach)) for g in principal.grants
    ]
    return or_(*clauses) if clauses else false()


def is_candidate(principal: Principal, task: Task) -> bool:
    return any(g.role == task.role and task.organisation_id in g.reach for g in principal.grants)


def can_edit_dossier(principal: Principal, dossier: Dossier) -> bool:
    """Only the unit's own officer or head change a dossier's content."""
    return any(g.organisation_id == dossier.unit_id for g in principal.grants_for(*UNIT_ROLES))
