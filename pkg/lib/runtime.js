// What every entry point shares: `init()` loads the wasm once, and until it has, every call
// into the SDK throws a BizingError that says so (instead of wasm-bindgen's "Cannot read
// properties of undefined"). Also turns wasm-bindgen's own argument check for object handles
// ("expected instance of KeyPair") into a BizingError, so every error has a code.
//
// Internal: not part of the public API (the package's `exports` map does not expose it).

import * as glue from "../dist/bizing_sdk.js";

let ready = false;

export function bizingError(code, message) {
  const error = new Error(message);
  error.name = "BizingError";
  error.code = code;
  return error;
}

/** Throws unless `init()` has finished. */
export function ensureReady() {
  if (!ready) {
    throw bizingError(
      glue.ErrorCode.NotInitialized,
      "@bizing/booking-sdk is not initialized: `await init()` once before using it",
    );
  }
}

// The glue checks handle arguments in JavaScript before calling into wasm, so nothing has
// happened yet when this is thrown: rethrowing it with a code is safe.
const WRONG_HANDLE = /^expected instance of (\w+)$/;

function translate(error) {
  const wrongHandle = error instanceof Error && error.name === "Error" && WRONG_HANDLE.exec(error.message);
  return wrongHandle ? bizingError(glue.ErrorCode.InvalidArgument, `expected a ${wrongHandle[1]}`) : error;
}

/** `fn` (keeping its name), failing clearly when called before `init()` if `guard`. */
function wrap(fn, guard) {
  return {
    [fn.name](...args) {
      if (guard) ensureReady();
      try {
        return fn.apply(this, args);
      } catch (error) {
        throw translate(error);
      }
    },
  }[fn.name];
}

/** A free function of the glue, guarded. */
export function guardFunction(fn) {
  return wrap(fn, true);
}

function wrapMethods(object, guard) {
  for (const key of Object.getOwnPropertyNames(object)) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    // `__wrap` and friends are wasm-bindgen internals; `free` takes no arguments.
    if (key === "constructor" || key === "free" || key.startsWith("__")) continue;
    if (typeof descriptor.value !== "function") continue;
    Object.defineProperty(object, key, { ...descriptor, value: wrap(descriptor.value, guard) });
  }
}

// Every object handle comes from a static factory (`KeyPair.generate()`, `Envelope.parse()`,
// ...) or a constructor, so guarding those covers the whole API: an instance cannot exist
// before the module is loaded.
const isClass = (value) => typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value));
for (const value of Object.values(glue)) {
  if (!isClass(value)) continue;
  wrapMethods(value, true);
  wrapMethods(value.prototype, false);
}

/**
 * The `init()` of one entry point: runs `load` (which instantiates the glue) at most once at
 * a time, remembers success, and lets a failed load (say, a network error) be retried.
 */
export function createInit(load) {
  let loading;
  return function init() {
    if (loading === undefined) {
      loading = Promise.resolve()
        .then(load)
        .then(() => {
          ready = true;
        });
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  };
}
