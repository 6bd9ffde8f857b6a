//! A real SMTP server for the mail tests: tests/smtp/sink.py (PyPI
//! `aiosmtpd` 1.4.6) on a free port, recording every message it accepts
//! as a line of JSON in a temporary folder.
//!
//! Start the sink first and give Skillmap its settings (`SmtpSink::env`),
//! then read what Skillmap sent with `messages` or `wait_for`. `refuse`
//! simulates an outage that keeps the port (answers 451, records nothing);
//! `stop` and `restart` one that does not.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::workspace_root;

/// The address Skillmap is told to send from.
pub const MAIL_FROM: &str = "skillmap@trust.example";

const READY_LINE: &str = "smtp sink listening on ";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long `restart` waits for the port to be free again.
const REBIND_TIMEOUT: Duration = Duration::from_secs(10);
// Exit codes of tests/smtp/sink.py.
const EXIT_NO_AIOSMTPD: i32 = 3;
const EXIT_PORT_IN_USE: i32 = 98;
const INSTALL_HINT: &str = "python3 -m pip install aiosmtpd==1.4.6; `cargo xtask test` installs it";

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender (MAIL FROM).
    pub from: String,
    /// The envelope recipients (RCPT TO), which Bcc does not hide.
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// The text/plain part, decoded, with `\n` line endings.
    pub text: String,
    /// The text/html part, decoded, with `\n` line endings.
    pub html: Option<String>,
    /// Header name (as sent) -> value (decoded), the first of each name.
    pub headers: Map<String, Value>,
    /// When the sink accepted it (ISO 8601, UTC).
    pub received_at: String,
}

impl SmtpSink {
    /// The sink, listening on a free port with an empty mailbox.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the SMTP sink");
        // The port is free when chosen but another process may take it
        // before the sink binds: then another port is tried.
        for _ in 0..5 {
            let port = crate::free_port();
            if let Some(child) = spawn(port, dir.path()) {
                return Self {
                    port,
                    dir,
                    child: Some(child),
                };
            }
        }
        panic!("the SMTP sink did not start on any of five free ports");
    }

    /// Stops the sink with SIGKILL and waits for it to be gone. What it
    /// recorded stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the sink again on the same port and mailbox (after `stop`,
    /// or stopping it first).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + REBIND_TIMEOUT;
        loop {
            if let Some(child) = spawn(self.port, self.dir.path()) {
                self.child = Some(child);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP sink could not bind port {} again within {REBIND_TIMEOUT:?}: it is in use",
                self.port
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The folder holding messages.jsonl (and the refuse flag).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// While on, every transaction is answered 451 (try again later) and
    /// nothing is recorded; the port stays bound.
    pub fn refuse(&self, on: bool) {
        self.flag("refuse", on);
    }

    /// While on, every recipient is refused for good (550), as a mailbox
    /// that does not exist is.
    pub fn reject(&self, on: bool) {
        self.flag("reject", on);
    }

    fn flag(&self, name: &str, on: bool) {
        let flag = self.dir.path().join(name);
        if on {
            std::fs::write(&flag, b"").expect("create the SMTP sink's refuse flag");
        } else {
            match std::fs::remove_file(&flag) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("remove {}: {e}", flag.display()),
            }
        }
    }

    /// Waits until `n` messages to `to` whose subject contains `about`
    /// have arrived; panics after `timeout`, listing all that did.
    pub fn wait_mail(&self, to: &str, about: &str, n: usize, timeout: Duration) -> Vec<Mail> {
        let start = std::time::Instant::now();
        loop {
            let all = self.messages();
            let found: Vec<Mail> = about_to(&all, to, about).into_iter().cloned().collect();
            if found.len() >= n {
                return found;
            }
            if start.elapsed() > timeout {
                let seen: Vec<String> = all
                    .iter()
                    .map(|m| format!("{:?}: {}", m.to, m.subject))
                    .collect();
                panic!(
                    "expected {n} mail(s) to {to} about {about:?} within {timeout:?}; got {}. All mail:\n{}",
                    found.len(),
                    seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let path = self.dir.path().join("messages.jsonl");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => panic!("read {}: {e}", path.display()),
        };
        let text = String::from_utf8_lossy(&bytes);
        // A line still being written has no newline yet; it is read next
        // time, whole.
        let complete = match text.rfind('\n') {
            Some(end) => &text[..=end],
            None => "",
        };
        complete
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("a line of {} is not JSON ({e}): {line}", path.display())
                });
                Mail::from_json(&value)
            })
            .collect()
    }

    /// Waits until at least `n` messages have arrived (checking every
    /// 100 ms) and returns them all; fails the test after `timeout`,
    /// saying what did arrive.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let mails = self.messages();
            if mails.len() >= n {
                return mails;
            }
            if Instant::now() >= deadline {
                let arrived: Vec<String> = mails
                    .iter()
                    .map(|m| format!("{:?} to {}", m.subject, m.to.join(", ")))
                    .collect();
                panic!(
                    "waited {timeout:?} for {n} message(s) at the SMTP sink on port {}; {} arrived: [{}]",
                    self.port,
                    mails.len(),
                    arrived.join("; ")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The settings that make a Skillmap server send its mail here.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("SKILLMAP_SMTP_HOST", "127.0.0.1".to_string()),
            ("SKILLMAP_SMTP_PORT", self.port.to_string()),
            ("SKILLMAP_SMTP_TLS", "none".to_string()),
            ("SKILLMAP_MAIL_FROM", MAIL_FROM.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Mail {
    fn from_json(v: &Value) -> Self {
        let s = |key: &str| v[key].as_str().unwrap_or_default().to_string();
        Mail {
            from: s("mail_from"),
            to: v["rcpt_tos"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            subject: s("subject"),
            message_id: s("message_id"),
            text: s("text"),
            html: v["html"].as_str().map(str::to_string),
            headers: v["headers"].as_object().cloned().unwrap_or_default(),
            received_at: s("received_at"),
        }
    }

    /// Every http(s) URL in the text body, in order.
    pub fn links(&self) -> Vec<String> {
        let mut links = Vec::new();
        let mut rest = self.text.as_str();
        while let Some(start) = [rest.find("https://"), rest.find("http://")]
            .into_iter()
            .flatten()
            .min()
        {
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, '>' | '<' | ')' | '"'))
                .unwrap_or(tail.len());
            // A link that ends a sentence is followed by its full stop,
            // which is not part of it.
            let url = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '\'']);
            if !url.ends_with("://") {
                links.push(url.to_string());
            }
            rest = &tail[end.max(1)..];
        }
        links
    }

    /// A header's value, the name matched without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }
}

/// Starts tests/smtp/sink.py on `port`, recording into `dir`; None when
/// the port is in use.
fn spawn(port: u16, dir: &Path) -> Option<Child> {
    let root = workspace_root();
    let script: PathBuf = root.join("tests/smtp/sink.py");
    let mut child = match Command::new("python3")
        .arg(&script)
        .arg("--port")
        .arg(port.to_string())
        .arg("--out")
        .arg(dir)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("python3 is needed for the mail tests, with aiosmtpd ({INSTALL_HINT})")
        }
        Err(e) => panic!("start {}: {e}", script.display()),
    };

    let stdout = child.stdout.take().expect("the SMTP sink's stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with(READY_LINE) {
                let _ = tx.send(true);
            }
        }
        // Standard output closed: the process ended.
        let _ = tx.send(false);
    });
    // Kept for the failure message, and passed on so that a traceback the
    // sink prints while serving shows in the test's output.
    let stderr = child.stderr.take().expect("the SMTP sink's stderr");
    let errors = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
            let line = String::from_utf8_lossy(&line);
            eprintln!("{line}");
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });

    match rx.recv_timeout(READY_TIMEOUT) {
        Ok(true) => Some(child),
        Ok(false) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            let status = child.wait().expect("wait for the SMTP sink");
            let stderr = errors.join().unwrap_or_default();
            match status.code() {
                Some(EXIT_PORT_IN_USE) => None,
                Some(EXIT_NO_AIOSMTPD) => {
                    panic!("the SMTP sink needs aiosmtpd: {INSTALL_HINT}")
                }
                _ if stderr.contains("No module named 'aiosmtpd'") => {
                    panic!("the SMTP sink needs aiosmtpd: {INSTALL_HINT}")
                }
                _ => panic!(
                    "the SMTP sink exited before listening on port {port} ({status}):\n{stderr}"
                ),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = errors.join().unwrap_or_default();
            panic!(
                "the SMTP sink did not start on port {port} within {READY_TIMEOUT:?}:\n{stderr}"
            );
        }
    }
}

/// The messages to `to` (any case) whose subject contains `about`.
pub fn about_to<'a>(all: &'a [Mail], to: &str, about: &str) -> Vec<&'a Mail> {
    all.iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .filter(|m| m.subject.contains(about))
        .collect()
}
