// The biller's queue: select every claim on the page at once, say how many are selected,
// and download an export without leaving the page, then load the queue again so that the
// exported claims no longer show as approved (and the export's message shows).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("bulk");
  if (!form) {
    return;
  }
  const boxes = () => [...form.querySelectorAll("input[name=claims]")];
  const all = document.getElementById("select-all");
  const count = document.getElementById("bulk-count");
  const update = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    if (count) {
      count.textContent = `${ticked} selected`;
    }
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  };
  form.addEventListener("change", (event) => {
    if (event.target === all) {
      boxes().forEach((box) => {
        box.checked = all.checked;
      });
    }
    update();
  });
  update();
});

document.addEventListener("submit", async (event) => {
  const button = event.submitter;
  if (!button || !button.hasAttribute("data-download")) {
    return;
  }
  event.preventDefault();
  const form = event.target;
  // Read before the button is disabled: a disabled button's value is not sent.
  const data = new FormData(form, button);
  button.disabled = true;
  try {
    // A redirect (nothing to export, an error) is not followed here: the messages it left
    // in the session show when the queue loads again below.
    // Without a formaction attribute, formAction is the page's own URL, not the form's.
    const action = button.hasAttribute("formaction") ? button.formAction : form.action;
    const response = await fetch(action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
    });
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="([^"]+)"/.exec(disposition);
    if (response.ok && name) {
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = name[1];
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    }
  } finally {
    window.location.assign(window.location.href);
  }
});
