//! Focus around the placeholders the apps show while a split-off chunk loads.

/// Whether the focused element is the placeholder heading `id` (marked `data-placeholder`)
/// that a page or step shows while its chunk loads: the page or step that replaces it then
/// moves the focus to its own heading, as on any change of page.
#[must_use]
pub fn placeholder_has_focus(id: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .is_some_and(|e| e.id() == id && e.has_attribute("data-placeholder"))
}
