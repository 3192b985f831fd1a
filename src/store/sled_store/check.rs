//! Checking a store: every record readable, and the records and their
//! indexes agreeing in both directions.
//!
//! The work is linear in the number of keys, and every tree is read in its
//! own order, never looked up key by key (at a million keys the indexes no
//! longer fit sled's cache, and a lookup per key and index cost a page read
//! each): one pass over the key buckets notes, per key id, the hash of each
//! index pair its record calls for (with the entry the pair belongs in);
//! then one pass over each index marks the pairs found and names the ones
//! no record calls for; last, the pairs never found are named. Each account
//! is looked up once, not once per key. (The hashes are 64 bits: a wrong
//! pair that hashed like the right one would pass, a chance of one in 2^64
//! per pair.)

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::*;

fn entry_hash(entry: &[u8], a: &[u8], b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    [entry, a, b].hash(&mut h);
    h.finish()
}

/// The indexes, in the order of [`Index`] and of [`Expected::entries`].
const INDEXES: [&str; 4] = ["owner", "name", "lookup", "expiry"];

/// What one key record calls for in each index.
struct Expected {
    /// Hashes of its owner, name, lookup and expiry pairs, each with its
    /// entry.
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
            let (bucket, packed) = item.map_err(|e| self.err(e))?;
            let unreadable = |e: layout::Unreadable| {
                format!(
                    "key bucket {}: {e}",
                    layout::record_bucket_number(&bucket).unwrap_or_default()
                )
            };
            let packed = match layout::open(&packed) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(unreadable(e));
                    continue;
                }
            };
            for pair in layout::pairs(&packed) {
                let (id, v) = match pair {
                    Ok(p) => p,
                    Err(e) => {
                        problems.push(unreadable(e));
                        break;
                    }
                };
                let id = String::from_utf8_lossy(id).into_owned();
                if layout::record_bucket(&id) != *bucket {
                    problems.push(format!("key {id}: stored in another key's bucket"));
                }
                let key: ApiKey = match decode_key(v) {
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
                        let exists = self
                            .accounts
                            .contains_key(&key.account_id)
                            .map_err(|e| self.err(e))?;
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
                // The pairs the record calls for, under the id it is
                // stored by (another id in the record is named above).
                let mut key = key;
                key.id.clone_from(&id);
                let mut entries = [None; 4];
                for (index, entry, a, b) in index_pairs(&key) {
                    entries[index as usize] = Some(entry_hash(&entry, &a, &b));
                }
                expected.insert(id, Expected { entries, found: 0 });
            }
        }
        let trees = [
            &self.by_owner,
            &self.by_name,
            &self.by_lookup,
            &self.by_expiry,
        ];
        for (i, (index, tree)) in INDEXES.into_iter().zip(trees).enumerate() {
            for item in tree {
                let (entry, packed) = item.map_err(|e| self.err(e))?;
                let unreadable = |e: layout::Unreadable| {
                    format!(
                        "the {index} index entry {:?}: {e}",
                        String::from_utf8_lossy(&entry).replace('\0', "/")
                    )
                };
                let packed = match layout::open(&packed) {
                    Ok(p) => p,
                    Err(e) => {
                        problems.push(unreadable(e));
                        continue;
                    }
                };
                for pair in layout::pairs(&packed) {
                    let (a, b) = match pair {
                        Ok(p) => p,
                        Err(e) => {
                            problems.push(unreadable(e));
                            break;
                        }
                    };
                    // The owner and expiry indexes pair a key id with
                    // nothing; the others pair a name or a lookup id with a
                    // key id.
                    let by_id = index == "owner" || index == "expiry";
                    let id = String::from_utf8_lossy(if by_id { a } else { b });
                    let Some(e) = expected.get_mut(id.as_ref()) else {
                        problems.push(format!(
                            "the {index} index names key {id}, which does not exist"
                        ));
                        continue;
                    };
                    if e.entries[i] == Some(entry_hash(&entry, a, b)) {
                        e.found |= 1 << i;
                    } else if index == "name" {
                        problems.push(format!(
                            "the name index files key {id} under {:?}, which is not its name in this account",
                            String::from_utf8_lossy(a)
                        ));
                    } else {
                        problems.push(format!(
                            "the {index} index files key {id} under an entry its record does not call for"
                        ));
                    }
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
        if missing.iter().any(|(_, i)| *i == 1) {
            // Read again for the report: only when something is missing.
            for item in &self.keys {
                let (_, packed) = item.map_err(|e| self.err(e))?;
                let Ok(packed) = layout::open(&packed) else {
                    continue;
                };
                for (id, v) in layout::pairs(&packed).map_while(std::result::Result::ok) {
                    if let Ok((k, _)) = decode_key(v) {
                        names.insert(String::from_utf8_lossy(id).into_owned(), k.name);
                    }
                }
            }
        }
        for (id, i) in missing {
            problems.push(match i {
                0 => format!("key {id}: missing from the owner index"),
                1 => format!(
                    "key {id}: its name {:?} is missing from the name index",
                    names.get(id).map_or("", String::as_str)
                ),
                2 => format!("key {id}: its lookup id is not indexed"),
                _ => format!("key {id}: missing from the expiry index"),
            });
        }
        Ok(problems)
    }
}
