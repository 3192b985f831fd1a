//! `update`: how each action changes the state, and the work it asks for.

use crossterm::event::{KeyCode, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;
use zeroize::Zeroizing;

use crate::access::{KeyAction, ViewFilter};
use crate::domain::LeakAction;
use crate::service::{Created, KeyRow, KeyUpdate, NewKey};

use super::super::content;
use super::super::keymap::{Command, Context, Key};
use super::super::layout;
use super::*;

mod mouse;
mod outcome;
mod page;
mod popups;
mod sign_in;

use mouse::*;
use outcome::*;
use page::*;
use popups::*;
use sign_in::*;

pub use page::sort_title;

// ---- update ---------------------------------------------------------------------

/// Applies one action to the state and returns the work it asks for.
pub fn update(st: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Tick => {
            if st.is_busy() {
                st.spinner = st.spinner.wrapping_add(1);
                st.needs_draw = true;
            }
            st.poll()
        }
        Action::Resize(w, h) => {
            st.size = (w, h);
            st.scroll();
            clamp_scroll(st);
            st.needs_draw = true;
            Vec::new()
        }
        Action::Key(ev) => {
            if ev.kind == KeyEventKind::Release {
                return Vec::new();
            }
            st.needs_draw = true;
            on_key(st, Key::from_event(&ev))
        }
        Action::Paste(text) => {
            st.needs_draw = true;
            on_paste(st, &text)
        }
        Action::Mouse(ev) => on_mouse(st, ev),
        Action::Done(outcome) => {
            st.needs_draw = true;
            // A poll ran without a spinner: nothing to take down.
            if !matches!(outcome, Outcome::Page { quiet: true, .. }) {
                st.finish();
            }
            let effects = on_outcome(st, outcome);
            clamp_scroll(st);
            effects
        }
    }
}

pub(super) fn quit(st: &mut State) -> Vec<Effect> {
    st.quit = true;
    vec![Effect::Quit]
}

pub(super) fn is_ctrl_c(key: &Key) -> bool {
    key.ctrl && matches!(key.code, KeyCode::Char('c'))
}

pub(super) fn on_key(st: &mut State, key: Key) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return quit(st);
    }
    let in_popup = !st.popups.is_empty();
    let handled = if in_popup {
        popup_key(st, key)
    } else {
        match st.screen {
            Screen::SignIn => sign_in_key(st, key),
            Screen::Page => page_key(st, key),
        }
    };
    let effects = match handled {
        Handled::Consumed(effects) => effects,
        Handled::NotConsumed => global(st, key).unwrap_or_default(),
    };
    if in_popup {
        clamp_scroll(st);
    }
    effects
}

/// What a context's handler did with a key: used it, or left it to the
/// global bindings, which are tried once, here, for every context.
pub(super) enum Handled {
    Consumed(Vec<Effect>),
    NotConsumed,
}

impl Handled {
    /// Used, with no work to do.
    pub(super) const CONSUMED: Handled = Handled::Consumed(Vec::new());
}

impl From<Vec<Effect>> for Handled {
    fn from(effects: Vec<Effect>) -> Handled {
        Handled::Consumed(effects)
    }
}

/// The bindings every context shares (help, quit), for a key the context
/// left.
pub(super) fn global(st: &mut State, key: Key) -> Option<Vec<Effect>> {
    match st.keymap.lookup(Context::Global, key)? {
        Command::Quit => Some(quit(st)),
        Command::Help => {
            st.popups.push(Popup::Help { scroll: 0 });
            Some(Vec::new())
        }
        _ => None,
    }
}

pub(super) fn on_paste(st: &mut State, text: &str) -> Vec<Effect> {
    match st.popups.last_mut() {
        Some(Popup::Form(form)) => {
            if let Some(Field {
                value: FieldValue::Text(i),
                ..
            }) = form.fields.get_mut(form.focus)
            {
                i.insert_str(text);
            }
            Vec::new()
        }
        Some(_) => Vec::new(),
        None => match st.screen {
            Screen::SignIn => {
                st.sign_in.focus = Some(SignInFocus::Key);
                st.sign_in.key.insert_str(text);
                Vec::new()
            }
            Screen::Page => {
                st.page.focus = Area::Search;
                st.page.search.insert_str(text);
                let job = st.page.refilter();
                st.scroll();
                st.searching(job)
            }
        },
    }
}

// ---- the status line and the table window ------------------------------------

/// What depends on the screen's layout: the status line takes rows from
/// the table, and the table window follows the cursor.
impl State {
    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            tone: Tone::Info,
        });
        // A long message takes rows from the table: keep the cursor in view.
        self.scroll();
    }

    pub(super) fn ok(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            tone: Tone::Ok,
        });
        // A long message takes rows from the table: keep the cursor in view.
        self.scroll();
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            tone: Tone::Error,
        });
        // A long message takes rows from the table: keep the cursor in view.
        self.scroll();
    }

    /// The effect of a search or sort job, with its spinner.
    pub(super) fn searching(&mut self, job: Option<Job>) -> Vec<Effect> {
        job.map(|job| self.run("Searching the API keys", job))
            .into_iter()
            .collect()
    }

    /// Rows of the table that fit on screen now.
    pub fn table_rows(&self) -> usize {
        layout::page_layout(self.area(), self)
            .table_body
            .height
            .max(1) as usize
    }

    pub(super) fn scroll(&mut self) {
        let rows = self.table_rows();
        self.page.scroll_to_cursor(rows);
    }
}
