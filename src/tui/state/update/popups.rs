//! Keys in popups: menus, dialogs, the details, help, the one-time reveal,
//! confirmations and settings.

use super::*;

pub(super) fn popup_key(st: &mut State, key: Key) -> Handled {
    // A page of the details or help is measured only for a page key: it
    // lays out every row of the text.
    let paging = matches!(
        st.keymap.lookup(Context::Details, key),
        Some(Command::PageDown | Command::PageUp)
    );
    let page = match st.popups.last() {
        Some(p) if paging => content::scroll_page(st, p, st.area()),
        _ => 1,
    };
    let Some(top) = st.popups.last_mut() else {
        return Handled::CONSUMED;
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
                    return Handled::CONSUMED;
                }
            }
            form_key(st, key)
        }
        Popup::Help { scroll } => {
            let cmd = st.keymap.lookup(Context::Details, key);
            if scrolled(scroll, cmd, page) {
                return Handled::CONSUMED;
            }
            match cmd {
                Some(Command::Close) => {
                    st.popups.pop();
                }
                _ => match st.keymap.lookup(Context::Global, key) {
                    Some(Command::Help) => {
                        st.popups.pop();
                    }
                    Some(Command::Quit) => return Handled::from(quit(st)),
                    _ => {}
                },
            }
            Handled::CONSUMED
        }
        Popup::Details { scroll, row } => match st.keymap.lookup(Context::Details, key) {
            cmd if scrolled(scroll, cmd, page) => Handled::CONSUMED,
            Some(Command::Close) => {
                st.popups.pop();
                Handled::CONSUMED
            }
            Some(Command::Open) => {
                let id = row.key.id.clone();
                st.popups.pop();
                if st.page.selected.as_deref() == Some(id.as_str()) {
                    Handled::from(open_actions(st))
                } else {
                    Handled::CONSUMED
                }
            }
            _ => Handled::NotConsumed,
        },
        Popup::ViewMenu { .. } | Popup::Actions { .. } | Popup::Accounts { .. } => {
            menu_key(st, key)
        }
        Popup::Reveal(_) => reveal_key(st, key),
        Popup::Confirm(_) => confirm_key(st, key),
        Popup::Settings { .. } => settings_key(st, key),
        Popup::Inactive(_) => report_key(st, key),
    }
}

/// Keys in the inactive identities report.
pub(super) fn report_key(st: &mut State, key: Key) -> Handled {
    let cmd = st.keymap.lookup(Context::Report, key);
    let page = content::report_rows(st.area()).max(2) as isize - 1;
    let Some(Popup::Inactive(r)) = st.popups.last_mut() else {
        return Handled::CONSUMED;
    };
    match cmd {
        Some(Command::Down) => r.move_by(1),
        Some(Command::Up) => r.move_by(-1),
        Some(Command::PageDown) => r.move_by(page),
        Some(Command::PageUp) => r.move_by(-page),
        Some(Command::Top) => r.cursor = 0,
        Some(Command::Bottom) => r.move_by(isize::MAX),
        Some(c @ (Command::MoreDays | Command::FewerDays)) => {
            let days = r.step(c == Command::MoreDays);
            if days == r.days {
                let (lo, hi) = (REPORT_DAYS[0], REPORT_DAYS[REPORT_DAYS.len() - 1]);
                st.info(format!("The report covers {lo} to {hi} days"));
                return Handled::CONSUMED;
            }
            r.days = days;
            r.data = None;
            r.cursor = 0;
            return Handled::from(report_job(st, days));
        }
        Some(Command::Refresh) => {
            let days = r.days;
            r.data = None;
            r.cursor = 0;
            return Handled::from(report_job(st, days));
        }
        Some(c @ (Command::SortNext | Command::SortReverse)) => {
            let at = r.entries().get(r.cursor).map(entry_id);
            if c == Command::SortNext {
                r.sort = r.sort.next();
                r.desc = false;
            } else {
                r.desc = !r.desc;
            }
            if let Some(at) = at {
                r.cursor = r
                    .entries()
                    .iter()
                    .position(|e| entry_id(e) == at)
                    .unwrap_or(0);
            }
            let text = format!(
                "Report sorted by {} {}",
                r.sort.title(),
                if r.desc { "↓" } else { "↑" }
            );
            st.info(text);
        }
        Some(Command::Open) => {
            let target = match r.entries().get(r.cursor) {
                Some(Entry::Key(k)) => Ok((k.id.clone(), k.name.clone(), k.kind)),
                Some(Entry::User(_)) => Err("a user"),
                Some(Entry::ServiceId(_)) => Err("a service ID"),
                None => Err(""),
            };
            match target {
                Ok((id, name, kind)) => {
                    st.popups.pop();
                    return Handled::from(jump_to_key(st, &id, &name, kind));
                }
                Err("") => {}
                Err(what) => st.info(format!(
                    "This row is {what}, not an API key: Enter selects keys in the table"
                )),
            }
        }
        Some(Command::Close) => {
            st.popups.pop();
        }
        _ => return Handled::NotConsumed,
    }
    Handled::CONSUMED
}

/// What an entry of the report is, to find it again after a sort.
fn entry_id(e: &Entry) -> (u8, String) {
    match e {
        Entry::Key(k) => (0, k.id.clone()),
        Entry::User(u) => (1, u.id.clone()),
        Entry::ServiceId(s) => (2, s.id.clone()),
    }
}

/// Scrolls a popup's text for a scrolling command (by a row, a page, or to
/// either end; `clamp_scroll` then keeps it within the text); says whether
/// `cmd` was one.
pub(super) fn scrolled(scroll: &mut u16, cmd: Option<Command>, page: u16) -> bool {
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
pub(super) fn clamp_scroll(st: &mut State) {
    let area = st.area();
    if let Some(Popup::Form(form)) = st.popups.last_mut() {
        form.scroll = layout::form_layout(area, form).offset;
        return;
    }
    // Unscrolled text needs no limit (and laying it out costs every row).
    let limit = match st.popups.last() {
        Some(Popup::Details { scroll: 0, .. } | Popup::Help { scroll: 0 }) | None => return,
        Some(p) => content::scroll_limit(st, p, area),
    };
    if let Some(Popup::Details { scroll, .. } | Popup::Help { scroll }) = st.popups.last_mut() {
        *scroll = (*scroll).min(limit);
    }
}

pub(super) fn menu_len(st: &State, popup: &Popup) -> usize {
    match popup {
        Popup::ViewMenu { .. } => st.page.views.len(),
        Popup::Actions { items, .. } => items.len(),
        Popup::Accounts { .. } => st.page.accounts.len(),
        _ => 0,
    }
}

pub(super) fn menu_cursor(popup: &mut Popup) -> Option<&mut usize> {
    match popup {
        Popup::ViewMenu { cursor } | Popup::Actions { cursor, .. } | Popup::Accounts { cursor } => {
            Some(cursor)
        }
        _ => None,
    }
}

pub(super) fn menu_key(st: &mut State, key: Key) -> Handled {
    let cmd = st.keymap.lookup(Context::Menu, key);
    let len = st.popups.last().map_or(0, |p| menu_len(st, p));
    let Some(cursor) = st.popups.last_mut().and_then(menu_cursor) else {
        return Handled::CONSUMED;
    };
    match cmd {
        Some(Command::Down) => {
            if len > 0 {
                *cursor = (*cursor + 1) % len;
            }
            Handled::CONSUMED
        }
        Some(Command::Up) => {
            if len > 0 {
                *cursor = (*cursor + len - 1) % len;
            }
            Handled::CONSUMED
        }
        Some(Command::Confirm) => {
            let c = *cursor;
            Handled::from(choose_menu(st, c))
        }
        Some(Command::Close) => {
            st.popups.pop();
            Handled::CONSUMED
        }
        _ => Handled::NotConsumed,
    }
}

/// Chooses item `index` of the top menu.
pub(super) fn choose_menu(st: &mut State, index: usize) -> Vec<Effect> {
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
                st.info(format!("View: {}", view.label()));
                return switch_view(st, view);
            }
            Vec::new()
        }
        Popup::Actions { key_id, items, .. } => {
            let Some(&action) = items.get(index) else {
                return Vec::new();
            };
            let row = st.page.table.find(&key_id).and_then(|i| st.page.row(i));
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

pub(super) fn form_key(st: &mut State, key: Key) -> Handled {
    let cmd = st.keymap.lookup(Context::Form, key);
    let Some(Popup::Form(form)) = st.popups.last_mut() else {
        return Handled::CONSUMED;
    };
    let n = form.fields.len();
    let toggle_with_arrows = matches!(key.code, KeyCode::Left | KeyCode::Right);
    match cmd {
        Some(Command::NextField) => {
            form.focus = (form.focus + 1) % n;
            Handled::CONSUMED
        }
        Some(Command::PrevField) => {
            form.focus = (form.focus + n - 1) % n;
            Handled::CONSUMED
        }
        Some(Command::Toggle) => {
            toggle_field(form, true);
            Handled::CONSUMED
        }
        Some(Command::Confirm) => Handled::from(submit_form(st)),
        Some(Command::Close) => {
            st.popups.pop();
            st.info("Cancelled");
            Handled::CONSUMED
        }
        _ if toggle_with_arrows => {
            toggle_field(form, key.code == KeyCode::Right);
            Handled::CONSUMED
        }
        _ => Handled::NotConsumed,
    }
}

pub(super) fn toggle_field(form: &mut Form, forward: bool) {
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

pub(super) fn submit_form(st: &mut State) -> Vec<Effect> {
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
                disabled: false,
            };
            vec![st.run("Creating the API key", Job::CreateUser { session, spec })]
        }
        FormKind::Edit { key_id, tag, .. } => {
            let update = KeyUpdate {
                name: Some(form.text(FieldId::Name).to_string()),
                description: Some(form.text(FieldId::Description).to_string()),
                action_when_leaked: Some(form.leak()),
                entity_tag: Some(tag),
                expires_at: None,
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

pub(super) fn reveal_key(st: &mut State, key: Key) -> Handled {
    let cmd = st.keymap.lookup(Context::Reveal, key);
    let Some(Popup::Reveal(reveal)) = st.popups.last_mut() else {
        return Handled::CONSUMED;
    };
    match cmd {
        Some(Command::Show) => {
            reveal.shown = !reveal.shown;
            Handled::CONSUMED
        }
        Some(Command::Copy) => {
            reveal.copied = true;
            let value = Zeroizing::new(reveal.created.secret.expose().to_string());
            st.ok("Copied to the clipboard (OSC 52): paste it where it is needed");
            Handled::from(vec![Effect::Copy(value)])
        }
        Some(Command::Download) => {
            let created = Created {
                row: reveal.created.row.clone(),
                secret: reveal.created.secret.clone(),
            };
            let path = st.download_dir.join("apikey.json");
            Handled::from(vec![
                st.run("Writing apikey.json", Job::Download { created, path }),
            ])
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
                return Handled::CONSUMED;
            }
            if close {
                st.popups.pop();
                st.info("The API key value is gone from this console");
                return Handled::CONSUMED;
            }
            Handled::NotConsumed
        }
    }
}

pub(super) fn confirm_key(st: &mut State, key: Key) -> Handled {
    // A rotation's confirmation also chooses what becomes of the old key.
    if let Some(Popup::Confirm(Confirm {
        pending: Pending::Rotate { delete_old, .. },
        danger,
        ..
    })) = st.popups.last_mut()
    {
        let choose = matches!(
            st.keymap.lookup(Context::Form, key),
            Some(Command::Toggle | Command::NextField | Command::PrevField)
        ) || matches!(
            key.code,
            KeyCode::Left | KeyCode::Right | KeyCode::Char('j' | 'k')
        );
        if choose && st.keymap.lookup(Context::Confirm, key).is_none() {
            *delete_old = !*delete_old;
            *danger = *delete_old;
            return Handled::CONSUMED;
        }
    }
    match st.keymap.lookup(Context::Confirm, key) {
        Some(Command::Confirm) => Handled::from(confirm_yes(st)),
        Some(Command::Close) => {
            st.popups.pop();
            st.info("Cancelled");
            Handled::CONSUMED
        }
        _ => Handled::NotConsumed,
    }
}

pub(super) fn confirm_yes(st: &mut State) -> Vec<Effect> {
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
        Pending::ClearLeak { key_id, tag } => vec![st.run(
            "Clearing the leaked mark",
            Job::ClearLeak {
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
        Pending::Rotate {
            key_id,
            tag,
            delete_old,
            ..
        } => vec![st.run(
            "Rotating the API key",
            Job::Rotate {
                session,
                key_id,
                tag,
                delete_old,
            },
        )],
    }
}

pub(super) fn settings_key(st: &mut State, key: Key) -> Handled {
    let cmd = st
        .keymap
        .lookup(Context::Form, key)
        .or_else(|| st.keymap.lookup(Context::Menu, key));
    let Some(Popup::Settings { settings, refusal }) = st.popups.last() else {
        return Handled::CONSUMED;
    };
    match cmd {
        Some(Command::Toggle | Command::Confirm) => {
            if let Some(d) = refusal {
                st.error(format!("refused: {d}"));
                return Handled::CONSUMED;
            }
            let on = !settings.restrict_api_key_creation;
            let account = match (st.page.account_name(), st.session.as_ref()) {
                (Some(name), Some(s)) => format!(
                    "{} ({})",
                    crate::text::inert(name),
                    crate::text::inert(&s.account_id)
                ),
                (None, Some(s)) => crate::text::inert(&s.account_id).into_owned(),
                _ => return Handled::CONSUMED,
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
            Handled::CONSUMED
        }
        Some(Command::Close) => {
            st.popups.pop();
            Handled::CONSUMED
        }
        _ => Handled::NotConsumed,
    }
}
