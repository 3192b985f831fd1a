//! The sled backend.
//!
//! Trees:
//! * `meta`: schema version, demo flag, source
//! * `users`: iam_id → User; `users_by_email`: email → iam_id
//! * `memberships`: iam_id → [account id] (fixture order)
//! * `accounts`: id → Account without its members (JSON)
//! * `members`: account \0 iam_id → one member (JSON, with its place)
//! * `service_ids`: account \0 id → ServiceId
//! * `keys`, `keys_by_owner`, `keys_by_lookup`, `keys_by_name`: the keys
//!   and their indexes, packed into few entries (schema 4), compressed (schema 5): see
//!   [`crate::store::layout`].
//!
//! A key and its three indexes change in one sled transaction, followed by
//! a flush before the caller reports success. Key records are the store's
//! own types ([`super::record`]); a store of an older schema is migrated
//! when it is opened.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Db, Tree};

use super::layout::{self, Set};
use super::lock::{self, DirLock, STAGING_PREFIX, STORE_DIR};
use super::record::{self, KeyRecordV2};
use super::{
    Admission, OLDEST_SCHEMA_VERSION, Problem, Result, SCHEMA_VERSION, Seed, Storage, StoreError,
    StoreInfo,
};
use crate::domain::{Account, ApiKey, KeyKind, Membership, ServiceId, SignInFailures, User};

mod check;
mod encoding;

pub use encoding::PackedKeys;
mod migrate;
mod open;
mod seed;

use encoding::*;
use migrate::*;
use open::*;
use seed::*;

/// sled's page cache defaults to 1 GiB; this workload's hot set (one
/// account's index pages and the keys on screen) is far smaller.
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

pub struct SledStore {
    /// The data directory's lock, held as long as the store is open.
    _lock: Option<Arc<DirLock>>,
    dir: PathBuf,
    db: Db,
    info: StoreInfo,
    users: Tree,
    users_by_email: Tree,
    memberships: Tree,
    accounts: Tree,
    members: Tree,
    service_ids: Tree,
    keys: Tree,
    by_owner: Tree,
    by_lookup: Tree,
    by_name: Tree,
    by_expiry: Tree,
    /// Accounts as last decoded, each with the stored bytes of its record
    /// it was decoded from: see [`SledStore::account`].
    decoded_accounts: std::sync::Mutex<HashMap<String, (sled::IVec, Arc<Account>)>>,
    /// Record buckets as last unsealed, each with the stored bytes it was
    /// unsealed from: see [`SledStore::record_bucket`].
    unsealed_buckets: std::sync::Mutex<UnsealedBuckets>,
}

/// Record buckets unsealed by [`SledStore::record_bucket`], and their size.
#[derive(Default)]
struct UnsealedBuckets {
    buckets: HashMap<u16, (sled::IVec, Arc<[u8]>)>,
    bytes: usize,
}

/// A record bucket as read: stored plain, or unsealed.
enum Bucket {
    Plain(sled::IVec),
    Unsealed(Arc<[u8]>),
}

impl std::ops::Deref for Bucket {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bucket::Plain(b) => b,
            Bucket::Unsealed(b) => b,
        }
    }
}

type TxError = ConflictableTransactionError<StoreError>;
type TxResult = std::result::Result<(), TxError>;

/// The trees a key write touches, inside one transaction.
struct KeyTx<'a> {
    dir: &'a Path,
    keys: &'a TransactionalTree,
    owner: &'a TransactionalTree,
    lookup: &'a TransactionalTree,
    name: &'a TransactionalTree,
    expiry: &'a TransactionalTree,
}

impl KeyTx<'_> {
    fn set(&self, tree: &TransactionalTree, entry: &[u8]) -> std::result::Result<Set, TxError> {
        let bytes = tree.get(entry)?;
        Set::read(bytes.as_deref()).map_err(|e| abort(damaged(self.dir, e)))
    }

    /// Changes one packed entry, removing it once it is empty.
    fn update(&self, tree: &TransactionalTree, entry: &[u8], f: impl FnOnce(&mut Set)) -> TxResult {
        let mut set = self.set(tree, entry)?;
        f(&mut set);
        if set.is_empty() {
            tree.remove(entry)?;
        } else {
            tree.insert(entry, set.pack())?;
        }
        Ok(())
    }

    /// The stored record of key `id`, if any.
    fn record(&self, id: &str) -> std::result::Result<Option<Vec<u8>>, TxError> {
        let bucket = layout::record_bucket(id);
        let bytes = self.keys.get(bucket)?;
        match bytes {
            None => Ok(None),
            Some(b) => layout::open(&b)
                .and_then(|set| layout::find(&set, id.as_bytes()).map(|r| r.map(<[u8]>::to_vec)))
                .map_err(|e| abort(damaged(self.dir, e))),
        }
    }

    fn put_record(&self, id: &str, record: &[u8]) -> TxResult {
        self.update(self.keys, &layout::record_bucket(id), |s| {
            s.replace(id.as_bytes(), record);
        })
    }

    fn remove_record(&self, id: &str) -> TxResult {
        self.update(self.keys, &layout::record_bucket(id), |s| {
            s.remove_all(id.as_bytes());
        })
    }

    fn tree(&self, index: Index) -> &TransactionalTree {
        match index {
            Index::Owner => self.owner,
            Index::Name => self.name,
            Index::Lookup => self.lookup,
            Index::Expiry => self.expiry,
        }
    }

    /// Adds the index entries of `key`.
    fn index(&self, key: &ApiKey) -> TxResult {
        for (index, entry, a, b) in index_pairs(key) {
            self.update(self.tree(index), &entry, |s| s.insert(&a, &b))?;
        }
        Ok(())
    }

    /// Removes the index entries of `key` as stored.
    fn unindex(&self, key: &ApiKey) -> TxResult {
        for (index, entry, a, b) in index_pairs(key) {
            self.update(self.tree(index), &entry, |s| {
                s.remove(&a, &b);
            })?;
        }
        Ok(())
    }
}

/// The indexes of the keys, in the order [`index_pairs`] and `check`
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Index {
    Owner,
    Name,
    Lookup,
    Expiry,
}

/// One index pair with its index and entry: (index, entry, a, b).
pub(super) type IndexPair = (Index, Vec<u8>, Vec<u8>, Vec<u8>);

/// Every index pair `key` calls for, with its index and entry: (index,
/// entry, a, b). The one definition the writes and `check` share.
pub(super) fn index_pairs(key: &ApiKey) -> Vec<IndexPair> {
    let id = key.id.as_bytes().to_vec();
    let mut out = vec![
        (
            Index::Owner,
            layout::owner_entry(&key.account_id, &key.iam_id, key.kind.code(), &key.id),
            id.clone(),
            Vec::new(),
        ),
        (
            Index::Name,
            layout::name_bucket(&key.account_id, &key.name),
            key.name.as_bytes().to_vec(),
            id.clone(),
        ),
    ];
    if let Some(l) = &key.lookup {
        out.push((
            Index::Lookup,
            layout::lookup_bucket(l).to_vec(),
            l.as_bytes().to_vec(),
            id.clone(),
        ));
    }
    if let Some(t) = expiry_of(key) {
        out.push((
            Index::Expiry,
            layout::expiry_entry(&key.account_id, t),
            id,
            Vec::new(),
        ));
    }
    out
}

/// Whether two versions of a key have different index entries.
fn indexed_apart(a: &ApiKey, b: &ApiKey) -> bool {
    a.account_id != b.account_id
        || a.iam_id != b.iam_id
        || a.kind != b.kind
        || a.name != b.name
        || a.lookup != b.lookup
        || a.expires_at != b.expires_at
}

/// When a key expires, as an instant (a key without one never does).
pub(super) fn expiry_of(key: &ApiKey) -> Option<Timestamp> {
    key.expires_at.and_then(crate::time::Moment::instant)
}

fn damaged(dir: &Path, e: layout::Unreadable) -> StoreError {
    StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail: format!("an index or key bucket cannot be read ({e})"),
    }
}

/// How many decoded accounts are kept; past it, the next one clears them.
const DECODED_ACCOUNTS: usize = 64;

/// How many bytes of unsealed record buckets are kept (about 400 buckets
/// of a million-key store); past it, the next one clears them.
const UNSEALED_BUCKET_BYTES: usize = 4 << 20;

/// A member as stored: the membership and its place in the fixture's order.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct MemberRecord {
    pub(super) place: u32,
    #[serde(flatten)]
    pub(super) member: Membership,
}

impl SledStore {
    fn err(&self, e: sled::Error) -> StoreError {
        sled_error(&self.dir, e)
    }

    fn damaged_key(&self, e: String) -> StoreError {
        StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("a key record cannot be read ({e})"),
        }
    }

    fn unreadable(&self, e: layout::Unreadable) -> StoreError {
        damaged(&self.dir, e)
    }

    /// Reads a stored key in a transaction: `Gone` if it is not there.
    fn stored_key(
        &self,
        keys: &TransactionalTree,
        id: &str,
    ) -> std::result::Result<(ApiKey, SignInFailures), TxError> {
        let Some(bucket) = keys.get(layout::record_bucket(id))? else {
            return Err(abort(StoreError::Gone));
        };
        let bucket = layout::open(&bucket).map_err(|e| abort(self.unreadable(e)))?;
        let Some(bytes) =
            layout::find(&bucket, id.as_bytes()).map_err(|e| abort(self.unreadable(e)))?
        else {
            return Err(abort(StoreError::Gone));
        };
        decode_key(bytes).map_err(|e| abort(self.damaged_key(e)))
    }

    /// A transaction on the keys tree alone (a sign-in's throttle and
    /// activity), flushed when it commits.
    fn transact_keys<T>(
        &self,
        f: impl Fn(&TransactionalTree) -> std::result::Result<T, TxError>,
    ) -> Result<T> {
        match self.keys.transaction(f) {
            Ok(v) => self.flush().map(|()| v),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    /// Replaces the record of key `id` within a transaction on `keys`.
    fn rewrite_record(
        &self,
        keys: &TransactionalTree,
        id: &str,
        record: &[u8],
    ) -> std::result::Result<(), TxError> {
        let entry = layout::record_bucket(id);
        let mut set =
            Set::read(keys.get(entry)?.as_deref()).map_err(|e| abort(self.unreadable(e)))?;
        set.replace(id.as_bytes(), record);
        keys.insert(&entry, set.pack())?;
        Ok(())
    }

    fn decode<T: DeserializeOwned>(&self, what: &str, bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("a {what} record cannot be read ({e})"),
        })
    }

    /// The packed entry `entry` of `tree`.
    fn set(&self, tree: &Tree, entry: &[u8]) -> Result<Set> {
        let bytes = tree.get(entry).map_err(|e| self.err(e))?;
        Set::read(bytes.as_deref()).map_err(|e| self.unreadable(e))
    }

    /// Whether the data directory `dir` holds a store (it may still be
    /// damaged or busy).
    pub fn exists(dir: &Path) -> bool {
        let db = dir.join(STORE_DIR);
        db.join("db").exists() || db.join("conf").exists()
    }

    /// Opens an existing store, taking the data directory's lock for as
    /// long as the store is open.
    pub fn open(dir: &Path) -> Result<SledStore> {
        Self::open_locked(DirLock::acquire(dir)?)
    }

    /// Opens the existing store in the data directory `lock` holds. A store
    /// of schema 3 or older is first brought to the current schema
    /// ([`migrate`]).
    pub fn open_locked(lock: Arc<DirLock>) -> Result<SledStore> {
        let dir = lock.dir();
        if !Self::exists(dir) {
            return Err(StoreError::Missing(dir.to_path_buf()));
        }
        let mut db = open_db(&dir.join(STORE_DIR), dir)?;
        if let Some(staging) = upgrade(&lock, &db)? {
            drop(db);
            lock::swap_in(&lock, &staging, false)?;
            db = open_db(&dir.join(STORE_DIR), dir)?;
        }
        lock::make_private(&dir.join(STORE_DIR));
        let mut store = Self::from_db(dir, db)?;
        store._lock = Some(lock);
        Ok(store)
    }

    fn from_db(dir: &Path, db: Db) -> Result<SledStore> {
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(dir, e));
        let meta = tree("meta")?;
        let version = schema_version(dir, &meta)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: format!("its schema version {version} was not upgraded"),
            });
        }
        let read_meta = |k: &str| -> Result<Option<String>> {
            Ok(meta
                .get(k)
                .map_err(|e| sled_error(dir, e))?
                .map(|v| String::from_utf8_lossy(&v).into_owned()))
        };
        let info = StoreInfo {
            schema_version: version,
            demo: read_meta("demo")?.as_deref() == Some("true"),
            source: read_meta("source")?.unwrap_or_default(),
        };
        Ok(SledStore {
            _lock: None,
            dir: dir.to_path_buf(),
            info,
            users: tree("users")?,
            users_by_email: tree("users_by_email")?,
            memberships: tree("memberships")?,
            accounts: tree("accounts")?,
            members: tree("members")?,
            service_ids: tree("service_ids")?,
            keys: tree("keys")?,
            by_owner: tree("keys_by_owner")?,
            by_lookup: tree("keys_by_lookup")?,
            by_name: tree("keys_by_name")?,
            by_expiry: tree("keys_by_expiry")?,
            decoded_accounts: std::sync::Mutex::default(),
            unsealed_buckets: std::sync::Mutex::default(),
            db,
        })
    }

    /// Creates a store in `dir` from `seed`, taking the data directory's
    /// lock (and creating the directory) for the time it takes: see
    /// [`create_locked`](Self::create_locked).
    pub fn create(
        dir: &Path,
        seed: &Seed,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>> {
        Self::create_locked(&*DirLock::create(dir)?, seed, demo, source, replace)
    }

    /// Creates a store from `seed` in the data directory `lock` holds, all
    /// or nothing: it is written into a sibling directory, flushed, closed
    /// and then swapped in (see [`DirLock`]), so a failure or a crash leaves
    /// the old store or the new one, never a half-seeded one nor none. With
    /// `replace`, an existing store is replaced; one that cannot be opened
    /// is moved aside rather than removed, and its new path returned.
    pub fn create_locked(
        lock: &DirLock,
        seed: &Seed,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>> {
        let mut keys = PackedKeys::default();
        for k in &seed.keys {
            keys.push(k);
        }
        Self::create_packed(lock, seed, keys, demo, source, replace)
    }

    /// [`create_locked`](Self::create_locked) for a seed whose keys are
    /// `keys` (its own `keys` are not written).
    pub fn create_packed(
        lock: &DirLock,
        seed: &Seed,
        keys: PackedKeys,
        demo: bool,
        source: &str,
        replace: bool,
    ) -> Result<Option<PathBuf>> {
        let dir = lock.dir();
        let io = |detail: String| StoreError::Io {
            dir: dir.to_path_buf(),
            detail,
        };
        let old_is_damaged = if Self::exists(dir) {
            if !replace {
                return Err(io(
                    "a store is already there: add --replace to replace it".to_string()
                ));
            }
            probe(dir).is_err()
        } else {
            false
        };
        // The keys move into the writer, so they are gone before the new
        // store is opened again for its snapshot.
        build_staged(lock, old_is_damaged, move |db| {
            write_seed(dir, db, seed, &keys, demo, source)
        })
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| self.err(e))
    }

    /// A transaction on the keys and their indexes, flushed when it commits.
    fn transact_key(&self, f: impl Fn(&KeyTx<'_>) -> TxResult) -> Result<()> {
        use sled::Transactional;
        let r = (
            &self.keys,
            &self.by_owner,
            &self.by_lookup,
            &self.by_name,
            &self.by_expiry,
        )
            .transaction(|(keys, owner, lookup, name, expiry)| {
                f(&KeyTx {
                    dir: &self.dir,
                    keys,
                    owner,
                    lookup,
                    name,
                    expiry,
                })
            });
        match r {
            Ok(()) => self.flush(),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    /// The ids of one identity's keys of one kind, from its owner entries.
    fn owner_ids(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for item in self
            .by_owner
            .scan_prefix(layout::owner_prefix(account_id, iam_id, kind.code()))
        {
            let (entry, packed) = item.map_err(|e| self.err(e))?;
            if layout::owner_entry_parts(account_id, &entry)
                .is_none_or(|(who, _)| who != iam_id.as_bytes())
            {
                continue;
            }
            let packed = layout::open(&packed).map_err(|e| self.unreadable(e))?;
            for pair in layout::pairs(&packed) {
                let (id, _) = pair.map_err(|e| self.unreadable(e))?;
                ids.push(String::from_utf8_lossy(id).into_owned());
            }
        }
        Ok(ids)
    }

    /// The core of an account (its record without members), decoded once
    /// per stored version: an account record is read on every request.
    fn account_core(&self, id: &str) -> Result<Option<Arc<Account>>> {
        let Some(bytes) = self.accounts.get(id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let decoded = self
            .decoded_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, account)) = decoded.get(id)
            && *seen == bytes
        {
            return Ok(Some(Arc::clone(account)));
        }
        drop(decoded);
        let mut account: Account = self.decode("account", &bytes)?;
        account.members = self.all_members(id)?;
        let account = Arc::new(account);
        let mut decoded = self
            .decoded_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if decoded.len() >= DECODED_ACCOUNTS && !decoded.contains_key(id) {
            decoded.clear();
        }
        decoded.insert(id.to_string(), (bytes, Arc::clone(&account)));
        Ok(Some(account))
    }

    /// Every member of an account, in fixture order.
    fn all_members(&self, account_id: &str) -> Result<Vec<Membership>> {
        let mut out: Vec<MemberRecord> = Vec::new();
        for item in self.members.scan_prefix(layout::account_prefix(account_id)) {
            let (_, v) = item.map_err(|e| self.err(e))?;
            out.push(self.decode("member", &v)?);
        }
        out.sort_by_key(|m| m.place);
        Ok(out.into_iter().map(|m| m.member).collect())
    }

    /// Calls `each` with the id of every key of `kind` in the account, as
    /// its owner entries list them.
    fn kind_ids(&self, account_id: &str, kind: KeyKind, each: &mut dyn FnMut(&[u8])) -> Result<()> {
        for item in self
            .by_owner
            .scan_prefix(layout::account_prefix(account_id))
        {
            let (entry, ids) = item.map_err(|e| self.err(e))?;
            if layout::owner_entry_parts(account_id, &entry).map(|(_, k)| k) != Some(kind.code()) {
                continue;
            }
            let ids = layout::open(&ids).map_err(|e| self.unreadable(e))?;
            for pair in layout::pairs(&ids) {
                let (id, _) = pair.map_err(|e| self.unreadable(e))?;
                each(id);
            }
        }
        Ok(())
    }

    /// Record bucket `n`, unsealed. A request reads the same few buckets
    /// again and again (a caller's own keys, in the server), so unsealed
    /// buckets are kept with the stored bytes they came from, and used
    /// while those are what the store holds: a change is seen at once.
    fn record_bucket(&self, n: u16) -> Result<Option<Bucket>> {
        let Some(stored) = self.keys.get(n.to_be_bytes()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let lock = || {
            self.unsealed_buckets
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((seen, plain)) = lock().buckets.get(&n)
            && *seen == stored
        {
            return Ok(Some(Bucket::Unsealed(Arc::clone(plain))));
        }
        let plain: Arc<[u8]> = match layout::open(&stored).map_err(|e| self.unreadable(e))? {
            std::borrow::Cow::Borrowed(_) => return Ok(Some(Bucket::Plain(stored))),
            std::borrow::Cow::Owned(plain) => plain.into(),
        };
        let mut cache = lock();
        let size = stored.len() + plain.len();
        if cache.bytes + size > UNSEALED_BUCKET_BYTES {
            cache.buckets.clear();
            cache.bytes = 0;
        }
        if let Some((old, old_plain)) = cache.buckets.insert(n, (stored, Arc::clone(&plain))) {
            cache.bytes -= old.len() + old_plain.len();
        }
        cache.bytes += size;
        Ok(Some(Bucket::Unsealed(plain)))
    }

    /// Visits the records in the given buckets, in bucket order.
    fn visit_buckets(
        &self,
        buckets: &[bool],
        each: &mut dyn FnMut(&str, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        for (n, _) in buckets.iter().enumerate().filter(|(_, b)| **b) {
            let n = u16::try_from(n).expect("at most 2^16 buckets");
            let Some(bucket) = self.keys.get(n.to_be_bytes()).map_err(|e| self.err(e))? else {
                continue;
            };
            let bucket = layout::open(&bucket).map_err(|e| self.unreadable(e))?;
            for pair in layout::pairs(&bucket) {
                let (id, record) = pair.map_err(|e| self.unreadable(e))?;
                if !each(&String::from_utf8_lossy(id), record)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

fn abort(e: StoreError) -> TxError {
    ConflictableTransactionError::Abort(e)
}

/// `key` as the caller changed it, with what sign-ins recorded meanwhile.
/// Sign-ins change a key's activity and history without a new entity tag,
/// so they may have come after the caller read it: the stored activity
/// stands (changes never touch it), and the caller's new history entries
/// follow the stored ones.
fn keep_sign_ins(key: &ApiKey, stored: ApiKey) -> ApiKey {
    let read = key
        .history
        .iter()
        .zip(&stored.history)
        .take_while(|(a, b)| a == b)
        .count();
    let mut history = stored.history;
    history.extend_from_slice(&key.history[read..]);
    ApiKey {
        activity: stored.activity,
        history,
        ..key.clone()
    }
}

impl Storage for SledStore {
    fn info(&self) -> &StoreInfo {
        &self.info
    }

    fn dir(&self) -> &Path {
        &self.dir
    }

    fn user(&self, iam_id: &str) -> Result<Option<User>> {
        match self.users.get(iam_id).map_err(|e| self.err(e))? {
            Some(v) => Ok(Some(self.decode("user", &v)?)),
            None => Ok(None),
        }
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        match self.users_by_email.get(email).map_err(|e| self.err(e))? {
            Some(id) => self.user(&String::from_utf8_lossy(&id)),
            None => Ok(None),
        }
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for item in &self.users {
            let (_, v) = item.map_err(|e| self.err(e))?;
            out.push(self.decode("user", &v)?);
        }
        Ok(out)
    }

    fn accounts_of(&self, iam_id: &str) -> Result<Vec<String>> {
        match self.memberships.get(iam_id).map_err(|e| self.err(e))? {
            Some(v) => self.decode("membership", &v),
            None => Ok(Vec::new()),
        }
    }

    /// The members live in their own entries and change only with a new
    /// seed; the account record (settings) is read each time (one lookup)
    /// and compared with that of the last decoding, so only a changed
    /// record is decoded again.
    fn account(&self, id: &str) -> Result<Option<Arc<Account>>> {
        self.account_core(id)
    }

    /// The account's record and one member's entry: two lookups, however
    /// many members the account has. (An account with classic
    /// infrastructure is read whole: its keys are judged by the invitation
    /// hierarchy.)
    fn account_for(&self, id: &str, iam_id: &str) -> Result<Option<Arc<Account>>> {
        let Some(bytes) = self.accounts.get(id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        // A long-lived process (the server) may have it whole already.
        if let Some((seen, account)) = self
            .decoded_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            && *seen == bytes
        {
            return Ok(Some(Arc::clone(account)));
        }
        let mut account: Account = self.decode("account", &bytes)?;
        if account.classic_infrastructure {
            // Classic keys are judged by the invitation hierarchy, which
            // takes the other members.
            return self.account_core(id);
        }
        account.members = self.member(id, iam_id)?.into_iter().collect();
        Ok(Some(Arc::new(account)))
    }

    fn member(&self, account_id: &str, iam_id: &str) -> Result<Option<Membership>> {
        match self
            .members
            .get(layout::member_entry(account_id, iam_id))
            .map_err(|e| self.err(e))?
        {
            Some(v) => Ok(Some(self.decode::<MemberRecord>("member", &v)?.member)),
            None => Ok(None),
        }
    }

    fn put_account(&self, account: &Account) -> Result<()> {
        self.accounts
            .insert(account.id.as_bytes(), encode_account(account))
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    fn service_ids(&self, account_id: &str) -> Result<Vec<ServiceId>> {
        let prefix = layout::account_prefix(account_id);
        let mut out = Vec::new();
        for item in self.service_ids.scan_prefix(prefix) {
            let (_, v) = item.map_err(|e| self.err(e))?;
            out.push(self.decode("service ID", &v)?);
        }
        Ok(out)
    }

    fn put_service_id(&self, sid: &ServiceId, expected_tag: Option<&str>) -> Result<()> {
        let k = service_key(&sid.account_id, &sid.id);
        let r = self.service_ids.transaction(|t| {
            match (expected_tag, t.get(&k)?) {
                (None, Some(_)) => {
                    return Err(abort(StoreError::Conflict {
                        current: String::new(),
                    }));
                }
                (Some(_), None) => return Err(abort(StoreError::Gone)),
                (Some(tag), Some(bytes)) => {
                    let stored: ServiceId = serde_json::from_slice(&bytes).map_err(|e| {
                        abort(StoreError::Damaged {
                            dir: self.dir.clone(),
                            detail: format!("a service ID record cannot be read ({e})"),
                        })
                    })?;
                    if stored.tag() != tag {
                        return Err(abort(StoreError::Conflict {
                            current: stored.tag(),
                        }));
                    }
                }
                (None, None) => {}
            }
            t.insert(k.as_slice(), encode(sid))?;
            Ok(())
        });
        match r {
            Ok(()) => self.flush(),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    fn delete_service_id(&self, sid: &ServiceId) -> Result<usize> {
        use sled::Transactional;
        let ids = self.owner_ids(&sid.account_id, &sid.iam_id, KeyKind::ServiceId)?;
        let k = service_key(&sid.account_id, &sid.id);
        let r = (
            &self.service_ids,
            &self.keys,
            &self.by_owner,
            &self.by_lookup,
            &self.by_name,
            &self.by_expiry,
        )
            .transaction(|(sids, keys, owner, lookup, name, expiry)| {
                if sids.remove(k.as_slice())?.is_none() {
                    return Err(abort(StoreError::Gone));
                }
                let tx = KeyTx {
                    dir: &self.dir,
                    keys,
                    owner,
                    lookup,
                    name,
                    expiry,
                };
                for id in &ids {
                    // As stored now: a rename since the keys were listed
                    // moved its name entry.
                    let Some(bytes) = tx.record(id)? else {
                        continue;
                    };
                    let (stored, _) = decode_key(&bytes).map_err(|e| abort(self.damaged_key(e)))?;
                    tx.remove_record(id)?;
                    tx.unindex(&stored)?;
                }
                Ok(())
            });
        match r {
            Ok(()) => self.flush().map(|()| ids.len()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    fn key(&self, id: &str) -> Result<Option<ApiKey>> {
        let n = u16::from_be_bytes(layout::record_bucket(id));
        let Some(bucket) = self.record_bucket(n)? else {
            return Ok(None);
        };
        match layout::find(&bucket, id.as_bytes()).map_err(|e| self.unreadable(e))? {
            Some(v) => Ok(Some(decode_key(v).map_err(|e| self.damaged_key(e))?.0)),
            None => Ok(None),
        }
    }

    /// Reads each bucket the ids fall in once, in bucket order.
    fn keys_by_id(&self, ids: &[String]) -> Result<Vec<Option<ApiKey>>> {
        let mut order: Vec<(u16, usize)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (u16::from_be_bytes(layout::record_bucket(id)), i))
            .collect();
        order.sort_unstable();
        let mut out: Vec<Option<ApiKey>> = vec![None; ids.len()];
        let mut at = 0;
        while at < order.len() {
            let n = order[at].0;
            let end = at + order[at..].partition_point(|(b, _)| *b == n);
            if let Some(bucket) = self.record_bucket(n)? {
                for &(_, i) in &order[at..end] {
                    if let Some(v) =
                        layout::find(&bucket, ids[i].as_bytes()).map_err(|e| self.unreadable(e))?
                    {
                        out[i] = Some(decode_key(v).map_err(|e| self.damaged_key(e))?.0);
                    }
                }
            }
            at = end;
        }
        Ok(out)
    }

    fn key_by_lookup(&self, lookup: &str) -> Result<Option<ApiKey>> {
        let Some(bucket) = self
            .by_lookup
            .get(layout::lookup_bucket(lookup))
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        let bucket = layout::open(&bucket).map_err(|e| self.unreadable(e))?;
        match layout::find(&bucket, lookup.as_bytes()).map_err(|e| self.unreadable(e))? {
            Some(id) => self.key(&String::from_utf8_lossy(id)),
            None => Ok(None),
        }
    }

    fn keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<Vec<ApiKey>> {
        let ids = self.owner_ids(account_id, iam_id, kind)?;
        Ok(self.keys_by_id(&ids)?.into_iter().flatten().collect())
    }

    fn account_ids(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for item in self.accounts.iter().keys() {
            out.push(String::from_utf8_lossy(&item.map_err(|e| self.err(e))?).into_owned());
        }
        Ok(out)
    }

    /// Reads the expiry index's days up to that of `t`, not every key.
    fn expiring_by(&self, account_id: &str, t: Timestamp) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let from = layout::account_prefix(account_id);
        let to = layout::expiry_entry_after(account_id, t);
        for item in self.by_expiry.range(from..to) {
            let (_, packed) = item.map_err(|e| self.err(e))?;
            let packed = layout::open(&packed).map_err(|e| self.unreadable(e))?;
            for pair in layout::pairs(&packed) {
                let (id, _) = pair.map_err(|e| self.unreadable(e))?;
                ids.push(String::from_utf8_lossy(id).into_owned());
            }
        }
        Ok(ids)
    }

    fn count_keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<usize> {
        let mut n = 0;
        for item in self
            .by_owner
            .scan_prefix(layout::owner_prefix(account_id, iam_id, kind.code()))
        {
            let (entry, packed) = item.map_err(|e| self.err(e))?;
            if layout::owner_entry_parts(account_id, &entry)
                .is_some_and(|(who, _)| who == iam_id.as_bytes())
            {
                let packed = layout::open(&packed).map_err(|e| self.unreadable(e))?;
                for pair in layout::pairs(&packed) {
                    pair.map_err(|e| self.unreadable(e))?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    fn keys_named(&self, account_id: &str, name: &str) -> Result<Vec<ApiKey>> {
        let set = self.set(&self.by_name, &layout::name_bucket(account_id, name))?;
        let ids: Vec<String> = set
            .iter()
            .filter(|(n, _)| *n == name.as_bytes())
            .map(|(_, id)| String::from_utf8_lossy(id).into_owned())
            .collect();
        Ok(self
            .keys_by_id(&ids)?
            .into_iter()
            .flatten()
            .filter(|k| k.account_id == account_id && k.name == name)
            .collect())
    }

    /// Counted from the owner entries alone.
    fn count_kind(&self, account_id: &str, kind: KeyKind) -> Result<Option<usize>> {
        let mut n = 0;
        self.kind_ids(account_id, kind, &mut |_| n += 1)?;
        Ok(Some(n))
    }

    /// The account's owner entries say which record buckets hold its keys
    /// of this kind; each of those buckets is read once, in order, and its
    /// keys of this account and kind are visited. Memory stays at one
    /// bucket and a bit per bucket, whatever the size of the account.
    fn scan_kind(
        &self,
        account_id: &str,
        kind: KeyKind,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()> {
        let mut buckets = vec![false; 1 << layout::RECORD_BITS];
        self.kind_ids(account_id, kind, &mut |id| {
            let n = u16::from_be_bytes(layout::record_bucket(&String::from_utf8_lossy(id)));
            buckets[usize::from(n)] = true;
        })?;
        self.visit_buckets(&buckets, &mut |_, record| {
            let (key, _) = decode_key(record).map_err(|e| self.damaged_key(e))?;
            if key.account_id == account_id && key.kind == kind {
                return Ok(each(key));
            }
            Ok(true)
        })
    }

    fn put_key(&self, key: &ApiKey, expected_tag: Option<&str>) -> Result<()> {
        self.transact_key(|tx| -> TxResult {
            let current = tx.record(&key.id)?;
            // The throttle's state is the store's: an edit keeps it.
            let record = match (expected_tag, current) {
                (None, Some(_)) => {
                    return Err(abort(StoreError::Conflict {
                        current: String::new(),
                    }));
                }
                (Some(_), None) => return Err(abort(StoreError::Gone)),
                (Some(tag), Some(bytes)) => {
                    let (stored, failed) =
                        decode_key(&bytes).map_err(|e| abort(self.damaged_key(e)))?;
                    if stored.entity_tag != tag {
                        return Err(abort(StoreError::Conflict {
                            current: stored.entity_tag,
                        }));
                    }
                    // A rename moves the key's name entry.
                    if indexed_apart(&stored, key) {
                        tx.unindex(&stored)?;
                    }
                    encode_key(&keep_sign_ins(key, stored), &failed)
                }
                (None, None) => encode_key(key, &SignInFailures::default()),
            };
            tx.put_record(&key.id, &record)?;
            tx.index(key)?;
            Ok(())
        })
    }

    fn delete_key(&self, id: &str, expected_tag: &str) -> Result<()> {
        self.transact_key(|tx| -> TxResult {
            let (stored, _) = self.stored_key(tx.keys, id)?;
            if stored.entity_tag != expected_tag {
                return Err(abort(StoreError::Conflict {
                    current: stored.entity_tag,
                }));
            }
            tx.remove_record(id)?;
            tx.unindex(&stored)?;
            Ok(())
        })
    }

    fn admit_sign_in(&self, id: &str, at: Timestamp) -> Result<Admission> {
        let at = at.as_millisecond();
        self.transact_keys(|keys| {
            let (key, mut failed) = self.stored_key(keys, id)?;
            Ok(match failed.admit(at) {
                Err(wait) => Admission::Wait(wait),
                Ok(()) => {
                    self.rewrite_record(keys, id, &encode_key(&key, &failed))?;
                    Admission::Admitted
                }
            })
        })
    }

    fn settle_sign_in(
        &self,
        id: &str,
        at: Timestamp,
        right: bool,
        update: &dyn Fn(&mut ApiKey),
    ) -> Result<ApiKey> {
        self.transact_keys(|keys| {
            let (mut key, mut failed) = self.stored_key(keys, id)?;
            if right {
                failed.settle(at.as_millisecond());
            }
            let before = key.clone();
            update(&mut key);
            if indexed_apart(&before, &key) {
                return Err(abort(StoreError::Io {
                    dir: self.dir.clone(),
                    detail: format!("a sign-in may not change what key {id} is indexed by"),
                }));
            }
            self.rewrite_record(keys, id, &encode_key(&key, &failed))?;
            Ok(key)
        })
    }

    fn check(&self) -> Result<Vec<Problem>> {
        self.check_records()
    }
}

#[cfg(test)]
mod tests {
    use super::no_panic;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Many threads inside `no_panic` at once: their panics stay quiet, and
    /// afterwards the process's own hook still reports panics.
    #[test]
    fn concurrent_no_panic_leaves_the_panic_hook_working() {
        let reported = Arc::new(AtomicUsize::new(0));
        let quiet_reported = Arc::new(AtomicUsize::new(0));
        let previous = std::panic::take_hook();
        {
            let (reported, quiet_reported) = (reported.clone(), quiet_reported.clone());
            std::panic::set_hook(Box::new(move |info| {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .copied()
                    .unwrap_or_default();
                if msg == "a panic the hook must report" {
                    reported.fetch_add(1, Ordering::SeqCst);
                } else if msg == "a panic no_panic contains" {
                    quiet_reported.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..1000 {
                        let r = no_panic(|| -> () { panic!("a panic no_panic contains") });
                        assert!(r.is_err());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let after = std::thread::spawn(|| panic!("a panic the hook must report")).join();
        assert!(after.is_err());
        let hook_after = std::panic::take_hook();
        std::panic::set_hook(previous);
        drop(hook_after);
        assert_eq!(
            quiet_reported.load(Ordering::SeqCst),
            0,
            "a contained panic was reported"
        );
        assert_eq!(
            reported.load(Ordering::SeqCst),
            1,
            "the panic hook was left silenced"
        );
    }
}
