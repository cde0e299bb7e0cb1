"""Who is acting: a user with role assignments scoped to organisations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Organisation, User
from service.domain.roles import ROLE_LABELS, Role


@dataclass(frozen=True)
class Grant:
    """A role held in an organisation, with that organisation's ancestors (nearest first)."""

    role: str
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    ancestors: tuple[int, ...]

    @property
    def reach(self) -> tuple[int, ...]:
        """Organisations whose tasks for this role the holder may take: itself and above."""
        return (self.organisation_id, *self.ancestors)

    @property
    def label(self) -> str:
        try:
            return ROLE_LABELS[Role(self.role)]
        except ValueError:
            return self.role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    full_name: str
    grants: tuple[Grant, ...]

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    def grants_for(self, *roles: str) -> list[Grant]:
        return [g for g in self.grants if g.role in roles]

    def primary_grant(self) -> Grant | None:
        return self.grants[0] if self.grants else None


def load_principal(session: Session, user: User) -> Principal:
    """Build the principal, resolving each role's organisation chain once."""
    # Plain rows, not ORM objects: this runs on every API request, and mapping the whole
    # organisation tree into the session cost about 0.3 ms each time (bench/route.py).
    orgs = {o.id: o for o in session.execute(
        select(Organisation.id, Organisation.parent_id, Organisation.name, Organisation.kind))}
    grants = []
    for ra in sorted(user.roles, key=lambda r: r.id):
        chain = []
        parent_id = orgs[ra.organisation_id].parent_id
        while parent_id is not None and parent_id not in chain:
            chain.append(parent_id)
            parent_id = orgs[parent_id].parent_id
        org = orgs[ra.organisation_id]
        grants.append(Grant(ra.role, org.id, org.name, org.kind, tuple(chain)))
    return Principal(user.id, user.username, user.full_name, tuple(grants))
