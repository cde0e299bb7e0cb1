"""The demo province, modelled on Bình Thuận's 2023 campaign plan (samples/).

Fifteen emulation clusters and blocks (Cụm, Khối thi đua) with their member units. Names are
illustrative of a real province's structure; a deployment loads its own organisations.
"""

from __future__ import annotations

PROVINCE = ("UBND_TINH", "Ủy ban nhân dân tỉnh Bình Thuận", "UBND tỉnh", "Bình Thuận")
BOARD = ("BAN_TDKT", "Ban Thi đua - Khen thưởng tỉnh Bình Thuận", "Ban TĐKT")
COUNCIL = ("HD_TDKT", "Hội đồng Thi đua - Khen thưởng tỉnh Bình Thuận", "Hội đồng TĐKT")

CLUSTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cụm thi đua số 1", (
        "UBND thành phố Phan Thiết", "UBND huyện Hàm Thuận Bắc", "UBND huyện Bắc Bình",
        "UBND huyện Tuy Phong", "UBND huyện Phú Quý")),
    ("Cụm thi đua số 2", (
        "UBND thị xã La Gi", "UBND huyện Hàm Thuận Nam", "UBND huyện Hàm Tân",
        "UBND huyện Tánh Linh", "UBND huyện Đức Linh")),
    ("Khối thi đua số 3 (Kinh tế tổng hợp)", (
        "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Cục Thuế tỉnh", "Kho bạc Nhà nước tỉnh",
        "Cục Thống kê tỉnh")),
    ("Khối thi đua số 4 (Kinh tế ngành)", (
        "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn",
        "Sở Tài nguyên và Môi trường", "Sở Giao thông vận tải", "Sở Xây dựng")),
    ("Khối thi đua số 5 (Văn hóa - Xã hội)", (
        "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch",
        "Sở Lao động - Thương binh và Xã hội", "Sở Thông tin và Truyền thông")),
    ("Khối thi đua số 6 (Tổng hợp)", (
        "Văn phòng UBND tỉnh", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "Sở Nội vụ",
        "Ban Dân tộc tỉnh")),
    ("Khối thi đua số 7 (Mặt trận, đoàn thể)", (
        "Ủy ban MTTQ Việt Nam tỉnh", "Hội Nông dân tỉnh", "Hội Cựu chiến binh tỉnh",
        "Liên đoàn Lao động tỉnh", "Hội Liên hiệp Phụ nữ tỉnh", "Tỉnh đoàn Bình Thuận")),
    ("Khối thi đua số 8 (Doanh nghiệp)", (
        "Công ty Điện lực Bình Thuận", "Công ty Cổ phần Cấp thoát nước Bình Thuận",
        "Công ty TNHH MTV Xổ số kiến thiết Bình Thuận", "Công ty Cổ phần Môi trường và Dịch vụ "
        "đô thị Bình Thuận")),
    ("Khối thi đua số 9 (Nội chính)", (
        "Viện Kiểm sát nhân dân tỉnh", "Tòa án nhân dân tỉnh", "Cục Thi hành án dân sự tỉnh",
        "Công an tỉnh", "Bộ đội Biên phòng tỉnh", "Bộ Chỉ huy Quân sự tỉnh", "Thanh tra tỉnh",
        "Sở Tư pháp")),
    ("Khối thi đua số 10 (Ngân hàng)", (
        "Ngân hàng Nhà nước chi nhánh tỉnh", "Agribank chi nhánh Bình Thuận",
        "Vietcombank chi nhánh Bình Thuận", "BIDV chi nhánh Bình Thuận",
        "Ngân hàng Chính sách xã hội chi nhánh tỉnh")),
    ("Khối thi đua số 11 (Báo chí, đào tạo)", (
        "Đài Phát thanh - Truyền hình tỉnh", "Báo Bình Thuận", "Trường Chính trị tỉnh",
        "Trường Cao đẳng Cộng đồng Bình Thuận")),
    ("Khối thi đua số 12 (Trung ương trên địa bàn)", (
        "Bảo hiểm xã hội tỉnh", "Bưu điện tỉnh", "Viễn thông Bình Thuận",
        "Viettel Bình Thuận")),
    ("Khối thi đua số 13 (Khoa học, hội)", (
        "Sở Khoa học và Công nghệ", "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh",
        "Hội Chữ thập đỏ tỉnh", "Hội Văn học Nghệ thuật tỉnh")),
    ("Khối thi đua số 14 (Ban quản lý)", (
        "Ban Quản lý các khu công nghiệp tỉnh",
        "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp tỉnh",
        "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông tỉnh",
        "Ban Quản lý dự án đầu tư xây dựng các công trình nông nghiệp và PTNT tỉnh")),
    ("Khối thi đua số 15 (Sự nghiệp y tế, giáo dục)", (
        "Bệnh viện Đa khoa tỉnh", "Trung tâm Kiểm soát bệnh tật tỉnh",
        "Trường THPT Chuyên Trần Hưng Đạo", "Trường Cao đẳng Y tế Bình Thuận")),
)

# Province-level accounts: (username, full name, role, organisation code).
PROVINCE_USERS = (
    ("bantdkt", "Nguyễn Thị Thu Hà", "board_specialist", BOARD[0]),
    ("truongban", "Trần Văn Hùng", "board_head", BOARD[0]),
    ("thuky_hd", "Lê Thị Mỹ Dung", "council_secretary", COUNCIL[0]),
    ("chutich", "Đoàn Anh Dũng", "chairman", PROVINCE[0]),
    ("quantri", "Phạm Quốc Bảo", "admin", PROVINCE[0]),
    ("kiemtoan", "Võ Thị Ngọc Lan", "auditor", PROVINCE[0]),
)

CAMPAIGN = {
    "code": "NUOC-RUT-2023",
    "name": "Phong trào thi đua nước rút 05 tháng cuối năm 2023",
    "year": 2023,
    "plan_reference": "Kế hoạch phát động phong trào thi đua nước rút 05 tháng cuối năm 2023 "
                      "của UBND tỉnh Bình Thuận",
    "start_date": "2023-08-01",
    "deadline": "2023-12-15",
}

OFFICER_NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Minh Châu", "Phạm Thị Diệu",
                 "Hoàng Văn Đức", "Huỳnh Thị Giang", "Võ Quang Huy", "Đặng Thị Kim")
HEAD_NAMES = ("Ngô Văn Long", "Bùi Thị Mai", "Đỗ Thành Nam", "Hồ Thị Oanh",
              "Dương Văn Phúc", "Lý Thị Quyên", "Trương Văn Sơn", "Phan Thị Tâm")
LEADER_NAMES = ("Lê Văn Thành", "Nguyễn Thị Hạnh", "Trần Quốc Khánh", "Phạm Văn Lợi",
                "Võ Thị Ngân", "Huỳnh Văn Phước", "Đặng Thị Quế", "Bùi Văn Rạng",
                "Ngô Thị Sương", "Mai Văn Tài", "Châu Thị Uyên", "Tô Văn Vinh",
                "Lâm Thị Xuân", "Kiều Văn Yên", "Hà Thị Ánh")
