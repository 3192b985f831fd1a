//! Checking a store: every record readable, and the records and their
//! indexes agreeing in both directions.
//!
//! One pass over the key records, then one pass over each index: the work
//! is linear in the number of keys. Each account record is read once, not
//! once per key, and what the index passes need is kept per key id: the
//! hash of its name entry (8 bytes) rather than the entry itself.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::*;

fn entry_hash(entry: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    entry.hash(&mut h);
    h.finish()
}

impl SledStore {
    pub(super) fn check_records(&self) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        // Key id → the hash of the name entry its record calls for.
        let mut seen: HashMap<String, u64> = HashMap::new();
        // Account id → whether it exists.
        let mut accounts: HashMap<String, bool> = HashMap::new();
        let ok = |t: &Tree, k: Vec<u8>| t.contains_key(k).map_err(|e| self.err(e));
        for item in &self.keys {
            let (id, v) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&id).into_owned();
            let key: ApiKey = match decode_key(&v) {
                Ok((k, _)) => k,
                Err(e) => {
                    problems.push(format!("key {id}: record unreadable ({e})"));
                    continue;
                }
            };
            if key.id != id {
                problems.push(format!("key {id}: stored under another id ({})", key.id));
            }
            let exists = match accounts.get(&key.account_id) {
                Some(&exists) => exists,
                None => {
                    let exists = self.account(&key.account_id)?.is_some();
                    accounts.insert(key.account_id.clone(), exists);
                    exists
                }
            };
            if !exists {
                problems.push(format!(
                    "key {id}: its account {} does not exist",
                    key.account_id
                ));
            }
            if !ok(
                &self.by_owner,
                owner_key(&key.account_id, &key.iam_id, key.kind, &id),
            )? {
                problems.push(format!("key {id}: missing from the owner index"));
            }
            if !ok(&self.by_kind, kind_key(&key.account_id, key.kind, &id))? {
                problems.push(format!("key {id}: missing from the kind index"));
            }
            let name_entry = name_key(&key.account_id, &key.name, &id);
            let name_hash = entry_hash(&name_entry);
            if !ok(&self.by_name, name_entry)? {
                problems.push(format!(
                    "key {id}: its name {:?} is missing from the name index",
                    key.name
                ));
            }
            if let Some(l) = &key.lookup {
                match self.by_lookup.get(l).map_err(|e| self.err(e))? {
                    Some(v) if v.as_ref() == id.as_bytes() => {}
                    _ => problems.push(format!("key {id}: its lookup id is not indexed")),
                }
            }
            seen.insert(id, name_hash);
        }
        let index_id = |k: &[u8]| {
            String::from_utf8_lossy(k.rsplit(|b| *b == 0).next().unwrap_or(k)).into_owned()
        };
        for (name, tree) in [("owner", &self.by_owner), ("kind", &self.by_kind)] {
            for item in tree {
                let (k, _) = item.map_err(|e| self.err(e))?;
                let id = index_id(&k);
                if !seen.contains_key(&id) {
                    problems.push(format!(
                        "the {name} index names key {id}, which does not exist"
                    ));
                }
            }
        }
        for item in &self.by_name {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let id = index_id(&k);
            match seen.get(&id) {
                None => problems.push(format!(
                    "the name index names key {id}, which does not exist"
                )),
                Some(&h) if h != entry_hash(&k) => {
                    // account \0 name \0 id: the name between the first and the last separator.
                    let end = k.len().saturating_sub(id.len() + 1);
                    let name = k
                        .iter()
                        .position(|b| *b == 0)
                        .and_then(|first| k.get(first + 1..end))
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    problems.push(format!(
                        "the name index files key {id} under {name:?}, which is not its name in this account"
                    ));
                }
                Some(_) => {}
            }
        }
        for item in &self.by_lookup {
            let (_, v) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&v).into_owned();
            if !seen.contains_key(&id) {
                problems.push(format!(
                    "the lookup index names key {id}, which does not exist"
                ));
            }
        }
        Ok(problems)
    }
}
