//! Every private key the SDK hands to JavaScript lives here, so that logout and idle timeout
//! can zeroize all of them at once, whatever references JavaScript still holds. (The Rust API
//! hands out `bizing_core::KeyPair`s and `ClinicKeyring`s, owned by the caller and zeroized
//! when dropped; without the `js` feature nothing is registered here.)
//!
//! A holder is a shared slot (`Rc<RefCell<Option<T>>>`): the JS handle owns it, the registry
//! keeps a weak reference, and zeroizing takes the value out, whose drop overwrites the
//! secrets (P-256 secret keys zeroize themselves on drop). Single key pairs and clinic
//! keyrings share the one registry.

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

/// What the registry can zeroize: a slot holding private keys.
pub(crate) trait Wipe {
    /// Drops (so zeroizes) what the slot holds; returns how many private keys that was.
    fn wipe(&self) -> usize;
}

/// How many private keys a slot's value holds.
pub(crate) trait Secrets {
    /// The number of private keys in `self`.
    fn private_keys(&self) -> usize;
}

impl Secrets for CoreKeyPair {
    fn private_keys(&self) -> usize {
        1
    }
}

impl<T: Secrets> Wipe for RefCell<Option<T>> {
    fn wipe(&self) -> usize {
        // A slot borrowed right now is in use by a synchronous call on this thread, which
        // cannot be running while this one does; nothing holds a borrow across an await.
        self.try_borrow_mut().ok().and_then(|mut value| value.take()).map_or(0, |value| value.private_keys())
    }
}

/// A weak reference to a registered slot.
pub(crate) type WeakSlot = Weak<dyn Wipe>;

thread_local! {
    static LIVE: RefCell<Vec<WeakSlot>> = const { RefCell::new(Vec::new()) };
}

/// A weak reference to `slot`, for the registry or a client's logout list.
#[cfg(feature = "js")]
pub(crate) fn weak<T: Secrets + 'static>(slot: &Rc<RefCell<Option<T>>>) -> WeakSlot {
    let weak: Weak<RefCell<Option<T>>> = Rc::downgrade(slot);
    weak
}

/// Registers a slot with the registry (so [`zeroize_keys`] reaches it) and returns it.
#[cfg(feature = "js")]
pub(crate) fn register_slot<T: Secrets + 'static>(value: T) -> Rc<RefCell<Option<T>>> {
    let slot = Rc::new(RefCell::new(Some(value)));
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        // Forget slots whose handles JS has already freed.
        live.retain(|w| w.strong_count() > 0);
        live.push(weak(&slot));
    });
    slot
}

/// Registers a key and returns its slot.
#[cfg(feature = "js")]
pub(crate) fn register(key: CoreKeyPair) -> Slot {
    register_slot(key)
}

/// Runs `f` with the key in `slot`; `None` once it is zeroized (or, reentrantly, while it is
/// being zeroized).
#[cfg(feature = "js")]
pub(crate) fn with_key<T>(slot: &Slot, f: impl FnOnce(&CoreKeyPair) -> T) -> Option<T> {
    let guard = slot.try_borrow().ok()?;
    guard.as_ref().map(f)
}

/// Zeroizes one slot.
#[cfg(feature = "js")]
pub(crate) fn zeroize<T: Secrets>(slot: &Rc<RefCell<Option<T>>>) {
    slot.wipe();
}

/// Zeroizes every private key the SDK has handed out (what logout and idle timeout do).
/// Returns how many private keys were live.
// (Handed out to JavaScript: a Rust caller owns its keys and drops them.)
#[cfg_attr(feature = "js", wasm_bindgen(js_name = zeroizeKeys))]
pub fn zeroize_keys() -> usize {
    LIVE.with(|live| {
        // Taken out first, so nothing is borrowed while the values drop.
        let slots: Vec<WeakSlot> = live.borrow_mut().drain(..).collect();
        slots.iter().filter_map(Weak::upgrade).map(|slot| slot.wipe()).sum()
    })
}
