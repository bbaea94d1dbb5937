// Segmentation rule editor: show the fields of the chosen method only (matrix or score).
// Without this script both sets are shown and the method buttons still decide.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("rule-form");
  if (!form) return;
  const sync = () => {
    const checked = form.querySelector("input[name=method]:checked");
    const method = checked ? checked.value : "matrix";
    form.querySelectorAll("[data-method]").forEach((el) => { el.hidden = el.dataset.method !== method; });
  };
  form.querySelectorAll("input[name=method]").forEach((r) => r.addEventListener("change", sync));
  sync();
});
