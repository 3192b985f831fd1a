//! The use cases of the API keys page. Both faces — the command line and
//! the console — call these and nothing else; every access rule is checked
//! here, through [`crate::access`].

mod json;

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;

use crate::access::{self, Denied, KeyAction, KeyFacts, ViewFilter};
use crate::domain::{
    Account, AccountSettings, Activity, ApiKey, Born, KeyKind, LeakAction, ServiceId, User,
};
use crate::secret::{self, ApiKeySecret, HashParams, KeyFormatError};
use crate::store::{Admission, Storage, StoreError};
pub use crate::store::{Problem, StoreInfo};

pub use json::{KeyJson, ListJson};

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
    fn page(&self, total: usize) -> (usize, usize) {
        let offset = self.offset.min(total);
        let end = self
            .limit
            .map_or(total, |l| offset.saturating_add(l).min(total));
        (offset, end)
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
}

#[derive(Debug, Clone)]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
}

/// A persona's accounts, each with the roles held there ("Owner" first).
pub type PersonaRoles = Vec<(String, Vec<String>)>;

pub use crate::domain::{THROTTLE_FREE_FAILURES, THROTTLE_MAX_WAIT_SECS, THROTTLE_WINDOW_SECS};

const MAX_NAME: usize = crate::text::MAX_NAME;
const MAX_DESCRIPTION: usize = crate::text::MAX_DESCRIPTION;

pub struct Service {
    store: Box<dyn Storage>,
    params: HashParams,
}

/// Now, to the second, as every stored time is.
pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).expect("the clock is in range")
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        hay.as_bytes()
            .windows(needle_lower.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
            || needle_lower.is_empty()
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// Does a row match a search? Name, description, owner and id, ignoring case.
pub fn matches(row: &KeyRow, needle_lower: &str) -> bool {
    needle_lower.is_empty()
        || contains_ci(&row.key.name, needle_lower)
        || contains_ci(&row.key.description, needle_lower)
        || contains_ci(&row.owner, needle_lower)
        || contains_ci(&row.key.id, needle_lower)
}

/// What a key sorts by for `field`: the one definition every listing (the
/// command line, paging by id, the console) orders by. Ties go by key id,
/// so the order is total.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Text(String),
    Time(Timestamp),
}

pub fn sort_key(row: &KeyRow, field: SortField) -> SortKey {
    match field {
        SortField::Name => SortKey::Text(row.key.name.to_lowercase()),
        SortField::Description => SortKey::Text(row.key.description.to_lowercase()),
        SortField::CreatedAt => SortKey::Time(row.key.created_at),
        SortField::CreatedBy => SortKey::Text(row.created_by.clone()),
    }
}

/// Orders rows by [`sort_key`], ties by id; `desc` reverses the whole order.
pub fn sort_rows(rows: &mut [KeyRow], field: SortField, desc: bool) {
    rows.sort_by_cached_key(|r| (sort_key(r, field), r.key.id.clone()));
    if desc {
        rows.reverse();
    }
}

/// The entity tag a change is made against: the one the caller read (or
/// the key's own), which must still be the key's.
fn unchanged_since(key: &ApiKey, given: Option<&str>) -> Result<String> {
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
fn against_tag<T>(answer: crate::store::Result<T>, key_id: &str, tag: &str) -> Result<T> {
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

/// Names for iam_ids within one account: members' emails, service IDs' names.
struct Names {
    names: HashMap<String, String>,
}

impl Names {
    fn label(&self, iam_id: &str) -> String {
        self.names
            .get(iam_id)
            .cloned()
            .unwrap_or_else(|| iam_id.to_string())
    }
}

impl Service {
    /// Opens the store in `dir`, hashing new keys with `params`.
    pub fn open(dir: &Path, params: HashParams) -> Result<Service> {
        Ok(Service {
            store: crate::store::open(dir)?,
            params,
        })
    }

    pub fn with_storage(store: Box<dyn Storage>, params: HashParams) -> Service {
        Service { store, params }
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

    fn account(&self, id: &str) -> Result<Account> {
        self.store
            .account(id)?
            .ok_or_else(|| ServiceError::Denied(Denied::NotMember(id.to_string())))
    }

    /// The session's account, refusing if the user is no longer a member.
    fn context(&self, s: &Session) -> Result<Account> {
        let account = self.account(&s.account_id)?;
        access::member(&account, &s.user.iam_id)?;
        Ok(account)
    }

    fn names(&self, account: &Account) -> Result<Names> {
        let mut names: HashMap<String, String> = account
            .members
            .iter()
            .map(|m| (m.iam_id.clone(), m.email.clone()))
            .collect();
        for s in self.store.service_ids(&account.id)? {
            names.insert(s.iam_id, s.name);
        }
        Ok(Names { names })
    }

    fn row(names: &Names, key: ApiKey) -> KeyRow {
        KeyRow {
            owner: names.label(&key.iam_id),
            created_by: names.label(&key.created_by),
            key,
        }
    }

    fn choose_account(
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
    pub fn personas(&self) -> Result<Vec<(User, PersonaRoles)>> {
        if !self.info().demo {
            return Err(Denied::NotDemo.into());
        }
        let mut out = Vec::new();
        for u in self.store.users()? {
            let mut per_account = Vec::new();
            for a in self.store.accounts_of(&u.iam_id)? {
                if let Some(acc) = self.store.account(&a)? {
                    let mut roles: Vec<String> = Vec::new();
                    if acc.owner == u.iam_id {
                        roles.push("Owner".into());
                    }
                    if let Some(m) = acc.member(&u.iam_id) {
                        roles.extend(m.roles.iter().map(|r| r.label().to_string()));
                    }
                    per_account.push((a, roles));
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
            if key.kind != KeyKind::User {
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
                    id: a.id,
                    name: a.name,
                });
            }
        }
        Ok(out)
    }

    pub fn account_of(&self, s: &Session) -> Result<Account> {
        self.context(s)
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

    fn has_classic_key(&self, account: &Account, iam_id: &str) -> Result<bool> {
        Ok(self
            .store
            .count_keys_of_owner(&account.id, iam_id, KeyKind::Classic)?
            > 0)
    }

    /// The View filter options this user may use here, with what each allows now.
    pub fn views(&self, s: &Session) -> Result<Vec<ViewInfo>> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let mut out = Vec::new();
        for view in access::views(&account, me) {
            let refusal = match view {
                ViewFilter::MyApiKeys => {
                    let own = self
                        .store
                        .count_keys_of_owner(&account.id, me, KeyKind::User)?;
                    access::may_create_user_key(&account, me, own).err()
                }
                ViewFilter::ClassicInfrastructure => {
                    let has = self.has_classic_key(&account, me)?;
                    access::may_create_classic_key(&account, me, has).err()
                }
                _ => None,
            };
            out.push(ViewInfo {
                view,
                actions: access::view_actions(view, refusal.is_none()),
                create_refused: refusal,
            });
        }
        Ok(out)
    }

    /// Visits every key `view` shows to the signed-in user, reading only
    /// that view's index: the "My" view reads one person's keys.
    fn scan_view(
        &self,
        account: &Account,
        me: &str,
        view: ViewFilter,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()> {
        access::may_use_view(account, me, view)?;
        match view {
            ViewFilter::MyApiKeys => {
                for k in self.store.keys_of_owner(&account.id, me, KeyKind::User)? {
                    if !each(k) {
                        break;
                    }
                }
            }
            ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => {
                self.store.scan_kind(&account.id, view.kind(), each)?;
            }
            ViewFilter::ClassicInfrastructure => {
                self.store
                    .scan_kind(&account.id, KeyKind::Classic, &mut |k| {
                        if access::in_view(account, me, view, &KeyFacts::of(&k)) {
                            each(k)
                        } else {
                            true
                        }
                    })?;
            }
        }
        Ok(())
    }

    /// One page of a view: searched, sorted, paged.
    pub fn list(&self, s: &Session, q: &ListQuery) -> Result<Listing> {
        let account = self.context(s)?;
        let names = self.names(&account)?;
        let needle = q.search.trim().to_lowercase();
        let mut rows = Vec::new();
        self.scan_view(&account, &s.user.iam_id, q.view, &mut |k| {
            let row = Self::row(&names, k);
            if matches(&row, &needle) {
                rows.push(row);
            }
            true
        })?;
        sort_rows(&mut rows, q.sort, q.desc);
        let total = rows.len();
        let (offset, end) = q.page(total);
        rows.truncate(end);
        rows.drain(..offset);
        Ok(Listing {
            total,
            offset,
            rows,
        })
    }

    /// Like [`Service::list`], but holds only a sort key and an id per
    /// matching key: memory stays small however large the view. The rows
    /// are then read one at a time with [`Service::page_rows`].
    pub fn list_ids(&self, s: &Session, q: &ListQuery) -> Result<PageIds> {
        let account = self.context(s)?;
        let names = self.names(&account)?;
        let needle = q.search.trim().to_lowercase();
        let mut hits: Vec<(SortKey, String)> = Vec::new();
        self.scan_view(&account, &s.user.iam_id, q.view, &mut |k| {
            let row = Self::row(&names, k);
            if matches(&row, &needle) {
                hits.push((sort_key(&row, q.sort), row.key.id));
            }
            true
        })?;
        hits.sort_unstable();
        if q.desc {
            hits.reverse();
        }
        let total = hits.len();
        let (offset, end) = q.page(total);
        Ok(PageIds {
            total,
            offset,
            ids: hits.drain(offset..end).map(|(_, id)| id).collect(),
            names,
        })
    }

    /// The rows of a page, read from the store one at a time; a key deleted
    /// since the page was listed is skipped.
    pub fn page_rows<'a>(&'a self, page: &'a PageIds) -> impl Iterator<Item = Result<KeyRow>> + 'a {
        page.ids
            .iter()
            .filter_map(move |id| match self.store.key(id) {
                Ok(Some(k)) => Some(Ok(Self::row(&page.names, k))),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            })
    }

    /// Every key the user can see in this account, across all their views.
    fn visible(
        &self,
        account: &Account,
        me: &str,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()> {
        let views = access::views(account, me);
        let mut go_on = true;
        for view in views {
            if view == ViewFilter::MyApiKeys
                && views_contains(account, me, ViewFilter::AllUserApiKeys)
            {
                continue; // the all-users view includes one's own keys
            }
            self.scan_view(account, me, view, &mut |k| {
                go_on = each(k);
                go_on
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }

    /// Finds a key by id, or by a name unique among the keys the user can
    /// see here. A key the user cannot see is reported as not found.
    pub fn resolve(&self, s: &Session, key_ref: &str) -> Result<ApiKey> {
        let account = self.context(s)?;
        self.resolve_in(&account, &s.user.iam_id, key_ref)
    }

    /// [`Service::resolve`] in an account already read.
    fn resolve_in(&self, account: &Account, me: &str, key_ref: &str) -> Result<ApiKey> {
        not_a_value(key_ref, "a key id or name")?;
        if let Some(k) = self.store.key(key_ref)? {
            if k.account_id == account.id && access::can_see(account, me, &KeyFacts::of(&k)) {
                return Ok(k);
            }
            return Err(not_found(key_ref));
        }
        let mut found = Vec::new();
        self.visible(account, me, &mut |k| {
            if k.name == key_ref {
                found.push(k);
            }
            true
        })?;
        match found.len() {
            0 => Err(not_found(key_ref)),
            1 => Ok(found.pop().expect("one")),
            _ => {
                let mut ids: Vec<String> = found.into_iter().map(|k| k.id).collect();
                ids.sort();
                Err(ServiceError::BadInput(format!(
                    "the name {key_ref:?} is ambiguous: it names {} keys; use an id: {}",
                    ids.len(),
                    ids.join(", ")
                )))
            }
        }
    }

    /// Email or service ID name for every identity of the session's account,
    /// by iam_id: for showing history actors as people read them.
    pub fn identity_names(&self, s: &Session) -> Result<HashMap<String, String>> {
        let account = self.context(s)?;
        Ok(self.names(&account)?.names)
    }

    pub fn get(&self, s: &Session, key_ref: &str) -> Result<KeyRow> {
        let account = self.context(s)?;
        let key = self.resolve_in(&account, &s.user.iam_id, key_ref)?;
        Ok(Self::row(&self.names(&account)?, key))
    }

    /// The actions the user may take on this key now.
    pub fn actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>> {
        let account = self.context(s)?;
        Ok(access::key_actions(
            &account,
            &s.user.iam_id,
            &KeyFacts::of(key),
        ))
    }

    // ---- create ----------------------------------------------------------

    fn new_key(
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
        Ok((key, value))
    }

    fn finish_create(
        &self,
        account: &Account,
        key: ApiKey,
        value: ApiKeySecret,
    ) -> Result<Created> {
        self.store.put_key(&key, None)?;
        tracing::info!(key_id = %key.id, kind = key.kind.label(), account = %account.id, actor = %key.created_by, "API key created");
        Ok(Created {
            row: Self::row(&self.names(account)?, key),
            secret: value,
        })
    }

    /// A user API key for the signed-in user.
    pub fn create_user_key(&self, s: &Session, spec: &NewKey) -> Result<Created> {
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

    fn find_service_id(&self, account: &Account, service_ref: &str) -> Result<ServiceId> {
        self.store
            .service_ids(&account.id)?
            .into_iter()
            .find(|sid| sid.id == service_ref || sid.name == service_ref)
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

    /// Loads a key for a change, checks the rule, applies `change`, writes
    /// it back only if nobody changed it meanwhile, and flushes.
    fn change(
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
        Ok(Self::row(&self.names(&account)?, key))
    }

    fn put_changed(&self, key: &ApiKey, tag: &str) -> Result<()> {
        against_tag(self.store.put_key(key, Some(tag)), &key.id, tag)
    }

    pub fn update(&self, s: &Session, key_ref: &str, u: &KeyUpdate) -> Result<KeyRow> {
        if u.name.is_none() && u.description.is_none() && u.action_when_leaked.is_none() {
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

    pub fn settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)> {
        let account = self.context(s)?;
        let refusal = access::may_change_settings(&account, &s.user.iam_id).err();
        Ok((account.settings, refusal))
    }

    pub fn set_restrict_creation(&self, s: &Session, on: bool) -> Result<AccountSettings> {
        let mut account = self.context(s)?;
        access::may_change_settings(&account, &s.user.iam_id)?;
        account.settings.restrict_api_key_creation = on;
        self.store.put_account(&account)?;
        tracing::info!(account = %account.id, actor = %s.user.email, restrict = on, "account setting changed");
        Ok(account.settings)
    }
}

fn views_contains(account: &Account, me: &str, view: ViewFilter) -> bool {
    access::may_use_view(account, me, view).is_ok()
}
