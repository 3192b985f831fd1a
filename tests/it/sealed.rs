//! Schema 5: the packed entries of the key trees are stored compressed
//! where that makes them smaller. A store the schema-4 build wrote upgrades
//! with every entry and every listing as before, a kill during that
//! upgrade leaves one store whole, and a damaged compressed entry is
//! reported, never followed.

use std::collections::BTreeMap;
use std::path::Path;

use iamkeys::store::layout::{self, PACKED_TREES};

use crate::common::iamkeys;
use crate::records::{copy_dir, data, raw, run_ok, schema_version};

/// Every pair of every packed tree, as read.
fn pairs_of(db: &sled::Db) -> BTreeMap<&'static str, Vec<layout::Triple>> {
    PACKED_TREES
        .iter()
        .map(|t| (*t, layout::tree_pairs(&db.open_tree(t).unwrap()).unwrap()))
        .collect()
}

/// (entries stored compressed, entries) over the packed trees; every
/// compressed entry is smaller than what it holds.
fn sealed(db: &sled::Db) -> (usize, usize) {
    let (mut sealed, mut all) = (0, 0);
    for t in PACKED_TREES {
        for item in &db.open_tree(t).unwrap() {
            let (_, stored) = item.unwrap();
            let plain = layout::open(&stored).unwrap();
            all += 1;
            if layout::is_sealed(&stored) {
                sealed += 1;
                assert!(stored.len() < plain.len(), "{t}: sealed larger than plain");
            } else {
                assert_eq!(&*plain, &*stored);
            }
        }
    }
    (sealed, all)
}

/// The store the schema-4 build wrote (tests/it/data/make-v4-store.sh).
fn v4_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&data("v4-store"), &dir);
    (tmp, dir)
}

#[test]
fn a_schema_4_store_upgrades_with_every_entry_and_listing_as_before() {
    let (_tmp, dir) = v4_store();
    let before = {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "4");
        assert_eq!(sealed(&db).0, 0, "schema 4 compresses nothing");
        pairs_of(&db)
    };
    assert!(run_ok(&dir, &["check"]).contains("consistent"));
    {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "5");
        assert_eq!(pairs_of(&db), before, "an entry changed in the upgrade");
        let (sealed, all) = sealed(&db);
        assert!(sealed > 0 && sealed < all, "{sealed} of {all} compressed");
        crate::names::assert_indexes_exact(&db);
    }
    // Every View of every persona, as the schema-4 build listed it.
    let expected = std::fs::read_to_string(data("v4-store.dump")).unwrap();
    let mut compared = 0;
    for section in expected.split("## ").skip(1) {
        let (header, body) = section.split_once('\n').unwrap();
        let words: Vec<&str> = header.split(' ').collect();
        let out = iamkeys(&dir)
            .args(["--as", words[0], "--account", words[1], "api-keys"])
            .args(["--view", words[2], "--output", "json"])
            .output()
            .unwrap();
        let got = format!(
            "exit {}\n{}{}",
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(got, body, "{header}: listed otherwise after the upgrade");
        compared += 1;
    }
    assert_eq!(compared, 52);
    // A second open finds nothing to do.
    run_ok(&dir, &["check"]);
    assert_eq!(schema_version(&raw(&dir)), "5");
}

/// Seeds `keys` generated keys (schema 5), then writes every packed entry
/// plain and the schema version 4: the store the schema-4 build wrote for
/// that fixture.
fn schema_4_store(dir: &Path, keys: usize) {
    let fixture = dir.with_extension("yaml");
    let generated = iamkeys(dir)
        .args(["gen-fixture", "--keys", &keys.to_string(), "-o"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(generated.status.success());
    run_ok(dir, &["seed", fixture.to_str().unwrap()]);
    let db = raw(dir);
    for t in PACKED_TREES {
        let tree = db.open_tree(t).unwrap();
        for item in &tree {
            let (k, stored) = item.unwrap();
            let plain = layout::open(&stored).unwrap().into_owned();
            tree.insert(k, plain).unwrap();
        }
    }
    db.open_tree("meta")
        .unwrap()
        .insert("schema_version", "4")
        .unwrap();
    db.flush().unwrap();
    assert_eq!(sealed(&db).0, 0);
}

#[test]
fn an_upgrade_from_schema_4_killed_midway_runs_again_at_the_next_open() {
    const KEYS: usize = 30_000;
    let pristine = tempfile::tempdir().unwrap();
    let template = pristine.path().join("data");
    schema_4_store(&template, KEYS);
    crate::names::kill_during_upgrade(&template, KEYS, "4", &|db| {
        assert_eq!(sealed(db).0, 0);
        assert_eq!(layout::records(db).unwrap().len(), KEYS);
    });
}

/// A compressed entry whose length or body is damaged reads as damaged:
/// `check` names it, and nothing allocates what a damaged length claims.
#[test]
fn a_damaged_compressed_entry_is_reported() {
    let (_tmp, dir) = crate::service::seeded();
    let (entry, stored) = {
        let db = raw(&dir);
        let keys = db.open_tree("keys").unwrap();
        let (entry, stored) = keys
            .iter()
            .map(|i| i.unwrap())
            .find(|(_, v)| layout::is_sealed(v))
            .expect("a compressed record bucket");
        (entry.to_vec(), stored.to_vec())
    };
    let claims_4_gib = {
        let mut v = stored.clone();
        v[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        v
    };
    let cut = stored[..stored.len() - 3].to_vec();
    let put = |value: Vec<u8>| {
        let db = raw(&dir);
        db.open_tree("keys").unwrap().insert(&entry, value).unwrap();
        db.flush().unwrap();
    };
    for damaged in [claims_4_gib, cut] {
        put(damaged);
        let out = iamkeys(&dir).arg("check").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("key bucket"), "{text}");
        assert!(text.contains("cut short or out of order"), "{text}");
    }
    put(stored);
    assert!(run_ok(&dir, &["check"]).contains("consistent"));
}
