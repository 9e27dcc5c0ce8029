// Types of the browser (and default) entry point: the whole API, including IdleTimer.

export * from "./server.js";
export { IdleTimer } from "./dist/bizing_sdk.js";
export type { IdleTimerOptions } from "./dist/bizing_sdk.js";
