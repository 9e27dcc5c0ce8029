// Inserts one inline <bizing-booking> once the loader has defined it, and records, in
// performance.now() milliseconds: when the loader had defined the element, and the time from
// the element's insertion to its `ready` event (the frame loaded, its wasm started, the
// clinic's services and providers fetched, the first step drawn).
customElements.whenDefined("bizing-booking").then(() => {
  const defined = performance.now();
  const element = document.createElement("bizing-booking");
  element.setAttribute("clinic", "demo-clinic");
  element.addEventListener("ready", () => {
    window.benchResult = { loader_defined_ms: defined, insertion_to_ready_ms: performance.now() - inserted };
  });
  element.addEventListener("failed", (event) => {
    window.benchResult = { failed: event.detail.problem };
  });
  const inserted = performance.now();
  document.querySelector("main").append(element);
});
