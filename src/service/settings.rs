//! Account settings: reading them, and the restriction on creating keys.

use super::*;

impl Service {
    pub fn settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)> {
        let account = self.context(s)?;
        let refusal = access::may_change_settings(&account, &s.user.iam_id).err();
        Ok((account.settings.clone(), refusal))
    }

    pub fn set_restrict_creation(&self, s: &Session, on: bool) -> Result<AccountSettings> {
        // One writer of the account record at a time: an API write of the
        // settings in between would otherwise be lost.
        let _serial = self.serial();
        let mut account = Arc::unwrap_or_clone(self.context(s)?);
        access::may_change_settings(&account, &s.user.iam_id)?;
        account.settings.restrict_api_key_creation = on;
        let state = if on { "RESTRICTED" } else { "NOT_RESTRICTED" };
        account.settings.changed(
            &s.user.iam_id,
            &format!("restrict_create_platform_apikey {state}"),
            now(),
        );
        self.store.put_account(&account)?;
        tracing::info!(account = %account.id, actor = %s.user.email, restrict = on, "account setting changed");
        Ok(account.settings)
    }
}
