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

// ---- update ---------------------------------------------------------------------

/// Applies one action to the state and returns the work it asks for.
pub fn update(st: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Tick => {
            if st.is_busy() {
                st.spinner = st.spinner.wrapping_add(1);
                st.needs_draw = true;
            }
            Vec::new()
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
            on_paste(st, &text);
            Vec::new()
        }
        Action::Mouse(ev) => on_mouse(st, ev),
        Action::Done(outcome) => {
            st.needs_draw = true;
            st.finish();
            let effects = on_outcome(st, outcome);
            clamp_scroll(st);
            effects
        }
    }
}

fn quit(st: &mut State) -> Vec<Effect> {
    st.quit = true;
    vec![Effect::Quit]
}

fn is_ctrl_c(key: &Key) -> bool {
    key.ctrl && matches!(key.code, KeyCode::Char('c'))
}

fn on_key(st: &mut State, key: Key) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return quit(st);
    }
    if !st.popups.is_empty() {
        let effects = popup_key(st, key);
        clamp_scroll(st);
        return effects;
    }
    match st.screen {
        Screen::SignIn => sign_in_key(st, key),
        Screen::Page => page_key(st, key),
    }
}

fn global(st: &mut State, key: Key) -> Option<Vec<Effect>> {
    match st.keymap.lookup(Context::Global, key)? {
        Command::Quit => Some(quit(st)),
        Command::Help => {
            st.popups.push(Popup::Help { scroll: 0 });
            Some(Vec::new())
        }
        _ => None,
    }
}

fn on_paste(st: &mut State, text: &str) {
    match st.popups.last_mut() {
        Some(Popup::Form(form)) => {
            if let Some(Field {
                value: FieldValue::Text(i),
                ..
            }) = form.fields.get_mut(form.focus)
            {
                i.insert_str(text);
            }
        }
        Some(_) => {}
        None => match st.screen {
            Screen::SignIn => {
                st.sign_in.focus = Some(SignInFocus::Key);
                st.sign_in.key.insert_str(text);
            }
            Screen::Page => {
                st.page.focus = Area::Search;
                st.page.search.insert_str(text);
                st.page.refilter();
                st.scroll();
            }
        },
    }
}

// ---- sign-in ------------------------------------------------------------------

fn sign_in_key(st: &mut State, key: Key) -> Vec<Effect> {
    let focus = st.sign_in.focus();
    if focus == SignInFocus::Key {
        let cmd = st.keymap.lookup(Context::SignIn, key);
        let is_nav = matches!(
            cmd,
            Some(Command::NextArea | Command::PrevArea | Command::Confirm | Command::Close)
        ) && key.typed_char().is_none();
        if !is_nav && st.sign_in.key.handle(key) {
            return Vec::new();
        }
    }
    let cmd = st.keymap.lookup(Context::SignIn, key);
    match cmd {
        Some(Command::NextArea | Command::PrevArea) => {
            if !st.sign_in.personas.is_empty() {
                st.sign_in.focus = Some(match focus {
                    SignInFocus::Key => SignInFocus::Personas,
                    SignInFocus::Personas => SignInFocus::Key,
                });
            }
            Vec::new()
        }
        Some(Command::Down) if focus == SignInFocus::Personas => {
            let n = st.sign_in.personas.len();
            if n > 0 {
                st.sign_in.cursor = (st.sign_in.cursor + 1).min(n - 1);
            }
            Vec::new()
        }
        Some(Command::Up) if focus == SignInFocus::Personas => {
            st.sign_in.cursor = st.sign_in.cursor.saturating_sub(1);
            Vec::new()
        }
        Some(Command::Confirm) => submit_sign_in(st, focus),
        Some(Command::Close) => {
            if st.session.is_some() {
                st.screen = Screen::Page;
                Vec::new()
            } else {
                // Nothing to go back to: Esc leaves, as the hint says.
                quit(st)
            }
        }
        _ => {
            if focus == SignInFocus::Personas
                && let Some(c) = key.typed_char()
                && c.is_ascii_alphanumeric()
                && cmd.is_none()
                && st.keymap.lookup(Context::Global, key).is_none()
            {
                // A letter no binding takes (in the keymap, not hard-coded).
                // Typing starts the API key field.
                st.sign_in.focus = Some(SignInFocus::Key);
                st.sign_in.key.insert(c);
                return Vec::new();
            }
            global(st, key).unwrap_or_default()
        }
    }
}

fn submit_sign_in(st: &mut State, focus: SignInFocus) -> Vec<Effect> {
    if st.is_busy() {
        st.info("Still working on the last request…");
        return Vec::new();
    }
    match focus {
        SignInFocus::Key => {
            if st.sign_in.key.is_empty() {
                st.error("Paste an API key first");
                return Vec::new();
            }
            let value = crate::secret::SecretText::new(st.sign_in.key.value().trim());
            st.sign_in.key.clear();
            st.info("Verifying the API key…");
            vec![st.run("Verifying the API key", Job::SignInKey { value })]
        }
        SignInFocus::Personas => {
            let Some(p) = st.sign_in.personas.get(st.sign_in.cursor) else {
                return Vec::new();
            };
            let email = p.user.email.clone();
            vec![st.run("Signing in", Job::SignInAs { email })]
        }
    }
}

// ---- the page -----------------------------------------------------------------

fn page_key(st: &mut State, key: Key) -> Vec<Effect> {
    if st.page.focus == Area::Search {
        let cmd = st.keymap.lookup(Context::Page, key);
        // Control keys on letters (Ctrl-U, Ctrl-W) edit the field first.
        let leaves = !matches!(key.code, KeyCode::Char(_))
            && matches!(
                cmd,
                Some(
                    Command::Close
                        | Command::NextArea
                        | Command::PrevArea
                        | Command::Open
                        | Command::Down
                        | Command::Up
                        | Command::PageDown
                        | Command::PageUp
                )
            );
        if !leaves {
            let before = st.page.search.value().to_string();
            if st.page.search.handle(key) {
                if st.page.search.value() != before {
                    st.page.refilter_from(&before);
                    st.page.offset = 0;
                    st.scroll();
                }
                return Vec::new();
            }
        }
        match cmd {
            Some(Command::Close | Command::Open) => {
                // Esc or Enter ends typing; the filter stays.
                st.page.focus = Area::Table;
                return Vec::new();
            }
            Some(Command::Down | Command::Up | Command::PageDown | Command::PageUp) => {
                st.page.focus = Area::Table;
            }
            _ => {}
        }
    }
    let Some(cmd) = st.keymap.lookup(Context::Page, key) else {
        return global(st, key).unwrap_or_default();
    };
    page_command(st, cmd)
}

fn page_command(st: &mut State, cmd: Command) -> Vec<Effect> {
    let page_rows = st.table_rows() as isize;
    match cmd {
        Command::Down => move_cursor(st, 1),
        Command::Up => move_cursor(st, -1),
        Command::PageDown => move_cursor(st, page_rows),
        Command::PageUp => move_cursor(st, -page_rows),
        Command::Top => {
            st.page.select_index(0);
            st.scroll();
            Vec::new()
        }
        Command::Bottom => {
            st.page.select_index(usize::MAX);
            st.scroll();
            Vec::new()
        }
        Command::Open => match st.page.focus {
            Area::View => open_view_menu(st),
            Area::Create => start_create(st),
            Area::Search | Area::Table => open_actions(st),
        },
        Command::ViewMenu => open_view_menu(st),
        Command::Search => {
            st.page.focus = Area::Search;
            Vec::new()
        }
        Command::SortNext => {
            let width = layout::page_layout(st.area(), st).table.width;
            let cols = layout::sortable(st.page.view, width);
            let next = match cols.iter().position(|c| *c == st.page.sort) {
                Some(i) => cols[(i + 1) % cols.len()],
                None => cols.first().copied().unwrap_or_default(),
            };
            st.page.sort = next;
            st.page.desc = false;
            sorted(st)
        }
        Command::SortReverse => {
            st.page.desc = !st.page.desc;
            sorted(st)
        }
        Command::Create => start_create(st),
        Command::Details => key_action(st, KeyAction::View),
        Command::Edit => key_action(st, KeyAction::Edit),
        Command::Delete => key_action(st, KeyAction::Delete),
        Command::ToggleLock => {
            let locked = st.page.selected_row().is_some_and(|r| r.key.locked);
            key_action(
                st,
                if locked {
                    KeyAction::Unlock
                } else {
                    KeyAction::Lock
                },
            )
        }
        Command::ToggleDisable => {
            let disabled = st.page.selected_row().is_some_and(|r| r.key.disabled);
            key_action(
                st,
                if disabled {
                    KeyAction::Enable
                } else {
                    KeyAction::Disable
                },
            )
        }
        Command::Accounts => {
            let cursor = st
                .page
                .accounts
                .iter()
                .position(|a| Some(&a.id) == st.session.as_ref().map(|s| &s.account_id))
                .unwrap_or(0);
            st.popups.push(Popup::Accounts { cursor });
            Vec::new()
        }
        Command::Settings => {
            let Some(session) = st.session.clone() else {
                return Vec::new();
            };
            vec![st.run("Reading the account settings", Job::Settings { session })]
        }
        Command::Persona => {
            st.screen = Screen::SignIn;
            st.sign_in.focus = None;
            st.info(if st.demo {
                "Pick a persona or paste an API key; Esc returns to the page"
            } else {
                "Paste an API key; Esc returns to the page"
            });
            st.load_personas()
        }
        Command::Refresh => st.load(),
        Command::NextArea | Command::PrevArea => {
            let ring = [Area::Table, Area::View, Area::Search, Area::Create];
            let ring: Vec<Area> = ring
                .into_iter()
                .filter(|a| *a != Area::Create || st.page.can_create())
                .collect();
            let i = ring.iter().position(|a| *a == st.page.focus).unwrap_or(0);
            let n = ring.len();
            let next = if cmd == Command::NextArea {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            st.page.focus = ring[next];
            Vec::new()
        }
        Command::Close => {
            if st.page.focus != Area::Table {
                st.page.focus = Area::Table;
            } else if !st.page.search.is_empty() {
                st.page.search.clear();
                st.page.refilter();
                st.scroll();
            }
            Vec::new()
        }
        Command::Help => {
            st.popups.push(Popup::Help { scroll: 0 });
            Vec::new()
        }
        Command::Quit => quit(st),
        _ => Vec::new(),
    }
}

/// The sort's name: the title of its column in `view`.
pub fn sort_title(sort: SortCol, view: ViewFilter) -> &'static str {
    let col = match sort {
        SortCol::Name => layout::Col::Name,
        SortCol::Description => layout::Col::Description,
        SortCol::Owner => layout::Col::Owner,
        SortCol::Created => layout::Col::Created,
    };
    col.title(view)
}

fn sorted(st: &mut State) -> Vec<Effect> {
    st.page.resort();
    st.scroll();
    st.info(format!(
        "Sorted by {} {}",
        sort_title(st.page.sort, st.page.view),
        if st.page.desc { "↓" } else { "↑" }
    ));
    Vec::new()
}

fn move_cursor(st: &mut State, delta: isize) -> Vec<Effect> {
    st.page.focus = Area::Table;
    st.page.move_by(delta);
    st.scroll();
    Vec::new()
}

fn open_view_menu(st: &mut State) -> Vec<Effect> {
    if st.page.views.is_empty() {
        return Vec::new();
    }
    let cursor = st
        .page
        .views
        .iter()
        .position(|v| v.view == st.page.view)
        .unwrap_or(0);
    st.popups.push(Popup::ViewMenu { cursor });
    Vec::new()
}

fn open_actions(st: &mut State) -> Vec<Effect> {
    let me = st.me().to_string();
    let Some(row) = st.page.selected_row() else {
        st.info("No API key is selected");
        return Vec::new();
    };
    let items = st.page.actions_for(&me, &row.key);
    let popup = Popup::Actions {
        key_id: row.key.id.clone(),
        name: row.key.name.clone(),
        items,
        cursor: 0,
    };
    st.popups.push(popup);
    Vec::new()
}

fn start_create(st: &mut State) -> Vec<Effect> {
    let Some(info) = st.page.view_info().cloned() else {
        return Vec::new();
    };
    if !info.actions.contains(&KeyAction::Create) {
        match info.create_refused {
            Some(d) => st.error(format!("refused: {d}")),
            None => st.error(format!(
                "API keys are not created in the view \"{}\": it lets you view, edit and delete them",
                info.view.label()
            )),
        }
        return Vec::new();
    }
    match info.view {
        ViewFilter::ClassicInfrastructure => {
            st.popups.push(Popup::Confirm(Confirm {
                title: "Create a classic infrastructure API key".into(),
                lines: vec![
                    "Classic infrastructure API keys call the APIs of classic infrastructure services.".into(),
                    "You can have only one at a time. Its value is shown once.".into(),
                ],
                yes: "Create",
                danger: false,
                pending: Pending::CreateClassic,
            }));
        }
        _ => st.popups.push(Popup::Form(Box::new(Form::create()))),
    }
    Vec::new()
}

/// Runs a row action on the selected key, or on `key_id`.
fn key_action(st: &mut State, action: KeyAction) -> Vec<Effect> {
    let Some(row) = st.page.selected_row().cloned() else {
        st.info("No API key is selected");
        return Vec::new();
    };
    row_action(st, action, row)
}

fn row_action(st: &mut State, action: KeyAction, row: KeyRow) -> Vec<Effect> {
    let me = st.me().to_string();
    if let Some(denied) = st.page.refusal(&me, action, &row.key) {
        st.error(format!("refused: {denied}"));
        return Vec::new();
    }
    let Some(session) = st.session.clone() else {
        return Vec::new();
    };
    let key_id = row.key.id.clone();
    let tag = row.key.entity_tag.clone();
    match action {
        KeyAction::View => {
            st.popups.push(Popup::Details {
                row: Box::new(row),
                scroll: 0,
            });
            Vec::new()
        }
        KeyAction::Edit => {
            st.popups.push(Popup::Form(Box::new(Form::edit(&row))));
            Vec::new()
        }
        KeyAction::Delete => {
            let name = crate::text::inert(&row.key.name).into_owned();
            st.popups.push(Popup::Confirm(Confirm {
                title: "Delete API key".into(),
                lines: vec![
                    format!("Delete the API key \"{name}\"?"),
                    row.key.id.clone(),
                    "Anything that uses it stops working. This cannot be undone.".into(),
                ],
                yes: "Delete",
                danger: true,
                pending: Pending::Delete {
                    key_id,
                    tag,
                    name: row.key.name.clone(),
                },
            }));
            Vec::new()
        }
        KeyAction::Lock | KeyAction::Disable => {
            let name = crate::text::inert(&row.key.name).into_owned();
            let (title, question, effect, yes) = if action == KeyAction::Lock {
                (
                    "Lock API key",
                    format!("Lock the API key \"{name}\"?"),
                    "A locked key cannot be edited or deleted until it is unlocked.",
                    "Lock",
                )
            } else {
                (
                    "Disable API key",
                    format!("Disable the API key \"{name}\"?"),
                    "Anything that uses it cannot authenticate until it is enabled again.",
                    "Disable",
                )
            };
            st.popups.push(Popup::Confirm(Confirm {
                title: title.into(),
                lines: vec![question, row.key.id.clone(), effect.into()],
                yes,
                danger: action == KeyAction::Disable,
                pending: Pending::Set {
                    action,
                    key_id,
                    tag,
                },
            }));
            Vec::new()
        }
        KeyAction::Unlock | KeyAction::Enable => vec![set_job(st, session, action, key_id, tag)],
        KeyAction::Create => start_create(st),
    }
}

/// The job that locks, unlocks, disables or enables a key.
fn set_job(
    st: &mut State,
    session: Session,
    action: KeyAction,
    key_id: String,
    tag: String,
) -> Effect {
    let label = match action {
        KeyAction::Lock => "Locking the API key",
        KeyAction::Unlock => "Unlocking the API key",
        KeyAction::Disable => "Disabling the API key",
        _ => "Enabling the API key",
    };
    st.run(
        label,
        Job::Switch {
            session,
            key_id,
            tag,
            action,
        },
    )
}

// ---- popups ---------------------------------------------------------------------

fn popup_key(st: &mut State, key: Key) -> Vec<Effect> {
    let page = st
        .popups
        .last()
        .map_or(1, |p| content::scroll_page(st, p, st.area()));
    let Some(top) = st.popups.last_mut() else {
        return Vec::new();
    };
    match top {
        Popup::Form(form) => {
            if let Some(Field {
                value: FieldValue::Text(input),
                ..
            }) = form.fields.get_mut(form.focus)
            {
                let cmd = st.keymap.lookup(Context::Form, key);
                let nav = key.typed_char().is_none() && cmd.is_some();
                if !nav && input.handle(key) {
                    form.error = None;
                    return Vec::new();
                }
            }
            form_key(st, key)
        }
        Popup::Help { scroll } => {
            let cmd = st.keymap.lookup(Context::Details, key);
            if scrolled(scroll, cmd, page) {
                return Vec::new();
            }
            match cmd {
                Some(Command::Close) => {
                    st.popups.pop();
                }
                _ => match st.keymap.lookup(Context::Global, key) {
                    Some(Command::Help) => {
                        st.popups.pop();
                    }
                    Some(Command::Quit) => return quit(st),
                    _ => {}
                },
            }
            Vec::new()
        }
        Popup::Details { scroll, row } => match st.keymap.lookup(Context::Details, key) {
            cmd if scrolled(scroll, cmd, page) => Vec::new(),
            Some(Command::Close) => {
                st.popups.pop();
                Vec::new()
            }
            Some(Command::Open) => {
                let id = row.key.id.clone();
                st.popups.pop();
                if st.page.selected.as_deref() == Some(id.as_str()) {
                    open_actions(st)
                } else {
                    Vec::new()
                }
            }
            _ => global(st, key).unwrap_or_default(),
        },
        Popup::ViewMenu { .. } | Popup::Actions { .. } | Popup::Accounts { .. } => {
            menu_key(st, key)
        }
        Popup::Reveal(_) => reveal_key(st, key),
        Popup::Confirm(_) => confirm_key(st, key),
        Popup::Settings { .. } => settings_key(st, key),
    }
}

/// Scrolls a popup's text for a scrolling command (by a row, a page, or to
/// either end; `clamp_scroll` then keeps it within the text); says whether
/// `cmd` was one.
fn scrolled(scroll: &mut u16, cmd: Option<Command>, page: u16) -> bool {
    *scroll = match cmd {
        Some(Command::Down) => scroll.saturating_add(1),
        Some(Command::Up) => scroll.saturating_sub(1),
        Some(Command::PageDown) => scroll.saturating_add(page),
        Some(Command::PageUp) => scroll.saturating_sub(page),
        Some(Command::Top) => 0,
        Some(Command::Bottom) => u16::MAX,
        _ => return false,
    };
    true
}

/// Keeps a scrolled popup within its text, so scrolling back starts at
/// once, and a dialog's focused field on screen.
fn clamp_scroll(st: &mut State) {
    let area = st.area();
    if let Some(Popup::Form(form)) = st.popups.last_mut() {
        form.scroll = layout::form_layout(area, form).offset;
        return;
    }
    let limit = match st.popups.last() {
        Some(p) => content::scroll_limit(st, p, area),
        None => return,
    };
    if let Some(Popup::Details { scroll, .. } | Popup::Help { scroll }) = st.popups.last_mut() {
        *scroll = (*scroll).min(limit);
    }
}

fn menu_len(st: &State, popup: &Popup) -> usize {
    match popup {
        Popup::ViewMenu { .. } => st.page.views.len(),
        Popup::Actions { items, .. } => items.len(),
        Popup::Accounts { .. } => st.page.accounts.len(),
        _ => 0,
    }
}

fn menu_cursor(popup: &mut Popup) -> Option<&mut usize> {
    match popup {
        Popup::ViewMenu { cursor } | Popup::Actions { cursor, .. } | Popup::Accounts { cursor } => {
            Some(cursor)
        }
        _ => None,
    }
}

fn menu_key(st: &mut State, key: Key) -> Vec<Effect> {
    let cmd = st.keymap.lookup(Context::Menu, key);
    let len = st.popups.last().map_or(0, |p| menu_len(st, p));
    let Some(cursor) = st.popups.last_mut().and_then(menu_cursor) else {
        return Vec::new();
    };
    match cmd {
        Some(Command::Down) => {
            if len > 0 {
                *cursor = (*cursor + 1) % len;
            }
            Vec::new()
        }
        Some(Command::Up) => {
            if len > 0 {
                *cursor = (*cursor + len - 1) % len;
            }
            Vec::new()
        }
        Some(Command::Confirm) => {
            let c = *cursor;
            choose_menu(st, c)
        }
        Some(Command::Close) => {
            st.popups.pop();
            Vec::new()
        }
        _ => global(st, key).unwrap_or_default(),
    }
}

/// Chooses item `index` of the top menu.
fn choose_menu(st: &mut State, index: usize) -> Vec<Effect> {
    let Some(popup) = st.popups.pop() else {
        return Vec::new();
    };
    match popup {
        Popup::ViewMenu { .. } => {
            let Some(info) = st.page.views.get(index) else {
                return Vec::new();
            };
            let view = info.view;
            if view != st.page.view {
                st.page.view = view;
                st.page.rows.clear();
                st.page.index = RowIndex::default();
                st.page.visible.clear();
                st.page.selected = None;
                st.page.cursor = 0;
                st.page.offset = 0;
                st.page.loaded = false;
                st.info(format!("View: {}", view.label()));
                return st.load();
            }
            Vec::new()
        }
        Popup::Actions { key_id, items, .. } => {
            let Some(&action) = items.get(index) else {
                return Vec::new();
            };
            let row = st.page.rows.iter().find(|r| r.key.id == key_id).cloned();
            match row {
                Some(row) => row_action(st, action, row),
                None => {
                    st.error("The key is no longer listed; it may have been deleted");
                    Vec::new()
                }
            }
        }
        Popup::Accounts { .. } => {
            let Some(target) = st.page.accounts.get(index).map(|a| a.id.clone()) else {
                return Vec::new();
            };
            let Some(session) = st.session.clone() else {
                return Vec::new();
            };
            if target == session.account_id {
                return Vec::new();
            }
            vec![st.run(
                "Switching account",
                Job::SwitchAccount {
                    session,
                    account_id: target,
                },
            )]
        }
        other => {
            st.popups.push(other);
            Vec::new()
        }
    }
}

fn form_key(st: &mut State, key: Key) -> Vec<Effect> {
    let cmd = st.keymap.lookup(Context::Form, key);
    let Some(Popup::Form(form)) = st.popups.last_mut() else {
        return Vec::new();
    };
    let n = form.fields.len();
    let toggle_with_arrows = matches!(key.code, KeyCode::Left | KeyCode::Right);
    match cmd {
        Some(Command::NextField) => {
            form.focus = (form.focus + 1) % n;
            Vec::new()
        }
        Some(Command::PrevField) => {
            form.focus = (form.focus + n - 1) % n;
            Vec::new()
        }
        Some(Command::Toggle) => {
            toggle_field(form, true);
            Vec::new()
        }
        Some(Command::Confirm) => submit_form(st),
        Some(Command::Close) => {
            st.popups.pop();
            st.info("Cancelled");
            Vec::new()
        }
        _ if toggle_with_arrows => {
            toggle_field(form, key.code == KeyCode::Right);
            Vec::new()
        }
        _ => global(st, key).unwrap_or_default(),
    }
}

fn toggle_field(form: &mut Form, forward: bool) {
    if let Some(field) = form.fields.get_mut(form.focus) {
        match &mut field.value {
            FieldValue::Flag(b) => *b = !*b,
            FieldValue::Choice(l) => {
                let all = LeakAction::ALL;
                let i = all.iter().position(|x| x == l).unwrap_or(0);
                *l = if forward {
                    all[(i + 1) % all.len()]
                } else {
                    all[(i + all.len() - 1) % all.len()]
                };
            }
            FieldValue::Text(_) => {}
        }
    }
}

fn submit_form(st: &mut State) -> Vec<Effect> {
    let Some(session) = st.session.clone() else {
        return Vec::new();
    };
    if st.is_busy() {
        st.info("Still working on the last request…");
        return Vec::new();
    }
    let Some(Popup::Form(form)) = st.popups.last_mut() else {
        return Vec::new();
    };
    match form.kind.clone() {
        FormKind::Create => {
            let expires_at = match parse_expiry(form.text(FieldId::Expiry)) {
                Ok(t) => t,
                Err(e) => {
                    form.error = Some(e.clone());
                    form.focus = form
                        .fields
                        .iter()
                        .position(|f| f.id == FieldId::Expiry)
                        .unwrap_or(0);
                    st.error(e);
                    return Vec::new();
                }
            };
            let spec = NewKey {
                name: form.text(FieldId::Name).to_string(),
                description: form.text(FieldId::Description).to_string(),
                action_when_leaked: form.leak(),
                support_sessions: form.flag(FieldId::Sessions),
                expires_at,
                locked: form.flag(FieldId::Lock),
            };
            vec![st.run("Creating the API key", Job::CreateUser { session, spec })]
        }
        FormKind::Edit { key_id, tag, .. } => {
            let update = KeyUpdate {
                name: Some(form.text(FieldId::Name).to_string()),
                description: Some(form.text(FieldId::Description).to_string()),
                action_when_leaked: Some(form.leak()),
                entity_tag: Some(tag),
            };
            vec![st.run(
                "Saving the API key",
                Job::Update {
                    session,
                    key_id,
                    update,
                },
            )]
        }
    }
}

fn reveal_key(st: &mut State, key: Key) -> Vec<Effect> {
    let cmd = st.keymap.lookup(Context::Reveal, key);
    let Some(Popup::Reveal(reveal)) = st.popups.last_mut() else {
        return Vec::new();
    };
    match cmd {
        Some(Command::Show) => {
            reveal.shown = !reveal.shown;
            Vec::new()
        }
        Some(Command::Copy) => {
            reveal.copied = true;
            let value = Zeroizing::new(reveal.created.secret.expose().to_string());
            st.ok("Copied to the clipboard (OSC 52): paste it where it is needed");
            vec![Effect::Copy(value)]
        }
        Some(Command::Download) => {
            let created = Created {
                row: reveal.created.row.clone(),
                secret: reveal.created.secret.clone(),
            };
            let path = st.download_dir.join("apikey.json");
            vec![st.run("Writing apikey.json", Job::Download { created, path })]
        }
        _ => {
            let close = cmd == Some(Command::Close);
            let quit = !close && st.keymap.lookup(Context::Global, key) == Some(Command::Quit);
            if (close || quit) && !reveal.copied && reveal.downloaded.is_none() && !reveal.warned {
                // Leaving loses the value for good: warn once, the same way
                // for closing the dialog and for quitting.
                reveal.warned = true;
                let (again, to) = if close {
                    (st.keymap.hint(Context::Reveal, Command::Close), "close")
                } else {
                    (st.keymap.hint(Context::Global, Command::Quit), "quit")
                };
                st.error(format!(
                    "The API key was neither copied nor downloaded and will not be shown again: press {again} again to {to} anyway"
                ));
                return Vec::new();
            }
            if close {
                st.popups.pop();
                st.info("The API key value is gone from this console");
                return Vec::new();
            }
            global(st, key).unwrap_or_default()
        }
    }
}

fn confirm_key(st: &mut State, key: Key) -> Vec<Effect> {
    match st.keymap.lookup(Context::Confirm, key) {
        Some(Command::Confirm) => confirm_yes(st),
        Some(Command::Close) => {
            st.popups.pop();
            st.info("Cancelled");
            Vec::new()
        }
        _ => global(st, key).unwrap_or_default(),
    }
}

fn confirm_yes(st: &mut State) -> Vec<Effect> {
    let Some(Popup::Confirm(c)) = st.popups.pop() else {
        return Vec::new();
    };
    let Some(session) = st.session.clone() else {
        return Vec::new();
    };
    match c.pending {
        Pending::Delete { key_id, tag, .. } => vec![st.run(
            "Deleting the API key",
            Job::Delete {
                session,
                key_id,
                tag,
            },
        )],
        Pending::CreateClassic => vec![st.run(
            "Creating the classic infrastructure API key",
            Job::CreateClassic { session },
        )],
        Pending::Set {
            action,
            key_id,
            tag,
        } => vec![set_job(st, session, action, key_id, tag)],
        Pending::Restrict { on } => vec![st.run(
            "Saving the account settings",
            Job::SetRestrict { session, on },
        )],
    }
}

fn settings_key(st: &mut State, key: Key) -> Vec<Effect> {
    let cmd = st
        .keymap
        .lookup(Context::Form, key)
        .or_else(|| st.keymap.lookup(Context::Menu, key));
    let Some(Popup::Settings { settings, refusal }) = st.popups.last() else {
        return Vec::new();
    };
    match cmd {
        Some(Command::Toggle | Command::Confirm) => {
            if let Some(d) = refusal {
                st.error(format!("refused: {d}"));
                return Vec::new();
            }
            let on = !settings.restrict_api_key_creation;
            let account = match (st.page.account_name(), st.session.as_ref()) {
                (Some(name), Some(s)) => format!(
                    "{} ({})",
                    crate::text::inert(name),
                    crate::text::inert(&s.account_id)
                ),
                (None, Some(s)) => crate::text::inert(&s.account_id).into_owned(),
                _ => return Vec::new(),
            };
            let (title, question, effect) = if on {
                (
                    "Restrict API key creation",
                    format!("Restrict API key creation in the account {account}?"),
                    "Account-wide: only users with the \"User API key creator\" role may then create user API keys, the owner included.",
                )
            } else {
                (
                    "Stop restricting API key creation",
                    format!("Stop restricting API key creation in the account {account}?"),
                    "Account-wide: every user of the account may then create user API keys.",
                )
            };
            st.popups.push(Popup::Confirm(Confirm {
                title: title.into(),
                lines: vec![question, effect.into()],
                yes: "Yes",
                danger: on,
                pending: Pending::Restrict { on },
            }));
            Vec::new()
        }
        Some(Command::Close) => {
            st.popups.pop();
            Vec::new()
        }
        _ => global(st, key).unwrap_or_default(),
    }
}

// ---- mouse -------------------------------------------------------------------------

fn on_mouse(st: &mut State, ev: MouseEvent) -> Vec<Effect> {
    let effects = mouse(st, ev);
    clamp_scroll(st);
    effects
}

fn mouse(st: &mut State, ev: MouseEvent) -> Vec<Effect> {
    let pos = Position::new(ev.column, ev.row);
    match ev.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let delta: isize = if ev.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            st.needs_draw = true;
            match st.popups.last_mut() {
                Some(Popup::Details { scroll, .. } | Popup::Help { scroll }) => {
                    *scroll = if delta > 0 {
                        scroll.saturating_add(3)
                    } else {
                        scroll.saturating_sub(3)
                    };
                    Vec::new()
                }
                Some(p) => {
                    if let Some(c) = menu_cursor(p) {
                        *c = if delta > 0 {
                            c.saturating_add(1)
                        } else {
                            c.saturating_sub(1)
                        };
                    }
                    let len = st.popups.last().map_or(0, |p| menu_len(st, p));
                    if let Some(c) = st.popups.last_mut().and_then(menu_cursor) {
                        *c = (*c).min(len.saturating_sub(1));
                    }
                    Vec::new()
                }
                None if st.screen == Screen::Page => {
                    st.page.move_by(delta);
                    st.scroll();
                    Vec::new()
                }
                None => {
                    let n = st.sign_in.personas.len();
                    if n > 0 {
                        st.sign_in.focus = Some(SignInFocus::Personas);
                        st.sign_in.cursor = if delta > 0 {
                            (st.sign_in.cursor + 1).min(n - 1)
                        } else {
                            st.sign_in.cursor.saturating_sub(1)
                        };
                    }
                    Vec::new()
                }
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            st.needs_draw = true;
            click(st, pos)
        }
        _ => Vec::new(),
    }
}

fn click(st: &mut State, pos: Position) -> Vec<Effect> {
    let area = st.area();
    if let Some(top) = st.popups.last() {
        if let Some((rect, first_row)) = layout::menu_geometry(st, top, area) {
            if rect.contains(pos) {
                if pos.y >= first_row {
                    let index = (pos.y - first_row) as usize;
                    if index < menu_len(st, top) {
                        return choose_menu(st, index);
                    }
                }
                return Vec::new();
            }
            st.popups.pop();
        }
        return Vec::new();
    }
    match st.screen {
        Screen::SignIn => {
            let l = layout::sign_in_layout(area, st);
            if l.key.contains(pos) {
                st.sign_in.focus = Some(SignInFocus::Key);
            } else if l.personas.contains(pos) && pos.y >= l.personas.y {
                let index = (pos.y - l.personas.y) as usize;
                if index < st.sign_in.personas.len() {
                    let again =
                        st.sign_in.cursor == index && st.sign_in.focus() == SignInFocus::Personas;
                    st.sign_in.cursor = index;
                    st.sign_in.focus = Some(SignInFocus::Personas);
                    if again {
                        return submit_sign_in(st, SignInFocus::Personas);
                    }
                }
            }
            Vec::new()
        }
        Screen::Page => {
            let l = layout::page_layout(area, st);
            if l.view.contains(pos) {
                st.page.focus = Area::View;
                open_view_menu(st)
            } else if l.search.contains(pos) {
                st.page.focus = Area::Search;
                Vec::new()
            } else if l.create.contains(pos) && st.page.can_create() {
                st.page.focus = Area::Create;
                start_create(st)
            } else if l.account.contains(pos) {
                page_command(st, Command::Accounts)
            } else if l.table_body.contains(pos) {
                st.page.focus = Area::Table;
                let index = st.page.offset + (pos.y - l.table_body.y) as usize;
                if index < st.page.visible.len() {
                    if index == st.page.cursor {
                        return open_actions(st);
                    }
                    st.page.select_index(index);
                }
                Vec::new()
            } else {
                Vec::new()
            }
        }
    }
}

// ---- outcomes ----------------------------------------------------------------------

fn on_outcome(st: &mut State, outcome: Outcome) -> Vec<Effect> {
    match outcome {
        Outcome::Personas(r) => {
            st.sign_in.loading = false;
            match r {
                Ok(p) => st.sign_in.personas = p,
                Err(f) => st.error(f.message),
            }
            Vec::new()
        }
        Outcome::SignedIn(r) => match r {
            Ok(session) => {
                let who = session.user.email.clone();
                let effects = st.enter_page(session, None);
                st.ok(format!("Signed in as {}", crate::text::inert(&who)));
                effects
            }
            Err(f) => {
                st.error(f.message);
                Vec::new()
            }
        },
        Outcome::Page { generation, result } => {
            if generation != st.generation {
                return Vec::new();
            }
            match result {
                Ok(data) => apply_page(st, *data),
                Err(f) => st.error(f.message),
            }
            Vec::new()
        }
        Outcome::Created(r) => match r {
            Ok(created) => {
                if matches!(st.popups.last(), Some(Popup::Form(_))) {
                    st.popups.pop();
                }
                st.select_after_load = Some(created.row.key.id.clone());
                st.ok(format!(
                    "Created the API key \"{}\"",
                    crate::text::inert(&created.row.key.name)
                ));
                st.popups.push(Popup::Reveal(Box::new(Reveal {
                    created,
                    shown: false,
                    copied: false,
                    downloaded: None,
                    warned: false,
                })));
                st.load()
            }
            Err(f) => {
                if let Some(Popup::Form(form)) = st.popups.last_mut() {
                    form.error = Some(f.message.clone());
                    focus_named_field(form, &f.message);
                }
                st.error(f.message);
                Vec::new()
            }
        },
        Outcome::Changed { verb, result } => match result {
            Ok(row) => {
                if matches!(st.popups.last(), Some(Popup::Form(_))) {
                    st.popups.pop();
                }
                st.ok(format!(
                    "API key \"{}\" {verb}",
                    crate::text::inert(&row.key.name)
                ));
                st.load()
            }
            Err(f) => {
                if let Some(Popup::Form(form)) = st.popups.last_mut() {
                    form.error = Some(if f.stale {
                        format!(
                            "{}. Press Esc and open the key again to see its current state.",
                            f.message
                        )
                    } else {
                        f.message.clone()
                    });
                    form.stale |= f.stale;
                    focus_named_field(form, &f.message);
                }
                st.error(f.message);
                if f.stale { st.load() } else { Vec::new() }
            }
        },
        Outcome::Deleted(r) => match r {
            Ok(key) => {
                st.ok(format!(
                    "Deleted the API key \"{}\"",
                    crate::text::inert(&key.name)
                ));
                st.load()
            }
            Err(f) => {
                st.error(f.message);
                st.load()
            }
        },
        Outcome::Settings(r) => {
            match r {
                Ok((settings, refusal)) => st.popups.push(Popup::Settings { settings, refusal }),
                Err(f) => st.error(f.message),
            }
            Vec::new()
        }
        Outcome::RestrictSet(r) => match r {
            Ok(new) => {
                let on = new.restrict_api_key_creation;
                if let Some(Popup::Settings { settings, .. }) = st.popups.last_mut() {
                    *settings = new;
                }
                st.ok(if on {
                    "API key creation is now restricted in this account"
                } else {
                    "API key creation is no longer restricted in this account"
                });
                st.load()
            }
            Err(f) => {
                st.error(f.message);
                Vec::new()
            }
        },
        Outcome::Switched(r) => match r {
            Ok(session) => {
                let account = session.account_id.clone();
                let effects = st.enter_page(session, None);
                st.ok(format!(
                    "Switched to account {}",
                    crate::text::inert(&account)
                ));
                effects
            }
            Err(f) => {
                st.error(f.message);
                Vec::new()
            }
        },
        Outcome::Downloaded(r) => {
            match r {
                Ok(path) => {
                    st.ok(format!("Saved {} (readable only by you)", path.display()));
                    if let Some(Popup::Reveal(rv)) = st.popups.last_mut() {
                        rv.downloaded = Some(path);
                    }
                }
                Err(f) => st.error(f.message),
            }
            Vec::new()
        }
    }
}

/// Moves a dialog's focus to the field an error names ("the name must not
/// be empty"), so the field the message is about is the one on screen.
fn focus_named_field(form: &mut Form, message: &str) {
    let message = message.to_lowercase();
    let named = |id: FieldId| match id {
        FieldId::Name => message.contains("the name "),
        FieldId::Description => message.contains("the description "),
        FieldId::Expiry => message.contains("the expir"),
        FieldId::LeakAction | FieldId::Sessions | FieldId::Lock => false,
    };
    if let Some(i) = form.fields.iter().position(|f| named(f.id)) {
        form.focus = i;
    }
}

fn apply_page(st: &mut State, data: PageData) {
    let page = &mut st.page;
    page.loaded = true;
    page.view = data.view;
    page.views = data.views;
    page.accounts = data.accounts;
    page.account = Some(data.account);
    page.rows = data.rows;
    page.index = data.index;
    st.now = data.now;
    if let Some(id) = st.select_after_load.take() {
        page.selected = Some(id);
    }
    page.refilter();
    // Open popups follow the key they show.
    for p in &mut st.popups {
        match p {
            Popup::Details { row, .. } => {
                if let Some(fresh) = st.page.rows.iter().find(|r| r.key.id == row.key.id) {
                    **row = fresh.clone();
                }
            }
            Popup::Form(form) => {
                if let FormKind::Edit { key_id, tag, .. } = &form.kind {
                    match st.page.rows.iter().find(|r| &r.key.id == key_id) {
                        Some(fresh) if &fresh.key.entity_tag != tag => form.stale = true,
                        None => form.stale = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    st.scroll();
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
