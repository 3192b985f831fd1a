//! Changing keys: editing, locking, disabling and deleting, each against
//! the entity tag the caller read.

use super::*;

impl Service {
    /// Loads a key for a change, checks the rule, applies `change`, writes
    /// it back only if nobody changed it meanwhile, and flushes.
    pub(super) fn change(
        &self,
        s: &Session,
        key_ref: &str,
        action: KeyAction,
        expected_tag: Option<&str>,
        change: impl FnOnce(&mut ApiKey) -> Result<String>,
    ) -> Result<KeyRow> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let mut key = self.resolve_in(&account, me, key_ref)?;
        let tag = unchanged_since(&key, expected_tag)?;
        access::check(&account, me, action, &KeyFacts::of(&key))?;
        let message = change(&mut key)?;
        let now = now();
        key.entity_tag = ApiKey::next_entity_tag(Some(&tag));
        key.modified_at = now;
        key.record(now, me, action.id(), message);
        self.put_changed(&key, &tag)?;
        tracing::info!(key_id = %key.id, action = action.id(), actor = %s.user.email, "API key changed");
        Ok(self.row(&self.names(&account)?, key))
    }

    pub(super) fn put_changed(&self, key: &ApiKey, tag: &str) -> Result<()> {
        against_tag(self.store.put_key(key, Some(tag)), &key.id, tag)
    }

    pub fn update(&self, s: &Session, key_ref: &str, u: &KeyUpdate) -> Result<KeyRow> {
        if u.name.is_none()
            && u.description.is_none()
            && u.action_when_leaked.is_none()
            && u.expires_at.is_none()
        {
            return Err(ServiceError::BadInput(
                "nothing to change: give a new name, description or action when leaked".into(),
            ));
        }
        let name = u
            .name
            .as_deref()
            .map(|n| check_text("name", n, MAX_NAME, true))
            .transpose()?;
        let description = u
            .description
            .as_deref()
            .map(|d| check_text("description", d, MAX_DESCRIPTION, false))
            .transpose()?;
        self.change(s, key_ref, KeyAction::Edit, u.entity_tag.as_deref(), |k| {
            let mut changed = Vec::new();
            if let Some(n) = name
                && n != k.name
            {
                changed.push(format!("name from {:?} to {:?}", k.name, n));
                k.name = n;
            }
            if let Some(d) = description
                && d != k.description
            {
                changed.push("description".to_string());
                k.description = d;
            }
            if let Some(a) = u.action_when_leaked
                && a != k.action_when_leaked
            {
                changed.push(format!(
                    "action when leaked from {} to {}",
                    k.action_when_leaked.label(),
                    a.label()
                ));
                k.action_when_leaked = a;
            }
            if let Some(e) = u.expires_at
                && e != k.expires_at
            {
                changed.push(match e {
                    Some(t) => format!("expiry to {t}"),
                    None => "expiry removed".to_string(),
                });
                k.expires_at = e;
            }
            Ok(if changed.is_empty() {
                "Saved without changes".to_string()
            } else {
                format!("Changed {}", changed.join(", "))
            })
        })
    }

    /// Locks, unlocks, disables or enables a key: `action` is one of those
    /// four (anything else is bad input).
    pub fn switch(
        &self,
        s: &Session,
        key_ref: &str,
        action: KeyAction,
        tag: Option<&str>,
    ) -> Result<KeyRow> {
        let (set, message): (fn(&mut ApiKey), &str) = match action {
            KeyAction::Lock => (|k| k.locked = true, "API key locked"),
            KeyAction::Unlock => (|k| k.locked = false, "API key unlocked"),
            KeyAction::Disable => (|k| k.disabled = true, "API key disabled"),
            KeyAction::Enable => (|k| k.disabled = false, "API key enabled"),
            other => {
                return Err(ServiceError::BadInput(format!(
                    "{} is not a lock or disable switch",
                    other.id()
                )));
            }
        };
        self.change(s, key_ref, action, tag, |k| {
            set(k);
            Ok(message.into())
        })
    }

    pub fn set_locked(
        &self,
        s: &Session,
        key_ref: &str,
        locked: bool,
        tag: Option<&str>,
    ) -> Result<KeyRow> {
        let action = if locked {
            KeyAction::Lock
        } else {
            KeyAction::Unlock
        };
        self.switch(s, key_ref, action, tag)
    }

    pub fn set_disabled(
        &self,
        s: &Session,
        key_ref: &str,
        disabled: bool,
        tag: Option<&str>,
    ) -> Result<KeyRow> {
        let action = if disabled {
            KeyAction::Disable
        } else {
            KeyAction::Enable
        };
        self.switch(s, key_ref, action, tag)
    }

    /// Deletes a key, if the rules allow and it is unchanged since `tag`.
    pub fn delete(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<ApiKey> {
        let account = self.context(s)?;
        let key = self.resolve_in(&account, &s.user.iam_id, key_ref)?;
        let tag = unchanged_since(&key, tag)?;
        access::check(
            &account,
            &s.user.iam_id,
            KeyAction::Delete,
            &KeyFacts::of(&key),
        )?;
        against_tag(self.store.delete_key(&key.id, &tag), &key.id, &tag)?;
        tracing::info!(key_id = %key.id, actor = %s.user.email, "API key deleted");
        Ok(key)
    }

    // ---- account settings --------------------------------------------------
}

/// The entity tag a change is made against: the one the caller read (or
/// the key's own), which must still be the key's.
pub(super) fn unchanged_since(key: &ApiKey, given: Option<&str>) -> Result<String> {
    let tag = given.unwrap_or(&key.entity_tag);
    if tag == key.entity_tag {
        Ok(tag.to_string())
    } else {
        Err(Denied::StaleEntityTag {
            given: tag.to_string(),
            current: key.entity_tag.clone(),
        }
        .into())
    }
}

/// The store's answer to a change made against `tag`: a key changed
/// meanwhile is a stale tag, a key deleted meanwhile is not found.
pub(super) fn against_tag<T>(
    answer: crate::store::Result<T>,
    key_id: &str,
    tag: &str,
) -> Result<T> {
    match answer {
        Err(StoreError::Conflict { current }) => Err(Denied::StaleEntityTag {
            given: tag.to_string(),
            current,
        }
        .into()),
        Err(StoreError::Gone) => Err(not_found(key_id)),
        other => Ok(other?),
    }
}
