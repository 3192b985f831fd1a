//! What finished work brings back, applied to the state.

use super::*;

pub(super) fn on_outcome(st: &mut State, outcome: Outcome) -> Vec<Effect> {
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
        Outcome::Page {
            generation,
            quiet,
            result,
        } => {
            if quiet {
                st.polling = false;
            }
            if generation != st.generation {
                return Vec::new();
            }
            match result {
                Ok(data) => apply_page(st, *data),
                Err(f) => {
                    st.error(f.message);
                    Vec::new()
                }
            }
        }
        Outcome::Searched {
            generation,
            shown,
            rows,
        } => {
            if let Some(rows) = rows
                && st.page.searched(generation, shown, rows)
            {
                st.scroll();
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
                st.popups
                    .push(Popup::Reveal(Box::new(Reveal::new(created, None))));
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
        Outcome::Inactive { days, result } => {
            let at = st
                .popups
                .iter()
                .rposition(|p| matches!(p, Popup::Inactive(r) if r.days == days));
            let Some(at) = at else {
                // Closed, or asked again for other days meanwhile.
                return Vec::new();
            };
            match result {
                Ok(data) => {
                    if let Some(Popup::Inactive(r)) = st.popups.get_mut(at) {
                        r.data = Some(data);
                        r.cursor = r.cursor.min(r.len().saturating_sub(1));
                    }
                }
                Err(f) => {
                    st.popups.remove(at);
                    st.error(f.message);
                }
            }
            Vec::new()
        }
        Outcome::Rotated(r) => match r {
            Ok((created, deleted)) => {
                st.select_after_load = Some(created.row.key.id.clone());
                st.ok(format!(
                    "Rotated the API key \"{}\": the old key is {}",
                    crate::text::inert(&created.row.key.name),
                    if deleted { "deleted" } else { "disabled" }
                ));
                st.popups
                    .push(Popup::Reveal(Box::new(Reveal::new(created, Some(deleted)))));
                st.load()
            }
            Err(f) => {
                st.error(f.message);
                if f.stale { st.load() } else { Vec::new() }
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
pub(super) fn focus_named_field(form: &mut Form, message: &str) {
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

pub(super) fn apply_page(st: &mut State, data: PageData) -> Vec<Effect> {
    let page = &mut st.page;
    page.loaded = true;
    page.view = data.view;
    page.views = data.views;
    page.accounts = data.accounts;
    page.account = Some(data.account);
    page.client_notice = data.notice;
    page.set_table(data.table);
    st.now = data.now;
    if let Some(id) = st.select_after_load.take() {
        page.selected = Some(id);
    }
    // The worker searched and sorted as asked when the load began; asked
    // otherwise since, the rows are searched again.
    let effects = if data.shown == page.wanted() {
        let was = page.selected.clone();
        page.visible = Arc::new(data.visible);
        page.shown = data.shown;
        page.selected = was;
        page.reselect();
        Vec::new()
    } else {
        page.refilter()
            .map(|job| st.run("Searching the API keys", job))
            .into_iter()
            .collect()
    };
    // Open popups follow the key they show.
    let table = Arc::clone(&st.page.table);
    for p in &mut st.popups {
        match p {
            Popup::Details { row, .. } => {
                if let Some(fresh) = table.find(&row.key.id).and_then(|i| table.row(i)) {
                    **row = fresh;
                }
            }
            Popup::Form(form) => {
                if let FormKind::Edit { key_id, tag, .. } = &form.kind {
                    match table.find(key_id).and_then(|i| table.row(i)) {
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
    effects
}
