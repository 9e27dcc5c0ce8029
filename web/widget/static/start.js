// The widget frame's start: the channel to the page that frames it, then the wasm app.
// No inline script: the CSP allows only files from 'self'.
//
// The loader (`loader.js`, on the host page) sends one `bizing:connect` message with a
// MessagePort once this frame has loaded. It is accepted only from the framing page itself
// (`event.source === window.parent`) and, where the browser names it, only from its origin
// (which the server's `frame-ancestors` already limits to the clinic's allowed origins).
// After that, nothing arriving on `window` is read again: the port is the only way in or out.
import init from "./{{GLUE}}";

const VERSION = 1;
const framed = window.parent !== window;
// The framing page's origin: Chrome and Safari name it; elsewhere the referrer may.
const parentOrigin = (() => {
  if (!framed) return null;
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
})();

let port = null;
let listener = null;
const outbox = []; // to the host, before the handshake
const inbox = []; // from the host, before the app listens
const MAX_QUEUED = 32;

function onWindowMessage(event) {
  if (port || !framed || event.source !== window.parent) return;
  if (parentOrigin && event.origin !== parentOrigin) return;
  const data = event.data;
  if (!data || typeof data !== "object" || data.type !== "bizing:connect" || data.version !== VERSION) return;
  if (event.ports.length !== 1) return;
  port = event.ports[0];
  window.removeEventListener("message", onWindowMessage);
  port.onmessage = (e) => receive(e.data);
  for (const message of outbox.splice(0)) port.postMessage(message);
  watchHeight();
}
window.addEventListener("message", onWindowMessage);

// Host messages: plain objects with a known type only.
function receive(data) {
  if (!data || typeof data !== "object" || data.type !== "prefill") return;
  if (listener) listener(data);
  else if (inbox.length < MAX_QUEUED) inbox.push(data);
}

function send(message) {
  if (port) port.postMessage(message);
  else if (outbox.length < MAX_QUEUED) outbox.push(message);
}

// Inline mode: the host sizes the iframe to the content.
function watchHeight() {
  let last = 0;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      send({ type: "resize", height });
    }
  };
  new ResizeObserver(report).observe(document.documentElement);
  report();
}

// Activity, throttled, for the host page's own idle timer (the `activity` event).
let lastActivity = 0;
for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
  addEventListener(
    type,
    () => {
      const now = Date.now();
      if (now - lastActivity >= 5000) {
        lastActivity = now;
        send({ type: "activity" });
      }
    },
    { capture: true, passive: true },
  );
}

// The sealing module (web/widget-seal), loaded the first time the app asks for it (the note
// step). Resolves with the module, its sealNote(...) ready to call.
let seal;
globalThis.bizingWidgetSeal = () =>
  (seal ??= import("./{{SEAL_GLUE}}")
    .then(async (module) => {
      await module.default({ module_or_path: new URL("./{{SEAL_WASM}}", import.meta.url) });
      return module;
    })
    .catch((error) => {
      seal = undefined; // the next booking tries again
      throw error;
    }));

globalThis.bizingWidget = Object.freeze({
  send,
  listen(handler) {
    listener = handler;
    for (const message of inbox.splice(0)) handler(message);
  },
});

// The theme the element asked for (`light`, `dark`; anything else follows the system).
const theme = new URLSearchParams(location.search).get("theme");
if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;

init({ module_or_path: new URL("./{{WASM}}", import.meta.url) }).catch((error) => {
  const boot = document.getElementById("boot");
  if (boot) {
    boot.textContent = "Booking online could not start here. Reload the page, or call the clinic.";
    boot.setAttribute("role", "alert");
  }
  send({ type: "failed", problem: "widget-failed-to-start" });
  throw error;
});
