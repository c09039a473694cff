// Forms that guard what was typed (data-guard):
// - Enter in a one-line field does not submit the whole form (buttons still take Enter);
// - leaving the page with changes not saved asks first (Save and Cancel do not ask);
// - with data-draft-url, what the form holds is kept as a draft on the server, never in the
//   browser: every 30 seconds when it changed, when the idle warning appears and before the
//   idle sign-out. The server offers it back on this page after the next sign-in.
(() => {
  const NOT_TEXT = new Set(["submit", "button", "image", "reset", "checkbox", "radio", "file"]);
  const AUTOSAVE_MS = 30_000;

  for (const form of document.querySelectorAll("form[data-guard]")) {
    let unsaved = form.dataset.unsaved === "true";
    let leaving = false;
    let changedSinceDraft = false;

    const changed = () => {
      unsaved = true;
      changedSinceDraft = true;
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", () => {
      leaving = true;
    });
    for (const control of form.querySelectorAll("[data-leave]")) {
      control.addEventListener("click", () => {
        leaving = true;
      });
    }
    form.addEventListener("keydown", (event) => {
      const field = event.target;
      if (event.key === "Enter" && field.tagName === "INPUT" && !NOT_TEXT.has(field.type)) {
        event.preventDefault();
      }
    });
    window.addEventListener("beforeunload", (event) => {
      const signingOut = window.pumpSession && window.pumpSession.isSigningOut();
      if (unsaved && !leaving && !signingOut) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    const url = form.dataset.draftUrl;
    if (!url) {
      continue;
    }
    const status = form.querySelector("[data-draft-status]");
    const save = async () => {
      if (!changedSinceDraft || leaving) {
        return;
      }
      changedSinceDraft = false;
      const body = new FormData(form);
      body.set("draft_key", form.dataset.draftKey);
      try {
        const response = await fetch(url, {
          method: "POST",
          body,
          credentials: "same-origin",
          redirect: "manual",
        });
        if (!response.ok) {
          changedSinceDraft = true;
          return;
        }
        const { saved_at: savedAt } = await response.json();
        if (status) {
          status.textContent = `Draft kept at ${savedAt}; it comes back here if you are signed out.`;
        }
      } catch {
        changedSinceDraft = true;
      }
    };
    setInterval(save, AUTOSAVE_MS);
    document.addEventListener("session:warning", save);
    if (window.pumpSession) {
      window.pumpSession.beforeSignOut(save);
    }
  }
})();
