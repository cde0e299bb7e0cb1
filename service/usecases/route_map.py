"""Seeing the route: where one dossier has been, and where a campaign's dossiers wait.

The marks come from the task projection (completed and current steps, returns); only the
flows taken need the saved workflow state, read through the engine for one dossier. The
campaign heatmap is one grouped query over open tasks, no workflow is deserialized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from service.db.models import Campaign, Dossier, ProcessInstance, ProcessModelVersion, Task
from service.db.session import UnitOfWork
from service.domain.roles import Role
from service.engine import runner, trace
from service.engine.xml import XmlRejected
from service.usecases import process_models, route
from service.usecases.dossiers import get_dossier
from service.usecases.errors import NotFound
from service.usecases.principal import Principal
from service.usecases.scoping import dossier_filter

# Who sees every dossier's place on the campaign's route (counts only, no dossier content).
_SEE_ALL = (Role.ADMIN, Role.AUDITOR)


@dataclass(frozen=True)
class Return:
    source: str
    target: str
    count: int


@dataclass(frozen=True)
class DossierRoute:
    key: str
    version: int
    sha256: str
    xml: bytes
    completed: list[str]
    current: list[str]
    returns: list[Return]
    flows: list[str]


def _returns(tasks: list[Task]) -> list[Return]:
    """Each return decision, from its step to the step the route went back to.

    A completion opens the next tasks at its own completion time, so the target of a return is
    the first task received at or after it.
    """
    received = sorted(tasks, key=lambda t: (t.received_at, t.step))
    counts: dict[tuple[str, str], int] = {}
    returned = sorted((t for t in tasks if t.decision == "return" and t.completed_at),
                      key=lambda t: t.completed_at)
    for task in returned:
        target = next((t for t in received if t.received_at >= task.completed_at
                       and t.id != task.id), None)
        if target is not None:
            pair = (task.step, target.step)
            counts[pair] = counts.get(pair, 0) + 1
    return [Return(source, target, n) for (source, target), n in counts.items()]


def dossier_route(uow: UnitOfWork, principal: Principal, dossier_id: int) -> DossierRoute:
    """The dossier's own version with its completed and current steps, returns and flows."""
    dossier = get_dossier(uow, principal, dossier_id)
    session = uow.session
    instance = session.scalar(select(ProcessInstance).where(
        ProcessInstance.dossier_id == dossier.id))
    if instance is None:
        raise NotFound("Hồ sơ chưa có quy trình.")
    version = instance.model_version
    tasks = list(session.scalars(select(Task).where(Task.dossier_id == dossier.id)
                                 .order_by(Task.received_at, Task.step)))
    completed = list(dict.fromkeys(t.step for t in tasks if t.state == "completed"))
    current = list(dict.fromkeys(t.step for t in tasks if t.state == "open"))
    try:
        wf = runner.restore(version.spec_json, version.sha256, instance.state_json)
        flows = trace.flows_taken(version.xml, wf)
    except (runner.EngineError, XmlRejected):
        flows = []  # the marks from the projection still stand
    return DossierRoute(version.model.key, version.version, version.sha256, version.xml,
                        completed, current, _returns(tasks), flows)


@dataclass
class StepLoad:
    name: str
    waiting: int = 0
    oldest_received_at: datetime | None = None
    oldest_working_days: int | None = None


@dataclass
class Heatmap:
    campaign: Campaign
    key: str
    version: int
    xml: bytes
    steps: dict[str, StepLoad] = field(default_factory=dict)
    other_versions: dict[int, int] = field(default_factory=dict)


def get_campaign(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = uow.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Không tìm thấy đợt thi đua.")
    return campaign


def campaign_versions(uow: UnitOfWork, campaign: Campaign) -> list[ProcessModelVersion]:
    """The published versions of the campaign's process, newest first."""
    model = process_models.get_model(uow, campaign.process_model_key)
    return list(uow.session.scalars(
        select(ProcessModelVersion).where(ProcessModelVersion.model_id == model.id)
        .order_by(ProcessModelVersion.version.desc())))


def campaign_heatmap(uow: UnitOfWork, principal: Principal, campaign_id: int, *,
                     today: date | None = None) -> Heatmap:
    """Open tasks per step of the campaign's latest version, over the dossiers in scope.

    Open tasks on steps the latest version no longer has are counted per version they run on.
    """
    campaign = get_campaign(uow, campaign_id)
    latest = process_models.latest_version(uow, campaign.process_model_key)
    today = today or route.today_local()
    heatmap = Heatmap(campaign, latest.model.key, latest.version, latest.xml)
    for step_id, step in route.steps_of(latest).items():
        heatmap.steps[step_id] = StepLoad(step.name)
    stmt = (
        select(Task.step, ProcessModelVersion.version, func.count(Task.id),
               func.min(Task.received_at))
        .join(Dossier, Dossier.id == Task.dossier_id)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .where(Task.state == "open", Dossier.campaign_id == campaign.id)
        .group_by(Task.step, ProcessModelVersion.version)
    )
    if not principal.has_role(*_SEE_ALL):
        stmt = stmt.where(dossier_filter(principal))
    for step_id, version, count, oldest in uow.session.execute(stmt):
        load = heatmap.steps.get(step_id)
        if load is None:
            heatmap.other_versions[version] = heatmap.other_versions.get(version, 0) + count
            continue
        load.waiting += count
        if load.oldest_received_at is None or oldest < load.oldest_received_at:
            load.oldest_received_at = oldest
    for load in heatmap.steps.values():
        if load.oldest_received_at is not None:
            received = route.local_date(load.oldest_received_at)
            load.oldest_working_days = max(0, route.working_days_since(received, today))
    return heatmap
