//! Creating keys: user API keys, service ID keys and classic
//! infrastructure keys, each shown once.

use super::*;

impl Service {
    pub(super) fn new_key(
        &self,
        account: &Account,
        actor: &str,
        kind: KeyKind,
        owner: &str,
        spec: &NewKey,
        default_name: Option<String>,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        let name = match default_name {
            Some(n) if spec.name.trim().is_empty() => n,
            _ => check_text("name", &spec.name, MAX_NAME, true)?,
        };
        let description = check_text("description", &spec.description, MAX_DESCRIPTION, false)?;
        let now = now();
        if let Some(t) = spec.expires_at
            && t.reached(now)
        {
            return Err(ServiceError::BadInput(format!(
                "the expiry {t} is not in the future"
            )));
        }
        let value = secret::generate();
        let hash = secret::hash(&value, self.params);
        let id = ApiKey::new_id();
        let mut key = ApiKey::new(
            Born {
                id,
                kind,
                account_id: &account.id,
                iam_id: owner.to_string(),
                created_by: actor.to_string(),
                at: now,
                name,
                description,
            },
            "API key created",
        );
        key.locked = spec.locked;
        key.action_when_leaked = spec.action_when_leaked;
        key.support_sessions = spec.support_sessions;
        key.expires_at = spec.expires_at;
        key.lookup = Some(value.lookup().to_string());
        key.hash = Some(hash);
        if spec.locked {
            key.record(now, actor, "lock", "Locked at creation");
        }
        key.disabled = spec.disabled;
        if spec.disabled {
            key.record(now, actor, "disable", "Disabled at creation");
        }
        Ok((key, value))
    }

    pub(super) fn finish_create(
        &self,
        account: &Arc<Account>,
        key: ApiKey,
        value: ApiKeySecret,
    ) -> Result<Created> {
        self.store.put_key(&key, None)?;
        tracing::info!(key_id = %key.id, kind = key.kind.label(), account = %account.id, actor = %key.created_by, "API key created");
        Ok(Created {
            row: self.row(&self.names(account)?, key),
            secret: value,
        })
    }

    /// A user API key for the signed-in user.
    pub fn create_user_key(&self, s: &Session, spec: &NewKey) -> Result<Created> {
        let _serial = self.serial();
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let own = self
            .store
            .count_keys_of_owner(&account.id, me, KeyKind::User)?;
        access::may_create_user_key(&account, me, own)?;
        let (key, value) = self.new_key(&account, me, KeyKind::User, me, spec, None)?;
        self.finish_create(&account, key, value)
    }

    /// Finds a service ID of this account by id or name.
    pub fn service_id(&self, s: &Session, service_ref: &str) -> Result<ServiceId> {
        not_a_value(service_ref, "a service ID's id or name")?;
        let account = self.context(s)?;
        self.find_service_id(&account, service_ref)
    }

    pub(super) fn find_service_id(
        &self,
        account: &Account,
        service_ref: &str,
    ) -> Result<ServiceId> {
        self.store
            .service_ids(&account.id)?
            .into_iter()
            .find(|sid| {
                sid.id == service_ref || sid.iam_id == service_ref || sid.name == service_ref
            })
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no service ID {service_ref:?} in account {}",
                    account.id
                ))
            })
    }

    pub fn service_ids(&self, s: &Session) -> Result<Vec<ServiceId>> {
        let account = self.context(s)?;
        Ok(self.store.service_ids(&account.id)?)
    }

    /// An API key for a service ID. The creation restriction does not apply.
    pub fn create_service_key(
        &self,
        s: &Session,
        service_ref: &str,
        spec: &NewKey,
    ) -> Result<Created> {
        not_a_value(service_ref, "a service ID's id or name")?;
        let _serial = self.serial();
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        // The rule first: whoever may not create service ID keys learns
        // nothing about which service IDs exist.
        access::may_create_service_keys(&account, me)?;
        let sid = self.find_service_id(&account, service_ref)?;
        let existing =
            self.store
                .count_keys_of_owner(&account.id, &sid.iam_id, KeyKind::ServiceId)?;
        access::may_create_service_key(&account, me, existing)?;
        if spec.support_sessions {
            return Err(ServiceError::BadInput(
                "session support applies to user API keys only".into(),
            ));
        }
        let (key, value) =
            self.new_key(&account, me, KeyKind::ServiceId, &sid.iam_id, spec, None)?;
        self.finish_create(&account, key, value)
    }

    /// The signed-in user's classic infrastructure key: one per user.
    pub fn create_classic_key(&self, s: &Session) -> Result<Created> {
        let _serial = self.serial();
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let has = self.has_classic_key(&account, me)?;
        access::may_create_classic_key(&account, me, has)?;
        let spec = NewKey::default();
        let name = "Classic infrastructure API key".to_string();
        let (key, value) = self.new_key(&account, me, KeyKind::Classic, me, &spec, Some(name))?;
        self.finish_create(&account, key, value)
    }

    // ---- changes -------------------------------------------------------------
}
