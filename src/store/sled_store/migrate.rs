//! Upgrading an older store's records on open (see [`super::super::record`]).

use super::*;

/// Brings a store of schema `from` up to [`SCHEMA_VERSION`], one step at a
/// time. The caller holds the store's lock (the database is open). Each
/// step rewrites its records and the schema version in one transaction,
/// which sled recovers whole or not at all: a store killed during a step
/// still records the old version, with the old records, and the step runs
/// again at the next open.
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
