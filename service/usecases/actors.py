"""The audit actor for a principal acting in one of its roles."""

from __future__ import annotations

from service.audit.log import Actor
from service.usecases.principal import Grant, Principal


def actor_for_org(principal: Principal, grant: Grant | None) -> Actor:
    if grant is None:
        return Actor(principal.user_id, principal.username)
    return Actor(principal.user_id, principal.username, grant.role, grant.organisation_id,
                 grant.organisation_name)


def actor_any(principal: Principal) -> Actor:
    return actor_for_org(principal, principal.primary_grant())
