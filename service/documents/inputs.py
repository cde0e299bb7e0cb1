"""Inputs of the route papers: frozen snapshots of plain values, and their JSON form.

When a step approves, the service snapshots each paper's input into the job table and renders
it later, perhaps after a restart or on another worker; so ``load(type(x), dump(x)) == x`` must
hold exactly, through ``json.dumps`` and back. ``dump`` and ``load`` work on any dataclass made
of str, int, bool, Decimal, date, time, None, tuples and other such dataclasses (the Quyết
định's ``DecisionInput`` too): dates as ISO strings, Decimal as its exact string, tuples as
lists. ``load`` refuses unknown or missing keys and wrong types instead of guessing.
"""

from __future__ import annotations

import types
import typing
import unicodedata
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Signer:
    name: str  # "" leaves the name to be written by hand
    authority: tuple[str, ...]  # lines above the name: ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")


@dataclass(frozen=True)
class Line:
    """One proposal line (candidate + award) as the papers show it."""

    position: int  # 1-based order in the dossier
    subject_type: str  # "individual" | "collective" | "household"
    name: str  # họ tên / tên tập thể / hộ
    unit: str  # chức vụ, đơn vị
    award: str  # "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
    multiplier: Decimal  # × mức lương cơ sở
    summary: str = ""  # tóm tắt thành tích
    outcome: str = "pending"  # "approved" | "not_approved" | "pending", at the paper's step
    reason: str | None = None  # why not approved / not proposed
    votes_for: int | None = None  # phiếu đồng ý at the cluster meeting
    score: Decimal | None = None  # điểm chấm at the cluster


@dataclass(frozen=True)
class Meeting:
    """The cluster's bình xét meeting."""

    held_on: date
    place: str  # "Hội trường UBND huyện Tuy Phong"
    chair: str  # chủ trì, as the minutes name them
    secretary: str | None  # thư ký: the name that signs the minutes
    members: tuple[str, ...]  # every member unit of the cluster that year
    present: tuple[str, ...]
    absent: tuple[str, ...]
    ballots_issued: int | None  # số phiếu phát ra
    ballots_valid: int | None  # số phiếu hợp lệ
    starts_at: time | None = None  # None: left blank in the minutes for the secretary
    ends_at: time | None = None


@dataclass(frozen=True)
class Paper:
    """What every route paper shares."""

    province: str  # "Bình Thuận": the place of the date line
    issuer: str  # "Cụm thi đua số 1", "Ban Thi đua - Khen thưởng tỉnh Bình Thuận"
    parent_body: str | None  # cơ quan chủ quản; None for the UBND tỉnh itself
    body_code: str  # ký hiệu of the issuer: "CTĐ", "BTĐKT", "UBND"
    sequence: int | None  # from the issuer's register; None: an unnumbered draft
    date: date | None  # None: a blank date line of ``year``
    signer: Signer
    campaign: str  # "Phong trào thi đua nước rút 05 tháng cuối năm 2023"
    year: int
    unit: str  # the proposing unit
    cluster: str | None  # its Cụm/Khối thi đua
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ClusterMinutesInput:
    """Biên bản họp bình xét of the cluster."""

    paper: Paper
    meeting: Meeting


@dataclass(frozen=True)
class ClusterSubmissionInput:
    """Tờ trình of the cluster to the Ban TĐKT."""

    paper: Paper
    meeting_date: date


@dataclass(frozen=True)
class AppraisalInput:
    """Báo cáo thẩm định of the Ban TĐKT."""

    paper: Paper
    received_number: str | None  # the cluster's (or unit's) Tờ trình, "03/TTr-CTĐ"
    received_date: date | None
    findings: str  # the specialist's own text; may be empty


@dataclass(frozen=True)
class BoardSubmissionInput:
    """Tờ trình of the Ban TĐKT to the Chủ tịch UBND tỉnh."""

    paper: Paper
    appraisal_number: str  # the board's Báo cáo thẩm định, "12/BC-BTĐKT"; "" if none
    base_salary: int  # mức lương cơ sở in force, in đồng
    achievement: str  # "phong trào thi đua nước rút 05 tháng cuối năm 2023"


@dataclass(frozen=True)
class AwardNoticeInput:
    """Thông báo of the Ban TĐKT on the lines not awarded."""

    paper: Paper
    decision_number: str  # "05/QĐ-UBND"
    decision_date: date


@dataclass(frozen=True)
class PastAward:
    """A line of "Các hình thức đã được khen thưởng"."""

    year: int
    award: str
    decision: str  # "Quyết định số 05/QĐ-UBND ngày 05/12/2022 của Chủ tịch UBND tỉnh"


@dataclass(frozen=True)
class AchievementReportInput:
    """Báo cáo thành tích, prefilled for the unit to complete.

    The report comes out under ``parent_body`` / ``unit`` in the header: for a collective,
    ``unit`` is the collective as its letterhead writes it and ``name`` its full name; for an
    individual, ``unit`` is where they work and ``position`` their chức vụ."""

    subject_type: str  # "collective" | "individual"
    name: str
    position: str | None
    unit: str
    parent_body: str | None
    award: str
    campaign: str
    year: int
    province: str  # the place of the date line
    past_awards: tuple[PastAward, ...]
    place_date: date | None  # None: a blank date line of ``year``


# --- JSON form ---------------------------------------------------------------------------------


def dump(obj: Any) -> dict:
    """The JSON-safe form of a dataclass instance."""
    if not is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"dump takes a dataclass instance, got {obj!r}")
    return {f.name: _dump_value(getattr(obj, f.name)) for f in fields(obj) if f.init}


def load(cls: type[T], data: dict) -> T:
    """The instance of ``cls`` that ``dump`` turned into ``data``."""
    return _load_dataclass(cls, data, cls.__name__)


def normalized(obj: T) -> T:
    """``obj`` with every string in NFC, so that one award typed two ways groups as one."""
    if isinstance(obj, Enum):
        return obj
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, tuple):
        return tuple(normalized(item) for item in obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        return replace(obj, **{f.name: normalized(getattr(obj, f.name))
                               for f in fields(obj) if f.init})
    return obj


def _dump_value(value: Any) -> Any:
    if isinstance(value, Enum):  # a StrEnum outcome is stored as its plain value
        return _dump_value(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be stored: it would not compare equal to itself")
        return str(value)
    if isinstance(value, datetime):
        raise TypeError(f"inputs hold dates, not datetimes: {value!r}")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump_value(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return dump(value)
    raise TypeError(f"cannot store a {type(value).__name__}: {value!r}")


def _load_dataclass(cls: type[T], data: Any, path: str) -> T:
    if not is_dataclass(cls):
        raise TypeError(f"load takes a dataclass type, got {cls!r}")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.init}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}")
    values = {}
    for name, spec in known.items():
        if name in data:
            values[name] = _load_value(hints[name], data[name], f"{path}.{name}")
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise ValueError(f"{path}: missing {name!r}")
    return cls(**values)


def _load_value(kind: Any, raw: Any, path: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if raw is None and type(None) in options:
            return None
        others = [option for option in options if option is not type(None)]
        if len(others) != 1:
            raise TypeError(f"{path}: cannot load the union {kind}")
        return _load_value(others[0], raw, path)
    if origin is tuple:
        item, ellipsis = typing.get_args(kind)
        if ellipsis is not Ellipsis:
            raise TypeError(f"{path}: only tuple[X, ...] can be loaded, not {kind}")
        if not isinstance(raw, list):
            raise ValueError(f"{path}: expected a list, got {raw!r}")
        return tuple(_load_value(item, value, f"{path}[{i}]") for i, value in enumerate(raw))
    if is_dataclass(kind):
        return _load_dataclass(kind, raw, path)
    if kind is Decimal:
        return Decimal(_expect(raw, str, path))
    if kind is date:
        return date.fromisoformat(_expect(raw, str, path))
    if kind is time:
        return time.fromisoformat(_expect(raw, str, path))
    if kind in (str, int, bool):
        return _expect(raw, kind, path)
    raise TypeError(f"{path}: cannot load a {kind}")


def _expect(raw: Any, kind: type, path: str) -> Any:
    # bool is an int in Python; a flag stored where a count belongs is an error, not a 1.
    if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
        raise ValueError(f"{path}: expected {kind.__name__}, got {raw!r}")
    return raw
