"""The official papers of the commendation route, between the unit's dossier and the decision.

Biên bản họp bình xét and Tờ trình of the Cụm/Khối, Báo cáo thẩm định and Tờ trình of the Ban
TĐKT, the dự thảo Quyết định the board attaches, and the Thông báo on the lines not awarded.
Each is a pure ``build(data, template) -> OfficialDocument``: ``data`` is a frozen snapshot
(service/documents/inputs.py) and ``template`` the parsed ``templates/<name>.json``, which holds
all the wording; Python only chooses which lines a paper lists and counts them.

Template strings are ``str.format_map`` patterns over the paper's fields (see ``_fields``). The
signer's authority lines come from the template too, through the snapshot, so they may name the
same fields ("TM. {issuer_upper}"). A value the snapshot does not know (a Tờ trình received
without a number, a meeting's time) prints as the template's ``unknown`` mark, to be written in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, time
from decimal import ROUND_DOWN, Decimal
from typing import Any

from service.documents.decision import DecisionInput, decision_document, legal_bases_for
from service.documents.inputs import (
    AppraisalInput,
    AwardNoticeInput,
    BoardSubmissionInput,
    ClusterMinutesInput,
    ClusterSubmissionInput,
    Line,
    Paper,
    normalized,
)
from service.documents.nd30 import (
    Annex,
    Column,
    DataTable,
    OfficialDocument,
    Para,
    Signature,
    date_words,
    document_number,
)
from service.domain.money import format_money, money_line, reward_amount

__all__ = [
    "AppraisalInput", "AwardNoticeInput", "BoardSubmissionInput", "ClusterMinutesInput",
    "ClusterSubmissionInput", "appraisal", "award_notice", "board_submission",
    "cluster_minutes", "cluster_submission", "draft_decision", "in_sentence",
]

APPROVED, NOT_APPROVED = "approved", "not_approved"
ANNEX_ORDER = ("individual", "collective", "household")  # the Danh sách đề nghị, one per group
RATE_PLACES = Decimal("0.01")


def cluster_minutes(data: ClusterMinutesInput, template: dict[str, Any]) -> OfficialDocument:
    """Biên bản họp bình xét thi đua, khen thưởng of the cluster (Mẫu 1.9).

    Every line considered at the meeting, with its score, its votes and their share of the
    valid ballots. Signed by the secretary (left) and the chair (right); the template leaves out
    the date line, as the meeting's time opens the body. Fields: held_on, place, chair,
    secretary, starts_at, ends_at, member_count, present_count, absent_count, ballots_issued,
    ballots_valid; proposed (in ``results``); name and reason (in ``not_proposed_line``)."""
    data = normalized(data)
    t, paper, meeting = template, data.paper, data.meeting
    f = _fields(paper, t, held_on=date_words(meeting.held_on), place=meeting.place,
                chair=meeting.chair, secretary=meeting.secretary or t["unknown"],
                starts_at=_clock(t, meeting.starts_at), ends_at=_clock(t, meeting.ends_at),
                member_count=len(meeting.members), present_count=len(meeting.present),
                absent_count=len(meeting.absent),
                ballots_issued=_known(t, meeting.ballots_issued),
                ballots_valid=_known(t, meeting.ballots_valid))
    body: list = [_fill(line, f) for line in t["opening"]]
    body.append(_fill(t["attendance"], f))
    body += _listed(meeting.present)
    if meeting.absent:
        body.append(_fill(t["absence"], f))
        body += _listed(meeting.absent)
    else:
        body.append(_fill(t["no_absence"], f))
    body.append(Para(_fill(t["content_heading"], f), bold=True))
    body += [_fill(line, f) for line in t["content"]]
    body.append(_fill(t["ballots"], f))
    body.append(_table(t["table"], tuple(
        (line.name, line.unit, line.award, _number_vi(t, line.score),
         _known(t, line.votes_for), _rate(t, line.votes_for, meeting.ballots_valid),
         t["outcomes"][line.outcome])
        for line in paper.lines), compact=True))
    proposed = _with(paper.lines, APPROVED)
    if proposed:
        body.append(_fill(t["results"], {**f, "proposed": _cases(t, proposed)}))
        body += _award_lines(t, t["results_award"], proposed, f)
    else:
        body.append(_fill(t["results_none"], f))
    left_out = _with(paper.lines, NOT_APPROVED)
    if left_out:
        body.append(_fill(t["not_proposed"], f))
        body += _punctuated([_fill(t["not_proposed_line"], {
            **f, "name": line.name, "reason": line.reason or t["unknown"]}) for line in left_out])
    body.append(_fill(t["closing"], f))
    secretary = Signature(tuple(t["secretary_authority"]), meeting.secretary or "")
    return _document(paper, t, f, body=tuple(body), co_signer=secretary)


def cluster_submission(data: ClusterSubmissionInput,
                       template: dict[str, Any]) -> OfficialDocument:
    """Tờ trình of the cluster to the Ban TĐKT, with the Danh sách đề nghị as annexes: one
    per group of subjects (cá nhân, tập thể, hộ gia đình), only the lines it proposes.
    Fields: meeting_date, leader_title, proposed, awards; award and counts (in ``award_line``);
    roman (in the annex label)."""
    data = normalized(data)
    t, paper = template, data.paper
    proposed = _with(paper.lines, APPROVED)
    if not proposed:
        raise ValueError("a cluster's Tờ trình needs at least one line it proposes")
    f = _fields(paper, t, meeting_date=date_words(data.meeting_date),
                leader_title=_leader_title(t, paper.issuer),
                proposed=_cases(t, proposed), awards=_join(list(_by_award(proposed))))
    body = [_fill(line, f) for line in t["proposal"]]
    body += _award_lines(t, t["award_line"], proposed, f)
    body += [_fill(line, f) for line in t["closing"]]
    groups = [(kind, [line for line in proposed if line.subject_type == kind])
              for kind in ANNEX_ORDER]
    groups = [(kind, lines) for kind, lines in groups if lines]
    spec = t["annex"]
    annexes = tuple(
        Annex(
            heading=_fill(spec["groups"][kind]["heading"], f),
            guide=_fill(spec["guide"], f),
            rows=tuple((line.name, line.unit, line.award, line.summary) for line in lines),
            columns=tuple(Column.of(c) for c in spec["groups"][kind]["columns"]),
            label=_fill(spec["label"], {**f, "roman": _roman(index)}) if len(groups) > 1
            else None,
        )
        for index, (kind, lines) in enumerate(groups, start=1)
    )
    return _document(paper, t, f, legal_bases=_bases(paper, t, f), body=tuple(body),
                     annexes=annexes)


def appraisal(data: AppraisalInput, template: dict[str, Any]) -> OfficialDocument:
    """Báo cáo thẩm định of the Ban TĐKT (Mẫu 1.4): what it received, its conclusion per award,
    every line with its result (and the reason where it is not eligible), and the
    specialist's findings. Fields: received_number, received_date, proposed; award, eligible
    and ineligible (in ``award_conclusion``)."""
    data = normalized(data)
    t, paper = template, data.paper
    f = _fields(paper, t, received_number=data.received_number or t["unknown"],
                received_date=date_words(data.received_date) if data.received_date
                else t["unknown"], proposed=_cases(t, paper.lines))
    body: list = [_fill(line, f) for line in t["received"]]
    body.append(Para(_fill(t["conclusions_heading"], f), bold=True))
    conclusions = []
    for award, lines in _by_award(paper.lines).items():
        conclusions.append(_fill(t["award_conclusion"], {
            **f, "award": award, "proposed": _cases(t, lines),
            "eligible": _cases(t, _with(lines, APPROVED)),
            "ineligible": _cases(t, _with(lines, NOT_APPROVED))}))
    body += _punctuated(conclusions)
    body.append(Para(_fill(t["table_heading"], f), bold=True))
    body.append(_table(t["table"], tuple(
        (line.name, line.unit, line.award, _result(t, line)) for line in paper.lines)))
    findings = [part.strip() for part in data.findings.split("\n") if part.strip()]
    if findings:
        body.append(Para(_fill(t["findings_heading"], f), bold=True))
        body += findings
    body.append(_fill(t["closing"], f))
    return _document(paper, t, f, body=tuple(body))


def board_submission(data: BoardSubmissionInput, template: dict[str, Any]) -> OfficialDocument:
    """Tờ trình of the Ban TĐKT to the Chairman: the approved lines counted per award and
    subject, the reward money in figures and words, with the draft decision attached.
    Fields: appraisal_number, achievement, proposed, awards, total, base_salary; award, counts
    and amount (in ``award_line``)."""
    data = normalized(data)
    t, paper = template, data.paper
    approved = _with(paper.lines, APPROVED)
    if not approved:
        raise ValueError("the board's Tờ trình needs at least one approved line")
    f = _fields(paper, t, appraisal_number=data.appraisal_number or t["unknown"],
                achievement=data.achievement, proposed=_cases(t, approved),
                awards=_join(list(_by_award(approved))),
                total=money_line(_reward(approved, data.base_salary)),
                base_salary=format_money(data.base_salary))
    body = [_fill(line, f) for line in t["proposal"]]
    body += _punctuated([
        _fill(t["award_line"], {**f, "award": award, "counts": _counts(t, lines),
                                "amount": money_line(_reward(lines, data.base_salary))})
        for award, lines in _by_award(approved).items()])
    body.append(_fill(t["money_total"], f))
    body.append(Para(_fill(t["attachment"], f), italic=True))
    body.append(_fill(t["closing"], f))
    return _document(paper, t, f, legal_bases=_bases(paper, t, f), body=tuple(body))


def draft_decision(data: DecisionInput, template: dict[str, Any]) -> OfficialDocument:
    """Dự thảo Quyết định: the decision as the board proposes it, from the decision's own
    template, with no number or date yet and the draft marker on page 1."""
    return decision_document(replace(data, draft=True), template)


def award_notice(data: AwardNoticeInput, template: dict[str, Any]) -> OfficialDocument:
    """Thông báo of the Ban TĐKT to the proposing unit: each line not awarded by the
    Quyết định, with its reason. Fields: decision_number, decision_date."""
    data = normalized(data)
    t, paper = template, data.paper
    left_out = _with(paper.lines, NOT_APPROVED)
    if not left_out:
        raise ValueError("a notice needs at least one line that was not awarded")
    f = _fields(paper, t, decision_number=data.decision_number or t["unknown"],
                decision_date=date_words(data.decision_date))
    body: list = [_fill(line, f) for line in t["announcement"]]
    body.append(_table(t["table"], tuple(
        (line.name, line.unit, line.award, line.reason or t["unknown"]) for line in left_out)))
    body += [_fill(line, f) for line in t["closing"]]
    return _document(paper, t, f, body=tuple(body))


# --- shared parts ------------------------------------------------------------------------------


def _fields(paper: Paper, t: dict, **more: Any) -> dict[str, Any]:
    """What every template string of a route paper may name (province, issuer, issuer_upper,
    unit, proposer, campaign, campaign_lower, year, number, date); ``more`` adds the paper's
    own."""
    number = document_number(paper.sequence, t["type_code"], paper.body_code)
    return {
        "province": paper.province,
        "issuer": paper.issuer,
        "issuer_upper": paper.issuer.upper(),
        "unit": paper.unit,
        # The Tờ trình the board receives comes from the cluster when the unit has one.
        "proposer": paper.cluster or paper.unit,
        "campaign": paper.campaign,
        "campaign_lower": in_sentence(paper.campaign),
        "year": paper.year,
        "number": number,
        "date": date_words(paper.date, paper.year),
        **more,
    }


def _document(paper: Paper, t: dict, f: dict, **parts: Any) -> OfficialDocument:
    return OfficialDocument(
        kind=t["kind"],
        parent_body=paper.parent_body,
        issuing_body=paper.issuer,
        number=f["number"],
        place=paper.province,
        date=paper.date,
        year=paper.year,
        dated=t["date_line"],
        summary=_fill(t["summary"], f),
        addressees=tuple(_fill(a, f) for a in t["addressees"]),
        signer_authority=tuple(_fill(line, f) for line in paper.signer.authority),
        signer_name=paper.signer.name,
        recipients=tuple(_fill(r, f) for r in t["recipients"]),
        archive=t["archive"],
        **parts,
    )


def in_sentence(name: str) -> str:
    """"phong trào thi đua …": a name that opens with a capital, as it reads mid-sentence."""
    return name[:1].lower() + name[1:]


def _bases(paper: Paper, t: dict, f: dict) -> tuple[str, ...]:
    """The "Căn cứ" lines: the legal regime in force on the paper's date (a draft's is taken
    to fall within its year), then the paper's own."""
    on = paper.date or date(paper.year, 12, 31)
    return (*legal_bases_for(t, on), *(_fill(line, f) for line in t["bases"]))


def _leader_title(t: dict, issuer: str) -> str:
    """"TRƯỞNG CỤM" or "TRƯỞNG KHỐI": the template's title for the first key that starts the
    issuer's name ("" starts every name)."""
    for prefix, title in t["leader_titles"].items():
        if issuer.startswith(unicodedata.normalize("NFC", prefix)):
            return title
    raise ValueError(f"the template has no leader title for {issuer!r}")


def _fill(pattern: str, f: dict) -> str:
    return pattern.format_map(f)


def _with(lines: tuple[Line, ...] | list[Line], outcome: str) -> list[Line]:
    return [line for line in lines if line.outcome == outcome]


def _by_award(lines) -> dict[str, list[Line]]:
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.award, []).append(line)
    return groups


def _reward(lines, base_salary: int) -> int:
    """Tiền thưởng of the lines: each line's multiplier × mức lương cơ sở, rounded per line as
    each is paid."""
    return sum(reward_amount(line.multiplier, base_salary) for line in lines)


def _counts(t: dict, lines) -> str:
    """``1 tập thể và 2 cá nhân``, in the order of the template's subjects."""
    return _join([f"{n} {noun}" for kind, noun in t["subjects"].items()
                  if (n := sum(1 for line in lines if line.subject_type == kind))])


def _cases(t: dict, lines) -> str:
    """``3 trường hợp (1 tập thể và 2 cá nhân)``, or the template's words for none."""
    if not lines:
        return t["no_cases"]
    return t["cases"].format(count=len(lines), counts=_counts(t, lines))


def _award_lines(t: dict, pattern: str, lines, f: dict) -> list[str]:
    return _punctuated([_fill(pattern, {**f, "award": award, "counts": _counts(t, group)})
                        for award, group in _by_award(lines).items()])


def _listed(names) -> list[str]:
    return _punctuated([f"- {name}" for name in names])


def _punctuated(items: list[str]) -> list[str]:
    """A list in running text: each item ends with ";", the last with "."; whatever the item
    ended with (a reason typed with its full stop) gives way."""
    return [f"{item.rstrip(' .;')}{'.' if i == len(items) - 1 else ';'}"
            for i, item in enumerate(items)]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} và {items[-1]}"


def _table(spec: dict, rows: tuple[tuple[str, ...], ...], *, compact: bool = False) -> DataTable:
    return DataTable(tuple(Column.of(c) for c in spec["columns"]), rows, compact=compact)


def _result(t: dict, line: Line) -> str:
    label = t["outcomes"][line.outcome]
    if line.outcome == NOT_APPROVED:
        return t["result_with_reason"].format(outcome=label, reason=line.reason or t["unknown"])
    return label


def _known(t: dict, value: int | None) -> str:
    return t["not_known"] if value is None else str(value)


def _number_vi(t: dict, value: Decimal | None) -> str:
    """``96,5``: a score as written, with the Vietnamese decimal comma."""
    return t["not_known"] if value is None else format(value, "f").replace(".", ",")


def _rate(t: dict, votes: int | None, valid: int | None) -> str:
    """Tỷ lệ (%) of the valid ballots, cut (not rounded) to two places, so that a rate just
    under a threshold never prints as reaching it."""
    if votes is None or not valid:
        return t["not_known"]
    rate = (Decimal(votes) * 100 / Decimal(valid)).quantize(RATE_PLACES, ROUND_DOWN)
    return _number_vi(t, rate.normalize() if rate == rate.to_integral() else rate)


def _clock(t: dict, moment: time | None) -> str:
    if moment is None:
        return t["unknown"]
    return t["clock"].format(hour=moment.hour, minute=f"{moment.minute:02d}")


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, numeral in numerals:
        while n >= value:
            out, n = out + numeral, n - value
    return out
