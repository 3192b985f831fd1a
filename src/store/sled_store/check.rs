//! Checking a store: every record readable, and the records and their
//! indexes agreeing in both directions.

use super::*;

impl SledStore {
    pub(super) fn check_records(&self) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
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
            if self.account(&key.account_id)?.is_none() {
                problems.push(format!(
                    "key {id}: its account {} does not exist",
                    key.account_id
                ));
            }
            let ok = |t: &Tree, k: Vec<u8>| t.contains_key(k).map_err(|e| self.err(e));
            if !ok(
                &self.by_owner,
                owner_key(&key.account_id, &key.iam_id, key.kind, &id),
            )? {
                problems.push(format!("key {id}: missing from the owner index"));
            }
            if !ok(&self.by_kind, kind_key(&key.account_id, key.kind, &id))? {
                problems.push(format!("key {id}: missing from the kind index"));
            }
            if let Some(l) = &key.lookup {
                match self.by_lookup.get(l).map_err(|e| self.err(e))? {
                    Some(v) if v.as_ref() == id.as_bytes() => {}
                    _ => problems.push(format!("key {id}: its lookup id is not indexed")),
                }
            }
            seen.insert(id);
        }
        let index_id = |k: &[u8]| {
            String::from_utf8_lossy(k.rsplit(|b| *b == 0).next().unwrap_or(k)).into_owned()
        };
        for (name, tree) in [("owner", &self.by_owner), ("kind", &self.by_kind)] {
            for item in tree {
                let (k, _) = item.map_err(|e| self.err(e))?;
                let id = index_id(&k);
                if !seen.contains(&id) {
                    problems.push(format!(
                        "the {name} index names key {id}, which does not exist"
                    ));
                }
            }
        }
        for item in &self.by_lookup {
            let (_, v) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&v).into_owned();
            if !seen.contains(&id) {
                problems.push(format!(
                    "the lookup index names key {id}, which does not exist"
                ));
            }
        }
        Ok(problems)
    }
}
