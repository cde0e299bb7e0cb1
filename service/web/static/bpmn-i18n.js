// The labels of bpmn-js in Vietnamese (no translation exists upstream) and the shared bits of
// our diagram pages. bpmn-js asks its `translate` service for every palette, context pad,
// replace menu and popup label; we override that service. English is bpmn-js's own text.
(function () {
  "use strict";

  // Every string bpmn-js 18.31 and diagram-js pass to translate(), from their sources.
  const VI = {
    // Palette
    "Activate hand tool": "Công cụ kéo khung nhìn",
    "Activate lasso tool": "Công cụ chọn theo vùng",
    "Activate create/remove space tool": "Công cụ thêm/bớt khoảng trống",
    "Activate global connect tool": "Công cụ nối hai phần tử",
    "Create start event": "Tạo sự kiện bắt đầu",
    "Create intermediate/boundary event": "Tạo sự kiện trung gian/biên",
    "Create end event": "Tạo sự kiện kết thúc",
    "Create gateway": "Tạo cổng rẽ nhánh",
    "Create task": "Tạo tác vụ",
    "Create user task": "Tạo bước xử lý (tác vụ người dùng)",
    "Create data object reference": "Tạo tham chiếu đối tượng dữ liệu",
    "Create data store reference": "Tạo tham chiếu kho dữ liệu",
    "Create expanded sub-process": "Tạo tiến trình con (mở rộng)",
    "Create pool/participant": "Tạo bể/bên tham gia",
    "Create group": "Tạo nhóm",
    // Context pad
    "Append end event": "Nối sự kiện kết thúc",
    "Append gateway": "Nối cổng rẽ nhánh",
    "Append task": "Nối tác vụ",
    "Append intermediate/boundary event": "Nối sự kiện trung gian/biên",
    "Append receive task": "Nối tác vụ nhận",
    "Append message intermediate catch event": "Nối sự kiện trung gian bắt thông điệp",
    "Append timer intermediate catch event": "Nối sự kiện trung gian hẹn giờ",
    "Append conditional intermediate catch event": "Nối sự kiện trung gian bắt điều kiện",
    "Append signal intermediate catch event": "Nối sự kiện trung gian bắt tín hiệu",
    "Append compensation activity": "Nối hoạt động bù trừ",
    "Add text annotation": "Thêm chú thích",
    "Add lane above": "Thêm làn phía trên",
    "Add lane below": "Thêm làn phía dưới",
    "Divide into two lanes": "Chia thành hai làn",
    "Divide into three lanes": "Chia thành ba làn",
    "Change element": "Đổi loại phần tử",
    "Connect to other element": "Nối tới phần tử khác",
    "Connect using association": "Nối bằng liên kết chú thích",
    "Connect using data input association": "Nối bằng liên kết dữ liệu vào",
    "Delete": "Xóa",
    "Align elements": "Căn chỉnh các phần tử",
    "Align elements left": "Căn trái",
    "Align elements center": "Căn giữa theo chiều ngang",
    "Align elements right": "Căn phải",
    "Align elements top": "Căn trên",
    "Align elements middle": "Căn giữa theo chiều dọc",
    "Align elements bottom": "Căn dưới",
    "Distribute elements horizontally": "Giãn đều theo chiều ngang",
    "Distribute elements vertically": "Giãn đều theo chiều dọc",
    "Search in diagram": "Tìm trong sơ đồ",
    "Open {element}": "Mở {element}",
    // Popup menu headers (markers of activities and events)
    "Parallel multi-instance": "Nhiều thể hiện song song",
    "Sequential multi-instance": "Nhiều thể hiện tuần tự",
    "Loop": "Lặp",
    "Collection": "Tập hợp",
    "Participant multiplicity": "Nhiều bên tham gia",
    "Toggle non-interrupting": "Bật/tắt không ngắt",
    // Replace menu entries
    "Task": "Tác vụ",
    "User task": "Tác vụ người dùng",
    "Service task": "Tác vụ dịch vụ",
    "Send task": "Tác vụ gửi",
    "Receive task": "Tác vụ nhận",
    "Manual task": "Tác vụ thủ công",
    "Business rule task": "Tác vụ quy tắc nghiệp vụ",
    "Script task": "Tác vụ kịch bản",
    "Call activity": "Hoạt động gọi",
    "Sub-process": "Tiến trình con",
    "Sub-process (collapsed)": "Tiến trình con (thu gọn)",
    "Sub-process (expanded)": "Tiến trình con (mở rộng)",
    "Ad-hoc sub-process": "Tiến trình con tùy biến",
    "Ad-hoc sub-process (collapsed)": "Tiến trình con tùy biến (thu gọn)",
    "Ad-hoc sub-process (expanded)": "Tiến trình con tùy biến (mở rộng)",
    "Event sub-process": "Tiến trình con sự kiện",
    "Transaction": "Giao dịch",
    "Start event": "Sự kiện bắt đầu",
    "Intermediate throw event": "Sự kiện trung gian phát",
    "End event": "Sự kiện kết thúc",
    "Boundary event": "Sự kiện biên",
    "Message start event": "Sự kiện bắt đầu bằng thông điệp",
    "Timer start event": "Sự kiện bắt đầu hẹn giờ",
    "Conditional start event": "Sự kiện bắt đầu theo điều kiện",
    "Signal start event": "Sự kiện bắt đầu bằng tín hiệu",
    "Error start event": "Sự kiện bắt đầu bằng lỗi",
    "Escalation start event": "Sự kiện bắt đầu bằng leo thang",
    "Compensation start event": "Sự kiện bắt đầu bù trừ",
    "Message start event (non-interrupting)": "Sự kiện bắt đầu bằng thông điệp (không ngắt)",
    "Timer start event (non-interrupting)": "Sự kiện bắt đầu hẹn giờ (không ngắt)",
    "Conditional start event (non-interrupting)": "Sự kiện bắt đầu theo điều kiện (không ngắt)",
    "Signal start event (non-interrupting)": "Sự kiện bắt đầu bằng tín hiệu (không ngắt)",
    "Escalation start event (non-interrupting)": "Sự kiện bắt đầu bằng leo thang (không ngắt)",
    "Message intermediate catch event": "Sự kiện trung gian bắt thông điệp",
    "Message intermediate throw event": "Sự kiện trung gian phát thông điệp",
    "Timer intermediate catch event": "Sự kiện trung gian hẹn giờ",
    "Escalation intermediate throw event": "Sự kiện trung gian phát leo thang",
    "Conditional intermediate catch event": "Sự kiện trung gian bắt điều kiện",
    "Link intermediate catch event": "Sự kiện trung gian bắt liên kết",
    "Link intermediate throw event": "Sự kiện trung gian phát liên kết",
    "Compensation intermediate throw event": "Sự kiện trung gian phát bù trừ",
    "Signal intermediate catch event": "Sự kiện trung gian bắt tín hiệu",
    "Signal intermediate throw event": "Sự kiện trung gian phát tín hiệu",
    "Message end event": "Sự kiện kết thúc gửi thông điệp",
    "Escalation end event": "Sự kiện kết thúc leo thang",
    "Error end event": "Sự kiện kết thúc báo lỗi",
    "Cancel end event": "Sự kiện kết thúc hủy",
    "Compensation end event": "Sự kiện kết thúc bù trừ",
    "Signal end event": "Sự kiện kết thúc phát tín hiệu",
    "Terminate end event": "Sự kiện kết thúc chấm dứt",
    "Message boundary event": "Sự kiện biên bắt thông điệp",
    "Timer boundary event": "Sự kiện biên hẹn giờ",
    "Escalation boundary event": "Sự kiện biên leo thang",
    "Conditional boundary event": "Sự kiện biên theo điều kiện",
    "Error boundary event": "Sự kiện biên bắt lỗi",
    "Cancel boundary event": "Sự kiện biên hủy",
    "Signal boundary event": "Sự kiện biên bắt tín hiệu",
    "Compensation boundary event": "Sự kiện biên bù trừ",
    "Message boundary event (non-interrupting)": "Sự kiện biên bắt thông điệp (không ngắt)",
    "Timer boundary event (non-interrupting)": "Sự kiện biên hẹn giờ (không ngắt)",
    "Escalation boundary event (non-interrupting)": "Sự kiện biên leo thang (không ngắt)",
    "Conditional boundary event (non-interrupting)": "Sự kiện biên theo điều kiện (không ngắt)",
    "Signal boundary event (non-interrupting)": "Sự kiện biên bắt tín hiệu (không ngắt)",
    "Exclusive gateway": "Cổng loại trừ (chọn một nhánh)",
    "Parallel gateway": "Cổng song song",
    "Inclusive gateway": "Cổng bao hàm",
    "Complex gateway": "Cổng phức hợp",
    "Event-based gateway": "Cổng theo sự kiện",
    "Event based instantiating Gateway": "Cổng theo sự kiện khởi tạo",
    "Parallel Event based instantiating Gateway": "Cổng theo sự kiện khởi tạo song song",
    "Sequence flow": "Luồng tuần tự",
    "Default flow": "Luồng mặc định",
    "Conditional flow": "Luồng có điều kiện",
    "Expanded pool/participant": "Bể/bên tham gia (mở rộng)",
    "Empty pool/participant": "Bể/bên tham gia (thu gọn)",
    "Data object reference": "Tham chiếu đối tượng dữ liệu",
    "Data store reference": "Tham chiếu kho dữ liệu",
    // Element types named by our properties panel
    "Lane": "Làn",
    "Intermediate catch event": "Sự kiện trung gian bắt",
    "Text annotation": "Chú thích",
    "Group": "Nhóm",
    // Modeling feedback
    "flow elements must be children of pools/participants":
      "phần tử của luồng phải nằm trong một bể/bên tham gia",
    "Data object must be placed within a pool/participant.":
      "Đối tượng dữ liệu phải đặt trong một bể/bên tham gia.",
  };

  function pageLanguage() {
    return (document.documentElement.lang || "vi").slice(0, 2).toLowerCase();
  }

  // The same contract as bpmn-js's translate: a template, then {name} replacements.
  function makeTranslate(dictionary) {
    return function translate(template, replacements) {
      const text = (dictionary && dictionary[template]) || template;
      return text.replace(/{([^}]+)}/g, (match, key) =>
        replacements && key in replacements ? String(replacements[key]) : match);
    };
  }

  function translateModule(lang) {
    const dictionary = (lang || pageLanguage()) === "vi" ? VI : null;
    return { translate: ["value", makeTranslate(dictionary)] };
  }

  window.TdktBpmn = Object.assign(window.TdktBpmn || {}, {
    VI,
    pageLanguage,
    makeTranslate,
    translateModule,
  });
})();
