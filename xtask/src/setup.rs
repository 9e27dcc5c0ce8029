//! The `setup` stage: installs what the other stages need, and does nothing when it is all
//! there already (so CI and developers can run it every time).

use std::path::Path;
use std::time::SystemTime;

use crate::cmd::{Cmd, Failure, on_path};

/// Directories whose npm dependencies the tests need, relative to the workspace root.
pub(crate) const NPM_DIRS: &[&str] = &["tests/interop", "tests/browser", "tests/portal", JS_TOOLS_DIR];

/// The pinned JavaScript tools the build and the package tests run: wasm-opt (binaryen),
/// tsc, Deno, workerd and playwright-core.
pub(crate) const JS_TOOLS_DIR: &str = "tools/js";

/// Installed with `npm install --no-save` (which keeps package-lock.json as committed) rather
/// than `npm ci`. Deno and workerd ship their binaries as one optional dependency per
/// platform, and the registry mirror we lock against has only the Linux ones, so the lock
/// file lacks the others, which `npm ci` refuses while `npm install` skips them.
const NPM_INSTALL_DIRS: &[&str] = &[JS_TOOLS_DIR];

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Every setup step, in order.
pub(crate) fn run(root: &Path) -> Result<(), Failure> {
    wasm_target(root)?;
    wasm_bindgen_cli(root)?;
    chromium(root)?;
    // The portal tests tamper with the server's SQLite database through the CLI.
    debian_packages(root, &[("/usr/bin/sqlite3", "sqlite3")])?;
    npm_dirs(root)?;
    python_venv(root)
}

/// Where the Python interop tests' virtual environment lives (inside `target/`).
pub(crate) const PYTHON_VENV: &str = "target/py";
/// The Python interop tests' pinned requirements.
pub(crate) const PYTHON_REQUIREMENTS: &str = "tests/interop-python/requirements.txt";

/// A virtual environment with the Python interop tests' requirements (the `cryptography`
/// package), reinstalled when the requirements file is newer than the environment's marker.
pub(crate) fn python_venv(root: &Path) -> Result<(), Failure> {
    let venv = root.join(PYTHON_VENV);
    let marker = venv.join(".requirements-installed");
    let requirements = root.join(PYTHON_REQUIREMENTS);
    match (modified(&marker), modified(&requirements)) {
        (Some(done), Some(wanted)) if done >= wanted => {
            note(&format!("{PYTHON_VENV}: Python requirements up to date"));
            return Ok(());
        }
        _ => {}
    }
    let hint = "install Python 3 with its venv module (Debian: python3-venv), check access to PyPI, then rerun";
    Cmd::new(root, "python3").args(["-m", "venv", PYTHON_VENV]).hint(hint).run()?;
    Cmd::new(root, &venv.join("bin").join("pip").to_string_lossy())
        .args(["install", "--quiet", "--disable-pip-version-check", "-r", PYTHON_REQUIREMENTS])
        .hint(hint)
        .run()?;
    std::fs::write(&marker, b"").map_err(|e| Failure::new(format!("cannot write {}: {e}", marker.display()), hint))
}

fn note(message: &str) {
    println!("     {message}");
}

/// The wasm32 target, via rustup, for the toolchain that runs xtask.
pub(crate) fn wasm_target(root: &Path) -> Result<(), Failure> {
    let rustup = || Cmd::new(root, "rustup").hint("install Rust with rustup (https://rustup.rs), then rerun");
    let installed = rustup().args(["target", "list", "--installed"]).output()?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        note(&format!("{WASM_TARGET} target: installed"));
        return Ok(());
    }
    rustup().args(["target", "add", WASM_TARGET]).run()
}

/// `wasm-bindgen` and `wasm-bindgen-test-runner` at exactly the version in Cargo.lock: the
/// CLI refuses to process output of a different `wasm-bindgen` crate version.
pub(crate) fn wasm_bindgen_cli(root: &Path) -> Result<(), Failure> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| {
        Failure::new(format!("cannot read Cargo.lock: {e}"), "run from a full checkout; Cargo.lock is committed")
    })?;
    let wanted = locked_version(&lock, "wasm-bindgen")?;
    let tools = ["wasm-bindgen-test-runner", "wasm-bindgen"];
    let stale: Vec<String> = tools
        .iter()
        .filter_map(|tool| {
            let found = tool_version(root, tool);
            (found.as_deref() != Some(wanted.as_str()))
                .then(|| format!("{tool} {}", found.as_deref().unwrap_or("missing")))
        })
        .collect();
    if stale.is_empty() {
        note(&format!("wasm-bindgen-cli {wanted}: installed"));
        return Ok(());
    }
    note(&format!(
        "Cargo.lock has wasm-bindgen {wanted}, found {}: installing wasm-bindgen-cli {wanted}",
        stale.join(", ")
    ));
    // No --locked: a dependency pinned in the CLI's own lock file is missing from the
    // registry mirror CI uses, and any semver-compatible one works.
    Cmd::cargo(root)
        .args(["install", "wasm-bindgen-cli", "--version", &wanted])
        .hint("check network access to crates.io, then rerun `cargo xtask test --only setup`")
        .run()?;
    for tool in tools {
        let found = tool_version(root, tool);
        if found.as_deref() != Some(wanted.as_str()) {
            return Err(Failure::new(
                format!(
                    "installed wasm-bindgen-cli {wanted}, but `{tool} --version` reports {}",
                    found.as_deref().unwrap_or("nothing (not on PATH)")
                ),
                "put ~/.cargo/bin first on PATH (another copy shadows it), then rerun",
            ));
        }
    }
    Ok(())
}

/// The version `tool --version` reports (its last word), if it runs.
fn tool_version(root: &Path, tool: &str) -> Option<String> {
    let out = Cmd::new(root, tool).arg("--version").probe()?;
    out.split_whitespace().last().map(str::to_owned)
}

/// The one version of `name` in a Cargo.lock.
fn locked_version(lock: &str, name: &str) -> Result<String, Failure> {
    let mut packages: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for line in lock.lines().map(str::trim) {
        if line == "[[package]]" {
            packages.push((None, None));
        } else if line.starts_with('[') {
            // Any other table (e.g. [metadata]) ends the current package.
            packages.push((None, None));
        } else if let Some(current) = packages.last_mut() {
            if let Some(value) = toml_string(line, "name") {
                current.0 = Some(value);
            } else if let Some(value) = toml_string(line, "version") {
                current.1 = Some(value);
            }
        }
    }
    let mut versions: Vec<&str> = packages.iter().filter(|(n, _)| *n == Some(name)).filter_map(|(_, v)| *v).collect();
    versions.sort_unstable();
    versions.dedup();
    match versions.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(Failure::new(
            format!("Cargo.lock has no `{name}` package"),
            "the workspace should depend on it; run `cargo metadata` to refresh Cargo.lock",
        )),
        many => Err(Failure::new(
            format!("Cargo.lock has several `{name}` versions: {}", many.join(", ")),
            "unify them (one wasm-bindgen-cli can serve only one), e.g. with `cargo update`",
        )),
    }
}

/// `value` from a line `key = "value"`.
fn toml_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}

/// Debian's Chromium and its matching chromedriver, for the headless browser tests.
fn chromium(root: &Path) -> Result<(), Failure> {
    debian_packages(root, &[(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")])
}

/// Installs with apt-get (as root, or through sudo) the Debian packages whose files are
/// missing: `wanted` pairs a file each package provides with the package's name.
pub(crate) fn debian_packages(root: &Path, wanted: &[(&str, &str)]) -> Result<(), Failure> {
    let missing: Vec<(&str, &str)> = wanted.iter().copied().filter(|(path, _)| !Path::new(path).exists()).collect();
    let packages: Vec<&str> = wanted.iter().map(|(_, package)| *package).collect();
    if missing.is_empty() {
        note(&format!("{}: installed", packages.join(" and ")));
        return Ok(());
    }
    let missing_files = missing.iter().map(|(path, _)| *path).collect::<Vec<_>>().join(" and ");
    let what_to_install = format!(
        "install Debian's {} (`apt-get install {}` as root), then rerun",
        packages.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" and "),
        packages.join(" ")
    );
    if !on_path("apt-get") {
        return Err(Failure::new(
            format!("{missing_files} missing and apt-get is not available"),
            format!("{what_to_install}; elsewhere, install the same programs at {missing_files}"),
        ));
    }
    let is_root = Cmd::new(root, "id").arg("-u").probe().is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let cmd = if is_root {
            Cmd::new(root, "apt-get").env("DEBIAN_FRONTEND", "noninteractive")
        } else {
            // `env` under sudo, because sudo's env_reset would drop a variable set outside.
            Cmd::new(root, "sudo").args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"])
        };
        cmd.args(args.iter().copied()).hint(what_to_install.clone())
    };
    if !is_root && !on_path("sudo") {
        return Err(Failure::new(
            format!("{missing_files} missing; not root and sudo is not available"),
            what_to_install,
        ));
    }
    note(&format!("{missing_files} missing: installing with apt-get"));
    apt(&["update"]).run()?;
    apt(&[&["install", "-y", "--no-install-recommends"][..], &packages[..]].concat()).run()?;
    if let Some((path, _)) = wanted.iter().find(|(p, _)| !Path::new(p).exists()) {
        return Err(Failure::new(format!("apt-get succeeded but {path} still does not exist"), what_to_install));
    }
    Ok(())
}

/// `npm ci` (or `npm install`, see [`NPM_INSTALL_DIRS`]) in each of [`NPM_DIRS`] whose
/// installed tree is older than its lock file.
fn npm_dirs(root: &Path) -> Result<(), Failure> {
    for dir in NPM_DIRS {
        npm_dir(root, dir)?;
    }
    Ok(())
}

/// Installs `dir`'s npm dependencies (relative to the root) unless its installed tree is as
/// new as its lock file.
pub(crate) fn npm_dir(root: &Path, dir: &str) -> Result<(), Failure> {
    let path = root.join(dir);
    if !path.is_dir() {
        return Err(Failure::new(
            format!("{dir}/ does not exist"),
            "it is part of the repository: update your checkout (git pull), or remove it \
             from NPM_DIRS in xtask/src/setup.rs if it was deliberately deleted",
        ));
    }
    let lock = path.join("package-lock.json");
    if !lock.is_file() {
        if has_dependencies(&path.join("package.json")) {
            return Err(Failure::new(
                format!("{dir}/package.json has dependencies but there is no package-lock.json"),
                format!("run `npm install` in {dir} and commit package-lock.json"),
            ));
        }
        note(&format!("{dir}: no package-lock.json, nothing to install"));
        return Ok(());
    }
    if !lock_has_packages(&lock) {
        // npm ci creates no node_modules for a lock with no packages, so the freshness check
        // below would rerun it every time.
        note(&format!("{dir}: no npm dependencies"));
        return Ok(());
    }
    let installed = path.join("node_modules").join(".package-lock.json");
    match (modified(&installed), modified(&lock)) {
        (Some(installed), Some(lock)) if installed >= lock => {
            note(&format!("{dir}: npm dependencies up to date"));
            return Ok(());
        }
        _ => {}
    }
    let install: &[&str] = if NPM_INSTALL_DIRS.contains(&dir) { &["install", "--no-save"] } else { &["ci"] };
    Cmd::new(root, "npm")
        .in_dir(root, dir)
        .args(install.iter().copied())
        .args(["--no-audit", "--no-fund"])
        .hint("install Node.js 20+ with npm, check access to the npm registry, then rerun")
        .run()
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Whether a package-lock.json lists anything besides the root package. An unreadable lock
/// counts as having packages, so `npm ci` runs and reports the problem itself.
fn lock_has_packages(lock: &Path) -> bool {
    let Some(json) = read_json(lock) else { return true };
    match json.get("packages").and_then(serde_json::Value::as_object) {
        Some(packages) => packages.keys().any(|key| !key.is_empty()),
        // lockfileVersion 1 keeps them under "dependencies".
        None => json.get("dependencies").and_then(serde_json::Value::as_object).is_none_or(|deps| !deps.is_empty()),
    }
}

fn has_dependencies(package_json: &Path) -> bool {
    let Some(json) = read_json(package_json) else { return false };
    ["dependencies", "devDependencies", "optionalDependencies"]
        .iter()
        .any(|key| json.get(key).and_then(serde_json::Value::as_object).is_some_and(|d| !d.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_version() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]
"#;
        assert_eq!(locked_version(lock, "wasm-bindgen").unwrap(), "0.2.130");
        assert!(locked_version(lock, "wasm-bindgen-cli").is_err());
        let two = format!("{lock}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.100\"\n");
        assert!(locked_version(&two, "wasm-bindgen").is_err());
    }
}

#[cfg(test)]
mod npm_tests {
    use std::path::PathBuf;

    use super::*;

    /// A fresh scratch root under the system temp dir, removed first if a previous run left it.
    fn scratch(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-npm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        root
    }

    const LOCK_WITH_DEP: &str = r#"{"lockfileVersion":3,"packages":{"":{},"node_modules/x":{"version":"1.0.0"}}}"#;

    #[test]
    fn missing_dir_fails_clearly() {
        let root = scratch("missing");
        let failure = npm_dir(&root, "absent").unwrap_err();
        assert!(failure.what().contains("absent/ does not exist"));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn nothing_to_install_is_skipped() {
        let root = scratch("empty");
        // No lock and no dependencies: nothing to do.
        std::fs::write(root.join("pkg/package.json"), r#"{"name":"p"}"#).unwrap();
        npm_dir(&root, "pkg").unwrap();
        // Dependencies without a lock cannot be installed reproducibly.
        std::fs::write(root.join("pkg/package.json"), r#"{"dependencies":{"x":"1"}}"#).unwrap();
        assert!(npm_dir(&root, "pkg").is_err());
        // A lock listing only the root package: npm ci would create no node_modules.
        std::fs::write(root.join("pkg/package-lock.json"), r#"{"packages":{"":{}}}"#).unwrap();
        npm_dir(&root, "pkg").unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn up_to_date_install_is_skipped() {
        let root = scratch("fresh");
        std::fs::write(root.join("pkg/package-lock.json"), LOCK_WITH_DEP).unwrap();
        std::fs::create_dir_all(root.join("pkg/node_modules")).unwrap();
        // Written after the lock, so at least as new: npm must not run (it would fail here).
        std::fs::write(root.join("pkg/node_modules/.package-lock.json"), LOCK_WITH_DEP).unwrap();
        npm_dir(&root, "pkg").unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }
}
