// The bell's unread count, asked for after the page has loaded so that no page pays a query
// for it; without this script the bell is still a link to the notifications page.
document.addEventListener("DOMContentLoaded", () => {
  const bell = document.querySelector("[data-unread-url]");
  if (!bell) { return; }
  fetch(bell.dataset.unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (!data || !data.unread) { return; }
      const badge = bell.querySelector("[data-unread-count]");
      badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
      badge.hidden = false;
    })
    .catch(() => {});
});
