//! The use cases of the API keys page. Both faces — the command line and
//! the console — call these and nothing else; every access rule is checked
//! here, through [`crate::access`].

mod change;
mod create;
mod housekeeping;
mod identity;
mod leak;
mod list;
mod settings;
mod sign_in;
mod spill;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use crate::access::{self, Denied, KeyAction, KeyFacts, ViewFilter};
use crate::domain::{
    Account, AccountSettings, Activity, ApiKey, Born, HistoryEntry, KeyKind, LeakAction, ServiceId,
    User,
};
use crate::secret::{self, ApiKeySecret, HashParams, KeyFormatError};
use crate::store::{Admission, Storage, StoreError};
pub use crate::store::{Problem, StoreInfo};

pub use housekeeping::{
    DEFAULT_INACTIVE_DAYS, MAX_INACTIVE_DAYS, MAX_REMOVALS_PER_RUN, Removal, Removed, Rotated,
    check_days, check_inactive_days, inactive_since, replacement,
};
pub use identity::{InactiveReport, NewServiceId, ServiceIdUpdate, settings_tag};
pub use leak::{LeakOutcome, Taken};
pub use list::{LEAKED_FILTER, SortKey, matches, sort_key, sort_rows};

/// Everything that can go wrong, sorted by what the user should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request itself is wrong (exit 2).
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    KeyFormat(#[from] KeyFormatError),
    /// A rule refuses it (exit 3).
    #[error("refused: {0}")]
    Denied(#[from] Denied),
    /// No such thing, or one the signed-in user cannot see (exit 4).
    #[error("{0}")]
    NotFound(String),
    /// The store is busy, damaged or unreadable (exit 1).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// Whether this refuses a change made against a stale entity tag.
    pub fn is_stale(&self) -> bool {
        matches!(
            self,
            ServiceError::Denied(Denied::StaleEntityTag { .. } | Denied::RemoteStale(_))
        )
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            ServiceError::BadInput(_) | ServiceError::KeyFormat(_) => 2,
            ServiceError::Denied(_) => 3,
            ServiceError::NotFound(_) => 4,
            ServiceError::Store(_) => 1,
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

fn not_found(what: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no API key {what} among the keys you can see in this account"
    ))
}

/// Who is signed in, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub account_id: String,
    /// The key used to sign in, if any (a persona signs in without one).
    pub key_id: Option<String>,
}

/// A key with the names the page shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub key: ApiKey,
    /// The owning user's email, or the service ID's name.
    pub owner: String,
    /// The creating user's email.
    pub created_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Name,
    Description,
    CreatedAt,
    CreatedBy,
}

impl SortField {
    pub const ALL: [SortField; 4] = [
        SortField::Name,
        SortField::Description,
        SortField::CreatedAt,
        SortField::CreatedBy,
    ];
    pub fn id(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Description => "description",
            SortField::CreatedAt => "created_at",
            SortField::CreatedBy => "created_by",
        }
    }
    pub fn parse(s: &str) -> Option<SortField> {
        SortField::ALL.into_iter().find(|f| f.id() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub view: ViewFilter,
    pub search: String,
    pub sort: SortField,
    pub desc: bool,
    pub offset: usize,
    pub limit: Option<usize>,
}

impl ListQuery {
    /// The page asked for among `total` matching keys, as the range
    /// `offset..end` (both within `total`).
    /// The page of `total` rows this query asks for, as `offset..end`.
    pub fn page(&self, total: usize) -> (usize, usize) {
        let offset = self.offset.min(total);
        let end = self
            .limit
            .map_or(total, |l| offset.saturating_add(l).min(total));
        (offset, end)
    }

    /// `rows` in this query's order, cut to its page.
    pub fn listing(&self, mut rows: Vec<KeyRow>) -> Listing {
        list::sort_rows(&mut rows, self.sort, self.desc);
        let total = rows.len();
        let (offset, end) = self.page(total);
        rows.truncate(end);
        rows.drain(..offset);
        Listing {
            total,
            offset,
            rows,
        }
    }
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            view: ViewFilter::MyApiKeys,
            search: String::new(),
            sort: SortField::Name,
            desc: false,
            offset: 0,
            limit: None,
        }
    }
}

/// A page of a view as ids, in order: see [`Service::list_ids`].
pub struct PageIds {
    pub total: usize,
    pub offset: usize,
    pub ids: Vec<String>,
    names: Names,
}

#[derive(Debug, Clone)]
pub struct Listing {
    /// Rows matching the search, before paging.
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<KeyRow>,
}

/// One View filter option as offered now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewInfo {
    pub view: ViewFilter,
    pub actions: Vec<KeyAction>,
    /// Why creating is not possible in this view now, where Table 1 offers it.
    pub create_refused: Option<Denied>,
}

/// What a create dialog asks for.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    pub name: String,
    pub description: String,
    pub action_when_leaked: LeakAction,
    pub support_sessions: bool,
    pub expires_at: Option<crate::time::Moment>,
    pub locked: bool,
    /// Created disabled (the API's `Entity-Disable`).
    pub disabled: bool,
}

/// A new key, with its value: shown once, then gone.
#[derive(Debug)]
pub struct Created {
    pub row: KeyRow,
    pub secret: ApiKeySecret,
}

#[derive(Debug, Clone, Default)]
pub struct KeyUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub action_when_leaked: Option<LeakAction>,
    /// The entity tag the caller saw; a stale one is refused.
    pub entity_tag: Option<String>,
    /// A new expiry (`Some(None)` removes it); one in the past expires the
    /// key at once.
    pub expires_at: Option<Option<crate::time::Moment>>,
}

#[derive(Debug, Clone)]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
}

/// What a persona holds in one account: ownership and the roles granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRoles {
    pub account_id: String,
    pub owner: bool,
    pub roles: Vec<crate::domain::Role>,
}

pub use crate::domain::{THROTTLE_FREE_FAILURES, THROTTLE_MAX_WAIT_SECS, THROTTLE_WINDOW_SECS};

const MAX_NAME: usize = crate::text::MAX_NAME;
const MAX_DESCRIPTION: usize = crate::text::MAX_DESCRIPTION;

pub struct Service {
    store: Box<dyn Storage>,
    params: HashParams,
    /// Held by every change that reads before it writes (a count against
    /// the limit, one classic key per user, a service ID and its keys), so
    /// that concurrent callers of one service cannot both pass a check.
    writes: std::sync::Mutex<()>,
}

/// Now, to the second, as every stored time is.
pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).expect("the clock is in range")
}

/// Refuses an API key value given where `expected` (an id or a name) is
/// asked for: checked before any lookup, and never quoted back.
fn not_a_value(given: &str, expected: &str) -> Result<()> {
    if secret::looks_like_key(given) {
        return Err(ServiceError::BadInput(format!(
            "that is an API key value, not {expected}"
        )));
    }
    Ok(())
}

fn check_text(what: &str, value: &str, max: usize, required: bool) -> Result<String> {
    if secret::looks_like_key(value) {
        return Err(ServiceError::BadInput(format!(
            "the {what} contains an API key value: a key value is never stored in a {what}"
        )));
    }
    crate::text::check(what, value, max, required).map_err(ServiceError::BadInput)
}

/// Names for iam_ids within one account: service IDs' names, and members'
/// emails, each looked up (and kept) the first time it is asked for, so
/// that a listing reads only the members whose keys it shows.
struct Names {
    account_id: String,
    /// Labels known so far; service IDs' names take precedence.
    known: std::sync::Mutex<HashMap<String, String>>,
}

impl Names {
    fn into_map(self) -> HashMap<String, String> {
        self.known
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Service {
    /// Opens the store in `dir`, hashing new keys with `params`.
    pub fn open(dir: &Path, params: HashParams) -> Result<Service> {
        Ok(Service::with_storage(crate::store::open(dir)?, params))
    }

    pub fn with_storage(store: Box<dyn Storage>, params: HashParams) -> Service {
        Service {
            store,
            params,
            writes: std::sync::Mutex::new(()),
        }
    }

    /// Serialises changes that check before they write: see `writes`.
    pub(super) fn serial(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn info(&self) -> &StoreInfo {
        self.store.info()
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    pub fn check(&self) -> Result<Vec<Problem>> {
        Ok(self.store.check()?)
    }

    fn account(&self, id: &str) -> Result<Arc<Account>> {
        self.store
            .account(id)?
            .ok_or_else(|| ServiceError::Denied(Denied::NotMember(id.to_string())))
    }

    /// The session's account, refusing if the user is no longer a member.
    ///
    /// The account holds the signed-in member only: what the access rules
    /// judge by, read without the account's other members.
    fn context(&self, s: &Session) -> Result<Arc<Account>> {
        let account = self
            .store
            .account_for(&s.account_id, &s.user.iam_id)?
            .ok_or_else(|| ServiceError::Denied(Denied::NotMember(s.account_id.clone())))?;
        access::member(&account, &s.user.iam_id)?;
        Ok(account)
    }

    fn names(&self, account: &Account) -> Result<Names> {
        let services = self
            .store
            .service_ids(&account.id)?
            .into_iter()
            .map(|s| (s.iam_id, s.name))
            .collect();
        Ok(Names {
            account_id: account.id.clone(),
            known: std::sync::Mutex::new(services),
        })
    }

    /// How `iam_id` is shown: a service ID's name, a member's email, or
    /// the iam_id itself.
    fn label(&self, names: &Names, iam_id: &str) -> String {
        let mut known = names
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(l) = known.get(iam_id) {
            return l.clone();
        }
        let label = match self.store.member(&names.account_id, iam_id) {
            Ok(Some(m)) => m.email,
            // Shown as the iam_id; a store that cannot be read fails the
            // listing's own reads as well.
            _ => iam_id.to_string(),
        };
        known.insert(iam_id.to_string(), label.clone());
        label
    }

    fn row(&self, names: &Names, key: ApiKey) -> KeyRow {
        KeyRow {
            owner: self.label(names, &key.iam_id),
            created_by: self.label(names, &key.created_by),
            key,
        }
    }
}
