//! The sled backend.
//!
//! Trees:
//! * `meta`: schema version, demo flag, source
//! * `users`: iam_id → User; `users_by_email`: email → iam_id
//! * `memberships`: iam_id → [account id] (fixture order)
//! * `accounts`: id → Account; `service_ids`: account \0 id → ServiceId
//! * `keys`: key id → ApiKey
//! * `keys_by_owner`: account \0 iam_id \0 kind \0 key id → () — the "My"
//!   view and per-identity counts read only one person's keys
//! * `keys_by_kind`: account \0 kind \0 key id → () — the all-views
//! * `keys_by_lookup`: lookup id → key id — sign-in is one lookup
//! * `keys_by_name`: account \0 name \0 key id → () — a key named on the
//!   command line (or in a URL) is found among the keys of that name only
//!   (schema 3)
//!
//! A key and its four indexes change in one sled transaction, followed by
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

use super::lock::{self, DirLock, STAGING_PREFIX, STORE_DIR};
use super::record::{self, KeyRecordV2};
use super::{
    Admission, OLDEST_SCHEMA_VERSION, Problem, Result, SCHEMA_VERSION, Seed, Storage, StoreError,
    StoreInfo,
};
use crate::domain::{Account, ApiKey, KeyKind, ServiceId, SignInFailures, User};

mod check;
mod encoding;
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
    service_ids: Tree,
    keys: Tree,
    by_owner: Tree,
    by_kind: Tree,
    by_lookup: Tree,
    by_name: Tree,
    /// Accounts as last decoded, each with the stored bytes it was decoded
    /// from: see [`SledStore::account`].
    decoded_accounts: std::sync::Mutex<HashMap<String, (sled::IVec, Arc<Account>)>>,
}

/// The trees a key write touches, inside one transaction.
struct KeyTx<'a> {
    keys: &'a TransactionalTree,
    owner: &'a TransactionalTree,
    kind: &'a TransactionalTree,
    lookup: &'a TransactionalTree,
    name: &'a TransactionalTree,
}

type Unabortable = sled::transaction::UnabortableTransactionError;

impl KeyTx<'_> {
    /// Adds the index entries of `key`.
    fn index(&self, key: &ApiKey) -> std::result::Result<(), Unabortable> {
        self.owner.insert(
            owner_key(&key.account_id, &key.iam_id, key.kind, &key.id),
            &[],
        )?;
        self.kind
            .insert(kind_key(&key.account_id, key.kind, &key.id), &[])?;
        self.name
            .insert(name_key(&key.account_id, &key.name, &key.id), &[])?;
        if let Some(l) = &key.lookup {
            self.lookup.insert(l.as_bytes(), key.id.as_bytes())?;
        }
        Ok(())
    }

    /// Removes the index entries of `key` as stored.
    fn unindex(&self, key: &ApiKey) -> std::result::Result<(), Unabortable> {
        self.owner
            .remove(owner_key(&key.account_id, &key.iam_id, key.kind, &key.id))?;
        self.kind
            .remove(kind_key(&key.account_id, key.kind, &key.id))?;
        self.name
            .remove(name_key(&key.account_id, &key.name, &key.id))?;
        if let Some(l) = &key.lookup {
            self.lookup.remove(l.as_bytes())?;
        }
        Ok(())
    }
}

/// Whether two versions of a key have different index entries.
fn indexed_apart(a: &ApiKey, b: &ApiKey) -> bool {
    a.account_id != b.account_id
        || a.iam_id != b.iam_id
        || a.kind != b.kind
        || a.name != b.name
        || a.lookup != b.lookup
}

/// How many decoded accounts are kept; past it, the next one clears them.
const DECODED_ACCOUNTS: usize = 64;

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

    /// Reads a stored key in a transaction: `Gone` if it is not there.
    fn stored_key(
        &self,
        keys: &TransactionalTree,
        id: &str,
    ) -> std::result::Result<(ApiKey, SignInFailures), ConflictableTransactionError<StoreError>>
    {
        let Some(bytes) = keys.get(id.as_bytes())? else {
            return Err(abort(StoreError::Gone));
        };
        decode_key(&bytes).map_err(|e| abort(self.damaged_key(e)))
    }

    /// A transaction on the keys tree alone, flushed when it commits.
    fn transact_keys<T>(
        &self,
        f: impl Fn(
            &TransactionalTree,
        ) -> std::result::Result<T, ConflictableTransactionError<StoreError>>,
    ) -> Result<T> {
        match self.keys.transaction(f) {
            Ok(v) => self.flush().map(|()| v),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    fn decode<T: DeserializeOwned>(&self, what: &str, bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Damaged {
            dir: self.dir.clone(),
            detail: format!("a {what} record cannot be read ({e})"),
        })
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

    /// Opens the existing store in the data directory `lock` holds.
    pub fn open_locked(lock: Arc<DirLock>) -> Result<SledStore> {
        let dir = lock.dir();
        if !Self::exists(dir) {
            return Err(StoreError::Missing(dir.to_path_buf()));
        }
        let db = open_db(&dir.join(STORE_DIR), dir)?;
        lock::make_private(&dir.join(STORE_DIR));
        let mut store = Self::from_db(dir, db)?;
        store._lock = Some(lock);
        Ok(store)
    }

    fn from_db(dir: &Path, db: Db) -> Result<SledStore> {
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(dir, e));
        let meta = tree("meta")?;
        let read_meta = |k: &str| -> Result<Option<String>> {
            Ok(meta
                .get(k)
                .map_err(|e| sled_error(dir, e))?
                .map(|v| String::from_utf8_lossy(&v).into_owned()))
        };
        let mut version = match read_meta("schema_version")? {
            Some(v) => v.parse::<u32>().map_err(|_| StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: "its schema version is unreadable".into(),
            })?,
            None => {
                return Err(StoreError::Damaged {
                    dir: dir.to_path_buf(),
                    detail: "it records no schema version (not an iamkeys store, or seeding never finished)".into(),
                });
            }
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                dir: dir.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            migrate(dir, &db, &meta, version)?;
            version = SCHEMA_VERSION;
        }
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
            service_ids: tree("service_ids")?,
            keys: tree("keys")?,
            by_owner: tree("keys_by_owner")?,
            by_kind: tree("keys_by_kind")?,
            by_lookup: tree("keys_by_lookup")?,
            by_name: tree("keys_by_name")?,
            decoded_accounts: std::sync::Mutex::default(),
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
        let staging = dir.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        let result = (|| {
            let db = open_db(&staging, dir)?;
            write_seed(dir, &db, seed, demo, source)?;
            db.flush().map_err(|e| sled_error(dir, e))?;
            drop(db);
            lock::make_private(&staging);
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging);
            lock.undo_created_dir();
            return Err(e);
        }
        lock::swap_in(lock, &staging, old_is_damaged)
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| self.err(e))
    }

    /// A transaction on the keys and their indexes, flushed when it commits.
    fn transact_key(
        &self,
        f: impl Fn(&KeyTx<'_>) -> std::result::Result<(), ConflictableTransactionError<StoreError>>,
    ) -> Result<()> {
        use sled::Transactional;
        let r = (
            &self.keys,
            &self.by_owner,
            &self.by_kind,
            &self.by_lookup,
            &self.by_name,
        )
            .transaction(|(keys, owner, kind, lookup, name)| {
                f(&KeyTx {
                    keys,
                    owner,
                    kind,
                    lookup,
                    name,
                })
            });
        match r {
            Ok(()) => self.flush(),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }
}

type TxResult = std::result::Result<(), ConflictableTransactionError<StoreError>>;

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

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
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

    /// An account record holds every member, so decoding it is the largest
    /// fixed cost of a request in a large account. The stored bytes are
    /// read each time (one lookup) and compared with those of the last
    /// decoding: only a record that changed, by any writer, is decoded
    /// again.
    fn account(&self, id: &str) -> Result<Option<Arc<Account>>> {
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
        let account: Arc<Account> = Arc::new(self.decode("account", &bytes)?);
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

    fn put_account(&self, account: &Account) -> Result<()> {
        self.accounts
            .insert(account.id.as_bytes(), encode(account))
            .map_err(|e| self.err(e))?;
        self.flush()
    }

    fn service_ids(&self, account_id: &str) -> Result<Vec<ServiceId>> {
        let mut prefix = account_id.as_bytes().to_vec();
        prefix.push(0);
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
        let keys_of_sid = self.keys_of_owner(&sid.account_id, &sid.iam_id, KeyKind::ServiceId)?;
        let k = service_key(&sid.account_id, &sid.id);
        let r = (
            &self.service_ids,
            &self.keys,
            &self.by_owner,
            &self.by_kind,
            &self.by_lookup,
            &self.by_name,
        )
            .transaction(|(sids, keys, owner, kind, lookup, name)| {
                if sids.remove(k.as_slice())?.is_none() {
                    return Err(abort(StoreError::Gone));
                }
                let tx = KeyTx {
                    keys,
                    owner,
                    kind,
                    lookup,
                    name,
                };
                for key in &keys_of_sid {
                    // As stored now: a rename since the keys were listed
                    // moved its name entry.
                    let stored = match tx.keys.remove(key.id.as_bytes())? {
                        Some(bytes) => {
                            decode_key(&bytes)
                                .map_err(|e| abort(self.damaged_key(e)))?
                                .0
                        }
                        None => continue,
                    };
                    tx.unindex(&stored)?;
                }
                Ok(())
            });
        match r {
            Ok(()) => self.flush().map(|()| keys_of_sid.len()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.err(e)),
        }
    }

    fn key(&self, id: &str) -> Result<Option<ApiKey>> {
        match self.keys.get(id).map_err(|e| self.err(e))? {
            Some(v) => Ok(Some(decode_key(&v).map_err(|e| self.damaged_key(e))?.0)),
            None => Ok(None),
        }
    }

    fn key_by_lookup(&self, lookup: &str) -> Result<Option<ApiKey>> {
        match self.by_lookup.get(lookup).map_err(|e| self.err(e))? {
            Some(id) => self.key(&String::from_utf8_lossy(&id)),
            None => Ok(None),
        }
    }

    fn keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<Vec<ApiKey>> {
        let prefix = owner_prefix(account_id, iam_id, kind);
        let mut out = Vec::new();
        for item in self.by_owner.scan_prefix(&prefix) {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Some(key) = self.key(&id)? {
                out.push(key);
            }
        }
        Ok(out)
    }

    fn count_keys_of_owner(&self, account_id: &str, iam_id: &str, kind: KeyKind) -> Result<usize> {
        let prefix = owner_prefix(account_id, iam_id, kind);
        let mut n = 0;
        for item in self.by_owner.scan_prefix(&prefix) {
            item.map_err(|e| self.err(e))?;
            n += 1;
        }
        Ok(n)
    }

    fn keys_named(&self, account_id: &str, name: &str) -> Result<Vec<ApiKey>> {
        let prefix = name_prefix(account_id, name);
        let mut out = Vec::new();
        for item in self.by_name.scan_prefix(&prefix) {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            // A name holding the separator could share a prefix with
            // another: only the key's own name counts.
            if let Some(key) = self.key(&id)?
                && key.account_id == account_id
                && key.name == name
            {
                out.push(key);
            }
        }
        Ok(out)
    }

    fn scan_kind(
        &self,
        account_id: &str,
        kind: KeyKind,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()> {
        let prefix = kind_prefix(account_id, kind);
        for item in self.by_kind.scan_prefix(&prefix) {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Some(key) = self.key(&id)?
                && !each(key)
            {
                break;
            }
        }
        Ok(())
    }

    fn put_key(&self, key: &ApiKey, expected_tag: Option<&str>) -> Result<()> {
        self.transact_key(|tx| -> TxResult {
            let current = tx.keys.get(key.id.as_bytes())?;
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
            tx.keys.insert(key.id.as_bytes(), record)?;
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
            tx.keys.remove(id.as_bytes())?;
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
                    keys.insert(id.as_bytes(), encode_key(&key, &failed))?;
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
            keys.insert(id.as_bytes(), encode_key(&key, &failed))?;
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
