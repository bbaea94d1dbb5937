// The claim form: add an expense row (from the <template>), move a ticked HCP from the search
// results to the row's chosen HCPs. The form works without this script (a plain POST, "Add an
// expense" re-renders with one more row); no inline scripts (strict CSP).
(function () {
  "use strict";

  function setup(form) {
    const lines = form.querySelector("#claim-lines");
    const template = document.getElementById("claim-line-template");
    const total = form.querySelector("input[name='line-TOTAL_FORMS']");
    const add = form.querySelector("[data-add-line]");

    if (add && template && total) {
      add.addEventListener("click", (ev) => {
        ev.preventDefault();
        const n = parseInt(total.value, 10) || 0;
        if (n >= 100) return;
        const holder = document.createElement("div");
        holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(n));
        const row = holder.firstElementChild;
        const number = row.querySelector("[data-line-number]");
        if (number) number.textContent = String(n + 1);
        lines.appendChild(row);
        total.value = String(n + 1);
        if (window.htmx) window.htmx.process(row);
        const first = row.querySelector("select, input");
        if (first) first.focus();
      });
    }

    // A ticked search result joins the row's chosen HCPs (once); the results are cleared.
    form.addEventListener("change", (ev) => {
      const box = ev.target.closest("[data-hcp-found]");
      if (!box) return;
      const picker = box.closest("[data-hcp-picker]");
      const chosen = picker && picker.querySelector("[data-hcp-chosen]");
      if (!chosen) return;
      if (box.checked && !chosen.querySelector(`input[value="${box.value}"]`)) {
        const item = box.closest(".form-check");
        item.classList.add("form-check-inline");
        box.removeAttribute("data-hcp-found");
        chosen.appendChild(item);
      }
      const results = picker.querySelector("[data-hcp-results]");
      const search = picker.querySelector("input[type=search]");
      if (results) results.innerHTML = "";
      if (search) { search.value = ""; search.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("claim-form");
    if (form) setup(form);
  });
})();
