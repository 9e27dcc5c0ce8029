//! Every private key the SDK hands to JavaScript lives here, so that logout and idle timeout
//! can zeroize all of them at once, whatever references JavaScript still holds. (The Rust API
//! hands out `bizing_core::KeyPair`s, owned by the caller and zeroized when dropped; without
//! the `js` feature nothing is registered here.)

use std::cell::RefCell;
#[cfg(feature = "js")]
use std::rc::Rc;
use std::rc::Weak;

use bizing_core::KeyPair as CoreKeyPair;
#[cfg(feature = "js")]
use wasm_bindgen::prelude::*;

/// A private key shared between its JS handle and the registry; `None` once zeroized.
#[cfg(feature = "js")]
pub(crate) type Slot = Rc<RefCell<Option<CoreKeyPair>>>;

thread_local! {
    static LIVE: RefCell<Vec<Weak<RefCell<Option<CoreKeyPair>>>>> = const { RefCell::new(Vec::new()) };
}

/// Registers a key and returns its slot.
#[cfg(feature = "js")]
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

/// Runs `f` with the key in `slot`; `None` once it is zeroized (or, reentrantly, while it is
/// being zeroized).
#[cfg(feature = "js")]
pub(crate) fn with_key<T>(slot: &Slot, f: impl FnOnce(&CoreKeyPair) -> T) -> Option<T> {
    let guard = slot.try_borrow().ok()?;
    guard.as_ref().map(f)
}

/// Zeroizes one key (dropping a P-256 secret key overwrites it).
#[cfg(feature = "js")]
pub(crate) fn zeroize(slot: &Slot) {
    if let Ok(mut key) = slot.try_borrow_mut() {
        key.take();
    }
}

/// Zeroizes every private key the SDK has handed out (what logout and idle timeout do).
/// Returns how many keys were live.
// (Handed out to JavaScript: a Rust caller owns its `bizing_core::KeyPair`s and drops them.)
#[cfg_attr(feature = "js", wasm_bindgen(js_name = zeroizeKeys))]
pub fn zeroize_keys() -> usize {
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
