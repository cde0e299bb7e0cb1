"""Báo cáo thành tích: the achievement report, offered to the unit prefilled, to complete and
upload back.

What the service knows is filled in (the header, the award, the name, the unit, the awards
already on record); where the unit must write, the template puts its guidance in italics in
brackets. The two forms, for a collective and for an individual, are two templates read by the
same builder. The report is the unit's own paper: it has no number from a register and no
"Nơi nhận", and it is signed by the unit's head (and, for an individual, by the person).
"""

from __future__ import annotations

from typing import Any

from service.documents.inputs import AchievementReportInput, normalized
from service.documents.nd30 import Column, DataTable, OfficialDocument, Para, Signature
from service.documents.route_papers import in_sentence


def achievement_report(data: AchievementReportInput,
                       template: dict[str, Any]) -> OfficialDocument:
    """The report in the form of ``template`` (achievement_report_collective.json or
    achievement_report_individual.json), which must be the form for the data's subject."""
    t, data = template, normalized(data)
    if data.subject_type != t["subject_type"]:
        raise ValueError(f"the {t['template']} form is not for a {data.subject_type} subject")
    f = {
        "name": data.name,
        "position": data.position or t["blank"],
        "unit": data.unit,
        "parent_body": data.parent_body or t["blank"],
        "award": data.award,
        "award_upper": data.award.upper(),
        "campaign": data.campaign,
        "campaign_lower": in_sentence(data.campaign),
        "year": data.year,
        "province": data.province,
        "blank": t["blank"],
    }
    signatures = t["signatures"]
    signer = _signature(signatures["right"], f)
    left = signatures["left"]
    return OfficialDocument(
        kind=t["kind"],
        parent_body=data.parent_body,
        issuing_body=data.unit,
        number=None,
        place=data.province,
        date=data.place_date,
        year=data.year,
        summary=t["summary"].format_map(f),
        signer_authority=signer.authority,
        signer_name=signer.name,
        signer_note=signer.note,
        co_signer=_signature(left, f) if left else None,
        recipients=(),
        archive=None,
        body=tuple(_block(item, data, f) for item in t["body"]),
    )


def _block(item: dict, data: AchievementReportInput, f: dict):
    """One item of the template's body: a heading, a line of text, the unit's guidance, or
    the table of past awards."""
    if "heading" in item:
        return Para(item["heading"].format_map(f), bold=True)
    if "text" in item:
        return item["text"].format_map(f)
    if "guide" in item:
        return Para(item["guide"].format_map(f), italic=True)
    if "past_awards" in item:
        spec = item["past_awards"]
        rows = tuple((str(award.year), award.award, award.decision)
                     for award in data.past_awards)
        # With nothing on record the unit still gets a table to write in.
        rows = rows or (("",) * len(spec["columns"]),) * spec["empty_rows"]
        return DataTable(tuple(Column.of(c) for c in spec["columns"]), rows, numbered=False)
    raise ValueError(f"unknown item in the report template: {item!r}")


def _signature(spec: dict, f: dict) -> Signature:
    return Signature(tuple(line.format_map(f) for line in spec["authority"]),
                     spec["name"].format_map(f), spec["note"])
