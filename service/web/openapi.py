"""The OpenAPI 3.1 document of the v1 API, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import lru_cache

ERROR = {"$ref": "#/components/schemas/Error"}


def _op(summary: str, *, ok: int = 200, body: str | None = None, params=(), errors=(401, 403),
        auth: bool = True, multipart: bool = False, response: str | None = None) -> dict:
    op: dict = {"summary": summary, "responses": {
        str(ok): {"description": "OK", "content": {"application/json": {"schema": (
            {"$ref": f"#/components/schemas/{response}"} if response else {"type": "object"})}}},
    }}
    for code in errors:
        op["responses"][str(code)] = {"description": "Error",
                                      "content": {"application/json": {"schema": ERROR}}}
    if params:
        op["parameters"] = [
            {"name": n, "in": where, "required": where == "path",
             "schema": {"type": "integer" if t == "int" else "string"}}
            for n, where, t in params
        ]
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body}"}}}}
    if multipart:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "kind": {"type": "string"},
                           "document_id": {"type": "integer"}}}}}}
    if not auth:
        op["security"] = []
    return op


def _xml_op(summary: str, *, ok: int, errors: tuple[int, ...]) -> dict:
    """An operation whose body is a BPMN document (raw XML, or a multipart ``file``)."""
    op = _op(summary, ok=ok, params=(("key", "path", "str"),), errors=errors)
    op["requestBody"] = {"required": True, "content": {
        "application/xml": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}}}}}}
    for code in ("413", "422"):
        if code in op["responses"]:
            op["responses"][code]["content"]["application/json"]["schema"] = {
                "$ref": "#/components/schemas/InvalidBpmn"}
    return op


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    dossier_id = ("dossier_id", "path", "int")
    task_id = ("task_id", "path", "str")
    cluster_params = (("cluster_id", "path", "int"), ("campaign_id", "path", "int"))
    publish = _xml_op("Công bố BPMN thành phiên bản mới (trùng nội dung: phiên bản đã có, 200)",
                      ok=201, errors=(401, 403, 413, 422))
    publish["responses"]["200"] = {"description": "Nội dung trùng một phiên bản đã công bố"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "TĐKT Flow API", "version": "1.0.0",
                 "description": "Hồ sơ đề nghị khen thưởng, hộp công việc, tài liệu, nhật ký."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/auth/token": {"post": _op("Lấy mã truy cập", ok=201, body="TokenRequest",
                                        errors=(400, 401, 422, 429), auth=False)},
            "/me": {"get": _op("Người dùng hiện tại", errors=(401,))},
            "/campaigns": {
                "get": _op("Danh sách đợt thi đua", errors=(401,)),
                "post": _op("Tạo đợt thi đua", ok=201, body="CampaignCreate",
                            errors=(401, 403, 422)),
            },
            "/dossiers": {
                "get": _op("Hồ sơ trong phạm vi", params=(
                    ("campaign", "query", "int"), ("status", "query", "str"),
                    ("unit", "query", "int"), ("q", "query", "str"),
                    ("cursor", "query", "str"))),
                "post": _op("Lập hồ sơ", ok=201, body="DossierCreate", errors=(401, 403, 422),
                            response="Dossier"),
            },
            "/dossiers/{dossier_id}": {"get": _op("Một hồ sơ", params=(dossier_id,),
                                                  errors=(401, 404), response="Dossier")},
            "/dossiers/{dossier_id}/proposals": {"post": _op(
                "Thêm dòng đề nghị", ok=201, params=(dossier_id,), body="Proposal",
                errors=(401, 403, 404, 422))},
            "/dossiers/{dossier_id}/documents": {"post": _op(
                "Tải lên tài liệu", ok=201, params=(dossier_id,), multipart=True,
                errors=(401, 403, 404, 413, 415, 422))},
            "/dossiers/{dossier_id}/documents/{document_id}": {"get": {
                "summary": "Tải xuống tài liệu (đã kiểm tra SHA-256)",
                "parameters": [
                    {"name": "dossier_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}},
                    {"name": "document_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}},
                    {"name": "version", "in": "query", "schema": {"type": "integer"}},
                    {"name": "format", "in": "query",
                     "description": "pdf: bản PDF kèm văn bản hệ thống lập",
                     "schema": {"enum": ["pdf"]}}],
                "responses": {"200": {"description": "Nội dung tệp",
                                      "content": {"application/octet-stream": {}}},
                              "404": {"description": "Error",
                                      "content": {"application/json": {"schema": ERROR}}}}}},
            "/dossiers/{dossier_id}/proposals/{proposal_id}/report-template": {"get": {
                "summary": "Báo cáo thành tích điền sẵn (.docx) của một dòng đề nghị",
                "parameters": [
                    {"name": "dossier_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}},
                    {"name": "proposal_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}}],
                "responses": {"200": {"description": ".docx", "content": {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                        {}}},
                              "404": {"description": "Error",
                                      "content": {"application/json": {"schema": ERROR}}}}}},
            "/dossiers/{dossier_id}/history": {"get": _op("Lịch sử xử lý",
                                                          params=(dossier_id,),
                                                          errors=(401, 404))},
            "/dossiers/{dossier_id}/route": {"get": _op(
                "Sơ đồ của hồ sơ: bước đã xử lý, bước đang chờ, trả lại, luồng đã đi",
                params=(dossier_id,), errors=(401, 404), response="DossierRoute")},
            "/dossiers/{dossier_id}/migrate": {"post": _op(
                "Chuyển hồ sơ đang chạy sang phiên bản quy trình mới hơn (quản trị)",
                params=(dossier_id,), body="Migration", errors=(401, 403, 404, 409, 422),
                response="Migrated")},
            "/campaigns/{campaign_id}/heatmap": {"get": _op(
                "Số hồ sơ chờ ở từng bước của đợt thi đua",
                params=(("campaign_id", "path", "int"),), errors=(401, 404),
                response="Heatmap")},
            "/campaigns/{campaign_id}/dashboard": {"get": _op(
                "Bảng tổng hợp đợt thi đua: đơn vị đã báo cáo, trễ hạn, hồ sơ chờ ở từng bước, "
                "dòng đề nghị theo hình thức khen thưởng (Ban TĐKT, lãnh đạo tỉnh, Cụm/Khối)",
                params=(("campaign_id", "path", "int"),), errors=(401, 403, 404),
                response="Dashboard")},
            "/tasks": {"get": _op("Hộp công việc", params=(("state", "query", "str"),
                                                          ("campaign", "query", "int"),
                                                          ("step", "query", "str")))},
            "/tasks/{task_id}": {"get": _op(
                "Một công việc và biểu mẫu xử lý: quyết định, trường, văn bản sẽ lập, dòng đề "
                "nghị, thành viên Cụm/Khối", params=(task_id,), errors=(401, 404))},
            "/templates": {"get": _op("Mẫu văn bản (quản trị)", errors=(401, 403))},
            "/templates/{name}": {
                "get": _op("Một mẫu văn bản, phiên bản mới nhất hoặc ?version=",
                           params=(("name", "path", "str"), ("version", "query", "int")),
                           errors=(401, 403, 404)),
                "post": _op("Công bố phiên bản mới của mẫu sau khi thử lập văn bản mẫu",
                            ok=201, params=(("name", "path", "str"),), body="Template",
                            errors=(401, 403, 404, 422))},
            "/notifications": {"get": _op(
                "Thông báo của người dùng (mới nhất trước; ?unread=1: chỉ chưa đọc)",
                params=(("unread", "query", "str"),), errors=(401,))},
            "/notifications/read": {"post": _op(
                "Đánh dấu thông báo đã đọc (ids hoặc all)", body="NotificationsRead",
                errors=(401, 403, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/table": {
                "get": _op("Bảng chấm điểm thi đua của Cụm/Khối cho một đợt thi đua",
                           params=cluster_params, errors=(401, 403, 404)),
                "put": _op("Đặt (thay) bảng chấm điểm khi chưa có đơn vị nào chấm (Trưởng "
                           "Cụm/Khối, quản trị); điểm trừ được trừ vào tổng",
                           params=cluster_params, body="ScoringTable",
                           errors=(401, 403, 404, 409, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/self-scores": {"post": _op(
                "Đơn vị thành viên tự chấm điểm theo bảng (0 ≤ điểm ≤ tối đa)",
                params=cluster_params, body="UnitScores", errors=(401, 403, 404, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/checked-scores": {"post": _op(
                "Trưởng Cụm/Khối ghi điểm chấm chéo của một đơn vị thành viên",
                params=cluster_params, body="CheckedScores", errors=(401, 403, 404, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/ranking": {"get": _op(
                "Xếp hạng đơn vị thành viên theo tổng điểm chấm chéo (chưa chấm: xếp cuối)",
                params=cluster_params, errors=(401, 403, 404))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/ballot": {
                "get": _op("Cuộc bỏ phiếu suy tôn đơn vị dẫn đầu gần nhất",
                           params=cluster_params, errors=(401, 403, 404)),
                "post": _op("Mở cuộc bỏ phiếu suy tôn (số đơn vị suy tôn, số phiếu phát ra)",
                            ok=201, params=cluster_params, body="NewClusterBallot",
                            errors=(401, 403, 404, 409, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/ballot/record": {"post": _op(
                "Ghi kết quả kiểm phiếu: hợp lệ ≤ thu về ≤ phát ra; phiếu mỗi đơn vị ≤ hợp lệ",
                params=cluster_params, body="ClusterBallotTally",
                errors=(401, 403, 404, 409, 422))},
            "/clusters/{cluster_id}/campaigns/{campaign_id}/ballot/close": {"post": _op(
                "Kết thúc bỏ phiếu: suy tôn đơn vị đạt trên 50% phiếu hợp lệ, nhiều phiếu nhất; "
                "bằng phiếu ở vị trí cuối: bỏ phiếu lại",
                params=cluster_params, errors=(401, 403, 404, 409, 422))},
            "/council/sessions": {"post": _op(
                "Mở phiên họp Hội đồng TĐKT tỉnh (thư ký Hội đồng, quản trị): số lượng ≥ 2/3 "
                "và ≥ 80% tổng số thành viên có mặt", ok=201, body="NewCouncilSession",
                errors=(401, 403, 422))},
            "/council/sessions/{session_id}": {"get": _op(
                "Phiên họp Hội đồng: phiếu, tỷ lệ trên tổng số thành viên, kết quả",
                params=(("session_id", "path", "int"),), errors=(401, 403, 404))},
            "/council/sessions/{session_id}/votes": {"post": _op(
                "Ghi nhận số phiếu đồng ý cho các dòng đề nghị cần Hội đồng bỏ phiếu",
                params=(("session_id", "path", "int"),), body="CouncilVotes",
                errors=(401, 403, 404, 409, 422))},
            "/council/sessions/{session_id}/close": {"post": _op(
                "Kết thúc phiên họp: dòng không đạt tỷ lệ phiếu thành không được khen thưởng",
                params=(("session_id", "path", "int"),), errors=(401, 403, 404, 409, 422))},
            "/freezes": {
                "get": _op("Tạm dừng xét khen thưởng đang có hiệu lực (Ban TĐKT, quản trị)",
                           errors=(401, 403)),
                "post": _op("Ghi nhận tạm dừng xét khen thưởng một người hoặc tập thể", ok=201,
                            body="NewFreeze", errors=(401, 403, 422))},
            "/freezes/{freeze_id}/lift": {"post": _op(
                "Chấm dứt tạm dừng (ngày kết thúc, mặc định hôm nay)",
                params=(("freeze_id", "path", "int"),), body="FreezeLift",
                errors=(401, 403, 404, 422))},
            "/tasks/{task_id}/reassign": {"post": _op(
                "Giao lại công việc cho người khác có vai trò xử lý (người đang nhận hoặc "
                "quản trị)", params=(task_id,), body="Reassign",
                errors=(401, 403, 404, 409, 422))},
            "/users": {
                "get": _op("Tài khoản (quản trị)", params=(("q", "query", "str"),),
                           errors=(401, 403)),
                "post": _op("Tạo tài khoản (quản trị)", ok=201, body="NewUser",
                            errors=(401, 403, 409, 422))},
            "/users/{user_id}/active": {"post": _op(
                "Khóa hoặc mở khóa tài khoản", params=(("user_id", "path", "int"),),
                body="UserActive", errors=(401, 403, 404, 409, 422))},
            "/users/{user_id}/roles": {"post": _op(
                "Giao vai trò tại một tổ chức", ok=201, params=(("user_id", "path", "int"),),
                body="RoleGrant", errors=(401, 403, 404, 409, 422))},
            "/users/{user_id}/roles/{assignment_id}": {"delete": _op(
                "Thu hồi một vai trò", params=(("user_id", "path", "int"),
                                               ("assignment_id", "path", "int")),
                errors=(401, 403, 404, 409))},
            "/tasks/{task_id}/claim": {"post": _op("Nhận xử lý", params=(task_id,),
                                                   errors=(401, 404, 409))},
            "/tasks/{task_id}/unclaim": {"post": _op("Trả lại hộp chung", params=(task_id,),
                                                     errors=(401, 404, 409))},
            "/tasks/{task_id}/complete": {"post": _op(
                "Cho ý kiến xử lý", params=(task_id, ("Idempotency-Key", "header", "str")),
                body="Completion", errors=(401, 403, 404, 409, 422))},
            "/process-models": {
                "get": _op("Quy trình", errors=(401,)),
                "post": {"summary": "Tải lên, kiểm tra và công bố BPMN",
                         "requestBody": {"content": {"multipart/form-data": {"schema": {
                             "type": "object",
                             "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                         "responses": {"201": {"description": "Đã công bố"},
                                       "422": {"description": "Báo cáo kiểm tra theo phần tử"},
                                       "403": {"description": "Error"}}},
            },
            "/process-models/{key}/draft": {"put": _xml_op(
                "Lưu bản nháp (ghi đè); vấn đề của sơ đồ được báo, không chặn việc lưu",
                ok=200, errors=(401, 403, 404, 413, 422))},
            "/process-models/{key}/publish": {"post": publish},
            "/process-models/{key}/diff": {"get": _op(
                "So sánh hai phiên bản: phần tử thêm, bỏ, thay đổi",
                params=(("key", "path", "str"), ("from", "query", "int"),
                        ("to", "query", "int")), errors=(401, 404), response="ModelDiff")},
            "/process-models/{key}/versions/{number}": {"get": _op(
                "Một phiên bản quy trình", params=(("key", "path", "str"),
                                                   ("number", "path", "int")),
                errors=(401, 404))},
            "/audit/events": {"get": _op(
                "Tra cứu nhật ký, mới nhất trước (kiểm toán viên, quản trị): items là bản ghi "
                "như khi xuất; next là giá trị before của trang sau",
                params=(("campaign", "query", "int"), ("unit", "query", "int"),
                        ("cluster", "query", "int"), ("actor", "query", "str"),
                        ("action", "query", "str"), ("award", "query", "str"),
                        ("from", "query", "str"), ("to", "query", "str"),
                        ("q", "query", "str"), ("before", "query", "int"),
                        ("limit", "query", "int")),
                errors=(401, 403, 422), response="AuditEvents")},
            "/audit/dossiers/{dossier_id}/trail": {"get": _op(
                "Toàn bộ nhật ký của một hồ sơ theo thứ tự chuỗi, kèm tài liệu từng sự kiện "
                "nêu và đầu chuỗi nhật ký", params=(dossier_id,), errors=(401, 403, 404))},
            "/audit/dossiers/{dossier_id}/report.pdf": {"get": {
                "summary": "Báo cáo PDF nhật ký của hồ sơ (việc lập báo cáo được ghi nhật ký)",
                "parameters": [{"name": "dossier_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}},
                              **{str(code): {"description": "Error", "content": {
                                  "application/json": {"schema": ERROR}}}
                                 for code in (401, 403, 404, 503)}}}},
            "/audit/export": {"get": {
                "summary": "Xuất nhật ký (JSON Lines, CSV hoặc XLSX) có dòng kết thúc đã ký, "
                           "kiểm bằng tdkt-verify; chỉ kiểm toán viên",
                "parameters": [
                    {"name": "format", "in": "query",
                     "schema": {"type": "string", "enum": ["jsonl", "csv", "xlsx"],
                                "default": "jsonl"}},
                    *({"name": n, "in": "query", "schema": {"type": "string"}}
                      for n in ("from", "to", "campaign"))],
                "responses": {
                    "200": {"description": "Luồng dữ liệu", "content": {
                        "application/x-ndjson": {}, "text/csv": {},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
                    "403": {"description": "Error",
                            "content": {"application/json": {"schema": ERROR}}}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "TokenRequest": {"type": "object", "required": ["username", "password"],
                                 "properties": {"username": {"type": "string"},
                                                "password": {"type": "string"}}},
                "CampaignCreate": {"type": "object", "required": ["code", "name", "deadline"],
                                   "properties": {"code": {"type": "string"},
                                                  "name": {"type": "string"},
                                                  "deadline": {"type": "string",
                                                               "format": "date"},
                                                  "start_date": {"type": "string",
                                                                 "format": "date"},
                                                  "plan_reference": {"type": "string"}}},
                "Proposal": {"type": "object",
                             "required": ["subject_type", "name", "award_code"],
                             "properties": {
                                 "subject_type": {"enum": ["collective", "individual",
                                                           "household"]},
                                 "name": {"type": "string"},
                                 "award_code": {"type": "string"},
                                 "summary": {"type": "string"}}},
                "DossierCreate": {"type": "object", "required": ["campaign_id", "title"],
                                  "properties": {
                                      "campaign_id": {"type": "integer"},
                                      "title": {"type": "string"},
                                      "proposals": {"type": "array", "items": {
                                          "$ref": "#/components/schemas/Proposal"}}}},
                "Dossier": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "campaign_id": {"type": "integer"},
                    "unit_id": {"type": "integer"}, "title": {"type": "string"},
                    "status": {"enum": ["draft", "in_review", "returned", "approved",
                                        "partly_approved", "rejected"]},
                    "current_step": {"type": ["string", "null"]},
                    "proposals": {"type": "array"}, "documents": {"type": "array"}}},
                "Issue": {"type": "object", "properties": {
                    "element_id": {"type": ["string", "null"]},
                    "element_name": {"type": ["string", "null"]},
                    "code": {"type": "string"}, "message": {"type": "string"}}},
                "InvalidBpmn": {"type": "object", "required": ["error", "issues"], "properties": {
                    "error": {"$ref": "#/components/schemas/Error/properties/error"},
                    "issues": {"type": "array",
                               "items": {"$ref": "#/components/schemas/Issue"}}}},
                "ModelDiff": {"type": "object", "properties": {
                    "from": {"type": "integer"}, "to": {"type": "integer"},
                    "added": {"type": "array"}, "removed": {"type": "array"},
                    "changed": {"type": "array"}}},
                "Migration": {"type": "object", "required": ["version"],
                              "properties": {"version": {"type": "integer"}}},
                "Migrated": {"type": "object", "properties": {
                    "dossier_id": {"type": "integer"}, "from_version": {"type": "integer"},
                    "to_version": {"type": "integer"},
                    "current_step": {"type": ["string", "null"]}}},
                "DossierRoute": {"type": "object", "properties": {
                    "model": {"type": "object"}, "xml": {"type": "string"},
                    "completed": {"type": "array", "items": {"type": "string"}},
                    "current": {"type": "array", "items": {"type": "string"}},
                    "returns": {"type": "array", "items": {"type": "object", "properties": {
                        "from": {"type": "string"}, "to": {"type": "string"},
                        "count": {"type": "integer"}}}},
                    "flows": {"type": "array", "items": {"type": "string"}}}},
                "Dashboard": {"type": "object", "properties": {
                    "campaign": {"type": "object"}, "today": {"type": "string", "format": "date"},
                    "deadline_passed": {"type": "boolean"},
                    "totals": {"type": "object", "description": "units, reported, late, "
                               "dossiers, by_status, open_tasks, overdue_tasks, lines"},
                    "clusters": {"type": "array", "description": "Cụm/Khối với từng đơn vị: "
                                 "reported, late, overdue_tasks, dossiers, by_status"},
                    "steps": {"type": "array", "description": "step, name, waiting, "
                              "oldest_working_days"},
                    "other_versions": {"type": "array"},
                    "awards": {"type": "array", "description": "code, name, proposed, "
                               "approved, not_approved"}}},
                "Heatmap": {"type": "object", "properties": {
                    "campaign": {"type": "object"}, "model": {"type": "object"},
                    "xml": {"type": "string"}, "steps": {"type": "object"},
                    "other_versions": {"type": "array"}}},
                "Completion": {"type": "object", "required": ["decision"], "properties": {
                    "decision": {"enum": ["approve", "return", "reject"]},
                    "comment": {"type": "string"}, "fields": {"type": "object"},
                    "excluded_lines": {
                        "type": "array",
                        "description": "Dòng đề nghị không chuyển tiếp (khi đồng ý), có lý do",
                        "items": {"type": "object", "required": ["proposal_id", "reason"],
                                  "properties": {"proposal_id": {"type": "integer"},
                                                 "reason": {"type": "string"}}}},
                    "moved_lines": {
                        "type": "array",
                        "description": "Dòng đề nghị chuyển tiếp với hình thức khác (khi đồng "
                                       "ý), có lý do",
                        "items": {"type": "object",
                                  "required": ["proposal_id", "award_code", "reason"],
                                  "properties": {"proposal_id": {"type": "integer"},
                                                 "award_code": {"type": "string"},
                                                 "reason": {"type": "string"}}}},
                    "meeting": {
                        "type": "object",
                        "description": "Cuộc họp bình xét của Cụm/Khối, bắt buộc khi bước lập "
                                       "biên bản (form.meeting_members của GET /tasks/{id})",
                        "required": ["present"],
                        "properties": {
                            "held_on": {"type": "string", "format": "date"},
                            "place": {"type": "string"}, "secretary": {"type": "string"},
                            "present": {"type": "array", "items": {"type": "integer"}},
                            "ballots_issued": {"type": "integer"},
                            "ballots_valid": {"type": "integer"},
                            "votes": {"type": "object",
                                      "additionalProperties": {"type": "integer"}},
                            "scores": {"type": "object",
                                       "additionalProperties": {"type": "number"}}}}}},
                "NotificationsRead": {"type": "object", "properties": {
                    "ids": {"type": "array", "items": {"type": "integer"}},
                    "all": {"type": "boolean"}}},
                "NewFreeze": {"type": "object",
                              "required": ["unit_id", "subject_type", "name", "kind", "reason"],
                              "properties": {
                                  "unit_id": {"type": "integer"},
                                  "subject_type": {"enum": ["collective", "individual",
                                                            "household"]},
                                  "name": {"type": "string"},
                                  "kind": {"enum": ["discipline", "investigation",
                                                    "inspection", "complaint", "press"]},
                                  "reason": {"type": "string"},
                                  "since": {"type": "string", "format": "date"},
                                  "until": {"type": "string", "format": "date"}}},
                "NewCouncilSession": {
                    "type": "object",
                    "required": ["campaign_id", "held_on", "members_total", "present"],
                    "properties": {"campaign_id": {"type": "integer"},
                                   "held_on": {"type": "string", "format": "date"},
                                   "members_total": {"type": "integer", "minimum": 1},
                                   "present": {"type": "integer", "minimum": 0},
                                   "absent_with_opinion": {"type": "integer", "minimum": 0},
                                   "minutes_note": {"type": "string"}}},
                "ScoringTable": {"type": "object", "required": ["criteria"], "properties": {
                    "criteria": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["title", "max_points"],
                        "properties": {"title": {"type": "string"},
                                       "max_points": {"type": ["number", "string"]},
                                       "kind": {"enum": ["criterion", "bonus", "penalty"]}}}}}},
                "UnitScores": {"type": "object", "required": ["scores"], "properties": {
                    "unit_id": {"type": "integer"},
                    "scores": {"type": "array", "items": {"$ref": "#/components/schemas/Points"}}}},
                "CheckedScores": {"type": "object", "required": ["unit_id", "scores"],
                                  "properties": {"unit_id": {"type": "integer"}, "scores": {
                                      "type": "array",
                                      "items": {"$ref": "#/components/schemas/Points"}}}},
                "Points": {"type": "object", "required": ["criterion_id", "points"],
                           "properties": {"criterion_id": {"type": "integer"},
                                          "points": {"type": ["number", "string"]},
                                          "note": {"type": "string"}}},
                "NewClusterBallot": {"type": "object", "required": ["seats", "ballots_issued"],
                                     "properties": {"seats": {"type": "integer", "minimum": 1},
                                                    "ballots_issued": {"type": "integer",
                                                                       "minimum": 1}}},
                "ClusterBallotTally": {
                    "type": "object", "required": ["ballots_returned", "ballots_valid", "counts"],
                    "properties": {"ballots_returned": {"type": "integer", "minimum": 0},
                                   "ballots_valid": {"type": "integer", "minimum": 0},
                                   "counts": {"type": "array", "items": {
                                       "type": "object", "required": ["unit_id", "votes_for"],
                                       "properties": {"unit_id": {"type": "integer"},
                                                      "votes_for": {"type": "integer",
                                                                    "minimum": 0}}}}}},
                "CouncilVotes": {"type": "object", "required": ["votes"], "properties": {
                    "votes": {"type": "array", "items": {
                        "type": "object", "required": ["proposal_id", "votes_for"],
                        "properties": {"proposal_id": {"type": "integer"},
                                       "votes_for": {"type": "integer", "minimum": 0}}}}}},
                "FreezeLift": {"type": "object", "properties": {
                    "until": {"type": "string", "format": "date"}}},
                "Reassign": {"type": "object", "required": ["username"],
                             "properties": {"username": {"type": "string"}}},
                "NewUser": {"type": "object", "required": ["username", "full_name", "password"],
                            "properties": {"username": {"type": "string"},
                                           "full_name": {"type": "string"},
                                           "password": {"type": "string", "minLength": 10}}},
                "UserActive": {"type": "object", "required": ["active"],
                               "properties": {"active": {"type": "boolean"}}},
                "RoleGrant": {"type": "object", "required": ["role", "organisation_id"],
                              "properties": {"role": {"type": "string"},
                                             "organisation_id": {"type": "integer"}}},
                "AuditEvents": {"type": "object", "required": ["items", "next"], "properties": {
                    "items": {"type": "array", "items": {"type": "object"}},
                    "next": {"type": ["integer", "null"]}}},
                "Template": {"type": "object", "required": ["body"], "properties": {
                    "body": {"type": "object", "description": "Nội dung mẫu (JSON)"},
                    "note": {"type": "string"}}},
            },
        },
    }
