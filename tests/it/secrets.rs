//! Secrets hygiene: a key value shows up exactly where the user asked for it
//! (the create answer, the key file) and nowhere else — not in the log, not
//! in error messages, not in `Debug` output, not on disk in the store.

use std::path::Path;
use std::process::{Output, Stdio};

use iamkeys::secret;

use crate::common;
use common::{file_contains, files as all_files, iamkeys};

fn run(dir: &Path, args: &[&str]) -> Output {
    iamkeys(dir).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn value_of(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["apikey"].as_str().unwrap().to_string()
}

#[test]
fn key_values_stay_out_of_logs_errors_and_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(run(&dir, &["seed"]).status.success());
    let mut values = Vec::new();
    let mut noise = String::new();

    // Created keys, with their answers.
    for name in ["one", "two"] {
        let o = run(
            &dir,
            &[
                "--as",
                "ada@acme.example",
                "api-key-create",
                name,
                "--output",
                "json",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        values.push(value_of(&o));
    }
    let key_file = tmp.path().join("k.json");
    let o = run(
        &dir,
        &[
            "--as",
            "ada@acme.example",
            "api-key-create",
            "three",
            "--file",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&key_file).unwrap()).unwrap();
    let three = saved["apikey"].as_str().unwrap().to_string();
    assert!(
        !text(&o).contains(&three),
        "with --file the value is only in the file"
    );
    values.push(three);

    // Sign-ins that succeed, fail, and are malformed.
    let good = values[0].clone();
    let o = run(&dir, &["--apikey", &good, "api-keys"]);
    assert!(o.status.success(), "{}", text(&o));
    noise.push_str(&text(&o));
    // Same lookup id, another secret, a valid checksum: a real wrong guess.
    let other = secret::generate();
    let wrong = with_checksum(&format!(
        "{}{}",
        &good[..5 + 12],
        &other.expose()[5 + 12..5 + 36]
    ));
    assert!(secret::parse(&wrong).is_ok());
    values.push(wrong.clone());
    let o = run(&dir, &["--apikey", &wrong, "api-keys"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    noise.push_str(&text(&o));
    let mut typo = good.clone();
    typo.replace_range(20..21, if &typo[20..21] == "x" { "y" } else { "x" });
    values.push(typo.clone());
    let o = run(&dir, &["--apikey", &typo, "api-keys"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    noise.push_str(&text(&o));
    let o = iamkeys(&dir)
        .env("IAMKEYS_API_KEY", &good)
        .args(["api-key", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    noise.push_str(&text(&o));

    // Errors while a new value is in flight: a key file that exists, and an
    // answer that cannot be written (standard output closed).
    let o = run(
        &dir,
        &[
            "--as",
            "ada@acme.example",
            "api-key-create",
            "four",
            "--file",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"));
    noise.push_str(&text(&o));
    let mut child = iamkeys(&dir)
        .args([
            "--as",
            "ada@acme.example",
            "api-key-create",
            "five",
            "--output",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // nobody reads the answer
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot write the output"), "{}", text(&o));
    noise.push_str(&text(&o));

    // The log exists, says what happened by key id, and is private.
    let log = dir.join("iamkeys.log");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("API key created"), "{log_text}");
    assert!(
        log_text.contains("sign-in with a wrong value refused"),
        "{log_text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // No value anywhere it was not asked for.
    for v in &values {
        assert!(
            !noise.contains(v.as_str()),
            "a key value leaked into output: {noise}"
        );
        for f in all_files(&dir) {
            assert!(!file_contains(&f, v), "a key value is in {}", f.display());
        }
        // Not even the secret part alone.
        for f in all_files(&dir) {
            assert!(
                !file_contains(&f, &v[17..41]),
                "a key's secret part is in {}",
                f.display()
            );
        }
    }
    // Logs never reach the terminal.
    assert!(!noise.contains(" INFO "), "{noise}");
    assert!(!noise.contains(" WARN "), "{noise}");
}

/// Appends the checksum the published format defines: CRC-32 of the body
/// in six base62 digits, computed here independently of the crate.
pub fn with_checksum(body: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = u64::from(crc32(body.as_bytes()));
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    format!("{body}{}", std::str::from_utf8(&sum).unwrap())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn debug_and_display_redact_values() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let fx = iamkeys::fixture::parse(
        "version: 1\nusers:\n  - {email: o@x.example, name: O}\naccounts:\n  - {id: x, name: X, owner: o@x.example}\n",
        "inline",
    )
    .unwrap();
    let (seed, boots) =
        iamkeys::fixture::to_seed(&fx, secret::HashParams::TEST, iamkeys::service::now());
    let value = boots[0].secret.expose().to_string();
    assert!(!format!("{boots:?}").contains(&value));
    assert!(!format!("{}", boots[0].secret).contains(&value));
    iamkeys::store::SledStore::create(&dir, &seed, false, "inline", false).unwrap();
    let svc = iamkeys::service::Service::open(&dir, secret::HashParams::TEST).unwrap();
    let s = svc.sign_in_key(&value, None).unwrap();
    let created = svc
        .create_user_key(
            &s,
            &iamkeys::service::NewKey {
                name: "k".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let v = created.secret.expose().to_string();
    let debug = format!("{created:?}");
    assert!(!debug.contains(&v), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    assert!(!format!("{:?}", created.row).contains(&v));
}

/// A key value given where a key id or name, a service ID or an account is
/// expected is named as such, never echoed, and changes nothing: not on
/// stdout or stderr (text or JSON), not in the log, not in the store.
#[test]
fn a_key_value_given_as_an_id_or_name_is_never_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(run(&dir, &["seed"]).status.success());
    let o = run(
        &dir,
        &[
            "--as",
            "ada@acme.example",
            "api-key-create",
            "real",
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let value = value_of(&o);
    // The value with a typo in it is a key value all the same.
    let mut typo = value.clone();
    typo.replace_range(20..21, if &typo[20..21] == "x" { "y" } else { "x" });
    let mut noise = String::new();
    for v in [value.as_str(), typo.as_str()] {
        let said = "that is an API key value, not";
        // A message that quotes what was typed (here a file path) reads
        // <API key value> instead.
        let path = format!("/no-such-directory/{v}");
        let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
            (vec!["api-key", v], Some(said)),
            (vec!["api-key-delete", "-f", v], Some(said)),
            (vec!["api-key-delete", v], Some(said)),
            (vec!["api-key-lock", "-f", v], Some(said)),
            (vec!["api-key-disable", "-f", v], Some(said)),
            (vec!["api-key-unlock", v], Some(said)),
            (vec!["api-key-enable", v], Some(said)),
            (vec!["api-key-update", v, "-n", "x"], Some(said)),
            (vec!["service-api-key-create", "x", v], Some(said)),
            (vec!["--account", v, "views"], Some(said)),
            (vec!["api-key-create", v], Some("contains an API key value")),
            (
                vec!["api-key-update", "real", "-d", v],
                Some("contains an API key value"),
            ),
            (vec!["views", v], None),
            (
                vec!["api-key-create", "x", "--file", &path],
                Some("<API key value>"),
            ),
            (vec!["api-keys", "--sort", v], None),
        ];
        for (args, expected) in cases {
            for format in ["text", "json"] {
                let mut all = vec!["--as", "ada@acme.example", "--output", format];
                all.extend_from_slice(&args);
                let o = run(&dir, &all);
                let out = text(&o);
                assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
                if let Some(e) = expected {
                    assert!(out.contains(e), "{args:?}: {out}");
                }
                assert!(!out.contains(&v[5..]), "{args:?} echoed the value: {out}");
                noise.push_str(&out);
            }
        }
    }
    // Nothing changed: the key is there, unlocked and enabled, and no key
    // was created or renamed.
    let o = run(
        &dir,
        &[
            "--as",
            "ada@acme.example",
            "api-key",
            "real",
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let k: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(k["locked"], false);
    assert_eq!(k["disabled"], false);
    assert_eq!(k["description"], "");
    for f in all_files(&dir) {
        for v in [&value, &typo] {
            assert!(
                !file_contains(&f, &v[5..]),
                "the value is in {}",
                f.display()
            );
        }
    }
    assert!(!noise.contains(" INFO "), "{noise}");
}
