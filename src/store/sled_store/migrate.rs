//! Upgrading an older store on open (see [`super::super::record`] for the
//! key records of each schema).
//!
//! Every upgrade is a copy: the old store's records are read and written,
//! in the current layout, into a new store beside it, which is
//! flushed, closed and swapped in exactly as a new seed is (see
//! [`DirLock`]). The old store is never changed, so a process killed at any
//! point leaves either the old store, upgraded again at the next open, or
//! the new one; and the new store is as compact as a fresh seed.

use super::*;

/// The schema version a store's `meta` tree records.
pub(super) fn schema_version(dir: &Path, meta: &Tree) -> Result<u32> {
    match meta.get("schema_version").map_err(|e| sled_error(dir, e))? {
        Some(v) => String::from_utf8_lossy(&v)
            .parse::<u32>()
            .map_err(|_| StoreError::Damaged {
                dir: dir.to_path_buf(),
                detail: "its schema version is unreadable".into(),
            }),
        None => Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail:
                "it records no schema version (not an iamkeys store, or seeding never finished)"
                    .into(),
        }),
    }
}

/// Writes a new store with `write` into a staging directory beside the
/// data directory's store, flushes and closes it; returns its path, for
/// [`lock::swap_in`]. On failure nothing is left behind.
pub(super) fn stage(lock: &DirLock, write: impl FnOnce(&Db) -> Result<()>) -> Result<PathBuf> {
    let dir = lock.dir();
    let staging = dir.join(format!("{STAGING_PREFIX}{}", std::process::id()));
    let result = (|| {
        let db = open_db(&staging, dir)?;
        write(&db)?;
        db.flush().map_err(|e| sled_error(dir, e))?;
        drop(db);
        // sled writes its page-table snapshot when it opens a log that has
        // grown past the last one: opened once more here, the new store's
        // first real open reads the snapshot instead of replaying the
        // whole log (a second at a million keys).
        drop(open_db(&staging, dir)?);
        lock::make_private(&staging);
        Ok(())
    })();
    match result {
        Ok(()) => Ok(staging),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Writes a new store with `write` and puts it in place of the data
/// directory's store (see [`stage`]).
pub(super) fn build_staged(
    lock: &DirLock,
    old_is_damaged: bool,
    write: impl FnOnce(&Db) -> Result<()>,
) -> Result<Option<PathBuf>> {
    match stage(lock, write) {
        Ok(staging) => lock::swap_in(lock, &staging, old_is_damaged),
        Err(e) => {
            lock.undo_created_dir();
            Err(e)
        }
    }
}

/// Brings the store open as `db` to [`SCHEMA_VERSION`] if it is older:
/// returns the staged new store to swap in once `db` is closed, or `None`
/// when the store is current. A newer store is refused.
pub(super) fn upgrade(lock: &DirLock, db: &Db) -> Result<Option<PathBuf>> {
    let dir = lock.dir();
    let e = |e: sled::Error| sled_error(dir, e);
    let meta = db.open_tree("meta").map_err(e)?;
    let from = schema_version(dir, &meta)?;
    if from > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            dir: dir.to_path_buf(),
            found: from,
            supported: SCHEMA_VERSION,
        });
    }
    if from == SCHEMA_VERSION {
        return Ok(None);
    }
    if from < OLDEST_SCHEMA_VERSION {
        return Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!("its schema version {from} is unknown"),
        });
    }
    let staging = stage(lock, |new| {
        if from == 4 {
            copy_packed(dir, db, &meta, new)
        } else {
            copy_to_current(dir, db, &meta, from, new)
        }
    })?;
    tracing::info!(from, to = SCHEMA_VERSION, "store upgraded");
    Ok(Some(staging))
}

/// Copies a store of schema 4 open as `old` into `new`: every tree entry
/// for entry, in order, each packed set sealed ([`layout::seal`]) on the
/// way. An entry that does not read as a set is copied as it is (`check`
/// names it).
fn copy_packed(dir: &Path, old: &Db, meta: &Tree, new: &Db) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let mut releaser = Releaser::default();
    for name in old.tree_names() {
        if &*name == b"meta" || name == old.name() {
            continue;
        }
        let packed = layout::PACKED_TREES.iter().any(|t| t.as_bytes() == &*name);
        let (src, dst) = (
            old.open_tree(&name).map_err(e)?,
            new.open_tree(&name).map_err(e)?,
        );
        for item in &src {
            let (k, v) = item.map_err(e)?;
            let v = match packed.then(|| layout::open(&v)) {
                Some(Ok(set)) => layout::seal(set.into_owned()),
                _ => v.to_vec(),
            };
            releaser.wrote(k.len() + v.len());
            dst.insert(k, v).map_err(e)?;
        }
    }
    write_meta(dir, meta, new)
}

/// Copies `meta` into `new`, the schema version last: a store without a
/// schema version is unfinished.
fn write_meta(dir: &Path, meta: &Tree, new: &Db) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let new_meta = new.open_tree("meta").map_err(e)?;
    for item in meta {
        let (k, v) = item.map_err(e)?;
        if &*k != b"schema_version" {
            new_meta.insert(k, v).map_err(e)?;
        }
    }
    new_meta
        .insert("schema_version", SCHEMA_VERSION.to_string().as_bytes())
        .map_err(e)?;
    Ok(())
}

/// A key record of schema `from` as schemas 4 and 5 store it.
fn current_record(dir: &Path, from: u32, id: &[u8], bytes: &[u8]) -> Result<Vec<u8>> {
    if from >= 2 {
        return Ok(bytes.to_vec());
    }
    let v1 = record::decode_key_v1(bytes).map_err(|why| StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail: format!(
            "the schema-1 record of key {} cannot be read ({why})",
            String::from_utf8_lossy(id)
        ),
    })?;
    Ok(KeyRecordV2::from(v1).encode())
}

/// Copies the store of schema `from` (1 to 3) open as `old` into `new`, in
/// the current layout. In schemas 1 to 3 each key record is one entry of
/// `keys` under its id, and an account record holds its members.
fn copy_to_current(dir: &Path, old: &Db, meta: &Tree, from: u32, new: &Db) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    for name in ["users", "users_by_email", "memberships", "service_ids"] {
        let (src, dst) = (
            old.open_tree(name).map_err(e)?,
            new.open_tree(name).map_err(e)?,
        );
        for item in &src {
            let (k, v) = item.map_err(e)?;
            dst.insert(k, v).map_err(e)?;
        }
    }
    let (accounts, members) = (
        new.open_tree("accounts").map_err(e)?,
        new.open_tree("members").map_err(e)?,
    );
    let mut member_rows = Vec::new();
    for item in &old.open_tree("accounts").map_err(e)? {
        let (k, v) = item.map_err(e)?;
        let account: Account = serde_json::from_slice(&v).map_err(|why| StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!(
                "the record of account {} cannot be read ({why})",
                String::from_utf8_lossy(&k)
            ),
        })?;
        accounts.insert(k, encode_account(&account)).map_err(e)?;
        member_rows.extend(member_entries(&account));
    }
    member_rows.sort_unstable();
    for (k, v) in member_rows {
        members.insert(k, v).map_err(e)?;
    }

    // Keys: decoded once to place them; each record is read again from
    // the old store when its bucket is written. A record that cannot be
    // read is kept as it is, under its id (`check` names it).
    let old_keys = old.open_tree("keys").map_err(e)?;
    let mut keys = Vec::with_capacity(old_keys.len());
    let mut unreadable = Vec::new();
    for item in &old_keys {
        let (id, bytes) = item.map_err(e)?;
        let record = current_record(dir, from, &id, &bytes)?;
        match decode_key(&record) {
            Ok((key, _)) if key.id.as_bytes() == &*id => keys.push(Placement::of(key)),
            _ => unreadable.push((id.to_vec(), record)),
        }
    }
    write_keys(dir, new, &keys, &|i| {
        let id = keys[i].id.as_bytes();
        match old_keys.get(id).map_err(e)? {
            Some(bytes) => current_record(dir, from, id, &bytes),
            None => Err(StoreError::Io {
                dir: dir.to_path_buf(),
                detail: "a key vanished during the upgrade".into(),
            }),
        }
    })?;
    let records = new.open_tree("keys").map_err(e)?;
    for (id, record) in unreadable {
        let id_text = String::from_utf8_lossy(&id).into_owned();
        let bucket = layout::record_bucket(&id_text);
        let mut set = Set::read(records.get(bucket).map_err(e)?.as_deref())
            .map_err(|why| damaged(dir, why))?;
        set.replace(&id, &record);
        records.insert(bucket, set.pack()).map_err(e)?;
    }

    write_meta(dir, meta, new)
}
