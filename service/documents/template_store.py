"""Versions of the paper templates kept in the database, starting from templates/*.json.

The JSON files shipped in ``templates/`` are version 1 of each template. An administrator
publishes later versions (service/usecases/templates.py); versions are never changed. A dossier
pins the versions in force when its route starts, so a paper regenerated for it later reads
as the first one did.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.log import utcnow
from service.db.models import DocumentTemplate, Dossier
from service.documents.catalogue import PAPERS, bundled_template


def canonical(body: dict) -> str:
    """The stored text of a template: stable key order, Vietnamese kept as written."""
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=False)


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def template_names() -> list[str]:
    """Each template file once: the two papers made from decision.json share it."""
    return sorted({kind.template for kind in PAPERS.values()})


def ensure_bundled(session: Session) -> None:
    """Make version 1 of every template that has none yet, from its file."""
    present = set(session.scalars(select(DocumentTemplate.name).distinct()))
    missing = [name for name in template_names() if name not in present]
    for name in missing:
        text = canonical(bundled_template(name))
        session.add(DocumentTemplate(name=name, version=1, body=text, sha256=sha256_of(text),
                                     note="Mẫu gốc kèm theo phần mềm", published_at=utcnow()))
    if missing:
        session.flush()


def latest_versions(session: Session) -> dict[str, int]:
    ensure_bundled(session)
    rows = session.execute(select(DocumentTemplate.name, func.max(DocumentTemplate.version))
                           .group_by(DocumentTemplate.name))
    return dict(rows.all())


def pinned_versions(session: Session, dossier: Dossier) -> dict[str, int]:
    """The template versions of this dossier, pinned now if it has none; a template added
    after the pin is taken at its latest version and pinned too."""
    pinned = json.loads(dossier.template_versions) if dossier.template_versions else {}
    if set(template_names()) <= set(pinned):
        return pinned
    latest = latest_versions(session)
    missing = {name: version for name, version in latest.items() if name not in pinned}
    if missing:
        pinned.update(missing)
        dossier.template_versions = json.dumps(pinned, sort_keys=True)
    return pinned


def get(session: Session, name: str, version: int) -> dict:
    row = session.scalar(select(DocumentTemplate).where(
        DocumentTemplate.name == name, DocumentTemplate.version == version))
    if row is None:
        raise LookupError(f"template {name} v{version} does not exist")
    return json.loads(row.body)
