//! The staff console's pages (the schedule and administration), split out of the portal's
//! first load: what only they use (most of `staff`, `admin` and the staff parts of
//! `manage`) is a wasm chunk of its own, which `cargo xtask build-portal` cuts out of the
//! linked binary at the split points below and which the browser fetches the first time a
//! staff page is shown. Patients never download it.
//!
//! Each split point is `leptos::wasm_split::wasm_split` (what Leptos' `#[lazy]` expands to)
//! with its `fallible` option, so a chunk that fails to load (the network, a deploy in
//! between) is an error the page shows, not a panic, which would abort the whole app. A
//! failed load is not remembered: the next attempt fetches the chunk again.

// The split points are `extern "C"` imports and `#[no_mangle]` exports that the splitter
// links up; the macro writes them (and the `unsafe` loader they call), nothing here does.
#![allow(unsafe_code, reason = "what the wasm_split macro generates; no unsafe code of our own")]

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};

/// The staff console's chunk could not be loaded (the browser's console has the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError;

impl From<SplitLoaderError> for ChunkError {
    fn from(_: SplitLoaderError) -> Self {
        Self
    }
}

/// A page of the staff console: a function in the chunk that renders it.
pub type Page = fn() -> AnyView;

/// The schedule page, once the chunk is loaded.
#[wasm_split(staff_console, wasm_split_path = ::leptos::wasm_split, fallible)]
fn schedule() -> Result<Page, ChunkError> {
    Ok(|| view! { <super::staff::Schedule /> }.into_any())
}

/// The administration page, once the chunk is loaded.
#[wasm_split(staff_console, wasm_split_path = ::leptos::wasm_split, fallible)]
fn admin() -> Result<Page, ChunkError> {
    Ok(|| view! { <super::admin::Admin /> }.into_any())
}

thread_local! {
    /// The pages already loaded, by [`StaffPage`]: shown at once the next time, without the
    /// placeholder's flash.
    static LOADED: std::cell::Cell<[Option<Page>; 2]> = const { std::cell::Cell::new([None; 2]) };
}

/// Which page of the staff console to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffPage {
    /// The schedule (every staff role).
    Schedule,
    /// Clinic administration (admins).
    Admin,
}

/// Shows `page`, loading the staff console's chunk first if this is its first page: a
/// status message while it loads, an alert with a way to try again if it does not.
#[component]
pub fn StaffConsole(
    /// The page to show.
    page: StaffPage,
) -> impl IntoView {
    if let Some(render) = LOADED.with(std::cell::Cell::get)[page as usize] {
        return render();
    }
    let loaded = LocalResource::new(move || async move {
        let render = match page {
            StaffPage::Schedule => schedule().await,
            StaffPage::Admin => admin().await,
        }?;
        LOADED.with(|loaded| {
            let mut pages = loaded.get();
            pages[page as usize] = Some(render);
            loaded.set(pages);
        });
        Ok::<_, ChunkError>(render)
    });
    (move || match loaded.get() {
        None => placeholder(view! {
            <div class="progress" role="status">
                <progress aria-label="Loading"></progress>
                <span>"Loading…"</span>
            </div>
        })
        .into_any(),
        Some(Ok(render)) => {
            // The page replaces the placeholder's heading: if that had the focus (the page
            // just changed), its own heading takes it, as on any other change of page.
            if placeholder_focused() {
                super::focus_heading();
            }
            render()
        }
        Some(Err(ChunkError)) => placeholder(view! {
            <div class="error" role="alert">
                <p>"This page could not be loaded. Check your connection and try again."</p>
                <button type="button" on:click=move |_| loaded.refetch()>"Try again"</button>
            </div>
        })
        .into_any(),
    })
    .into_any()
}

/// The staff console's heading over `body`, until the page itself is there.
fn placeholder(body: impl IntoView + 'static) -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1" data-placeholder="">"Staff console"</h1>
            {body}
        </section>
    }
}

/// Whether the placeholder's heading has the focus.
fn placeholder_focused() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .is_some_and(|e| e.id() == "page-title" && e.has_attribute("data-placeholder"))
}
