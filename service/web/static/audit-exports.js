// Export progress on the auditor's page: rows still being prepared ask for their state every
// two seconds and show the count, then the SHA-256 and the download link when ready.
(function () {
  "use strict";
  const messages = document.getElementById("export-messages");
  if (!messages) { return; }
  const text = (key, n) => messages.dataset[key].replace("%(n)s", n === undefined ? "" : n);
  const number = (n) => Number(n || 0).toLocaleString("vi-VN");

  function render(row, state) {
    row.dataset.state = state.state;
    const progress = row.querySelector('[data-role="progress"]');
    if (state.state === "ready") {
      progress.textContent = text("ready", number(state.events_done));
      row.querySelector('[data-role="sha"]').textContent = state.sha256 || "";
      const link = document.createElement("a");
      link.href = state.download;
      link.dataset.testid = "export-download";
      link.textContent = text("download");
      row.querySelector('[data-role="link"]').replaceChildren(link);
      return;
    }
    if (state.state === "failed") {
      const failed = document.createElement("span");
      failed.className = "text-danger";
      failed.textContent = text("failed");
      progress.replaceChildren(failed);
      return;
    }
    const label = progress.querySelector('[data-role="progress-text"]');
    const bar = progress.querySelector('[data-role="bar"]');
    if (state.events_total) {
      label.textContent = `${text("preparing")} ${number(state.events_done)}/${number(state.events_total)}`;
      bar.style.width = `${Math.min(100, (100 * state.events_done) / state.events_total)}%`;
    }
  }

  function poll(row) {
    fetch(row.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((state) => {
        if (!state) { return; }
        render(row, state);
        if (state.state === "pending" || state.state === "running") {
          window.setTimeout(() => poll(row), 2000);
        }
      })
      .catch(() => window.setTimeout(() => poll(row), 5000));
  }

  document.querySelectorAll("tr[data-export]").forEach((row) => {
    if (row.dataset.state === "pending" || row.dataset.state === "running") { poll(row); }
  });
}());
