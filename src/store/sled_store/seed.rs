//! Writing a new store's trees from a seed, each in entry order.

use super::*;

/// Writes `seed`, whose keys are `keys` (not `seed.keys`).
pub(super) fn write_seed(
    dir: &Path,
    db: &Db,
    seed: &Seed,
    keys: &PackedKeys,
    demo: bool,
    source: &str,
) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let tree = |name: &str| db.open_tree(name).map_err(e);
    let mut users = sled::Batch::default();
    let mut by_email = sled::Batch::default();
    for u in &seed.users {
        users.insert(u.iam_id.as_bytes(), encode(u));
        by_email.insert(u.email.as_bytes(), u.iam_id.as_bytes());
    }
    tree("users")?.apply_batch(users).map_err(e)?;
    tree("users_by_email")?.apply_batch(by_email).map_err(e)?;

    let mut memberships: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::default();
    let mut accounts = sled::Batch::default();
    let mut members = Vec::new();
    for a in &seed.accounts {
        accounts.insert(a.id.as_bytes(), encode_account(a));
        members.extend(member_entries(a));
        for m in &a.members {
            memberships.entry(&m.iam_id).or_default().push(&a.id);
        }
    }
    tree("accounts")?.apply_batch(accounts).map_err(e)?;
    members.sort_unstable();
    let member_tree = tree("members")?;
    for (k, v) in members {
        member_tree.insert(k, v).map_err(e)?;
    }
    let mut ms = sled::Batch::default();
    for (iam_id, list) in memberships {
        ms.insert(iam_id.as_bytes(), encode(&list));
    }
    tree("memberships")?.apply_batch(ms).map_err(e)?;

    let mut sids = sled::Batch::default();
    for s in &seed.service_ids {
        sids.insert(service_key(&s.account_id, &s.id), encode(s));
    }
    tree("service_ids")?.apply_batch(sids).map_err(e)?;

    write_keys(dir, db, &keys.keys, &|i| Ok(keys.keys[i].record.to_vec()))?;

    // Written last: a store without a schema version is an unfinished seed.
    let meta = tree("meta")?;
    meta.insert("demo", if demo { "true" } else { "false" })
        .map_err(e)?;
    meta.insert("source", source.as_bytes()).map_err(e)?;
    meta.insert("schema_version", SCHEMA_VERSION.to_string().as_bytes())
        .map_err(e)?;
    Ok(())
}
