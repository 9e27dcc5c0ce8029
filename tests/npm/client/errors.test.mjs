// BookingClient errors: bad arguments are InvalidArgument (thrown by the constructor, a
// rejected promise from the methods, before any request); no answer is Network; a success
// that is not JSON is InvalidResponse; an error that is not a problem document is Api with
// problemType "about:blank". Uses small local HTTP servers, not bizing-server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { BookingClient, ErrorCode, init } from "@bizing/booking-sdk";

import { throwsCode } from "../node/helpers.mjs";

const { InvalidArgument } = ErrorCode;

/** Asserts that `promise` rejects with a BizingError of `code` (an ErrorCode name). */
async function rejectsCode(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, "BizingError", String(error));
    assert.equal(ErrorCode[error.code], code, error.message);
    return true;
  });
}

let server;
let base;
let requests = 0;

before(async () => {
  await init();
  // 200 with HTML for /html, 502 with plain text for /api/me, a problem for the rest.
  server = createServer((request, response) => {
    requests += 1;
    if (request.url === "/html/api/me") {
      response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>not the API</p>");
    } else if (request.url === "/api/me") {
      response.writeHead(502, "Bad Gateway", { "content-type": "text/plain" }).end("upstream down");
    } else {
      const problem = { type: "urn:bizing:problem:rate-limited", title: "Too many requests", status: 429, detail: "slow down" };
      response.writeHead(429, { "content-type": "application/problem+json", "retry-after": "17" }).end(JSON.stringify(problem));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

test("the constructor checks its options", () => {
  throwsCode(() => new BookingClient(), InvalidArgument, "no options");
  throwsCode(() => new BookingClient("https://booking.example"), InvalidArgument, "a string");
  throwsCode(() => new BookingClient({}), InvalidArgument, "no baseUrl");
  throwsCode(() => new BookingClient({ baseUrl: 42 }), InvalidArgument, "numeric baseUrl");
  throwsCode(() => new BookingClient({ baseUrl: "ftp://booking.example" }), InvalidArgument, "not http(s)");
  throwsCode(() => new BookingClient({ baseUrl: "/api" }), InvalidArgument, "relative, outside a browser");
  throwsCode(() => new BookingClient({ baseUrl: base, credentials: "always" }), InvalidArgument, "bad credentials");
  assert.ok(new BookingClient({ baseUrl: `${base}/`, credentials: "omit" }));
});

test("methods reject bad arguments before sending anything", async () => {
  const client = new BookingClient({ baseUrl: base });
  const before = requests;
  const cases = [
    ["prelogin: no email", () => client.prelogin({ tenantId: "t" })],
    ["prelogin: not an object", () => client.prelogin("t")],
    ["register: no password", () => client.register({ tenantId: "t", email: "e@x", name: "n" })],
    ["register: numeric password", () => client.register({ tenantId: "t", email: "e@x", name: "n", password: 1 })],
    ["register: unknown KDF profile", () => client.register({ tenantId: "t", email: "e@x", name: "n", password: "p", kdfProfile: "fast" })],
    ["login: no tenantId", () => client.login({ email: "e@x", password: "p" })],
    ["confirmTotp: number", () => client.confirmTotp(123456)],
    ["confirmTotp: empty", () => client.confirmTotp("")],
    ["verifyMfa: both", () => client.verifyMfa({ code: "123456", recoveryCode: "AAAAA-AAAAA-AAAAA-AAAAA" })],
    ["verifyMfa: neither", () => client.verifyMfa({})],
    ["verifyMfa: numeric code", () => client.verifyMfa({ code: 123456 })],
    ["clinicNpp: no tenant", () => client.clinicNpp()],
    ["acknowledgeNpp: no channel", () => client.acknowledgeNpp({ versionHash: "ab" })],
    ["services: numeric tenant", () => client.services(7)],
    ["slots: no service", () => client.slots("t", {})],
    ["slots: fractional days", () => client.slots("t", { service: "s", days: 1.5 })],
    ["slots: no query", () => client.slots("t")],
    ["createBooking: no start", () => client.createBooking({ providerId: "p", serviceId: "s" })],
    ["createBooking: numeric note", () => client.createBooking({ providerId: "p", serviceId: "s", start: "x", note: 1 })],
    ["booking: null id", () => client.booking(null)],
    ["cancelBooking: object id", () => client.cancelBooking({ id: "x" })],
    ["rescheduleBooking: no start", () => client.rescheduleBooking("id", {})],
    ["accessLog: negative since", () => client.accessLog({ since: -1 })],
    ["accessLog: string since", () => client.accessLog({ since: "3" })],
    ["checkIn: no id", () => client.checkIn()],
    ["bookingsBetween: no to", () => client.bookingsBetween("2027-03-15")],
    ["bookingsBetween: numeric from", () => client.bookingsBetween(20270315, "2027-03-16")],
    ["setConfidentialContact: no value", () => client.setConfidentialContact({ method: "phone" })],
    ["setConfidentialContact: numeric instructions", () => client.setConfidentialContact({ method: "phone", value: "555 0100", instructions: 1 })],
    ["createRestriction: no details", () => client.createRestriction({ id: "i", kind: "other" })],
    ["decideRestriction: no decision", () => client.decideRestriction("id", {})],
    ["decideRestriction: no id", () => client.decideRestriction("", { decision: "agreed" })],
    ["withdrawRestriction: object id", () => client.withdrawRestriction({ id: "x" })],
  ];
  for (const [name, call] of cases) {
    let promise;
    assert.doesNotThrow(() => {
      promise = call();
    }, `${name}: rejects rather than throws`);
    await assert.rejects(promise, (error) => {
      assert.equal(ErrorCode[error.code], "InvalidArgument", `${name}: ${error.message}`);
      return true;
    });
  }
  assert.equal(requests, before, "no request was sent");
});

test("an API problem carries status, problemType, title, detail and retryAfter", async () => {
  const client = new BookingClient({ baseUrl: base });
  await assert.rejects(client.bookings(), (error) => {
    assert.equal(error.code, ErrorCode.Api);
    assert.equal(error.status, 429);
    assert.equal(error.problemType, "urn:bizing:problem:rate-limited");
    assert.equal(error.title, "Too many requests");
    assert.equal(error.detail, "slow down");
    assert.equal(error.retryAfter, 17);
    return true;
  });
});

test("an error that is not a problem document is Api with about:blank", async () => {
  const client = new BookingClient({ baseUrl: base });
  await assert.rejects(client.me(), (error) => {
    assert.equal(error.code, ErrorCode.Api);
    assert.equal(error.status, 502);
    assert.equal(error.problemType, "about:blank");
    assert.equal(error.title, "Bad Gateway");
    assert.equal("detail" in error, false);
    return true;
  });
});

test("a success that is not JSON is InvalidResponse", async () => {
  await rejectsCode(new BookingClient({ baseUrl: `${base}/html` }).me(), "InvalidResponse");
});

test("no server is Network", async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  await rejectsCode(new BookingClient({ baseUrl: `http://127.0.0.1:${port}` }).me(), "Network");
  await rejectsCode(new BookingClient({ baseUrl: `http://127.0.0.1:${port}` }).logout(), "Network");
});
