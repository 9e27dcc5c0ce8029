//! The steps after the time (details, note, notice, review and the confirmation), split out
//! of the widget's first load: what only they use (the details' checks, the PHI detector
//! that warns about the note, the notice, booking and account linking) is a wasm chunk of its
//! own, which `cargo xtask build-widget` cuts out of the linked binary at the split point
//! below. A visitor who only looks at services and times never downloads it; one who goes on
//! has it fetched in the background once they reach the time step ([`prefetch`]), so the
//! details are there when they ask for them.
//!
//! The split point is `leptos::wasm_split::wasm_split` (what Leptos' `#[lazy]` expands to)
//! with its `fallible` option, so a chunk that fails to load is an error the step shows, not
//! a panic, which would abort the whole widget. A failed load is not remembered: the next
//! attempt fetches the chunk again.

// The split point is an `extern "C"` import and a `#[no_mangle]` export that the splitter
// links up; the macro writes them (and the `unsafe` loader they call), nothing here does.
#![allow(unsafe_code, reason = "what the wasm_split macro generates; no unsafe code of our own")]

use std::cell::Cell;

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};

use crate::{Step, steps};

/// The chunk could not be loaded (the browser's console has the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChunkError;

impl From<SplitLoaderError> for ChunkError {
    fn from(_: SplitLoaderError) -> Self {
        Self
    }
}

/// A function in the chunk that renders one of its steps.
type Render = fn(Step) -> AnyView;

/// The later steps, once their chunk is loaded.
#[wasm_split(later_steps, wasm_split_path = ::leptos::wasm_split, fallible)]
fn later_steps() -> Result<Render, ChunkError> {
    Ok(|step| match step {
        Step::Details => view! { <steps::Details /> }.into_any(),
        Step::Note => view! { <steps::Note /> }.into_any(),
        Step::Notice => view! { <steps::Notice /> }.into_any(),
        Step::Review => view! { <steps::Review /> }.into_any(),
        Step::Done => view! { <steps::Done /> }.into_any(),
        // The first steps are in the first load (`App` shows them itself).
        Step::Service | Step::Provider | Step::Time => ().into_any(),
    })
}

thread_local! {
    /// The chunk's renderer once loaded: its steps are then shown at once.
    static LOADED: Cell<Option<Render>> = const { Cell::new(None) };
}

/// Loads the chunk (once: the split's loader keeps a successful load).
async fn load() -> Result<Render, ChunkError> {
    if let Some(render) = LOADED.get() {
        return Ok(render);
    }
    let render = later_steps().await?;
    LOADED.set(Some(render));
    Ok(render)
}

/// Starts fetching the chunk in the background, so that the details step is there when the
/// visitor asks for it. A failure here is left to [`Later`] to show and retry.
pub fn prefetch() {
    if LOADED.get().is_none() {
        leptos::task::spawn_local(async {
            let _ = load().await;
        });
    }
}

/// Shows `step`, one of the chunk's: at once if the chunk is loaded, else a status message
/// while it loads and an alert with a way to try again if it does not.
#[component]
pub fn Later(
    /// The step to show.
    step: Step,
) -> impl IntoView {
    if let Some(render) = LOADED.get() {
        return render(step);
    }
    let loaded = LocalResource::new(load);
    (move || match loaded.get() {
        None => placeholder(step, view! { <p role="status">"Loading…"</p> }).into_any(),
        Some(Ok(render)) => {
            // The step replaces the placeholder's heading: if that had the focus (the step
            // just changed), the step's own heading takes it, as on any change of step.
            if bizing_web_ui::focus::placeholder_has_focus("step-title") {
                crate::focus_heading();
            }
            render(step)
        }
        Some(Err(ChunkError)) => placeholder(
            step,
            view! {
                <div class="alert" role="alert">
                    <p>"This step could not be loaded. Check your connection and try again."</p>
                    <button type="button" class="button-secondary" on:click=move |_| loaded.refetch()>
                        "Try again"
                    </button>
                </div>
            },
        )
        .into_any(),
    })
    .into_any()
}

/// The step's heading over `body`, until the step itself is there.
fn placeholder(step: Step, body: impl IntoView + 'static) -> impl IntoView {
    view! {
        <div class="step">
            <h2 id="step-title" tabindex="-1" data-placeholder="">{step.title()}</h2>
            {body}
        </div>
    }
}
