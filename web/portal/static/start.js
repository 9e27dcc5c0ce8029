// Loads the portal's wasm (no inline script: the server's CSP allows only files from 'self').
import init from "./{{GLUE}}";

// The QR code module, loaded the first time the portal asks for it (authenticator enrollment
// only; see bizing_portal::qr). Resolves with the module, its qrSvg(text) ready to call.
let qr;
globalThis.bizingPortalQr = () =>
  (qr ??= import("./{{QR_GLUE}}")
    .then(async (module) => {
      await module.default({ module_or_path: new URL("./{{QR_WASM}}", import.meta.url) });
      return module;
    })
    .catch((error) => {
      qr = undefined; // a later enrollment tries again
      throw error;
    }));

init({ module_or_path: new URL("./{{WASM}}", import.meta.url) }).catch((error) => {
  const boot = document.getElementById("boot");
  if (boot) {
    boot.textContent = "The patient portal could not start. Reload the page; if it keeps failing, use a current browser.";
    boot.setAttribute("role", "alert");
  }
  throw error;
});
