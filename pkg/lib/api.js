// The API every runtime gets (everything but the browser-only IdleTimer). Keep in step with
// the SDK's exports: the npm-package tests compare this list with the generated glue.

import {
  BookingClient as GlueBookingClient,
  scanPhi as rawScanPhi,
  zeroizeKeys as rawZeroizeKeys,
} from "../dist/bizing_sdk.js";
import { ensureReady, guardFunction } from "./runtime.js";

export {
  AccessLogVerifier,
  ClinicKey,
  ClinicKeyring,
  Envelope,
  ErrorCode,
  KeyPair,
  Npp,
  PasswordKeys,
  PublicKey,
  RecoveryCodes,
  Totp,
} from "../dist/bizing_sdk.js";

export const scanPhi = guardFunction(rawScanPhi);
export const zeroizeKeys = guardFunction(rawZeroizeKeys);

/** The booking API's client (fetch-based; every runtime). Constructing it needs `init()`. */
export class BookingClient extends GlueBookingClient {
  constructor(options) {
    ensureReady();
    super(options);
  }
}

/** Whether `error` is what the SDK throws: an Error named "BizingError" with a numeric `code`. */
export function isBizingError(error) {
  return error instanceof Error && error.name === "BizingError" && typeof error.code === "number";
}
