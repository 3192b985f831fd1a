//! The name index (schema 3): a key named on the command line is found
//! among the keys of that name only, with exactly the answers a scan of
//! every view gave; the index follows every change; a schema-2 store gets
//! it when it is opened (again, if that was interrupted); `check` finds it
//! wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use iamkeys::access::ViewFilter;
use iamkeys::domain::ApiKey;
use iamkeys::secret::HashParams;
use iamkeys::service::{
    KeyUpdate, ListQuery, NewKey, NewServiceId, Service, ServiceError, Session,
};
use iamkeys::store::{layout, record};
use proptest::prelude::*;

use crate::common::iamkeys;
use crate::records::{copy_dir, data, raw, run_ok, schema_version};
use crate::service::seeded;

/// The index pairs, (entry, a, b), that a store's key records call for
/// (see `iamkeys::store::layout`), tree by tree.
fn expected_pairs(db: &sled::Db) -> BTreeMap<&'static str, BTreeSet<layout::Triple>> {
    let mut out: BTreeMap<&str, BTreeSet<_>> = BTreeMap::new();
    for (id, bytes) in layout::records(db).unwrap() {
        let (k, _) = record::decode_key(&bytes).unwrap().into_key();
        assert_eq!(k.id, id);
        out.entry("keys_by_owner").or_default().insert((
            layout::owner_entry(&k.account_id, &k.iam_id, k.kind.code(), &id),
            id.as_bytes().to_vec(),
            Vec::new(),
        ));
        out.entry("keys_by_name").or_default().insert((
            layout::name_bucket(&k.account_id, &k.name),
            k.name.as_bytes().to_vec(),
            id.as_bytes().to_vec(),
        ));
        if let Some(t) = k.expires_at.and_then(iamkeys::time::Moment::instant) {
            out.entry("keys_by_expiry").or_default().insert((
                layout::expiry_entry(&k.account_id, t),
                id.as_bytes().to_vec(),
                Vec::new(),
            ));
        }
        if let Some(l) = &k.lookup {
            out.entry("keys_by_lookup").or_default().insert((
                layout::lookup_bucket(l).to_vec(),
                l.as_bytes().to_vec(),
                id.as_bytes().to_vec(),
            ));
        }
    }
    out
}

/// The indexes hold exactly what the key records call for, and nothing
/// else: each key under its owner, its name, its lookup id and the day it
/// expires.
pub(crate) fn assert_indexes_exact(db: &sled::Db) {
    let expected = expected_pairs(db);
    for tree in [
        "keys_by_owner",
        "keys_by_name",
        "keys_by_lookup",
        "keys_by_expiry",
    ] {
        let actual: BTreeSet<_> = layout::tree_pairs(&db.open_tree(tree).unwrap())
            .unwrap()
            .into_iter()
            .collect();
        let want = expected.get(tree).cloned().unwrap_or_default();
        let shown = |s: &BTreeSet<layout::Triple>| -> Vec<String> {
            s.iter()
                .map(|(_, a, b)| {
                    format!(
                        "{}|{}",
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b)
                    )
                })
                .collect()
        };
        assert!(
            actual == want,
            "{tree} differs from the records: missing {:?}, extra {:?}",
            shown(&want.difference(&actual).cloned().collect()),
            shown(&actual.difference(&want).cloned().collect()),
        );
    }
}

/// A copy of the store the schema-2 build wrote (tests/it/data/make-v2-store.sh).
fn v2_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&data("v2-store"), &dir);
    (tmp, dir)
}

/// `api-key NAME` as the dump records it: the exit code, then what was printed.
fn resolved(dir: &Path, who: &str, account: &str, name: &str) -> String {
    let out = iamkeys(dir)
        .args(["--as", who, "--account", account, "api-key", name])
        .args(["--output", "json"])
        .output()
        .unwrap();
    format!(
        "exit {}\n{}{}",
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_schema_2_store_opens_with_every_name_resolving_as_before() {
    let (_tmp, dir) = v2_store();
    {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "2");
        assert!(db.open_tree("keys_by_name").unwrap().is_empty());
    }
    // The first open upgrades the store (to the current schema, names indexed); it
    // then checks clean (check compares the indexes with the records both
    // ways).
    run_ok(&dir, &["check"]);
    {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "5");
        assert_indexes_exact(&db);
        assert_eq!(layout::records(&db).unwrap().len(), 16);
    }
    // Every name, for every persona in every account they belong to, as the
    // schema-2 build resolved it by scanning: the same key, the same
    // "ambiguous" and "not found" answers, word for word.
    let expected = std::fs::read_to_string(data("v2-store.dump")).unwrap();
    let mut exits = BTreeMap::new();
    for section in expected.split("## ").skip(1) {
        let (header, body) = section.split_once('\n').unwrap();
        let mut words = header.splitn(3, ' ');
        let (who, account, name) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        assert_eq!(
            resolved(&dir, who, account, name),
            body,
            "{who} in {account}: {name:?} resolves otherwise with the index"
        );
        *exits
            .entry(body.lines().next().unwrap().to_string())
            .or_insert(0) += 1;
    }
    // Found, ambiguous and not found were all compared.
    assert_eq!(exits["exit 0"], 28, "{exits:?}");
    assert_eq!(exits["exit 2"], 6, "{exits:?}");
    assert_eq!(exits["exit 4"], 174, "{exits:?}");
    // A second open finds nothing to do.
    run_ok(&dir, &["check"]);
}

/// Adds `n` keys to a schema-2 store, in its layout, with the index entries
/// schema 2 kept (none by name), so that building the name index takes a
/// while.
fn grow_v2_store(dir: &Path, n: usize) {
    let db = raw(dir);
    let keys = db.open_tree("keys").unwrap();
    let template = keys
        .iter()
        .map(|i| record::decode_key(&i.unwrap().1).unwrap())
        .find(|r| r.key.name == "plain-key")
        .unwrap();
    let (owner, kind) = (
        db.open_tree("keys_by_owner").unwrap(),
        db.open_tree("keys_by_kind").unwrap(),
    );
    for i in 0..n {
        let mut r = template.clone();
        r.key.id = format!("ApiKey-00000000-0000-4000-8000-{i:012}");
        // Names in an order of their own, some shared.
        r.key.name = format!("copy {}", (i * 7919) % (n / 2).max(1));
        r.key.lookup = None;
        r.key.hash = None;
        keys.insert(&r.key.id, r.encode()).unwrap();
        let (acct, iam) = (&r.key.account_id, &r.key.iam_id);
        owner
            .insert(format!("{acct}\0{iam}\0u\0{}", r.key.id), &[])
            .unwrap();
        kind.insert(format!("{acct}\0u\0{}", r.key.id), &[])
            .unwrap();
    }
    db.flush().unwrap();
}

/// Whether a data directory holds a new store being written beside the
/// old one (an upgrade or a seed under way, or one a kill interrupted).
fn staging_left(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.starts_with(".store.seeding-") || name == ".store.next"
    })
}

/// The upgrade from schema 2 writes a new store beside the old one and
/// swaps it in: a kill at any moment leaves the old store (schema 2,
/// untouched) or the new one (current, whole), never a mix; the next open
/// cleans up and finishes the job.
#[test]
fn an_upgrade_killed_midway_runs_again_at_the_next_open() {
    const EXTRA: usize = 30_000;
    let keys = 16 + EXTRA;
    let pristine = tempfile::tempdir().unwrap();
    let template = pristine.path().join("data");
    copy_dir(&data("v2-store"), &template);
    grow_v2_store(&template, EXTRA);
    kill_during_upgrade(&template, keys, "2", &|db| {
        assert_eq!(db.open_tree("keys").unwrap().len(), keys);
    });
}

/// Kills `check` on copies of `template` (a store of schema `old` with
/// `keys` keys, which `old_whole` checks) at moments spread over its
/// upgrade, until one lands while the new store is half written: after
/// each kill the data directory holds the old store whole or the new one
/// whole, and the next open finishes the job and cleans up.
pub(crate) fn kill_during_upgrade(
    template: &Path,
    keys: usize,
    old: &str,
    old_whole: &dyn Fn(&sled::Db),
) {
    let current = iamkeys::store::SCHEMA_VERSION.to_string();
    let timed = tempfile::tempdir().unwrap();
    copy_dir(template, &timed.path().join("data"));
    let started = Instant::now();
    run_ok(&timed.path().join("data"), &["check"]);
    let whole = started.elapsed();
    // Kills spread over that time: before, during and after the upgrade.
    // (schema, a new store half written beside it, finished) after each.
    let trial = |delay: std::time::Duration| -> (String, bool, bool) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        copy_dir(template, &dir);
        let mut child = iamkeys(&dir)
            .arg("check")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let done = child.wait().unwrap().success();
        let half = staging_left(&dir);
        let seen = {
            let db = raw(&dir);
            let version = schema_version(&db);
            if version == current {
                assert_eq!(layout::records(&db).unwrap().len(), keys);
                assert_indexes_exact(&db);
            } else if version == old {
                old_whole(&db);
            } else {
                panic!("schema version {version}");
            }
            (version, half, done)
        };
        // The next open finishes the job and cleans up.
        run_ok(&dir, &["check"]);
        assert!(!staging_left(&dir));
        let db = raw(&dir);
        assert_eq!(schema_version(&db), current);
        assert_indexes_exact(&db);
        seen
    };
    let midway = |seen: &[(std::time::Duration, (String, bool, bool))]| {
        seen.iter()
            .any(|(_, (v, half, done))| v == old && *half && !done)
    };
    let trials = 8;
    let mut seen = Vec::new();
    for t in 0..trials {
        let delay = whole * t / trials;
        seen.push((delay, trial(delay)));
    }
    // Until a kill lands while the new store is half written, bisect
    // between the last kill that left the old schema and the first that
    // left the current one.
    for _ in 0..8 {
        if midway(&seen) {
            break;
        }
        let before = seen
            .iter()
            .filter(|(_, (v, _, _))| v == old)
            .map(|(d, _)| *d)
            .max()
            .unwrap_or_default();
        let after = seen
            .iter()
            .filter(|(d, (v, _, _))| *v == current && *d > before)
            .map(|(d, _)| *d)
            .min()
            .unwrap_or(whole);
        let delay = (before + after) / 2;
        seen.push((delay, trial(delay)));
    }
    eprintln!(
        "undisturbed open {whole:?}; after each kill (delay, (schema, half-written new store, finished)): {seen:?}"
    );
    assert!(
        midway(&seen),
        "no kill landed while the new store was half written: {seen:?}"
    );
}

/// `check` names each way the name index can disagree with the records
/// (and an owner entry under the wrong owner).
#[test]
fn check_finds_a_wrong_name_index() {
    let (_tmp, dir) = seeded();
    run_ok(&dir, &["check"]);
    let ids: BTreeMap<String, (String, String)> = {
        let db = raw(&dir);
        let mut ids = BTreeMap::new();
        for (id, bytes) in layout::records(&db).unwrap() {
            let k = record::decode_key(&bytes).unwrap().key;
            ids.insert(k.name.clone(), (k.account_id.clone(), id));
        }
        let names = db.open_tree("keys_by_name").unwrap();
        let edit = |account: &str, name: &str, f: &dyn Fn(&mut layout::Set)| {
            layout::edit(&names, &layout::name_bucket(account, name), f).unwrap();
        };
        let (acct, plain) = &ids["plain-key"];
        edit(acct, "plain-key", &|s| {
            assert!(s.remove(b"plain-key", plain.as_bytes()));
        });
        let (acct, admin) = &ids["admin-key"];
        edit(acct, "old name", &|s| {
            s.insert(b"old name", admin.as_bytes());
        });
        edit(acct, "ghost", &|s| s.insert(b"ghost", b"ApiKey-nowhere"));
        // And an owner entry filing admin-key under someone else.
        layout::edit(
            &db.open_tree("keys_by_owner").unwrap(),
            &layout::owner_entry(acct, "iam-someone-else", b'u', admin),
            |s| s.insert(admin.as_bytes(), b""),
        )
        .unwrap();
        db.flush().unwrap();
        ids
    };
    let out = iamkeys(&dir).arg("check").output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("has 4 problem(s)"), "{stderr}");
    let plain = &ids["plain-key"].1;
    let admin = &ids["admin-key"].1;
    for problem in [
        format!("key {plain}: its name \"plain-key\" is missing from the name index"),
        format!(
            "the name index files key {admin} under \"old name\", which is not its name in this account"
        ),
        "the name index names key ApiKey-nowhere, which does not exist".to_string(),
        format!("the owner index files key {admin} under an entry its record does not call for"),
    ] {
        assert!(stdout.contains(&problem), "{problem}\nnot in:\n{stdout}");
    }
}

/// The raw trees right after a handle in this process closed the store
/// (sled lets go of its lock a moment later).
fn raw_after_close(dir: &Path) -> sled::Db {
    let end = crate::common::deadline(std::time::Duration::from_secs(10));
    loop {
        match sled::open(dir.join("store")) {
            Ok(db) => return db,
            Err(e) if Instant::now() < end => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("the store cannot be opened: {e}"),
        }
    }
}

fn open(dir: &Path) -> Service {
    Service::open(dir, HashParams::TEST).unwrap()
}

fn who(svc: &Service, email: &str, account: &str) -> Session {
    svc.sign_in_as(email, Some(account)).unwrap()
}

fn key_named(svc: &Service, s: &Session, name: &str) -> Result<String, String> {
    svc.get(s, name)
        .map(|r| r.key.id)
        .map_err(|e| e.to_string())
}

/// Every kind of change keeps the index right: `check` (which compares it
/// with the records both ways) stays clean and names find their keys.
#[test]
fn the_name_index_follows_every_change_to_a_key() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let clean = |svc: &Service| assert_eq!(svc.check().unwrap(), Vec::<String>::new());
    let owner = who(&svc, "owner@alpha.test", "alpha");
    let child = who(&svc, "child@alpha.test", "alpha");
    // Create.
    let created = svc
        .create_user_key(
            &child,
            &NewKey {
                name: "fresh".into(),
                ..NewKey::default()
            },
        )
        .unwrap()
        .row
        .key;
    clean(&svc);
    assert_eq!(key_named(&svc, &owner, "fresh"), Ok(created.id.clone()));
    // Rename: the old name finds nothing, the new one the key.
    let rename = |s: &Session, r: &str, to: &str| {
        svc.update(
            s,
            r,
            &KeyUpdate {
                name: Some(to.into()),
                ..KeyUpdate::default()
            },
        )
        .unwrap()
    };
    rename(&child, "fresh", "renamed");
    clean(&svc);
    assert!(
        key_named(&svc, &owner, "fresh")
            .unwrap_err()
            .contains("no API key fresh")
    );
    assert_eq!(key_named(&svc, &owner, "renamed"), Ok(created.id.clone()));
    // Renamed onto another key's name: ambiguous to the owner, unique to
    // the child, who sees only their own.
    rename(&owner, "renamed", "admin-key");
    clean(&svc);
    let err = key_named(&svc, &owner, "admin-key").unwrap_err();
    assert!(err.contains("is ambiguous: it names 2 keys"), "{err}");
    assert_eq!(key_named(&svc, &child, "admin-key"), Ok(created.id.clone()));
    // Changes that keep the name keep the entry.
    for action in [
        iamkeys::access::KeyAction::Lock,
        iamkeys::access::KeyAction::Unlock,
        iamkeys::access::KeyAction::Disable,
        iamkeys::access::KeyAction::Enable,
    ] {
        svc.switch(&child, &created.id, action, None).unwrap();
        clean(&svc);
    }
    svc.update(
        &child,
        &created.id,
        &KeyUpdate {
            description: Some("described".into()),
            ..KeyUpdate::default()
        },
    )
    .unwrap();
    clean(&svc);
    // Delete.
    svc.delete(&owner, &created.id, None).unwrap();
    clean(&svc);
    assert!(key_named(&svc, &owner, "admin-key").is_ok());
    // A service ID's keys, one renamed after creation, go with it.
    let sid = svc
        .create_service_id(
            &owner,
            &NewServiceId {
                name: "worker".into(),
                description: String::new(),
                locked: false,
            },
        )
        .unwrap();
    let spec = |name: &str| NewKey {
        name: name.into(),
        ..NewKey::default()
    };
    svc.create_service_key(&owner, &sid.id, &spec("worker-key"))
        .unwrap();
    let second = svc
        .create_service_key(&owner, &sid.id, &spec("worker-key-2"))
        .unwrap()
        .row
        .key;
    rename(&owner, &second.id, "worker-key-renamed");
    clean(&svc);
    assert_eq!(
        key_named(&svc, &owner, "worker-key-renamed"),
        Ok(second.id.clone())
    );
    assert_eq!(svc.delete_service_id(&owner, &sid.id).unwrap(), 2);
    clean(&svc);
    for name in ["worker-key", "worker-key-2", "worker-key-renamed"] {
        assert!(
            key_named(&svc, &owner, name)
                .unwrap_err()
                .contains("no API key")
        );
    }
    // And across a reopen.
    drop(svc);
    let st = crate::service::open_after_close(&dir);
    assert_eq!(
        iamkeys::store::Storage::check(&st).unwrap(),
        Vec::<String>::new()
    );
    drop(st);
    assert_indexes_exact(&raw_after_close(&dir));
}

// ---- the index against a scan, over random changes -----------------------

/// The personas, in the account they act in.
const PEOPLE: [(&str, &str); 10] = [
    ("owner@alpha.test", "alpha"),
    ("admin@alpha.test", "alpha"),
    ("editor@alpha.test", "alpha"),
    ("plain@alpha.test", "alpha"),
    ("child@alpha.test", "alpha"),
    ("grandchild@alpha.test", "alpha"),
    ("viewer@alpha.test", "alpha"),
    ("plain@alpha.test", "beta"),
    ("owner@beta.test", "beta"),
    ("creator@beta.test", "beta"),
];

/// Names the changes use: shared, differing only in case, with spaces,
/// one a fixture key's, one the classic keys'.
const NAMES: [&str; 7] = [
    "a",
    "A",
    "b",
    "shared name",
    "plain-key",
    "Classic infrastructure API key",
    "ci-deploy",
];

#[derive(Debug, Clone)]
enum Op {
    Create {
        who: usize,
        name: usize,
    },
    CreateForService {
        who: usize,
        name: usize,
    },
    Classic {
        who: usize,
    },
    Rename {
        who: usize,
        target: usize,
        to: usize,
    },
    Delete {
        who: usize,
        target: usize,
    },
    NewServiceId {
        who: usize,
    },
    DeleteServiceId {
        who: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..PEOPLE.len();
    let name = 0..NAMES.len();
    prop_oneof![
        3 => (who.clone(), name.clone()).prop_map(|(who, name)| Op::Create { who, name }),
        2 => (who.clone(), name.clone()).prop_map(|(who, name)| Op::CreateForService { who, name }),
        1 => who.clone().prop_map(|who| Op::Classic { who }),
        3 => (who.clone(), 0..64usize, name.clone())
            .prop_map(|(who, target, to)| Op::Rename { who, target, to }),
        2 => (who.clone(), 0..64usize).prop_map(|(who, target)| Op::Delete { who, target }),
        1 => who.clone().prop_map(|who| Op::NewServiceId { who }),
        1 => who.prop_map(|who| Op::DeleteServiceId { who }),
    ]
}

/// What the resolver answered before the index: a scan of every view the
/// user has, keeping the keys with exactly that name (the text of its
/// answers copied from that resolver).
fn by_scan(svc: &Service, s: &Session, key_ref: &str) -> Result<String, String> {
    let mut found: BTreeMap<String, ApiKey> = BTreeMap::new();
    for v in svc.views(s).unwrap() {
        let rows = svc
            .list(
                s,
                &ListQuery {
                    view: v.view,
                    ..ListQuery::default()
                },
            )
            .unwrap()
            .rows;
        for r in rows {
            if r.key.name == key_ref {
                found.insert(r.key.id.clone(), r.key);
            }
        }
    }
    match found.len() {
        0 => Err(format!(
            "no API key {key_ref} among the keys you can see in this account"
        )),
        1 => Ok(found.into_keys().next().unwrap()),
        n => Err(format!(
            "the name {key_ref:?} is ambiguous: it names {n} keys; use an id: {}",
            found.into_keys().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Every key of the session's account that the session can act on by id.
fn all_ids(svc: &Service, s: &Session) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for v in [
        ViewFilter::MyApiKeys,
        ViewFilter::AllUserApiKeys,
        ViewFilter::AllServiceIdApiKeys,
        ViewFilter::ClassicInfrastructure,
    ] {
        if let Ok(l) = svc.list(
            s,
            &ListQuery {
                view: v,
                ..ListQuery::default()
            },
        ) {
            ids.extend(l.rows.into_iter().map(|r| r.key.id));
        }
    }
    ids.into_iter().collect()
}

fn apply(svc: &Service, sessions: &[Session], op: &Op) {
    let pick = |s: &Session, target: usize| -> Option<String> {
        let ids = all_ids(svc, s);
        (!ids.is_empty()).then(|| ids[target % ids.len()].clone())
    };
    let spec = |name: usize| NewKey {
        name: NAMES[name].into(),
        ..NewKey::default()
    };
    // Refusals (limits, rules) are part of the walk: they change nothing.
    let _: Result<(), ServiceError> = match *op {
        Op::Create { who, name } => svc.create_user_key(&sessions[who], &spec(name)).map(drop),
        Op::CreateForService { who, name } => {
            let s = &sessions[who];
            match svc.service_ids(s).ok().and_then(|v| v.into_iter().next()) {
                Some(sid) => svc.create_service_key(s, &sid.id, &spec(name)).map(drop),
                None => Ok(()),
            }
        }
        Op::Classic { who } => svc.create_classic_key(&sessions[who]).map(drop),
        Op::Rename { who, target, to } => match pick(&sessions[who], target) {
            Some(id) => svc
                .update(
                    &sessions[who],
                    &id,
                    &KeyUpdate {
                        name: Some(NAMES[to].into()),
                        ..KeyUpdate::default()
                    },
                )
                .map(drop),
            None => Ok(()),
        },
        Op::Delete { who, target } => match pick(&sessions[who], target) {
            Some(id) => svc.delete(&sessions[who], &id, None).map(drop),
            None => Ok(()),
        },
        Op::NewServiceId { who } => svc
            .create_service_id(
                &sessions[who],
                &NewServiceId {
                    name: "random".into(),
                    description: String::new(),
                    locked: false,
                },
            )
            .map(drop),
        Op::DeleteServiceId { who } => {
            let s = &sessions[who];
            match svc.service_ids(s).ok().and_then(|v| v.into_iter().last()) {
                Some(sid) => svc.delete_service_id(s, &sid.id).map(drop),
                None => Ok(()),
            }
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After any sequence of creates, renames and deletes (of keys and of
    /// service IDs with their keys), by whoever tries them, every name
    /// resolves through the index exactly as a scan of every view resolves
    /// it, for every persona, and the store checks clean.
    #[test]
    fn names_resolve_through_the_index_as_a_scan_would(ops in prop::collection::vec(op(), 1..24)) {
        let (_tmp, dir) = seeded();
        let svc = open(&dir);
        let sessions: Vec<Session> = PEOPLE.iter().map(|(e, a)| who(&svc, e, a)).collect();
        for (i, op) in ops.iter().enumerate() {
            apply(&svc, &sessions, op);
            prop_assert_eq!(svc.check().unwrap(), Vec::<String>::new(), "after {:?}", &ops[..=i]);
        }
        for s in &sessions {
            for name in NAMES.iter().chain(&["admin-key", "no such key", "PLAIN-KEY"]) {
                prop_assert_eq!(
                    key_named(&svc, s, name),
                    by_scan(&svc, s, name),
                    "{} in {}: {:?} after {:?}", s.user.email, s.account_id, name, ops
                );
            }
        }
    }
}

// ---- check at scale --------------------------------------------------------

/// A store of `keys` user keys in one account of `users` members.
fn generated(keys: usize, users: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (fx, _) = iamkeys::fixture::generate(&iamkeys::fixture::GenSpec {
        keys,
        users,
        with_values: 0,
        ..iamkeys::fixture::GenSpec::default()
    });
    let (seed, _) = iamkeys::fixture::to_seed(&fx, HashParams::TEST, iamkeys::service::now());
    iamkeys::store::SledStore::create(&dir, &seed, true, "test", false).unwrap();
    (tmp, dir)
}

/// `check` reads each account record once, not once per key: a large
/// account (thousands of members) costs it no more per key than a small
/// one. (Reading the account per key made the large one many times
/// slower.) Measured interleaved, medians of five.
#[test]
fn check_costs_the_same_per_key_whatever_the_size_of_the_account() {
    const KEYS: usize = 10_000;
    let (_small_tmp, small) = generated(KEYS, 0);
    let (_large_tmp, large) = generated(KEYS, 5_000);
    let store = |dir: &Path| crate::service::open_after_close(dir);
    let time = |dir: &Path| {
        let st = store(dir);
        let started = Instant::now();
        let problems = iamkeys::store::Storage::check(&st).unwrap();
        let took = started.elapsed();
        assert_eq!(problems, Vec::<String>::new());
        took
    };
    let (mut s, mut l) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        s.push(time(&small));
        l.push(time(&large));
    }
    s.sort();
    l.sort();
    let (s, l) = (s[2], l[2]);
    eprintln!("check of {KEYS} keys: 11 members {s:?}, 5,001 members {l:?}");
    assert!(
        l < s * 3,
        "a large account made check {:.1}x slower ({l:?} against {s:?})",
        l.as_secs_f64() / s.as_secs_f64()
    );
}
