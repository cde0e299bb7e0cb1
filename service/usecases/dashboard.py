"""Bảng tổng hợp đợt thi đua: the campaign dashboard for the board, the Chairman and clusters.

Who has reported, who is late, where dossiers wait and how the proposed awards fared, each
read with one grouped query over the dossiers in the caller's scope (the campaign heatmap's
scoping): no dossier or task is loaded as an object.

- *reported*: the unit has a dossier that went past its unit steps (``Dossier.submitted``);
- *late*: not reported once the campaign deadline has passed, or an open task of one of the
  unit's dossiers is past its due date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import aliased

from service.db.models import (
    AwardType,
    Campaign,
    ClusterMembership,
    Dossier,
    Organisation,
    Proposal,
    Task,
)
from service.db.session import UnitOfWork
from service.domain.dossiers import DossierStatus, Outcome
from service.domain.roles import CLUSTER_ROLES, PROVINCE_REVIEW_ROLES, Role
from service.usecases import route, route_map
from service.usecases.errors import Forbidden
from service.usecases.principal import Principal
from service.usecases.scoping import dossier_filter

# Who sees every cluster. Admins and auditors also count drafts, as on the heatmap.
_PROVINCE_WIDE = PROVINCE_REVIEW_ROLES | {Role.ADMIN, Role.AUDITOR}
_SEE_ALL = (Role.ADMIN, Role.AUDITOR)


def _statuses() -> dict[str, int]:
    return {s.value: 0 for s in DossierStatus}


@dataclass
class UnitRow:
    id: int
    name: str
    by_status: dict[str, int] = field(default_factory=_statuses)
    reported: bool = False
    overdue_tasks: int = 0
    late: bool = False

    @property
    def dossiers(self) -> int:
        return sum(self.by_status.values())


@dataclass
class ClusterRow:
    id: int
    name: str
    units: list[UnitRow] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return sum(1 for u in self.units if u.reported)

    @property
    def late(self) -> int:
        return sum(1 for u in self.units if u.late)

    @property
    def dossiers(self) -> int:
        return sum(u.dossiers for u in self.units)


@dataclass(frozen=True)
class StepRow:
    step: str
    name: str
    waiting: int
    oldest_working_days: int | None


@dataclass
class AwardRow:
    code: str
    name: str
    proposed: int = 0
    approved: int = 0
    not_approved: int = 0


@dataclass
class Totals:
    units: int
    reported: int
    late: int
    dossiers: int
    by_status: dict[str, int]
    open_tasks: int
    overdue_tasks: int
    lines_proposed: int
    lines_approved: int
    lines_not_approved: int


@dataclass
class Dashboard:
    campaign: Campaign
    today: date
    clusters: list[ClusterRow]
    steps: list[StepRow]
    other_versions: dict[int, int]
    awards: list[AwardRow]
    totals: Totals

    @property
    def deadline_passed(self) -> bool:
        return self.today > self.campaign.deadline


def _cluster_scope(principal: Principal) -> list[int] | None:
    """The clusters the caller may look at (None: all); a unit role alone is refused."""
    if principal.has_role(*_PROVINCE_WIDE):
        return None
    clusters = [g.organisation_id for g in principal.grants_for(*CLUSTER_ROLES)]
    if not clusters:
        raise Forbidden("Bảng tổng hợp đợt thi đua dành cho Ban TĐKT, lãnh đạo tỉnh và "
                        "Cụm/Khối thi đua.")
    return clusters


def campaign_dashboard(uow: UnitOfWork, principal: Principal, campaign_id: int, *,
                       today: date | None = None) -> Dashboard:
    cluster_ids = _cluster_scope(principal)
    campaign = route_map.get_campaign(uow, campaign_id)
    today = today or route.today_local()
    session = uow.session
    in_scope = [Dossier.campaign_id == campaign.id]
    if not principal.has_role(*_SEE_ALL):
        in_scope.append(dossier_filter(principal))

    cluster_org, unit_org = aliased(Organisation), aliased(Organisation)
    members = (
        select(ClusterMembership.cluster_id, cluster_org.name, ClusterMembership.unit_id,
               unit_org.name)
        .join(cluster_org, cluster_org.id == ClusterMembership.cluster_id)
        .join(unit_org, unit_org.id == ClusterMembership.unit_id)
        .where(ClusterMembership.year == campaign.year)
        .order_by(cluster_org.code, unit_org.code)
    )
    if cluster_ids is not None:
        members = members.where(ClusterMembership.cluster_id.in_(cluster_ids))
    clusters: dict[int, ClusterRow] = {}
    units: dict[int, UnitRow] = {}
    for cluster_id, cluster_name, unit_id, unit_name in session.execute(members):
        cluster = clusters.setdefault(cluster_id, ClusterRow(cluster_id, cluster_name))
        units[unit_id] = UnitRow(unit_id, unit_name)
        cluster.units.append(units[unit_id])

    by_status = _statuses()
    submitted = func.max(case((Dossier.submitted.is_(true()), 1), else_=0))
    for unit_id, status, count, was_submitted in session.execute(
            select(Dossier.unit_id, Dossier.status, func.count(Dossier.id), submitted)
            .where(*in_scope).group_by(Dossier.unit_id, Dossier.status)):
        by_status[status] = by_status.get(status, 0) + count
        if unit_id in units:
            units[unit_id].by_status[status] = count
            units[unit_id].reported |= bool(was_submitted)

    overdue_total = 0
    for unit_id, count in session.execute(
            select(Dossier.unit_id, func.count(Task.id))
            .join(Dossier, Dossier.id == Task.dossier_id)
            .where(Task.state == "open", Task.due_on < today, *in_scope)
            .group_by(Dossier.unit_id)):
        overdue_total += count
        if unit_id in units:
            units[unit_id].overdue_tasks = count
    deadline_passed = today > campaign.deadline
    for unit in units.values():
        unit.late = (not unit.reported and deadline_passed) or unit.overdue_tasks > 0

    awards: dict[str, AwardRow] = {}
    for code, name, outcome, count in session.execute(
            select(Proposal.award_code, AwardType.name, Proposal.outcome, func.count(Proposal.id))
            .join(Dossier, and_(Dossier.id == Proposal.dossier_id, *in_scope))
            .join(AwardType, AwardType.code == Proposal.award_code)
            .group_by(Proposal.award_code, AwardType.name, Proposal.outcome)
            .order_by(Proposal.award_code)):
        row = awards.setdefault(code, AwardRow(code, name))
        row.proposed += count
        if outcome == Outcome.APPROVED:
            row.approved += count
        elif outcome == Outcome.NOT_APPROVED:
            row.not_approved += count

    heatmap = route_map.campaign_heatmap(uow, principal, campaign.id, today=today)
    steps = [StepRow(step, load.name, load.waiting, load.oldest_working_days)
             for step, load in heatmap.steps.items()]
    totals = Totals(
        units=len(units), reported=sum(u.reported for u in units.values()),
        late=sum(u.late for u in units.values()), dossiers=sum(by_status.values()),
        by_status=by_status,
        open_tasks=sum(s.waiting for s in steps) + sum(heatmap.other_versions.values()),
        overdue_tasks=overdue_total,
        lines_proposed=sum(a.proposed for a in awards.values()),
        lines_approved=sum(a.approved for a in awards.values()),
        lines_not_approved=sum(a.not_approved for a in awards.values()),
    )
    return Dashboard(campaign, today, list(clusters.values()), steps, heatmap.other_versions,
                     list(awards.values()), totals)
