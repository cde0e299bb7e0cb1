"""Specimen inputs of every paper: one dossier of Bình Thuận's 2023 campaign along its route.

UBND huyện Tuy Phong proposes five lines; Cụm thi đua số 1 meets on 01/12/2023 and proposes
four; the Ban TĐKT finds one of those not eligible and puts three to the Chairman, who awards
them on 20/12/2023. An edited template is checked by rendering its specimen, and the layout
tests render them all; names are illustrative.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from decimal import Decimal

from service.documents.decision import DecisionInput, ProposalLine
from service.documents.inputs import (
    AchievementReportInput,
    AppraisalInput,
    AwardNoticeInput,
    BoardSubmissionInput,
    ClusterMinutesInput,
    ClusterSubmissionInput,
    Line,
    Meeting,
    Paper,
    PastAward,
    Signer,
)

PROVINCE = "Bình Thuận"
PROVINCE_BODY = "UBND tỉnh Bình Thuận"  # as the letterheads write it
BOARD = "Ban Thi đua - Khen thưởng"
CLUSTER = "Cụm thi đua số 1"
UNIT = "UBND huyện Tuy Phong"
CAMPAIGN = "Phong trào thi đua nước rút 05 tháng cuối năm 2023"
ACHIEVEMENT = "phong trào thi đua nước rút 05 tháng cuối năm 2023"
CO = "Cờ thi đua của Ủy ban nhân dân tỉnh"
BK = "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
BASE_SALARY_2023 = 1_800_000  # from 01/7/2023
CLUSTER_MEMBERS = ("UBND thành phố Phan Thiết", "UBND huyện Hàm Thuận Bắc",
                   "UBND huyện Bắc Bình", "UBND huyện Tuy Phong", "UBND huyện Phú Quý")
BOARD_HEAD = Signer("Trần Văn Hùng", ("TRƯỞNG BAN",))
CHAIRMAN = "Đoàn Anh Dũng"

# The dossier's lines as the cluster leaves them: one not proposed, with its reason.
CLUSTER_LINES = (
    Line(1, "collective", "Ủy ban nhân dân huyện Tuy Phong", "huyện Tuy Phong", CO,
         Decimal("8.0"), "Dẫn đầu Cụm thi đua số 1; hoàn thành vượt mức 18/18 chỉ tiêu "
         "kinh tế - xã hội năm 2023.", "approved", None, 11, Decimal("96.5")),
    Line(2, "collective", "Phòng Tài chính - Kế hoạch huyện Tuy Phong", "UBND huyện Tuy Phong",
         BK, Decimal("3.0"), "Thu ngân sách trên địa bàn đạt 112% dự toán năm.", "approved",
         None, 10, Decimal("92.25")),
    Line(3, "individual", "Trần Thị Ánh Nguyệt", "Trưởng phòng Nội vụ, UBND huyện Tuy Phong",
         BK, Decimal("1.0"), "Tham mưu hoàn thành sắp xếp đơn vị hành chính cấp xã.",
         "approved", None, 9, None),
    Line(4, "individual", "Nguyễn Hữu Phước", "Chủ tịch UBND xã Phú Lạc, huyện Tuy Phong", BK,
         Decimal("1.0"), "Xã hoàn thành tiêu chí nông thôn mới nâng cao.", "not_approved",
         "Không đạt tỷ lệ phiếu đồng ý theo Quy chế hoạt động của Cụm.", 6, Decimal("85")),
    Line(5, "household", "Hộ ông Nguyễn Văn Bảy", "thôn Lạc Tân, xã Phú Lạc, huyện Tuy Phong",
         BK, Decimal("1.5"), "Hiến 1.200 m² đất làm đường giao thông nông thôn.", "approved",
         None, 11, None),
)
# … and as the Ban TĐKT leaves them after thẩm định.
BOARD_LINES = tuple(
    replace(line, outcome="not_approved",
            reason="Chưa đủ 02 năm liên tục hoàn thành xuất sắc nhiệm vụ.")
    if line.position == 3 else line
    for line in CLUSTER_LINES
)


def _paper(issuer: str, body_code: str, sequence: int | None, on: date | None,
           signer: Signer, lines: tuple[Line, ...]) -> Paper:
    return Paper(province=PROVINCE, issuer=issuer, parent_body=PROVINCE_BODY,
                 body_code=body_code, sequence=sequence, date=on, signer=signer,
                 campaign=CAMPAIGN, year=2023, unit=UNIT, cluster=CLUSTER, lines=lines)


def cluster_minutes() -> ClusterMinutesInput:
    return ClusterMinutesInput(
        paper=_paper(CLUSTER, "CTĐ", 1, date(2023, 12, 1),
                     Signer("Lê Văn Thành", ("CHỦ TRÌ",)), CLUSTER_LINES),
        meeting=Meeting(
            held_on=date(2023, 12, 1), place="Hội trường Ủy ban nhân dân huyện Tuy Phong",
            chair="Ông Lê Văn Thành, Chủ tịch UBND huyện Tuy Phong, Trưởng Cụm thi đua số 1",
            secretary="Nguyễn Thị Hạnh", members=CLUSTER_MEMBERS,
            present=CLUSTER_MEMBERS[:4], absent=CLUSTER_MEMBERS[4:],
            ballots_issued=12, ballots_valid=11, starts_at=time(8, 0), ends_at=time(11, 30)),
    )


def cluster_submission() -> ClusterSubmissionInput:
    return ClusterSubmissionInput(
        paper=_paper(CLUSTER, "CTĐ", 3, date(2023, 12, 4),
                     Signer("Lê Văn Thành", ("TM. CỤM THI ĐUA SỐ 1", "TRƯỞNG CỤM")),
                     CLUSTER_LINES),
        meeting_date=date(2023, 12, 1),
    )


def appraisal() -> AppraisalInput:
    return AppraisalInput(
        paper=_paper(BOARD, "BTĐKT", 12, date(2023, 12, 12), BOARD_HEAD, BOARD_LINES),
        received_number="03/TTr-CTĐ", received_date=date(2023, 12, 5),
        findings="Hồ sơ đủ thành phần theo quy định.\nCác tập thể được đề nghị đều hoàn thành "
                 "vượt mức chỉ tiêu được giao; đề nghị khen thưởng 03 trường hợp đủ điều kiện.",
    )


def board_submission() -> BoardSubmissionInput:
    return BoardSubmissionInput(
        paper=_paper(BOARD, "BTĐKT", 120, date(2023, 12, 14), BOARD_HEAD, BOARD_LINES),
        appraisal_number="12/BC-BTĐKT", base_salary=BASE_SALARY_2023, achievement=ACHIEVEMENT,
    )


def decision() -> DecisionInput:
    return DecisionInput(
        province=PROVINCE, sequence=5, date=date(2023, 12, 20), signer_name=CHAIRMAN,
        signer_role="chairman",
        lines=tuple(ProposalLine(line.subject_type, line.name, line.unit, line.award,
                                 line.multiplier, line.outcome == "approved")
                    for line in BOARD_LINES),
        submission_number="120/TTr-BTĐKT", submission_date=date(2023, 12, 14),
        base_salary=BASE_SALARY_2023, achievement=ACHIEVEMENT, regime_date=date(2023, 12, 5),
    )


def draft_decision() -> DecisionInput:
    return replace(decision(), sequence=None, date=None, year=2023, draft=True)


def award_notice() -> AwardNoticeInput:
    return AwardNoticeInput(
        paper=_paper(BOARD, "BTĐKT", 15, date(2023, 12, 21), BOARD_HEAD, BOARD_LINES),
        decision_number="05/QĐ-UBND", decision_date=date(2023, 12, 20),
    )


def achievement_report_collective() -> AchievementReportInput:
    return AchievementReportInput(
        subject_type="collective", name="Phòng Tài chính - Kế hoạch huyện Tuy Phong",
        position=None, unit="Phòng Tài chính - Kế hoạch", parent_body=UNIT, award=BK,
        campaign=CAMPAIGN, year=2023, province=PROVINCE,
        past_awards=(
            PastAward(2022, "Tập thể lao động xuất sắc", "Quyết định số 215/QĐ-UBND ngày "
                      "20/01/2023 của Chủ tịch UBND tỉnh Bình Thuận"),
            PastAward(2021, "Giấy khen của Chủ tịch UBND huyện Tuy Phong", "Quyết định số "
                      "1520/QĐ-UBND ngày 28/12/2021 của Chủ tịch UBND huyện Tuy Phong"),
        ),
        place_date=None,
    )


def achievement_report_individual() -> AchievementReportInput:
    return AchievementReportInput(
        subject_type="individual", name="Trần Thị Ánh Nguyệt", position="Trưởng phòng Nội vụ",
        unit="Phòng Nội vụ huyện Tuy Phong", parent_body=UNIT, award=BK, campaign=CAMPAIGN,
        year=2023, province=PROVINCE,
        past_awards=(PastAward(2022, "Chiến sĩ thi đua cơ sở", "Quyết định số 98/QĐ-UBND "
                               "ngày 12/01/2023 của Chủ tịch UBND huyện Tuy Phong"),),
        place_date=None,
    )
