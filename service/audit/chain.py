"""The hash chain of the audit trail: canonical form, hashing and verification.

Pure functions over plain dicts, so that an exported trail can be verified with no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64

# The fields that are hashed, in the order they are exported.
CHAINED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor",
    "role",
    "organisation_id",
    "organisation",
    "action",
    "target_type",
    "target_id",
    "dossier_id",
    "step",
    "decision",
    "comment",
    "details",
    "documents",
    "request_id",
    "address",
    "prev_hash",
)


def canonical(event: Mapping[str, object]) -> bytes:
    """The bytes that are hashed: sorted-key JSON of the chained fields, UTF-8."""
    body = {name: event.get(name) for name in CHAINED_FIELDS}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: Mapping[str, object]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: object | None = None
    reason: str | None = None
    head: str = GENESIS


def verify_events(events: Iterable[Mapping[str, object]], start_hash: str = GENESIS) -> ChainReport:
    """Walk events in order; name the first whose link or content does not match."""
    prev = start_hash
    checked = 0
    last_id = None
    for event in events:
        if event.get("prev_hash") != prev:
            return ChainReport(False, checked, event.get("id"),
                               "liên kết với sự kiện trước không khớp", prev)
        if event_hash(event) != event.get("hash"):
            return ChainReport(False, checked, event.get("id"),
                               "nội dung sự kiện đã bị thay đổi", prev)
        if last_id is not None and isinstance(last_id, int) and event.get("id") != last_id + 1:
            return ChainReport(False, checked, event.get("id"),
                               "thứ tự sự kiện bị gián đoạn", prev)
        prev = str(event["hash"])
        last_id = event.get("id")
        checked += 1
    return ChainReport(True, checked, None, None, prev)
