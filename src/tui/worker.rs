//! The service work the console asks for, run off the UI thread.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::access::{KeyAction, ViewFilter};
use crate::client::Client;
use crate::service::{Created, now};

use super::state::{Failure, Job, Outcome, PageData, Persona, Shown, cancelled, load_table};

/// Runs one job against the service. Blocking: call it on a worker task.
pub fn run_job(service: &dyn Client, job: Job) -> Outcome {
    match job {
        Job::Personas => Outcome::Personas(
            service
                .personas()
                .map(|list| {
                    let mut people: Vec<Persona> = list
                        .into_iter()
                        .map(|(user, accounts)| Persona {
                            user,
                            roles: accounts.iter().map(role_labels).collect(),
                        })
                        .collect();
                    people.sort_by_key(persona_order);
                    people
                })
                .map_err(Failure::from),
        ),
        Job::SignInAs { email } => {
            Outcome::SignedIn(service.sign_in_as(&email, None).map_err(Failure::from))
        }
        Job::SignInKey { value } => Outcome::SignedIn(
            service
                .sign_in_key(value.expose(), None)
                .map_err(Failure::from),
        ),
        Job::Load {
            generation,
            quiet,
            session,
            view,
            search,
            progress,
        } => {
            let result = (|| {
                let views = service.views(&session)?;
                // A view that is no longer offered (roles changed, another
                // account) falls back to the first one.
                let view = if views.iter().any(|v| v.view == view) {
                    view
                } else {
                    views.first().map_or(ViewFilter::MyApiKeys, |v| v.view)
                };
                progress.done.store(0, Ordering::Relaxed);
                progress.total.store(0, Ordering::Relaxed);
                // Told how many keys come, the table is sized for them.
                let table = load_table(
                    |total, each| service.scan_rows(&session, view, total, each),
                    &progress,
                )?;
                let visible = table
                    .filter(&search.needle, search.sort, search.desc, &|| false)
                    .unwrap_or_default();
                let (table_full, shown) = (table.full(), table.len());
                Ok(Box::new(PageData {
                    views,
                    view,
                    table: Arc::new(table),
                    visible,
                    shown: search,
                    accounts: service.accounts(&session)?,
                    account: service.account_of(&session)?,
                    now: now(),
                    notice: if table_full {
                        Some(format!(
                            "This view holds more keys than the console can: it shows the first {shown}. `iamkeys api-keys --output json` lists them all."
                        ))
                    } else {
                        service.notice()
                    },
                }))
            })()
            .map_err(|e: crate::service::ServiceError| Failure::from(e));
            // Reading a view frees as much as it keeps, and the view left
            // behind (dropped when this load was asked for) all it held:
            // give that memory back to the system.
            crate::memory::release();
            Outcome::Page {
                generation,
                quiet,
                result,
            }
        }
        Job::Search {
            generation,
            table,
            base,
            needle,
            sort,
            desc,
            latest,
        } => {
            let cancel = cancelled(&latest, generation);
            let rows = match &base {
                Some(rows) => table.narrow(rows, &needle, &cancel),
                None => table.filter(&needle, sort, desc, &cancel),
            };
            // A first sort by a column and a search over a big view free
            // tens of megabytes of working memory: give it back.
            drop(base);
            if table.len() > super::state::SYNC_ROWS {
                drop(table);
                crate::memory::release();
            }
            Outcome::Searched {
                generation,
                shown: Shown { needle, sort, desc },
                rows,
            }
        }
        Job::CreateUser { session, spec } => Outcome::Created(
            service
                .create_user_key(&session, &spec)
                .map_err(Failure::from),
        ),
        Job::CreateClassic { session } => {
            Outcome::Created(service.create_classic_key(&session).map_err(Failure::from))
        }
        Job::Update {
            session,
            key_id,
            update,
        } => Outcome::Changed {
            verb: "saved",
            result: service
                .update(&session, &key_id, &update)
                .map_err(Failure::from),
        },
        Job::Switch {
            session,
            key_id,
            tag,
            action,
        } => Outcome::Changed {
            verb: match action {
                KeyAction::Lock => "locked",
                KeyAction::Unlock => "unlocked",
                KeyAction::Disable => "disabled",
                _ => "enabled",
            },
            result: service
                .switch(&session, &key_id, action, Some(&tag))
                .map_err(Failure::from),
        },
        Job::ClearLeak {
            session,
            key_id,
            tag,
        } => Outcome::Changed {
            verb: "cleared of its leaked mark",
            result: service
                .clear_leak(&session, &key_id, Some(&tag))
                .map_err(Failure::from),
        },
        Job::Delete {
            session,
            key_id,
            tag,
        } => Outcome::Deleted(
            service
                .delete(&session, &key_id, Some(&tag))
                .map_err(Failure::from),
        ),
        Job::Settings { session } => {
            Outcome::Settings(service.settings(&session).map_err(Failure::from))
        }
        Job::SetRestrict { session, on } => Outcome::RestrictSet(
            service
                .set_restrict_creation(&session, on)
                .map_err(Failure::from),
        ),
        Job::SwitchAccount {
            session,
            account_id,
        } => Outcome::Switched(
            service
                .switch_account(&session, &account_id)
                .map_err(Failure::from),
        ),
        Job::Inactive { session, days } => Outcome::Inactive {
            days,
            result: service.inactive(&session, days).map_err(Failure::from),
        },
        Job::Rotate {
            session,
            key_id,
            tag,
            delete_old,
        } => Outcome::Rotated(
            service
                .rotate(&session, &key_id, delete_old, Some(&tag))
                .map(|r| (r.created, r.old_deleted))
                .map_err(Failure::from),
        ),
        Job::Download { created, path } => Outcome::Downloaded(
            download(&created, &path)
                .map(|()| path)
                .map_err(Failure::from),
        ),
    }
}

/// Writes the key file in IBM's download format, mode 0600, never over an
/// existing file.
fn download(created: &Created, path: &Path) -> Result<(), String> {
    let mut file = crate::app::open_key_file(path).map_err(|f| {
        if path.exists() {
            format!("{}; move it away and press download again", f.message)
        } else {
            f.message
        }
    })?;
    crate::app::write_key_file(&mut file, created).map_err(|e| {
        let _ = std::fs::remove_file(path);
        format!("writing {} failed: {e}", path.display())
    })
}

/// An account's id and the roles held there as the sign-in screen names
/// them: "Owner" first for the account owner.
fn role_labels(a: &crate::service::AccountRoles) -> (String, Vec<String>) {
    let owner = a.owner.then(|| "Owner".to_string());
    let roles = owner
        .into_iter()
        .chain(a.roles.iter().map(|r| r.label().to_string()));
    (a.account_id.clone(), roles.collect())
}

/// Personas by their first account, the most powerful first, functional
/// IDs last: the order a walkthrough goes through them.
fn persona_order(p: &Persona) -> (String, u8, String) {
    let (account, roles) = p
        .roles
        .first()
        .map_or((String::new(), &[][..]), |(a, r)| (a.clone(), r.as_slice()));
    let rank = |r: &str| match r {
        "Owner" => 0,
        "Administrator" => 1,
        "Editor" => 2,
        "Operator" => 3,
        "User API key creator" | "Service ID creator" => 4,
        "Viewer" => 5,
        _ => 6,
    };
    let best = roles.iter().map(|r| rank(r)).min().unwrap_or(7);
    let best = if p.user.functional { 8 } else { best };
    (account, best, p.user.name.clone())
}
