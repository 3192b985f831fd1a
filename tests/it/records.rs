//! Key records on disk: a store written by the schema-1 build opens with
//! every record intact (and survives a kill during that migration), the
//! sign-in throttle holds under concurrent guesses and across second
//! boundaries, and counters saturate.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use iamkeys::access::Denied;
use iamkeys::domain::{ApiKey, SignInFailures, THROTTLE_MAX_WAIT_SECS, THROTTLE_WINDOW_SECS};
use iamkeys::secret::HashParams;
use iamkeys::service::{Service, ServiceError};
use iamkeys::store::record::{self, HistoryRecord, KEY_RECORD_V2, KeyRecordV1};
use iamkeys::store::{Admission, Storage, layout};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::common::iamkeys;
use crate::service::{GRANDCHILD_KEY, PLAIN_KEY, seeded, stored, wrong_secret_for};

pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data")
        .join(name)
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A copy of the store the schema-1 build wrote (tests/it/data/make-v1-store.sh).
fn v1_store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&data("v1-store"), &dir);
    (tmp, dir)
}

/// The raw trees, for looking under the store (the store must be closed).
pub(crate) fn raw(dir: &Path) -> sled::Db {
    sled::open(dir.join("store")).unwrap()
}

pub(crate) fn schema_version(db: &sled::Db) -> String {
    let v = db.open_tree("meta").unwrap().get("schema_version").unwrap();
    String::from_utf8(v.unwrap().to_vec()).unwrap()
}

pub(crate) fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = iamkeys(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// plain-key's activity, as its details show it.
fn plain_key_activity(dir: &Path) -> Value {
    let out = run_ok(
        dir,
        &[
            "--as",
            "owner@alpha.test",
            "api-key",
            "plain-key",
            "--output",
            "json",
        ],
    );
    serde_json::from_str::<Value>(&out).unwrap()["activity"].clone()
}

#[test]
fn a_schema_1_store_opens_migrated_with_every_record_intact() {
    let (_tmp, dir) = v1_store();
    {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "1");
    }
    // The first open migrates; the store then checks clean.
    let out = run_ok(&dir, &["check"]);
    assert!(!out.is_empty());
    // Everything the schema-1 build showed, it shows the same: every key in
    // full with its history and activity, every account's settings, every
    // persona's accounts and views.
    let expected = std::fs::read_to_string(data("v1-store.dump")).unwrap();
    let mut ids = Vec::new();
    let mut sections = 0;
    for section in expected.split("## ").skip(1) {
        let (header, body) = section.split_once('\n').unwrap();
        let words: Vec<&str> = header.split(' ').collect();
        let mut args = vec!["--as", words[0]];
        args.extend(&words[1..]);
        args.extend(["--output", "json"]);
        let out = iamkeys(&dir).args(&args).output().unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        if words[1] == "account-settings" {
            // The settings added since (housekeeping) show their defaults;
            // everything the schema-1 build showed is as it was.
            let mut now: Value = serde_json::from_str(&shown).unwrap();
            let fields = now.as_object_mut().unwrap();
            assert_eq!(fields.remove("expired_key_retention_days"), Some(90.into()));
            assert_eq!(fields.remove("key_age_warning_days"), Some(90.into()));
            let then: Value = serde_json::from_str(body).unwrap();
            assert_eq!(now, then, "{header} shows something else after the upgrade");
        } else {
            assert_eq!(
                shown, body,
                "{header} shows something else after the upgrade"
            );
        }
        if words[1] == "api-key" {
            ids.push(words[2].to_string());
        }
        sections += 1;
    }
    assert!(sections > 30, "{sections} sections");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 13, "every key of the fixture was compared");
    // Under the store: the current schema, every key record in the tagged
    // layout, every name indexed.
    {
        let db = raw(&dir);
        assert_eq!(schema_version(&db), "5");
        crate::names::assert_indexes_exact(&db);
        let records = layout::records(&db).unwrap();
        assert_eq!(records.len(), ids.len());
        for (id, bytes) in records {
            assert_eq!(bytes[0], KEY_RECORD_V2);
            let rec = record::decode_key(&bytes).unwrap();
            assert_eq!(rec.key.id, id);
        }
    }
    // The key values still sign in, and activity goes on from where it was.
    assert_eq!(plain_key_activity(&dir)["authn_count"], 2);
    run_ok(&dir, &["--apikey", PLAIN_KEY, "api-keys"]);
    assert_eq!(plain_key_activity(&dir)["authn_count"], 3);
    // A second open finds nothing to migrate.
    run_ok(&dir, &["check"]);
}

/// Adds `n` copies of one user key to a schema-1 store, in the schema-1
/// layout, with their index entries and a long history each, so that a
/// migration takes a while and writes more than sled buffers.
fn grow_v1_store(dir: &Path, n: usize) {
    let db = raw(dir);
    let keys = db.open_tree("keys").unwrap();
    let template = keys
        .iter()
        .map(|i| record::decode_key_v1(&i.unwrap().1).unwrap())
        .find(|k| k.name == "plain-key")
        .unwrap();
    let mut history = template.history.clone();
    for i in 0..40 {
        history.push(HistoryRecord {
            message: format!("{i:>100}"),
            ..template.history[0].clone()
        });
    }
    let (owner, kind) = (
        db.open_tree("keys_by_owner").unwrap(),
        db.open_tree("keys_by_kind").unwrap(),
    );
    for i in 0..n {
        let k = KeyRecordV1 {
            id: format!("ApiKey-00000000-0000-4000-8000-{i:012}"),
            name: format!("copy {i}"),
            lookup: None,
            hash: None,
            history: history.clone(),
            ..template.clone()
        };
        keys.insert(&k.id, postcard::to_stdvec(&k).unwrap())
            .unwrap();
        let acct = &k.account_id;
        owner
            .insert(format!("{acct}\0{}\0u\0{}", k.iam_id, k.id), &[])
            .unwrap();
        kind.insert(format!("{acct}\0u\0{}", k.id), &[]).unwrap();
    }
    db.flush().unwrap();
}

/// What a store holds after a kill: one schema and every record in its
/// layout, never a mix. Returns the schema version.
fn consistent_schema(dir: &Path, keys_expected: usize) -> String {
    let db = raw(dir);
    let version = schema_version(&db);
    match version.as_str() {
        "1" => {
            let keys = db.open_tree("keys").unwrap();
            assert_eq!(keys.len(), keys_expected);
            for item in &keys {
                record::decode_key_v1(&item.unwrap().1).unwrap();
            }
        }
        "5" => {
            crate::names::assert_indexes_exact(&db);
            let records = layout::records(&db).unwrap();
            assert_eq!(records.len(), keys_expected);
            for (_, bytes) in records {
                record::decode_key(&bytes).unwrap();
            }
        }
        v => panic!("schema version {v}"),
    }
    version
}

#[test]
fn a_migration_killed_midway_runs_again_at_the_next_open() {
    const EXTRA: usize = 2000;
    let keys = 13 + EXTRA;
    let pristine = tempfile::tempdir().unwrap();
    let template = pristine.path().join("data");
    copy_dir(&data("v1-store"), &template);
    grow_v1_store(&template, EXTRA);
    // How long an undisturbed open with migration takes.
    let timed = tempfile::tempdir().unwrap();
    copy_dir(&template, &timed.path().join("data"));
    let started = Instant::now();
    run_ok(&timed.path().join("data"), &["check"]);
    let whole = started.elapsed();
    // Kills spread over that time: before, during and after the migration.
    let trials = 8;
    let mut seen = Vec::new();
    for t in 0..trials {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        copy_dir(&template, &dir);
        let mut child = iamkeys(&dir)
            .arg("check")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole * t / trials);
        let _ = child.kill();
        let status = child.wait().unwrap();
        seen.push((consistent_schema(&dir, keys), status.success()));
        // The next open finishes the job.
        run_ok(&dir, &["check"]);
        assert_eq!(consistent_schema(&dir, keys), "5");
    }
    eprintln!("undisturbed open {whole:?}; after each kill (schema, finished): {seen:?}");
    assert!(
        seen.iter().any(|(v, done)| v == "1" && !done),
        "no kill landed before the migration committed: {seen:?}"
    );
}

#[test]
fn the_throttle_state_survives_the_upgrade() {
    let (_tmp, dir) = v1_store();
    // Five failed sign-ins a moment ago, as the schema-1 build recorded them.
    {
        let db = raw(&dir);
        let keys = db.open_tree("keys").unwrap();
        let (id, bytes) = keys
            .iter()
            .map(|i| i.unwrap())
            .find(|(_, b)| record::decode_key_v1(b).unwrap().name == "grandchild-key")
            .unwrap();
        let mut k: KeyRecordV1 = record::decode_key_v1(&bytes).unwrap();
        let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
        for _ in 0..5 {
            k.history.push(HistoryRecord {
                timestamp: now,
                actor: "unknown".into(),
                action: "sign-in failed".into(),
                message: String::new(),
            });
        }
        keys.insert(id, postcard::to_stdvec(&k).unwrap()).unwrap();
        db.flush().unwrap();
    }
    let out = iamkeys(&dir)
        .args(["--apikey", GRANDCHILD_KEY, "api-keys"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("wait 1 second") || err.contains("wait 2 seconds"),
        "{err}"
    );
}

fn ms(t: &str) -> i64 {
    t.parse::<Timestamp>().unwrap().as_millisecond()
}

#[test]
fn the_wait_runs_from_the_stored_failure_times_not_the_clock_second() {
    // Five failures late in a second.
    let late = ms("2026-06-01T12:00:00.900Z");
    let mut f = SignInFailures::default();
    for _ in 0..5 {
        f.admit(late).unwrap();
    }
    // Just after the next second began, a whole second has not passed.
    assert_eq!(f.admit(ms("2026-06-01T12:00:01.100Z")), Err(1));
    assert_eq!(f.admit(ms("2026-06-01T12:00:01.899Z")), Err(1));
    // A second after the fifth failure, the sixth attempt goes ahead, and
    // the seventh must wait two seconds from it.
    let sixth = ms("2026-06-01T12:00:01.900Z");
    assert_eq!(f.admit(sixth), Ok(()));
    assert_eq!(f.wait_ms(sixth + 1), Some(1999));
    assert_eq!(f.wait_secs(sixth + 1), Some(2));
    assert_eq!(f.admit(sixth + 1999), Err(1));
    assert_eq!(f.admit(sixth + 2000), Ok(()));
    // Four failures are free.
    let mut four = SignInFailures::from_times(vec![late; 4]);
    assert_eq!(four.wait_ms(late), None);
    assert_eq!(four.admit(late), Ok(()));
    // A right value takes its attempt back.
    four.settle(late);
    assert_eq!(four.times().len(), 4);
    // The wait doubles up to its maximum...
    let many = SignInFailures::from_times(vec![late; 40]);
    assert_eq!(many.wait_secs(late), Some(THROTTLE_MAX_WAIT_SECS as u64));
    // ...never longer, even with the clock set back an hour...
    assert_eq!(
        many.wait_secs(late - 3_600_000),
        Some(THROTTLE_MAX_WAIT_SECS as u64)
    );
    // ...and failures older than the window are forgotten.
    let old = late + THROTTLE_WINDOW_SECS * 1000 + 1;
    assert_eq!(many.wait_ms(old), None);
}

#[test]
fn a_throttle_wait_of_one_second_is_singular() {
    assert_eq!(
        Denied::Throttled(1).to_string(),
        "too many failed sign-ins for this key: wait 1 second"
    );
    assert_eq!(
        Denied::Throttled(4).to_string(),
        "too many failed sign-ins for this key: wait 4 seconds"
    );
}

/// Many threads guess wrong values for one key as fast as they can, for a
/// little over two seconds that start just before a second boundary: no
/// more guesses may be verified than the throttle allows, and each one
/// verified is recorded.
#[test]
fn concurrent_wrong_guesses_never_pass_the_throttle_together() {
    let (_tmp, dir) = seeded();
    let svc = Service::open(&dir, HashParams::TEST).unwrap();
    let wrong = wrong_secret_for(GRANDCHILD_KEY);
    // Start 100 ms before the next second.
    let phase = Timestamp::now().as_millisecond().rem_euclid(1000);
    std::thread::sleep(Duration::from_millis(
        ((900 - phase).rem_euclid(1000)) as u64,
    ));
    let started = Instant::now();
    let burst = Duration::from_millis(2300);
    // (start, end) of each call whose guess was verified.
    let verified: Mutex<Vec<(Instant, Instant)>> = Mutex::new(Vec::new());
    let throttled = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                while started.elapsed() < burst {
                    let t0 = Instant::now();
                    match svc.sign_in_key(&wrong, None) {
                        Err(ServiceError::Denied(Denied::SignIn(_))) => {
                            verified.lock().unwrap().push((t0, Instant::now()));
                        }
                        Err(ServiceError::Denied(Denied::Throttled(w))) => {
                            assert!((1..=2).contains(&w), "wait {w}");
                            *throttled.lock().unwrap() += 1;
                        }
                        other => panic!("{other:?}"),
                    }
                }
            });
        }
    });
    let took = started.elapsed();
    let mut verified = verified.into_inner().unwrap();
    verified.sort();
    let throttled = throttled.into_inner().unwrap();
    // Five free guesses, then one more a second after the fifth; the next
    // would need two seconds more than that.
    assert!(
        took < Duration::from_millis(2900),
        "the burst took {took:?}"
    );
    assert!(throttled > 0);
    assert!(
        (5..=6).contains(&verified.len()),
        "{} guesses verified in {took:?}",
        verified.len()
    );
    if let Some(sixth) = verified.get(5) {
        let fifth_started = verified[4].0;
        assert!(
            sixth.1 - fifth_started >= Duration::from_secs(1),
            "the sixth guess was verified {:?} after the fifth",
            sixth.1 - fifth_started
        );
    }
    drop(svc);
    let k: ApiKey = stored(&dir, "grandchild-key");
    let failures = k
        .history
        .iter()
        .filter(|h| h.action == "sign-in failed")
        .count();
    assert_eq!(failures, verified.len(), "every verified guess is recorded");
}

#[test]
fn counters_saturate_at_their_maximum() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = tmp.path().join("max.yaml");
    let yaml = std::fs::read_to_string(crate::service::fixture_path("service.yaml"))
        .unwrap()
        .replace(
            "        description: Paula's everyday key\n",
            "        description: Paula's everyday key\n        authn_count: 18446744073709551615\n",
        );
    assert!(yaml.contains("18446744073709551615"));
    std::fs::write(&fixture, yaml).unwrap();
    let dir = tmp.path().join("data");
    run_ok(&dir, &["seed", fixture.to_str().unwrap()]);
    run_ok(&dir, &["--apikey", PLAIN_KEY, "api-keys"]);
    run_ok(&dir, &["--apikey", PLAIN_KEY, "api-keys"]);
    let activity = plain_key_activity(&dir);
    assert_eq!(activity["authn_count"], u64::MAX);
    assert!(activity["last_authn"].is_string());
    // The entity tag's revision counter too.
    let tag = ApiKey::next_entity_tag(Some("18446744073709551615-0123456789abcdef"));
    assert!(tag.starts_with("18446744073709551615-"), "{tag}");
    assert_ne!(tag, "18446744073709551615-0123456789abcdef");
}

/// Record layouts are frozen once released: a change to these types would
/// make stores written by this release unreadable. A new layout is a new
/// record version beside them.
#[test]
fn the_schema_2_key_record_layout_is_frozen() {
    let t: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
    let v1 = KeyRecordV1 {
        id: "k".into(),
        kind: record::KindRecord::ServiceId,
        name: "n".into(),
        description: "d".into(),
        account_id: "a".into(),
        iam_id: "i".into(),
        entity_tag: "1-x".into(),
        created_at: t,
        created_by: "c".into(),
        modified_at: t,
        locked: true,
        disabled: false,
        action_when_leaked: record::LeakRecord::Delete,
        support_sessions: true,
        expires_at: None,
        managed_by: Some("m".into()),
        activity: record::ActivityRecord {
            last_authn: Some(t),
            authn_count: u64::MAX,
        },
        history: vec![HistoryRecord {
            timestamp: t,
            actor: "unknown".into(),
            action: "sign-in failed".into(),
            message: "w".into(),
        }],
        lookup: None,
        hash: Some("h".into()),
    };
    let v2 = record::KeyRecordV2::from(v1);
    assert_eq!(v2.failed_sign_ins, [t.as_millisecond() + 999]);
    let bytes = v2.encode();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // The tag, the schema-1 fields in order, then the failure times.
    let expected = concat!(
        "02016b01016e01640161016903312d7814323032362d30312d30325430333a30",
        "343a30355a016314323032362d30312d30325430333a30343a30355a01000201",
        "0001016d0114323032362d30312d30325430333a30343a30355affffffffffff",
        "ffffff010114323032362d30312d30325430333a30343a30355a07756e6b6e6f",
        "776e0e7369676e2d696e206661696c656401770001016801dec1cccaef66",
    );
    assert_eq!(hex, expected, "the schema-2 key record layout changed");
    assert_eq!(record::decode_key(&bytes).unwrap(), v2);
}

/// Sign-ins record activity, history and throttle state without a new
/// entity tag: an edit made from an earlier read must not undo them.
#[test]
fn an_edit_keeps_what_sign_ins_recorded_meanwhile() {
    let (_tmp, dir) = seeded();
    let id = stored(&dir, "grandchild-key").id;
    let store = crate::service::open_after_close(&dir);
    let read = store.key(&id).unwrap().unwrap();
    // Meanwhile: a wrong guess and a sign-in.
    let now = Timestamp::now();
    let fail = |k: &mut ApiKey| k.record(now, "unknown", "sign-in failed", "wrong value");
    assert_eq!(store.admit_sign_in(&id, now).unwrap(), Admission::Admitted);
    store.settle_sign_in(&id, now, false, &fail).unwrap();
    let at = now + SignedDuration::from_millis(1);
    assert_eq!(store.admit_sign_in(&id, at).unwrap(), Admission::Admitted);
    store
        .settle_sign_in(&id, at, true, &|k| k.activity.authn_count += 1)
        .unwrap();
    // The edit, from the earlier read.
    let mut edited = read.clone();
    edited.name = "renamed".into();
    edited.entity_tag = ApiKey::next_entity_tag(Some(&read.entity_tag));
    edited.record(now, "someone", "edit", "renamed");
    store.put_key(&edited, Some(&read.entity_tag)).unwrap();
    let k = store.key(&id).unwrap().unwrap();
    assert_eq!(k.name, "renamed");
    assert_eq!(k.activity.authn_count, 1);
    let actions: Vec<&str> = k.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions[actions.len() - 2..], ["sign-in failed", "edit"]);
    assert_eq!(k.history.len(), read.history.len() + 2);
    // The throttle still counts the wrong guess: four more, and the next waits.
    for _ in 0..4 {
        assert_eq!(store.admit_sign_in(&id, now).unwrap(), Admission::Admitted);
        store.settle_sign_in(&id, now, false, &fail).unwrap();
    }
    assert_eq!(store.admit_sign_in(&id, now).unwrap(), Admission::Wait(1));
}

#[test]
fn an_unreadable_schema_1_record_stops_the_migration_and_changes_nothing() {
    let (_tmp, dir) = v1_store();
    let id = {
        let db = raw(&dir);
        let keys = db.open_tree("keys").unwrap();
        let (id, _) = keys.iter().next_back().unwrap().unwrap();
        keys.insert(&id, &b"\xff\xff\xff"[..]).unwrap();
        db.flush().unwrap();
        String::from_utf8(id.to_vec()).unwrap()
    };
    let out = iamkeys(&dir).arg("check").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is damaged"), "{err}");
    assert!(
        err.contains(&format!("the schema-1 record of key {id} cannot be read")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let db = raw(&dir);
    assert_eq!(schema_version(&db), "1");
    let keys = db.open_tree("keys").unwrap();
    let readable = keys
        .iter()
        .filter(|i| record::decode_key_v1(&i.as_ref().unwrap().1).is_ok())
        .count();
    assert_eq!(readable, keys.len() - 1, "the other records are untouched");
}
