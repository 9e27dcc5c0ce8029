// Node.js opens what the other runtimes sealed (run after them, with BIZING_FIXTURES set).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { before, test } from "node:test";

import * as sdk from "@bizing/booking-sdk";

import { openFixture } from "./fixture.mjs";

const dir = process.env.BIZING_FIXTURES;

before(() => sdk.init());

for (const runtime of ["deno", "workerd", "browser"]) {
  test(`opens what ${runtime} sealed`, async () => {
    const fixture = JSON.parse(await readFile(path.join(dir, `${runtime}.json`), "utf8"));
    openFixture(sdk, fixture);
  });
}
