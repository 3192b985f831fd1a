//! The built binary in a real pseudo-terminal, read back through a terminal
//! parser: what a person at the keyboard would see.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::common::{BIN, FAST_ARGON2 as CHEAP, bin};
const ROWS: u16 = 40;
const COLS: u16 = 120;

pub(crate) struct Console {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the console wrote, for checks the screen cannot show.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Console {
    pub(crate) fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(BIN);
        for a in args {
            cmd.arg(a);
        }
        cmd.cwd(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", dir);
        cmd.env("XDG_CONFIG_HOME", dir.join("config"));
        cmd.env("IAMKEYS_ARGON2", CHEAP);
        cmd.env_remove("IAMKEYS_DATA_DIR");
        cmd.env_remove("IAMKEYS_API_KEY");
        cmd.env_remove("IAMKEYS_ENDPOINT");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn iamkeys");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let p = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let r = Arc::clone(&raw);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        r.lock().expect("raw").extend_from_slice(&buf[..n]);
                        p.lock().expect("parser").process(&buf[..n]);
                    }
                }
            }
        });
        Console {
            parser,
            raw,
            writer,
            child,
            master: pty.master,
        }
    }

    pub(crate) fn screen(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    pub(crate) fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |s| s.contains(needle))
    }

    /// Waits until every one of `needles` is on screen at once: a frame
    /// may arrive in several reads.
    pub(crate) fn wait_all(&self, needles: &[&str]) -> String {
        self.wait_until(&needles.join(" + "), |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    pub(crate) fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = crate::common::deadline(Duration::from_secs(30));
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() <= deadline,
                "timed out waiting for {what:?}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to the console");
        self.writer.flush().expect("flush");
        // Lone escapes must not merge with the next key into Alt-key.
        std::thread::sleep(Duration::from_millis(if bytes == b"\x1b" {
            150
        } else {
            40
        }));
    }

    pub(crate) fn keys(&mut self, keys: &str) {
        for k in keys.split_whitespace() {
            let bytes: &[u8] = match k {
                "enter" => b"\r",
                "esc" => b"\x1b",
                "tab" => b"\t",
                "down" => b"\x1b[B",
                "up" => b"\x1b[A",
                other => other.as_bytes(),
            };
            self.send(bytes);
        }
    }

    pub(crate) fn type_text(&mut self, text: &str) {
        self.send(text.as_bytes());
    }

    pub(crate) fn wait_exit(&mut self) -> u32 {
        let deadline = crate::common::deadline(Duration::from_secs(20));
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the console did not exit; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// Seeds the built-in demo into `dir/data` with the command line.
fn seed(dir: &Path) -> std::path::PathBuf {
    seed_from(dir, None)
}

/// Seeds `dir/data` from a fixture (default: the built-in demo) with the
/// command line.
fn seed_from(dir: &Path, fixture: Option<&Path>) -> std::path::PathBuf {
    let data = dir.join("data");
    let out = bin()
        .args(["--data-dir"])
        .arg(&data)
        .arg("seed")
        .args(fixture)
        .output()
        .expect("run iamkeys seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

/// The console on the store in `data`, signed in as a persona.
fn as_persona(dir: &Path, data: &Path, email: &str, env: &[(&str, &str)]) -> Console {
    Console::spawn(
        dir,
        &["--data-dir", data.to_str().unwrap(), "--as", email],
        env,
    )
}

pub(crate) const LABELS: [&str; 4] = [
    "My IBM Cloud API keys",
    "All IBM Cloud user API keys",
    "All service ID API keys",
    "Classic infrastructure API keys",
];

/// The View filter options on screen: the labels inside the open dropdown
/// (the rows below the View box).
pub(crate) fn dropdown_options(screen: &str) -> Vec<&'static str> {
    let rows: Vec<&str> = screen.lines().skip(3).take(6).collect();
    LABELS
        .into_iter()
        .filter(|l| rows.iter().any(|r| r.contains(l)))
        .collect()
}

#[test]
fn walkthrough_sign_in_view_search_create_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    // No store yet: the first run seeds the demo and shows the sign-in.
    let mut c = Console::spawn(dir.path(), &["--data-dir", data_s], &[]);
    c.wait_all(&["Or sign in as a demo persona", "Grace Hopper", "Edsger"]);
    // Ada is first; Grace, the Administrator, second.
    c.keys("j enter");
    c.wait_all(&[
        "Grace Hopper <grace@acme.example>",
        "My IBM Cloud API keys · 2 keys",
        "Manage > Access (IAM) > API keys",
        "Acme Corp (acme)",
        "grace-old-script",
        "Create +",
    ]);

    c.keys("v");
    let s = c.wait_until("the dropdown", |s| dropdown_options(s) == LABELS);
    assert_eq!(
        dropdown_options(&s),
        LABELS,
        "an Administrator sees every option"
    );

    c.keys("j enter");
    let s = c.wait_all(&[
        "All IBM Cloud user API keys · 8 keys",
        "linus-readonly",
        "Owner",
    ]);
    assert!(!s.contains("Create +"), "no create button in this view");

    c.keys("/");
    c.type_text("deploy");
    c.wait_until("one match", |s| {
        s.contains("1 of 8 match") && s.contains("deploy-pipeline") && !s.contains("katherine-ci")
    });
    c.keys("esc esc");
    c.wait_all(&["All IBM Cloud user API keys · 8 keys", "katherine-ci"]);

    c.keys("v k enter");
    c.wait_all(&["My IBM Cloud API keys · 2 keys", "grace-cli"]);
    c.keys("c");
    c.wait_all(&["Create IBM Cloud API key", "Lock the key"]);
    c.type_text("e2e key");
    c.keys("tab");
    c.type_text("made through a pty");
    c.keys("enter");
    let s = c.wait_all(&[
        "API key successfully created",
        "It will not be shown again",
        "•••••••••••••••",
        "Download apikey.json",
    ]);
    assert!(!s.contains("iamk_"), "the value is masked:\n{s}");
    c.keys("s");
    c.wait_all(&["iamk_", "e2e key", "Hide"]);
    // Neither copied nor downloaded: Esc warns first, like q.
    c.keys("esc");
    c.wait_all(&[
        "press Esc again to close anyway",
        "API key successfully created",
    ]);
    c.keys("esc");
    c.wait_until("the reveal to close", |s| {
        s.contains("3 keys") && !s.contains("iamk_")
    });
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn a_plain_member_sees_only_their_options_and_no_color_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed(dir.path());
    let mut c = as_persona(
        dir.path(),
        &data,
        "katherine@acme.example",
        &[("NO_COLOR", "1")],
    );
    c.wait_all(&["My IBM Cloud API keys · 1 key", "katherine-ci", "q quit"]);
    c.keys("v");
    let two = ["My IBM Cloud API keys", "Classic infrastructure API keys"];
    c.wait_until("the dropdown", |s| dropdown_options(s) == two);
    // Nothing more arrives later: a quiet spell, not a wait for readiness.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(dropdown_options(&c.screen()), two);
    {
        let p = c.parser.lock().unwrap();
        let screen = p.screen();
        for row in 0..ROWS {
            for col in 0..COLS {
                if let Some(cell) = screen.cell(row, col) {
                    assert_eq!(
                        cell.fgcolor(),
                        vt100::Color::Default,
                        "colour at {row},{col}"
                    );
                    assert_eq!(
                        cell.bgcolor(),
                        vt100::Color::Default,
                        "colour at {row},{col}"
                    );
                }
            }
        }
    }
    c.keys("esc");
    c.send(b"\x03"); // Ctrl-C
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn frames_keep_coming_while_a_key_is_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed(dir.path());
    // Costly hashing (about a second) so the wait is visible.
    let mut c = as_persona(
        dir.path(),
        &data,
        "ada@acme.example",
        &[("IAMKEYS_ARGON2", "m=65536,t=16,p=1")],
    );
    c.wait_for("My IBM Cloud API keys · 2 keys");
    c.keys("c");
    c.wait_for("Create IBM Cloud API key");
    c.type_text("slow key");
    c.keys("enter");
    let spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    let mut frames = Vec::new();
    let deadline = crate::common::deadline(Duration::from_secs(60));
    loop {
        let s = c.screen();
        if s.contains("API key successfully created") {
            break;
        }
        if let Some(line) = s.lines().find(|l| l.contains("Creating the API key"))
            && let Some(ch) = line.chars().find(|ch| spinner.contains(*ch))
            && frames.last() != Some(&ch)
        {
            frames.push(ch);
        }
        assert!(Instant::now() < deadline, "no reveal; the screen:\n{s}");
        std::thread::sleep(Duration::from_millis(15));
    }
    assert!(
        frames.len() >= 3,
        "the spinner should advance while hashing, saw {frames:?}"
    );
    c.keys("esc q");
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn a_busy_store_is_a_clear_message_not_a_terminal_mess() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed(dir.path());
    let data_s = data.to_str().unwrap();
    let mut c = Console::spawn(dir.path(), &["--data-dir", data_s], &[]);
    c.wait_for("Sign in");
    // A second console, in a terminal of its own.
    let mut second = Console::spawn(dir.path(), &["--data-dir", data_s], &[]);
    assert_eq!(second.wait_exit(), 1);
    let screen = second.wait_for("busy");
    assert!(screen.contains("another iamkeys process"), "{screen}");
    let raw = second.raw.lock().unwrap().clone();
    assert!(
        !String::from_utf8_lossy(&raw).contains("\x1b[?1049h"),
        "the busy console never took over the screen"
    );
    // A command, too, is told at once which store is busy and why.
    let started = std::time::Instant::now();
    let out = bin()
        .args(["--data-dir", data_s, "--as", "ada@acme.example", "api-keys"])
        .output()
        .expect("run a command");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(data_s), "names the directory: {err}");
    assert!(err.contains("another iamkeys process"), "{err}");
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn demo_opens_on_a_throwaway_store_and_apikey_opens_straight_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Console::spawn(dir.path(), &["demo", "--as", "ada@acme.example"], &[]);
    c.wait_all(&["My IBM Cloud API keys · 2 keys", "ada-laptop"]);
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);

    let data = seed(dir.path());
    let mut c = Console::spawn(
        dir.path(),
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--apikey",
            "iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb",
            "--account",
            "globex",
        ],
        &[],
    );
    // Grace's key reaches her other account, where creation is restricted.
    let s = c.wait_all(&[
        "My IBM Cloud API keys · 1 key",
        "grace-globex-reports",
        "Globex Research",
        "Creating API keys is not possible here",
    ]);
    assert!(!s.contains("Create +"));
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);

    // A refused sign-in is a message and an exit code, before any screen.
    let mut refused = as_persona(dir.path(), &data, "nobody@nowhere", &[]);
    assert_eq!(refused.wait_exit(), 3);
    refused.wait_for("sign-in failed");
    // Without a terminal the console says so, and changes nothing.
    let fresh = dir.path().join("never-made");
    let out = bin()
        .args(["--data-dir", fresh.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
    assert!(!fresh.exists());
}

#[test]
fn mouse_and_resizing_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed(dir.path());
    let mut c = as_persona(dir.path(), &data, "grace@acme.example", &[]);
    c.wait_all(&["My IBM Cloud API keys · 2 keys", "grace-old-script"]);
    // Click the View box, then its second option (SGR mouse reports, 1-based).
    c.send(b"\x1b[<0;5;3M\x1b[<0;5;3m");
    c.wait_all(&["All service ID API keys"]);
    let s = c.screen();
    let row = s
        .lines()
        .position(|l| l.contains("All IBM Cloud user API keys") && !l.contains("▾"))
        .expect("the option is on screen") as u16;
    c.send(format!("\x1b[<0;8;{}M\x1b[<0;8;{}m", row + 1, row + 1).as_bytes());
    let s = c.wait_all(&["All IBM Cloud user API keys · 8 keys", "linus-readonly"]);
    // Click a key twice: selected, then its actions.
    let row = s
        .lines()
        .position(|l| l.contains("alan-notebook"))
        .expect("alan's key is listed") as u16;
    let click = format!("\x1b[<0;6;{}M\x1b[<0;6;{}m", row + 1, row + 1);
    c.send(click.as_bytes());
    c.send(click.as_bytes());
    let s = c.wait_all(&["View details", "Unlock"]);
    assert!(
        !s.contains("Delete"),
        "a locked key cannot be deleted:\n{s}"
    );
    c.keys("esc");
    // The wheel moves the selection.
    c.send(b"\x1b[<65;6;10M");
    c.wait_until("the menu to close", |s| !s.contains("View details"));

    c.master
        .resize(PtySize {
            rows: 12,
            cols: 50,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    c.wait_all(&["Terminal too small", "50×12"]);
    c.master
        .resize(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    c.wait_all(&["All IBM Cloud user API keys · 8 keys"]);
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}

/// Names and descriptions carrying escape sequences reach the real terminal
/// inert: the screen shows pictures of the control characters, and none of
/// the stored sequences is ever written to the terminal.
#[test]
fn stored_escape_sequences_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test/evil.yaml");
    let data = dir.path().join("data");
    crate::common::seed_unchecked(&data, &fx);
    let mut c = as_persona(dir.path(), &data, "mallory@evil.example", &[]);
    c.wait_for("␛[31mred");
    c.keys("i");
    c.wait_for("bell␇");
    c.keys("esc q");
    assert_eq!(c.wait_exit(), 0);
    let raw = c.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    for needle in [
        "\x1b]0;pwned",
        "\x1b]52;c;ZWNobyBwd25lZA",
        "\x1b[31mred",
        "\x1b[1;1H c1",
        "\x1b[2J Corp",
        "\u{9b}31m",
        "\u{202e}",
        "\x07 csi",
    ] {
        assert!(!raw.contains(needle), "{needle:?} reached the terminal");
    }
    assert!(
        raw.contains("␛]0;pwned") || raw.contains("␛]52"),
        "shown as pictures"
    );
}

/// The last row of the screen: the key hints.
fn hint_row(screen: &str) -> String {
    screen.lines().last().unwrap_or("").to_string()
}

#[test]
fn a_store_that_is_not_a_demo_hints_only_what_works_in_the_key_field() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test/small.yaml");
    let data = seed_from(dir.path(), Some(&fixture));
    let mut c = Console::spawn(dir.path(), &["--data-dir", data.to_str().unwrap()], &[]);
    let s = c.wait_all(&["IBM Cloud API key", "Esc quit"]);
    let hints = hint_row(&s);
    assert!(
        hints.contains("Enter sign in") && hints.contains("F1 help"),
        "{hints}"
    );
    for wrong in ["q quit", "? help", "personas", "Tab"] {
        assert!(!hints.contains(wrong), "{wrong:?} offered in {hints:?}");
    }
    // q types into the field, as the hints imply.
    c.type_text("q");
    c.wait_for("•");
    assert!(
        c.child.try_wait().expect("wait").is_none(),
        "q did not quit"
    );
    c.keys("esc");
    assert_eq!(c.wait_exit(), 0, "Esc quits from the key field");
}

#[test]
fn lock_and_the_restriction_ask_first_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = seed(dir.path());
    let mut c = as_persona(dir.path(), &data, "ada@acme.example", &[]);
    c.wait_all(&["My IBM Cloud API keys · 2 keys", "ada-laptop"]);
    c.keys("l");
    c.wait_all(&["Lock the API key \"ada-laptop\"?", "y yes"]);
    c.keys("n");
    let s = c.wait_for("Cancelled");
    assert!(!s.contains("locked"), "nothing was locked:\n{s}");
    c.keys("D");
    c.wait_for("Disable the API key \"ada-laptop\"?");
    c.keys("esc A");
    c.wait_for("Account settings");
    c.type_text(" ");
    c.wait_for("Restrict API key creation in the account Acme Corp (acme)?");
    c.keys("y");
    c.wait_all(&["API key creation is now restricted", "[x] On"]);
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}

#[test]
fn the_inactive_report_and_rotation_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::console_housekeeping::FIXTURE);
    let data = seed_from(dir.path(), Some(&fixture));
    let mut c = as_persona(dir.path(), &data, "olga@h.example", &[]);
    c.wait_all(&["My IBM Cloud API keys · 3 keys", "olga-cli"]);
    // The report, read on a worker; Enter on max-notebook selects it in
    // All IBM Cloud user API keys.
    c.keys("I");
    c.wait_all(&[
        "Inactive identities report",
        "API keys with no authentication for 30 days (4)",
        "nora@h.example",
    ]);
    c.keys("+");
    c.wait_for("API keys with no authentication for 60 days (4)");
    c.keys("j enter");
    c.wait_all(&[
        "All IBM Cloud user API keys · 6 keys",
        "selecting the API key \"max-notebook\"",
        "▌max-notebook",
    ]);
    // Rotation of one's own key: confirm, the value shown once.
    c.keys("v");
    c.wait_for("✓ All IBM Cloud user API keys");
    c.keys("k enter");
    c.wait_all(&[
        "My IBM Cloud API keys · 3 keys",
        "View: My IBM Cloud API keys",
    ]);
    c.keys("j R");
    c.wait_all(&["Rotate the API key \"olga-cli\"?", "◉ Disable the old key"]);
    c.keys("y");
    c.wait_all(&[
        "API key successfully rotated",
        "It replaces the old key, which is now disabled.",
        "Rotated the API key \"olga-cli\": the old key is disabled",
    ]);
    c.keys("w");
    c.wait_for("saved to");
    c.keys("esc");
    let s = c.wait_for("My IBM Cloud API keys · 4 keys");
    assert!(s.contains("disabled"), "the old key is disabled:\n{s}");
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}
