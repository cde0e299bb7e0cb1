// Shared by the diagram pages (modeler, dossier route, campaign heatmap): loading our moddle
// extension, messages rendered by the template, fitting the diagram in view, and the palette
// entry for a user task.
(function () {
  "use strict";

  // Our steps are user tasks: the palette offers one directly, beside the generic task.
  function UserTaskPalette(palette, create, elementFactory, translate) {
    this._create = create;
    this._elementFactory = elementFactory;
    this._translate = translate;
    palette.registerProvider(500, this);
  }
  UserTaskPalette.$inject = ["palette", "create", "elementFactory", "translate"];
  UserTaskPalette.prototype.getPaletteEntries = function () {
    const create = this._create;
    const elementFactory = this._elementFactory;
    const start = (event) => create.start(event, elementFactory.createShape({ type: "bpmn:UserTask" }));
    const entry = {
      group: "activity",
      className: "bpmn-icon-user-task",
      title: this._translate("Create user task"),
      action: { dragstart: start, click: start },
    };
    return (entries) => {
      const ordered = {};
      Object.keys(entries).forEach((key) => {
        ordered[key] = entries[key];
        if (key === "create.task") { ordered["create.user-task"] = entry; }
      });
      if (!ordered["create.user-task"]) { ordered["create.user-task"] = entry; }
      return ordered;
    };
  };

  const userTaskPaletteModule = {
    __init__: ["tdktUserTaskPalette"],
    tdktUserTaskPalette: ["type", UserTaskPalette],
  };

  async function loadModdle(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) { throw new Error(`${url}: HTTP ${response.status}`); }
    return response.json();
  }

  // Messages the template rendered in the page's language, as data-* attributes.
  function messages(element) {
    const data = element ? element.dataset : {};
    return function message(key, values) {
      const text = data[key] || key;
      return text.replace(/{([^}]+)}/g, (match, name) =>
        values && name in values ? String(values[name]) : match);
    };
  }

  // The whole diagram in view, leaving room on the left for the palette of the modeler.
  function fitDiagram(canvas, left) {
    const margin = 20;
    const room = left || margin;
    canvas.zoom("fit-viewport", "auto");
    const { inner, outer } = canvas.viewbox();
    if (!inner.width || !inner.height) { return; }
    const scale = Math.min((outer.width - room - margin) / inner.width,
      (outer.height - 2 * margin) / inner.height, 1.2);
    canvas.viewbox({
      x: inner.x - room / scale, y: inner.y - margin / scale,
      width: outer.width / scale, height: outer.height / scale,
    });
  }

  // A read-only viewer of the diagram in ``data.xml`` fetched from ``url``, fitted to view.
  async function openViewer(container, url) {
    const tdkt = await loadModdle(container.dataset.moddleUrl);
    const viewer = new window.BpmnJS({
      container, moddleExtensions: { tdkt },
      additionalModules: [window.TdktBpmn.translateModule()],
    });
    const response = await fetch(url, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) { throw new Error(`HTTP ${response.status}`); }
    const data = await response.json();
    await viewer.importXML(data.xml);
    fitDiagram(viewer.get("canvas"));
    return { viewer, data };
  }

  window.TdktBpmn = Object.assign(window.TdktBpmn || {}, {
    fitDiagram,
    openViewer,
    userTaskPaletteModule,
    loadModdle,
    messages,
  });
})();
