//! `iamkeys scan` on a real seeded store: values planted in a tree among
//! near-keys and binary noise are all found and nothing else is; each
//! action when leaked is applied and recorded; a locked key is marked, not
//! changed; exit codes 0, 5 and 2; standard input; a repository's history;
//! the JSON and SARIF shapes; the value never printed or stored; the
//! `is:leaked` search; clearing the mark, and who may.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{self, Succeeds as _};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
    fn code(self, code: i32) -> Out {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

fn run(c: &mut Command, stdin: Option<&[u8]>) -> Out {
    let out = if let Some(input) = stdin {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    } else {
        c.output().unwrap()
    };
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn as_(dir: &Path, email: &str, args: &[&str]) -> Out {
    let mut c = common::iamkeys(dir);
    c.args(["--as", email]).args(args);
    run(&mut c, None)
}

/// A key made through the command line: its id and value.
struct Made {
    id: String,
    value: String,
}

fn create(dir: &Path, email: &str, name: &str, action: &str, lock: bool) -> Made {
    let mut args = vec![
        "api-key-create",
        name,
        "--action-if-leaked",
        action,
        "--output",
        "json",
    ];
    if lock {
        args.push("--lock");
    }
    let mut c = common::iamkeys(dir);
    c.args(["--as", email]).args(&args);
    let out = c.succeeds();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    Made {
        id: v["id"].as_str().unwrap().to_string(),
        value: v["apikey"].as_str().unwrap().to_string(),
    }
}

fn key_json(dir: &Path, email: &str, id: &str) -> Option<Value> {
    let out = as_(dir, email, &["api-key", id, "--output", "json"]);
    match out.code {
        0 => Some(out.json()),
        4 => None,
        c => panic!("api-key {id}: exit {c}: {}", out.stderr),
    }
}

fn history_actions(v: &Value) -> Vec<String> {
    v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect()
}

/// A small deterministic generator for noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..n)
            .map(|_| A[(self.next() % 62) as usize] as char)
            .collect()
    }
}

/// Variants of a value that are not it: each position changed once (in
/// the lookup id, the secret and the checksum), cut short, one letter
/// case-flipped, the prefix in capitals.
fn near_keys(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    for at in [5, 10, 16, 17, 30, 40, 41, 42] {
        let mut b = v.as_bytes().to_vec();
        b[at] = if b[at] == b'7' { b'8' } else { b'7' };
        out.push(String::from_utf8(b).unwrap());
    }
    out.push(v[..v.len() - 1].to_string());
    let flipped: String = v
        .char_indices()
        .map(|(i, c)| {
            if i == 20 && c.is_ascii_alphabetic() {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else if i == 20 {
                if c == '1' { '2' } else { '1' }
            } else {
                c
            }
        })
        .collect();
    out.push(flipped);
    out.push(format!("IAMK_{}", &v[5..]));
    for n in &out {
        assert_ne!(n, v);
    }
    out
}

/// Every place (path relative to `root`, line) and action in a scan's JSON.
fn places(v: &Value, root: &Path) -> BTreeSet<(String, u64, String)> {
    let prefix = format!("{}/", root.display());
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                path.strip_prefix(&prefix).unwrap_or(path).to_string(),
                f["line"].as_u64().unwrap(),
                f["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Asserts that none of `values` is in any output or any file of the store.
fn never_shown(values: &[&str], outs: &[&Out], data: &Path) {
    for v in values {
        for o in outs {
            assert!(!o.stdout.contains(v), "a value on stdout: {}", o.stdout);
            assert!(!o.stderr.contains(v), "a value on stderr: {}", o.stderr);
        }
        for f in common::files(data) {
            assert!(!common::file_contains(&f, v), "a value in {}", f.display());
        }
    }
}

struct Planted {
    tree: PathBuf,
    none: Made,
    disable: Made,
    delete: Made,
    locked: Made,
    kath: Made,
    foreign: Made,
    stranger: String,
}

/// A tree with real keys of the store (each action, a locked one, a
/// member's, one of another account), a value of no key, their near-keys
/// and binary noise.
fn plant(tmp: &Path, dir: &Path) -> Planted {
    let grace = "grace@acme.example";
    let none = create(dir, grace, "leak-none", "none", false);
    let disable = create(dir, grace, "leak-disable", "disable", false);
    let delete = create(dir, grace, "leak-delete", "delete", false);
    let locked = create(dir, grace, "leak-locked", "delete", true);
    let kath = create(dir, "katherine@acme.example", "kath-leak", "none", false);
    let foreign = create(
        dir,
        "margaret@globex.example",
        "globex-leak",
        "disable",
        false,
    );
    let stranger = iamkeys::secret::generate().expose().to_string();
    let tree = tmp.join("tree");
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);

    let mut text = String::from("# config\n");
    for v in [&none.value, &disable.value, &stranger] {
        for n in near_keys(v) {
            let _ = writeln!(text, "near = \"{n}\"");
        }
    }
    let _ = writeln!(text, "token = \"{}\"", none.value); // line 35
    let _ = writeln!(text, "iamk_{} and iamk_", noise.alnum(60));
    write(&tree, "app/config.toml", text.as_bytes());
    write(
        &tree,
        "app/deep/er/.env",
        format!("A=1\nB=2\nKEY={}\nOTHER={}x\n", disable.value, stranger).as_bytes(),
    );
    write(
        &tree,
        "notes.md",
        format!(
            "{}\n\n{}\n{}\n{}\n",
            delete.value, locked.value, kath.value, foreign.value
        )
        .as_bytes(),
    );
    // Binary noise, with near-keys and one real value across the 1 MiB
    // read boundary.
    let mut bin = noise.bytes((1 << 20) - 20);
    bin.extend_from_slice(none.value.as_bytes());
    for _ in 0..200 {
        bin.extend_from_slice(b"iamk_");
        bin.extend_from_slice(noise.alnum(43).as_bytes());
        bin.extend(noise.bytes(64));
    }
    for n in near_keys(&disable.value) {
        bin.extend_from_slice(n.as_bytes());
        bin.push(0);
    }
    bin.extend(noise.bytes(1 << 19));
    write(&tree, "assets/blob.bin", &bin);
    // Ignored by .gitignore: not scanned.
    write(&tree, ".gitignore", b"ignored/\n");
    write(
        &tree,
        "ignored/secret.txt",
        format!("{}\n", disable.value).as_bytes(),
    );
    Planted {
        tree,
        none,
        disable,
        delete,
        locked,
        kath,
        foreign,
        stranger,
    }
}

#[test]
fn planted_values_are_found_acted_on_and_recorded() {
    let (tmp, dir) = common::seeded_demo();
    let p = plant(tmp.path(), &dir);
    let tree = p.tree.display().to_string();
    let out = as_(
        &dir,
        "grace@acme.example",
        &["scan", &tree, "--output", "json"],
    )
    .code(5);
    assert_eq!(out.stderr, "", "quiet with JSON");
    let v = out.json();
    let got = places(&v, &p.tree);
    let bin_line = {
        let bin = std::fs::read(p.tree.join("assets/blob.bin")).unwrap();
        let at = (1 << 20) - 20;
        1 + bin[..at].iter().filter(|b| **b == b'\n').count() as u64
    };
    let want: BTreeSet<(String, u64, String)> = [
        ("app/config.toml", 35, "marked"),
        ("app/deep/er/.env", 3, "disabled"),
        ("app/deep/er/.env", 4, "not_in_store"),
        ("notes.md", 1, "deleted"),
        ("notes.md", 3, "locked_marked"),
        ("notes.md", 4, "marked"),
        ("notes.md", 5, "not_permitted"),
        ("assets/blob.bin", bin_line, "marked"),
    ]
    .into_iter()
    .map(|(p, l, a)| (p.to_string(), l, a.to_string()))
    .collect();
    assert_eq!(got, want, "no miss, no false positive");
    assert_eq!(v["values"], 7);

    // Each finding names the key and owner, or shows only a preview.
    for f in v["findings"].as_array().unwrap() {
        match f["action"].as_str().unwrap() {
            "not_in_store" | "not_permitted" => {
                let preview = f["preview"].as_str().unwrap();
                assert!(preview.starts_with("iamk_") && preview.ends_with('…'));
                assert_eq!(preview.chars().count(), 5 + 12 + 1);
                assert!(f.get("key_id").is_none(), "{f}");
            }
            _ => {
                assert!(f["key_id"].as_str().unwrap().starts_with("ApiKey-"));
                assert!(f["owner"].as_str().unwrap().contains('@'), "{f}");
                assert_eq!(f["in_store"], true);
            }
        }
        if f["path"].as_str().unwrap().ends_with(".bin") {
            assert_eq!(f["binary"], true);
        }
    }

    let grace = "grace@acme.example";
    // none: marked only, recorded.
    let k = key_json(&dir, grace, &p.none.id).unwrap();
    assert_eq!(k["disabled"], false);
    assert_eq!(k["leaked"]["found"], 2, "{k}");
    let places_of: Vec<&str> = k["leaked"]["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(places_of.iter().any(|p| p.ends_with("app/config.toml:35")));
    assert!(
        places_of
            .iter()
            .any(|p| p.ends_with(&format!("assets/blob.bin:byte {}", (1 << 20) - 20)))
    );
    assert_eq!(history_actions(&k).last().unwrap(), "leaked");
    // disable: marked and disabled, recorded.
    let k = key_json(&dir, grace, &p.disable.id).unwrap();
    assert_eq!(k["disabled"], true);
    assert!(k["leaked"].is_object());
    let last = k["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "leaked");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("marked leaked and disabled")
    );
    // delete: gone.
    assert!(key_json(&dir, grace, &p.delete.id).is_none());
    // locked: marked, not changed (not deleted, not disabled), and said so.
    let k = key_json(&dir, grace, &p.locked.id).unwrap();
    assert_eq!(k["locked"], true);
    assert_eq!(k["disabled"], false);
    assert!(k["leaked"].is_object());
    let last = k["history"].as_array().unwrap().last().unwrap().clone();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("locked, so not changed"),
        "{last}"
    );
    // A member's key, in an account grace administers: acted on.
    let k = key_json(&dir, grace, &p.kath.id).unwrap();
    assert!(k["leaked"].is_object());
    // Another account's key, where grace is only an Operator: untouched.
    let k = key_json(&dir, "margaret@globex.example", &p.foreign.id).unwrap();
    assert!(k.get("leaked").is_none(), "{k}");
    assert_eq!(k["disabled"], false);
    assert!(!history_actions(&k).contains(&"leaked".to_string()));

    // The text output names file, line, key, owner and action.
    let text = as_(&dir, grace, &["scan", &tree]).code(5);
    assert!(
        text.stdout.lines().any(|l| l.contains("app/config.toml:35")
            && l.contains(&p.none.id)
            && l.contains("owner grace@acme.example")
            && l.contains("marked leaked")),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("not in this store"));
    assert!(text.stdout.contains("locked, so not changed"));

    let values = [
        p.none.value.as_str(),
        &p.disable.value,
        &p.delete.value,
        &p.locked.value,
        &p.kath.value,
        &p.foreign.value,
        &p.stranger,
    ];
    never_shown(&values, &[&out, &text], &dir);
}

#[test]
fn exit_codes_and_bad_input_change_nothing() {
    let (tmp, dir) = common::seeded_demo();
    let grace = "grace@acme.example";
    let clean = tmp.path().join("clean");
    write(&clean, "a.txt", b"nothing here\niamk_ but no key\n");
    let out = as_(&dir, grace, &["scan", &clean.display().to_string()]).code(0);
    assert!(
        out.stdout.starts_with("No API key values found"),
        "{}",
        out.stdout
    );

    let k = create(&dir, grace, "bad-input", "disable", false);
    let tree = tmp.path().join("t");
    write(&tree, "k.txt", k.value.as_bytes());
    let missing = tmp.path().join("missing").display().to_string();
    let t = tree.display().to_string();
    for args in [
        vec!["scan"],
        vec!["scan", &t, &missing],
        vec!["scan", "-", "-"],
        vec!["scan", "--git", &t],
        vec!["scan", "--no-store", &t],
        vec!["api-keys", "--output", "sarif"],
    ] {
        let out = as_(&dir, grace, &args).code(2);
        assert!(!out.stderr.is_empty(), "{args:?}: says why");
    }
    // A server that cannot be reached: exit 1, naming it (the keys found
    // are acted on there, so nothing is done here).
    let out = as_(
        &dir,
        grace,
        &["scan", &t, "--endpoint", "http://127.0.0.1:9"],
    )
    .code(1);
    assert!(out.stderr.contains("127.0.0.1:9"), "{}", out.stderr);
    // Nothing was acted on.
    let v = key_json(&dir, grace, &k.id).unwrap();
    assert!(v.get("leaked").is_none());
    assert_eq!(v["disabled"], false);
    // Without a sign-in: refused, nothing scanned or changed.
    let mut c = common::iamkeys(&dir);
    c.args(["scan", &t]);
    run(&mut c, None).code(2);
    assert!(
        key_json(&dir, grace, &k.id)
            .unwrap()
            .get("leaked")
            .is_none()
    );
    // Then found: 5.
    as_(&dir, grace, &["scan", &t]).code(5);
    assert!(key_json(&dir, grace, &k.id).unwrap()["leaked"].is_object());
}

#[test]
fn standard_input_and_no_store() {
    let (_tmp, dir) = common::seeded_demo();
    let grace = "grace@acme.example";
    let k = create(&dir, grace, "piped", "none", false);
    let input = format!("first\nsecond {} third\n", k.value);
    let mut c = common::iamkeys(&dir);
    c.args(["--as", grace, "scan", "-", "--output", "json"]);
    let out = run(&mut c, Some(input.as_bytes())).code(5);
    let v = out.json();
    let f = &v["findings"][0];
    assert_eq!(f["path"], "-");
    assert_eq!(f["line"], 2);
    assert_eq!(f["key_id"], k.id.as_str());
    assert_eq!(f["action"], "marked");

    // --no-store: opens nothing, signs nobody in, still exit 5.
    let mut c = common::bin();
    c.args(["scan", "--no-store", "-", "--output", "json"]);
    let out2 = run(&mut c, Some(input.as_bytes())).code(5);
    let v = out2.json();
    assert_eq!(v["findings"][0]["action"], "not_checked");
    assert_eq!(v["findings"][0]["in_store"], Value::Null);
    let mut c = common::bin();
    c.args(["scan", "--no-store", "-"]);
    run(&mut c, Some(b"no key\n")).code(0);
    never_shown(&[&k.value], &[&out, &out2], &dir);
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn git_history_finds_a_key_committed_then_deleted() {
    let (tmp, dir) = common::seeded_demo();
    let grace = "grace@acme.example";
    let k = create(&dir, grace, "committed", "none", false);
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo, "README", b"hello\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "first"]);
    write(
        &repo,
        "deploy/creds.sh",
        format!("#!/bin/sh\n\nexport K={}\n", k.value).as_bytes(),
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "oops"]);
    let oops = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["rm", "-q", "deploy/creds.sh"]);
    git(&repo, &["commit", "-qm", "remove"]);
    let r = repo.display().to_string();

    // The working tree is clean…
    as_(&dir, grace, &["scan", &r]).code(0);
    // …the history is not.
    let out = as_(&dir, grace, &["scan", "--git", &r, "--output", "json"]).code(5);
    let v = out.json();
    let f = &v["findings"].as_array().unwrap()[..];
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["commit"], oops.as_str());
    assert_eq!(f[0]["path"], "deploy/creds.sh");
    assert_eq!(f[0]["line"], 3);
    assert_eq!(f[0]["key_id"], k.id.as_str());
    let text = as_(&dir, grace, &["scan", "--git", &r]).code(5);
    assert!(
        text.stdout
            .contains(&format!("{}:deploy/creds.sh:3", &oops[..12])),
        "{}",
        text.stdout
    );
    let kv = key_json(&dir, grace, &k.id).unwrap();
    assert!(
        kv["leaked"]["places"][0]
            .as_str()
            .unwrap()
            .contains("deploy/creds.sh:3")
    );
    never_shown(&[&k.value], &[&out, &text], &dir);
}

#[test]
fn sarif_is_a_minimal_valid_log() {
    let (tmp, dir) = common::seeded_demo();
    let grace = "grace@acme.example";
    let k = create(&dir, grace, "sarif", "none", false);
    let stranger = iamkeys::secret::generate().expose().to_string();
    let tree = tmp.path().join("t");
    write(
        &tree,
        "dir with space/a.env",
        format!("\n{}\n", k.value).as_bytes(),
    );
    write(&tree, "b.txt", stranger.as_bytes());
    let out = as_(
        &dir,
        grace,
        &["scan", &tree.display().to_string(), "--output", "sarif"],
    )
    .code(5);
    assert_eq!(out.stderr, "");
    let v = out.json();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "iamkeys");
    let rule = run0["tool"]["driver"]["rules"][0]["id"].as_str().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["ruleId"], rule);
        assert_eq!(r["level"], "error");
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.contains(' '), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let env = results
        .iter()
        .find(|r| r["properties"]["action"] == "marked")
        .unwrap();
    assert!(
        env["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("dir%20with%20space/a.env")
    );
    assert_eq!(
        env["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    never_shown(&[&k.value, &stranger], &[&out], &dir);
}

#[test]
fn leaked_search_and_clearing_the_mark() {
    let (tmp, dir) = common::seeded_demo();
    let grace = "grace@acme.example";
    let kath = "katherine@acme.example";
    let a = create(&dir, grace, "rotate-me", "none", false);
    let b = create(&dir, kath, "kath-rotate", "none", false);
    let _c = create(&dir, grace, "rotate-me-not", "none", false);
    let tree = tmp.path().join("t");
    write(&tree, "x", format!("{}\n{}\n", a.value, b.value).as_bytes());
    as_(&dir, grace, &["scan", &tree.display().to_string()]).code(5);

    let listed = |who: &str, view: &str, search: &str| -> Vec<String> {
        let out = as_(
            &dir,
            who,
            &[
                "api-keys", "--view", view, "--search", search, "--output", "json",
            ],
        )
        .code(0);
        out.json()["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        listed(grace, "users", "is:leaked"),
        vec!["kath-rotate", "rotate-me"]
    );
    assert_eq!(
        listed(grace, "users", "rotate is:leaked"),
        vec!["kath-rotate", "rotate-me"]
    );
    assert_eq!(
        listed(grace, "users", "IS:LEAKED rotate-me"),
        vec!["rotate-me"]
    );
    assert_eq!(listed(kath, "my", "is:leaked"), vec!["kath-rotate"]);
    let text = as_(
        &dir,
        grace,
        &["api-keys", "--view", "users", "--search", "is:leaked"],
    )
    .code(0);
    assert!(text.stdout.contains("leaked"), "{}", text.stdout);

    // A member may not clear her own key's mark; nobody clears an unseen key.
    let out = as_(&dir, kath, &["api-key-clear-leak", &b.id]).code(3);
    assert!(out.stderr.contains("leak mark"), "{}", out.stderr);
    as_(&dir, "alan@acme.example", &["api-key-clear-leak", &a.id]).code(4);
    // A stale entity tag is refused.
    as_(
        &dir,
        grace,
        &[
            "api-key-clear-leak",
            &a.id,
            "--if-match",
            "1-0000000000000000",
        ],
    )
    .code(3);
    // The Administrator clears it, recorded in history.
    let out = as_(&dir, grace, &["api-key-clear-leak", "rotate-me"]).code(0);
    assert!(out.stdout.contains("cleared"), "{}", out.stdout);
    let k = key_json(&dir, grace, &a.id).unwrap();
    assert!(k.get("leaked").is_none());
    assert_eq!(history_actions(&k).last().unwrap(), "leak cleared");
    assert_eq!(listed(grace, "users", "is:leaked"), vec!["kath-rotate"]);
    // Clearing again: nothing to clear.
    as_(&dir, grace, &["api-key-clear-leak", &a.id]).code(2);
    // The owner of the account may too.
    as_(&dir, "ada@acme.example", &["api-key-clear-leak", &b.id]).code(0);
    assert!(listed(grace, "users", "is:leaked").is_empty());
}

#[test]
fn a_non_admin_scan_reports_but_changes_nothing() {
    let (tmp, dir) = common::seeded_demo();
    let k = create(&dir, "grace@acme.example", "not-yours", "delete", false);
    let tree = tmp.path().join("t");
    write(&tree, "x", k.value.as_bytes());
    let out = as_(
        &dir,
        "katherine@acme.example",
        &["scan", &tree.display().to_string(), "--output", "json"],
    )
    .code(5);
    let v = out.json();
    assert_eq!(v["findings"][0]["action"], "not_permitted");
    assert_eq!(v["findings"][0]["account_id"], "acme");
    assert!(v["findings"][0].get("key_id").is_none());
    let kv = key_json(&dir, "grace@acme.example", &k.id).expect("not deleted");
    assert!(kv.get("leaked").is_none());
}

/// The leaked badge in the table, and where and when in the details, as a
/// scan leaves them (snapshots).
#[test]
fn console_shows_the_leaked_badge_and_where() {
    use crate::console_common::{Console, snapshot_settings};
    const GRACE_KEY: &str = "iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb";
    let mut c = Console::signed_in("grace@acme.example");
    let session = c.st.session.clone().unwrap();
    let value = iamkeys::secret::parse(GRACE_KEY).unwrap();
    let outcome = c
        .svc
        .record_leak(
            &session,
            &value,
            &["deploy/.env:3".into(), "a1b2c3d4e5f6:ci/run.sh:12".into()],
            2,
        )
        .unwrap();
    assert!(
        matches!(outcome, iamkeys::service::LeakOutcome::Acted { .. }),
        "{outcome:?}"
    );
    c.press("r");
    let mut settings = snapshot_settings();
    let today = iamkeys::service::now().strftime("%Y-%m-%d").to_string();
    settings.add_filter(&format!(r"{today} \d\d:\d\d(:\d\d)?( UTC)?"), "<now>");
    let page = c.screen(120, 24);
    assert!(page.contains("leaked"), "{page}");
    settings.bind(|| insta::assert_snapshot!("leaked_badge_120x24", page));
    c.select("grace-cli");
    c.press("d");
    let details = c.screen(120, 40);
    assert!(details.contains("in deploy/.env:3"), "{details}");
    settings.bind(|| insta::assert_snapshot!("leaked_details_120x40", details));
}

/// `L` in the console clears the mark after a confirmation, recorded in
/// history; a member who is not an Administrator is refused.
#[test]
fn console_clears_the_leaked_mark_for_an_admin_only() {
    use crate::console_common::Console;
    const KATHERINE_KEY: &str = "iamk_DEMOkath0000YrqFnwb91O3RUejvkbYJD95u10zbvd";
    for (who, may) in [
        ("grace@acme.example", true),
        ("katherine@acme.example", false),
    ] {
        let mut c = Console::signed_in(who);
        if may {
            crate::console_common::choose_view(&mut c, iamkeys::access::ViewFilter::AllUserApiKeys);
        }
        let admin = c.svc.sign_in_as("grace@acme.example", None).unwrap();
        let value = iamkeys::secret::parse(KATHERINE_KEY).unwrap();
        c.svc
            .record_leak(&admin, &value, &["x.txt:1".into()], 1)
            .unwrap();
        c.press("r");
        let name = c
            .visible_names()
            .into_iter()
            .find(|n| n.starts_with("katherine"))
            .expect("katherine's key is listed");
        c.select(&name);
        c.press("L");
        assert!(c.screen(100, 30).contains("Clear leaked mark"));
        c.press("y");
        let key = c
            .svc
            .resolve(&admin, &name)
            .expect("the key is still there");
        if may {
            assert!(key.leak.is_none(), "cleared");
            assert_eq!(key.history.last().unwrap().action, "leak cleared");
            assert!(c.status().contains("cleared"), "{}", c.status());
        } else {
            assert!(key.leak.is_some(), "not cleared");
            assert!(c.status().contains("leak mark"), "{}", c.status());
        }
    }
}
