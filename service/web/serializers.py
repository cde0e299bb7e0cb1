"""JSON shapes of the public API (DESIGN.md); more fields may be added, none removed."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy.orm import joinedload, selectinload

from service.db.models import (
    Campaign,
    Dossier,
    ProcessModel,
    ProcessModelVersion,
    Proposal,
    Task,
)
from service.engine.diff import ModelDiff
from service.usecases.migration import Migrated
from service.usecases.principal import Principal
from service.usecases.process_models import DraftInfo, Source
from service.usecases.route_map import DossierRoute, Heatmap

# The relationships each shape below reads, as loader options for the query that fetches its
# rows. The model's relationships are lazy, so without these a list of N rows would cost N more
# statements per relationship; with them a list costs the same whatever its length
# (tests/integration/test_query_counts.py). Document.versions is eager in the model.
TASK_LOAD = (joinedload(Task.claimed_by), joinedload(Task.completed_by))
DOSSIER_LOAD = (joinedload(Dossier.unit), selectinload(Dossier.proposals),
                selectinload(Dossier.documents))


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def principal(p: Principal) -> dict:
    return {
        "id": p.user_id, "username": p.username, "full_name": p.full_name,
        "roles": [{"role": g.role, "label": g.label, "organisation_id": g.organisation_id,
                   "organisation": g.organisation_name} for g in p.grants],
        "organisation": ({"id": p.grants[0].organisation_id, "name": p.grants[0].organisation_name}
                         if p.grants else None),
    }


def campaign(c: Campaign) -> dict:
    return {"id": c.id, "code": c.code, "name": c.name, "year": c.year,
            "plan_reference": c.plan_reference, "start_date": iso(c.start_date),
            "deadline": iso(c.deadline), "process_model_key": c.process_model_key}


def proposal(p: Proposal) -> dict:
    return {"id": p.id, "subject_type": p.subject_type, "name": p.name,
            "award_code": p.award_code, "summary": p.summary, "outcome": p.outcome,
            "outcome_reason": p.outcome_reason}


def dossier(d: Dossier) -> dict:
    documents = []
    for doc in d.documents:
        latest = next((v for v in doc.versions if v.version == doc.latest_version), None)
        if latest is None:
            continue
        entry = {
            "id": doc.id, "kind": doc.kind, "display_name": latest.display_name,
            "content_type": latest.content_type, "size": latest.size, "sha256": latest.sha256,
            "version": latest.version, "generated": doc.generated,
        }
        if doc.generated:
            entry.update(number=doc.number, template=doc.template,
                         pdf={"sha256": latest.pdf_sha256, "size": latest.pdf_size}
                         if latest.pdf_object_key else None)
        documents.append(entry)
    return {
        "id": d.id, "campaign_id": d.campaign_id, "unit_id": d.unit_id,
        "unit": d.unit.name, "cluster_id": d.cluster_id, "title": d.title, "status": d.status,
        "current_step": d.current_step, "current_step_name": d.current_step_name,
        "created_at": iso(d.created_at), "updated_at": iso(d.updated_at),
        "proposals": [proposal(p) for p in d.proposals], "documents": documents,
    }


def task(t: Task) -> dict:
    return {"id": t.id, "dossier_id": t.dossier_id, "step": t.step, "name": t.name,
            "lane": t.lane, "role": t.role, "state": t.state,
            "received_at": iso(t.received_at), "due_at": iso(t.due_on),
            "claimed_by": t.claimed_by.username if t.claimed_by else None,
            "completed_by": t.completed_by.username if t.completed_by else None,
            "decision": t.decision}


def task_form(view, dossier) -> dict:
    """What a client needs to complete a task: decisions, fields, the papers the step makes,
    the lines it may leave out, and the cluster members whose meeting it records."""
    return {"decisions": [{"value": v, "label": label} for v, label in view.decisions],
            "fields": list(view.fields), "requires": list(view.requires),
            "generates": list(view.generates),
            "lines": [{"proposal_id": p.id, "name": p.name, "outcome": p.outcome}
                      for p in dossier.proposals] if view.can_exclude else [],
            "meeting_members": [{"id": i, "name": n} for i, n in view.meeting_members],
            "model": {"key": view.model_key, "version": view.model_version}}


def freeze(f) -> dict:
    return {"id": f.id, "unit_id": f.unit_id, "subject_type": f.subject_type, "name": f.name,
            "kind": f.kind, "reason": f.reason, "since": iso(f.since), "until": iso(f.until)}


def user(u) -> dict:
    return {"id": u.id, "username": u.username, "full_name": u.full_name,
            "active": u.is_active, "last_login_at": iso(u.last_login_at),
            "roles": [{"id": r.id, "role": r.role, "organisation_id": r.organisation_id,
                       "organisation": r.organisation.name if r.organisation else None}
                      for r in u.roles]}


def template_summary(t) -> dict:
    return {"name": t.name, "papers": list(t.titles), "version": t.version,
            "sha256": t.sha256, "published_at": iso(t.published_at), "note": t.note}


def template_version(row) -> dict:
    return {"name": row.name, "version": row.version, "sha256": row.sha256,
            "published_at": iso(row.published_at), "note": row.note,
            "body": json.loads(row.body)}


def history_entry(e: dict) -> dict:
    return {"at": iso(e["at"]), "actor": e["actor"], "role": e["role"],
            "organisation": e["organisation"], "action": e["action"], "step": e["step"],
            "decision": e["decision"], "comment": e["comment"],
            "documents": [{"id": d["id"], "version": d["version"], "sha256": d["sha256"],
                           "name": d.get("name")} for d in e["documents"]]}


def model_version(v: ProcessModelVersion) -> dict:
    return {"key": v.model.key, "version": v.version, "sha256": v.sha256,
            "published_at": iso(v.published_at)}


def process_model(m: ProcessModel) -> dict:
    return {"key": m.key, "name": m.name,
            "versions": [model_version(v) for v in m.versions]}


def draft(d: DraftInfo | None) -> dict | None:
    if d is None:
        return None
    return {"sha256": d.sha256, "updated_at": iso(d.updated_at), "base_version": d.base_version,
            "updated_by": d.updated_by}


def model_source(s: Source) -> dict:
    return {"key": s.key, "name": s.name, "latest_version": s.latest_version,
            "draft": draft(s.draft), "from": s.origin, "xml": s.xml.decode("utf-8")}


def model_diff(before: int, after: int, d: ModelDiff) -> dict:
    def ref(e) -> dict:
        return {"id": e.id, "type": e.type, "name": e.name}

    return {
        "from": before, "to": after,
        "added": [ref(e) for e in d.added],
        "removed": [ref(e) for e in d.removed],
        "changed": [{**ref(e), "changes": [{"field": c.field, "before": c.before,
                                           "after": c.after} for c in e.changes]}
                    for e in d.changed],
    }


def dossier_route(r: DossierRoute) -> dict:
    return {"model": {"key": r.key, "version": r.version, "sha256": r.sha256},
            "xml": r.xml.decode("utf-8"), "completed": r.completed, "current": r.current,
            "returns": [{"from": x.source, "to": x.target, "count": x.count} for x in r.returns],
            "flows": r.flows}


def heatmap(h: Heatmap) -> dict:
    return {
        "campaign": {"id": h.campaign.id, "name": h.campaign.name,
                     "deadline": iso(h.campaign.deadline)},
        "model": {"key": h.key, "version": h.version},
        "xml": h.xml.decode("utf-8"),
        "steps": {step: {"name": s.name, "waiting": s.waiting,
                         "oldest_received_at": iso(s.oldest_received_at),
                         "oldest_working_days": s.oldest_working_days}
                  for step, s in h.steps.items()},
        "other_versions": [{"version": v, "waiting": n}
                           for v, n in sorted(h.other_versions.items())],
    }


def migrated(m: Migrated) -> dict:
    return {"dossier_id": m.dossier_id, "from_version": m.from_version,
            "to_version": m.to_version, "current_step": m.current_step}
