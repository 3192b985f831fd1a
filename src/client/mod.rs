//! The one seam both faces call: [`Client`], the operations of the API keys
//! page. Two implementations: the local [`Service`] over a store this
//! process opened, and [`remote::Remote`], a client of `iamkeys serve`. The
//! faces never know which one serves them.

pub mod remote;

use std::collections::HashMap;

use crate::access::{Denied, KeyAction};
use crate::domain::KeyKind;
use crate::domain::{Account, AccountSettings, ApiKey, User};
use crate::service::{
    AccountRoles, AccountSummary, Created, InactiveReport, KeyRow, KeyUpdate, ListQuery, Listing,
    NewKey, Problem, Result, Rotated, Service, Session, StoreInfo, ViewInfo,
};
use jiff::Timestamp;

/// One key in the inactive identities report, as both faces show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InactiveKey {
    pub id: String,
    pub name: String,
    pub kind: KeyKind,
    /// The owner's email, or the service ID's name.
    pub owner: String,
    pub last_authn: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// An identity (a user or a service ID) in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InactiveIdentity {
    /// The user's iam_id, or the service ID's id.
    pub id: String,
    /// The user's email, or the service ID's name.
    pub name: String,
    pub last_authn: Option<Timestamp>,
}

/// The inactive identities report: no authentication for `days` days
/// (since `since`); a key that never authenticated counts from its
/// creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    pub days: u32,
    pub since: Timestamp,
    pub keys: Vec<InactiveKey>,
    pub users: Vec<InactiveIdentity>,
    pub service_ids: Vec<InactiveIdentity>,
}

impl Inactive {
    pub fn of(days: u32, r: InactiveReport) -> Inactive {
        Inactive {
            days,
            since: r.since,
            keys: r
                .apikeys
                .into_iter()
                .map(|row| InactiveKey {
                    id: row.key.id,
                    name: row.key.name,
                    kind: row.key.kind,
                    owner: row.owner,
                    last_authn: row.key.activity.last_authn,
                    created_at: row.key.created_at,
                })
                .collect(),
            users: r
                .users
                .into_iter()
                .map(|(u, last)| InactiveIdentity {
                    id: u.iam_id,
                    name: u.email,
                    last_authn: last,
                })
                .collect(),
            service_ids: r
                .serviceids
                .into_iter()
                .map(|(sid, last)| InactiveIdentity {
                    id: sid.id,
                    name: sid.name,
                    last_authn: last,
                })
                .collect(),
        }
    }
}

/// A page of a view whose rows are read as they are written out: memory
/// stays small however large the view.
pub struct RowPage<'a> {
    /// Keys matching the search, before paging.
    pub total: usize,
    pub offset: usize,
    /// How many keys the page holds (a key deleted meanwhile is skipped
    /// when the rows are read).
    pub len: usize,
    pub rows: Box<dyn Iterator<Item = Result<KeyRow>> + 'a>,
}

/// The operations of the API keys page, as both faces use them. Every
/// access rule is checked behind this seam (by the service, locally or in
/// the server); errors carry the exit code and text the faces show.
pub trait Client: Send + Sync {
    /// The store: its schema, whether it is a demo, where it was seeded from.
    fn info(&self) -> StoreInfo;
    /// Where the store is, as the faces name it: its directory, or the
    /// server's URL.
    fn location(&self) -> String;
    /// Whether this client talks to a server: the console polls for
    /// changes made by others only then.
    fn is_remote(&self) -> bool {
        false
    }
    /// What this client cannot show, for the faces to say (a server that
    /// speaks only IBM's API); `None` when nothing is missing.
    fn notice(&self) -> Option<String> {
        None
    }
    /// Problems found by a consistency check of the whole store.
    fn check(&self) -> Result<Vec<Problem>>;

    fn personas(&self) -> Result<Vec<(User, Vec<AccountRoles>)>>;
    fn sign_in_as(&self, email: &str, account: Option<&str>) -> Result<Session>;
    fn sign_in_key(&self, value: &str, account: Option<&str>) -> Result<Session>;
    fn accounts(&self, s: &Session) -> Result<Vec<AccountSummary>>;
    fn account_of(&self, s: &Session) -> Result<Account>;
    fn switch_account(&self, s: &Session, account_id: &str) -> Result<Session>;

    fn views(&self, s: &Session) -> Result<Vec<ViewInfo>>;
    fn list(&self, s: &Session, q: &ListQuery) -> Result<Listing>;
    /// Like [`Client::list`], with the rows read as they are consumed.
    fn list_rows<'a>(&'a self, s: &Session, q: &ListQuery) -> Result<RowPage<'a>>;
    /// Every key of a view, unsorted, handed to `each` as it is read;
    /// `total` hears first how many there are, when the client can tell.
    fn scan_rows(
        &self,
        s: &Session,
        view: crate::access::ViewFilter,
        total: &mut dyn FnMut(usize),
        each: &mut dyn FnMut(KeyRow),
    ) -> Result<()> {
        let page = self.list_rows(
            s,
            &ListQuery {
                view,
                ..ListQuery::default()
            },
        )?;
        total(page.total);
        for row in page.rows {
            each(row?);
        }
        Ok(())
    }
    fn get(&self, s: &Session, key_ref: &str) -> Result<KeyRow>;
    fn resolve(&self, s: &Session, key_ref: &str) -> Result<ApiKey>;
    fn actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>>;
    fn identity_names(&self, s: &Session) -> Result<HashMap<String, String>>;

    fn create_user_key(&self, s: &Session, spec: &NewKey) -> Result<Created>;
    fn create_service_key(&self, s: &Session, service_ref: &str, spec: &NewKey) -> Result<Created>;
    fn create_classic_key(&self, s: &Session) -> Result<Created>;
    fn update(&self, s: &Session, key_ref: &str, u: &KeyUpdate) -> Result<KeyRow>;
    /// Locks, unlocks, disables or enables a key.
    fn switch(
        &self,
        s: &Session,
        key_ref: &str,
        action: KeyAction,
        tag: Option<&str>,
    ) -> Result<KeyRow>;
    fn set_locked(
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
    fn set_disabled(
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
    fn delete(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<ApiKey>;
    /// Clears a key's leak mark (after the key was rotated).
    fn clear_leak(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<KeyRow>;
    /// Acts on a key value a scan found in `places` (`found` in all): see
    /// [`Service::record_leak`].
    fn record_leak(
        &self,
        s: &Session,
        value: &crate::secret::ApiKeySecret,
        places: &[String],
        found: u64,
    ) -> Result<crate::service::LeakOutcome>;

    /// The account's settings, and why the user may not change them (if so).
    fn settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)>;
    fn set_restrict_creation(&self, s: &Session, on: bool) -> Result<AccountSettings>;
    /// Changes the expired key retention and the key age warning (days).
    fn set_housekeeping(
        &self,
        s: &Session,
        retention_days: Option<u32>,
        age_warning_days: Option<u32>,
    ) -> Result<AccountSettings>;

    /// The inactive identities report over the last `days` days (owner or
    /// Administrator).
    fn inactive(&self, s: &Session, days: u32) -> Result<Inactive>;
    /// Rotates a key: a new one like it, then the old one disabled (or
    /// deleted); a failure leaves the old key working.
    fn rotate(
        &self,
        s: &Session,
        key_ref: &str,
        delete_old: bool,
        tag: Option<&str>,
    ) -> Result<Rotated>;
}

/// The local service: a thin delegation to the store this process opened.
impl Client for Service {
    fn info(&self) -> StoreInfo {
        Service::info(self).clone()
    }
    fn location(&self) -> String {
        self.dir().display().to_string()
    }
    fn check(&self) -> Result<Vec<Problem>> {
        Service::check(self)
    }
    fn personas(&self) -> Result<Vec<(User, Vec<AccountRoles>)>> {
        Service::personas(self)
    }
    fn sign_in_as(&self, email: &str, account: Option<&str>) -> Result<Session> {
        Service::sign_in_as(self, email, account)
    }
    fn sign_in_key(&self, value: &str, account: Option<&str>) -> Result<Session> {
        Service::sign_in_key(self, value, account)
    }
    fn accounts(&self, s: &Session) -> Result<Vec<AccountSummary>> {
        Service::accounts(self, s)
    }
    fn account_of(&self, s: &Session) -> Result<Account> {
        Service::account_of(self, s)
    }
    fn switch_account(&self, s: &Session, account_id: &str) -> Result<Session> {
        Service::switch_account(self, s, account_id)
    }
    fn views(&self, s: &Session) -> Result<Vec<ViewInfo>> {
        Service::views(self, s)
    }
    fn list(&self, s: &Session, q: &ListQuery) -> Result<Listing> {
        Service::list(self, s, q)
    }
    fn list_rows<'a>(&'a self, s: &Session, q: &ListQuery) -> Result<RowPage<'a>> {
        let page = self.list_stream(s, q)?;
        Ok(RowPage {
            total: page.total,
            offset: page.offset,
            len: page.len,
            rows: page.rows,
        })
    }
    fn scan_rows(
        &self,
        s: &Session,
        view: crate::access::ViewFilter,
        total: &mut dyn FnMut(usize),
        each: &mut dyn FnMut(KeyRow),
    ) -> Result<()> {
        Service::scan_rows(self, s, view, total, each)
    }
    fn get(&self, s: &Session, key_ref: &str) -> Result<KeyRow> {
        Service::get(self, s, key_ref)
    }
    fn resolve(&self, s: &Session, key_ref: &str) -> Result<ApiKey> {
        Service::resolve(self, s, key_ref)
    }
    fn actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>> {
        Service::actions(self, s, key)
    }
    fn identity_names(&self, s: &Session) -> Result<HashMap<String, String>> {
        Service::identity_names(self, s)
    }
    fn create_user_key(&self, s: &Session, spec: &NewKey) -> Result<Created> {
        Service::create_user_key(self, s, spec)
    }
    fn create_service_key(&self, s: &Session, service_ref: &str, spec: &NewKey) -> Result<Created> {
        Service::create_service_key(self, s, service_ref, spec)
    }
    fn create_classic_key(&self, s: &Session) -> Result<Created> {
        Service::create_classic_key(self, s)
    }
    fn update(&self, s: &Session, key_ref: &str, u: &KeyUpdate) -> Result<KeyRow> {
        Service::update(self, s, key_ref, u)
    }
    fn switch(
        &self,
        s: &Session,
        key_ref: &str,
        action: KeyAction,
        tag: Option<&str>,
    ) -> Result<KeyRow> {
        Service::switch(self, s, key_ref, action, tag)
    }
    fn delete(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<ApiKey> {
        Service::delete(self, s, key_ref, tag)
    }
    fn clear_leak(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<KeyRow> {
        Service::clear_leak(self, s, key_ref, tag)
    }
    fn record_leak(
        &self,
        s: &Session,
        value: &crate::secret::ApiKeySecret,
        places: &[String],
        found: u64,
    ) -> Result<crate::service::LeakOutcome> {
        Service::record_leak(self, s, value, places, found)
    }
    fn settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)> {
        Service::settings(self, s)
    }
    fn set_restrict_creation(&self, s: &Session, on: bool) -> Result<AccountSettings> {
        Service::set_restrict_creation(self, s, on)
    }
    fn set_housekeeping(
        &self,
        s: &Session,
        retention_days: Option<u32>,
        age_warning_days: Option<u32>,
    ) -> Result<AccountSettings> {
        Service::set_housekeeping(self, s, retention_days, age_warning_days)
    }
    fn inactive(&self, s: &Session, days: u32) -> Result<Inactive> {
        Ok(Inactive::of(days, Service::inactive_days(self, s, days)?))
    }
    fn rotate(
        &self,
        s: &Session,
        key_ref: &str,
        delete_old: bool,
        tag: Option<&str>,
    ) -> Result<Rotated> {
        Service::rotate(self, s, key_ref, delete_old, tag)
    }
}
