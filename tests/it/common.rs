//! Helpers shared by the test files that run the built binary.
#![allow(dead_code)] // each test file uses a different part

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_iamkeys");

/// The cheap argon2 parameters tests set explicitly (the default stays OWASP's).
pub const FAST_ARGON2: &str = "m=256,t=1,p=1";

/// The binary with cheap hashing, no inherited sign-in or data directory,
/// and no standard input: every test that runs it starts here.
pub fn bin() -> Command {
    let mut c = Command::new(BIN);
    c.env("IAMKEYS_ARGON2", FAST_ARGON2)
        .env_remove("IAMKEYS_API_KEY")
        .env_remove("IAMKEYS_DATA_DIR")
        .env_remove("IAMKEYS_ENDPOINT")
        .stdin(Stdio::null());
    c
}

/// [`bin`] on the store in `dir`.
pub fn iamkeys(dir: &Path) -> Command {
    let mut c = bin();
    c.arg("--data-dir").arg(dir);
    c
}

/// A temporary directory with the built-in demo seeded into `data/` in it.
pub fn seeded_demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = iamkeys(&dir).arg("seed").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, dir)
}

/// Every file under `dir`, recursively.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Whether the file's bytes contain `needle`.
pub fn file_contains(p: &Path, needle: &str) -> bool {
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A store in `data` written straight from the fixture file at `path`,
/// skipping the fixture's validation: how tests get text that the text
/// rules refuse (control characters) into a store, as a damaged or older
/// store could hold it. Real argon2id, at test cost.
pub fn seed_unchecked(data: &Path, path: &Path) {
    use iamkeys::fixture::{self, Fixture};
    let text = std::fs::read_to_string(path).unwrap();
    let fx: Fixture = iamkeys::yaml::from_str(&text).unwrap();
    let (seed, _) = fixture::to_seed(
        &fx,
        iamkeys::secret::HashParams::TEST,
        iamkeys::service::now(),
    );
    iamkeys::store::SledStore::create(data, &seed, fx.demo, &path.display().to_string(), false)
        .unwrap();
}

/// How many times longer than usual a test may wait on a slow or loaded
/// machine: `IAMKEYS_TEST_SLACK` (a whole number, default 1). Deadlines
/// only: the tests poll for what they wait for and never sleep a fixed time
/// to let something happen.
pub fn slack() -> u32 {
    std::env::var("IAMKEYS_TEST_SLACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1)
}

/// A deadline `base` from now, stretched by [`slack`].
pub fn deadline(base: std::time::Duration) -> std::time::Instant {
    std::time::Instant::now() + base * slack()
}

/// Polls until `ready` holds, or panics naming `what` at the deadline.
pub fn wait_until(what: &str, base: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let end = deadline(base);
    while !ready() {
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what} (IAMKEYS_TEST_SLACK stretches the wait)"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Waits until process `pid` holds a file lock (the data directory's), as
/// the kernel lists it in /proc/locks: readiness without touching the lock.
pub fn wait_for_lock_held_by(pid: u32) {
    let needle = format!(" {pid} ");
    wait_until(
        "the process to take the data directory's lock",
        std::time::Duration::from_secs(10),
        || {
            std::fs::read_to_string("/proc/locks")
                .is_ok_and(|l| l.lines().any(|line| line.contains(&needle)))
        },
    );
}

/// Runs a command that must succeed, naming what it said if it did not.
pub trait Succeeds {
    fn succeeds(&mut self) -> std::process::Output;
}

impl Succeeds for Command {
    fn succeeds(&mut self) -> std::process::Output {
        let out = self.output().expect("the binary runs");
        assert!(
            out.status.success(),
            "{:?} failed: {}",
            self.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}
