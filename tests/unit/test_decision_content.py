import io
from datetime import date
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn

from service.documents.decision import (
    DecisionInput,
    ProposalLine,
    build_decision_docx,
    decision_document,
    legal_bases_for,
    load_template,
)

BK = "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
CO = "Cờ thi đua của Ủy ban nhân dân tỉnh"

LINES = (
    ProposalLine("collective", "Sở Tư pháp tỉnh Bình Thuận", "Cụm thi đua Nội chính",
                 CO, Decimal("8.0"), True),
    ProposalLine("collective", "Phòng Tư pháp huyện Tuy Phong", "huyện Tuy Phong",
                 BK, Decimal("3.0"), True),
    ProposalLine("individual", "Trần Thị Ánh Nguyệt", "Trưởng phòng, Sở Tư pháp",
                 BK, Decimal("1.0"), True),
    ProposalLine("individual", "Lê Văn Bị Loại", "Chuyên viên, Sở Tư pháp",
                 BK, Decimal("1.0"), False),
    ProposalLine("collective", "Phòng Tư pháp huyện Bắc Bình", "huyện Bắc Bình",
                 CO, Decimal("8.0"), False),
)


def _input(**changes) -> DecisionInput:
    data = dict(
        province="Bình Thuận", sequence=5, date=date(2023, 12, 5),
        signer_name="Nguyễn Hồng Hải", signer_role="vice_chairman", lines=LINES,
        submission_number="120/TTr-BTĐKT", submission_date=date(2023, 11, 28),
        base_salary=1_800_000, achievement="phong trào thi đua năm 2023",
    )
    data.update(changes)
    return DecisionInput(**data)


def _texts(raw: bytes) -> str:
    document = Document(io.BytesIO(raw))
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                     for p in document.element.body.iter(qn("w:p")))


@pytest.fixture(scope="module")
def text() -> str:
    return _texts(build_decision_docx(_input()))


def test_names_every_approved_line_and_no_rejected_one(text):
    for line in LINES:
        if line.approved:
            assert line.name in text
            assert line.unit in text
        else:
            assert line.name not in text
            assert line.unit not in text


def test_number_and_place_date_line(text):
    assert "Số: 05/QĐ-UBND" in text.splitlines()
    assert "Bình Thuận, ngày 05 tháng 12 năm 2023" in text.splitlines()


@pytest.mark.parametrize(("sequence", "number"), [(1, "01/QĐ-UBND"), (12, "12/QĐ-UBND"),
                                                  (305, "305/QĐ-UBND")])
def test_number_padding(sequence, number):
    assert decision_document(_input(sequence=sequence)).number == number


def test_article_one_awards_the_annexed_list(text):
    assert "Điều 1." in text.splitlines()  # two awards: the article is made of khoản
    assert f"1. Tặng {CO} cho 1 tập thể có tên trong danh sách kèm theo" in text
    assert f"2. Tặng {BK} cho 1 tập thể và 1 cá nhân có tên trong danh sách kèm theo" in text


def test_article_two_states_money_in_figures_and_words(text):
    assert "14.400.000 đồng (Mười bốn triệu bốn trăm nghìn đồng)" in text  # 8.0 × 1.800.000
    assert "5.400.000 đồng (Năm triệu bốn trăm nghìn đồng)" in text  # 3.0 × 1.800.000
    assert "1.800.000 đồng (Một triệu tám trăm nghìn đồng)" in text  # 1.0 × 1.800.000
    assert "3,0 lần mức lương cơ sở" in text


def test_article_two_with_one_award_is_a_single_paragraph():
    doc = decision_document(_input(lines=LINES[1:2], base_salary=2_340_000,
                                   date=date(2024, 9, 3)))
    money = doc.articles[1]
    assert money.more == ()
    assert "7.020.000 đồng (Bảy triệu không trăm hai mươi nghìn đồng)" in money.text
    assert doc.articles[0].text.startswith(f"Tặng {BK} cho 1 tập thể")


def test_signer_and_summary():
    doc = decision_document(_input())
    assert doc.signer_authority == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert decision_document(_input(signer_role="chairman")).signer_authority == ("CHỦ TỊCH",)
    assert doc.summary == f"Về việc tặng {CO} và {BK}"
    assert doc.issuer_heading == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN"
    assert doc.issuing_body == "ỦY BAN NHÂN DÂN\nTỈNH BÌNH THUẬN"


def test_one_annex_per_award_with_only_approved_rows():
    doc = decision_document(_input())
    assert [a.heading for a in doc.annexes] == [f"DANH SÁCH TẶNG {CO.upper()}",
                                                f"DANH SÁCH TẶNG {BK.upper()}"]
    assert [[r.name for r in a.rows] for a in doc.annexes] == [
        ["Sở Tư pháp tỉnh Bình Thuận"],
        ["Phòng Tư pháp huyện Tuy Phong", "Trần Thị Ánh Nguyệt"],
    ]
    assert doc.annexes[0].guide == ("(Kèm theo Quyết định số 05/QĐ-UBND ngày 05 tháng 12 năm "
                                    "2023 của Chủ tịch Ủy ban nhân dân tỉnh Bình Thuận)")


@pytest.mark.parametrize(
    ("on", "present", "absent"),
    [
        (date(2023, 12, 5), ("ngày 26 tháng 11 năm 2003", "91/2017/NĐ-CP"),
         ("06/2022/QH15", "98/2023/NĐ-CP", "152/2025/NĐ-CP")),
        (date(2024, 1, 1), ("06/2022/QH15", "98/2023/NĐ-CP"),
         ("ngày 26 tháng 11 năm 2003", "91/2017/NĐ-CP", "152/2025/NĐ-CP")),
        (date(2025, 6, 30), ("06/2022/QH15", "98/2023/NĐ-CP"), ("152/2025/NĐ-CP",)),
        (date(2025, 7, 1), ("06/2022/QH15", "152/2025/NĐ-CP", "ngày 16 tháng 6 năm 2025"),
         ("91/2017/NĐ-CP", "98/2023/NĐ-CP", "ngày 19 tháng 6 năm 2015")),
    ],
)
def test_legal_bases_follow_the_regime_of_the_date(on, present, absent):
    bases = " ".join(decision_document(_input(date=on)).legal_bases)
    for needle in present:
        assert needle in bases
    for needle in absent:
        assert needle not in bases


def test_regime_follows_the_receipt_date_when_given():
    doc = decision_document(_input(date=date(2024, 1, 15), regime_date=date(2023, 12, 15)))
    assert "91/2017/NĐ-CP" in " ".join(doc.legal_bases)
    assert "98/2023/NĐ-CP" not in " ".join(doc.legal_bases)


def test_legal_bases_end_with_the_boards_submission():
    bases = decision_document(_input(provincial_bases=("Căn cứ Quyết định số 30/2019/QĐ-UBND;",))
                              ).legal_bases
    assert all(line.startswith("Căn cứ") and line.endswith(";") for line in bases[:-1])
    assert bases[-2] == "Căn cứ Quyết định số 30/2019/QĐ-UBND;"
    assert bases[-1] == ("Theo đề nghị của Trưởng Ban Thi đua - Khen thưởng tỉnh tại Tờ trình số "
                         "120/TTr-BTĐKT ngày 28 tháng 11 năm 2023.")


def test_a_date_before_every_regime_is_refused():
    with pytest.raises(ValueError):
        legal_bases_for(load_template(), date(2010, 1, 1))


def test_a_decision_without_approved_lines_is_refused():
    with pytest.raises(ValueError):
        decision_document(_input(lines=LINES[3:]))
