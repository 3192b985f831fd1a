//! Helpers shared by the test files that run the built binary.
#![allow(dead_code)] // each test file uses a different part

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_iamkeys");

/// The cheap argon2 parameters tests set explicitly (the default stays OWASP's).
pub const FAST_ARGON2: &str = "m=256,t=1,p=1";

/// The binary on the store in `dir`, with cheap hashing, no inherited
/// sign-in or data directory, and no standard input.
pub fn iamkeys(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(dir)
        .env("IAMKEYS_ARGON2", FAST_ARGON2)
        .env_remove("IAMKEYS_API_KEY")
        .env_remove("IAMKEYS_DATA_DIR")
        .stdin(Stdio::null());
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
