//! `cargo xtask build`: the npm package `@bizing/booking-sdk` in `pkg/`. Compiles the SDK to
//! wasm with the size-first profile, generates wasm-bindgen's web glue and TypeScript types
//! into `pkg/dist/` (git-ignored), shrinks the wasm with `wasm-opt -Oz`, and prints what a
//! browser downloads, gzipped.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use crate::cmd::{Cmd, Failure};
use crate::setup;

/// The committed package sources (package.json, entry points, README).
const PKG_DIR: &str = "pkg";
/// Where the generated files go, inside the package.
const DIST_DIR: &str = "pkg/dist";
/// wasm-bindgen's `--out-name`: files are `bizing_sdk.js`, `bizing_sdk.d.ts`, `bizing_sdk_bg.wasm`.
const OUT_NAME: &str = "bizing_sdk";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Root Cargo.toml: `opt-level = "z"`, LTO, one codegen unit, `panic = "abort"`.
const PROFILE: &str = "wasm-release";
/// Features rustc enables by default for wasm32-unknown-unknown. wasm-opt must be allowed
/// all of them (it rejects a module using one it was not given), and may then use them too.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];
/// The package's own JavaScript a browser loads besides the glue (the `browser` entry).
const BROWSER_JS: &[&str] = &["index.js", "lib/api.js", "lib/runtime.js", "lib/open-notes.js"];

/// `cargo --config` arguments for every wasm we ship or measure: panic locations inside
/// dependencies name their sources by where cargo unpacked them, which is this machine's
/// home directory; remapping keeps that path out of the shipped files (and a few KB with
/// it). Cargo joins this array to `.cargo/config.toml`'s rustflags for the wasm target.
/// Every `wasm-release` build passes the same flags, so none rebuilds the others' crates.
pub(crate) fn remap_config() -> [String; 2] {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    let flag = |dir: &str, to: &str| {
        let from = cargo_home.join(dir);
        // A JSON string is a valid TOML basic string (both escape `"` and `\\`).
        Value::String(format!("--remap-path-prefix={}={to}", from.display())).to_string()
    };
    [
        "--config".to_owned(),
        format!(
            "target.{WASM_TARGET}.rustflags=[{}, {}]",
            flag("registry/src", "registry"),
            flag("git/checkouts", "git")
        ),
    ]
}

pub(crate) fn main(root: &Path) -> ExitCode {
    match run(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            println!("FAIL build: {}", failure.what());
            println!("     what to do: {}", failure.hint());
            ExitCode::FAILURE
        }
    }
}

/// Builds `pkg/dist/` and prints the size summary; `cargo xtask build` and the
/// `npm-package` test stage both run this.
pub(crate) fn run(root: &Path) -> Result<(), Failure> {
    setup::wasm_target(root)?;
    setup::wasm_bindgen_cli(root)?;
    setup::npm_dir(root, setup::JS_TOOLS_DIR)?;

    Cmd::cargo(root)
        .args(["build", "-p", "bizing-sdk", "--target", WASM_TARGET, "--profile", PROFILE, "--locked"])
        .args(remap_config())
        .hint("see the compiler errors above; `cargo check -p bizing-sdk --target wasm32-unknown-unknown` is faster")
        .run()?;
    let wasm = target_dir(root)?.join(WASM_TARGET).join(PROFILE).join("bizing_sdk.wasm");

    let dist = root.join(DIST_DIR);
    // Stale files from an older build (say, a renamed export) must not reach the package.
    if dist.exists() {
        std::fs::remove_dir_all(&dist).map_err(|e| io_failure("remove", &dist, &e))?;
    }
    Cmd::new(root, "wasm-bindgen")
        .args(["--target", "web", "--out-dir", DIST_DIR, "--out-name", OUT_NAME])
        // Each entry point says where the wasm is (fetch, fs, Deno, a workerd module import),
        // so the glue needs no default URL of its own, which bundlers would copy a second time.
        .arg("--omit-default-module-path")
        .arg(&wasm)
        .hint("run `cargo xtask test --only setup` to install the wasm-bindgen CLI matching Cargo.lock")
        .run()?;
    // The raw wasm exports' types: internal, and not in the package.
    let internal_types = dist.join(format!("{OUT_NAME}_bg.wasm.d.ts"));
    std::fs::remove_file(&internal_types).map_err(|e| io_failure("remove", &internal_types, &e))?;
    trim_loader_types(&dist.join(format!("{OUT_NAME}.d.ts")))?;

    let bindgen_wasm = dist.join(format!("{OUT_NAME}_bg.wasm"));
    let optimised = dist.join(format!("{OUT_NAME}_bg.opt.wasm"));
    Cmd::new(root, &tool(root, "wasm-opt").to_string_lossy())
        .arg("-Oz")
        .args(WASM_FEATURES.iter().copied())
        .args(["--strip-debug", "--strip-producers"])
        .arg(&bindgen_wasm)
        .arg("-o")
        .arg(&optimised)
        .hint(format!(
            "if wasm-opt rejects a feature, add its --enable flag to WASM_FEATURES in xtask/src/build.rs; \
             if it is missing, run `cargo xtask test --only setup` (binaryen comes from {}/package.json)",
            setup::JS_TOOLS_DIR
        ))
        .run()?;
    std::fs::rename(&optimised, &bindgen_wasm).map_err(|e| io_failure("replace", &bindgen_wasm, &e))?;

    print_sizes(root, &bindgen_wasm)
}

/// Where the built web apps go, under cargo's target directory: `bizing-server --static`
/// serves `<this>/portal` at `/portal/`.
const WEB_DIR: &str = "web";
/// The portal's static sources: `index.html`, `start.js` and `portal.css` templates.
const PORTAL_STATIC: &str = "web/portal/static";
/// The goal for the portal's first load (`index.html`, CSS, `start.js`, glue, wasm), gzipped
/// (level 9), in bytes: printed next to the size (`cargo xtask bench --only portal` reports it).
pub(crate) const PORTAL_BUDGET_GZIP: u64 = 300_000;

pub(crate) fn portal_main(root: &Path) -> ExitCode {
    match portal(root) {
        Ok(web_root) => {
            println!("     serve it with: bizing-server --static {}", web_root.display());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("FAIL build-portal: {}", failure.what());
            println!("     what to do: {}", failure.hint());
            ExitCode::FAILURE
        }
    }
}

/// Builds the patient portal (`web/portal`) into `<target>/web/portal/` and returns the web
/// root to pass to `bizing-server --static`: the wasm built size-first and split at its
/// split points (see [`split`]: pages not needed at sign-in are chunks), wasm-bindgen's
/// `--target web` glue, `wasm-opt -Oz`, then every file a browser caches renamed with a hash
/// of its content (`portal-<hash>.wasm`, ...), so the server can cache them for a year, and an
/// `index.html` (revalidated on every load) that names them. No inline script or style: the
/// server's CSP forbids both. The QR code module (`web/portal-qr`, `qr-<hash>.js` and
/// `.wasm`) is built the same way; `start.js` loads it only when the portal asks for it, so
/// it is not part of the first load, and neither are the chunks.
pub(crate) fn portal(root: &Path) -> Result<PathBuf, Failure> {
    portal_sized(root).map(|(web_root, _)| web_root)
}

/// [`portal`], also returning the first load's gzipped size in bytes.
pub(crate) fn portal_sized(root: &Path) -> Result<(PathBuf, u64), Failure> {
    setup::wasm_target(root)?;
    setup::wasm_bindgen_cli(root)?;
    setup::npm_dir(root, setup::JS_TOOLS_DIR)?;
    link_for_split(root, "bizing-portal", "bizing-portal-qr")?;
    let target = target_dir(root)?;
    let built = target.join(WASM_TARGET).join(PROFILE);
    let web_root = target.join(WEB_DIR);
    let app = AppOut::empty(web_root.join(".portal-bindgen"), web_root.join("portal"))?;
    let split = split(&built.join("bizing-portal.wasm"), &app.staging.join("split"), PORTAL_SPLIT_POINTS)?;
    let [(glue, wasm), (qr_glue, qr_wasm)] = app.bind(
        root,
        [
            Module { wasm: split.main.clone(), name: "portal", keep_lld_exports: true },
            Module { wasm: built.join("bizing_portal_qr.wasm"), name: "qr", keep_lld_exports: false },
        ],
    )?;
    let (glue_name, wasm_name, link_name, chunk_names) = app.write_split(root, "portal", &split, &glue, &wasm)?;
    let qr_glue_name = app.write_hashed("qr", "js", &read(&qr_glue)?)?;
    let qr_wasm_name = app.write_hashed("qr", "wasm", &read(&qr_wasm)?)?;
    app.copy_snippets()?;
    let out = &app.out;
    let write_hashed = |stem: &str, ext: &str, bytes: &[u8]| app.write_hashed(stem, ext, bytes);
    let sources = root.join(PORTAL_STATIC);
    let start = read_text(&sources.join("start.js"))?
        .replace("{{GLUE}}", &glue_name)
        .replace("{{WASM}}", &wasm_name)
        .replace("{{QR_GLUE}}", &qr_glue_name)
        .replace("{{QR_WASM}}", &qr_wasm_name);
    let start_name = write_hashed("start", "js", start.as_bytes())?;
    let css_name = write_hashed("portal", "css", &read(&sources.join("portal.css"))?)?;
    let index = read_text(&sources.join("index.html"))?.replace("{{CSS}}", &css_name).replace("{{START}}", &start_name);
    app.write("index.html", index.as_bytes())?;
    app.finish()?;

    let files = |names: &[&String]| -> Vec<PathBuf> { names.iter().map(|name| out.join(name)).collect() };
    let index_name = "index.html".to_owned();
    // The glue imports the split's link module, so it is part of the first load; the chunks
    // it fetches are not.
    let (raw, gz) =
        precompress(root, &files(&[&index_name, &css_name, &start_name, &glue_name, &link_name, &wasm_name]))?;
    let (qr_raw, qr_gz) = precompress(root, &files(&[&qr_glue_name, &qr_wasm_name]))?;
    // Each chunk is fetched on its own, when a page that needs it is first shown.
    let mut chunks = Vec::with_capacity(chunk_names.len());
    for name in &chunk_names {
        let (_, chunk_gz) = precompress(root, &files(&[name]))?;
        chunks.push(format!("{name} gzip {}", kib(chunk_gz)));
    }
    println!(
        "     {}: first load (index.html, CSS, JS, wasm) {} (gzip {} = {gz} bytes, goal {PORTAL_BUDGET_GZIP}); \
         chunks on demand: {}; QR module on demand {} (gzip {})",
        out.strip_prefix(root).unwrap_or(out).display(),
        kib(raw),
        kib(gz),
        chunks.join(", "),
        kib(qr_raw),
        kib(qr_gz)
    );
    Ok((web_root, gz))
}

/// The module name a split app's main module imports its chunk loaders from, as the
/// splitter writes it; the build renames the link module and rewrites the glue's import.
const SPLIT_LINK_PLACEHOLDER: &str = "./__wasm_split.js";
/// The module the splitter's link module imports `initSync` from (the main module's glue);
/// rewritten to the glue's hashed name.
const SPLIT_MAIN_PLACEHOLDER: &str = "./__wasm_split_main.js";

/// Builds `app` (a binary crate, linked with the relocations [`split`] needs) and `module`
/// (a library crate built alongside: the portal's QR module, the widget's sealing module) for
/// the web, size-first. Only the app's final link is asked for relocations (`cargo rustc`
/// passes the flag to that one crate), so every other crate is the same build as in other
/// `wasm-release` builds, and none is rebuilt.
fn link_for_split(root: &Path, app: &str, module: &str) -> Result<(), Failure> {
    let hint = format!("see the compiler errors above; `cargo check -p {app} --target {WASM_TARGET}` is faster");
    Cmd::cargo(root)
        .args(["rustc", "-p", app, "--bin", app])
        .args(remap_config())
        .args(["--target", WASM_TARGET, "--profile", PROFILE, "--locked", "--", "-Clink-args=--emit-relocs"])
        .hint(hint.clone())
        .run()?;
    Cmd::cargo(root)
        .args(["build", "-p", module, "--lib"])
        .args(remap_config())
        .args(["--target", WASM_TARGET, "--profile", PROFILE, "--locked"])
        .hint(hint)
        .run()
}

/// Where the portal's and the widget's split points are (the chunks' sources).
const PORTAL_SPLIT_POINTS: &str = "web/portal/src/routes/lazy.rs";
const WIDGET_SPLIT_POINTS: &str = "web/widget/src/later.rs";

/// What [`split`] wrote.
struct Split {
    /// The main module, for wasm-bindgen.
    main: PathBuf,
    /// The chunks, as the splitter named them.
    chunks: Vec<PathBuf>,
    /// The link module (JavaScript): the chunk loaders the main module imports.
    link: PathBuf,
}

/// Splits an app's linked wasm (`--emit-relocs`) at its `#[wasm_split]` points (in the file
/// `points`: the portal's `web/portal/src/routes/lazy.rs`, the widget's
/// `web/widget/src/later.rs`) with `wasm_split_cli_support`, as cargo-leptos' `--split` does:
/// a main module (for wasm-bindgen), one chunk per split module (the portal's staff console,
/// access log and preferences; the widget's later steps) and per group of split modules that
/// share code the main module does not use, and a link module that fetches and instantiates a
/// split module's chunks when its first split function is called. A chunk imports the main
/// module's memory, function table and globals by their export names and calls the main
/// module's functions through the table. (wasm-bindgen then warns of an "unknown name
/// subsection with id 3": the label names the splitter keeps in the main module's name
/// section, which wasm-opt strips. Harmless.)
fn split(linked: &Path, dir: &Path, points: &str) -> Result<Split, Failure> {
    let input = read(linked)?;
    let stem = linked.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let main = dir.join(format!("{stem}_split.wasm"));
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = dir;
    options.main_out_path = &main;
    options.link_name = SPLIT_LINK_PLACEHOLDER;
    options.main_module = SPLIT_MAIN_PLACEHOLDER;
    let split = wasm_split_cli_support::transform(options).map_err(|e| {
        Failure::new(
            format!("splitting {} failed: {e:#}", linked.display()),
            format!(
                "an app that is split must be linked with `-Clink-args=--emit-relocs` (see link_for_split); \
                 {points} has the split points"
            ),
        )
    })?;
    if split.split_modules.is_empty() {
        return Err(Failure::new(
            format!("splitting {} made no chunk", linked.display()),
            format!("the split points ({points}) are gone or unused"),
        ));
    }
    let link = dir.join(SPLIT_LINK_PLACEHOLDER.trim_start_matches("./"));
    Ok(Split { main, chunks: split.split_modules, link })
}

/// The widget's static sources: `frame.html`, `start.js`, `widget.css` templates and the
/// loader, `loader.js`.
const WIDGET_STATIC: &str = "web/widget/static";
/// The widget's versioned path under `/widget/`: the loader's URL names it, and pages pin
/// the loader by its SRI hash, so what is published under one version never changes.
pub(crate) const WIDGET_VERSION_DIR: &str = "v1";
/// The goals for the widget, gzipped (level 9), in bytes: the loader, and the first load of
/// the frame (HTML, CSS, JS, wasm). Printed next to the sizes; `cargo xtask bench` reports them.
pub(crate) const LOADER_BUDGET_GZIP: u64 = 5_000;
pub(crate) const WIDGET_BUDGET_GZIP: u64 = 150_000;

/// What [`widget`] built.
pub(crate) struct WidgetBuild {
    /// The web root to pass to `bizing-server --static` (the widget is in `widget/v1/`).
    pub(crate) web_root: PathBuf,
    /// `loader.js`, gzipped, in bytes.
    pub(crate) loader_gz: u64,
    /// The frame's first load (`frame.html`, CSS, `start.js`, glue, wasm), gzipped, in bytes.
    pub(crate) first_load_gz: u64,
    /// The loader's Subresource Integrity value (`sha384-…`), for the `<script>` tag.
    pub(crate) loader_sri: String,
    /// The loader file.
    pub(crate) loader: PathBuf,
    /// The files of the frame's first load, in the order the browser finds them.
    pub(crate) first_load: Vec<PathBuf>,
    /// The later steps' chunks, fetched at the time step.
    pub(crate) later_steps: Vec<PathBuf>,
    /// The sealing module's glue and wasm, loaded at the note step.
    pub(crate) seal_module: Vec<PathBuf>,
}

pub(crate) fn widget_main(root: &Path) -> ExitCode {
    match widget(root) {
        Ok(built) => {
            println!("     loader integrity: {}", built.loader_sri);
            println!("     serve it with: bizing-server --static {}", built.web_root.display());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            println!("FAIL build-widget: {}", failure.what());
            println!("     what to do: {}", failure.hint());
            ExitCode::FAILURE
        }
    }
}

/// Builds the booking widget (`web/widget`) into `<target>/web/widget/v1/`: the loader
/// (`loader.js`, as written, under its fixed versioned name, with its SRI hash printed), and
/// the frame the loader embeds (`frame.html`, revalidated on every load, naming hashed
/// `start-<hash>.js`, `widget-<hash>.css`, glue and wasm), built as the portal is, and the
/// sealing module (`web/widget-seal`, `seal-<hash>.js` and `.wasm`) that `start.js` loads
/// when the app asks for it, so the first load leaves it out.
pub(crate) fn widget(root: &Path) -> Result<WidgetBuild, Failure> {
    setup::wasm_target(root)?;
    setup::wasm_bindgen_cli(root)?;
    setup::npm_dir(root, setup::JS_TOOLS_DIR)?;
    link_for_split(root, "bizing-widget", "bizing-widget-seal")?;
    let target = target_dir(root)?;
    let built = target.join(WASM_TARGET).join(PROFILE);
    let web_root = target.join(WEB_DIR);
    let app = AppOut::empty(web_root.join(".widget-bindgen"), web_root.join("widget").join(WIDGET_VERSION_DIR))?;
    let split = split(&built.join("bizing-widget.wasm"), &app.staging.join("split"), WIDGET_SPLIT_POINTS)?;
    let [(glue, wasm), (seal_glue, seal_wasm)] = app.bind(
        root,
        [
            Module { wasm: split.main.clone(), name: "widget", keep_lld_exports: true },
            Module { wasm: built.join("bizing_widget_seal.wasm"), name: "seal", keep_lld_exports: false },
        ],
    )?;
    let (glue_name, wasm_name, link_name, chunk_names) = app.write_split(root, "widget", &split, &glue, &wasm)?;
    let seal_glue_name = app.write_hashed("seal", "js", &read(&seal_glue)?)?;
    let seal_wasm_name = app.write_hashed("seal", "wasm", &read(&seal_wasm)?)?;
    app.copy_snippets()?;
    let out = &app.out;
    let write = |name: &str, bytes: &[u8]| app.write(name, bytes);
    let write_hashed = |stem: &str, ext: &str, bytes: &[u8]| app.write_hashed(stem, ext, bytes);
    let sources = root.join(WIDGET_STATIC);
    let start = read_text(&sources.join("start.js"))?
        .replace("{{GLUE}}", &glue_name)
        .replace("{{WASM}}", &wasm_name)
        .replace("{{SEAL_GLUE}}", &seal_glue_name)
        .replace("{{SEAL_WASM}}", &seal_wasm_name);
    let start_name = write_hashed("start", "js", start.as_bytes())?;
    let css_name = write_hashed("widget", "css", &read(&sources.join("widget.css"))?)?;
    let frame = read_text(&sources.join("frame.html"))?.replace("{{CSS}}", &css_name).replace("{{START}}", &start_name);
    write("frame.html", frame.as_bytes())?;
    let loader = read(&sources.join("loader.js"))?;
    write("loader.js", &loader)?;
    app.finish()?;

    let loader_sri = sri(&loader);
    let (loader_raw, loader_gz) = precompress(root, &[out.join("loader.js")])?;
    // The glue imports the split's link module, so it is part of the first load; the chunk
    // of the later steps it fetches is not.
    let first = ["frame.html", &css_name, &start_name, &glue_name, &link_name, &wasm_name].map(|name| out.join(name));
    let (raw, first_load_gz) = precompress(root, &first)?;
    let on_demand = [&seal_glue_name, &seal_wasm_name].map(|name| out.join(name));
    let (seal_raw, seal_gz) = precompress(root, &on_demand)?;
    let chunks: Vec<PathBuf> = chunk_names.iter().map(|name| out.join(name)).collect();
    let (chunks_raw, chunks_gz) = precompress(root, &chunks)?;
    println!(
        "     {}: loader {} (gzip {} = {loader_gz} bytes, goal {LOADER_BUDGET_GZIP}); first load of the frame {} \
         (gzip {} = {first_load_gz} bytes, goal {WIDGET_BUDGET_GZIP}); later steps, fetched at the time step {} \
         (gzip {}); sealing module at the note step {} (gzip {})",
        out.strip_prefix(root).unwrap_or(out).display(),
        kib(loader_raw),
        kib(loader_gz),
        kib(raw),
        kib(first_load_gz),
        kib(chunks_raw),
        kib(chunks_gz),
        kib(seal_raw),
        kib(seal_gz),
    );
    Ok(WidgetBuild {
        web_root,
        loader_gz,
        first_load_gz,
        loader_sri,
        loader: out.join("loader.js"),
        first_load: first.to_vec(),
        later_steps: chunks,
        seal_module: on_demand.to_vec(),
    })
}

/// The Subresource Integrity value of `bytes`: `sha384-` and the base64 SHA-384 digest.
pub(crate) fn sri(bytes: &[u8]) -> String {
    use base64ct::Encoding as _;
    use sha2::Digest as _;
    format!("sha384-{}", base64ct::Base64::encode_string(&sha2::Sha384::digest(bytes)))
}

/// Where one web app is written: wasm-bindgen's scratch directory and the output directory.
struct AppOut {
    staging: PathBuf,
    out: PathBuf,
}

/// A wasm module to bind (wasm-bindgen) and optimise (wasm-opt).
struct Module {
    /// The wasm file.
    wasm: PathBuf,
    /// The glue's and the output files' name.
    name: &'static str,
    /// Whether wasm-bindgen keeps the exports the linker made that the glue does not use
    /// (`__indirect_function_table`): the split chunks import the main module's table.
    keep_lld_exports: bool,
}

impl AppOut {
    /// Empties (or makes) `staging` and `out`.
    fn empty(staging: PathBuf, out: PathBuf) -> Result<Self, Failure> {
        for dir in [&staging, &out] {
            if dir.exists() {
                std::fs::remove_dir_all(dir).map_err(|e| io_failure("remove", dir, &e))?;
            }
            std::fs::create_dir_all(dir).map_err(|e| io_failure("create", dir, &e))?;
        }
        Ok(Self { staging, out })
    }

    /// Binds and optimises each of `modules` in `staging`; returns their `(glue, wasm)` files.
    fn bind<const N: usize>(&self, root: &Path, modules: [Module; N]) -> Result<[(PathBuf, PathBuf); N], Failure> {
        let mut bound = Vec::with_capacity(N);
        for module in modules {
            let (wasm, glue) = bind_and_optimise(root, &module, &self.staging)?;
            bound.push((glue, wasm));
        }
        bound.try_into().map_err(|_| Failure::new("module count", "this is a bug in xtask"))
    }

    /// Copies wasm-bindgen's inline JavaScript snippets, if any, into `out`.
    fn copy_snippets(&self) -> Result<(), Failure> {
        let snippets = self.staging.join("snippets");
        if snippets.is_dir() {
            copy_tree(&snippets, &self.out.join("snippets"))?;
        }
        Ok(())
    }

    /// Writes the split app `name` under hashed names: each chunk of `split` (optimised),
    /// the main module's `wasm` and `glue`, and the link module, with the references between
    /// them rewritten (the glue imports the link module; the link module imports `initSync`
    /// from the glue and fetches the chunks relative to itself). Returns the names of the
    /// glue, the main wasm, the link module and the chunks.
    ///
    /// The glue and the link module name each other, so neither name can be a hash of its
    /// final content. The link module's name is a hash of what determines both (its text
    /// with the chunks' names, and the glue's text before the rewrite), and the glue's name
    /// a hash of its final text: a name still changes whenever its file does.
    fn write_split(
        &self,
        root: &Path,
        name: &str,
        split: &Split,
        glue: &Path,
        wasm: &Path,
    ) -> Result<(String, String, String, Vec<String>), Failure> {
        let mut link = read_text(&split.link)?;
        let mut chunk_names = Vec::with_capacity(split.chunks.len());
        let main = read(wasm)?;
        for chunk in &split.chunks {
            let file = chunk.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let stem = file.strip_suffix(".wasm").unwrap_or(&file);
            let optimised = self.staging.join(format!("{stem}.opt.wasm"));
            optimise(root, chunk, &optimised)?;
            let chunk_bytes = read(&optimised)?;
            check_split_link(&main, &chunk_bytes).map_err(|problem| {
                Failure::new(
                    format!("the {name} app's main module no longer fits its chunk {file}: {problem}"),
                    "something between the split and the output (wasm-bindgen, wasm-opt) removed or changed \
                     an export the chunk imports; see `optimise` in xtask/src/build.rs",
                )
            })?;
            let pretty = stem.strip_prefix("split_").unwrap_or(stem).replace('_', "-");
            let chunk_name = self.write_hashed(&pretty, "wasm", &chunk_bytes)?;
            link = replace_required(&link, &format!("\"./{file}\""), &format!("\"./{chunk_name}\""), &split.link)?;
            chunk_names.push(chunk_name);
        }
        let glue_text = read_text(glue)?;
        let link_name = hashed_name("split", "js", format!("{link}\0{glue_text}").as_bytes());
        let glue_text = replace_required(
            &glue_text,
            &format!("from \"{SPLIT_LINK_PLACEHOLDER}\""),
            &format!("from \"./{link_name}\""),
            glue,
        )?;
        let glue_name = self.write_hashed(name, "js", glue_text.as_bytes())?;
        let link = replace_required(
            &link,
            &format!("from \"{SPLIT_MAIN_PLACEHOLDER}\""),
            &format!("from \"./{glue_name}\""),
            &split.link,
        )?;
        self.write(&link_name, link.as_bytes())?;
        let wasm_name = self.write_hashed(name, "wasm", &main)?;
        Ok((glue_name, wasm_name, link_name, chunk_names))
    }

    /// Writes `bytes` as `out/name`.
    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Failure> {
        let path = self.out.join(name);
        std::fs::write(&path, bytes).map_err(|e| io_failure("write", &path, &e))
    }

    /// Writes `bytes` as `stem-<hash>.ext` and returns that name.
    fn write_hashed(&self, stem: &str, ext: &str, bytes: &[u8]) -> Result<String, Failure> {
        let name = hashed_name(stem, ext, bytes);
        self.write(&name, bytes)?;
        Ok(name)
    }

    /// Removes the scratch directory.
    fn finish(&self) -> Result<(), Failure> {
        std::fs::remove_dir_all(&self.staging).map_err(|e| io_failure("remove", &self.staging, &e))
    }
}

/// The module name a chunk imports the main module's exports under (the link module passes
/// them).
const SPLIT_SHARED_MODULE: &str = "__wasm_split";

/// Checks that `main` exports everything `chunk` imports from it, of the same kind, and that
/// an imported table or memory is at least as large as the chunk asks (it fills its own
/// slots of the table): what instantiating the chunk needs.
fn check_split_link(main: &[u8], chunk: &[u8]) -> Result<(), String> {
    use wasmparser::{ExternalKind, Payload, TypeRef};
    let mut tables = Vec::new();
    let mut memories = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(main) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    match import.map_err(|e| e.to_string())?.ty {
                        TypeRef::Table(ty) => tables.push(ty.initial),
                        TypeRef::Memory(ty) => memories.push(ty.initial),
                        _ => {}
                    }
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    tables.push(table.map_err(|e| e.to_string())?.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories.push(memory.map_err(|e| e.to_string())?.initial);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| e.to_string())?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    let exported = |name: &str| exports.iter().find(|(n, _, _)| n == name).map(|(_, kind, index)| (*kind, *index));
    for payload in wasmparser::Parser::new(0).parse_all(chunk) {
        let Payload::ImportSection(reader) = payload.map_err(|e| e.to_string())? else { continue };
        for import in reader.into_imports() {
            let import = import.map_err(|e| e.to_string())?;
            if import.module != SPLIT_SHARED_MODULE {
                return Err(format!("it imports {}.{}, not from the main module", import.module, import.name));
            }
            let found = exported(import.name);
            let size = |sizes: &[u64], index: u32| sizes.get(index as usize).copied().unwrap_or_default();
            let fits = match (import.ty, found) {
                (TypeRef::Table(ty), Some((ExternalKind::Table, index))) => size(&tables, index) >= ty.initial,
                (TypeRef::Memory(ty), Some((ExternalKind::Memory, index))) => size(&memories, index) >= ty.initial,
                (TypeRef::Global(_), Some((ExternalKind::Global, _))) => true,
                (TypeRef::Func(_) | TypeRef::FuncExact(_), Some((ExternalKind::Func | ExternalKind::FuncExact, _))) => {
                    true
                }
                (TypeRef::Tag(_), Some((ExternalKind::Tag, _))) => true,
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "it imports `{}` ({:?}), which the main module does not export so",
                    import.name, import.ty
                ));
            }
        }
    }
    Ok(())
}

/// `text` with every `from` replaced by `to`; an error if there is none (the tool that wrote
/// `file` changed its output).
fn replace_required(text: &str, from: &str, to: &str, file: &Path) -> Result<String, Failure> {
    if !text.contains(from) {
        return Err(Failure::new(
            format!("{} has no `{from}`: wasm-bindgen's or the splitter's output changed", file.display()),
            "look at the file and update AppOut::write_split in xtask/src/build.rs",
        ));
    }
    Ok(text.replace(from, to))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| io_failure("read", path, &e))
}

fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| io_failure("read", path, &e))
}

/// wasm-bindgen's `--target web` glue for the module (as `<name>.js`, in `staging`), then
/// [`optimise`]; returns the optimised wasm and the glue.
fn bind_and_optimise(root: &Path, module: &Module, staging: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let name = module.name;
    Cmd::new(root, "wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--omit-default-module-path", "--out-name", name])
        .args(module.keep_lld_exports.then_some("--keep-lld-exports"))
        .arg("--out-dir")
        .arg(staging)
        .arg(&module.wasm)
        .hint("run `cargo xtask test --only setup` to install the wasm-bindgen CLI matching Cargo.lock")
        .run()?;
    let optimised = staging.join(format!("{name}_bg.opt.wasm"));
    optimise(root, &staging.join(format!("{name}_bg.wasm")), &optimised)?;
    Ok((optimised, staging.join(format!("{name}.js"))))
}

/// `wasm-opt -Oz` of `wasm` into `out`, without debug information or the producers section.
///
/// Safe on a split app's main module and chunks as well: a chunk reaches the main module
/// only through its exports (memory, the function table, globals, by name) and the table
/// slots the splitter assigned, and `-Oz` renames and removes no export, and leaves an
/// imported or exported table's slots alone (Directize turns no `call_indirect` through
/// such a table into a direct call, and the element segments stay where they are).
fn optimise(root: &Path, wasm: &Path, out: &Path) -> Result<(), Failure> {
    Cmd::new(root, &tool(root, "wasm-opt").to_string_lossy())
        .arg("-Oz")
        .args(WASM_FEATURES.iter().copied())
        .args(["--strip-debug", "--strip-producers"])
        .arg(wasm)
        .arg("-o")
        .arg(out)
        .hint("if wasm-opt rejects a feature, add its --enable flag to WASM_FEATURES in xtask/src/build.rs")
        .run()
}

/// `stem-<16 hex digits of FNV-1a 64>.ext`: a cache-busting name (not a security
/// property; the server only needs names that change when the content does).
fn hashed_name(stem: &str, ext: &str, content: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in content {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{stem}-{hash:016x}.{ext}")
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(to).map_err(|e| io_failure("create", to, &e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io_failure("read", from, &e))? {
        let entry = entry.map_err(|e| io_failure("read", from, &e))?;
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            std::fs::copy(&source, &dest).map_err(|e| io_failure("copy", &source, &e))?;
        }
    }
    Ok(())
}

/// Writes a gzip (level 9) sibling `NAME.gz` and a brotli (quality 11, Node's zlib) sibling
/// `NAME.br` of each file, which `bizing-server` sends to browsers that accept them (brotli
/// first); returns the files' total size, raw and gzipped.
fn precompress(root: &Path, files: &[PathBuf]) -> Result<(u64, u64), Failure> {
    use std::io::Write as _;
    let (mut raw, mut gz) = (0, 0);
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| io_failure("read", file, &e))?;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zipped =
            encoder.write_all(&bytes).and_then(|()| encoder.finish()).map_err(|e| io_failure("gzip", file, &e))?;
        let mut sibling = file.as_os_str().to_owned();
        sibling.push(".gz");
        let sibling = PathBuf::from(sibling);
        std::fs::write(&sibling, &zipped).map_err(|e| io_failure("write", &sibling, &e))?;
        raw += bytes.len() as u64;
        gz += zipped.len() as u64;
    }
    let script = "const fs = require('node:fs'), zlib = require('node:zlib'); \
                  for (const f of process.argv.slice(1)) fs.writeFileSync(f + '.br', zlib.brotliCompressSync(\
                  fs.readFileSync(f), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));";
    Cmd::new(root, "node").args(["-e", script]).args(files).hint("install Node.js 20+").run()?;
    Ok((raw, gz))
}

/// Drops the glue's loader declarations (`InitInput`, `initSync`, the default `init`) from
/// its `.d.ts`. The package's entry points load the wasm themselves and do not re-export
/// them, and they name DOM types (`RequestInfo`, `Response`, `BufferSource`), which would
/// make the package's types fail to check in a Node, Deno or workerd project without the DOM
/// library.
fn trim_loader_types(dts: &Path) -> Result<(), Failure> {
    const LOADER: &str = "\nexport type InitInput";
    let text = std::fs::read_to_string(dts).map_err(|e| io_failure("read", dts, &e))?;
    let Some(cut) = text.find(LOADER) else {
        return Err(Failure::new(
            format!("{} has no `{}`: wasm-bindgen's output changed", dts.display(), LOADER.trim()),
            "look at the end of the generated .d.ts and update trim_loader_types in xtask/src/build.rs",
        ));
    };
    let api = text[..cut].trim_end();
    if api.contains("InitInput") || api.contains("InitOutput") {
        return Err(Failure::new(
            format!("{} uses the loader types before `{}`", dts.display(), LOADER.trim()),
            "update trim_loader_types in xtask/src/build.rs to wasm-bindgen's current output",
        ));
    }
    std::fs::write(dts, format!("{api}\n")).map_err(|e| io_failure("write", dts, &e))
}

/// A binary from the pinned JavaScript tools (`tools/js/node_modules/.bin`).
fn tool(root: &Path, name: &str) -> PathBuf {
    root.join(setup::JS_TOOLS_DIR).join("node_modules").join(".bin").join(name)
}

/// One line: the wasm and the JavaScript a browser loads, raw and gzipped (level 9).
fn print_sizes(root: &Path, wasm: &Path) -> Result<(), Failure> {
    let pkg = root.join(PKG_DIR);
    let mut js: Vec<PathBuf> = BROWSER_JS.iter().map(|file| pkg.join(file)).collect();
    js.push(root.join(DIST_DIR).join(format!("{OUT_NAME}.js")));
    // Node's zlib, so no gzip binary is needed; level 9 as `gzip -9`.
    let script = "const fs = require('node:fs'), zlib = require('node:zlib');\
                  const size = (files) => files.reduce(([raw, gz], f) => { const b = fs.readFileSync(f); \
                  return [raw + b.length, gz + zlib.gzipSync(b, { level: 9 }).length]; }, [0, 0]);\
                  const [wasm, ...js] = process.argv.slice(1);\
                  console.log(JSON.stringify({ wasm: size([wasm]), js: size(js) }));";
    let out = Cmd::new(root, "node")
        .args(["-e", script])
        .arg(wasm)
        .args(&js)
        .hint("install Node.js 20+; the package's JavaScript files listed above must exist")
        .output()?;
    let sizes: Value = serde_json::from_str(out.trim()).map_err(|e| {
        Failure::new(format!("the size script printed no JSON ({e}): {out}"), "this is a bug in xtask/src/build.rs")
    })?;
    let pair = |key: &str| -> (u64, u64) {
        let n = |i: usize| sizes[key][i].as_u64().unwrap_or_default();
        (n(0), n(1))
    };
    let ((wasm_raw, wasm_gz), (js_raw, js_gz)) = (pair("wasm"), pair("js"));
    println!(
        "     {DIST_DIR}: wasm {} (gzip {}) + JS {} (gzip {}) = gzip {} to download",
        kib(wasm_raw),
        kib(wasm_gz),
        kib(js_raw),
        kib(js_gz),
        kib(wasm_gz + js_gz)
    );
    Ok(())
}

fn kib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "sizes are far below 2^52 bytes")]
    let kib = bytes as f64 / 1024.0;
    format!("{kib:.1} KiB")
}

/// Where cargo puts build output (honours CARGO_TARGET_DIR and `build.target-dir`).
fn target_dir(root: &Path) -> Result<PathBuf, Failure> {
    let out = Cmd::cargo(root)
        .args(["metadata", "--format-version=1", "--no-deps", "--locked"])
        .hint("see cargo's error above")
        .output()?;
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|metadata| metadata.get("target_directory")?.as_str().map(PathBuf::from))
        .ok_or_else(|| Failure::new("cargo metadata names no target_directory", "this is a bug in xtask"))
}

fn io_failure(action: &str, path: &Path, error: &std::io::Error) -> Failure {
    Failure::new(
        format!("cannot {action} {}: {error}", path.display()),
        "check the permissions of the output directory (pkg/dist or target/web)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_the_loader_declarations() {
        let dir = std::env::temp_dir().join(format!("xtask-build-dts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dts = dir.join("x.d.ts");
        let api = "export class KeyPair {\n}\nexport function zeroizeKeys(): number;\n";
        std::fs::write(
            &dts,
            format!("{api}\nexport type InitInput = RequestInfo;\nexport default function init(): void;\n"),
        )
        .unwrap();
        trim_loader_types(&dts).unwrap();
        assert_eq!(std::fs::read_to_string(&dts).unwrap(), api);
        // Output without the marker means wasm-bindgen changed: fail loudly, not silently.
        assert!(trim_loader_types(&dts).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sri_is_the_base64_sha384() {
        // `printf '' | openssl dgst -sha384 -binary | base64`
        assert_eq!(sri(b""), "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb");
    }

    #[test]
    fn the_docs_publish_the_loaders_integrity() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let loader = std::fs::read(root.join(WIDGET_STATIC).join("loader.js")).unwrap();
        let docs = std::fs::read_to_string(root.join("docs/widget.md")).unwrap();
        let published: Vec<&str> = docs.split('"').filter(|s| s.starts_with("sha384-")).collect();
        assert!(!published.is_empty(), "docs/widget.md shows the snippet with its integrity");
        for value in published {
            assert_eq!(
                value,
                sri(&loader),
                "docs/widget.md must publish the SRI of web/widget/static/loader.js; a changed loader \
                 needs its new hash there (and, once released, a new version path)"
            );
        }
    }

    /// A wasm module of `sections` (`(id, payload)`; payloads under 128 bytes).
    fn module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        for (id, payload) in sections {
            bytes.push(*id);
            bytes.push(u8::try_from(payload.len()).unwrap());
            bytes.extend(payload);
        }
        bytes
    }

    /// A name as wasm writes it (under 128 bytes).
    fn name(text: &str) -> Vec<u8> {
        let mut bytes = vec![u8::try_from(text.len()).unwrap()];
        bytes.extend(text.as_bytes());
        bytes
    }

    #[test]
    fn a_chunk_links_only_to_what_the_main_module_exports() {
        const TABLE: u8 = 4;
        const EXPORT: u8 = 7;
        const IMPORT: u8 = 2;
        let table = "__indirect_function_table";
        // The main module: a funcref table of 8 slots, exported as `table` (or not).
        let main = |exported: &str| {
            let mut export = vec![1];
            export.extend(name(exported));
            export.extend([0x01, 0]);
            module(&[(TABLE, vec![1, 0x70, 0x00, 8]), (EXPORT, export)])
        };
        // A chunk importing that table with at least `slots` slots.
        let chunk = |module_name: &str, slots: u8| {
            let mut import = vec![1];
            import.extend(name(module_name));
            import.extend(name(table));
            import.extend([0x01, 0x70, 0x00, slots]);
            module(&[(IMPORT, import)])
        };
        assert_eq!(check_split_link(&main(table), &chunk(SPLIT_SHARED_MODULE, 8)), Ok(()));
        // wasm-bindgen without --keep-lld-exports drops the table's export.
        assert!(check_split_link(&main("other"), &chunk(SPLIT_SHARED_MODULE, 8)).is_err());
        // A chunk whose slots lie past the end of the main module's table.
        assert!(check_split_link(&main(table), &chunk(SPLIT_SHARED_MODULE, 9)).is_err());
        assert!(check_split_link(&main(table), &chunk("env", 8)).is_err());
    }

    #[test]
    fn hashed_names_change_with_the_content() {
        let a = hashed_name("portal", "wasm", b"one");
        assert_eq!(a, hashed_name("portal", "wasm", b"one"));
        assert_ne!(a, hashed_name("portal", "wasm", b"two"));
        // The server caches names with a run of at least 8 hex digits after a dash forever.
        let hash = a.strip_prefix("portal-").and_then(|r| r.strip_suffix(".wasm")).unwrap();
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
