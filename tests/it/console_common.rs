//! A console on a real demo store, driven without a terminal: actions go
//! through `update`, worker jobs run at once on the test thread, and the
//! screen is drawn on ratatui's `TestBackend`.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::secret::HashParams;
use iamkeys::service::Service;
use iamkeys::tui::state::Popup;
use iamkeys::tui::{Action, Effect, Keymap, State, Theme, draw, run_job, update};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tempfile::TempDir;

/// The moment the screens are drawn at, so "expired" badges do not move.
pub const NOW: &str = "2026-11-28T12:00:00Z";

/// Opens a store just seeded by this process: sled may hold its lock for
/// a moment after the seeding handle is dropped.
pub fn open_after_seed(data: &std::path::Path) -> Service {
    let start = std::time::Instant::now();
    loop {
        match Service::open(data, HashParams::TEST) {
            Ok(s) => return s,
            Err(e) if start.elapsed() < std::time::Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open the store: {e}"),
        }
    }
}

pub struct Console {
    pub svc: Service,
    pub st: State,
    pub copied: Vec<String>,
    pub quit: bool,
    pub dir: TempDir,
}

impl Console {
    /// The sign-in screen of the built-in demo.
    pub fn demo() -> Console {
        Console::seeded(None)
    }

    /// The sign-in screen of a store seeded from `fixture` (a path in the
    /// project, such as fixtures/test/long.yaml), or of the demo.
    fn seeded(fixture: Option<&str>) -> Console {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let file = fixture.map(|f| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f));
        iamkeys::app::seed(&data, file.as_deref(), false, HashParams::TEST).expect("seed");
        let svc = open_after_seed(&data);
        let mut st = State::new(
            Keymap::builtin(),
            Theme::builtin(true),
            true,
            "test store · demo".into(),
        );
        st.download_dir = dir.path().to_path_buf();
        let mut c = Console {
            svc,
            st,
            copied: Vec::new(),
            quit: false,
            dir,
        };
        let effects = c.st.start(None);
        c.settle(effects);
        c
    }

    /// Signed in as `email` on a store seeded from `fixture`.
    pub fn from_fixture(fixture: &str, email: &str) -> Console {
        Console::seeded(Some(fixture)).sign_in(email)
    }

    fn sign_in(mut self, email: &str) -> Console {
        let session = self.svc.sign_in_as(email, None).expect("persona");
        let effects = self.st.start(Some(session));
        self.settle(effects);
        self
    }

    /// Signed in as a persona, on "My IBM Cloud API keys".
    pub fn signed_in(email: &str) -> Console {
        Console::demo().sign_in(email)
    }

    /// Runs effects the way the runtime does, but at once.
    pub fn settle(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for e in queue {
                match e {
                    Effect::Run(job) => {
                        let outcome = run_job(&self.svc, job);
                        next.extend(update(&mut self.st, Action::Done(outcome)));
                    }
                    Effect::Copy(text) => self.copied.push(text.to_string()),
                    Effect::Quit => self.quit = true,
                }
            }
            queue = next;
        }
        self.st.now = NOW.parse::<Timestamp>().expect("time");
    }

    pub fn act(&mut self, action: Action) {
        let effects = update(&mut self.st, action);
        self.settle(effects);
    }

    /// Presses keys named as in the keymap: "j", "enter", "esc", "ctrl-c"…
    pub fn press(&mut self, keys: &str) {
        for k in keys.split_whitespace() {
            let key = iamkeys::tui::keymap::Key::parse(k).expect("a key name");
            let mut mods = KeyModifiers::NONE;
            if key.ctrl {
                mods |= KeyModifiers::CONTROL;
            }
            if key.alt {
                mods |= KeyModifiers::ALT;
            }
            if let KeyCode::Char(c) = key.code
                && c.is_ascii_uppercase()
            {
                mods |= KeyModifiers::SHIFT;
            }
            self.act(Action::Key(KeyEvent::new(key.code, mods)));
        }
    }

    /// Types text into whatever has the focus.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.act(Action::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
    }

    pub fn resize(&mut self, w: u16, h: u16) {
        self.act(Action::Resize(w, h));
    }

    /// The screen as text, at a size.
    pub fn screen(&mut self, w: u16, h: u16) -> String {
        self.resize(w, h);
        self.screen_now()
    }

    /// The screen at the size the console last heard of, without telling
    /// it again: what the terminal shows between resizes.
    pub fn screen_now(&mut self) -> String {
        let (w, h) = self.st.size;
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| draw::draw(f, &self.st)).expect("draw");
        let buf = term.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..w {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        self.redact(out)
    }

    /// Replaces the times this run wrote (today's date on a key created
    /// here, history events of this run) by placeholders of the same width.
    /// Ids and entity tags are left to the snapshots' insta filters
    /// ([`snapshot_settings`]); dates cannot be: a fixture may hold today's
    /// date, which must stay.
    fn redact(&self, mut s: String) -> String {
        let recent = iamkeys::service::now().as_second() - 86_400;
        let created_here = self
            .st
            .page
            .rows()
            .iter()
            .any(|row| row.key.created_at.as_second() > recent);
        for p in &self.st.popups {
            if let Popup::Details { row, .. } = p {
                // Events of this run carry the time it ran.
                for h in &row.key.history {
                    if h.timestamp.as_second() > recent {
                        let at = iamkeys::tui::draw::date_time(h.timestamp);
                        s = s.replace(&at, "YYYY-MM-DD hh:mm:ss UTC");
                    }
                }
            }
        }
        if created_here {
            let today = iamkeys::service::now().strftime("%Y-%m-%d").to_string();
            s = s.replace(&today, "YYYY-MM-DD");
        }
        s
    }

    pub fn selected_name(&self) -> Option<String> {
        self.st.page.selected_row().map(|r| r.key.name.clone())
    }

    pub fn visible_names(&self) -> Vec<String> {
        self.st
            .page
            .visible
            .iter()
            .map(|&i| self.st.page.row(i).unwrap().key.name)
            .collect()
    }

    /// Moves the selection to the key named `name`.
    pub fn select(&mut self, name: &str) {
        self.press("g");
        for _ in 0..self.st.page.visible.len() {
            if self.selected_name().as_deref() == Some(name) {
                return;
            }
            self.press("j");
        }
        panic!("no key named {name} in {:?}", self.visible_names());
    }

    pub fn status(&self) -> String {
        self.st
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }
}

/// Opens the View dropdown and picks `view`.
pub fn choose_view(c: &mut Console, view: iamkeys::access::ViewFilter) {
    c.press("v");
    let Some(Popup::ViewMenu { .. }) = c.st.popups.last() else {
        panic!("the View dropdown did not open");
    };
    c.press("g");
    let idx =
        c.st.page
            .views
            .iter()
            .position(|v| v.view == view)
            .expect("the view is offered");
    // Back to the top of the menu, then down to the option.
    let cur =
        c.st.page
            .views
            .iter()
            .position(|v| v.view == c.st.page.view)
            .unwrap_or(0);
    for _ in 0..cur {
        c.press("k");
    }
    for _ in 0..idx {
        c.press("j");
    }
    c.press("enter");
    assert_eq!(c.st.page.view, view);
}

/// The snapshots' filters: entity tags (`N-` and 16 hex digits) and the ids
/// of keys made in this run (random, version-4 UUIDs; the fixtures' ids are
/// stable version-5 ones and stay) as same-width placeholders.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\b(\d+)-[0-9a-f]{16}\b", "$1-xxxxxxxxxxxxxxxx");
    s.add_filter(
        r"ApiKey-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
        "ApiKey-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    );
    s
}
