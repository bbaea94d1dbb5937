// Planning calendar: drag a planned visit (an item with data-move-url) onto another day.
// Posts the new day to the move endpoint (the same one the "Move to…" form uses) and
// moves the item on success; on failure it stays and the message is announced.
(function () {
  "use strict";
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function announce(text) {
    var status = document.getElementById("cal-status");
    if (status) { status.textContent = text; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var cal = document.querySelector(".cal");
    if (!cal) return;
    var dragged = null;
    cal.querySelectorAll("[data-move-url]").forEach(function (item) {
      item.addEventListener("dragstart", function (e) {
        dragged = item;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", item.dataset.moveUrl);
      });
      item.addEventListener("dragend", function () { dragged = null; });
    });
    cal.querySelectorAll(".cal-day").forEach(function (day) {
      day.addEventListener("dragover", function (e) {
        if (dragged) { e.preventDefault(); day.classList.add("cal-drop"); }
      });
      day.addEventListener("dragleave", function () { day.classList.remove("cal-drop"); });
      day.addEventListener("drop", function (e) {
        e.preventDefault();
        day.classList.remove("cal-drop");
        var item = dragged;
        if (!item || item.closest(".cal-day") === day) return;
        var body = new URLSearchParams({ day: day.dataset.day });
        fetch(item.dataset.moveUrl, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
        }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
          .then(function (res) {
            if (res.ok && res.data.ok) {
              day.querySelector("ul").appendChild(item);
              var input = item.querySelector("input[name=day]");
              if (input) input.value = res.data.day;
              announce(day.getAttribute("aria-label"));
            } else {
              var errors = res.data.errors || {};
              var text = Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ");
              announce(text || cal.dataset.moveError);
              window.alert(text || cal.dataset.moveError);
            }
          })
          .catch(function () { announce(cal.dataset.moveError); });
      });
    });
  });
})();
