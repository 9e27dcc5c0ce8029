//! The portal's entry point: mounts the app into the page. Everything else is in the library.

fn main() {
    bizing_portal::mount();
}
