//! Every private key the SDK hands to JavaScript lives here, so that logout and idle timeout
//! can zeroize all of them at once, whatever references JavaScript still holds.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use bizing_core::KeyPair as CoreKeyPair;
use wasm_bindgen::JsValue;

use crate::error::{ErrorCode, error};

/// A private key shared between its JS handle and the registry; `None` once zeroized.
pub(crate) type Slot = Rc<RefCell<Option<CoreKeyPair>>>;

thread_local! {
    static LIVE: RefCell<Vec<Weak<RefCell<Option<CoreKeyPair>>>>> = const { RefCell::new(Vec::new()) };
}

/// Registers a key and returns its slot.
pub(crate) fn register(key: CoreKeyPair) -> Slot {
    let slot = Rc::new(RefCell::new(Some(key)));
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        // Forget slots whose handles JS has already freed.
        live.retain(|w| w.strong_count() > 0);
        live.push(Rc::downgrade(&slot));
    });
    slot
}

/// Runs `f` with the key in `slot`, or fails with `KeyZeroized`.
pub(crate) fn with_key<T>(slot: &Slot, f: impl FnOnce(&CoreKeyPair) -> Result<T, JsValue>) -> Result<T, JsValue> {
    let guard = slot.try_borrow().map_err(|_| error(ErrorCode::KeyZeroized, "the key is in use"))?;
    match guard.as_ref() {
        Some(key) => f(key),
        None => Err(error(ErrorCode::KeyZeroized, "this key was zeroized (logout or idle timeout) and cannot be used")),
    }
}

/// Zeroizes one key (dropping a P-256 secret key overwrites it).
pub(crate) fn zeroize(slot: &Slot) {
    if let Ok(mut key) = slot.try_borrow_mut() {
        key.take();
    }
}

/// Zeroizes every key the SDK has handed out; returns how many were live.
pub(crate) fn zeroize_all() -> usize {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        let mut count = 0;
        for slot in live.drain(..).filter_map(|w| w.upgrade()) {
            if let Ok(mut key) = slot.try_borrow_mut()
                && key.take().is_some()
            {
                count += 1;
            }
        }
        count
    })
}
