// Another site framed by the clinic page: tries to take over the widget frame next to it,
// and to pass for the widget towards the clinic page.
window.rogueAnswers = [];
window.rogueHandshake = () => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => window.rogueAnswers.push(event.data);
  parent.frames[0].postMessage({ type: "bizing:connect", version: 1 }, "*", [channel.port2]);
};
window.forgeEvents = () => {
  parent.postMessage({ type: "booking-succeeded", bookingId: "forged", status: "active" }, "*");
  parent.postMessage({ type: "ready" }, "*");
};
