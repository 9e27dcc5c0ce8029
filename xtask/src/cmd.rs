//! Running external commands, and the failure type every step reports.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a step failed, and what the developer should do about it.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    hint: String,
}

impl Failure {
    /// A failure not tied to one command's exit status.
    pub(crate) fn new(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Self { what: what.into(), hint: hint.into() }
    }

    /// What went wrong, one line (e.g. "`cargo fmt --all --check` exited with 1").
    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    /// What to do about it.
    pub(crate) fn hint(&self) -> &str {
        &self.hint
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  what to do: {}", self.what, self.hint)
    }
}

/// A command to run from the workspace root (or a directory under it), shown to the user in
/// a form they can paste into a shell.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    program: OsString,
    shown_program: String,
    args: Vec<OsString>,
    dir: PathBuf,
    shown_dir: Option<String>,
    envs: Vec<(String, String)>,
    env_removes: Vec<String>,
    hint: String,
}

impl Cmd {
    /// `program` run in `root`.
    pub(crate) fn new(root: &Path, program: &str) -> Self {
        Self {
            program: program.into(),
            shown_program: program.to_owned(),
            args: Vec::new(),
            dir: root.to_path_buf(),
            shown_dir: None,
            envs: Vec::new(),
            env_removes: Vec::new(),
            hint: "see the output above".to_owned(),
        }
    }

    /// The cargo that runs xtask (same toolchain), shown as plain `cargo`.
    pub(crate) fn cargo(root: &Path) -> Self {
        let mut cmd = Self::new(root, "cargo");
        if let Some(cargo) = std::env::var_os("CARGO") {
            cmd.program = cargo;
        }
        cmd
    }

    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in `root/rel` instead of the root.
    pub(crate) fn in_dir(mut self, root: &Path, rel: &str) -> Self {
        self.dir = root.join(rel);
        self.shown_dir = Some(rel.to_owned());
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.envs.push((key.to_owned(), value.into()));
        self
    }

    /// Unsets `key`, so a developer's shell setting cannot change what a stage tests.
    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.env_removes.push(key.to_owned());
        self
    }

    /// What to tell the developer if this command fails.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(&self.dir);
        for key in &self.env_removes {
            command.env_remove(key);
        }
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    fn not_started(&self, error: &std::io::Error) -> Failure {
        let hint = if error.kind() == std::io::ErrorKind::NotFound {
            format!("`{}` is not installed or not on PATH; {}", self.shown_program, self.hint)
        } else {
            self.hint.clone()
        };
        Failure::new(format!("`{self}` could not be started: {error}"), hint)
    }

    fn exited(&self, status: std::process::ExitStatus) -> Failure {
        let code = status.code().map_or_else(|| "a signal".to_owned(), |c| c.to_string());
        let what = if status.code().is_some() {
            format!("`{self}` exited with {code}")
        } else {
            format!("`{self}` was killed by {code}")
        };
        Failure::new(what, self.hint.clone())
    }

    /// Runs with stdout and stderr inherited, so cargo's and node's output shows as is.
    pub(crate) fn run(&self) -> Result<(), Failure> {
        let status = self.command().status().map_err(|e| self.not_started(&e))?;
        if status.success() { Ok(()) } else { Err(self.exited(status)) }
    }

    /// Runs and returns stdout; stderr is inherited so progress and errors still show.
    pub(crate) fn output(&self) -> Result<String, Failure> {
        let output =
            self.command().stdin(Stdio::null()).stderr(Stdio::inherit()).output().map_err(|e| self.not_started(&e))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(self.exited(output.status))
        }
    }

    /// Runs silently; stdout if the command exists and succeeds. For "is it installed?".
    pub(crate) fn probe(&self) -> Option<String> {
        let output = self.command().stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.shown_dir {
            write!(f, "cd {dir} && ")?;
        }
        for (key, value) in &self.envs {
            write!(f, "{key}={} ", shell_word(value))?;
        }
        write!(f, "{}", self.shown_program)?;
        for arg in &self.args {
            write!(f, " {}", shell_word(&arg.to_string_lossy()))?;
        }
        Ok(())
    }
}

/// Quotes a word for display only when a shell would need it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// Whether `program` is an executable file somewhere on PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
