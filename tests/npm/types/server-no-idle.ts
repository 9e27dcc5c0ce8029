// IdleTimer is browser-only: the Node.js, Deno and workerd entries do not declare it.
// @ts-expect-error: no IdleTimer outside the browser entry
import { IdleTimer } from "@bizing/booking-sdk";
// @ts-expect-error: nor its options type
import type { IdleTimerOptions } from "@bizing/booking-sdk";

export type Absent = [typeof IdleTimer, IdleTimerOptions];
