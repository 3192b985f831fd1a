//! Upgrading an older store's records on open (see [`super::super::record`]).

use super::*;

/// Brings a store of schema `from` up to [`SCHEMA_VERSION`], one step at a
/// time. The caller holds the store's lock (the database is open). Each
/// step writes the schema version last: a store killed during a step still
/// records the old version, and the step runs again at the next open. A
/// step that rewrites records does it in one transaction with the version,
/// which sled recovers whole or not at all; a step that only builds an
/// index may be left half done, and starts it over.
pub(super) fn migrate(dir: &Path, db: &Db, meta: &Tree, from: u32) -> Result<()> {
    if from < OLDEST_SCHEMA_VERSION {
        return Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!("its schema version {from} is unknown"),
        });
    }
    for version in from..SCHEMA_VERSION {
        match version {
            1 => migrate_1_to_2(dir, db, meta)?,
            2 => migrate_2_to_3(dir, db, meta)?,
            _ => unreachable!("every schema version before the current one has a step"),
        }
        tracing::info!(from = version, to = version + 1, "store migrated");
    }
    Ok(())
}

/// Schema 1 → 2: every key record from the bare schema-1 layout into the
/// tagged schema-2 envelope. Other records are JSON and unchanged.
pub(super) fn migrate_1_to_2(dir: &Path, db: &Db, meta: &Tree) -> Result<()> {
    use sled::Transactional;
    let e = |e: sled::Error| sled_error(dir, e);
    let keys = db.open_tree("keys").map_err(e)?;
    let mut records = Vec::with_capacity(keys.len());
    for item in &keys {
        let (id, bytes) = item.map_err(e)?;
        let v1 = record::decode_key_v1(&bytes).map_err(|why| StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: format!(
                "the schema-1 record of key {} cannot be read ({why})",
                String::from_utf8_lossy(&id)
            ),
        })?;
        records.push((id, KeyRecordV2::from(v1).encode()));
    }
    let version = 2u32.to_string();
    let r = (&keys, meta).transaction(|(keys, meta)| -> TxResult {
        for (id, bytes) in &records {
            keys.insert(id, bytes.as_slice())?;
        }
        meta.insert("schema_version", version.as_bytes())?;
        Ok(())
    });
    match r {
        Ok(()) => db.flush().map(|_| ()).map_err(e),
        Err(TransactionError::Abort(err)) => Err(err),
        Err(TransactionError::Storage(err)) => Err(e(err)),
    }
}

/// Schema 2 → 3: the name index (`keys_by_name`), built from the key
/// records. At a million keys it is too large for one sled transaction
/// (which holds every write in memory), so it is built in steps that are
/// safe to repeat: the tree is emptied, filled in key order and flushed, and
/// only then is the new version written and flushed. A store killed before
/// that still records schema 2; the next open empties the half-built tree
/// and builds it again. (A schema-2 build that opens the store meanwhile
/// ignores the tree, and its changes are in the records the next build
/// reads.) A record that cannot be read gets no entry: `check` names it, as
/// it did before.
pub(super) fn migrate_2_to_3(dir: &Path, db: &Db, meta: &Tree) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let keys = db.open_tree("keys").map_err(e)?;
    let names = db.open_tree("keys_by_name").map_err(e)?;
    let mut entries = Vec::new();
    for item in &keys {
        let (id, bytes) = item.map_err(e)?;
        if let Ok((key, _)) = decode_key(&bytes) {
            entries.push(name_key(
                &key.account_id,
                &key.name,
                &String::from_utf8_lossy(&id),
            ));
        }
    }
    entries.sort_unstable();
    names.clear().map_err(e)?;
    for k in entries {
        names.insert(k, &[]).map_err(e)?;
    }
    db.flush().map_err(e)?;
    meta.insert("schema_version", 3u32.to_string().as_bytes())
        .map_err(e)?;
    db.flush().map(|_| ()).map_err(e)
}
