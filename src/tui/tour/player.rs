//! Plays a tour's steps on a throwaway store: the same code for the
//! console (`iamkeys demo --tour`), `iamkeys tour check` and the pictures.
//! Keys go through the console's own `update`; the work they start runs to
//! completion at once, so each check sees the screen as it settles.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::access::ViewFilter;
use crate::app::{self, DataDir, Failure};
use crate::client::Client;
use crate::secret::HashParams;

use super::super::draw::{self, Look};
use super::super::keymap::{Key, Keymap};
use super::super::state::{Action, Effect, Popup, Screen, State, update};
use super::super::theme::Theme;
use super::super::worker::run_job;
use super::{Expect, Step, Tour};

/// A step whose expectation failed, or that could not be played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// From 1.
    pub number: usize,
    pub of: usize,
    pub caption: String,
    pub expected: String,
    pub found: String,
    /// The screen after the step, as text.
    pub screen: String,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "step {} of {} does not match: {:?}",
            self.number, self.of, self.caption
        )?;
        writeln!(f, "  expected: {}", self.expected)?;
        writeln!(f, "  found:    {}", self.found)?;
        writeln!(f, "the screen after step {}:", self.number)?;
        f.write_str(&self.screen)
    }
}

/// A store seeded for one playing of the tour. The client is dropped
/// before the directory is removed.
struct Store {
    client: Arc<dyn Client>,
    _dir: tempfile::TempDir,
}

pub struct Player {
    pub tour: Tour,
    fixture: Option<PathBuf>,
    params: HashParams,
    theme: Theme,
    size: (u16, u16),
    store: Option<Store>,
    pub st: State,
    /// How many steps have been played on the current store.
    pub played: usize,
}

impl Player {
    /// A player for `tour` over `fixture` (else the tour's own fixture),
    /// drawing at `size`. Nothing is seeded yet: see [`Player::restart`].
    pub fn new(
        tour: Tour,
        fixture: Option<&std::path::Path>,
        params: HashParams,
        theme: Theme,
        size: (u16, u16),
    ) -> Result<Player, Failure> {
        let fixture = tour.fixture_path(fixture);
        // A fixture that cannot be read is said before anything is played.
        app::seed_source(fixture.as_deref())?;
        let st = new_state(theme.clone(), size, String::new());
        Ok(Player {
            tour,
            fixture,
            params,
            theme,
            size,
            store: None,
            st,
            played: 0,
        })
    }

    /// The client of the current store (for work started in free use).
    pub fn client(&self) -> Option<Arc<dyn Client>> {
        self.store.as_ref().map(|s| Arc::clone(&s.client))
    }

    pub fn resize(&mut self, w: u16, h: u16) {
        self.size = (w, h);
        self.act(Action::Resize(w, h));
    }

    /// A fresh throwaway store seeded from the fixture, and the console on
    /// its sign-in screen, before the first step.
    pub fn restart(&mut self) -> Result<(), Failure> {
        self.store = None;
        self.played = 0;
        let dir = tempfile::Builder::new()
            .prefix("iamkeys-tour-")
            .tempdir()
            .map_err(|e| app::other(format!("cannot make a throwaway store: {e}")))?;
        let data = dir.path().join("data");
        let source = app::seed_source(self.fixture.as_deref())?;
        let locked = DataDir::lock(&data)?;
        app::seed_into(&locked, source, false, self.params)?;
        let service = app::open_locked(locked, self.params, true)?;
        let info = service.info();
        if !info.demo {
            return Err(app::bad_input(format!(
                "the fixture {} is not a demo (demo: true): a tour signs in as its personas",
                info.source
            )));
        }
        let label = format!(
            "a tour's throwaway store · demo, seeded from {}",
            info.source
        );
        let mut st = new_state(self.theme.clone(), self.size, label);
        // A download in a tour lands in the throwaway store's directory.
        st.download_dir = dir.path().to_path_buf();
        self.st = st;
        self.store = Some(Store {
            client: Arc::new(service),
            _dir: dir,
        });
        let effects = self.st.start(None);
        self.settle(effects);
        Ok(())
    }

    /// Plays the tour from the start on a fresh store up to `steps` steps
    /// played, stopping at the first step that fails.
    pub fn replay_to(&mut self, steps: usize) -> Result<Result<(), StepFailure>, Failure> {
        self.restart()?;
        while self.played < steps.min(self.tour.len()) {
            if let Err(f) = self.play_next() {
                return Ok(Err(f));
            }
        }
        Ok(Ok(()))
    }

    /// Plays the next step and checks what it must show.
    pub fn play_next(&mut self) -> Result<(), StepFailure> {
        let i = self.played;
        let Some(step) = self.tour.steps.0.get(i).cloned() else {
            return Ok(());
        };
        self.played += 1;
        if let Err(why) = self.apply(&step) {
            return Err(self.failure(i, &step, why.0, why.1));
        }
        if let Some((expected, found)) = self.unmet(&step.expect) {
            return Err(self.failure(i, &step, expected, found));
        }
        Ok(())
    }

    fn failure(&self, i: usize, step: &Step, expected: String, found: String) -> StepFailure {
        StepFailure {
            number: i + 1,
            of: self.tour.len(),
            caption: step.caption.to_string(),
            expected,
            found,
            screen: screen_text(&self.buffer()),
        }
    }

    /// Applies a step: (what was expected, what was found) when it cannot.
    fn apply(&mut self, step: &Step) -> Result<(), (String, String)> {
        if step.persona.is_some() || step.account.is_some() {
            self.be_in(step)?;
        }
        if let Some(v) = step.view {
            self.choose_view(v.into())?;
        }
        if let Some(name) = &step.select {
            self.select(&name.0)?;
        }
        for k in step.keys.iter().flat_map(|k| k.0.iter()) {
            self.press(*k)?;
        }
        if let Some(text) = &step.text {
            for c in text.0.chars() {
                self.key_event(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))?;
            }
        }
        for k in step.then.iter().flat_map(|k| k.0.iter()) {
            self.press(*k)?;
        }
        Ok(())
    }

    /// Signs in as the step's persona, in its account, unless the console
    /// is there already.
    fn be_in(&mut self, step: &Step) -> Result<(), (String, String)> {
        let current = self
            .st
            .session
            .as_ref()
            .map(|s| (s.user.email.clone(), s.account_id.clone()));
        let email = match (&step.persona, &current) {
            (Some(p), _) => p.0.clone(),
            (None, Some((e, _))) => e.clone(),
            (None, None) => {
                return Err((
                    "someone signed in, to choose an account".into(),
                    "the sign-in screen: give `as` in this step or one before".into(),
                ));
            }
        };
        let account = step.account.as_ref().map(|a| a.0.clone());
        let there = current
            .as_ref()
            .is_some_and(|(e, a)| *e == email && account.as_ref().is_none_or(|want| want == a))
            && self.st.screen == Screen::Page;
        if there {
            return Ok(());
        }
        let client = self.client().ok_or_else(no_store)?;
        let session = client.sign_in_as(&email, account.as_deref()).map_err(|e| {
            (
                format!(
                    "to sign in as {email}{}",
                    account
                        .as_deref()
                        .map(|a| format!(" in account {a}"))
                        .unwrap_or_default()
                ),
                format!("refused: {e}"),
            )
        })?;
        let effects = self.st.start(Some(session));
        self.settle(effects);
        Ok(())
    }

    fn choose_view(&mut self, view: ViewFilter) -> Result<(), (String, String)> {
        let offered = self.offered();
        let Some(idx) = self.st.page.views.iter().position(|v| v.view == view) else {
            return Err((
                format!("the View filter to offer {:?}", view.label()),
                format!("it offers: {offered}"),
            ));
        };
        if !matches!(self.st.popups.last(), Some(Popup::ViewMenu { .. })) {
            self.close_popups()?;
            self.press(Key::parse("v").map_err(|e| (e.clone(), e))?)?;
        }
        for _ in 0..=self.st.page.views.len() * 2 {
            let cursor = match self.st.popups.last() {
                Some(Popup::ViewMenu { cursor }) => *cursor,
                _ => {
                    return Err((
                        "the View filter to open on v".into(),
                        "it did not open".into(),
                    ));
                }
            };
            if cursor == idx {
                break;
            }
            let k = if cursor < idx { "j" } else { "k" };
            self.press(Key::parse(k).map_err(|e| (e.clone(), e))?)?;
        }
        self.press(Key::parse("enter").map_err(|e| (e.clone(), e))?)?;
        if self.st.page.view == view {
            Ok(())
        } else {
            Err((
                format!("the View filter on {:?}", view.label()),
                format!("it is on {:?}", self.st.page.view.label()),
            ))
        }
    }

    /// Closes what is open over the page (menus, details), as Esc does.
    fn close_popups(&mut self) -> Result<(), (String, String)> {
        for _ in 0..8 {
            if self.st.popups.is_empty() {
                return Ok(());
            }
            self.press(Key::parse("esc").map_err(|e| (e.clone(), e))?)?;
        }
        Err((
            "Esc to close what is open over the page".into(),
            "it stays open".into(),
        ))
    }

    fn select(&mut self, name: &str) -> Result<(), (String, String)> {
        self.close_popups()?;
        self.press(Key::parse("g").map_err(|e| (e.clone(), e))?)?;
        for _ in 0..=self.st.page.visible.len() {
            if self.st.page.selected_row().map(|r| r.key.name).as_deref() == Some(name) {
                return Ok(());
            }
            self.press(Key::parse("j").map_err(|e| (e.clone(), e))?)?;
        }
        Err((
            format!("a key named {name:?} in the table, to select"),
            format!("the table lists: {}", list(&self.rows())),
        ))
    }

    fn press(&mut self, key: Key) -> Result<(), (String, String)> {
        let mut mods = KeyModifiers::NONE;
        if key.ctrl {
            mods |= KeyModifiers::CONTROL;
        }
        if key.alt {
            mods |= KeyModifiers::ALT;
        }
        let code = match key.code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            other => other,
        };
        self.key_event(KeyEvent::new(code, mods))
    }

    fn key_event(&mut self, ev: KeyEvent) -> Result<(), (String, String)> {
        self.act(Action::Key(ev));
        if self.st.quit {
            return Err((
                "the console to stay open".into(),
                "a key of this step quit it".into(),
            ));
        }
        Ok(())
    }

    /// Applies an action and runs the work it starts, to the end.
    pub fn act(&mut self, action: Action) {
        let effects = update(&mut self.st, action);
        self.settle(effects);
    }

    fn settle(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for e in queue {
                match e {
                    Effect::Run(job) => match self.client() {
                        Some(client) => {
                            let outcome = run_job(&*client, job);
                            next.extend(update(&mut self.st, Action::Done(outcome)));
                        }
                        None => self.st.quit = true,
                    },
                    // A tour never writes the presenter's clipboard.
                    Effect::Copy(_) | Effect::Quit => {}
                }
            }
            queue = next;
        }
        self.pin_clock();
    }

    /// Shows the tour's clock, if it has one, instead of the time now.
    pub fn pin_clock(&mut self) {
        if let Some(c) = self.tour.clock {
            self.st.now = c.0;
        }
    }

    fn offered(&self) -> String {
        list(
            &self
                .st
                .page
                .views
                .iter()
                .map(|v| v.view.label().to_string())
                .collect::<Vec<_>>(),
        )
    }

    fn rows(&self) -> Vec<String> {
        self.st
            .page
            .visible
            .iter()
            .filter_map(|&i| self.st.page.row(i))
            .map(|r| r.key.name.clone())
            .collect()
    }

    /// The console drawn at its size, as a screen would show it.
    pub fn buffer(&self) -> Buffer {
        render(&self.st, Look::Screen)
    }

    /// The first expectation the console does not meet: (expected, found).
    fn unmet(&self, e: &Expect) -> Option<(String, String)> {
        let on_page = self.st.screen == Screen::Page && self.st.page.loaded;
        if let Some(views) = &e.views {
            let want: Vec<ViewFilter> = views.iter().map(|v| v.0).collect();
            let have: Vec<ViewFilter> = self.st.page.views.iter().map(|v| v.view).collect();
            if !on_page || want != have {
                let labels: Vec<String> = want.iter().map(|v| v.label().to_string()).collect();
                return Some((
                    format!("the View filter to offer: {}", list(&labels)),
                    format!("it offers: {}", self.offered()),
                ));
            }
        }
        if let Some(view) = e.view
            && (!on_page || self.st.page.view != view.0)
        {
            return Some((
                format!("the View filter on {:?}", view.0.label()),
                if on_page {
                    format!("it is on {:?}", self.st.page.view.label())
                } else {
                    "no page: the sign-in screen".into()
                },
            ));
        }
        if let Some(rows) = &e.rows {
            let have = self.rows();
            if !on_page || *rows != have {
                return Some((
                    format!("the table to list: {}", list(rows)),
                    format!("it lists: {}", list(&have)),
                ));
            }
        }
        let screen = screen_text(&self.buffer());
        for s in &e.screen {
            if !screen.contains(s.as_str()) {
                return Some((format!("{s:?} on the screen"), "it is not there".into()));
            }
        }
        for s in &e.hidden {
            if screen.contains(s.as_str()) {
                return Some((format!("{s:?} nowhere on the screen"), "it is there".into()));
            }
        }
        if let Some(want) = &e.status {
            let have = self.st.status.as_ref().map(|s| s.text.clone());
            if !have.as_deref().is_some_and(|h| h.contains(want.as_str())) {
                return Some((
                    format!("the status line to say {want:?}"),
                    have.map_or("no status line".into(), |h| format!("it says {h:?}")),
                ));
            }
        }
        None
    }
}

fn no_store() -> (String, String) {
    (
        "a store to play on".into(),
        "none: the tour was not started".into(),
    )
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(nothing)".into()
    } else {
        items.join(", ")
    }
}

fn new_state(theme: Theme, size: (u16, u16), label: String) -> State {
    let mut st = State::new(Keymap::builtin(), theme, true, label);
    st.size = size;
    st
}

/// The console drawn on ratatui's `TestBackend` at the state's size.
pub fn render(st: &State, look: Look) -> Buffer {
    let (w, h) = st.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("a test backend never fails");
    term.draw(|f| draw::draw_area(f, f.area(), st, look))
        .expect("a test backend never fails");
    term.backend().buffer().clone()
}

/// A buffer as text: one line a row, trailing blanks cut, the second cell
/// of a wide character skipped.
pub fn screen_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
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
    out
}
