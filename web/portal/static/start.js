// Loads the portal's wasm (no inline script: the server's CSP allows only files from 'self').
import init from "./{{GLUE}}";

init({ module_or_path: new URL("./{{WASM}}", import.meta.url) }).catch((error) => {
  const boot = document.getElementById("boot");
  if (boot) {
    boot.textContent = "The patient portal could not start. Reload the page; if it keeps failing, use a current browser.";
    boot.setAttribute("role", "alert");
  }
  throw error;
});
