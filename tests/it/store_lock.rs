//! The data directory's lock, the store swap, leftovers, replacing a
//! damaged store, and file modes.

use crate::common::Succeeds as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use iamkeys::store::{SledStore, Storage};

use crate::common::{self, iamkeys};
use crate::crash::Rng;

const OWNER: &str = "owner@scale.example";

/// A generated demo fixture with `keys` keys, written to `dir/name`.
fn gen_fixture(dir: &Path, name: &str, keys: usize) -> PathBuf {
    let file = dir.join(name);
    Command::new(common::BIN)
        .args(["gen-fixture", "--keys", &keys.to_string(), "-o"])
        .arg(&file)
        .succeeds();
    file
}

fn seed(dir: &Path, fixture: &Path, replace: bool) -> Output {
    let mut c = iamkeys(dir);
    c.arg("seed").arg(fixture);
    if replace {
        c.arg("--replace");
    }
    c.output().unwrap()
}

fn spawn_seed(dir: &Path, fixture: &Path, replace: bool) -> Child {
    let mut c = iamkeys(dir);
    c.arg("seed").arg(fixture);
    if replace {
        c.arg("--replace");
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn is_busy(out: &Output) -> bool {
    out.status.code() == Some(1) && err(out).contains("another iamkeys process")
}

/// The names in `dir` that only an unfinished seed or swap leaves.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".store."))
        .collect()
}

/// Whether the seeder has built anything yet, i.e. holds the lock.
fn staging_started(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".store.seeding-")
        })
    })
}

/// Waits until `seeder` has started building its store in `dir` (so it
/// holds the lock), or has ended.
fn wait_for_staging(dir: &Path, seeder: &mut Child) {
    while !staging_started(dir) && seeder.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Creates a key as the fixture's owner; its id if acknowledged.
fn create_key(dir: &Path, name: &str) -> (Output, Option<String>) {
    let out = iamkeys(dir)
        .args(["--as", OWNER, "api-key-create", name, "--output", "json"])
        .output()
        .unwrap();
    let id = if out.status.success() {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        Some(v["id"].as_str().unwrap().to_string())
    } else {
        None
    };
    (out, id)
}

fn key_exists(dir: &Path, id: &str) -> bool {
    let out = iamkeys(dir)
        .args(["--as", OWNER, "api-key", id])
        .output()
        .unwrap();
    out.status.success()
}

/// A second process started at random moments while a large fixture is
/// seeded (over a store with `--replace`, and into a new directory
/// without it) is told "busy" or finds the finished store, and nothing it
/// was told had succeeded is lost.
#[test]
fn a_second_process_during_a_seed_is_busy_or_sees_the_finished_store() {
    const TRIALS: usize = 50;
    let tmp = tempfile::tempdir().unwrap();
    let big = gen_fixture(tmp.path(), "big.yaml", 3000);
    let small = gen_fixture(tmp.path(), "small.yaml", 20);
    let mut rng = Rng::from_env("IAMKEYS_LOCK_SEED");
    // How long a seed works after it has started building: the median of
    // three.
    let mut samples: Vec<Duration> = (0..3)
        .map(|i| {
            let dir = tmp.path().join(format!("calibrate-{i}"));
            let mut seeder = spawn_seed(&dir, &big, false);
            wait_for_staging(&dir, &mut seeder);
            let started = Instant::now();
            assert!(seeder.wait().unwrap().success());
            started.elapsed()
        })
        .collect();
    samples.sort();
    let building = samples[1];
    eprintln!("a seed builds for {building:?}");
    let (mut busy, mut after, mut acknowledged) = (0, 0, 0);
    for trial in 0..TRIALS {
        let replace = trial % 2 == 0;
        let dir = tmp.path().join(format!("data-{trial}"));
        if replace {
            assert!(seed(&dir, &small, false).status.success());
        }
        let mut seeder = spawn_seed(&dir, &big, replace);
        wait_for_staging(&dir, &mut seeder);
        let wait = rng.below(building.as_micros() as u64 * 3 / 2);
        std::thread::sleep(Duration::from_micros(wait));
        // The second process: a command on the store being replaced, or a
        // seed of its own into the directory being seeded.
        let (second, id) = if replace {
            create_key(&dir, &format!("during-{trial}"))
        } else {
            let out = seed(&dir, &small, false);
            if out.status.success() {
                // Only possible if the directory was free: use it.
                let (_, id) = create_key(&dir, &format!("during-{trial}"));
                (out, id)
            } else {
                (out, None)
            }
        };
        let seeded = seeder.wait_with_output().unwrap();
        assert!(seeded.status.success(), "trial {trial}: {}", err(&seeded));
        if is_busy(&second) {
            busy += 1;
        } else {
            after += 1;
            // Not busy: the seed was over, so the finished store was seen.
            if replace {
                assert!(second.status.success(), "trial {trial}: {}", err(&second));
            } else {
                assert_eq!(
                    second.status.code(),
                    Some(2),
                    "trial {trial}: {}",
                    err(&second)
                );
                assert!(err(&second).contains("already a store"), "{}", err(&second));
            }
        }
        if let Some(id) = id {
            acknowledged += 1;
            assert!(
                key_exists(&dir, &id),
                "trial {trial}: key {id} was acknowledged during the seed and is gone"
            );
        }
        let st = SledStore::open(&dir).unwrap();
        assert_eq!(st.info().source, big.display().to_string(), "trial {trial}");
        drop(st);
        assert!(
            leftovers(&dir).is_empty(),
            "trial {trial}: {:?}",
            leftovers(&dir)
        );
    }
    eprintln!(
        "{TRIALS} trials: {busy} busy, {after} after the seed, {acknowledged} keys acknowledged"
    );
    // About two thirds land during the seed on a quiet machine; a loaded
    // one starts the second process later. A tenth still shows the race.
    assert!(
        busy >= TRIALS / 10,
        "too few second processes landed during the seed"
    );
}

/// A console opened while `seed --replace` builds the new store is told
/// "busy", instead of working on the store about to be replaced.
#[test]
fn a_console_opened_during_a_replace_is_busy() {
    let tmp = tempfile::tempdir().unwrap();
    let small = gen_fixture(tmp.path(), "small.yaml", 20);
    let big = gen_fixture(tmp.path(), "big.yaml", 3000);
    let dir = tmp.path().join("data");
    assert!(seed(&dir, &small, false).status.success());
    let mut seeder = spawn_seed(&dir, &big, true);
    while !staging_started(&dir) {
        assert!(
            seeder.try_wait().unwrap().is_none(),
            "the seed ended too soon"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let data = dir.to_str().unwrap();
    let mut console =
        crate::e2e_console::Console::spawn(tmp.path(), &["--data-dir", data, "--as", OWNER], &[]);
    let code = console.wait_exit();
    let screen = console.wait_for("busy");
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("another iamkeys process"), "{screen}");
    let seeded = seeder.wait_with_output().unwrap();
    assert!(seeded.status.success(), "{}", err(&seeded));
}

/// `seed --replace` killed at random moments leaves the old store or the
/// new one, which the next process opens, and nothing else behind.
#[test]
fn a_killed_replace_leaves_the_old_or_the_new_store() {
    const TRIALS: usize = 25;
    let tmp = tempfile::tempdir().unwrap();
    let old = gen_fixture(tmp.path(), "old.yaml", 20);
    let new = gen_fixture(tmp.path(), "new.yaml", 1500);
    let dir = tmp.path().join("data");
    assert!(seed(&dir, &old, false).status.success());
    let mut rng = Rng::from_env("IAMKEYS_SWAP_SEED");
    let started = Instant::now();
    assert!(seed(&dir, &new, true).status.success());
    let whole = started.elapsed().as_micros() as u64;
    let (mut olds, mut news) = (0, 0);
    for trial in 0..TRIALS {
        let mut child = spawn_seed(&dir, if trial % 2 == 0 { &old } else { &new }, true);
        std::thread::sleep(Duration::from_micros(rng.below(whole * 6 / 5)));
        let _ = child.kill();
        let _ = child.wait();
        let st = SledStore::open(&dir)
            .unwrap_or_else(|e| panic!("trial {trial}: the store is gone: {e}"));
        let source = st.info().source.clone();
        assert!(st.check().unwrap().is_empty(), "trial {trial}");
        drop(st);
        if source == old.display().to_string() {
            olds += 1;
        } else {
            assert_eq!(source, new.display().to_string(), "trial {trial}");
            news += 1;
        }
        assert!(
            leftovers(&dir).is_empty(),
            "trial {trial}: {:?}",
            leftovers(&dir)
        );
    }
    eprintln!("{TRIALS} kills: old store {olds} times, new store {news} times");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Every point at which a replace can stop, laid out by hand: the next
/// process finds the old or the new store, never none, and no leftovers.
#[test]
fn every_crash_point_of_a_replace_leaves_the_old_or_the_new_store() {
    let tmp = tempfile::tempdir().unwrap();
    let old = gen_fixture(tmp.path(), "old.yaml", 5);
    let new = gen_fixture(tmp.path(), "new.yaml", 6);
    let (old_data, new_data) = (tmp.path().join("old"), tmp.path().join("new"));
    assert!(seed(&old_data, &old, false).status.success());
    assert!(seed(&new_data, &new, false).status.success());
    let (o, n) = (old.display().to_string(), new.display().to_string());
    // (where the old store is, where the new one is, which may be found)
    let points: [(&str, &str, &[&String]); 6] = [
        ("store", ".store.seeding-4242", &[&o]),
        ("store", ".store.next", &[&o, &n]),
        (".store.replaced", ".store.next", &[&n]),
        ("store.damaged-20261128T120000Z", ".store.next", &[&n]),
        (".store.replaced", "store", &[&n]),
        (".store.replaced", ".store.seeding-4242", &[&o]),
    ];
    for (i, (old_at, new_at, allowed)) in points.into_iter().enumerate() {
        let dir = tmp.path().join(format!("point-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        copy_tree(&old_data.join("store"), &dir.join(old_at));
        copy_tree(&new_data.join("store"), &dir.join(new_at));
        let st =
            SledStore::open(&dir).unwrap_or_else(|e| panic!("{old_at} + {new_at}: no store: {e}"));
        assert!(
            allowed.contains(&&st.info().source),
            "{old_at} + {new_at}: found {}",
            st.info().source
        );
        drop(st);
        assert!(
            leftovers(&dir).is_empty(),
            "{old_at} + {new_at}: {:?}",
            leftovers(&dir)
        );
        if old_at.starts_with("store.damaged-") {
            assert!(
                dir.join(old_at).join("db").exists(),
                "a damaged store is kept"
            );
        }
    }
}

/// What interrupted seeds leave is removed by the next process.
#[test]
fn leftovers_of_interrupted_seeds_are_removed() {
    let (_tmp, dir) = common::seeded_demo();
    for name in [".store.seeding-999999", ".store.replaced-999999"] {
        std::fs::create_dir(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("db"), vec![0u8; 4096]).unwrap();
    }
    let out = iamkeys(&dir)
        .args(["--as", "ada@acme.example", "api-keys"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", err(&out));
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    let log = std::fs::read_to_string(dir.join("iamkeys.log")).unwrap();
    assert!(log.contains("left behind by an interrupted seed"), "{log}");
}

/// The advice a damaged store gives — `seed FILE --replace` — works, and
/// keeps the damaged files aside under the name it prints.
#[test]
fn a_damaged_store_can_be_replaced_and_is_kept_aside() {
    for damage in ["truncate db", "garble conf"] {
        let (tmp, dir) = common::seeded_demo();
        let store = dir.join("store");
        match damage {
            "truncate db" => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(store.join("db"))
                    .unwrap();
                f.set_len(100).unwrap();
            }
            _ => std::fs::write(store.join("conf"), b"\x00\x01garbage").unwrap(),
        }
        let list = iamkeys(&dir)
            .args(["--as", "ada@acme.example", "api-keys"])
            .output()
            .unwrap();
        assert_eq!(list.status.code(), Some(1), "{damage}: {}", err(&list));
        assert!(err(&list).contains("--replace"), "{damage}: {}", err(&list));
        // As the failed open left it (sled pads a torn log when it opens it).
        let damaged_db = std::fs::read(store.join("db")).unwrap();

        let fixture = gen_fixture(tmp.path(), "new.yaml", 5);
        let out = seed(&dir, &fixture, true);
        assert!(out.status.success(), "{damage}: {}", err(&out));
        let msg = err(&out);
        let kept: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("store.damaged-")
            })
            .collect();
        assert_eq!(kept.len(), 1, "{damage}: {kept:?}");
        assert!(
            msg.contains(&kept[0].display().to_string()),
            "{damage}: {msg}"
        );
        assert!(
            std::fs::read(kept[0].join("db")).unwrap() == damaged_db,
            "{damage}: the damaged files are kept as they were"
        );
        let (_, id) = create_key(&dir, "after-replace");
        assert!(id.is_some(), "{damage}: the new store works");
    }
}

/// Runs the binary under umask 022, the usual default.
fn under_umask_022(dir: &Path, args: &[&str]) -> Output {
    let c = iamkeys(dir);
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("umask 022; exec \"$@\"")
        .arg("sh")
        .arg(c.get_program())
        .args(c.get_args())
        .args(args)
        .envs(c.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_remove("IAMKEYS_API_KEY")
        .env_remove("IAMKEYS_DATA_DIR")
        .stdin(Stdio::null());
    sh.output().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every path under `dir` (and `dir`) whose mode is not 0700 / 0600.
fn loose(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        if mode(&p) != want {
            out.push((p.clone(), mode(&p)));
        }
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        }
    }
    out
}

/// The data directory is 0700 and its files 0600 whatever the umask; a
/// store with looser modes is tightened when opened, and the log says so.
#[test]
fn store_files_are_private_and_loose_ones_are_tightened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = under_umask_022(&dir, &["seed"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(loose(&dir), vec![], "after seeding");
    let out = under_umask_022(&dir, &["--as", "ada@acme.example", "api-key-create", "k"]);
    assert!(out.status.success(), "{}", err(&out));
    let out = under_umask_022(&dir, &["--as", "ada@acme.example", "api-keys"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(loose(&dir), vec![], "after commands");

    // A store made by an older version: world-readable.
    let mut todo = vec![dir.clone()];
    while let Some(p) = todo.pop() {
        let m = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        }
    }
    let out = under_umask_022(&dir, &["--as", "ada@acme.example", "api-keys"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(loose(&dir), vec![], "after opening a loose store");
    let log = std::fs::read_to_string(dir.join("iamkeys.log")).unwrap();
    assert!(log.contains("tightened the mode of"), "{log}");
    assert!(
        log.contains(&format!(
            "{} from 644 to 600",
            dir.join("store").join("db").display()
        )),
        "{log}"
    );
}
