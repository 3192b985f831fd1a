//! What the IAM Identity API offers beyond the page: service IDs, the
//! account's API settings, token identities (a service ID signs in with its
//! own key), a list of one identity's keys, and the inactive identities
//! report. The server is their first user; the rules are here, beside the
//! page's.

use super::*;

/// A service ID to create.
#[derive(Debug, Clone, Default)]
pub struct NewServiceId {
    pub name: String,
    pub description: String,
    pub locked: bool,
}

/// A change to a service ID; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ServiceIdUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Identities of an account with no authentication since a moment: see
/// [`super::housekeeping::inactive_since`] for the rule.
#[derive(Debug, Clone)]
pub struct InactiveReport {
    /// The start of the period: nothing authenticated since.
    pub since: Timestamp,
    /// Members none of whose user API keys is active (or who have none),
    /// with their last authentication if any.
    pub users: Vec<(User, Option<Timestamp>)>,
    /// User and service ID keys, with their owners' names.
    pub apikeys: Vec<KeyRow>,
    pub serviceids: Vec<(ServiceId, Option<Timestamp>)>,
}

impl Service {
    /// Whether a token issued for `key_id` still stands: the key exists,
    /// is enabled and unexpired. One lookup.
    pub fn key_still_valid(&self, key_id: &str) -> Result<bool> {
        Ok(self
            .store
            .key(key_id)?
            .is_some_and(|k| !k.disabled && !k.is_expired(now())))
    }

    /// The session a token names: the user (or service ID) `iam_id` in
    /// `account_id`, signed in with `key_id`.
    pub fn session_of(
        &self,
        iam_id: &str,
        account_id: &str,
        key_id: Option<&str>,
    ) -> Result<Option<Session>> {
        let user = match self.store.user(iam_id)? {
            Some(u) => u,
            None => match self.service_identity(account_id, iam_id)? {
                Some(u) => u,
                None => return Ok(None),
            },
        };
        Ok(Some(Session {
            user,
            account_id: account_id.to_string(),
            key_id: key_id.map(str::to_string),
        }))
    }

    /// A service ID as the identity of a session: a functional user named
    /// after it, a member of no account.
    pub(super) fn service_identity(&self, account_id: &str, iam_id: &str) -> Result<Option<User>> {
        Ok(self
            .store
            .service_ids(account_id)?
            .into_iter()
            .find(|s| s.iam_id == iam_id)
            .map(|s| User {
                iam_id: s.iam_id,
                email: s.name.clone(),
                name: s.name,
                functional: true,
            }))
    }

    /// Whether the session is a service ID's (signed in with its own key).
    pub fn is_service_identity(s: &Session) -> bool {
        s.user.iam_id.starts_with("iam-ServiceId-")
    }

    /// Signs in for a token: like [`Service::sign_in_key`], but a service
    /// ID's key signs in its service ID too.
    pub fn sign_in_token(&self, value: &str, account: Option<&str>) -> Result<Session> {
        self.sign_in_with(value, account, true)
    }

    /// A service ID's own keys, for a session of that service ID.
    pub fn own_service_keys(&self, s: &Session) -> Result<Vec<KeyRow>> {
        let names = self.service_names(s)?;
        Ok(self
            .store
            .keys_of_owner(&s.account_id, &s.user.iam_id, KeyKind::ServiceId)?
            .into_iter()
            .map(|k| self.row(&names, k))
            .collect())
    }

    /// One of a service ID's own keys, for a session of that service ID.
    pub fn own_service_key(&self, s: &Session, id: &str) -> Result<KeyRow> {
        not_a_value(id, "a key id")?;
        let names = self.service_names(s)?;
        match self.store.key(id)? {
            Some(k) if k.iam_id == s.user.iam_id && k.account_id == s.account_id => {
                Ok(self.row(&names, k))
            }
            _ => Err(not_found(id)),
        }
    }

    fn service_names(&self, s: &Session) -> Result<Names> {
        let account = self.account(&s.account_id)?;
        self.names(&account)
    }

    /// The keys of one identity (`iam_id`) of the session's account, as the
    /// API's list with `iam_id` asks: one's own keys need nothing, another
    /// user's or a service ID's need the view that shows them.
    pub fn list_of_identity(&self, s: &Session, iam_id: &str, q: &ListQuery) -> Result<Listing> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        if iam_id == me {
            return self.list_in(
                &account,
                s,
                &ListQuery {
                    view: ViewFilter::MyApiKeys,
                    ..q.clone()
                },
            );
        }
        let kind = if iam_id.starts_with("iam-ServiceId-") {
            KeyKind::ServiceId
        } else {
            KeyKind::User
        };
        let view = if kind == KeyKind::ServiceId {
            ViewFilter::AllServiceIdApiKeys
        } else {
            ViewFilter::AllUserApiKeys
        };
        access::may_use_view(&account, me, view)?;
        let names = self.names(&account)?;
        let needle = q.search.trim().to_lowercase();
        let rows: Vec<KeyRow> = self
            .store
            .keys_of_owner(&account.id, iam_id, kind)?
            .into_iter()
            .map(|k| self.row(&names, k))
            .filter(|r| matches(r, &needle))
            .collect();
        Ok(q.listing(rows))
    }

    // ---- service IDs ------------------------------------------------------

    /// The account's service IDs, or those named exactly `name`.
    pub fn list_service_ids(&self, s: &Session, name: Option<&str>) -> Result<Vec<ServiceId>> {
        let mut all = self.service_ids(s)?;
        if let Some(n) = name {
            all.retain(|sid| sid.name == n);
        }
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    /// A service ID of the account by its id.
    pub fn get_service_id(&self, s: &Session, id: &str) -> Result<ServiceId> {
        not_a_value(id, "a service ID's id")?;
        self.service_ids(s)?
            .into_iter()
            .find(|sid| sid.id == id)
            .ok_or_else(|| {
                ServiceError::NotFound(format!("no service ID {id:?} in account {}", s.account_id))
            })
    }

    pub fn create_service_id(&self, s: &Session, new: &NewServiceId) -> Result<ServiceId> {
        let _serial = self.serial();
        let account = self.context(s)?;
        access::may_create_service_id(&account, &s.user.iam_id)?;
        let name = check_text("name", &new.name, MAX_NAME, true)?;
        let description = check_text("description", &new.description, MAX_DESCRIPTION, false)?;
        let uuid = uuid::Uuid::new_v4();
        let id = format!("ServiceId-{uuid}");
        let now = now();
        let sid = ServiceId {
            iam_id: format!("iam-{id}"),
            id,
            account_id: account.id.clone(),
            name,
            description,
            locked: new.locked,
            entity_tag: ApiKey::next_entity_tag(None),
            created_at: Some(now),
            modified_at: Some(now),
            history: vec![HistoryEntry {
                timestamp: now,
                actor: s.user.iam_id.clone(),
                action: "create".into(),
                message: "Service ID created".into(),
            }],
        };
        self.store.put_service_id(&sid, None)?;
        tracing::info!(service_id = %sid.id, account = %account.id, actor = %s.user.email, "service ID created");
        Ok(sid)
    }

    /// Changes, locks or unlocks a service ID against the entity tag the
    /// caller read (`None`: whatever it is now).
    fn change_service_id(
        &self,
        s: &Session,
        id: &str,
        tag: Option<&str>,
        verb: &'static str,
        change: impl FnOnce(&mut ServiceId) -> Result<()>,
    ) -> Result<ServiceId> {
        let _serial = self.serial();
        let account = self.context(s)?;
        let mut sid = self.get_service_id(s, id)?;
        access::may_change_service_ids(&account, &s.user.iam_id)?;
        let current = sid.tag();
        if let Some(t) = tag
            && t != current
        {
            return Err(Denied::StaleEntityTag {
                given: t.to_string(),
                current,
            }
            .into());
        }
        change(&mut sid)?;
        let at = now();
        sid.entity_tag = ApiKey::next_entity_tag(Some(&current));
        sid.modified_at = Some(at);
        HistoryEntry::push(
            &mut sid.history,
            HistoryEntry {
                timestamp: at,
                actor: s.user.iam_id.clone(),
                action: verb.into(),
                message: format!("Service ID {verb}"),
            },
        );
        match self.store.put_service_id(&sid, Some(&current)) {
            Err(StoreError::Conflict { current: now_tag }) => Err(Denied::StaleEntityTag {
                given: current,
                current: now_tag,
            }
            .into()),
            Err(StoreError::Gone) => Err(ServiceError::NotFound(format!(
                "no service ID {id:?} in account {}",
                s.account_id
            ))),
            other => other.map_err(ServiceError::from),
        }?;
        tracing::info!(service_id = %sid.id, actor = %s.user.email, verb, "service ID changed");
        Ok(sid)
    }

    pub fn update_service_id(
        &self,
        s: &Session,
        id: &str,
        tag: Option<&str>,
        u: &ServiceIdUpdate,
    ) -> Result<ServiceId> {
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
        self.change_service_id(s, id, tag, "edit", |sid| {
            if sid.locked {
                return Err(Denied::LockedServiceId("edit").into());
            }
            if let Some(n) = name {
                sid.name = n;
            }
            if let Some(d) = description {
                sid.description = d;
            }
            Ok(())
        })
    }

    pub fn set_service_id_locked(&self, s: &Session, id: &str, locked: bool) -> Result<ServiceId> {
        let verb = if locked { "lock" } else { "unlock" };
        self.change_service_id(s, id, None, verb, |sid| {
            sid.locked = locked;
            Ok(())
        })
    }

    /// Deletes a service ID and its keys; returns how many keys went.
    pub fn delete_service_id(&self, s: &Session, id: &str) -> Result<usize> {
        let _serial = self.serial();
        let account = self.context(s)?;
        let sid = self.get_service_id(s, id)?;
        access::may_change_service_ids(&account, &s.user.iam_id)?;
        if sid.locked {
            return Err(Denied::LockedServiceId("delete").into());
        }
        let gone = match self.store.delete_service_id(&sid) {
            Err(StoreError::Gone) => {
                return Err(ServiceError::NotFound(format!(
                    "no service ID {id:?} in account {}",
                    s.account_id
                )));
            }
            other => other?,
        };
        tracing::info!(service_id = %sid.id, keys = gone, actor = %s.user.email, "service ID deleted");
        Ok(gone)
    }

    // ---- account settings through the API ---------------------------------

    /// Replaces the account's API settings with `fields` (IBM's names and
    /// values, as sent), against the entity tag the caller read. The two
    /// restrictions take effect; the rest is stored and echoed.
    pub fn put_api_settings(
        &self,
        s: &Session,
        tag: &str,
        fields: std::collections::BTreeMap<String, serde_json::Value>,
        restrict_keys: Option<bool>,
    ) -> Result<AccountSettings> {
        let _serial = self.serial();
        let mut account = Arc::unwrap_or_clone(self.context(s)?);
        access::may_change_settings(&account, &s.user.iam_id)?;
        let current = settings_tag(&account.settings);
        if tag != "*" && tag != current {
            return Err(Denied::StaleEntityTag {
                given: tag.to_string(),
                current,
            }
            .into());
        }
        let changed = fields.keys().cloned().collect::<Vec<_>>().join(", ");
        for (k, v) in fields {
            account.settings.api_fields.insert(k, v);
        }
        if let Some(on) = restrict_keys {
            account.settings.restrict_api_key_creation = on;
        }
        account.settings.changed(&s.user.iam_id, &changed, now());
        self.store.put_account(&account)?;
        tracing::info!(account = %account.id, actor = %s.user.email, "account settings changed through the API");
        Ok(account.settings)
    }

    // ---- the inactive identities report -----------------------------------

    /// Whether the session may ask for the inactive identities report:
    /// the account owner or an Administrator, as for the all-keys views.
    pub fn may_report(&self, s: &Session) -> Result<()> {
        let account = self.context(s)?;
        if !access::is_admin(&account, &s.user.iam_id) {
            return Err(Denied::NeedsAdmin("see the inactive identities report").into());
        }
        Ok(())
    }

    /// Who has not authenticated since `since` (a key that never did
    /// counts from its creation): for the account owner or an
    /// Administrator.
    pub fn inactive_report(&self, s: &Session, since: Timestamp) -> Result<InactiveReport> {
        self.may_report(s)?;
        // Every member is reported on, not only the signed-in one.
        let account = self.account(&s.account_id)?;
        let names = self.names(&account)?;
        // Per identity: its latest authentication, and whether any of its
        // keys is active.
        let mut last: HashMap<String, (Option<Timestamp>, bool)> = HashMap::new();
        let mut keys = Vec::new();
        for kind in [KeyKind::User, KeyKind::ServiceId] {
            self.store.scan_kind(&account.id, kind, &mut |k| {
                let seen = k.activity.last_authn;
                let inactive = super::housekeeping::inactive_since(&k, since);
                let entry = last.entry(k.iam_id.clone()).or_insert((None, false));
                if seen > entry.0 {
                    entry.0 = seen;
                }
                entry.1 |= !inactive;
                if inactive {
                    keys.push(k);
                }
                true
            })?;
        }
        let mut report = InactiveReport {
            since,
            users: Vec::new(),
            apikeys: keys.into_iter().map(|k| self.row(&names, k)).collect(),
            serviceids: Vec::new(),
        };
        let stale = |iam_id: &str| match last.get(iam_id) {
            Some((_, true)) => None,
            Some((seen, false)) => Some(*seen),
            None => Some(None),
        };
        for m in &account.members {
            if let Some(seen) = stale(&m.iam_id)
                && let Some(user) = self.store.user(&m.iam_id)?
            {
                report.users.push((user, seen));
            }
        }
        for sid in self.store.service_ids(&account.id)? {
            if let Some(seen) = stale(&sid.iam_id) {
                report.serviceids.push((sid, seen));
            }
        }
        Ok(report)
    }
}

/// The entity tag of an account's settings (one never written through the
/// API has the first one).
pub fn settings_tag(settings: &AccountSettings) -> String {
    if settings.entity_tag.is_empty() {
        "1-initial".to_string()
    } else {
        settings.entity_tag.clone()
    }
}

impl Service {
    /// The key whose value is `value`, for the API's details operation:
    /// one lookup and one argon2 verification, throttled as a sign-in is,
    /// but recorded as no authentication. Only a key of the caller's
    /// account is shown.
    pub fn key_of_value(&self, s: &Session, value: &str) -> Result<KeyRow> {
        let secret = secret::parse(value)?;
        let unknown = || ServiceError::NotFound("no API key has that value".to_string());
        let Some(key) = self.store.key_by_lookup(secret.lookup())? else {
            return Err(unknown());
        };
        let at = Timestamp::now();
        match self.store.admit_sign_in(&key.id, at) {
            Ok(Admission::Admitted) => {}
            Ok(Admission::Wait(wait)) => return Err(Denied::Throttled(wait).into()),
            Err(StoreError::Gone) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        }
        let ok = key
            .hash
            .as_deref()
            .is_some_and(|h| secret::verify(&secret, h));
        drop(secret);
        let stored = match self.store.settle_sign_in(&key.id, at, ok, &|_| {}) {
            Err(StoreError::Gone) => return Err(unknown()),
            other => other?,
        };
        if !ok || stored.account_id != s.account_id {
            return Err(unknown());
        }
        let names = self.service_names(s)?;
        Ok(self.row(&names, stored))
    }
}
