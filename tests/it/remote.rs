//! The faces as clients of `iamkeys serve`: every command through
//! `--endpoint` says and exits as it does on a local store, consoles see
//! what others change, and a server that cannot be reached is named.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};

use crate::common::{bin, iamkeys, seeded_demo};
use crate::e2e_console::Console;

/// `iamkeys serve` on a free port of the loopback, killed when dropped.
struct Server {
    child: Child,
    url: String,
    // Kept open: the server may write to it again.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = iamkeys(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start iamkeys serve");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line)
            .expect("read the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the server did not say where it listens: {line:?}")
            })
            .to_string();
        Server {
            child,
            url,
            _stdout: out,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text with what differs between two stores made alike replaced: key ids
/// and values, entity tags.
pub(crate) fn normalize(text: &str) -> String {
    fn word(w: &str) -> &str {
        let tag = w.split_once('-').is_some_and(|(n, h)| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && h.len() == 16
                && h.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if w.starts_with("ApiKey-") {
            "<id>"
        } else if w.starts_with("iamk_") {
            "<value>"
        } else if tag {
            "<tag>"
        } else {
            w
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut current = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            current.push(c);
        } else {
            out.push_str(word(&current));
            current.clear();
            out.push(c);
        }
    }
    out.push_str(word(&current));
    out
}

/// Stdout, stderr (each normalized) and the exit code of a command.
fn run(mut c: std::process::Command, args: &[&str]) -> (String, String, i32) {
    let out = c.args(args).output().expect("run iamkeys");
    (
        normalize(&String::from_utf8_lossy(&out.stdout)),
        normalize(&String::from_utf8_lossy(&out.stderr)),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn every_command_through_a_server_says_and_exits_as_locally() {
    let (_local_tmp, local) = seeded_demo();
    let (_remote_tmp, remote) = seeded_demo();
    let server = Server::start(&remote);
    let ada = ["--as", "ada@acme.example"];
    let linus = ["--as", "linus@acme.example"];
    let steps: Vec<Vec<&str>> = vec![
        vec!["views"],
        vec!["api-keys"],
        vec![
            "api-keys",
            "--view",
            "users",
            "--sort",
            "created_at",
            "--desc",
        ],
        vec![
            "api-keys", "--view", "users", "--output", "json", "--limit", "3", "--offset", "2",
        ],
        vec!["api-keys", "--view", "service-ids", "--search", "billing"],
        vec!["api-key", "ada-laptop"],
        vec!["api-key", "ada-laptop", "--output", "json"],
        vec!["api-key", "no-such-key"],
        vec!["api-key-create", "made-remotely", "--description", "one"],
        vec!["api-key", "made-remotely"],
        vec![
            "api-key-update",
            "ada-laptop",
            "--description",
            "two",
            "--if-match",
            "1-0000000000000000",
        ],
        vec!["api-key-update", "ada-laptop"],
        vec!["api-key-update", "ada-laptop", "--name", "ada-laptop-2"],
        vec!["api-key-lock", "ada-laptop-2", "-f"],
        vec!["api-key-lock", "ada-laptop-2", "-f"],
        vec!["api-key-delete", "ada-laptop-2", "-f"],
        vec!["api-key-unlock", "ada-laptop-2"],
        vec!["api-key-disable", "ada-laptop-2", "-f"],
        vec!["api-key-enable", "ada-laptop-2"],
        vec!["api-key-delete", "ada-laptop-2", "-f"],
        vec!["api-key", "ada-laptop-2"],
        vec!["account-settings"],
        vec!["account-settings", "--restrict-api-key-creation", "true"],
        vec!["account-settings", "--output", "json"],
        vec!["account-settings", "--restrict-api-key-creation", "false"],
        vec!["service-api-key-create", "svc-key", "billing-exporter"],
        vec!["service-api-key-create", "svc-key", "no-such-service"],
        vec!["classic-api-key-create"],
    ];
    let mut mismatches = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    let mut compare = |who: &[&str], step: &[&str]| {
        let mut args: Vec<&str> = who.to_vec();
        args.extend_from_slice(step);
        let here = run(iamkeys(&local), &args);
        let mut c = bin();
        c.args(["--endpoint", &server.url]);
        let there = run(c, &args);
        codes.insert(here.2);
        if here != there {
            mismatches.push(format!(
                "iamkeys {}:\n  local:  {here:?}\n  remote: {there:?}",
                args.join(" ")
            ));
        }
    };
    for step in &steps {
        compare(&ada, step);
    }
    // A view the user may not use, a change a viewer may not make, and a
    // key value given where a name is expected.
    compare(&linus, &["api-keys", "--view", "users"]);
    compare(&linus, &["api-key-delete", "grace-cli", "-f"]);
    compare(&linus, &["classic-api-key-create"]);
    let katherine = ["--as", "katherine@acme.example"];
    compare(
        &katherine,
        &["service-api-key-create", "k", "billing-exporter"],
    );
    let value = iamkeys::secret::generate();
    compare(&ada, &["api-key", value.expose()]);
    compare(&["--apikey", value.expose()], &["views"]);
    compare(&["--as", "nobody@acme.example"], &["views"]);
    compare(&["--apikey", "not-a-key"], &["views"]);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let codes: Vec<i32> = codes.into_iter().collect();
    assert_eq!(codes, [0, 2, 3, 4], "the steps cover every exit code but 1");
}

#[test]
fn local_commands_refuse_an_endpoint_and_nothing_opens_the_store() {
    let (_tmp, data) = seeded_demo();
    for args in [
        vec!["seed"],
        vec!["gen-fixture", "--keys", "1"],
        vec!["serve"],
        vec!["demo"],
    ] {
        let (out, err, code) = run(
            {
                let mut c = iamkeys(&data);
                c.args(["--endpoint", "http://127.0.0.1:9"]);
                c
            },
            &args,
        );
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(err.contains("does not take --endpoint"), "{args:?}: {err}");
    }
    // With an endpoint, a command never takes the data directory's lock:
    // a console could hold it meanwhile.
    let (_, err, code) = run(
        {
            let mut c = iamkeys(Path::new("/nonexistent/iamkeys-data"));
            c.env("IAMKEYS_ENDPOINT", "http://127.0.0.1:9");
            c
        },
        &["--as", "ada@acme.example", "views"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("/nonexistent"), "{err}");
}

#[test]
fn a_server_that_cannot_be_reached_is_exit_1_naming_its_url() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let value = iamkeys::secret::generate();
    for args in [
        vec!["--as", "ada@acme.example", "api-keys"],
        vec!["--apikey", value.expose(), "views"],
        vec!["--as", "ada@acme.example", "check"],
    ] {
        let out = bin()
            .args(["--endpoint", &url])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&url), "{args:?}: {err}");
    }
}

#[test]
fn consoles_on_one_server_see_a_key_another_process_creates() {
    let (tmp, data) = seeded_demo();
    let server = Server::start(&data);
    let url = server.url.as_str();
    let console =
        |email: &str| Console::spawn(tmp.path(), &["--endpoint", url, "--as", email], &[]);
    let ada = console("ada@acme.example");
    let mut grace = console("grace@acme.example");
    ada.wait_for("ada-laptop");
    grace.wait_for("grace-cli");
    // Grace, an Administrator, looks at every user's keys; Ada at her own.
    grace.keys("v j enter");
    grace.wait_for("All IBM Cloud user API keys · 8 keys");
    let out = bin()
        .args(["--endpoint", url, "--as", "ada@acme.example"])
        .args(["api-key-create", "made-meanwhile"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a key pressed: the consoles read the page again while idle.
    ada.wait_for("made-meanwhile");
    grace.wait_for("All IBM Cloud user API keys · 9 keys");
    grace.wait_for("made-meanwhile");
}

/// Without the role, a service ID API key's create says nothing about which
/// service IDs exist, through a server as locally: the server checks the
/// role before it looks the service ID up.
#[test]
fn a_service_key_create_without_the_role_reveals_no_service_ids_remotely() {
    let (_local_tmp, local) = seeded_demo();
    let (_remote_tmp, remote) = seeded_demo();
    let server = Server::start(&remote);
    let args = [
        "--as",
        "katherine@acme.example",
        "service-api-key-create",
        "k",
        "no-such-service",
    ];
    let here = run(iamkeys(&local), &args);
    let mut c = bin();
    c.args(["--endpoint", &server.url]);
    assert_eq!(run(c, &args), here);
}

#[test]
fn the_console_reports_and_rotates_through_a_server() {
    let (tmp, data) = seeded_demo();
    let server = Server::start(&data);
    let url = server.url.as_str();
    let console =
        |email: &str| Console::spawn(tmp.path(), &["--endpoint", url, "--as", email], &[]);
    // A member is refused the report by the rule, as locally.
    let mut kath = console("katherine@acme.example");
    kath.wait_for("katherine-");
    kath.keys("I");
    kath.wait_for("refused: only the account owner or an Administrator");
    // The owner reads it through the server.
    let mut ada = console("ada@acme.example");
    ada.wait_all(&["My IBM Cloud API keys · 2 keys", "ada-laptop"]);
    ada.keys("I");
    ada.wait_all(&[
        "API keys with no authentication for 30 days (",
        "Users none of whose keys is active (",
    ]);
    ada.keys("esc");
    // And rotates her key through it: the new value once, the old disabled.
    ada.keys("R");
    ada.wait_for("Rotate the API key \"ada-laptop\"?");
    ada.keys("y");
    ada.wait_all(&[
        "API key successfully rotated",
        "Rotated the API key \"ada-laptop\": the old key is disabled",
    ]);
    ada.keys("c");
    ada.wait_for("copied to the clipboard");
    ada.keys("esc");
    ada.wait_for("My IBM Cloud API keys · 3 keys");
    let out = bin()
        .args([
            "--endpoint",
            url,
            "--as",
            "ada@acme.example",
            "--output",
            "json",
        ])
        .args(["api-keys"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let laptops: Vec<bool> = v
        .as_array()
        .or_else(|| v["apikeys"].as_array())
        .expect("a list of keys")
        .iter()
        .filter(|k| k["name"] == "ada-laptop")
        .map(|k| k["disabled"] == true)
        .collect();
    let mut sorted = laptops.clone();
    sorted.sort();
    assert_eq!(sorted, [false, true], "{v}");
}

/// `scan --endpoint`: the files are read here and each value found is
/// acted on in the server's store, as locally (the key marked, its action
/// when leaked applied, where it was found recorded, never the value);
/// the mark shows through the server and is cleared through it.
#[test]
fn scan_and_clearing_a_leak_act_through_a_server() {
    let (tmp, data) = seeded_demo();
    let server = Server::start(&data);
    let url = server.url.as_str();
    // ada-laptop's value is public: it is in the demo fixture.
    let demo = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.yaml"),
    )
    .unwrap();
    let value = demo
        .split("name: ada-laptop")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.trim().strip_prefix("apikey: ")))
        .unwrap()
        .to_string();
    let tree = tmp.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("notes.txt"), format!("token = {value}\n")).unwrap();
    let ada = ["--endpoint", url, "--as", "ada@acme.example"];
    let out = bin()
        .args(ada)
        .args(["scan", tree.to_str().unwrap(), "--output", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(5), "{stdout}{stderr}");
    assert!(!stdout.contains(&value) && !stderr.contains(&value));
    let found: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let f = &found["findings"][0];
    assert_eq!(f["name"], "ada-laptop");
    assert_eq!(f["action"], "disabled");
    assert_eq!(f["in_store"], true);
    // Through the server: marked where it was found, and disabled.
    let details = |args: &[&str]| -> serde_json::Value {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mut key_args = ada.to_vec();
    key_args.extend(["api-key", "ada-laptop", "--output", "json"]);
    let key = details(&key_args);
    assert_eq!(key["disabled"], true);
    let places = key["leaked"]["places"].to_string();
    assert!(places.contains("notes.txt:1"), "{key}");
    // Cleared through the server, by the owner.
    let out = bin()
        .args(ada)
        .args(["api-key-clear-leak", "ada-laptop"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(details(&key_args).get("leaked").is_none());
    // A member may not clear a mark through the server either.
    let out = bin()
        .args(["--endpoint", url, "--as", "katherine@acme.example"])
        .args(["scan", tree.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not acted on"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    drop(server);
    // The server's store checks clean, and its log never held the value.
    let check = iamkeys(&data).arg("check").output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert!(
        !std::fs::read_to_string(data.join("iamkeys.log"))
            .unwrap()
            .contains(&value)
    );
}
