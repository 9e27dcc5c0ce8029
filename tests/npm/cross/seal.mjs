// Seals the Node.js fixture for the other runtimes: node cross/seal.mjs OUT.json
import { writeFile } from "node:fs/promises";

import * as sdk from "@bizing/booking-sdk";

import { sealFixture } from "./fixture.mjs";

await sdk.init();
await writeFile(process.argv[2], JSON.stringify(sealFixture(sdk, "Node.js"), null, 2));
