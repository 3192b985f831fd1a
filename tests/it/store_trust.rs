//! A busy store, a newer schema, damaged files: each gives a clear message
//! and exit 1, never a panic.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::{iamkeys, seeded_demo as seeded};

fn list(dir: &Path) -> Output {
    iamkeys(dir)
        .args(["--as", "ada@acme.example", "api-keys"])
        .output()
        .unwrap()
}

fn assert_no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "panicked: {err}");
    assert!(out.status.code().is_some(), "killed by a signal: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "panic report: {err}");
}

#[test]
fn a_store_held_by_a_command_is_busy_within_a_second() {
    let (_tmp, dir) = seeded();
    // A create with a deliberately slow hash holds the store for a while.
    let mut holder = iamkeys(&dir)
        .env("IAMKEYS_ARGON2", "m=65536,t=40,p=1")
        .args(["--as", "ada@acme.example", "api-key-create", "slow-one"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::common::wait_for_lock_held_by(holder.id());
    let started = Instant::now();
    let out = list(&dir);
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    let still_running = holder.try_wait().unwrap().is_none();
    let holder_out = holder.wait_with_output().unwrap();
    assert!(
        holder_out.status.success(),
        "{}",
        String::from_utf8_lossy(&holder_out.stderr)
    );
    assert!(still_running, "the holder finished too soon to test");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&dir.display().to_string()),
        "names the directory: {err}"
    );
    assert!(err.contains("another iamkeys process"), "{err}");
    assert!(took < Duration::from_secs(1), "answered in {took:?}");
    // Once the holder is gone, the store works again.
    assert!(list(&dir).status.success());
}

#[test]
fn a_store_held_in_this_process_is_busy_for_seed_replace_too() {
    let (_tmp, dir) = seeded();
    let held = iamkeys::store::SledStore::open(&dir).unwrap();
    let out = iamkeys(&dir).args(["seed", "--replace"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("another iamkeys process"), "{err}");
    drop(held);
    assert!(list(&dir).status.success());
}

#[test]
fn a_newer_schema_is_refused() {
    let (_tmp, dir) = seeded();
    {
        let db = sled::open(dir.join("store")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", "99")
            .unwrap();
        db.flush().unwrap();
    }
    let out = list(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("schema version 99"), "{err}");
    assert!(err.contains("newer"), "{err}");
}

#[test]
fn a_half_written_snapshot_left_by_a_kill_is_ignored() {
    let (_tmp, dir) = seeded();
    std::fs::write(
        dir.join("store").join("snap.FFFFFFFFFFFFFFFF.generating"),
        b"",
    )
    .unwrap();
    let out = list(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = iamkeys(&dir).arg("check").output().unwrap();
    assert!(check.status.success());
}

/// Damages a seeded store, then lists and checks it. With `must_fail`, the
/// damage must be reported (exit 1, "damaged", the directory named); without
/// it, sled may also recover and open the store.
fn damage_then_open(must_fail: bool, damage: impl FnOnce(&Path)) -> Output {
    let (_tmp, dir) = seeded();
    damage(&dir.join("store"));
    let out = list(&dir);
    assert_no_panic(&out);
    let check = iamkeys(&dir).arg("check").output().unwrap();
    assert_no_panic(&check);
    eprintln!(
        "list: exit {:?} {} | check: exit {:?} {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).trim(),
        check.status.code(),
        String::from_utf8_lossy(&check.stdout).trim()
    );
    assert!(!must_fail || !out.status.success(), "damage went unnoticed");
    assert!(
        !must_fail || !check.status.success(),
        "check missed the damage"
    );
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&dir.display().to_string()), "{err}");
        assert!(
            err.contains("damaged") || err.contains("could not be used"),
            "a clear message: {err}"
        );
    }
    out
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

#[test]
fn a_truncated_log_gives_a_clear_error_or_opens() {
    for keep in [0u64, 7, 100, 4096] {
        damage_then_open(true, |store| {
            let db = store.join("db");
            let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            f.set_len(keep.min(file_len(&db))).unwrap();
        });
    }
    // Half the log: where only dead segments were cut (sled's log holds
    // superseded versions and zeroed free segments), the store may open,
    // but then whole: check passes and every key is listed as before.
    let (_tmp, dir) = seeded();
    let before = list(&dir);
    assert!(before.status.success());
    let db = dir.join("store").join("db");
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(file_len(&db) / 2).unwrap();
    drop(f);
    let out = list(&dir);
    assert_no_panic(&out);
    if out.status.success() {
        assert_eq!(out.stdout, before.stdout, "a cut log lost keys unnoticed");
        let check = iamkeys(&dir).arg("check").output().unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("damaged") || err.contains("could not be used"),
            "{err}"
        );
    }
}

#[test]
fn garbled_files_give_a_clear_error_or_open() {
    for (file, at) in [
        ("db", 0u64),
        ("db", 64),
        ("db", 1000),
        ("db", 20_000),
        ("conf", 0),
        ("conf", 10),
    ] {
        damage_then_open(true, |store| {
            use std::io::{Seek, SeekFrom, Write};
            let p = store.join(file);
            let len = file_len(&p);
            let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.seek(SeekFrom::Start(at.min(len.saturating_sub(1))))
                .unwrap();
            let junk: Vec<u8> = (0..512u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            f.write_all(&junk[..junk.len().min((len - at.min(len)) as usize).max(1)])
                .unwrap();
        });
    }
    // Every snapshot garbled: sled may rebuild from its log.
    damage_then_open(false, |store| {
        for e in std::fs::read_dir(store).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with("snap.") {
                std::fs::write(e.path(), b"garbage garbage garbage").unwrap();
            }
        }
    });
}

#[test]
fn a_missing_store_says_how_to_make_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nothing-here");
    let out = list(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no store"), "{err}");
    assert!(err.contains("iamkeys seed"), "{err}");
    assert!(!dir.exists(), "a failed command created {dir:?}");
}

#[test]
fn check_reports_records_and_indexes_that_disagree() {
    let (_tmp, dir) = seeded();
    let ok = iamkeys(&dir).arg("check").output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("consistent"));
    {
        // Drop one key from the owner index and add a lookup id for no key.
        use iamkeys::store::layout;
        let db = sled::open(dir.join("store")).unwrap();
        let owner = db.open_tree("keys_by_owner").unwrap();
        let (first, packed) = owner.iter().next().unwrap().unwrap();
        let packed = layout::open(&packed).unwrap();
        let (id, _) = layout::pairs(&packed).next().unwrap().unwrap();
        let id = id.to_vec();
        layout::edit(&owner, &first, |s| {
            s.remove(&id, b"");
        })
        .unwrap();
        layout::edit(
            &db.open_tree("keys_by_lookup").unwrap(),
            &layout::lookup_bucket("NOSUCHLOOKUP"),
            |s| s.insert(b"NOSUCHLOOKUP", b"ApiKey-nothing"),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let out = iamkeys(&dir).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("missing from the owner index"), "{text}");
    assert!(text.contains("ApiKey-nothing"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 problem(s)"));
}

/// A seeded store carries sled's page-table snapshot, so that its first
/// open reads the snapshot rather than replaying the whole log (a second
/// at a million keys): the seed opens the new store once before it swaps
/// it in.
#[test]
fn a_seeded_store_starts_from_a_snapshot() {
    let (_tmp, dir) = seeded();
    let snapshots: Vec<String> = std::fs::read_dir(dir.join("store"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("snap.") && !n.ends_with(".generating"))
        .collect();
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
}
