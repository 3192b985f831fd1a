//! Terminal injection: names and descriptions that carry escape sequences
//! (CSI, OSC, BEL, C1) reach the command line's text output inert.

use crate::common;
use common::iamkeys;

fn forbidden(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    text.char_indices()
        .find(|(_, c)| (c.is_control() && *c != '\n') || *c == '\u{202e}')
        .map(|(i, _)| i)
}

#[test]
fn escape_sequences_in_stored_text_are_shown_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let fx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test/evil.yaml");
    let run = |args: &[&str]| iamkeys(&dir).args(args).output().unwrap();
    common::seed_unchecked(&dir, &fx);

    let list = run(&[
        "--as",
        "mallory@evil.example",
        "api-keys",
        "--view",
        "users",
    ]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert_eq!(
        forbidden(&list.stdout),
        None,
        "{:?}",
        String::from_utf8_lossy(&list.stdout)
    );
    let shown = String::from_utf8_lossy(&list.stdout);
    assert!(shown.contains("␛[31mred"), "{shown}");

    let id = {
        let j = run(&[
            "--as",
            "mallory@evil.example",
            "api-keys",
            "--output",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
        // JSON keeps the real text, escaped by the JSON encoder.
        assert!(v["apikeys"][0]["name"].as_str().unwrap().contains('\u{1b}'));
        v["apikeys"][0]["id"].as_str().unwrap().to_string()
    };
    let details = run(&["--as", "mallory@evil.example", "api-key", &id]);
    assert!(details.status.success());
    assert_eq!(
        forbidden(&details.stdout),
        None,
        "{:?}",
        String::from_utf8_lossy(&details.stdout)
    );
    assert!(String::from_utf8_lossy(&details.stdout).contains("bell␇"));

    // An error message quoting the text is inert too.
    let missing = run(&["--as", "mallory@evil.example", "api-key", "\u{1b}[2Jnope"]);
    assert_eq!(missing.status.code(), Some(4));
    assert_eq!(
        forbidden(&missing.stderr),
        None,
        "{:?}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
