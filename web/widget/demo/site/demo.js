// The demo clinic site's own script: logs the widget's events and offers a prefill.
const log = document.getElementById("events");
for (const type of ["ready", "booking-succeeded", "closed", "failed"]) {
  document.addEventListener(type, (event) => {
    const item = document.createElement("li");
    item.textContent = `${event.target.id}: ${type} ${JSON.stringify(event.detail)}`;
    log.append(item);
  });
}
document.getElementById("prefill").addEventListener("click", () => {
  const widget = document.getElementById("popup-widget");
  widget.prefill({ name: "Jordan Visitor", email: "jordan@example.test" });
  widget.open();
});
