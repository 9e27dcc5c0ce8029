// IdleTimer and openNotes are browser-only: the Node.js, Deno and workerd entries do not
// declare them.
// @ts-expect-error: no IdleTimer outside the browser entry
import { IdleTimer } from "@bizing/booking-sdk";
// @ts-expect-error: nor its options type
import type { IdleTimerOptions } from "@bizing/booking-sdk";

// @ts-expect-error: no openNotes outside the browser entry
import { openNotes } from "@bizing/booking-sdk";
// @ts-expect-error: nor its types
import type { OpenNotesItem, OpenNotesOptions } from "@bizing/booking-sdk";

export type Absent = [typeof IdleTimer, IdleTimerOptions, typeof openNotes, OpenNotesItem, OpenNotesOptions];
