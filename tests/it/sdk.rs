//! IBM's own Python SDK (`ibm-platform-services`, pinned in
//! tests/sdk/requirements.txt) as the client of `iamkeys serve`: the tests
//! in tests/sdk/test_iam_identity.py, run against a real server on a seeded
//! store. The SDK is installed into tests/sdk/.venv on first run
//! (tests/sdk/setup.sh); without python3 and its venv module the test fails
//! and says what to install.

use std::path::PathBuf;
use std::process::Command;

use crate::server_api::TEAM;
use crate::server_common::{Server, seed_text};

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

#[test]
fn ibms_python_sdk_drives_the_server() {
    let setup = Command::new("bash")
        .arg(sdk_dir().join("setup.sh"))
        .output()
        .expect("bash runs");
    assert!(
        setup.status.success(),
        "installing IBM's Python SDK failed:\n{}{}",
        String::from_utf8_lossy(&setup.stdout),
        String::from_utf8_lossy(&setup.stderr)
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let member_key = iamkeys::secret::generate().expose().to_string();
    let boots = seed_text(&dir, &TEAM.replace("MEMBER_KEY", &member_key));
    let owner_key = boots
        .iter()
        .find(|(o, _)| o == "owner@team.example")
        .map(|(_, k)| k.clone())
        .unwrap();
    let server = Server::start(&dir);
    let out = Command::new(sdk_dir().join(".venv/bin/python"))
        .args(["-m", "unittest", "-v", "test_iam_identity"])
        .current_dir(sdk_dir())
        .env("IAMKEYS_URL", &server.url)
        .env("IAMKEYS_ACCOUNT", "team")
        .env("IAMKEYS_OWNER_APIKEY", &owner_key)
        .env("IAMKEYS_MEMBER_APIKEY", &member_key)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("the SDK's tests run");
    let report = String::from_utf8_lossy(&out.stderr);
    println!("{report}");
    assert!(
        out.status.success(),
        "IBM's SDK against iamkeys serve:\n{report}"
    );
    assert!(report.contains("OK"), "{report}");
    // Every test ran: none skipped or missing.
    let written = std::fs::read_to_string(sdk_dir().join("test_iam_identity.py"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("    def test_"))
        .count();
    let ran = report.lines().filter(|l| l.ends_with("... ok")).count();
    assert!(written >= 24, "the SDK suite lost tests: {written}");
    assert_eq!(ran, written, "not every SDK test passed:\n{report}");
    assert_eq!(server.stop().code(), Some(0));
}
