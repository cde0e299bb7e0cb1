// The campaign's route as a heatmap: each step coloured by how many dossiers wait there, with
// how long the oldest has waited in working days.
(function () {
  "use strict";

  const container = document.getElementById("heatmap-canvas");
  if (!container || !window.BpmnJS || !window.TdktBpmn) { return; }
  const message = window.TdktBpmn.messages(document.getElementById("heatmap-messages"));
  const LEVELS = 5;

  function level(waiting, most) {
    if (!waiting) { return 0; }
    return Math.min(LEVELS, Math.max(1, Math.ceil((waiting / most) * LEVELS)));
  }

  function badgeText(step) {
    if (step.oldest_working_days === null || step.oldest_working_days === undefined) {
      return message("waiting", { count: step.waiting });
    }
    return message("waitingOldest", { count: step.waiting, days: step.oldest_working_days });
  }

  function paint(viewer, data) {
    const registry = viewer.get("elementRegistry");
    const canvas = viewer.get("canvas");
    const overlays = viewer.get("overlays");
    const steps = data.steps || {};
    const most = Math.max(0, ...Object.values(steps).map((s) => s.waiting || 0));
    const badges = [];
    const rows = document.querySelector('[data-testid="heatmap-table"] tbody');
    rows.replaceChildren();
    Object.keys(steps).forEach((id) => {
      const step = steps[id];
      const heat = level(step.waiting, most);
      if (registry.get(id) && heat) {
        canvas.addMarker(id, `heat-${heat}`);
        const badge = document.createElement("span");
        badge.className = "heat-badge";
        badge.dataset.elementId = id;
        badge.dataset.waiting = step.waiting;
        badge.textContent = badgeText(step);
        badges.push({ badge, element: registry.get(id) });
        overlays.add(id, "heat", {
          position: { top: registry.get(id).height + 4, left: -6 }, html: badge, scale: false,
        });
      }
      const row = document.createElement("tr");
      row.dataset.step = id;
      row.dataset.level = heat;
      const swatch = document.createElement("span");
      swatch.className = `legend-swatch heat-${heat}`;
      [[swatch, ` ${step.name || id}`], [null, String(step.waiting)],
        [null, step.oldest_working_days === null || step.oldest_working_days === undefined
          ? "—" : String(step.oldest_working_days)]].forEach(([first, text], index) => {
        const cell = document.createElement("td");
        if (first) { cell.appendChild(first); }
        cell.append(text);
        if (index > 0) { cell.className = "text-end"; }
        row.appendChild(cell);
      });
      rows.appendChild(row);
    });
    // Badges are about as wide as their step; one that would cover a neighbour's badge moves
    // down below it.
    const fit = () => {
      const scale = canvas.viewbox().scale;
      const placed = [];
      badges.forEach(({ badge, element }) => {
        badge.style.width = `${Math.max(element.width * scale + 12, 120)}px`;
        badge.style.marginTop = "0px";
      });
      badges.map(({ badge }) => badge)
        .sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left)
        .forEach((badge) => {
          let box = badge.getBoundingClientRect();
          let shift = 0;
          placed.forEach((other) => {
            if (box.left < other.right && other.left < box.right
                && box.top + shift < other.bottom && other.top < box.bottom + shift) {
              shift = other.bottom - box.top + 2;
            }
          });
          badge.style.marginTop = `${shift}px`;
          box = badge.getBoundingClientRect();
          placed.push(box);
        });
    };
    fit();
    viewer.get("eventBus").on("canvas.viewbox.changed", fit);
    const mostLabel = document.querySelector("[data-heat-most]");
    if (mostLabel) { mostLabel.textContent = message("most", { count: most }); }
  }

  function listOtherVersions(data) {
    const section = document.querySelector('[data-testid="other-versions"]');
    const others = (data.other_versions || []).filter((v) => v.waiting > 0);
    if (!section || others.length === 0) { return; }
    const list = section.querySelector("ul");
    others.forEach((v) => {
      const item = document.createElement("li");
      item.dataset.version = v.version;
      item.textContent = message("otherVersion", { version: v.version, count: v.waiting });
      list.appendChild(item);
    });
    section.hidden = false;
  }

  async function start() {
    const { viewer, data } = await window.TdktBpmn.openViewer(
      container, container.dataset.heatmapUrl);
    window.tdktHeatmapViewer = viewer; // for the browser console
    paint(viewer, data);
    listOtherVersions(data);
    const caption = document.querySelector("[data-heatmap-model]");
    if (caption && data.model) {
      caption.textContent = message("model", { key: data.model.key, version: data.model.version });
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
