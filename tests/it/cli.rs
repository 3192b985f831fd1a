//! The built binary, run as a process: every command of spec §5, the JSON
//! shapes, every exit code, sign-in by flag and by environment, and a store
//! that keeps everything across processes.

use crate::common::Succeeds as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use iamkeys::store::{SledStore, Storage};
use serde_json::Value;
use tempfile::TempDir;

use crate::common;
use common::files;

// Public values from the built-in demo fixture.
const GRACE_KEY: &str = "iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb";
const GRACE_OLD_DISABLED: &str = "iamk_DEMOgraceoldI2f3KxKfLCq3AKHjEDYhc7iP2o9di6";
const KATHERINE_KEY: &str = "iamk_DEMOkath0000YrqFnwb91O3RUejvkbYJD95u10zbvd";
const BILLING_SERVICE_KEY: &str = "iamk_DEMObilling01UFKkDNDU3Db0LSZeTiClQiw2ZYeJf";
const EDSGER_KEY: &str = "iamk_DEMOedsger002tArr0eDoAneZtQEZWw9NfOm11D9ev";

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
    fn ok(self) -> Out {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
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

struct Store {
    _tmp: TempDir,
    tmp: PathBuf,
    dir: PathBuf,
}

fn command(envs: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = common::bin();
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

fn run_env(envs: &[(&str, &str)], args: &[&str]) -> Out {
    let o = command(envs, args).output().expect("the binary runs");
    Out {
        code: o.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Store {
    /// A store seeded from the built-in demo.
    fn demo() -> Store {
        let s = Store::empty();
        s.run(&["seed"]).ok();
        s
    }

    /// A store seeded from a file under fixtures/test; returns the
    /// bootstrap keys printed.
    fn from(file: &str) -> (Store, Vec<(String, String)>) {
        let s = Store::empty();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/test")
            .join(file);
        let out = s
            .run(&["seed", path.to_str().unwrap(), "--output", "json"])
            .ok();
        let boots = out.json()["bootstrap_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["owner"].as_str().unwrap().to_string(),
                    b["apikey"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (s, boots)
    }

    fn empty() -> Store {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path().join("data");
        Store {
            tmp: tmp.path().to_path_buf(),
            _tmp: tmp,
            dir,
        }
    }

    fn run(&self, args: &[&str]) -> Out {
        self.run_env(&[], args)
    }

    fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Out {
        let mut all = vec!["--data-dir", self.dir.to_str().unwrap()];
        all.extend_from_slice(args);
        run_env(envs, &all)
    }

    /// Runs a command as a demo persona.
    fn as_(&self, email: &str, args: &[&str]) -> Out {
        let mut all = vec!["--as", email];
        all.extend_from_slice(args);
        self.run(&all)
    }

    fn json(&self, email: &str, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        self.as_(email, &all).ok().json()
    }

    /// The names listed in a view, in the order given.
    fn names(&self, email: &str, args: &[&str]) -> Vec<String> {
        let mut all = vec!["api-keys"];
        all.extend_from_slice(args);
        self.json(email, &all)["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn id_of(&self, email: &str, view: &str, name: &str) -> String {
        let v = self.json(email, &["api-keys", "--view", view]);
        let ids: Vec<String> = v["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["name"] == name)
            .map(|k| k["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 1, "{name} in {view}: {ids:?}");
        ids[0].clone()
    }
}

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(std::string::ToString::to_string).collect()
}

/// The fields every key carries in JSON, with the IBM names of spec §1.
const KEY_FIELDS: [&str; 15] = [
    "id",
    "entity_tag",
    "crn",
    "kind",
    "name",
    "description",
    "account_id",
    "iam_id",
    "created_at",
    "created_by",
    "modified_at",
    "locked",
    "disabled",
    "action_when_leaked",
    "activity",
];

fn assert_key_shape(k: &Value) {
    let got = keys_of(k);
    for f in KEY_FIELDS {
        assert!(got.contains(f), "a key lacks {f}: {k}");
    }
    assert!(
        !got.contains("apikey"),
        "a key's value outside a create: {k}"
    );
    assert!(!got.contains("hash") && !got.contains("lookup"), "{k}");
    assert!(k["id"].as_str().unwrap().starts_with("ApiKey-"));
    assert!(k["crn"].as_str().unwrap().starts_with("crn:v1:"));
    let activity = keys_of(&k["activity"]);
    assert_eq!(activity, set(&["last_authn", "authn_count"]));
}

fn is_key_value(v: &str) -> bool {
    iamkeys::secret::parse(v).is_ok()
}

// ---------------------------------------------------------------------------

#[test]
fn seed_prints_one_bootstrap_key_per_owner_once() {
    let s = Store::empty();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test/small.yaml");
    let out = s.run(&["seed", path.to_str().unwrap()]).ok();
    let printed: Vec<&str> = out
        .stdout
        .split_whitespace()
        .filter(|w| w.starts_with("iamk_"))
        .collect();
    assert_eq!(printed.len(), 2, "{}", out.stdout);
    assert!(printed.iter().all(|v| is_key_value(v)));
    assert!(out.stdout.contains("root@small.test") && out.stdout.contains("other@other.test"));
    // The bootstrap key signs its owner in and lists itself.
    let list = s
        .run(&["--apikey", printed[0], "api-keys", "--output", "json"])
        .ok()
        .json();
    let names: Vec<&str> = list["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bootstrap"]);
    // Never shown again: not in any later answer.
    let details = s
        .run(&["--apikey", printed[0], "api-key", "bootstrap"])
        .ok();
    assert!(!details.stdout.contains(printed[0]));
    // Seeding over it needs --replace.
    s.run(&["seed", path.to_str().unwrap()]).code(2);
    s.run(&["seed", path.to_str().unwrap(), "--replace"]).ok();
    // The old bootstrap key died with the old store.
    s.run(&["--apikey", printed[0], "views"]).code(3);
}

#[test]
fn views_text_and_json() {
    let s = Store::demo();
    // ada owns acme (classic infrastructure, holds a classic key).
    let v = s.json("ada@acme.example", &["views"]);
    let arr = v.as_array().unwrap();
    for item in arr {
        assert_eq!(keys_of(item), set(&["id", "label", "actions"]));
    }
    let ids: Vec<&str> = arr.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["my", "users", "service-ids", "classic"]);
    let labels: Vec<&str> = arr.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "My IBM Cloud API keys",
            "All IBM Cloud user API keys",
            "All service ID API keys",
            "Classic infrastructure API keys"
        ]
    );
    let actions = |v: &Value, i: usize| -> Vec<String> {
        v[i]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        actions(&v, 0),
        [
            "view", "create", "edit", "delete", "lock", "unlock", "disable", "enable"
        ]
    );
    assert_eq!(
        actions(&v, 1),
        [
            "view", "edit", "delete", "lock", "unlock", "disable", "enable"
        ]
    );
    // ada has a classic key already: no create there.
    assert_eq!(actions(&v, 3), ["view", "delete"]);
    // grace (Administrator in acme) has none: create is offered.
    let g = s.json("grace@acme.example", &["views"]);
    assert_eq!(actions(&g, 3), ["view", "create", "delete"]);
    // katherine (plain member) sees her views only.
    let k = s.json("katherine@acme.example", &["views"]);
    let ids: Vec<&str> = k
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["my", "classic"]);
    // In globex creation is restricted: grace (Operator, no creator role)
    // gets no create; margaret (creator role) does.
    let g = s.json("grace@acme.example", &["views", "--account", "globex"]);
    assert_eq!(g.as_array().unwrap().len(), 1);
    assert_eq!(
        actions(&g, 0),
        [
            "view", "edit", "delete", "lock", "unlock", "disable", "enable"
        ]
    );
    let m = s.json("margaret@globex.example", &["views"]);
    assert!(actions(&m, 0).contains(&"create".to_string()));
    // At the limit (globex allows 5 per identity; margaret holds 1), create
    // is no longer offered, and creating is refused by rule.
    for i in 0..4 {
        s.as_(
            "margaret@globex.example",
            &["api-key-create", &format!("m{i}")],
        )
        .ok();
    }
    let m = s.json("margaret@globex.example", &["views"]);
    assert!(!actions(&m, 0).contains(&"create".to_string()));
    let out = s
        .as_("margaret@globex.example", &["api-key-create", "m5"])
        .code(3);
    assert!(out.stderr.contains("limit"), "{}", out.stderr);
    // The text form names the views and the reason create is missing.
    let t = s
        .as_("grace@acme.example", &["views", "--account", "globex"])
        .ok();
    assert!(t.stdout.contains("My IBM Cloud API keys"), "{}", t.stdout);
    assert!(t.stdout.contains("User API key creator"), "{}", t.stdout);
    assert!(!t.stdout.contains("All IBM Cloud user API keys"));
}

#[test]
fn api_keys_with_view_search_sort_and_order() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    // The list answer's shape.
    let v = s.json(ada, &["api-keys"]);
    let top = keys_of(&v);
    for f in ["offset", "limit", "apikeys"] {
        assert!(top.contains(f), "{f} missing: {v}");
    }
    assert_eq!(v["offset"], 0);
    for k in v["apikeys"].as_array().unwrap() {
        assert_key_shape(k);
        assert_eq!(k["kind"], "user");
    }
    assert_eq!(s.names(ada, &[]), ["ada-laptop", "ada-terraform"]);
    assert_eq!(
        s.names(ada, &["--view", "users"]),
        [
            "ada-laptop",
            "ada-terraform",
            "alan-notebook",
            "deploy-pipeline",
            "grace-cli",
            "grace-old-script",
            "katherine-ci",
            "linus-readonly"
        ]
    );
    assert_eq!(
        s.names(ada, &["--view", "service-ids"]),
        [
            "auto-generated-apikey-assistant",
            "billing-backfill",
            "billing-nightly"
        ]
    );
    let classic = s.json(ada, &["api-keys", "--view", "classic"]);
    let owners: BTreeSet<String> = classic["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            assert_eq!(k["kind"], "classic");
            k["iam_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        owners.len(),
        3,
        "ada is an ancestor of every classic key's user"
    );
    // Search: name, description, owner; any case.
    assert_eq!(
        s.names(ada, &["--view", "users", "--search", "GRACE"]),
        ["grace-cli", "grace-old-script"]
    );
    assert_eq!(
        s.names(ada, &["--view", "users", "--search", "jupyter"]),
        ["alan-notebook"]
    );
    assert_eq!(
        s.names(ada, &["--view", "service-ids", "--search", "assistant"]),
        ["auto-generated-apikey-assistant"]
    );
    // Sort by creation time, both ways.
    let by_time = [
        "grace-old-script",
        "ada-terraform",
        "ada-laptop",
        "grace-cli",
        "deploy-pipeline",
        "alan-notebook",
        "katherine-ci",
        "linus-readonly",
    ];
    assert_eq!(
        s.names(ada, &["--view", "users", "--sort", "created_at"]),
        by_time
    );
    let mut rev = by_time.to_vec();
    rev.reverse();
    assert_eq!(
        s.names(ada, &["--view", "users", "--sort", "created_at", "--desc"]),
        rev
    );
    assert_eq!(
        s.names(ada, &["--view", "users", "--desc"]),
        [
            "linus-readonly",
            "katherine-ci",
            "grace-old-script",
            "grace-cli",
            "deploy-pipeline",
            "alan-notebook",
            "ada-terraform",
            "ada-laptop"
        ]
    );
    assert_eq!(
        s.names(ada, &["--view", "service-ids", "--sort", "description"]),
        [
            "auto-generated-apikey-assistant",
            "billing-backfill",
            "billing-nightly"
        ]
    );
    // created_by: the two keys created by ada (the default creator of a
    // service ID key is the account owner) before the one grace created.
    let by_creator = s.names(ada, &["--view", "service-ids", "--sort", "created_by"]);
    assert_eq!(by_creator[2], "billing-nightly");
    let by_creator = s.names(
        ada,
        &["--view", "service-ids", "--sort", "created_by", "--desc"],
    );
    assert_eq!(by_creator[0], "billing-nightly");
    // Paging.
    let page = s.json(
        ada,
        &[
            "api-keys", "--view", "users", "--offset", "2", "--limit", "3",
        ],
    );
    assert_eq!(page["offset"], 2);
    assert_eq!(page["limit"], 3);
    let names: Vec<&str> = page["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alan-notebook", "deploy-pipeline", "grace-cli"]);
    // Text: an aligned table with a header.
    let t = s.as_(ada, &["api-keys", "--view", "users"]).ok();
    let lines: Vec<&str> = t.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{}", t.stdout);
    assert!(lines[0].contains("OWNER"));
    let col = lines[0].find("CREATED").unwrap();
    for l in &lines[1..9] {
        assert_eq!(
            l.char_indices().nth(col).map(|(_, c)| c.is_ascii_digit()),
            Some(true),
            "the CREATED column is aligned: {l:?}"
        );
    }
    assert!(t.stdout.contains("expired") && t.stdout.contains("locked"));
    // A view one may not use is refused by rule.
    s.as_("katherine@acme.example", &["api-keys", "--view", "users"])
        .code(3);
}

#[test]
fn api_key_by_id_by_name_and_ambiguous_names() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    let id = s.id_of(ada, "my", "ada-laptop");
    let by_name = s.json(ada, &["api-key", "ada-laptop"]);
    let by_id = s.json(ada, &["api-key", &id]);
    assert_eq!(by_name, by_id);
    assert_key_shape(&by_id);
    assert_eq!(by_id["id"], id.as_str());
    assert_eq!(by_id["support_sessions"], true);
    assert!(!by_id["history"].as_array().unwrap().is_empty());
    // The text form shows the fields and the history.
    let t = s.as_(ada, &["api-key", "ada-laptop"]).ok();
    for f in ["ada-laptop", "CLI on my laptop", &id, "History", "create"] {
        assert!(t.stdout.contains(f), "{f}: {}", t.stdout);
    }
    // Names are not unique: an ambiguous name is bad input listing the ids.
    let a = s.json(ada, &["api-key-create", "twin"]);
    let b = s.json(ada, &["api-key-create", "twin"]);
    let out = s.as_(ada, &["api-key", "twin"]).code(2);
    assert!(
        out.stderr.contains(a["id"].as_str().unwrap()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(b["id"].as_str().unwrap()),
        "{}",
        out.stderr
    );
    // Either twin by id.
    s.as_(ada, &["api-key", a["id"].as_str().unwrap()]).ok();
    // A name is resolved across all of one's views: a service ID key too.
    let svc = s.json(ada, &["api-key", "billing-nightly"]);
    assert_eq!(svc["kind"], "service_id");
    assert_eq!(svc.get("support_sessions"), None);
    // Unknown: not found.
    s.as_(ada, &["api-key", "no-such-key"]).code(4);
    s.as_(
        ada,
        &["api-key", "ApiKey-00000000-0000-0000-0000-000000000000"],
    )
    .code(4);
    // Exists but invisible to katherine: also not found, by name and by id,
    // answered as for a key that does not exist.
    let grace_cli = s.id_of(ada, "users", "grace-cli");
    let hidden = s
        .as_("katherine@acme.example", &["api-key", &grace_cli])
        .code(4);
    let missing = s
        .as_(
            "katherine@acme.example",
            &["api-key", "ApiKey-00000000-0000-0000-0000-000000000000"],
        )
        .code(4);
    assert_eq!(
        hidden.stderr.replace(&grace_cli, "ID"),
        missing
            .stderr
            .replace("ApiKey-00000000-0000-0000-0000-000000000000", "ID")
    );
    s.as_("katherine@acme.example", &["api-key", "grace-cli"])
        .code(4);
    // Keys of another account are not found from this one.
    s.as_("margaret@globex.example", &["api-key", &grace_cli])
        .code(4);
}

#[test]
fn api_key_create_with_every_option() {
    let s = Store::demo();
    let kat = "katherine@acme.example";
    let c = s.json(
        kat,
        &[
            "api-key-create",
            "k1",
            "-d",
            "made by a test",
            "--lock",
            "--action-if-leaked",
            "delete",
            "--expires-at",
            "2030-01-01T00:00:00Z",
        ],
    );
    let value = c["apikey"].as_str().expect("a create's answer has apikey");
    assert!(is_key_value(value));
    assert_eq!(c["name"], "k1");
    assert_eq!(c["description"], "made by a test");
    assert_eq!(c["locked"], true);
    assert_eq!(c["action_when_leaked"], "delete");
    assert_eq!(c["expires_at"], "2030-01-01T00:00:00Z");
    // Any offset is accepted and stored as UTC.
    let c2 = s.json(
        kat,
        &[
            "api-key-create",
            "k1-offset",
            "--expires-at",
            "2030-01-01T05:30:00+05:30",
        ],
    );
    assert_eq!(c2["expires_at"], "2030-01-01T00:00:00Z");
    assert_eq!(c["kind"], "user");
    // The value is never shown again.
    let again = s.as_(kat, &["api-key", "k1", "--output", "json"]).ok();
    assert!(!again.stdout.contains(value));
    assert!(again.json().get("apikey").is_none());
    let listed = s.as_(kat, &["api-keys", "--output", "json"]).ok();
    assert!(!listed.stdout.contains(value));
    // It signs its user in.
    let me = s
        .run(&["--apikey", value, "api-keys", "--output", "json"])
        .ok()
        .json();
    assert!(
        me["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "k1")
    );
    // Text: the value, once, with a warning.
    let t = s.as_(kat, &["api-key-create", "k2"]).ok();
    let shown: Vec<&str> = t
        .stdout
        .split_whitespace()
        .filter(|w| w.starts_with("iamk_"))
        .collect();
    assert_eq!(shown.len(), 1, "{}", t.stdout);
    assert!(t.stdout.contains("not be shown again"));

    // --file: IBM's download format, mode 0600, never overwritten.
    let file = s.tmp.join("k3.json");
    let t = s
        .as_(
            kat,
            &[
                "api-key-create",
                "k3",
                "-d",
                "to a file",
                "--file",
                file.to_str().unwrap(),
            ],
        )
        .ok();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        keys_of(&doc),
        set(&["name", "description", "createdAt", "apikey"])
    );
    assert_eq!(doc["name"], "k3");
    assert_eq!(doc["description"], "to a file");
    let file_value = doc["apikey"].as_str().unwrap();
    assert!(is_key_value(file_value));
    assert!(
        !t.stdout.contains(file_value),
        "written to the file, not the screen"
    );
    assert!(t.stdout.contains(file.to_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    s.run(&["--apikey", file_value, "views"]).ok();
    let before = std::fs::read(&file).unwrap();
    let count = |s: &Store| s.names(kat, &[]).len();
    let n = count(&s);
    s.as_(
        kat,
        &["api-key-create", "k4", "--file", file.to_str().unwrap()],
    )
    .code(2);
    assert_eq!(std::fs::read(&file).unwrap(), before, "not overwritten");
    assert_eq!(count(&s), n, "no key was made");
    // A classic key to a file too.
    let cfile = s.tmp.join("classic.json");
    s.as_(
        kat,
        &["classic-api-key-create", "--file", cfile.to_str().unwrap()],
    )
    .code(3); // katherine already has one
    assert!(!cfile.exists(), "a refused create leaves no file");

    // Bad options are bad input.
    s.as_(kat, &["api-key-create", "k5", "--expires-at", "2030-01-01"])
        .code(2);
    s.as_(
        kat,
        &[
            "api-key-create",
            "k5",
            "--expires-at",
            "2030-01-01T00:00:00",
        ],
    )
    .code(2);
    s.as_(
        kat,
        &[
            "api-key-create",
            "k5",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ],
    )
    .code(2);
    // Times are to the second.
    s.as_(
        kat,
        &[
            "api-key-create",
            "k5",
            "--expires-at",
            "2030-01-01T00:00:00.75Z",
        ],
    )
    .code(2);
    s.as_(
        kat,
        &["api-key-create", "k5", "--action-if-leaked", "explode"],
    )
    .code(2);
    s.as_(kat, &["api-key-create", ""]).code(2);
    assert_eq!(count(&s), n);
}

#[test]
fn service_api_key_create_by_id_and_by_name() {
    let s = Store::demo();
    let grace = "grace@acme.example";
    let by_name = s.json(
        grace,
        &[
            "service-api-key-create",
            "nightly-2",
            "billing-exporter",
            "-d",
            "second",
        ],
    );
    assert_eq!(by_name["kind"], "service_id");
    assert!(is_key_value(by_name["apikey"].as_str().unwrap()));
    let sid_iam = by_name["iam_id"].as_str().unwrap().to_string();
    assert!(sid_iam.starts_with("iam-ServiceId-"), "{sid_iam}");
    let sid = sid_iam.trim_start_matches("iam-").to_string();
    let by_id = s.json(grace, &["service-api-key-create", "nightly-3", &sid]);
    assert_eq!(by_id["iam_id"], sid_iam.as_str());
    // A service ID key does not sign in.
    s.run(&["--apikey", by_id["apikey"].as_str().unwrap(), "views"])
        .code(3);
    // Both show in the service ID view.
    let names = s.names(grace, &["--view", "service-ids", "--search", "nightly"]);
    assert_eq!(names, ["billing-nightly", "nightly-2", "nightly-3"]);
    // No such service ID: not found. Not Admin/Editor/Operator: refused.
    s.as_(grace, &["service-api-key-create", "x", "no-such-service"])
        .code(4);
    s.as_(
        "linus@acme.example",
        &["service-api-key-create", "x", "billing-exporter"],
    )
    .code(3);
    // An Editor may create them.
    s.as_(
        "alan@acme.example",
        &["service-api-key-create", "alan-made", "assistant-prod"],
    )
    .ok();
    // The restriction spares service ID keys: grace is an Operator in globex.
    s.as_(
        grace,
        &[
            "service-api-key-create",
            "ci-2",
            "ci-pipeline",
            "--account",
            "globex",
        ],
    )
    .ok();
    s.as_(grace, &["api-key-create", "mine", "--account", "globex"])
        .code(3);
}

#[test]
fn classic_api_key_create() {
    let s = Store::demo();
    let grace = "grace@acme.example";
    let c = s.json(grace, &["classic-api-key-create"]);
    assert_eq!(c["kind"], "classic");
    let value = c["apikey"].as_str().unwrap().to_string();
    assert!(is_key_value(&value));
    // One per user.
    let out = s.as_(grace, &["classic-api-key-create"]).code(3);
    assert!(out.stderr.contains("only one"), "{}", out.stderr);
    // Classic keys do not open a session.
    s.run(&["--apikey", &value, "views"]).code(3);
    // Not in an account without classic infrastructure.
    s.as_(grace, &["classic-api-key-create", "--account", "globex"])
        .code(3);
    // Deleted by its user, then a new one may be made, to a file.
    let id = c["id"].as_str().unwrap();
    s.as_(grace, &["api-key-delete", id, "-f"]).ok();
    let file = s.tmp.join("classic.json");
    s.as_(
        grace,
        &["classic-api-key-create", "--file", file.to_str().unwrap()],
    )
    .ok();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        keys_of(&doc),
        set(&["name", "description", "createdAt", "apikey"])
    );
    assert!(is_key_value(doc["apikey"].as_str().unwrap()));
    // Only view and delete: no edit, lock or disable, even for an ancestor.
    let kat = "katherine@acme.example";
    let kat_classic = s.id_of(kat, "classic", "Classic infrastructure API key");
    for cmd in ["api-key-lock", "api-key-disable"] {
        s.as_(kat, &[cmd, &kat_classic]).code(3);
        s.as_("alan@acme.example", &[cmd, &kat_classic]).code(3);
    }
    let d = s.json("alan@acme.example", &["api-key", &kat_classic]);
    assert_eq!(d["kind"], "classic");
}

#[test]
fn api_key_update() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    let before = s.json(ada, &["api-key", "ada-laptop"]);
    let tag = before["entity_tag"].as_str().unwrap().to_string();
    let after = s.json(
        ada,
        &[
            "api-key-update",
            "ada-laptop",
            "-n",
            "ada-desktop",
            "-d",
            "moved",
            "--action-if-leaked",
            "none",
        ],
    );
    assert_eq!(after["name"], "ada-desktop");
    assert_eq!(after["description"], "moved");
    assert_eq!(after["action_when_leaked"], "none");
    assert_ne!(after["entity_tag"], tag.as_str());
    assert_eq!(after["id"], before["id"]);
    // The old tag is stale now.
    s.as_(
        ada,
        &[
            "api-key-update",
            "ada-desktop",
            "-d",
            "again",
            "--if-match",
            &tag,
        ],
    )
    .code(3);
    let fresh = after["entity_tag"].as_str().unwrap();
    s.as_(
        ada,
        &[
            "api-key-update",
            "ada-desktop",
            "-d",
            "again",
            "--if-match",
            fresh,
        ],
    )
    .ok();
    // Nothing to change is bad input; a locked key is refused.
    s.as_(ada, &["api-key-update", "ada-desktop"]).code(2);
    s.as_(
        "alan@acme.example",
        &["api-key-update", "alan-notebook", "-d", "x"],
    )
    .code(3);
    // An Administrator edits another user's key; a plain member cannot see it.
    s.as_(
        "grace@acme.example",
        &["api-key-update", "katherine-ci", "-d", "by grace"],
    )
    .ok();
    s.as_(
        "katherine@acme.example",
        &["api-key-update", "grace-cli", "-d", "x"],
    )
    .code(4);
    // Classic keys cannot be edited.
    let classic = s.id_of(
        "katherine@acme.example",
        "classic",
        "Classic infrastructure API key",
    );
    s.as_(
        "katherine@acme.example",
        &["api-key-update", &classic, "-n", "x"],
    )
    .code(3);
    let history: Vec<String> = s.json(ada, &["api-key", "ada-desktop"])["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(history, ["create", "edit", "edit"]);
}

#[test]
fn api_key_delete_with_and_without_force() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    // Without -f and without a terminal to confirm on: refused, kept.
    let out = s.as_(ada, &["api-key-delete", "ada-terraform"]).code(2);
    assert!(out.stderr.contains("-f"), "{}", out.stderr);
    s.as_(ada, &["api-key", "ada-terraform"]).ok();
    let out = s.as_(ada, &["api-key-delete", "ada-terraform", "-f"]).ok();
    assert!(out.stdout.contains("deleted"));
    s.as_(ada, &["api-key", "ada-terraform"]).code(4);
    // JSON answer.
    let v = s.json(ada, &["api-key-delete", "billing-nightly", "-f"]);
    assert_eq!(v["deleted"], true);
    // Locked keys are not deleted; only the key's user or an Admin deletes.
    s.as_(ada, &["api-key-delete", "alan-notebook", "-f"])
        .code(3);
    s.as_(
        "alan@acme.example",
        &["api-key-delete", "katherine-ci", "-f"],
    )
    .code(4);
    // An ancestor deletes a descendant's classic key (alan → katherine).
    let classic = s.id_of(
        "katherine@acme.example",
        "classic",
        "Classic infrastructure API key",
    );
    s.as_("alan@acme.example", &["api-key-delete", &classic, "-f"])
        .ok();
    // ...but not an ancestor's (katherine → alan's).
    let alan_classic = s.json("alan@acme.example", &["api-keys", "--view", "classic"])["apikeys"]
        .as_array()
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.as_(
        "katherine@acme.example",
        &["api-key-delete", &alan_classic, "-f"],
    )
    .code(4);
}

#[test]
fn lock_unlock_disable_enable() {
    let s = Store::demo();
    let kat = "katherine@acme.example";
    s.as_(kat, &["api-key-lock", "katherine-ci", "-f"]).ok();
    s.as_(kat, &["api-key-lock", "katherine-ci", "-f"]).code(3);
    s.as_(kat, &["api-key-disable", "katherine-ci", "-f"])
        .code(3);
    s.as_(kat, &["api-key-delete", "katherine-ci", "-f"])
        .code(3);
    let v = s.json(kat, &["api-key-unlock", "katherine-ci"]);
    assert_eq!(v["locked"], false);
    s.as_(kat, &["api-key-unlock", "katherine-ci"]).code(3);
    let v = s.json(kat, &["api-key-disable", "katherine-ci", "-f"]);
    assert_eq!(v["disabled"], true);
    // A disabled key signs nobody in.
    s.run(&["--apikey", KATHERINE_KEY, "views"]).code(3);
    s.as_(kat, &["api-key-disable", "katherine-ci", "-f"])
        .code(3);
    s.as_(kat, &["api-key-enable", "katherine-ci"]).ok();
    s.run(&["--apikey", KATHERINE_KEY, "views"]).ok();
    s.as_(kat, &["api-key-enable", "katherine-ci"]).code(3);
    let history: Vec<String> = s.json(kat, &["api-key", "katherine-ci"])["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(history, ["create", "lock", "unlock", "disable", "enable"]);
    // Text answers name the change.
    let t = s.as_(kat, &["api-key-lock", "katherine-ci", "-f"]).ok();
    assert!(t.stdout.contains("locked"));
}

#[test]
fn account_settings_show_and_change() {
    let s = Store::demo();
    let v = s.json("ada@acme.example", &["account-settings"]);
    assert_eq!(v["restrict_api_key_creation"], false);
    assert_eq!(v["api_keys_per_identity"], 20);
    assert_eq!(v["account_id"], "acme");
    let t = s.as_("ada@acme.example", &["account-settings"]).ok();
    assert!(t.stdout.contains("off"), "{}", t.stdout);
    // A plain member may look, not change.
    s.as_("katherine@acme.example", &["account-settings"]).ok();
    s.as_(
        "katherine@acme.example",
        &["account-settings", "--restrict-api-key-creation", "true"],
    )
    .code(3);
    s.as_(
        "linus@acme.example",
        &["account-settings", "--restrict-api-key-creation", "true"],
    )
    .code(3);
    // An Editor may.
    let v = s.json(
        "alan@acme.example",
        &["account-settings", "--restrict-api-key-creation", "true"],
    );
    assert_eq!(v["restrict_api_key_creation"], true);
    // Now even the owner may not create a user key, and views say so.
    s.as_("ada@acme.example", &["api-key-create", "blocked"])
        .code(3);
    let views = s.json("ada@acme.example", &["views"]);
    assert!(
        !views[0]["actions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("create"))
    );
    // Service ID keys are still allowed.
    s.as_(
        "ada@acme.example",
        &["service-api-key-create", "still-ok", "billing-exporter"],
    )
    .ok();
    s.as_(
        "ada@acme.example",
        &["account-settings", "--restrict-api-key-creation", "maybe"],
    )
    .code(2);
    s.as_(
        "ada@acme.example",
        &["account-settings", "--restrict-api-key-creation", "false"],
    )
    .ok();
    s.as_("ada@acme.example", &["api-key-create", "allowed"])
        .ok();
}

#[test]
fn check_reports_a_consistent_store() {
    let s = Store::demo();
    let out = s.run(&["check"]).ok();
    assert!(out.stdout.contains("consistent"), "{}", out.stdout);
    let v = s.run(&["check", "--output", "json"]).ok().json();
    assert_eq!(v["problems"], Value::Array(vec![]));
    // No store there: an error naming the directory, exit 1.
    let empty = Store::empty();
    let out = empty.run(&["check"]).code(1);
    assert!(
        out.stderr.contains(empty.dir.to_str().unwrap()),
        "{}",
        out.stderr
    );
    let out = empty.as_("ada@acme.example", &["views"]).code(1);
    assert!(out.stderr.contains("seed"), "{}", out.stderr);
}

#[test]
fn exit_codes() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    // 2: bad input.
    s.run(&["no-such-command"]).code(2);
    s.as_(ada, &["api-key"]).code(2);
    s.as_(ada, &["api-keys", "--view", "everything"]).code(2);
    s.as_(ada, &["api-keys", "--sort", "colour"]).code(2);
    s.run(&["views"]).code(2); // nobody signed in
    s.run(&["--as", ada, "--apikey", GRACE_KEY, "views"])
        .code(2);
    let out = s.run(&["--apikey", "not-a-key", "views"]).code(2);
    assert!(!out.stderr.contains("not-a-key"), "never echoes a key");
    s.run(&["--apikey", &GRACE_KEY.replace("grace", "Grace"), "views"])
        .code(2); // checksum
    s.run_env(&[("IAMKEYS_ARGON2", "m=banana")], &["--as", ada, "views"])
        .code(2);
    // 3: refused, including every failed sign-in.
    let unknown = iamkeys::secret::generate();
    s.run(&["--apikey", unknown.expose(), "views"]).code(3);
    s.run(&["--apikey", GRACE_OLD_DISABLED, "views"]).code(3);
    s.run(&["--apikey", BILLING_SERVICE_KEY, "views"]).code(3);
    s.as_("nobody@acme.example", &["views"]).code(3);
    s.as_("katherine@acme.example", &["views", "--account", "globex"])
        .code(3);
    s.run(&["--apikey", EDSGER_KEY, "views", "--account", "acme"])
        .code(3);
    s.as_(ada, &["views", "--account", "no-such-account"])
        .code(3);
    s.as_(
        "linus@acme.example",
        &["service-api-key-create", "x", "billing-exporter"],
    )
    .code(3);
    let (small, _) = Store::from("small.yaml");
    let out = small.as_("root@small.test", &["views"]).code(3);
    assert!(out.stderr.contains("demo"), "{}", out.stderr);
    // 4: not found, including keys one cannot see.
    s.as_(ada, &["api-key", "nothing-here"]).code(4);
    s.as_("katherine@acme.example", &["api-key", "billing-nightly"])
        .code(4);
    s.as_(
        "katherine@acme.example",
        &["api-key-delete", "grace-cli", "-f"],
    )
    .code(4);
    // 1: a busy store, named.
    let held = SledStore::open(&s.dir).expect("the test holds the store");
    let out = s.as_(ada, &["views"]).code(1);
    assert!(out.stderr.contains("busy"), "{}", out.stderr);
    assert!(
        out.stderr.contains(s.dir.to_str().unwrap()),
        "{}",
        out.stderr
    );
    // Replacing a busy store is refused too, and the store is kept.
    s.run(&["seed", "--replace"]).code(1);
    drop(held);
    s.as_(ada, &["views"]).ok();
    s.as_(ada, &["api-key", "ada-laptop"]).ok();
    // 0: done; the store may also be named by IAMKEYS_DATA_DIR.
    s.run(&["--help"]).ok();
    run_env(
        &[("IAMKEYS_DATA_DIR", s.dir.to_str().unwrap())],
        &["--as", ada, "views"],
    )
    .ok();
}

#[test]
fn sign_in_with_apikey_flag_and_environment() {
    let s = Store::demo();
    let count = |s: &Store| -> u64 {
        s.json("ada@acme.example", &["api-key", "grace-cli"])["activity"]["authn_count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&s), 54);
    let flag = s
        .run(&["--apikey", GRACE_KEY, "api-keys", "--output", "json"])
        .ok();
    let env = s
        .run_env(
            &[("IAMKEYS_API_KEY", GRACE_KEY)],
            &["api-keys", "--output", "json"],
        )
        .ok();
    let ids = |o: &Out| -> Vec<String> {
        o.json()["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&flag), ids(&env));
    let listed = flag.json();
    let names: Vec<&str> = listed["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["grace-cli", "grace-old-script"]);
    // The same key reaches grace's other account.
    let globex = s
        .run_env(
            &[("IAMKEYS_API_KEY", GRACE_KEY)],
            &["api-keys", "--account", "globex", "--output", "json"],
        )
        .ok()
        .json();
    assert_eq!(globex["apikeys"][0]["name"], "grace-globex-reports");
    assert_eq!(count(&s), 57, "each sign-in is counted");
    let last = s.json("ada@acme.example", &["api-key", "grace-cli"])["activity"]["last_authn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        last.starts_with(&iamkeys::service::now().to_string()[..10]),
        "{last}"
    );
    // A mistyped value from the environment fails its checksum: bad input.
    let typo = GRACE_KEY.replacen("XIYf", "XIYg", 1);
    s.run_env(&[("IAMKEYS_API_KEY", &typo)], &["views"]).code(2);
    // The flag wins over the environment.
    s.run_env(
        &[("IAMKEYS_API_KEY", GRACE_OLD_DISABLED)],
        &["--apikey", GRACE_KEY, "views"],
    )
    .ok();
}

#[test]
fn failed_sign_in_with_a_wrong_secret_is_recorded() {
    let s = Store::demo();
    // Same lookup id as grace's key, another secret, valid checksum.
    let body = format!("{}{}", &GRACE_KEY[..17], "Z".repeat(24));
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    let wrong = format!("{body}{}", std::str::from_utf8(&sum).unwrap());
    assert!(is_key_value(&wrong));
    s.run(&["--apikey", &wrong, "views"]).code(3);
    let h = s.json("ada@acme.example", &["api-key", "grace-cli"])["history"].clone();
    assert!(
        h.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "sign-in failed"),
        "{h}"
    );
}

#[test]
fn reopening_after_close_keeps_everything() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    let c = s.json(
        ada,
        &["api-key-create", "kept", "-d", "across processes", "--lock"],
    );
    let value = c["apikey"].as_str().unwrap().to_string();
    s.as_(ada, &["api-key-update", "ada-laptop", "-n", "ada-laptop-2"])
        .ok();
    s.as_(
        "grace@acme.example",
        &["api-key-disable", "deploy-pipeline", "-f"],
    )
    .ok();
    s.as_(ada, &["api-key-delete", "linus-readonly", "-f"]).ok();
    s.as_(
        "alan@acme.example",
        &["account-settings", "--restrict-api-key-creation", "true"],
    )
    .ok();
    s.as_("grace@acme.example", &["classic-api-key-create"])
        .ok();
    s.run(&["--apikey", &value, "views"]).ok();
    // Everything as read by fresh processes.
    let snapshot = |s: &Store| {
        let mut all = Vec::new();
        for view in ["users", "service-ids", "classic"] {
            all.push(s.json(ada, &["api-keys", "--view", view]));
        }
        all.push(s.json(ada, &["account-settings"]));
        all
    };
    let first = snapshot(&s);
    let kept = s.json(ada, &["api-key", "kept"]);
    assert_eq!(kept["locked"], true);
    assert_eq!(kept["description"], "across processes");
    assert_eq!(kept["activity"]["authn_count"], 1);
    assert_eq!(
        s.json(ada, &["api-key", "deploy-pipeline"])["disabled"],
        true
    );
    s.as_(ada, &["api-key", "linus-readonly"]).code(4);
    s.as_(ada, &["api-key", "ada-laptop-2"]).ok();
    assert_eq!(
        s.json(ada, &["account-settings"])["restrict_api_key_creation"],
        true
    );
    assert_eq!(
        s.json(ada, &["api-keys", "--view", "classic"])["apikeys"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    s.run(&["check"]).ok();
    // And again: reading changes nothing.
    assert_eq!(snapshot(&s), first);
}

#[test]
fn no_key_value_under_the_data_directory_after_commands() {
    let (s, boots) = Store::from("small.yaml");
    let mut values: Vec<String> = boots.iter().map(|(_, v)| v.clone()).collect();
    let root = values[0].clone();
    for args in [
        vec!["api-key-create", "a"],
        vec!["api-key-create", "b", "-d", "second"],
        vec!["service-api-key-create", "s", "shipper"],
        vec!["classic-api-key-create"],
    ] {
        let mut all = vec!["--apikey", root.as_str()];
        all.extend(args);
        all.extend(["--output", "json"]);
        let v = s.run(&all).ok().json();
        values.push(v["apikey"].as_str().unwrap().to_string());
    }
    // Sign in with each user key once; a wrong one fails.
    s.run(&["--apikey", &values[2], "views"]).ok();
    s.run(&["--apikey", &values[1], "views"]).ok();
    let files = files(&s.dir);
    assert!(
        files.iter().any(|f| f.ends_with("iamkeys.log")),
        "the log is searched too: {files:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for v in &values {
            for needle in [v.as_str(), &v[17..41]] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds a key value",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn default_parameters_are_owasp_in_the_binary() {
    let s = Store::demo();
    // No IAMKEYS_ARGON2: the default applies.
    let out = command(
        &[],
        &[
            "--data-dir",
            s.dir.to_str().unwrap(),
            "--as",
            "ada@acme.example",
            "api-key-create",
            "owasp",
            "--output",
            "json",
        ],
    )
    .env_remove("IAMKEYS_ARGON2")
    .succeeds();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let value = v["apikey"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    {
        let st = SledStore::open(&s.dir).unwrap();
        let k = st.key(&id).unwrap().unwrap();
        let phc = k.hash.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }
    // It signs in, even from a process told to hash cheaply.
    s.run(&["--apikey", &value, "views"]).ok();
}

#[test]
fn expired_keys_fail_sign_in_with_exit_3() {
    let (s, boots) = Store::from("service.yaml");
    assert!(boots.is_empty(), "a demo fixture prints no bootstrap key");
    // An expired user key with a value, from fixtures/test/service.yaml.
    let out = s
        .run(&[
            "--apikey",
            "iamk_TESTplainExpyGDM7xsgI0ka1LmVBrlV4h3P4RhxM5",
            "views",
        ])
        .code(3);
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
    // The same user's live key works, in both of the user's accounts only.
    let plain = "iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ";
    s.run(&["--apikey", plain, "views"]).ok();
    s.run(&["--apikey", plain, "views", "--account", "beta"])
        .ok();
    s.run(&["--apikey", plain, "views", "--account", "gamma"])
        .code(3);
}

#[test]
fn a_store_with_a_newer_schema_is_refused_clearly() {
    let s = Store::demo();
    {
        let db = sled::open(s.dir.join("store")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", "99")
            .unwrap();
        db.flush().unwrap();
    }
    let out = s.as_("ada@acme.example", &["views"]).code(1);
    assert!(out.stderr.contains("newer"), "{}", out.stderr);
    assert!(
        out.stderr.contains(s.dir.to_str().unwrap()),
        "{}",
        out.stderr
    );
}

#[test]
fn text_and_json_lists_agree_on_order() {
    let s = Store::demo();
    let ada = "ada@acme.example";
    for view in ["users", "service-ids", "classic"] {
        for sort in ["name", "description", "created_at", "created_by"] {
            for desc in [false, true] {
                let mut args = vec!["api-keys", "--view", view, "--sort", sort];
                if desc {
                    args.push("--desc");
                }
                let text = s.as_(ada, &args).ok();
                let from_text: Vec<String> = text
                    .stdout
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_whitespace().last())
                    .filter(|w| w.starts_with("ApiKey-"))
                    .map(str::to_string)
                    .collect();
                args.extend(["--output", "json"]);
                let json = s.as_(ada, &args).ok().json();
                let from_json: Vec<String> = json["apikeys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k["id"].as_str().unwrap().to_string())
                    .collect();
                assert!(!from_json.is_empty());
                assert_eq!(from_text, from_json, "{view} by {sort}, desc {desc}");
            }
        }
    }
}
