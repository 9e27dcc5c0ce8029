// Records what the page hears: the widget's events and CSP violations (loaded first).
window.widgetEvents = [];
for (const type of ["ready", "booking-succeeded", "closed", "failed", "activity"]) {
  document.addEventListener(type, (event) => window.widgetEvents.push({ id: event.target.id, type, detail: event.detail }));
}
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
