//! Leaks: what a scan does about a key value it found, and clearing the
//! mark after the key was rotated.

use super::*;
use crate::domain::{Leak, MAX_LEAK_PLACES};

/// What was done about one value found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeakOutcome {
    /// No key in this store has this value (no key has its lookup id, or
    /// the one that has is another value).
    NotInStore,
    /// A key of an account where the signed-in user is neither the owner
    /// nor an Administrator: reported, not touched.
    NotPermitted { account_id: String },
    /// The key was marked leaked and its action when leaked applied.
    Acted {
        key_id: String,
        name: String,
        owner: String,
        account_id: String,
        taken: Taken,
    },
}

/// The action a leak led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Action when leaked `none`: marked only.
    Marked,
    /// Marked and disabled.
    Disabled,
    /// Marked; it was disabled already.
    AlreadyDisabled,
    /// Deleted (with its record, its mark and history).
    Deleted,
    /// Locked: marked, not changed (its action when leaked was not applied).
    LockedMarked(LeakAction),
}

impl Taken {
    pub fn id(self) -> &'static str {
        match self {
            Taken::Marked => "marked",
            Taken::Disabled => "disabled",
            Taken::AlreadyDisabled => "already_disabled",
            Taken::Deleted => "deleted",
            Taken::LockedMarked(_) => "locked_marked",
        }
    }

    /// In words, for text output and history.
    pub fn words(self) -> String {
        match self {
            Taken::Marked => "marked leaked (action when leaked: none)".into(),
            Taken::Disabled => "marked leaked and disabled".into(),
            Taken::AlreadyDisabled => "marked leaked (already disabled)".into(),
            Taken::Deleted => "deleted (action when leaked: delete)".into(),
            Taken::LockedMarked(a) => format!(
                "marked leaked; locked, so not changed (action when leaked: {})",
                a.label()
            ),
        }
    }
}

impl Service {
    /// Acts on a key value a scan found in `places` (`found` in all): if a
    /// key of this store has that value, and the signed-in user is the
    /// owner or an Administrator of its account, the key is marked leaked
    /// (where and when, never the value), its action when leaked is
    /// applied (a locked key is marked, not changed) and its history says
    /// so.
    ///
    /// Deciding that text is a key value costs no hashing (the checksum
    /// did); finding the key is one lookup by its public lookup id; and
    /// before acting, the value is verified against the key's stored hash
    /// once, so a text that merely shares a lookup id changes nothing.
    pub fn record_leak(
        &self,
        s: &Session,
        value: &ApiKeySecret,
        places: &[String],
        found: u64,
    ) -> Result<LeakOutcome> {
        let me = &s.user.iam_id;
        // A few rounds against concurrent changes (a sign-in, an edit).
        for _ in 0..5 {
            let Some(mut key) = self.store.key_by_lookup(value.lookup())? else {
                return Ok(LeakOutcome::NotInStore);
            };
            if !key
                .hash
                .as_deref()
                .is_some_and(|h| secret::verify(value, h))
            {
                return Ok(LeakOutcome::NotInStore);
            }
            let account = self
                .store
                .account_for(&key.account_id, me)?
                .ok_or_else(|| ServiceError::Denied(Denied::NotMember(key.account_id.clone())))?;
            if !access::is_admin(&account, me) {
                return Ok(LeakOutcome::NotPermitted {
                    account_id: key.account_id,
                });
            }
            let names = self.names(&account)?;
            let now = now();
            let tag = key.entity_tag.clone();
            let taken = if key.locked {
                Taken::LockedMarked(key.action_when_leaked)
            } else {
                match key.action_when_leaked {
                    LeakAction::None => Taken::Marked,
                    LeakAction::Disable if key.disabled => Taken::AlreadyDisabled,
                    LeakAction::Disable => Taken::Disabled,
                    LeakAction::Delete => Taken::Deleted,
                }
            };
            let outcome = LeakOutcome::Acted {
                key_id: key.id.clone(),
                name: key.name.clone(),
                owner: self.label(&names, &key.iam_id),
                account_id: key.account_id.clone(),
                taken,
            };
            if taken == Taken::Deleted {
                match self.store.delete_key(&key.id, &tag) {
                    Ok(()) => {
                        tracing::warn!(key_id = %key.id, actor = %s.user.email, found, "API key found leaked and deleted");
                        return Ok(outcome);
                    }
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(StoreError::Gone) => return Ok(LeakOutcome::NotInStore),
                    Err(e) => return Err(e.into()),
                }
            }
            let shown: Vec<String> = places
                .iter()
                .take(MAX_LEAK_PLACES)
                .map(|p| secret::redact_values(p).into_owned())
                .collect();
            let more = found.saturating_sub(shown.len() as u64);
            let mut message = format!(
                "Found leaked in {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more place(s)")
                } else {
                    String::new()
                }
            );
            message.push_str("; ");
            message.push_str(&taken.words());
            key.leak = Some(Leak {
                at: now,
                by: me.clone(),
                places: shown,
                found,
            });
            if taken == Taken::Disabled {
                key.disabled = true;
            }
            key.entity_tag = ApiKey::next_entity_tag(Some(&tag));
            key.modified_at = now;
            key.record(now, me, "leaked", message);
            match self.store.put_key(&key, Some(&tag)) {
                Ok(()) => {
                    tracing::warn!(key_id = %key.id, actor = %s.user.email, found, action = taken.id(), "API key found leaked");
                    return Ok(outcome);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::Gone) => return Ok(LeakOutcome::NotInStore),
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Store(StoreError::Io {
            dir: self.dir().to_path_buf(),
            detail: "the key kept changing while it was being marked leaked; scan again".into(),
        }))
    }

    /// Clears a key's leak mark, after the key was rotated: the owner or an
    /// Administrator of the account, on a key they can see, against the
    /// entity tag they read. Allowed on a locked key too (the mark is not
    /// one of the key's settings); recorded in its history.
    pub fn clear_leak(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<KeyRow> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let mut key = self.resolve_in(&account, me, key_ref)?;
        let tag = change::unchanged_since(&key, tag)?;
        if !access::is_admin(&account, me) {
            return Err(Denied::LeakNeedsAdmin("clear").into());
        }
        let Some(leak) = key.leak.take() else {
            return Err(ServiceError::BadInput(format!(
                "the key {} is not marked leaked",
                key.id
            )));
        };
        let now = now();
        key.entity_tag = ApiKey::next_entity_tag(Some(&tag));
        key.modified_at = now;
        key.record(
            now,
            me,
            "leak cleared",
            format!(
                "Leak mark cleared (found leaked {})",
                leak.at.strftime("%Y-%m-%d %H:%M UTC")
            ),
        );
        self.put_changed(&key, &tag)?;
        tracing::info!(key_id = %key.id, actor = %s.user.email, "API key leak mark cleared");
        Ok(self.row(&self.names(&account)?, key))
    }
}
