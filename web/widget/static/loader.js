/*! Bizing booking widget loader, v1. Defines <bizing-booking clinic="ID" mode="inline|popup" theme="light|dark|auto">. */
// Load it as a classic script (it finds the booking origin from its own URL):
//   <script src="https://BOOKING-ORIGIN/widget/v1/loader.js" integrity="sha384-…" crossorigin="anonymous" async></script>
// The booking itself runs in a sandboxed iframe on the booking origin. This page talks to it
// only over a MessageChannel set up with the frame's exact origin, and hears back opaque ids
// and states, never what the patient typed. No inline script or style: it runs under a
// strict CSP (script-src and frame-src naming the booking origin are all it needs).
(() => {
  "use strict";
  const TAG = "bizing-booking";
  const script = document.currentScript;
  if (customElements.get(TAG) || !script || !script.src) return;
  const base = new URL(".", script.src);
  const ORIGIN = base.origin;
  const FRAME = new URL("frame.html", base);
  const VERSION = 1;
  const MODES = ["inline", "popup"];
  const THEMES = ["light", "dark", "auto"];
  const PREFILL = ["name", "email", "phone", "service"];

  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
:host { display: block; }
:host([hidden]) { display: none; }
iframe { display: block; width: 100%; height: 30rem; border: 0; }
.open { font: inherit; padding: .6em 1.1em; border: 1px solid #0b5cad; border-radius: 6px; background: #0b5cad; color: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #0b5cad; outline-offset: 2px; }
dialog { width: min(40rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); padding: 0; border: 0; border-radius: 10px; background: #fff; box-shadow: 0 10px 40px rgba(0,0,0,.35); }
dialog::backdrop { background: rgba(15,20,25,.6); }
.bar { display: flex; justify-content: flex-end; }
.close { font: inherit; padding: .5rem .75rem; border: 0; background: transparent; color: #1b1f24; cursor: pointer; text-decoration: underline; }
dialog iframe { height: min(40rem, calc(100vh - 6rem)); }
`);

  const pick = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);

  class BizingBooking extends HTMLElement {
    static get observedAttributes() {
      return ["clinic", "mode", "theme"];
    }

    // Open: nothing secret lives here (the booking is in the cross-origin frame), and host
    // pages may style the popup button through ::part(button).
    #root = this.attachShadow({ mode: "open" });
    #built = "";
    #frame = null;
    #port = null;
    #connected = false;
    #dialog = null;
    #opener = null;
    #prefill = null;

    constructor() {
      super();
      this.#root.adoptedStyleSheets = [sheet];
    }

    connectedCallback() {
      this.#build();
    }

    disconnectedCallback() {
      this.#teardown();
    }

    attributeChangedCallback() {
      if (this.isConnected) this.#build();
    }

    /** Offers the patient's details to the form (sent over the channel, never in a URL). */
    prefill(details) {
      const message = { type: "prefill" };
      for (const key of PREFILL) {
        if (typeof details?.[key] === "string") message[key] = details[key].slice(0, 254);
      }
      this.#prefill = message;
      if (this.#connected) this.#port.postMessage(message);
    }

    /** Popup mode: opens the booking dialog. */
    open() {
      const config = this.#config();
      if (config.mode !== "popup" || !config.clinic) return;
      if (!this.#dialog) {
        const dialog = document.createElement("dialog");
        dialog.setAttribute("aria-modal", "true");
        dialog.setAttribute("aria-label", "Book an appointment");
        const bar = document.createElement("div");
        bar.className = "bar";
        const close = document.createElement("button");
        close.type = "button";
        close.className = "close";
        close.textContent = "Close";
        close.setAttribute("aria-label", "Close booking");
        close.addEventListener("click", () => this.close());
        bar.append(close);
        // Esc on this side of the frame (the frame reports its own Esc as close-request).
        dialog.addEventListener("cancel", (event) => {
          event.preventDefault();
          this.close();
        });
        dialog.append(bar, this.#makeFrame(config));
        this.#root.append(dialog);
        this.#dialog = dialog;
      }
      if (this.#dialog.open) return;
      this.#opener = this.#root.activeElement ?? document.activeElement;
      this.#dialog.showModal();
      this.#frame.focus();
    }

    /** Popup mode: closes the booking dialog and gives focus back. */
    close() {
      if (!this.#dialog?.open) return;
      this.#dialog.close();
      const back = this.#opener?.isConnected ? this.#opener : this.#root.querySelector(".open");
      back?.focus();
      this.#opener = null;
      this.#emit("closed", {});
    }

    #config() {
      return {
        clinic: (this.getAttribute("clinic") ?? "").trim(),
        mode: pick(this.getAttribute("mode"), MODES, "inline"),
        theme: pick(this.getAttribute("theme"), THEMES, "auto"),
      };
    }

    #build() {
      const config = this.#config();
      const key = `${config.clinic}\n${config.mode}\n${config.theme}`;
      if (key === this.#built) return;
      this.#teardown();
      this.#built = key;
      if (!config.clinic) {
        this.#emit("failed", { problem: "no-clinic" });
        return;
      }
      if (config.mode === "popup") {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "open";
        button.setAttribute("part", "button");
        const label = document.createElement("slot");
        label.textContent = "Book an appointment";
        button.append(label);
        button.addEventListener("click", () => this.open());
        this.#root.append(button);
      } else {
        this.#root.append(this.#makeFrame(config));
      }
    }

    #makeFrame(config) {
      const url = new URL(FRAME);
      url.search = new URLSearchParams(config).toString();
      const frame = document.createElement("iframe");
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
      frame.setAttribute("title", "Book an appointment");
      // The frame checks that the page framing it is the one it talks to.
      frame.setAttribute("referrerpolicy", "origin");
      frame.addEventListener("load", () => this.#connect(frame));
      frame.src = url.href;
      this.#frame = frame;
      return frame;
    }

    // A new channel for each document the frame loads; the port goes only to the booking
    // origin (postMessage's exact target origin), so a frame navigated elsewhere gets nothing.
    #connect(frame) {
      if (frame !== this.#frame || !frame.contentWindow) return;
      this.#port?.close();
      this.#connected = false;
      const channel = new MessageChannel();
      this.#port = channel.port1;
      channel.port1.onmessage = (event) => this.#receive(event.data);
      frame.contentWindow.postMessage({ type: "bizing:connect", version: VERSION }, ORIGIN, [channel.port2]);
    }

    #receive(data) {
      if (!data || typeof data !== "object") return;
      if (!this.#connected) {
        // The frame answered on the port: the handshake is done; now the prefill may go.
        this.#connected = true;
        if (this.#prefill) this.#port.postMessage(this.#prefill);
      }
      switch (data.type) {
        case "resize":
          // Inline only: a centred dialog that changed height would move its content under
          // the pointer; there the frame has a fixed height and scrolls.
          if (Number.isFinite(data.height) && this.#frame && !this.#dialog) {
            this.#frame.style.height = `${Math.min(Math.max(Math.ceil(data.height), 120), 10000)}px`;
          }
          break;
        case "ready":
          this.#emit("ready", {});
          break;
        case "booking-succeeded":
          this.#emit("booking-succeeded", { bookingId: String(data.bookingId), status: String(data.status) });
          break;
        case "failed":
          this.#emit("failed", { problem: String(data.problem) });
          break;
        case "close-request":
          this.close();
          break;
        case "activity":
          this.#emit("activity", {});
          break;
      }
    }

    #emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail: Object.freeze(detail), bubbles: true, composed: true }));
    }

    #teardown() {
      this.#port?.close();
      this.#port = null;
      this.#connected = false;
      if (this.#dialog?.open) this.#dialog.close();
      this.#root.replaceChildren();
      this.#frame = null;
      this.#dialog = null;
      this.#built = "";
    }
  }

  customElements.define(TAG, BizingBooking);
})();
