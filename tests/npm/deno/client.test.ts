// BookingClient under Deno against the real bizing-server run.mjs started (BIZING_API_URL):
// the short patient flow of shared/patient-flow.mjs (type-checked here through its
// `// @ts-check`), one Deno test step per flow step. Network access is --allow-net for the
// server's address only.
import * as sdk from "@bizing/booking-sdk";
import { init } from "@bizing/booking-sdk";

import { patientFlow } from "../shared/patient-flow.mjs";

Deno.test("BookingClient against bizing-server: register, TOTP, NPP, book a sealed note, access log, logout", async (t) => {
  await init();
  const steps = patientFlow(sdk, Deno.env.get("BIZING_API_URL"), "Deno");
  for (const { name, run } of steps) {
    // The steps build on each other: after a failure the rest would only fail for it.
    if (!(await t.step(name, run))) break;
  }
});
