//! The console's state, the messages that change it, and the work it asks
//! for: `update(&mut State, Action) -> Vec<Effect>`. Nothing here touches
//! the terminal or the store; effects do, on worker tasks.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;
use ratatui::layout::Rect;
use zeroize::Zeroizing;

use crate::access::{self, Denied, KeyAction, KeyFacts, ViewFilter};
use crate::domain::{Account, AccountSettings, ApiKey, LeakAction, User};
use crate::service::{
    AccountSummary, Created, KeyRow, KeyUpdate, NewKey, ServiceError, Session, SortField, ViewInfo,
};

use super::input::Input;
use super::keymap::Keymap;
use super::theme::Theme;

// ---- state ------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFocus {
    Key,
    Personas,
}

#[derive(Debug, Default)]
pub struct SignIn {
    pub key: Input,
    pub personas: Vec<Persona>,
    pub cursor: usize,
    pub focus: Option<SignInFocus>,
    pub loading: bool,
}

impl SignIn {
    pub fn focus(&self) -> SignInFocus {
        self.focus.unwrap_or(if self.personas.is_empty() {
            SignInFocus::Key
        } else {
            SignInFocus::Personas
        })
    }
}

#[derive(Debug)]
pub struct Reveal {
    pub created: Created,
    /// `Some(deleted)` when the key replaces one by rotation: whether the
    /// old key was deleted (else disabled).
    pub rotated: Option<bool>,
    pub shown: bool,
    pub copied: bool,
    pub downloaded: Option<PathBuf>,
    /// Quitting or closing was asked once before the value was copied or
    /// saved, and the user was warned.
    pub warned: bool,
}

impl Reveal {
    /// A key's value to show once: made, or (`rotated: Some(deleted)`)
    /// replacing one.
    pub fn new(created: Created, rotated: Option<bool>) -> Reveal {
        Reveal {
            created,
            rotated,
            shown: false,
            copied: false,
            downloaded: None,
            warned: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Delete {
        key_id: String,
        tag: String,
        name: String,
    },
    CreateClassic,
    /// Clear a key's leak mark.
    ClearLeak {
        key_id: String,
        tag: String,
    },
    /// Lock or disable a key.
    Set {
        action: KeyAction,
        key_id: String,
        tag: String,
    },
    /// Turn the account's API key creation restriction on or off.
    Restrict {
        on: bool,
    },
    /// Rotate a key: a new one in its place, then the old one disabled,
    /// or deleted with `delete_old` (the choice the confirmation offers).
    Rotate {
        key_id: String,
        tag: String,
        name: String,
        delete_old: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub yes: &'static str,
    pub danger: bool,
    pub pending: Pending,
}

#[derive(Debug)]
pub enum Popup {
    ViewMenu {
        cursor: usize,
    },
    Actions {
        key_id: String,
        name: String,
        items: Vec<KeyAction>,
        cursor: usize,
    },
    Accounts {
        cursor: usize,
    },
    Details {
        row: Box<KeyRow>,
        scroll: u16,
    },
    Form(Box<Form>),
    Reveal(Box<Reveal>),
    Confirm(Confirm),
    Settings {
        settings: AccountSettings,
        refusal: Option<Denied>,
    },
    Help {
        scroll: u16,
    },
    /// The inactive identities report.
    Inactive(Box<Report>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
}

pub struct State {
    pub keymap: Keymap,
    pub theme: Theme,
    /// The terminal's size, for layout and mouse hits.
    pub size: (u16, u16),
    pub now: Timestamp,
    pub demo: bool,
    /// Where the store lives, for the sign-in screen.
    pub store_label: String,
    pub screen: Screen,
    pub sign_in: SignIn,
    pub session: Option<Session>,
    pub page: Page,
    pub popups: Vec<Popup>,
    pub status: Option<Status>,
    /// Jobs in flight, with what each is doing.
    pub busy: Vec<&'static str>,
    pub spinner: usize,
    pub needs_draw: bool,
    pub quit: bool,
    /// The directory a key file is downloaded to.
    pub download_dir: PathBuf,
    /// Where the user's keymap.yaml and theme.yaml are read from, for help.
    pub config_dir: Option<PathBuf>,
    generation: u64,
    /// With a server, the page is read again after this many ticks without
    /// a load, so changes made by others appear; `None` on a local store,
    /// which nobody else can change while the console is open.
    pub poll_ticks: Option<u32>,
    ticks_since_load: u32,
    /// A poll is running.
    polling: bool,
    /// A key to select when the next listing arrives (a new key).
    select_after_load: Option<String>,
}

mod form;
mod messages;
mod page;
mod report;
mod table;
mod update;

pub use form::*;
pub use messages::*;
pub use page::*;
pub use report::*;
pub use table::*;

pub use update::{sort_title, update};

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl State {
    pub fn new(keymap: Keymap, theme: Theme, demo: bool, store_label: String) -> State {
        State {
            keymap,
            theme,
            size: (80, 24),
            now: crate::service::now(),
            demo,
            store_label,
            screen: Screen::SignIn,
            sign_in: SignIn::default(),
            session: None,
            page: Page::default(),
            popups: Vec::new(),
            status: None,
            busy: Vec::new(),
            spinner: 0,
            needs_draw: true,
            quit: false,
            download_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            config_dir: None,
            generation: 0,
            poll_ticks: None,
            ticks_since_load: 0,
            polling: false,
            select_after_load: None,
        }
    }

    /// The effects to run at start: the personas on the sign-in screen of a
    /// demo store, or the page for a session opened from the command line.
    pub fn start(&mut self, session: Option<Session>) -> Vec<Effect> {
        match session {
            Some(s) => self.enter_page(s, None),
            None => {
                self.screen = Screen::SignIn;
                self.load_personas()
            }
        }
    }

    pub fn me(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.user.iam_id.as_str())
    }

    pub fn is_busy(&self) -> bool {
        !self.busy.is_empty()
    }

    fn run(&mut self, label: &'static str, job: Job) -> Effect {
        self.busy.push(label);
        Effect::Run(job)
    }

    fn finish(&mut self) {
        self.busy.pop();
    }

    fn load_personas(&mut self) -> Vec<Effect> {
        if !self.demo || !self.sign_in.personas.is_empty() || self.sign_in.loading {
            return Vec::new();
        }
        self.sign_in.loading = true;
        vec![self.run("Loading the demo personas", Job::Personas)]
    }

    fn enter_page(&mut self, session: Session, view: Option<ViewFilter>) -> Vec<Effect> {
        self.session = Some(session);
        self.screen = Screen::Page;
        self.popups.clear();
        self.page = Page {
            view: view.unwrap_or(ViewFilter::MyApiKeys),
            ..Page::default()
        };
        self.load()
    }

    /// Reloads the page for the current session and view.
    fn load(&mut self) -> Vec<Effect> {
        match self.load_job(false) {
            Some(job) => vec![self.run("Loading API keys", job)],
            None => Vec::new(),
        }
    }

    fn load_job(&mut self, quiet: bool) -> Option<Job> {
        let session = self.session.clone()?;
        self.generation += 1;
        self.ticks_since_load = 0;
        Some(Job::Load {
            generation: self.generation,
            quiet,
            session,
            view: self.page.view,
            search: self.page.wanted(),
            progress: Arc::clone(&self.page.progress),
        })
    }

    /// On a tick: with a server, reads the page again once it has been
    /// idle (nothing running) for the poll interval. The poll shows no
    /// spinner; what it reads replaces the page as `r` would.
    fn poll(&mut self) -> Vec<Effect> {
        let Some(every) = self.poll_ticks else {
            return Vec::new();
        };
        if self.screen != Screen::Page || !self.page.loaded || self.is_busy() || self.polling {
            self.ticks_since_load = 0;
            return Vec::new();
        }
        self.ticks_since_load += 1;
        if self.ticks_since_load < every {
            return Vec::new();
        }
        let job = self.load_job(true);
        self.polling = job.is_some();
        job.map(Effect::Run).into_iter().collect()
    }

    pub fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }
}
