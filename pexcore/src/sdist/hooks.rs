//! Running a backend's PEP 517 hooks: one Python process per build (`hooks.py`, the runner),
//! which imports the backend once and answers hook calls over a pipe, while what the build
//! prints streams to the [`Reporter`] and its last lines are kept for the error message.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Arc, Mutex};

use camino::Utf8Path;

use super::Error;
use super::pyproject::BuildSystem;
use crate::progress::Reporter;

/// The runner, run with `python -c`.
const RUNNER: &str = include_str!("hooks.py");

/// How many lines of a failed build's output its error shows.
const TAIL_LINES: usize = 25;

/// A backend's answer to a hook call.
pub(crate) enum Answer {
    Returned(serde_json::Value),
    /// The backend does not define this optional hook.
    Missing,
}

/// A started runner, serving hook calls until dropped.
pub(crate) struct Runner {
    child: Child,
    stdin: Option<ChildStdin>,
    channel: BufReader<ChildStdout>,
    output: Arc<Mutex<Output>>,
    /// Closed when the output thread has read all of it (the process and everything it started
    /// closed stderr).
    output_done: std::sync::mpsc::Receiver<()>,
    /// The project, for messages: `docopt 0.6.2 (sdist docopt-0.6.2.tar.gz)`.
    project: String,
}

/// What a build printed: its last lines.
#[derive(Default)]
struct Output {
    tail: VecDeque<String>,
}

impl Runner {
    /// Starts `python` in `directory` with the backend of `system` imported; `variables` are
    /// set on top of a clean environment (no `PYTHON*` of this process).
    pub(crate) fn start(
        python: &Utf8Path,
        directory: &Utf8Path,
        system: &BuildSystem,
        variables: &[(&str, String)],
        reporter: &Arc<dyn Reporter>,
        project: &str,
    ) -> Result<Self, Error> {
        let backend_path: Vec<&str> = system.backend_path.iter().map(|path| path.as_str()).collect();
        let mut command = crate::interpreter::clean_command(python, |name| name.starts_with("PEX"));
        command
            .args(["-c", RUNNER, &system.backend])
            .arg(serde_json::to_string(&backend_path).expect("strings serialize"))
            .current_dir(directory)
            .envs(variables.iter().map(|(name, value)| (*name, value.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| Error::Spawn { python: python.to_owned(), source })?;
        let stdin = child.stdin.take();
        let channel = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let stderr = child.stderr.take().expect("stderr is piped");
        let output = Arc::new(Mutex::new(Output::default()));
        let (done, output_done) = std::sync::mpsc::channel();
        {
            let output = Arc::clone(&output);
            let reporter = Arc::clone(reporter);
            // Not joined: a daemon a build starts (a compiler server) may hold stderr open long
            // after the build; the thread then ends with it.
            std::thread::spawn(move || {
                let _done = done;
                for line in BufReader::new(stderr).split(b'\n') {
                    let Ok(line) = line else { break };
                    let line = String::from_utf8_lossy(&line).trim_end().to_owned();
                    reporter.build_output(&line);
                    let mut output = output.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if output.tail.len() == TAIL_LINES {
                        output.tail.pop_front();
                    }
                    output.tail.push_back(line);
                }
            });
        }
        let mut runner = Self { child, stdin, channel, output, output_done, project: project.to_owned() };
        match runner.receive("importing the backend")? {
            Message::Ready => Ok(runner),
            _ => Err(runner.failure("importing the backend", "it answered out of turn".to_owned())),
        }
    }

    /// Calls `hook` with `arguments` (positional, as a JSON list).
    pub(crate) fn call(&mut self, hook: &str, arguments: &serde_json::Value) -> Result<Answer, Error> {
        let request = serde_json::json!({"hook": hook, "arguments": arguments});
        let sent = self.stdin.as_mut().map(|stdin| writeln!(stdin, "{request}").and_then(|()| stdin.flush()));
        if sent.is_none_or(|sent| sent.is_err()) {
            return Err(self.failure(hook, "the runner exited".to_owned()));
        }
        match self.receive(hook)? {
            Message::Result(value) => Ok(Answer::Returned(value)),
            Message::Missing => Ok(Answer::Missing),
            Message::Ready => Err(self.failure(hook, "it answered out of turn".to_owned())),
        }
    }

    fn receive(&mut self, hook: &str) -> Result<Message, Error> {
        let mut line = String::new();
        let read = self.channel.read_line(&mut line);
        if !matches!(read, Ok(count) if count > 0) {
            let status = self.wait();
            return Err(self.failure(hook, format!("the build process ended ({status})")));
        }
        let message: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)
            .map_err(|_| self.failure(hook, format!("the runner sent `{}`", line.trim())))?;
        if let Some(reason) = message.get("failed") {
            return Err(self.failure(hook, reason.as_str().unwrap_or("it failed").to_owned()));
        }
        if message.contains_key("ready") {
            return Ok(Message::Ready);
        }
        if message.contains_key("missing") {
            return Ok(Message::Missing);
        }
        Ok(Message::Result(message.get("result").cloned().unwrap_or_default()))
    }

    /// Waits for the process after its stdin closes; describes how it ended.
    fn wait(&mut self) -> String {
        self.stdin.take();
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => error.to_string(),
        }
    }

    /// The error of a failed hook, with the build's last lines, or the one line naming a
    /// missing compiler or header when the last of them say so (a probe early in a build may
    /// look for a header it can do without: only the end of the output tells why it failed).
    fn failure(&mut self, hook: &str, reason: String) -> Error {
        // The output thread has all of it once the process has closed stderr (waited for a
        // little: what the process started may hold it).
        self.wait();
        let _ = self.output_done.recv_timeout(std::time::Duration::from_secs(2));
        let output = self.output.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(missing) = output.tail.iter().rev().find_map(|line| missing_tool(line)) {
            return Error::MissingTool { project: self.project.clone(), missing };
        }
        let tail: Vec<String> = output.tail.iter().map(|line| format!("    {line}")).collect();
        let output = if tail.is_empty() { "(it printed nothing)".to_owned() } else { tail.join("\n") };
        Error::Hook { project: self.project.clone(), hook: hook.to_owned(), reason, output }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Closing stdin ends the runner's loop; then it exits.
        self.stdin.take();
        let _ = self.child.wait();
    }
}

enum Message {
    Ready,
    Result(serde_json::Value),
    Missing,
}

/// What a line of build output says is missing, if it is a compiler, a header or Rust.
fn missing_tool(line: &str) -> Option<String> {
    let header = line.split("fatal error: ").nth(1).and_then(|rest| rest.split(": No such file or directory").next());
    let is_header = |name: &str| std::path::Path::new(name).extension().is_some_and(|extension| extension == "h");
    if let Some(header) = header.filter(|header| is_header(header) && line.contains("No such file")) {
        return Some(if header.ends_with("Python.h") {
            "the Python headers (`Python.h`) are missing; install the Python development files (such as `python3-dev`)"
                .to_owned()
        } else {
            format!("the C header `{header}` is missing; install the development package that provides it")
        });
    }
    let patterns = [
        ("error: command '", "' failed: No such file or directory"),
        ("unable to execute '", "': No such file or directory"),
    ];
    for (start, end) in patterns {
        if let Some((_, rest)) = line.split_once(start)
            && let Some((compiler, _)) = rest.split_once(end)
        {
            return Some(format!("the compiler `{compiler}` is missing; install a C compiler (such as `gcc`)"));
        }
    }
    if line.contains("can't find Rust compiler") || line.contains("Cargo, the Rust package manager, is not installed") {
        return Some("a Rust compiler (`cargo`) is missing; install Rust (with rustup, for example)".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::missing_tool;

    #[test]
    fn ok_missing_tools() {
        for (line, expected) in [
            (
                "src/x.c:1:10: fatal error: Python.h: No such file or directory",
                Some(
                    "the Python headers (`Python.h`) are missing; install the Python development files (such as `python3-dev`)",
                ),
            ),
            (
                "src/x.c:2:10: fatal error: yaml.h: No such file or directory",
                Some("the C header `yaml.h` is missing; install the development package that provides it"),
            ),
            (
                "error: command 'gcc' failed: No such file or directory",
                Some("the compiler `gcc` is missing; install a C compiler (such as `gcc`)"),
            ),
            (
                "unable to execute 'x86_64-linux-gnu-gcc': No such file or directory",
                Some("the compiler `x86_64-linux-gnu-gcc` is missing; install a C compiler (such as `gcc`)"),
            ),
            ("running build_ext", None),
        ] {
            assert_eq!(missing_tool(line).as_deref(), expected, "{line}");
        }
    }
}
