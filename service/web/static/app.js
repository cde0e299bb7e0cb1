// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  const addButton = document.querySelector("[data-add-proposal-row]");
  if (addButton) {
    addButton.addEventListener("click", () => {
      const body = document.querySelector("#proposal-rows");
      const template = body.querySelector("tr");
      const row = template.cloneNode(true);
      row.querySelectorAll("input, textarea").forEach((el) => { el.value = ""; });
      row.querySelectorAll("select").forEach((el) => { el.selectedIndex = 0; });
      body.appendChild(row);
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
