//! Checking a store: every record readable, and the records and their
//! indexes agreeing in both directions.
//!
//! The work is linear in the number of keys, and every tree is read in its
//! own order, never looked up key by key (at a million keys the indexes no
//! longer fit sled's cache, and a lookup per key and index cost a page read
//! each): one pass over the key records notes, per key id, the hash of each
//! index entry its record calls for; then one pass over each index marks
//! the entries found and names the ones no record calls for; last, the
//! entries never found are named. Each account record is read once, not
//! once per key. (The hashes are 64 bits: a wrong entry that hashed like
//! the right one would pass, a chance of one in 2^64 per entry.)

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::*;

fn entry_hash(entry: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    entry.hash(&mut h);
    h.finish()
}

/// The indexes, in the order of [`Expected::entries`].
const INDEXES: [&str; 4] = ["owner", "kind", "name", "lookup"];

/// What one key record calls for in each index.
struct Expected {
    /// Hashes of its owner, kind and name entries, and of its lookup id.
    entries: [Option<u64>; 4],
    /// Which of them were found (bit i for `entries[i]`).
    found: u8,
}

impl SledStore {
    pub(super) fn check_records(&self) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        let mut expected: HashMap<String, Expected> = HashMap::new();
        // Account id → whether it exists.
        let mut accounts: HashMap<String, bool> = HashMap::new();
        // Names, for the report of a missing name entry.
        let mut names: HashMap<String, String> = HashMap::new();
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
            let entries = [
                Some(entry_hash(&owner_key(
                    &key.account_id,
                    &key.iam_id,
                    key.kind,
                    &id,
                ))),
                Some(entry_hash(&kind_key(&key.account_id, key.kind, &id))),
                Some(entry_hash(&name_key(&key.account_id, &key.name, &id))),
                key.lookup.as_deref().map(|l| entry_hash(l.as_bytes())),
            ];
            expected.insert(id, Expected { entries, found: 0 });
        }
        let index_id = |k: &[u8]| {
            String::from_utf8_lossy(k.rsplit(|b| *b == 0).next().unwrap_or(k)).into_owned()
        };
        let trees = [
            &self.by_owner,
            &self.by_kind,
            &self.by_name,
            &self.by_lookup,
        ];
        for (i, (index, tree)) in INDEXES.into_iter().zip(trees).enumerate() {
            for item in tree {
                let (k, v) = item.map_err(|e| self.err(e))?;
                // The lookup index maps a lookup id to a key id; the others
                // end their entries with the key id.
                let id = if index == "lookup" {
                    String::from_utf8_lossy(&v).into_owned()
                } else {
                    index_id(&k)
                };
                let Some(e) = expected.get_mut(&id) else {
                    problems.push(format!(
                        "the {index} index names key {id}, which does not exist"
                    ));
                    continue;
                };
                if e.entries[i] == Some(entry_hash(&k)) {
                    e.found |= 1 << i;
                } else if index == "name" {
                    // account \0 name \0 id: the name between the first
                    // and the last separator.
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
                } else {
                    problems.push(format!(
                        "the {index} index files key {id} under an entry its record does not call for"
                    ));
                }
            }
        }
        let mut missing: Vec<(&String, usize)> = Vec::new();
        for (id, e) in &expected {
            for (i, entry) in e.entries.iter().enumerate() {
                if entry.is_some() && e.found & (1 << i) == 0 {
                    missing.push((id, i));
                }
            }
        }
        missing.sort_unstable();
        if missing.iter().any(|(_, i)| *i == 2) {
            // Read again for the report: only when something is missing.
            for item in &self.keys {
                let (id, v) = item.map_err(|e| self.err(e))?;
                if let Ok((k, _)) = decode_key(&v) {
                    names.insert(String::from_utf8_lossy(&id).into_owned(), k.name);
                }
            }
        }
        for (id, i) in missing {
            problems.push(match i {
                0 => format!("key {id}: missing from the owner index"),
                1 => format!("key {id}: missing from the kind index"),
                2 => format!(
                    "key {id}: its name {:?} is missing from the name index",
                    names.get(id).map_or("", String::as_str)
                ),
                _ => format!("key {id}: its lookup id is not indexed"),
            });
        }
        Ok(problems)
    }
}
