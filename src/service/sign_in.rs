//! Signing in: as a persona on a demo store or with an API key (one
//! lookup and one argon2 verify, throttled), and choosing the account.

use super::*;

impl Service {
    pub(super) fn choose_account(
        &self,
        user: &User,
        wanted: Option<&str>,
        default: Option<&str>,
    ) -> Result<String> {
        if let Some(id) = wanted {
            not_a_value(id, "an account id")?;
        }
        let accounts = self.store.accounts_of(&user.iam_id)?;
        let pick = match wanted {
            Some(id) => {
                if !accounts.iter().any(|a| a == id) {
                    return Err(Denied::NotMember(id.to_string()).into());
                }
                id.to_string()
            }
            None => match default {
                Some(d) if accounts.iter().any(|a| a == d) => d.to_string(),
                _ => accounts
                    .first()
                    .cloned()
                    .ok_or(Denied::SignIn("this user is a member of no account"))?,
            },
        };
        Ok(pick)
    }

    // ---- sign-in -------------------------------------------------------

    /// The personas a demo store offers, with their roles per account.
    pub fn personas(&self) -> Result<Vec<(User, Vec<AccountRoles>)>> {
        if !self.info().demo {
            return Err(Denied::NotDemo.into());
        }
        let mut out = Vec::new();
        for u in self.store.users()? {
            let mut per_account = Vec::new();
            for a in self.store.accounts_of(&u.iam_id)? {
                if let Some(acc) = self.store.account(&a)? {
                    per_account.push(AccountRoles {
                        owner: acc.owner == u.iam_id,
                        roles: acc
                            .member(&u.iam_id)
                            .map(|m| m.roles.iter().copied().collect())
                            .unwrap_or_default(),
                        account_id: a,
                    });
                }
            }
            out.push((u, per_account));
        }
        Ok(out)
    }

    /// Signs in a fixture persona: only on a demo store.
    pub fn sign_in_as(&self, email: &str, account: Option<&str>) -> Result<Session> {
        if !self.info().demo {
            return Err(Denied::NotDemo.into());
        }
        let user = self.store.user_by_email(email)?.ok_or(Denied::SignIn(
            "there is no persona with that email in this demo",
        ))?;
        let account_id = self.choose_account(&user, account, None)?;
        Ok(Session {
            user,
            account_id,
            key_id: None,
        })
    }

    /// Signs in with an API key value: one index lookup and one argon2
    /// verification. Only an enabled, unexpired user key opens a session; it
    /// opens it in every account of its user.
    ///
    /// The throttle admits the attempt before the value is verified, in one
    /// step of the store with counting it as failed (see
    /// [`Storage::admit_sign_in`]); a right value takes that back.
    pub fn sign_in_key(&self, value: &str, account: Option<&str>) -> Result<Session> {
        self.sign_in_with(value, account, false)
    }

    /// [`Service::sign_in_key`]; with `service_ids`, a service ID's key
    /// signs in its service ID (for a token), in the key's account.
    pub(super) fn sign_in_with(
        &self,
        value: &str,
        account: Option<&str>,
        service_ids: bool,
    ) -> Result<Session> {
        let secret = secret::parse(value)?;
        let unknown = Denied::SignIn("the API key is unknown or wrong");
        let Some(key) = self.store.key_by_lookup(secret.lookup())? else {
            return Err(unknown.into());
        };
        let at = Timestamp::now();
        let now = now();
        match self.store.admit_sign_in(&key.id, at) {
            Ok(Admission::Admitted) => {}
            Ok(Admission::Wait(wait)) => {
                tracing::warn!(key_id = %key.id, wait, "sign-in throttled after repeated failures");
                return Err(Denied::Throttled(wait).into());
            }
            Err(StoreError::Gone) => return Err(unknown.into()),
            Err(e) => return Err(e.into()),
        }
        let ok = key
            .hash
            .as_deref()
            .is_some_and(|h| secret::verify(&secret, h));
        drop(secret);
        let settle =
            |update: &dyn Fn(&mut ApiKey)| match self.store.settle_sign_in(&key.id, at, ok, update)
            {
                Err(StoreError::Gone) => Err(ServiceError::from(unknown.clone())),
                other => Ok(other?),
            };
        if !ok {
            tracing::warn!(key_id = %key.id, "sign-in with a wrong value refused");
            settle(&|k| {
                k.record(
                    now,
                    "unknown",
                    "sign-in failed",
                    "A sign-in with a wrong value for this key was refused",
                );
            })?;
            return Err(unknown.into());
        }
        let refusal = |key: &ApiKey| {
            if key.kind == KeyKind::Classic || (key.kind == KeyKind::ServiceId && !service_ids) {
                Some(Denied::SignIn(
                    "service ID and classic infrastructure API keys cannot sign in to iamkeys: use a user API key",
                ))
            } else if key.disabled {
                Some(Denied::SignIn("the API key is disabled"))
            } else if key.is_expired(now) {
                Some(Denied::SignIn("the API key has expired"))
            } else {
                None
            }
        };
        let opened = (|| {
            if let Some(denied) = refusal(&key) {
                return Err(denied.into());
            }
            if key.kind == KeyKind::ServiceId {
                let user = self
                    .service_identity(&key.account_id, &key.iam_id)?
                    .ok_or(Denied::SignIn("the key's service ID no longer exists"))?;
                return Ok((user, key.account_id.clone()));
            }
            let user = self
                .store
                .user(&key.iam_id)?
                .ok_or(Denied::SignIn("the key's user no longer exists"))?;
            let account_id = self.choose_account(&user, account, Some(&key.account_id))?;
            Ok((user, account_id))
        })();
        let (user, account_id) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                settle(&|_| {})?;
                return Err(e);
            }
        };
        // The stored key decides: it may have been disabled meanwhile.
        let stored = settle(&|k| {
            if refusal(k).is_none() {
                k.activity = Activity {
                    last_authn: Some(now),
                    authn_count: k.activity.authn_count.saturating_add(1),
                };
            }
        })?;
        if let Some(denied) = refusal(&stored) {
            return Err(denied.into());
        }
        tracing::info!(key_id = %key.id, user = %user.email, account = %account_id, "signed in with an API key");
        Ok(Session {
            user,
            account_id,
            key_id: Some(key.id),
        })
    }

    pub fn accounts(&self, s: &Session) -> Result<Vec<AccountSummary>> {
        let mut out = Vec::new();
        for id in self.store.accounts_of(&s.user.iam_id)? {
            if let Some(a) = self.store.account(&id)? {
                out.push(AccountSummary {
                    id: a.id.clone(),
                    name: a.name.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The session's account with every member (the console names
    /// history actors by them).
    pub fn account_of(&self, s: &Session) -> Result<Account> {
        let account = self.context(s)?;
        self.account(&account.id).map(Arc::unwrap_or_clone)
    }

    /// The same person in another of their accounts.
    pub fn switch_account(&self, s: &Session, account_id: &str) -> Result<Session> {
        let account_id = self.choose_account(&s.user, Some(account_id), None)?;
        Ok(Session {
            account_id,
            ..s.clone()
        })
    }

    // ---- views and lists -----------------------------------------------
}
