// Loads the package's browser entry exactly as package.json's exports map names it.
try {
  const manifest = await (await fetch("/pkg/package.json")).json();
  const dot = manifest.exports["."];
  const entry = typeof dot === "string" ? dot : (dot.browser?.default ?? dot.browser ?? dot.default);
  const sdk = await import(new URL(entry, new URL("/pkg/", location.href)).href);
  await sdk.init();
  window.sdk = sdk;
  window.events = [];
  window.sdkReady = true;
} catch (e) {
  window.sdkError = String(e && e.stack ? e.stack : e);
}
