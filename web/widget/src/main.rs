//! The widget's entry point: mounts the app into the frame. Everything else is in the library.

fn main() {
    bizing_widget::mount();
}
