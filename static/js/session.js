// The idle logoff, announced. Two minutes before the session ends (half the idle time when
// that is shorter) a countdown appears with "Stay signed in"; when it runs out, the page
// saves what it can (see drafts.js) and signs out, coming back to this page after the next
// sign-in. Someone who typed or clicked since the page last reached the server is not idle:
// their session is extended without asking. Other tabs may extend the session too, so the
// page asks the server how long is left before it warns and before it signs out.
(() => {
  const box = document.getElementById("idle-warning");
  if (!box) {
    return;
  }
  const idle = Number(box.dataset.idleSeconds);
  const lead = Math.min(120, Math.floor(idle / 2));
  const left = box.querySelector("[data-idle-left]");
  const stay = box.querySelector("[data-idle-stay]");
  const token = () => {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  const beforeSignOut = [];
  let reachedServerAt = Date.now();
  let interactedAt = 0;
  let timer = null;
  let signingOut = false;

  window.pumpSession = {
    // drafts.js registers what must be saved before the page signs out.
    beforeSignOut: (callback) => beforeSignOut.push(callback),
    // A person's request reached the server (the session was extended).
    touched: () => {
      reachedServerAt = Date.now();
    },
    isSigningOut: () => signingOut,
  };

  const ask = async (method) => {
    const response = await fetch(box.dataset.sessionUrl, {
      method,
      headers: method === "POST" ? { "X-CSRFToken": token() } : {},
      credentials: "same-origin",
      redirect: "manual",
    });
    if (!response.ok) {
      return 0;
    }
    return (await response.json()).seconds_left;
  };

  const schedule = (seconds) => {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, seconds) * 1000);
  };

  const show = (seconds) => {
    const whole = Math.max(0, Math.ceil(seconds));
    left.textContent = `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
    if (box.hidden) {
      box.hidden = false;
      document.dispatchEvent(new CustomEvent("session:warning"));
    }
  };

  const extend = async () => {
    const seconds = await ask("POST");
    reachedServerAt = Date.now();
    box.hidden = true;
    schedule(seconds - lead);
  };

  const signOut = async () => {
    signingOut = true;
    await Promise.allSettled(beforeSignOut.map((callback) => callback()));
    const form = document.createElement("form");
    form.method = "post";
    form.action = box.dataset.logoutUrl;
    form.hidden = true;
    const next = `${box.dataset.loginUrl}?next=${encodeURIComponent(window.location.pathname)}`;
    for (const [name, value] of [["csrfmiddlewaretoken", token()], ["next", next]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  };

  let deadline = 0;
  const tick = () => {
    const remaining = (deadline - Date.now()) / 1000;
    show(remaining);
    if (remaining <= 1) {
      check();
      return;
    }
    timer = setTimeout(tick, 1000);
  };

  async function check() {
    if (box.hidden && interactedAt > reachedServerAt) {
      await extend();
      return;
    }
    let seconds;
    try {
      seconds = await ask("GET");
    } catch {
      schedule(5);
      return;
    }
    if (seconds > lead + 1) {
      box.hidden = true;
      schedule(seconds - lead);
    } else if (seconds > 1) {
      deadline = Date.now() + seconds * 1000;
      tick();
    } else {
      await signOut();
    }
  }

  for (const type of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(type, () => {
      interactedAt = Date.now();
    }, { capture: true, passive: true });
  }
  stay.addEventListener("click", (event) => {
    event.stopPropagation();
    extend();
  });
  schedule(idle - lead);
})();
