//! The pages split out of the portal's first load, each a wasm chunk of its own that
//! `cargo xtask build-portal` cuts out of the linked binary at the split points below and
//! that the browser fetches the first time the page is shown:
//! - the staff console (the schedule and administration: most of `staff`, `admin` and the
//!   staff parts of `manage`), which patients never download;
//! - a patient's access log (its verifier: checkpoint signatures, Merkle proofs, event
//!   encoding) and privacy preferences, which a patient opens now and then, not at every
//!   sign-in.
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

/// A page's chunk could not be loaded (the browser's console has the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError;

impl From<SplitLoaderError> for ChunkError {
    fn from(_: SplitLoaderError) -> Self {
        Self
    }
}

/// A function in a chunk that renders its page.
type Render = fn() -> AnyView;

/// The schedule page, once the staff console's chunk is loaded.
#[wasm_split(staff_console, wasm_split_path = ::leptos::wasm_split, fallible)]
fn schedule() -> Result<Render, ChunkError> {
    Ok(|| view! { <super::staff::Schedule /> }.into_any())
}

/// The administration page, once the staff console's chunk is loaded.
#[wasm_split(staff_console, wasm_split_path = ::leptos::wasm_split, fallible)]
fn admin() -> Result<Render, ChunkError> {
    Ok(|| view! { <super::admin::Admin /> }.into_any())
}

/// The access-log page, once its chunk is loaded.
#[wasm_split(access_log, wasm_split_path = ::leptos::wasm_split, fallible)]
fn access_log() -> Result<Render, ChunkError> {
    Ok(|| view! { <super::access_log::AccessLog /> }.into_any())
}

/// The privacy preferences page, once its chunk is loaded.
#[wasm_split(preferences, wasm_split_path = ::leptos::wasm_split, fallible)]
fn preferences() -> Result<Render, ChunkError> {
    Ok(|| view! { <super::preferences::PreferencesPage /> }.into_any())
}

/// A page that is not part of the first load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LazyPage {
    /// The schedule (every staff role).
    Schedule,
    /// Clinic administration (admins).
    Admin,
    /// Who accessed a patient's records.
    AccessLog,
    /// A patient's privacy preferences.
    Preferences,
}

impl LazyPage {
    /// The heading shown while the page's chunk loads.
    fn title(self) -> &'static str {
        match self {
            Self::Schedule | Self::Admin => "Staff console",
            Self::AccessLog => "Who accessed my records",
            Self::Preferences => "Privacy preferences",
        }
    }
}

thread_local! {
    /// The pages already loaded, by [`LazyPage`]: shown at once the next time, without the
    /// placeholder's flash.
    static LOADED: std::cell::Cell<[Option<Render>; 4]> = const { std::cell::Cell::new([None; 4]) };
}

/// Shows `page`, loading its chunk first if it has not been loaded yet: a status message
/// while it loads, an alert with a way to try again if it does not.
#[component]
pub fn Lazy(
    /// The page to show.
    page: LazyPage,
) -> impl IntoView {
    if let Some(render) = LOADED.with(std::cell::Cell::get)[page as usize] {
        return render();
    }
    let loaded = LocalResource::new(move || async move {
        let render = match page {
            LazyPage::Schedule => schedule().await,
            LazyPage::Admin => admin().await,
            LazyPage::AccessLog => access_log().await,
            LazyPage::Preferences => preferences().await,
        }?;
        LOADED.with(|loaded| {
            let mut pages = loaded.get();
            pages[page as usize] = Some(render);
            loaded.set(pages);
        });
        Ok::<_, ChunkError>(render)
    });
    let title = page.title();
    (move || match loaded.get() {
        None => placeholder(
            title,
            view! {
                <div class="progress" role="status">
                    <progress aria-label="Loading"></progress>
                    <span>"Loading…"</span>
                </div>
            },
        )
        .into_any(),
        Some(Ok(render)) => {
            // The page replaces the placeholder's heading: if that had the focus (the page
            // just changed), its own heading takes it, as on any other change of page.
            if bizing_web_ui::focus::placeholder_has_focus("page-title") {
                super::focus_heading();
            }
            render()
        }
        Some(Err(ChunkError)) => placeholder(
            title,
            view! {
                <div class="error" role="alert">
                    <p>"This page could not be loaded. Check your connection and try again."</p>
                    <button type="button" on:click=move |_| loaded.refetch()>"Try again"</button>
                </div>
            },
        )
        .into_any(),
    })
    .into_any()
}

/// The page's heading over `body`, until the page itself is there.
fn placeholder(title: &'static str, body: impl IntoView + 'static) -> impl IntoView {
    view! {
        <section aria-labelledby="page-title">
            <h1 id="page-title" tabindex="-1" data-placeholder="">{title}</h1>
            {body}
        </section>
    }
}
