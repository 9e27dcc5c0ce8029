// The widget frame framed directly (no loader), with another site's frame next to it: the
// test sends handshakes from the wrong places, then the right one, and sees which the frame
// answers. Each handshake gets its own port; `window.answers[name]` lists what came back.
window.answers = {};
window.handshake = (name, { payload = { type: "bizing:connect", version: 1 }, targetOrigin } = {}) => {
  const frame = document.getElementById("widget");
  const channel = new MessageChannel();
  window.answers[name] = [];
  channel.port1.onmessage = (event) => window.answers[name].push(event.data);
  frame.contentWindow.postMessage(payload, targetOrigin ?? new URL(frame.src).origin, [channel.port2]);
};
