// The call form: HCP picker, institution choices, group attendees, products with their key
// messages, and the optional check-in. The form works without this script (a plain POST);
// this only makes it quicker on a phone. No inline scripts (strict CSP).
(function () {
  "use strict";

  function setup(form) {
    const hcpSelect = form.querySelector("#id_hcp");
    const instSelect = form.querySelector("#id_institution");
    const results = form.querySelector("#hcp-results");
    const search = form.querySelector("#hcp-q");

    // --- HCP picked from the search results: it becomes the chosen HCP, its institutions the choices.
    form.addEventListener("click", (ev) => {
      const pick = ev.target.closest("[data-hcp-pick]");
      if (!pick) return;
      ev.preventDefault();
      hcpSelect.querySelectorAll("option[value]:not([value=''])").forEach((o) => o.remove());
      const opt = new Option(pick.dataset.hcpName, pick.dataset.hcpPick, true, true);
      hcpSelect.add(opt);
      instSelect.querySelectorAll("option").forEach((o) => { if (o.value) o.remove(); });
      (pick.dataset.institutions || "").split(";").filter(Boolean).forEach((pair, i) => {
        const [code, name] = pair.split("|");
        instSelect.add(new Option(name, code, i === 0, i === 0));
      });
      results.innerHTML = "";
      if (search) search.value = "";
      hcpSelect.focus();
    });

    // --- group calls: show the attendees (a checked attendee joins the chosen ones).
    const attendees = form.querySelector("[data-attendees]");
    const chosen = form.querySelector("#attendee-chosen");
    function typeChanged() {
      const type = (form.querySelector("input[name=call_type]:checked") || {}).value;
      if (attendees) attendees.hidden = type !== "group";
    }
    form.querySelectorAll("input[name=call_type]").forEach((r) => r.addEventListener("change", typeChanged));
    typeChanged();
    form.addEventListener("change", (ev) => {
      const box = ev.target.closest("#attendee-results [data-attendee]");
      if (box && box.checked && chosen) {
        if (chosen.querySelector(`input[value="${box.value}"]`)) { box.closest(".form-check").remove(); return; }
        chosen.appendChild(box.closest(".form-check"));
      }
    });

    // --- products: a slot shows the key messages of its product only; empty slots wait for "Add a product".
    const slots = Array.from(form.querySelectorAll("[data-product-slot]"));
    function showMessages(slot) {
      const brand = slot.querySelector("[data-product-select]").value;
      slot.querySelectorAll("[data-brand]").forEach((el) => {
        const mine = el.dataset.brand === brand;
        el.hidden = !mine;
        if (!mine) el.querySelector("input").checked = false;
      });
    }
    slots.forEach((slot, i) => {
      const select = slot.querySelector("[data-product-select]");
      select.addEventListener("change", () => {
        showMessages(slot);
        const next = slots[i + 1];
        if (select.value && next && next.hidden) { next.hidden = false; refreshAdd(); }
      });
      showMessages(slot);
    });
    const addButton = form.querySelector("[data-add-product]");
    let firstEmptyShown = false;
    slots.forEach((slot) => {
      const empty = !slot.querySelector("[data-product-select]").value;
      if (empty && firstEmptyShown) slot.hidden = true;
      if (empty) firstEmptyShown = true;
    });
    function refreshAdd() {  // hoisted: also called when a chosen product opens the next slot
      if (addButton) addButton.classList.toggle("d-none", !slots.some((s) => s.hidden));
    }
    if (addButton) {
      addButton.addEventListener("click", () => {
        const next = slots.find((s) => s.hidden);
        if (next) { next.hidden = false; next.querySelector("select").focus(); }
        refreshAdd();
      });
    }
    refreshAdd();

    // --- check-in: the browser's location, if the user allows it; a refusal never blocks.
    const checkin = form.querySelector("[data-checkin-button]");
    if (checkin) {
      const status = form.querySelector("[data-checkin-status]");
      const say = (sel) => { const el = form.querySelector(sel); if (el && status) status.textContent = el.textContent; };
      checkin.addEventListener("click", () => {
        if (!navigator.geolocation) { say("[data-checkin-refused]"); return; }
        navigator.geolocation.getCurrentPosition((pos) => {
          form.querySelector("[name=checkin_lat]").value = pos.coords.latitude.toFixed(6);
          form.querySelector("[name=checkin_lng]").value = pos.coords.longitude.toFixed(6);
          form.querySelector("[name=checkin_accuracy_m]").value = Math.round(pos.coords.accuracy || 0);
          form.querySelector("[name=checkin_at]").value = new Date(pos.timestamp || Date.now()).toISOString();
          say("[data-checkin-ok]");
        }, () => say("[data-checkin-refused]"), { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("call-form");
    if (form) setup(form);
  });
})();
