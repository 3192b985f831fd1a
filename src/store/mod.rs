//! Storage behind a narrow interface. The service layer sees only
//! [`Storage`]; sled lives in [`sled_store`], so another backend (a shared,
//! server-backed store for teams) can be added without touching the service
//! or the access rules.

pub mod layout;
mod lock;
pub mod record;
mod sled_store;

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::domain::{Account, ApiKey, KeyKind, Membership, ServiceId, User};

pub use lock::{DAMAGED_PREFIX, DirLock, LOCK_FILE, STORE_DIR};
pub use sled_store::{PackedKeys, SledStore};

/// The schema this build writes and reads. An older store is migrated when
/// it is opened (see [`record`]).
pub const SCHEMA_VERSION: u32 = 5;

/// The oldest schema this build still migrates from.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store in {0} is busy: another iamkeys process is using it. Close that console or wait for that command to finish, or use another --data-dir"
    )]
    Busy(PathBuf),
    #[error(
        "there is no store in {0}: run `iamkeys seed FILE` to create one, or `iamkeys` to start on the demo"
    )]
    Missing(PathBuf),
    #[error(
        "the store in {dir} has schema version {found}, newer than this iamkeys supports ({supported}): use a newer iamkeys"
    )]
    NewerSchema {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the store in {dir} is damaged: {detail}. Restore it from a backup, or seed a new one with `iamkeys seed FILE --replace` (the damaged files are kept aside)"
    )]
    Damaged { dir: PathBuf, detail: String },
    #[error("the store in {dir} could not be used: {detail}")]
    Io { dir: PathBuf, detail: String },
    /// The key changed since the caller read it.
    #[error("the key changed meanwhile")]
    Conflict { current: String },
    #[error("the key no longer exists")]
    Gone,
    /// The store is behind a server that cannot be reached, or failed.
    #[error("{0}")]
    Server(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the store knows about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub schema_version: u32,
    /// Seeded from a fixture marked `demo: true`: personas may sign in.
    pub demo: bool,
    /// Where it was seeded from.
    pub source: String,
}

/// Everything a fixture puts in a new store.
#[derive(Debug, Default)]
pub struct Seed {
    pub users: Vec<User>,
    pub accounts: Vec<Account>,
    pub service_ids: Vec<ServiceId>,
    pub keys: Vec<ApiKey>,
}

/// The throttle's answer to a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The value may be verified; the attempt counts as failed until settled.
    Admitted,
    /// Too many recent failures: try again in this many seconds.
    Wait(u64),
}

/// One problem found by [`Storage::check`].
pub type Problem = String;

/// The operations the service layer needs, and no more.
pub trait Storage: Send + Sync {
    fn info(&self) -> &StoreInfo;
    fn dir(&self) -> &Path;

    fn user(&self, iam_id: &str) -> Result<Option<User>>;
    fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;
    /// The accounts a user is a member of, in fixture order.
    fn accounts_of(&self, iam_id: &str) -> Result<Vec<String>>;
    /// An account, shared: decoding one with many members costs, so a
    /// store may hand out the same decoding while the record is unchanged.
    fn account(&self, id: &str) -> Result<Option<std::sync::Arc<Account>>>;
    /// An account with one member only, `iam_id` (none if `iam_id` is not
    /// a member): what the access rules need to judge that member's
    /// request, read without the others.
    fn account_for(&self, id: &str, iam_id: &str) -> Result<Option<std::sync::Arc<Account>>> {
        let _ = iam_id;
        self.account(id)
    }
    /// One member of an account.
    fn member(&self, account_id: &str, iam_id: &str) -> Result<Option<Membership>> {
        Ok(self
            .account(account_id)?
            .and_then(|a| a.member(iam_id).cloned()))
    }
    /// The ids of every account, in the store's order.
    fn account_ids(&self) -> Result<Vec<String>> {
        let mut seen = std::collections::BTreeSet::new();
        for u in self.users()? {
            seen.extend(self.accounts_of(&u.iam_id)?);
        }
        Ok(seen.into_iter().collect())
    }
    /// Replaces an account record (settings), durably.
    fn put_account(&self, account: &Account) -> Result<()>;

    fn service_ids(&self, account_id: &str) -> Result<Vec<ServiceId>>;
    /// Writes a service ID durably. With `expected_tag`, refuses with
    /// `Conflict` unless the stored one still has that entity tag (and
    /// `Gone` if there is none); with `None`, it must be new.
    fn put_service_id(&self, sid: &ServiceId, expected_tag: Option<&str>) -> Result<()>;
    /// Removes a service ID and every key it owns, in one transaction, and
    /// flushes; returns how many keys went with it.
    fn delete_service_id(&self, sid: &ServiceId) -> Result<usize>;

    fn key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Many keys by id, in the order asked (`None` where one is gone); a
    /// store may read them in its own order.
    fn keys_by_id(&self, ids: &[String]) -> Result<Vec<Option<ApiKey>>> {
        ids.iter().map(|id| self.key(id)).collect()
    }
    fn key_by_lookup(&self, lookup: &str) -> Result<Option<ApiKey>>;
    /// One identity's keys of one kind in an account, through the owner index.
    fn keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<Vec<ApiKey>>;
    fn count_keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<usize>;
    /// The keys of an account with exactly this name (compared byte for
    /// byte, as typed), through the name index: the others are not read.
    fn keys_named(&self, account_id: &str, name: &str) -> Result<Vec<ApiKey>>;
    /// How many keys of one kind an account holds, when the store can tell
    /// without reading them.
    fn count_kind(&self, _account_id: &str, _kind: KeyKind) -> Result<Option<usize>> {
        Ok(None)
    }
    /// Every key of one kind in an account, in the store's order, streamed
    /// to `each` until it returns false.
    fn scan_kind(
        &self,
        account_id: &str,
        kind: KeyKind,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()>;

    /// The ids of the keys of an account that expire by `t`, and perhaps
    /// others later that day (an expiry index is kept by day): the caller
    /// checks each key it reads.
    fn expiring_by(&self, account_id: &str, t: Timestamp) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for kind in [KeyKind::User, KeyKind::ServiceId, KeyKind::Classic] {
            self.scan_kind(account_id, kind, &mut |k| {
                if k.expires_at.is_some_and(|m| m.reached(t)) {
                    ids.push(k.id);
                }
                true
            })?;
        }
        Ok(ids)
    }

    /// Writes a key and its indexes in one transaction and flushes. With
    /// `expected_tag`, refuses with `Conflict` unless the stored key still
    /// has that entity tag; with `None`, the key must be new.
    fn put_key(&self, key: &ApiKey, expected_tag: Option<&str>) -> Result<()>;
    /// Removes a key and its indexes in one transaction and flushes, if its
    /// entity tag is still `expected_tag`.
    fn delete_key(&self, id: &str, expected_tag: &str) -> Result<()>;
    /// Admits a sign-in attempt against key `id` at `at`, or refuses it, in
    /// one atomic step with counting it: see [`SignInFailures::admit`].
    ///
    /// [`SignInFailures::admit`]: crate::domain::SignInFailures::admit
    fn admit_sign_in(&self, id: &str, at: Timestamp) -> Result<Admission>;
    /// Settles the attempt admitted at `at`: with `right`, the value was
    /// right and the failure counted at admission is taken back. `update`
    /// records activity or history on the stored key, without an entity-tag
    /// change (a change to what the indexes hold — account, owner, kind,
    /// name, lookup id — is refused); the key as stored afterwards is
    /// returned.
    fn settle_sign_in(
        &self,
        id: &str,
        at: Timestamp,
        right: bool,
        update: &dyn Fn(&mut ApiKey),
    ) -> Result<ApiKey>;

    /// Verifies that records and indexes agree.
    fn check(&self) -> Result<Vec<Problem>>;
}

/// Where stores come from: a backend finds, creates and opens them. The
/// application layer ([`crate::app`]) asks [`backend`] for one and never
/// names an implementation, so another backend (a server that owns the
/// store) joins behind this seam.
pub trait Backend: Send + Sync {
    /// Whether the data directory holds a store.
    fn exists(&self, dir: &Path) -> bool;
    /// Creates a store from `seed` in the data directory `lock` holds,
    /// replacing the one there when `replace` is set; returns where a
    /// damaged store that was replaced was kept.
    fn create(
        &self,
        lock: &DirLock,
        seed: &Seed,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>>;
    /// [`create`](Self::create) for a seed whose keys are `keys` (its own
    /// `keys` are not written), handed over packed.
    fn create_packed(
        &self,
        lock: &DirLock,
        seed: &Seed,
        keys: PackedKeys,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>>;
    /// Opens the store of the data directory `lock` holds, for as long as
    /// the returned storage lives.
    fn open(&self, lock: std::sync::Arc<DirLock>) -> Result<Box<dyn Storage>>;
}

/// The local backend: a sled store in the data directory.
pub struct Local;

impl Backend for Local {
    fn exists(&self, dir: &Path) -> bool {
        SledStore::exists(dir)
    }

    fn create(
        &self,
        lock: &DirLock,
        seed: &Seed,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>> {
        SledStore::create_locked(lock, seed, demo, source, replace)
    }

    fn create_packed(
        &self,
        lock: &DirLock,
        seed: &Seed,
        keys: PackedKeys,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>> {
        SledStore::create_packed(lock, seed, keys, demo, source, replace)
    }

    fn open(&self, lock: std::sync::Arc<DirLock>) -> Result<Box<dyn Storage>> {
        Ok(Box::new(SledStore::open_locked(lock)?))
    }
}

/// The backend this build uses.
pub fn backend() -> &'static dyn Backend {
    &Local
}

/// Opens the store in `dir`, taking its lock for as long as it is open.
pub fn open(dir: &Path) -> Result<Box<dyn Storage>> {
    backend().open(DirLock::acquire(dir)?)
}
