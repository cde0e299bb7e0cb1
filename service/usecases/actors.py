"""The audit actor for a principal acting in one of its roles."""

from __future__ import annotations

from service.audit.log import Actor
from service.domain.roles import Role
from service.usecases.principal import Grant, Principal


def actor_for_org(principal: Principal, grant: Grant | None) -> Actor:
    if grant is None:
        return Actor(principal.user_id, principal.username)
    return Actor(principal.user_id, principal.username, grant.role, grant.organisation_id,
                 grant.organisation_name)


def actor_any(principal: Principal) -> Actor:
    return actor_for_org(principal, principal.primary_grant())


def admin_actor(principal: Principal | None) -> Actor:
    """An administrator acting as such (the system when there is no principal: CLI, seed)."""
    if principal is None:
        return Actor(None, "system", None, None, None)
    grants = principal.grants_for(Role.ADMIN)
    return actor_for_org(principal, grants[0] if grants else principal.primary_grant())
