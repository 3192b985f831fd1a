//! Keys on the page: moving, searching, sorting, the View filter, and
//! starting an action on a key.

use super::*;

pub(super) fn page_key(st: &mut State, key: Key) -> Handled {
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
                    let job = st.page.refilter_typed();
                    st.scroll();
                    return Handled::from(st.searching(job));
                }
                return Handled::CONSUMED;
            }
        }
        match cmd {
            Some(Command::Close | Command::Open) => {
                // Esc or Enter ends typing; the filter stays.
                st.page.focus = Area::Table;
                return Handled::CONSUMED;
            }
            Some(Command::Down | Command::Up | Command::PageDown | Command::PageUp) => {
                st.page.focus = Area::Table;
            }
            _ => {}
        }
    }
    let Some(cmd) = st.keymap.lookup(Context::Page, key) else {
        return Handled::NotConsumed;
    };
    Handled::from(page_command(st, cmd))
}

pub(super) fn page_command(st: &mut State, cmd: Command) -> Vec<Effect> {
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
        Command::ClearLeak => clear_leak(st),
        Command::Rotate => key_action(st, KeyAction::Rotate),
        Command::InactiveReport => open_report(st),
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
                let job = st.page.refilter();
                st.scroll();
                return st.searching(job);
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

pub(super) fn sorted(st: &mut State) -> Vec<Effect> {
    let job = st.page.refilter();
    let effects = st.searching(job);
    st.scroll();
    st.info(format!(
        "Sorted by {} {}",
        sort_title(st.page.sort, st.page.view),
        if st.page.desc { "↓" } else { "↑" }
    ));
    effects
}

pub(super) fn move_cursor(st: &mut State, delta: isize) -> Vec<Effect> {
    st.page.focus = Area::Table;
    st.page.move_by(delta);
    st.scroll();
    Vec::new()
}

pub(super) fn open_view_menu(st: &mut State) -> Vec<Effect> {
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

pub(super) fn open_actions(st: &mut State) -> Vec<Effect> {
    let me = st.me().to_string();
    let Some(row) = st.page.selected_row() else {
        st.info("No API key is selected");
        return Vec::new();
    };
    let items = st.page.actions_for(&me, &row.key);
    let row = &row;
    let popup = Popup::Actions {
        key_id: row.key.id.clone(),
        name: row.key.name.clone(),
        items,
        cursor: 0,
    };
    st.popups.push(popup);
    Vec::new()
}

/// Opens the inactive identities report, for the account owner or an
/// Administrator; others get the rule's refusal.
pub(super) fn open_report(st: &mut State) -> Vec<Effect> {
    let me = st.me().to_string();
    let Some(account) = st.page.account.as_ref() else {
        st.info("The page is still loading");
        return Vec::new();
    };
    if !crate::access::is_admin(account, &me) {
        st.error(format!(
            "refused: {}",
            crate::access::Denied::NeedsAdmin("see the inactive identities report")
        ));
        return Vec::new();
    }
    st.popups.push(Popup::Inactive(Box::new(Report::new(
        crate::service::DEFAULT_INACTIVE_DAYS,
    ))));
    report_job(st, crate::service::DEFAULT_INACTIVE_DAYS)
}

/// Reads the report over `days` days on a worker.
pub(super) fn report_job(st: &mut State, days: u32) -> Vec<Effect> {
    let Some(session) = st.session.clone() else {
        return Vec::new();
    };
    vec![st.run(
        "Reading the inactive identities report",
        Job::Inactive { session, days },
    )]
}

/// Shows the view `view`: its rows are read again.
pub(super) fn switch_view(st: &mut State, view: ViewFilter) -> Vec<Effect> {
    st.page.view = view;
    // The rows of the view left are dropped now, not when the next arrive:
    // a large view gives its memory back.
    st.page.set_table(Arc::default());
    st.page.selected = None;
    st.page.cursor = 0;
    st.page.offset = 0;
    st.page.loaded = false;
    st.load()
}

/// Selects the key `id` in the table, switching to the view that lists
/// it (all user keys, all service ID keys) when the current one does not.
pub(super) fn jump_to_key(
    st: &mut State,
    id: &str,
    name: &str,
    kind: crate::domain::KeyKind,
) -> Vec<Effect> {
    let name = crate::text::inert(name).into_owned();
    if st.page.table.find(id).is_some() {
        if !st.page.search.is_empty() {
            st.page.search.clear();
        }
        st.page.focus = Area::Table;
        st.page.selected = Some(id.to_string());
        let job = st.page.refilter();
        st.scroll();
        st.info(format!("Selected the API key \"{name}\""));
        return st.searching(job);
    }
    let view = match kind {
        crate::domain::KeyKind::User => ViewFilter::AllUserApiKeys,
        crate::domain::KeyKind::ServiceId => ViewFilter::AllServiceIdApiKeys,
        crate::domain::KeyKind::Classic => ViewFilter::ClassicInfrastructure,
    };
    if !st.page.views.iter().any(|v| v.view == view) {
        st.error(format!(
            "The API key \"{name}\" is in the view \"{}\", which you cannot use",
            view.label()
        ));
        return Vec::new();
    }
    st.page.search.clear();
    st.page.focus = Area::Table;
    st.select_after_load = Some(id.to_string());
    st.info(format!(
        "View: {} · selecting the API key \"{name}\"",
        view.label()
    ));
    switch_view(st, view)
}

pub(super) fn start_create(st: &mut State) -> Vec<Effect> {
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
/// Asks before clearing the selected key's leaked mark. Whether the user
/// may (the account owner or an Administrator) is the service's to say.
fn clear_leak(st: &mut State) -> Vec<Effect> {
    let Some(row) = st.page.selected_row() else {
        st.info("No API key is selected");
        return Vec::new();
    };
    if row.key.leak.is_none() {
        st.info("The key is not marked leaked");
        return Vec::new();
    }
    let name = crate::text::inert(&row.key.name).into_owned();
    st.popups.push(Popup::Confirm(Confirm {
        title: "Clear leaked mark".into(),
        lines: vec![
            format!("Clear the leaked mark of the API key \"{name}\"?"),
            row.key.id.clone(),
            "Rotate the key first: its value was found where others can read it.".into(),
        ],
        yes: "Clear",
        danger: false,
        pending: Pending::ClearLeak {
            key_id: row.key.id,
            tag: row.key.entity_tag,
        },
    }));
    Vec::new()
}

pub(super) fn key_action(st: &mut State, action: KeyAction) -> Vec<Effect> {
    let Some(row) = st.page.selected_row() else {
        st.info("No API key is selected");
        return Vec::new();
    };
    row_action(st, action, row)
}

pub(super) fn row_action(st: &mut State, action: KeyAction, row: KeyRow) -> Vec<Effect> {
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
        KeyAction::Rotate => {
            let name = crate::text::inert(&row.key.name).into_owned();
            st.popups.push(Popup::Confirm(Confirm {
                title: "Rotate API key".into(),
                lines: vec![
                    format!("Rotate the API key \"{name}\"?"),
                    row.key.id.clone(),
                    "A new key with the same name and settings takes its place; its value is shown once.".into(),
                ],
                yes: "Rotate",
                danger: false,
                pending: Pending::Rotate {
                    key_id,
                    tag,
                    name: row.key.name.clone(),
                    delete_old: false,
                },
            }));
            Vec::new()
        }
        KeyAction::Create => start_create(st),
    }
}

/// The job that locks, unlocks, disables or enables a key.
pub(super) fn set_job(
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
