// The dossier page's "Sơ đồ quy trình": the dossier's own version of the route, with the steps
// completed, the step it waits at, and the returns it went through.
(function () {
  "use strict";

  const container = document.getElementById("route-canvas");
  if (!container || !window.BpmnJS || !window.TdktBpmn) { return; }
  const message = window.TdktBpmn.messages(document.getElementById("route-messages"));
  const caption = document.querySelector("[data-route-model]");

  function is(bo, type) { return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type)); }

  // The flows a return took: from the step, maybe through its gateway, back to the target.
  function returnFlows(registry, from, to) {
    const step = registry.get(from);
    if (!step) { return []; }
    const flows = [];
    (step.outgoing || []).forEach((out) => {
      if (out.target && out.target.id === to) { flows.push(out); }
      if (out.target && is(out.target.businessObject, "bpmn:Gateway")) {
        (out.target.outgoing || []).forEach((next) => {
          // Only the gateway's branch: the flow into the gateway is shared by every decision.
          if (next.target && next.target.id === to) { flows.push(next); }
        });
      }
    });
    return flows;
  }

  function mark(viewer, route) {
    const registry = viewer.get("elementRegistry");
    const canvas = viewer.get("canvas");
    const overlays = viewer.get("overlays");
    const add = (id, marker) => { if (registry.get(id)) { canvas.addMarker(id, marker); } };
    (route.flows || []).forEach((id) => {
      add(id, "route-taken");
      // The events at either end of a flow taken were passed too: the start, an end reached.
      const flow = registry.get(id);
      [flow && flow.source, flow && flow.target].forEach((node) => {
        if (node && is(node.businessObject, "bpmn:Event")) { canvas.addMarker(node.id, "route-completed"); }
      });
    });
    (route.completed || []).forEach((id) => add(id, "route-completed"));
    (route.current || []).forEach((id) => add(id, "route-current"));
    const returnsByStep = new Map();
    (route.returns || []).forEach((r) => {
      returnFlows(registry, r.from, r.to).forEach((flow) => canvas.addMarker(flow.id, "route-returned"));
      returnsByStep.set(r.from, (returnsByStep.get(r.from) || 0) + (r.count || 1));
    });
    returnsByStep.forEach((count, id) => {
      const step = registry.get(id);
      if (!step) { return; }
      const badge = document.createElement("span");
      badge.className = "route-return-badge";
      badge.dataset.elementId = id;
      badge.textContent = message("returned", { count });
      overlays.add(id, "route-return", { position: { bottom: -4, right: 8 }, html: badge, scale: false });
    });
  }

  async function start() {
    const { viewer, data: route } = await window.TdktBpmn.openViewer(
      container, container.dataset.routeUrl);
    window.tdktRouteViewer = viewer; // for the browser console
    mark(viewer, route);
    if (caption && route.model) {
      caption.textContent = message("model", { key: route.model.key, version: route.model.version });
    }
    container.dataset.ready = "true";
  }

  start().catch((error) => {
    const alert = document.createElement("div");
    alert.className = "alert alert-warning m-3";
    alert.textContent = message("loadFailed", { error: error.message });
    container.replaceChildren(alert);
    container.dataset.ready = "error";
  });
})();
