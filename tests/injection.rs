//! Terminal injection: names and descriptions that carry escape sequences
//! (CSI, OSC, BEL, C1) reach the command line's text output inert.

mod common;
use common::iamkeys;

const FIXTURE: &str = r#"version: 1
demo: true
users:
  - email: "mallory@evil.example"
    name: "Mallory \e]0;pwned\a"
accounts:
  - id: evil
    name: "Evil \e[2J Corp"
    owner: mallory@evil.example
    api_keys:
      - name: "\e[31mred\e[0m \e]52;c;ZWNobyBwd25lZA==\a"
        owner: mallory@evil.example
        description: "bell\a csi\e[1;1H c1\u009b31m rtl\u202Eevil wide日本語"
"#;

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
    let fx = tmp.path().join("evil.yaml");
    std::fs::write(&fx, FIXTURE).unwrap();
    let run = |args: &[&str]| iamkeys(&dir).args(args).output().unwrap();
    let seeded = run(&["seed", fx.to_str().unwrap()]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

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
