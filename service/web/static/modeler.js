// The BPMN modeler page (admin/modeler.html): open the draft or a version, edit, save the draft,
// validate, publish, download and upload .bpmn files. The service validates every XML it
// receives; its issues are shown as a list and as markers on the faulty elements.
(function () {
  "use strict";

  const app = document.getElementById("modeler-app");
  if (!app || !window.BpmnJS || !window.TdktBpmn) { return; }

  const MAX_BYTES = 2 * 1024 * 1024;
  const message = window.TdktBpmn.messages(document.getElementById("modeler-messages"));
  const statusBox = document.querySelector('[data-testid="modeler-status"]');
  const unsavedBadge = document.querySelector('[data-testid="unsaved"]');
  const issuesSection = document.querySelector('[data-testid="issues"]');
  const issueList = issuesSection.querySelector("[data-issue-list]");
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const requested = new URLSearchParams(window.location.search).get("version");

  let modeler = null;
  let issueOverlays = [];
  let markedIds = [];
  // Which state of the command stack the service last saw: every executed command gets a
  // new number, so an undo followed by another edit does not look saved.
  let history = [];
  let position = 0;
  let counter = 0;
  let savedState = 0;
  // Nothing is sent while a request is on its way, nor when the editor could not read the
  // diagram (what it would send is not what the administrator sees).
  const SENDING = ["save", "validate", "publish", "download"];
  let readable = true;

  function show(kind, text) {
    statusBox.className = `alert alert-${kind} py-2 modeler-status shadow-sm`;
    statusBox.textContent = text;
  }

  function setBusy(busy) {
    app.querySelectorAll("[data-action]").forEach((button) => {
      if (SENDING.includes(button.dataset.action)) { button.disabled = busy || !readable; }
    });
    if (busy) { show("secondary", message("working")); }
  }

  function setReadable(ok) {
    readable = ok;
    setBusy(false);
  }

  // -- talking to the service ---------------------------------------------------------------

  async function send(method, url, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/xml"; }
    if (csrf) { headers["X-CSRFToken"] = csrf.content; }
    let response;
    try {
      response = await fetch(url, { method, headers, body, credentials: "same-origin" });
    } catch {
      return { ok: false, status: 0, data: { error: { message: message("networkFailed") } } };
    }
    let data = {};
    try { data = await response.json(); } catch { data = {}; }
    return { ok: response.ok, status: response.status, data };
  }

  function errorText(result) {
    const error = result.data && result.data.error;
    if (result.status === 413) { return message("tooLarge"); }
    return (error && error.message) || `HTTP ${result.status}`;
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  // -- issues: the list and the markers --------------------------------------------------------

  function clearIssues() {
    const overlays = modeler.get("overlays");
    const canvas = modeler.get("canvas");
    issueOverlays.forEach((id) => overlays.remove(id));
    markedIds.forEach((id) => { if (modeler.get("elementRegistry").get(id)) { canvas.removeMarker(id, "tdkt-invalid"); } });
    issueOverlays = [];
    markedIds = [];
    issueList.replaceChildren();
    issuesSection.hidden = true;
  }

  // Where a badge goes: above a shape, or at the middle of a connection's longest segment.
  function overlayPosition(element) {
    const points = element.waypoints;
    if (!points || points.length < 2) { return { top: -12, left: 0 }; }
    let a = points[0];
    let b = points[1];
    for (let i = 1; i < points.length - 1; i += 1) {
      const length = Math.hypot(points[i + 1].x - points[i].x, points[i + 1].y - points[i].y);
      if (length > Math.hypot(b.x - a.x, b.y - a.y)) { a = points[i]; b = points[i + 1]; }
    }
    const left = Math.min(...points.map((p) => p.x));
    const top = Math.min(...points.map((p) => p.y));
    return { left: (a.x + b.x) / 2 - left + 6, top: (a.y + b.y) / 2 - top - 20 };
  }

  function focusElement(element) {
    const canvas = modeler.get("canvas");
    if (element.parent && canvas.getRootElement() !== canvas.findRoot(element)) {
      canvas.setRootElement(canvas.findRoot(element));
    }
    canvas.scrollToElement(element, { top: 120, bottom: 120, left: 120, right: 120 });
    modeler.get("selection").select(element);
  }

  function showIssues(issues) {
    clearIssues();
    if (!issues || issues.length === 0) { return; }
    const registry = modeler.get("elementRegistry");
    const canvas = modeler.get("canvas");
    const overlays = modeler.get("overlays");
    const byElement = new Map();
    issues.forEach((issue) => {
      const element = issue.element_id ? registry.get(issue.element_id) : null;
      const item = document.createElement(element ? "button" : "div");
      item.className = "list-group-item list-group-item-action d-flex gap-2 align-items-baseline";
      item.dataset.elementId = issue.element_id || "";
      item.dataset.code = issue.code || "";
      const where = document.createElement("code");
      where.textContent = issue.element_id || message("wholeDiagram");
      const name = document.createElement("span");
      name.className = "text-muted small";
      name.textContent = issue.element_name || "";
      const text = document.createElement("span");
      text.className = "me-auto";
      text.textContent = issue.message;
      const code = document.createElement("span");
      code.className = "badge text-bg-light border";
      code.textContent = issue.code || "";
      item.append(where, name, text, code);
      if (element) {
        item.type = "button";
        item.addEventListener("click", () => focusElement(element));
        if (!byElement.has(element.id)) { byElement.set(element.id, { element, messages: [] }); }
        byElement.get(element.id).messages.push(issue.message);
      }
      issueList.appendChild(item);
    });
    byElement.forEach(({ element, messages }, id) => {
      canvas.addMarker(id, "tdkt-invalid");
      markedIds.push(id);
      const badge = document.createElement("div");
      badge.className = "tdkt-issue-badge";
      badge.dataset.elementId = id;
      badge.title = messages.join("\n");
      const icon = document.createElement("i");
      icon.className = "bi bi-exclamation-triangle-fill";
      icon.setAttribute("aria-hidden", "true");
      const text = document.createElement("span");
      text.textContent = messages.length > 1 ? `${messages[0]} (+${messages.length - 1})` : messages[0];
      badge.append(icon, text);
      issueOverlays.push(overlays.add(id, "tdkt-issue", {
        position: overlayPosition(element), html: badge, scale: false,
      }));
    });
    issuesSection.querySelector("[data-issues-title]").textContent = message("issuesTitle", { count: issues.length });
    issuesSection.hidden = false;
  }

  // -- the toolbar -----------------------------------------------------------------------------

  function currentState() { return position ? history[position - 1] : 0; }

  function track(event) {
    if (event.trigger === "clear") { history = []; position = 0; }
    else if (event.trigger === "undo") { position = Math.max(0, position - 1); }
    else if (event.trigger === "redo") { position = Math.min(history.length, position + 1); }
    else { history = history.slice(0, position); history.push(++counter); position = history.length; }
    refreshToolbar();
  }

  function markSaved(state) {
    savedState = state === undefined ? currentState() : state;
    refreshToolbar();
  }

  function refreshToolbar() {
    const commandStack = modeler.get("commandStack");
    app.querySelector('[data-action="undo"]').disabled = !commandStack.canUndo();
    app.querySelector('[data-action="redo"]').disabled = !commandStack.canRedo();
    unsavedBadge.hidden = currentState() === savedState;
    app.dataset.unsaved = String(!unsavedBadge.hidden);
  }

  async function saveDraft() {
    setBusy(true);
    const state = currentState();
    const result = await send("PUT", app.dataset.draftUrl, await currentXml());
    setBusy(false);
    showIssues(result.data.issues);
    if (!result.ok) { show("danger", message("requestFailed", { message: errorText(result) })); return; }
    markSaved(state);
    const time = new Date().toLocaleTimeString(document.documentElement.lang || "vi");
    const issues = result.data.issues || [];
    if (issues.length) {
      show("warning", message("savedIssues", { time, count: issues.length }));
    } else {
      show("success", message("saved", { time }));
    }
  }

  async function validate(xml) {
    setBusy(true);
    const result = await send("POST", app.dataset.validateUrl, xml || await currentXml());
    setBusy(false);
    showIssues(result.data.issues);
    if (!result.ok) { show("danger", message("requestFailed", { message: errorText(result) })); return; }
    const issues = result.data.issues || [];
    if (result.data.valid && issues.length === 0) {
      show("success", message("valid"));
    } else {
      show("danger", message("invalid", { count: issues.length }));
    }
  }

  // As the pages show times: dd/mm/yyyy hh:mm in Asia/Ho_Chi_Minh; the service sends UTC.
  function vnDateTime(iso) {
    if (!iso) { return ""; }
    const when = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(when).reduce((acc, part) => ({ ...acc, [part.type]: part.value }), {});
    return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
  }

  function addVersionRow(version) {
    const body = document.querySelector('[data-testid="versions"] tbody');
    if (body.querySelector(`tr[data-version="${version.version}"]`)) { return; }
    body.querySelectorAll("tr[data-empty]").forEach((row) => row.remove());
    const row = document.getElementById("version-row").content.firstElementChild.cloneNode(true);
    row.dataset.version = version.version;
    row.querySelector('[data-cell="version"]').textContent = `v${version.version}`;
    row.querySelector('[data-cell="sha256"]').textContent = version.sha256;
    row.querySelector('[data-cell="published"]').textContent = vnDateTime(version.published_at);
    row.querySelector('[data-cell="download"]').href = `${app.dataset.versionUrl}${version.version}.bpmn`;
    row.querySelector('[data-cell="open"]').href = `?version=${version.version}`;
    body.prepend(row);
  }

  async function publish() {
    bootstrap.Modal.getOrCreateInstance(document.getElementById("publish-dialog")).hide();
    setBusy(true);
    const state = currentState();
    const result = await send("POST", app.dataset.publishUrl, await currentXml());
    setBusy(false);
    showIssues(result.data.issues);
    if (!result.ok) { show("danger", message("refused", { message: errorText(result) })); return; }
    const version = result.data.version;
    markSaved(state);
    addVersionRow(version);
    show("success", message(result.status === 201 ? "published" : "publishedSame", { version: version.version }));
    setSourceLabel("version", version.version);
  }

  async function download() {
    const blob = new Blob([await currentXml()], { type: "application/xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${app.dataset.key}.bpmn`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  async function upload(input) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) { return; }
    if (file.size > MAX_BYTES) { show("danger", message("tooLarge")); return; }
    const xml = await file.text();
    clearIssues();
    let opened = true;
    try {
      await modeler.importXML(xml);
      window.TdktBpmn.fitDiagram(modeler.get("canvas"), 110);
      markSaved(null); // nothing of it is saved yet
      setReadable(true);
      show("secondary", message("uploaded", { name: file.name }));
    } catch (error) {
      opened = false;
      setReadable(false);
      console.warn("bpmn-js could not import the file:", error.message); // eslint-disable-line no-console
      show("warning", message("importFailed"));
    }
    // The service checks the file as it was made, not the editor's reading of it.
    const result = await send("POST", app.dataset.validateUrl, xml);
    showIssues(result.data.issues);
    if (!result.ok) { show("danger", message("requestFailed", { message: errorText(result) })); return; }
    const issues = result.data.issues || [];
    if (result.data.valid && issues.length === 0) {
      show("success", message("valid"));
    } else if (opened) {
      show("danger", message("invalid", { count: issues.length }));
    }
  }

  function setSourceLabel(from, version) {
    const label = app.querySelector("[data-source-label]");
    if (from === "draft") { label.textContent = message("openedDraft"); }
    else if (version) { label.textContent = message("openedVersion", { version }); }
    else { label.textContent = message("openedNew"); }
  }

  function bindToolbar() {
    statusBox.addEventListener("click", () => { statusBox.className = "alert d-none"; });
    app.querySelector('[data-action="undo"]').addEventListener("click", () => modeler.get("commandStack").undo());
    app.querySelector('[data-action="redo"]').addEventListener("click", () => modeler.get("commandStack").redo());
    app.querySelector('[data-action="save"]').addEventListener("click", () => saveDraft());
    app.querySelector('[data-action="validate"]').addEventListener("click", () => validate());
    app.querySelector('[data-action="publish"]').addEventListener("click", () => {
      bootstrap.Modal.getOrCreateInstance(document.getElementById("publish-dialog")).show();
    });
    app.querySelector('[data-action="confirm-publish"]').addEventListener("click", () => publish());
    app.querySelector('[data-action="download"]').addEventListener("click", () => download());
    document.getElementById("bpmn-upload").addEventListener("change", (event) => upload(event.target));
  }

  async function start() {
    const tdkt = await window.TdktBpmn.loadModdle(app.dataset.moddleUrl);
    modeler = new window.BpmnJS({
      container: document.getElementById("modeler-canvas"),
      moddleExtensions: { tdkt },
      additionalModules: [
        window.TdktBpmn.translateModule(),
        window.TdktBpmn.userTaskPaletteModule,
      ],
    });
    window.tdktModeler = modeler; // for the browser console
    new window.TdktBpmn.PropertiesPanel(modeler, document.getElementById("properties"), message);
    modeler.get("eventBus").on("commandStack.changed", track);
    bindToolbar();

    const url = requested ? `${app.dataset.sourceUrl}?version=${encodeURIComponent(requested)}` : app.dataset.sourceUrl;
    const source = await send("GET", url);
    if (!source.ok) { show("danger", message("loadFailed", { error: errorText(source) })); return; }
    setSourceLabel(source.data.from, requested || source.data.latest_version);
    try {
      const result = await modeler.importXML(source.data.xml);
      window.TdktBpmn.fitDiagram(modeler.get("canvas"), 110);
      if (result.warnings && result.warnings.length) {
        show("warning", message("importWarnings", { count: result.warnings.length }));
      }
    } catch (error) {
      setReadable(false);
      console.warn("bpmn-js could not import the diagram:", error.message); // eslint-disable-line no-console
      show("warning", message("importFailed"));
      const result = await send("POST", app.dataset.validateUrl, source.data.xml);
      showIssues(result.data.issues);
    }
    markSaved();
    app.dataset.ready = "true";
  }

  start().catch((error) => show("danger", message("loadFailed", { error: error.message })));
})();
