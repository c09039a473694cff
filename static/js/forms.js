// The error summary at the top of a form: focus it when the page loads, so keyboard and
// screen-reader users start from the list of problems, and let each of its links move focus
// to the field it names (with the field's label in view, not hidden under the top edge).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("form-errors");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    const label = field.labels && field.labels.length ? field.labels[0] : field;
    label.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
});

// A button marked data-print prints the page (the teaching sheet, the CMS-1500 page).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
