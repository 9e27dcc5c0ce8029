// A clinic's own website, on an origin of its own: the demo's (`cargo xtask demo`) and the
// widget tests'. Serves static pages under a strict CSP (no inline script or style, Trusted
// Types required), filling `{{BOOKING_ORIGIN}}` and `{{LOADER_INTEGRITY}}` (the built
// loader's SRI value) into HTML, as a clinic pastes them from the docs.
//
//   node web/widget/demo/serve.mjs BOOKING_ORIGIN LOADER_FILE [PORT] [HOST]
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** The CSP a host page needs for the widget (docs/widget.md lists it), and nothing more. */
export function hostCsp(bookingOrigin, frameSrc = [], frameAncestors = "'none'") {
  return [
    "default-src 'none'",
    `script-src 'self' ${bookingOrigin}`,
    `frame-src ${[bookingOrigin, ...frameSrc].join(" ")}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
    "require-trusted-types-for 'script'",
  ].join("; ");
}

/** The `integrity` value of a file: `sha384-` and its base64 SHA-384. */
export async function integrityOf(file) {
  return `sha384-${createHash("sha384").update(await readFile(file)).digest("base64")}`;
}

/**
 * Serves the files of `dirs` (the first that has a path wins) on `host:port` (0: any free
 * port). Returns { origin, port, integrity, requests, close() }; `requests` lists every path
 * and query asked for, so tests can check what reached the host. Tests may fill more
 * `{{NAME}}`s (`vars`), allow more frame origins (`frameSrc`) and let pages be framed
 * (`frameAncestors`, a CSP source list).
 */
export async function startHostSite({
  dirs,
  bookingOrigin,
  loaderFile,
  port = 0,
  host = "127.0.0.1",
  vars = {},
  frameSrc = [],
  frameAncestors = "'none'",
}) {
  const integrity = await integrityOf(loaderFile);
  const requests = [];
  const server = createServer(async (req, res) => {
    requests.push(req.url);
    const url = new URL(req.url, "http://host.invalid");
    const name = decodeURIComponent(url.pathname).replace(/^\/+/, "") || "index.html";
    if (name.split("/").includes("..") || name.includes("\0")) return res.writeHead(404).end();
    for (const dir of dirs) {
      let body;
      try {
        body = await readFile(join(resolve(dir), name));
      } catch {
        continue;
      }
      const type = extname(name);
      if (type === ".html") {
        let text = body.toString("utf8");
        for (const [name, value] of Object.entries({ ...vars, BOOKING_ORIGIN: bookingOrigin, LOADER_INTEGRITY: integrity })) {
          text = text.replaceAll(`{{${name}}}`, value);
        }
        body = Buffer.from(text);
      }
      return res
        .writeHead(200, {
          "content-type": TYPES[type] ?? "application/octet-stream",
          "content-security-policy": hostCsp(bookingOrigin, frameSrc, frameAncestors),
          "x-content-type-options": "nosniff",
          "cache-control": "no-store",
        })
        .end(body);
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  await new Promise((done, fail) => server.once("error", fail).listen(port, host, done));
  return {
    origin: `http://${host}:${server.address().port}`,
    port: server.address().port,
    integrity,
    requests,
    close: () => new Promise((done) => server.close(done)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [bookingOrigin, loaderFile, port = "8081", host = "127.0.0.1"] = process.argv.slice(2);
  if (!bookingOrigin || !loaderFile) {
    console.error("usage: node serve.mjs BOOKING_ORIGIN LOADER_FILE [PORT] [HOST]");
    process.exit(2);
  }
  const site = await startHostSite({
    dirs: [fileURLToPath(new URL("./site/", import.meta.url))],
    bookingOrigin,
    loaderFile,
    port: Number(port),
    host,
  });
  console.log(`     the demo clinic's website (embeds the widget): ${site.origin}/`);
}
