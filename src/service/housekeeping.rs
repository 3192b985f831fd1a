//! Housekeeping: the inactive identities report, the removal of keys that
//! expired longer ago than the account's retention, the housekeeping
//! settings, and rotating a key.

use super::*;
use crate::domain::HOUSEKEEPING_DAYS;

/// The report's default: no authentication for 30 days.
pub const DEFAULT_INACTIVE_DAYS: u32 = 30;
/// The longest report: a year (the API's `duration` allows 8760 hours).
pub const MAX_INACTIVE_DAYS: u32 = 365;

/// How many keys one run of [`Service::remove_expired_keys`] removes at
/// most; a run that stops there leaves the rest to the next.
pub const MAX_REMOVALS_PER_RUN: usize = 500;

/// One key removed because it expired longer ago than the retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub account_id: String,
    pub id: String,
    pub name: String,
    pub iam_id: String,
    pub expires_at: crate::time::Moment,
}

/// What one run of [`Service::remove_expired_keys`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    pub removed: Vec<Removed>,
    /// Accounts looked through (those swept recently are skipped).
    pub accounts: usize,
    /// Whether the run stopped at its bound with more keys left to look at.
    pub incomplete: bool,
}

/// A rotation's result: the new key (its value shown once) and the old
/// key as it was left (disabled), or as it was before it was deleted.
#[derive(Debug)]
pub struct Rotated {
    pub created: Created,
    pub old: ApiKey,
    pub old_deleted: bool,
}

/// Checks a number of days for a housekeeping setting.
pub fn check_days(what: &str, days: u32) -> Result<u32> {
    if HOUSEKEEPING_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(ServiceError::BadInput(format!(
            "{what} must be from {} to {} days",
            HOUSEKEEPING_DAYS.start(),
            HOUSEKEEPING_DAYS.end()
        )))
    }
}

/// Checks the report's number of days.
pub fn check_inactive_days(days: u32) -> Result<u32> {
    if (1..=MAX_INACTIVE_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(ServiceError::BadInput(format!(
            "--days must be from 1 to {MAX_INACTIVE_DAYS}"
        )))
    }
}

/// Whether a key counts as inactive since `since`: its last authentication,
/// or its creation if it never authenticated, is before `since`. A key
/// made yesterday has not been inactive for 30 days.
pub fn inactive_since(key: &ApiKey, since: Timestamp) -> bool {
    key.activity.last_authn.unwrap_or(key.created_at) < since
}

impl Service {
    /// Refuses, for `what`, anyone but the owner or an Administrator.
    pub fn require_admin(&self, s: &Session, what: &'static str) -> Result<()> {
        self.admin_only(s, what).map(|_| ())
    }

    /// Refuses anyone but the owner or an Administrator of the session's
    /// account, for `what`.
    pub(crate) fn admin_only(&self, s: &Session, what: &'static str) -> Result<Arc<Account>> {
        let account = self.context(s)?;
        if !access::is_admin(&account, &s.user.iam_id) {
            return Err(Denied::NeedsAdmin(what).into());
        }
        Ok(account)
    }

    /// The inactive identities report over the last `days` days (the
    /// command line's and the console's way in; the API's takes hours).
    pub fn inactive_days(&self, s: &Session, days: u32) -> Result<InactiveReport> {
        let days = check_inactive_days(days)?;
        let since = now()
            .checked_sub(jiff::SignedDuration::from_hours(i64::from(days) * 24))
            .map_err(|_| ServiceError::BadInput("--days is out of range".into()))?;
        self.inactive_report(s, since)
    }

    /// Changes the account's housekeeping settings (owner or
    /// Administrator), recorded in the settings' history.
    pub fn set_housekeeping(
        &self,
        s: &Session,
        retention_days: Option<u32>,
        age_warning_days: Option<u32>,
    ) -> Result<AccountSettings> {
        let retention = retention_days
            .map(|d| check_days("the expired key retention", d))
            .transpose()?;
        let age = age_warning_days
            .map(|d| check_days("the key age warning", d))
            .transpose()?;
        let _serial = self.serial();
        let mut account =
            Arc::unwrap_or_clone(self.admin_only(s, "change the housekeeping settings")?);
        let mut changed = Vec::new();
        if let Some(d) = retention {
            changed.push(format!(
                "expired_key_retention_days from {} to {d}",
                account.settings.expired_key_retention_days
            ));
            account.settings.expired_key_retention_days = d;
        }
        if let Some(d) = age {
            changed.push(format!(
                "key_age_warning_days from {} to {d}",
                account.settings.key_age_warning_days
            ));
            account.settings.key_age_warning_days = d;
        }
        if changed.is_empty() {
            return Ok(account.settings);
        }
        account
            .settings
            .changed(&s.user.iam_id, &changed.join(", "), now());
        self.store.put_account(&account)?;
        tracing::info!(account = %account.id, actor = %s.user.email, change = %changed.join(", "), "housekeeping settings changed");
        Ok(account.settings)
    }

    /// Removes the keys that expired longer ago than their account's
    /// retention (`expired_key_retention_days`), never a locked one, at
    /// most [`MAX_REMOVALS_PER_RUN`] in one run. The keys are found through
    /// the store's expiry index (the days past the retention), not by
    /// reading every key. An account whose last complete sweep is more
    /// recent than `skip_within` is skipped, so a writer opening the store
    /// writes the account's record for a sweep at most that often. Each
    /// removal is written to the log and to the account settings' history
    /// (a deleted key keeps no history of its own).
    pub fn remove_expired_keys(
        &self,
        now: Timestamp,
        skip_within: jiff::SignedDuration,
    ) -> Result<Removal> {
        let mut run = Removal::default();
        for account_id in self.store.account_ids()? {
            if run.removed.len() >= MAX_REMOVALS_PER_RUN {
                run.incomplete = true;
                break;
            }
            // The record alone: the settings, without the members.
            let Some(account) = self.store.account_for(&account_id, "")? else {
                continue;
            };
            let recent = account
                .settings
                .expired_swept_at
                .is_some_and(|t| now.duration_since(t) < skip_within && t <= now);
            if recent {
                continue;
            }
            run.accounts += 1;
            let retention = account.settings.expired_key_retention_days;
            let room = MAX_REMOVALS_PER_RUN - run.removed.len();
            // Through the expiry index: the keys that expired on the day
            // the retention reaches back to, or before; not every key.
            let cutoff = now
                .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(retention)))
                .unwrap_or(Timestamp::MIN);
            let candidates = self.store.expiring_by(&account_id, cutoff)?;
            let mut due: Vec<ApiKey> = self
                .store
                .keys_by_id(&candidates)?
                .into_iter()
                .flatten()
                .filter(|k| k.account_id == account_id && k.removal_due(now, retention))
                .collect();
            let full = due.len() > room;
            due.truncate(room);
            let mut removed_here = Vec::new();
            for k in due {
                let Some(expires_at) = k.expires_at else {
                    continue;
                };
                match self.store.delete_key(&k.id, &k.entity_tag) {
                    Ok(()) => {}
                    // Changed or deleted meanwhile: the next run sees it again.
                    Err(StoreError::Conflict { .. } | StoreError::Gone) => continue,
                    Err(e) => return Err(e.into()),
                }
                tracing::info!(
                    account = %account_id,
                    key_id = %k.id,
                    expired_at = %expires_at,
                    retention_days = retention,
                    "expired API key removed"
                );
                removed_here.push(Removed {
                    account_id: account_id.clone(),
                    id: k.id,
                    name: k.name,
                    iam_id: k.iam_id,
                    expires_at,
                });
            }
            // The account record is read again under the writers' lock, so
            // a settings change made meanwhile is kept.
            let _serial = self.serial();
            if let Some(current) = self.store.account(&account_id)? {
                let mut current = Arc::unwrap_or_clone(current);
                for r in &removed_here {
                    current.settings.noted(
                        "remove",
                        format!(
                            "Expired API key {:?} ({}) of {} removed: expired at {}, kept {} days",
                            r.name, r.id, r.iam_id, r.expires_at, retention
                        ),
                        now,
                    );
                }
                if !full {
                    current.settings.expired_swept_at = Some(now);
                }
                if !removed_here.is_empty() || !full {
                    self.store.put_account(&current)?;
                }
            }
            run.removed.extend(removed_here);
            if full {
                run.incomplete = true;
            }
        }
        Ok(run)
    }

    /// Rotates a key: a new key with the same name, description and
    /// settings (action when leaked, session support, and the same
    /// lifetime from now if the old key has an expiry) is created first;
    /// then the old key is disabled, or deleted with `delete_old`. If that
    /// second step fails, the new key is deleted again and the old key is
    /// left as it was, working.
    ///
    /// The rules are those of creating and of changing: a user key is
    /// rotated by its own user (user keys are created by their user, under
    /// the account's creation restriction), a service ID key by those who
    /// may create service ID keys and change them; classic keys and locked
    /// keys are refused. The old key does not count against the
    /// per-identity limit: its replacement takes its place, so rotating
    /// at the limit works (after a rotation that disables the old key the
    /// identity holds one key over the limit until the old one is
    /// deleted; further creations are refused until then).
    pub fn rotate(
        &self,
        s: &Session,
        key_ref: &str,
        delete_old: bool,
        tag: Option<&str>,
    ) -> Result<Rotated> {
        let _serial = self.serial();
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let old = self.resolve_in(&account, me, key_ref)?;
        let tag = super::change::unchanged_since(&old, tag)?;
        let held = if old.kind == KeyKind::Classic {
            0
        } else {
            self.store
                .count_keys_of_owner(&account.id, &old.iam_id, old.kind)?
                .saturating_sub(1)
        };
        access::may_rotate(&account, me, &KeyFacts::of(&old), delete_old, held)?;
        let at = now();
        let spec = replacement(&old, at);
        let (mut new, value) = self.new_key(&account, me, old.kind, &old.iam_id, &spec, None)?;
        new.record(
            at,
            me,
            "rotate",
            format!(
                "Replaces {} ({}), {} by this rotation",
                old.name,
                old.id,
                if delete_old { "deleted" } else { "disabled" }
            ),
        );
        self.store.put_key(&new, None)?;
        let second_step = if delete_old {
            super::change::against_tag(self.store.delete_key(&old.id, &tag), &old.id, &tag)
                .map(|()| old.clone())
        } else {
            let mut changed = old.clone();
            changed.disabled = true;
            changed.entity_tag = ApiKey::next_entity_tag(Some(&tag));
            changed.modified_at = at;
            changed.record(
                at,
                me,
                "rotate",
                format!("Rotated: replaced by {} and disabled", new.id),
            );
            self.put_changed(&changed, &tag).map(|()| changed)
        };
        let old_after = match second_step {
            Ok(k) => k,
            Err(why) => {
                // Undo the first step: the old key stays as it was.
                let undo = self.store.delete_key(&new.id, &new.entity_tag);
                tracing::warn!(key_id = %old.id, new_key_id = %new.id, error = %why, undone = undo.is_ok(), "rotation failed");
                return Err(match undo {
                    Ok(()) => ServiceError::Store(StoreError::Io {
                        dir: self.dir().to_path_buf(),
                        detail: format!(
                            "the rotation of {} failed ({why}); the new key was removed and {} works as before",
                            old.name, old.name
                        ),
                    }),
                    Err(e) => ServiceError::Store(StoreError::Io {
                        dir: self.dir().to_path_buf(),
                        detail: format!(
                            "the rotation of {} failed ({why}), and removing its new key {} failed too ({e}); {} works as before: delete {} by hand",
                            old.name, new.id, old.name, new.id
                        ),
                    }),
                });
            }
        };
        tracing::info!(key_id = %old.id, new_key_id = %new.id, delete_old, actor = %s.user.email, "API key rotated");
        Ok(Rotated {
            created: self.finish_rotate(&account, new, value)?,
            old: old_after,
            old_deleted: delete_old,
        })
    }

    fn finish_rotate(
        &self,
        account: &Arc<Account>,
        key: ApiKey,
        value: ApiKeySecret,
    ) -> Result<Created> {
        Ok(Created {
            row: self.row(&self.names(account)?, key),
            secret: value,
        })
    }
}

/// What a rotation at `at` creates in place of `old`: its name,
/// description and settings, and as long a life as it had (at least a
/// minute), counted from `at`.
pub fn replacement(old: &ApiKey, at: Timestamp) -> NewKey {
    let expires_at = match old.expires_at.and_then(crate::time::Moment::instant) {
        Some(t) => {
            let life = t
                .duration_since(old.created_at)
                .max(jiff::SignedDuration::from_secs(60));
            Some(crate::time::Moment::from_timestamp(
                at.checked_add(life).unwrap_or(Timestamp::MAX),
            ))
        }
        None => old.expires_at.filter(|m| !m.reached(at)),
    };
    NewKey {
        name: old.name.clone(),
        description: old.description.clone(),
        action_when_leaked: old.action_when_leaked,
        support_sessions: old.support_sessions,
        expires_at,
        locked: false,
        disabled: false,
    }
}
