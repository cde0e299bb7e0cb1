"""Demo data: the province, its clusters and units, accounts, the catalogue, one campaign."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from service.audit.log import RequestContext, utcnow
from service.db import demo_data as demo
from service.db.models import (
    AwardType,
    Campaign,
    ClusterMembership,
    Organisation,
    ProcessModel,
    RoleAssignment,
    User,
)
from service.db.session import UnitOfWork
from service.documents import template_store
from service.domain.awards import DEFAULT_AWARDS, subject_multipliers_json
from service.domain.roles import OrgKind, Role
from service.usecases import process_models
from service.usecases.auth import hash_password


def load_awards(uow: UnitOfWork) -> None:
    for award in DEFAULT_AWARDS:
        if uow.session.get(AwardType, award.code) is None:
            uow.session.add(AwardType(
                code=award.code, name=award.name, subject=award.subject,
                ballot_threshold=award.ballot_threshold, multiplier=award.multiplier,
                subject_multipliers=subject_multipliers_json(award),
                legal_basis=award.legal_basis, valid_from=award.valid_from))
    uow.session.flush()


def publish_bundled_models(uow: UnitOfWork, workflows_dir) -> None:
    """Publish the diagrams shipped in workflows/bpmn (a no-op when already published)."""
    for path in sorted(workflows_dir.glob("*.bpmn")):
        process_models.publish(uow, None, RequestContext(request_id="seed"), path.read_bytes(),
                               key=path.stem)


def seed_demo(uow: UnitOfWork, *, password: str, workflows_dir) -> bool:
    """Load the demo province once; returns False when it was already there."""
    session = uow.session
    load_awards(uow)
    publish_bundled_models(uow, workflows_dir)
    template_store.ensure_bundled(session)
    if session.scalar(select(Organisation).where(Organisation.code == demo.PROVINCE[0])):
        return False
    pw_hash = hash_password(password)
    now = utcnow()

    def org(code, name, kind, short=None, parent=None, place=None) -> Organisation:
        o = Organisation(code=code, name=name, short_name=short, kind=kind,
                         parent_id=parent.id if parent else None, place_name=place,
                         valid_from=date(2020, 1, 1))
        session.add(o)
        session.flush()
        return o

    def user(username, full_name, role, organisation) -> User:
        u = User(username=username, full_name=full_name, password_hash=pw_hash,
                 is_active=True, created_at=now)
        u.roles.append(RoleAssignment(role=role, organisation_id=organisation.id))
        session.add(u)
        return u

    province = org(demo.PROVINCE[0], demo.PROVINCE[1], OrgKind.PROVINCE, demo.PROVINCE[2],
                   place=demo.PROVINCE[3])
    orgs = {province.code: province}
    orgs[demo.BOARD[0]] = org(demo.BOARD[0], demo.BOARD[1], OrgKind.BOARD, demo.BOARD[2],
                              province, demo.PROVINCE[3])
    orgs[demo.COUNCIL[0]] = org(demo.COUNCIL[0], demo.COUNCIL[1], OrgKind.COUNCIL,
                                demo.COUNCIL[2], province, demo.PROVINCE[3])
    for username, full_name, role, org_code in demo.PROVINCE_USERS:
        user(username, full_name, role, orgs[org_code])

    unit_no = 0
    for cluster_no, (cluster_name, units) in enumerate(demo.CLUSTERS, start=1):
        cluster = org(f"CUM{cluster_no:02d}", cluster_name, OrgKind.CLUSTER, None, province,
                      demo.PROVINCE[3])
        for position, unit_name in enumerate(units):
            unit_no += 1
            unit = org(f"DV{unit_no:03d}", unit_name, OrgKind.UNIT, None, province,
                       demo.PROVINCE[3])
            session.add(ClusterMembership(cluster_id=cluster.id, unit_id=unit.id, year=2023,
                                          is_leading_unit=position == 0))
            session.add(ClusterMembership(cluster_id=cluster.id, unit_id=unit.id, year=2024,
                                          is_leading_unit=position == 1))
            names = unit_no % len(demo.OFFICER_NAMES)
            user(f"donvi{unit_no}", demo.OFFICER_NAMES[names], Role.UNIT_OFFICER, unit)
            user(f"thutruong{unit_no}", demo.HEAD_NAMES[names], Role.UNIT_HEAD, unit)
        leader = demo.LEADER_NAMES[(cluster_no - 1) % len(demo.LEADER_NAMES)]
        user(f"cum{cluster_no}", leader, Role.CLUSTER_LEADER, cluster)

    model = session.scalar(select(ProcessModel).where(ProcessModel.key == "commendation"))
    session.add(Campaign(
        code=demo.CAMPAIGN["code"], name=demo.CAMPAIGN["name"], year=demo.CAMPAIGN["year"],
        plan_reference=demo.CAMPAIGN["plan_reference"],
        start_date=date.fromisoformat(demo.CAMPAIGN["start_date"]),
        deadline=date.fromisoformat(demo.CAMPAIGN["deadline"]),
        organisation_id=province.id, process_model_key=model.key if model else "commendation",
        created_at=now,
    ))
    session.flush()
    return True
