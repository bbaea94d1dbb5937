// SFE Cloud: behaviour shared by every page. No inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions: <button data-confirm="...">.
  document.body.addEventListener("click", (ev) => {
    const el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) { ev.preventDefault(); ev.stopPropagation(); }
  });
  // Auto-submit selects marked data-autosubmit (filters, language picker).
  document.querySelectorAll("select[data-autosubmit]").forEach((s) =>
    s.addEventListener("change", () => s.form.requestSubmit()));
});
