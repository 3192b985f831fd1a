//! Fixtures: the demo loads and seeds; every validation rule of
//! fixture-format.md refuses a broken fixture, through the built binary,
//! with exit 2, a message naming the file and the item (and line and column
//! for parser errors), and no store left behind.

use std::path::{Path, PathBuf};
use std::process::Output;

use iamkeys::domain::Role;
use iamkeys::fixture;
use tempfile::TempDir;

/// A valid, non-demo base that every broken variant below changes in one place.
const BASE: &str = "\
version: 1
users:
  - email: root@base.test
    name: Rita Root
  - email: dev@base.test
    name: Dev Eloper
  - email: ops@base.test
    name: Ops Person
  - email: loner@base.test
    name: Lone User
accounts:
  - id: base
    name: Base Co
    owner: root@base.test
    classic_infrastructure: true
    settings:
      api_keys_per_identity: 3
    members:
      - user: dev@base.test
        invited_by: root@base.test
        roles: [Editor]
      - user: ops@base.test
        invited_by: dev@base.test
        roles: [Viewer]
    service_ids:
      - name: shipper
        description: Ships orders
    api_keys:
      - name: dev-laptop
        owner: dev@base.test
        created_at: 2026-05-01T10:00:00Z
        action_when_leaked: disable
        apikey: iamk_BASEdev00000i4zOlzN8r66kK4rL7ypt69Dq1UyoSs
      - name: shipper-key
        owner: service_id:shipper
    classic_keys:
      - owner: dev@base.test
  - id: second
    name: Second Co
    owner: loner@base.test
";

const DEV_KEY: &str = "iamk_BASEdev00000i4zOlzN8r66kK4rL7ypt69Dq1UyoSs";
const ROOT_KEY: &str = "iamk_BASEroot0000fnBexHN96i3pmim0K2r45bDK4YvitC";

/// Replaces exactly one occurrence of `from` in the base.
fn vary(base: &str, from: &str, to: &str) -> String {
    assert_eq!(
        base.matches(from).count(),
        1,
        "{from:?} must occur once in the base"
    );
    base.replacen(from, to, 1)
}

fn run(args: &[&str]) -> Output {
    crate::common::bin()
        .args(args)
        .env("IAMKEYS_LOG", "off")
        .output()
        .expect("the binary runs")
}

struct Seeded {
    _tmp: TempDir,
    work: PathBuf,
    data: PathBuf,
    file: PathBuf,
    out: Output,
}

impl Seeded {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
}

/// Writes `text` to a fixture file and runs `iamkeys seed FILE --data-dir DIR`,
/// with the store in a directory of its own.
fn seed_text(text: &str) -> Seeded {
    let tmp = TempDir::new().unwrap();
    let fixtures = tmp.path().join("fixtures");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let file = fixtures.join("broken.yaml");
    std::fs::write(&file, text).unwrap();
    let data = work.join("data");
    let out = run(&[
        "seed",
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    Seeded {
        _tmp: tmp,
        work,
        data,
        file,
        out,
    }
}

/// The 1-based line of the first occurrence of `marker` in `text`.
fn line_of(text: &str, marker: &str) -> usize {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in the text"));
    text[..at].matches('\n').count() + 1
}

/// How a broken fixture must be reported.
enum Where {
    /// A validation error: the item's path.
    Item(&'static str),
    /// A parser error: the item's path, and the text whose line (and the
    /// column given) the parser must point at.
    Parsed(&'static str, &'static str, usize),
}

struct Case {
    rule: &'static str,
    text: String,
    at: Where,
    /// A word the message must contain, naming what is wrong.
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let b = BASE;
    let c = |rule, text, at, says| Case {
        rule,
        text,
        at,
        says,
    };
    use Where::*;
    let leak = |l: &str| {
        vary(
            b,
            "        action_when_leaked: disable\n",
            &format!("        action_when_leaked: disable\n        leaked: {l}\n"),
        )
    };
    vec![
        c(
            "a leak with no place",
            leak("{ at: 2026-11-01T00:00:00Z, places: [] }"),
            Item("accounts[0].api_keys[0].leaked.places"),
            "1 to 20 places",
        ),
        c(
            "a leak found by a non-member",
            leak("{ at: 2026-11-01T00:00:00Z, by: loner@base.test, places: [a.txt:1] }"),
            Item("accounts[0].api_keys[0].leaked.by"),
            "not a member",
        ),
        c(
            "a leak's place holding a key value",
            leak(&format!("{{ at: 2026-11-01T00:00:00Z, places: [\"{DEV_KEY}:1\"] }}")),
            Item("accounts[0].api_keys[0].leaked.places[0]"),
            "API key value",
        ),
        c(
            "a leak without a time",
            leak("{ places: [a.txt:1] }"),
            Parsed("accounts[0].api_keys[0].leaked", "        leaked:", 17),
            "missing field `at`",
        ),
        c(
            "unknown field",
            vary(b, "    name: Base Co\n", "    name: Base Co\n    colour: blue\n"),
            Parsed("accounts[0].colour", "    colour: blue", 5),
            "unknown field",
        ),
        c(
            "unknown top-level field",
            vary(b, "version: 1\n", "version: 1\ndemo: true\ntheme: dark\n"),
            Parsed("theme", "theme: dark", 1),
            "unknown field",
        ),
        c(
            "missing required field (account name)",
            vary(b, "    name: Base Co\n", ""),
            Parsed("accounts[0]", "  - id: base", 5),
            "missing field `name`",
        ),
        c(
            "missing required field (version)",
            vary(b, "version: 1\n", ""),
            Item(""),
            "missing field `version`",
        ),
        c(
            "missing required field (key owner)",
            vary(b, "        owner: service_id:shipper\n", ""),
            Parsed("accounts[0].api_keys[1]", "      - name: shipper-key", 9),
            "missing field `owner`",
        ),
        c(
            "version is not 1",
            vary(b, "version: 1\n", "version: 2\n"),
            Item("version"),
            "version 2",
        ),
        c(
            "bad account id",
            vary(b, "  - id: base\n", "  - id: Base_Co\n"),
            Item("accounts[0].id"),
            "Base_Co",
        ),
        c(
            "account id too long",
            vary(b, "  - id: base\n", &format!("  - id: {}\n", "a".repeat(41))),
            Item("accounts[0].id"),
            "1 to 40",
        ),
        c(
            "repeated email",
            vary(b, "loner@base.test\n    name: Lone", "dev@base.test\n    name: Lone"),
            Item("users[3].email"),
            "repeats",
        ),
        c(
            "repeated account id",
            vary(b, "  - id: second\n", "  - id: base\n"),
            Item("accounts[1].id"),
            "repeats",
        ),
        c(
            "repeated service ID name",
            vary(
                b,
                "        description: Ships orders\n",
                "        description: Ships orders\n      - name: shipper\n",
            ),
            Item("accounts[0].service_ids[1].name"),
            "repeats",
        ),
        c(
            "reference to no user (owner)",
            vary(b, "    owner: loner@base.test\n", "    owner: nobody@base.test\n"),
            Item("accounts[1].owner"),
            "nobody@base.test",
        ),
        c(
            "reference to no user (member)",
            vary(b, "      - user: ops@base.test\n", "      - user: ghost@base.test\n"),
            Item("accounts[0].members[1].user"),
            "ghost@base.test",
        ),
        c(
            "reference to no member (created_by)",
            vary(
                b,
                "        action_when_leaked: disable\n",
                "        action_when_leaked: disable\n        created_by: loner@base.test\n",
            ),
            Item("accounts[0].api_keys[0].created_by"),
            "loner@base.test",
        ),
        c(
            "reference to no service ID",
            vary(b, "service_id:shipper\n", "service_id:nope\n"),
            Item("accounts[0].api_keys[1].owner"),
            "nope",
        ),
        c(
            "invitation cycle",
            vary(
                b,
                "        invited_by: root@base.test\n",
                "        invited_by: ops@base.test\n",
            ),
            Item("accounts[0].members[0].invited_by"),
            "cycle",
        ),
        c(
            "invited_by a non-member",
            vary(
                b,
                "        invited_by: root@base.test\n",
                "        invited_by: loner@base.test\n",
            ),
            Item("accounts[0].members[0].invited_by"),
            "not a member",
        ),
        c(
            "missing invited_by",
            vary(b, "        invited_by: dev@base.test\n", ""),
            Item("accounts[0].members[1].invited_by"),
            "invited_by",
        ),
        c(
            "key owned by a non-member",
            vary(
                b,
                "        owner: dev@base.test\n        created_at",
                "        owner: loner@base.test\n        created_at",
            ),
            Item("accounts[0].api_keys[0].owner"),
            "not a member",
        ),
        c(
            "classic key of a non-member",
            vary(b, "      - owner: dev@base.test\n", "      - owner: loner@base.test\n"),
            Item("accounts[0].classic_keys[0].owner"),
            "not a member",
        ),
        c(
            "two classic keys for a user",
            vary(
                b,
                "      - owner: dev@base.test\n",
                "      - owner: dev@base.test\n      - owner: dev@base.test\n",
            ),
            Item("accounts[0].classic_keys[1].owner"),
            "two classic",
        ),
        c(
            "more keys than api_keys_per_identity",
            vary(
                b,
                "    classic_keys:\n",
                "      - name: two\n        owner: dev@base.test\n      - name: three\n        owner: dev@base.test\n      - name: four\n        owner: dev@base.test\n    classic_keys:\n",
            ),
            Item("accounts[0].api_keys[4].owner"),
            "more than 3",
        ),
        c(
            "classic key without classic infrastructure",
            vary(
                b,
                "    classic_infrastructure: true\n",
                "    classic_infrastructure: false\n",
            ),
            Item("accounts[0].classic_keys[0]"),
            "classic infrastructure",
        ),
        c(
            "support_sessions on a service ID key",
            vary(
                b,
                "        owner: service_id:shipper\n",
                "        owner: service_id:shipper\n        support_sessions: true\n",
            ),
            Item("accounts[0].api_keys[1].support_sessions"),
            "user API keys only",
        ),
        c(
            "managed_by on a user key",
            vary(
                b,
                "        action_when_leaked: disable\n",
                "        action_when_leaked: disable\n        managed_by: Watson Assistant\n",
            ),
            Item("accounts[0].api_keys[0].managed_by"),
            "service ID API keys only",
        ),
        c(
            "bad role",
            vary(b, "roles: [Editor]", "roles: [Editorr]"),
            Parsed("accounts[0].members[0].roles[0]", "roles: [Editorr]", 17),
            "Editorr",
        ),
        c(
            "bad role spelling (case)",
            vary(b, "roles: [Viewer]", "roles: [user api key creator]"),
            Parsed(
                "accounts[0].members[1].roles[0]",
                "roles: [user api key creator]",
                17,
            ),
            "user api key creator",
        ),
        c(
            "bad leak action",
            vary(b, "action_when_leaked: disable", "action_when_leaked: explode"),
            Parsed(
                "accounts[0].api_keys[0].action_when_leaked",
                "action_when_leaked: explode",
                29,
            ),
            "explode",
        ),
        c(
            "bare date",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01"),
            Parsed(
                "accounts[0].api_keys[0].created_at",
                "created_at: 2026-05-01",
                21,
            ),
            "",
        ),
        c(
            "time without an offset",
            vary(
                b,
                "created_at: 2026-05-01T10:00:00Z",
                "created_at: 2026-05-01T10:00:00",
            ),
            Parsed(
                "accounts[0].api_keys[0].created_at",
                "created_at: 2026-05-01T10:00:00",
                21,
            ),
            "",
        ),
        c(
            "space for the T",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01 10:00:00Z"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01 10:00:00Z", 21),
            "joined by T",
        ),
        c(
            "fraction of a second",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01T10:00:00.000000001Z"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01T10:00:00.000000001Z", 21),
            "fractions",
        ),
        c(
            "offset past 23:59",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01T10:00:00+25:00"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01T10:00:00+25:00", 21),
            "±23:59",
        ),
        c(
            "offset without a colon",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01T10:00:00+0200"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01T10:00:00+0200", 21),
            "offset",
        ),
        c(
            "offset with seconds",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01T10:00:00+00:00:30"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01T10:00:00+00:00:30", 21),
            "offset",
        ),
        c(
            "six-digit year",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: +002026-05-01T10:00:00Z"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: +002026-05-01T10:00:00Z", 21),
            "YYYY-MM-DD",
        ),
        c(
            "leap second",
            vary(b, "created_at: 2026-05-01T10:00:00Z", "created_at: 2026-05-01T10:00:60Z"),
            Parsed("accounts[0].api_keys[0].created_at", "created_at: 2026-05-01T10:00:60Z", 21),
            "leap second",
        ),
        c(
            "control characters in an email (ESC, BEL, newline)",
            vary(b, "  - email: loner@base.test\n", "  - email: \"lo\\e[2Jner\\a\\n@base.test\"\n"),
            Item("users[3].email"),
            "control characters",
        ),
        c(
            "C1 control in a key name",
            vary(b, "      - name: dev-laptop\n", "      - name: \"dev\\u009b31mlaptop\"\n"),
            Item("accounts[0].api_keys[0].name"),
            "control characters",
        ),
        c(
            "DEL in an account name",
            vary(b, "    name: Base Co\n", "    name: \"Base\\x7f Co\"\n"),
            Item("accounts[0].name"),
            "control characters",
        ),
        c(
            "newline in a user name",
            vary(b, "    name: Lone User\n", "    name: \"Lone\\nUser\"\n"),
            Item("users[3].name"),
            "control characters",
        ),
        c(
            "control character in a service ID description",
            vary(b, "        description: Ships orders\n", "        description: \"Ships\\torders\"\n"),
            Item("accounts[0].service_ids[0].description"),
            "control characters",
        ),
        c(
            "key name longer than the command line allows",
            vary(b, "      - name: dev-laptop\n", &format!("      - name: {}\n", "k".repeat(241))),
            Item("accounts[0].api_keys[0].name"),
            "longer than 240",
        ),
        c(
            "description longer than the command line allows",
            vary(b, "        description: Ships orders\n", &format!("        description: {}\n", "d".repeat(1025))),
            Item("accounts[0].service_ids[0].description"),
            "longer than 1024",
        ),
        c(
            "email longer than 254",
            vary(b, "  - email: loner@base.test\n", &format!("  - email: {}@base.test\n", "l".repeat(250))),
            Item("users[3].email"),
            "longer than 254",
        ),
        c(
            "malformed apikey (checksum)",
            vary(b, DEV_KEY, &DEV_KEY.replace("BASEdev", "BASEdeV")),
            Item("accounts[0].api_keys[0].apikey"),
            "checksum",
        ),
        c(
            "malformed apikey (prefix)",
            vary(b, DEV_KEY, &DEV_KEY.replace("iamk_", "sk_")),
            Item("accounts[0].api_keys[0].apikey"),
            "iamk_",
        ),
        c(
            "repeated apikey",
            vary(
                b,
                "        owner: service_id:shipper\n",
                &format!("        owner: service_id:shipper\n        apikey: {DEV_KEY}\n"),
            ),
            Item("accounts[0].api_keys[1].apikey"),
            "repeats",
        ),
        c(
            "api_keys_per_identity 0",
            vary(b, "api_keys_per_identity: 3", "api_keys_per_identity: 0"),
            Item("accounts[0].settings.api_keys_per_identity"),
            "1 to 1000",
        ),
        c(
            "api_keys_per_identity 1001",
            vary(b, "api_keys_per_identity: 3", "api_keys_per_identity: 1001"),
            Item("accounts[0].settings.api_keys_per_identity"),
            "1 to 1000",
        ),
        c(
            "the owner listed with invited_by",
            vary(
                b,
                "    members:\n",
                "    members:\n      - user: root@base.test\n        invited_by: dev@base.test\n",
            ),
            Item("accounts[0].members[0].invited_by"),
            "owner",
        ),
        c(
            "a member listed twice",
            vary(
                b,
                "    service_ids:\n",
                "      - user: ops@base.test\n        invited_by: root@base.test\n    service_ids:\n",
            ),
            Item("accounts[0].members[2].user"),
            "twice",
        ),
        c(
            "a role repeated",
            vary(b, "roles: [Viewer]", "roles: [Viewer, Viewer]"),
            Item("accounts[0].members[1].roles[1]"),
            "repeats",
        ),
        c(
            "an empty user name",
            vary(b, "    name: Dev Eloper\n", "    name: \"  \"\n"),
            Item("users[1].name"),
            "empty",
        ),
        c(
            "a negative authn_count",
            vary(
                b,
                "        action_when_leaked: disable\n",
                "        action_when_leaked: disable\n        authn_count: -3\n",
            ),
            Parsed("accounts[0].api_keys[0].authn_count", "authn_count: -3", 22),
            "-3",
        ),
        c(
            "YAML that does not parse",
            vary(b, "version: 1\n", "version: 1\n\tdemo: true\n"),
            Parsed("version", "\tdemo: true", 1),
            "tab character",
        ),
        c(
            "no room for the bootstrap key",
            vary(
                b,
                "api_keys_per_identity: 3\n",
                "api_keys_per_identity: 1\n",
            )
            .replace(
                "    classic_keys:\n",
                &format!(
                    "      - name: root-key\n        owner: root@base.test\n        apikey: {ROOT_KEY}\n    classic_keys:\n"
                ),
            ),
            Item("accounts[0].owner"),
            "bootstrap",
        ),
    ]
}

fn no_store_left(s: &Seeded, rule: &str) {
    assert!(
        !s.data.exists(),
        "{rule}: a store directory was left behind"
    );
    let left: Vec<String> = std::fs::read_dir(&s.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "{rule}: left behind: {left:?}");
}

#[test]
fn the_base_fixture_is_valid() {
    // Each broken case differs from this in one place only.
    fixture::parse(BASE, "base.yaml").unwrap();
    let s = seed_text(BASE);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.stderr());
    assert!(s.data.exists());
    // Non-demo: one bootstrap key per account owner, printed once.
    let out = s.stdout();
    assert_eq!(out.matches("iamk_").count(), 2, "{out}");
    assert!(out.contains("root@base.test") && out.contains("loner@base.test"));
}

#[test]
fn every_broken_fixture_is_refused_with_exit_2_and_leaves_no_store() {
    let mut failures = Vec::new();
    for case in cases() {
        // The library refuses it too, at the same item.
        let lib = fixture::parse(&case.text, "broken.yaml");
        let s = seed_text(&case.text);
        let err = s.stderr();
        let file = s.file.display().to_string();
        let mut problems = Vec::new();
        if s.out.status.code() != Some(2) {
            problems.push(format!("exit {:?}, not 2", s.out.status.code()));
        }
        if !err.contains(&file) {
            problems.push("the message does not name the file".into());
        }
        if !case.says.is_empty() && !err.contains(case.says) {
            problems.push(format!("the message does not say {:?}", case.says));
        }
        match &case.at {
            Where::Item(path) => {
                if !path.is_empty() && !err.contains(&format!(": {path}: ")) {
                    problems.push(format!("the message does not name {path}"));
                }
                if let Err(e) = &lib
                    && e.path != *path
                {
                    problems.push(format!("the library names {:?}, not {path:?}", e.path));
                }
            }
            Where::Parsed(path, marker, column) => {
                let line = line_of(&case.text, marker);
                let at = format!("{file}:{line}:{column}: {path}: ");
                if !err.contains(&at) {
                    problems.push(format!("the message does not start with {at:?}"));
                }
                // The item is named once, not repeated inside the message.
                let after = err.split_once(&at).map_or("", |(_, rest)| rest);
                if let Some(parent) = path.rsplit_once(['.', '[']).map(|(p, _)| p)
                    && after.starts_with(&format!("{parent}: "))
                {
                    problems.push(format!("the message repeats {parent:?}"));
                }
                match &lib {
                    Err(e) => {
                        if (e.line, e.column) != (Some(line), Some(*column)) {
                            problems.push(format!(
                                "the library says line {:?} column {:?}",
                                e.line, e.column
                            ));
                        }
                    }
                    Ok(_) => problems.push("the library accepts it".into()),
                }
            }
        }
        if lib.is_ok() {
            problems.push("the library accepts it".into());
        }
        if !s.stdout().is_empty() {
            problems.push(format!("something was printed: {}", s.stdout()));
        }
        if s.data.exists() {
            problems.push("a store directory was left behind".into());
        }
        let left: Vec<String> = std::fs::read_dir(&s.work)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if !left.is_empty() {
            problems.push(format!("left behind: {left:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                case.rule,
                problems.join("; "),
                err.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_demo_fixture_may_fill_the_owners_quota() {
    // The bootstrap rule applies to non-demo fixtures only.
    let text = vary(BASE, "api_keys_per_identity: 3\n", "api_keys_per_identity: 1\n")
        .replace(
            "    classic_keys:\n",
            &format!(
                "      - name: root-key\n        owner: root@base.test\n        apikey: {ROOT_KEY}\n    classic_keys:\n"
            ),
        )
        .replacen("version: 1\n", "version: 1\ndemo: true\n", 1);
    let s = seed_text(&text);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.stderr());
    assert!(
        !s.stdout().contains("iamk_"),
        "a demo prints no bootstrap key"
    );
}

#[test]
fn a_missing_fixture_file_is_bad_input_and_leaves_no_store() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let out = run(&[
        "seed",
        tmp.path().join("nope.yaml").to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.yaml"));
    assert!(!data.exists());
}

#[test]
fn a_refused_replace_keeps_the_old_store() {
    let s = seed_text(BASE);
    assert_eq!(s.out.status.code(), Some(0));
    let broken = vary(BASE, "version: 1\n", "version: 2\n");
    std::fs::write(&s.file, broken).unwrap();
    let data = s.data.to_str().unwrap();
    let out = run(&[
        "seed",
        s.file.to_str().unwrap(),
        "--replace",
        "--data-dir",
        data,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let check = run(&["check", "--data-dir", data]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Seeding over an existing store without --replace is refused.
    std::fs::write(&s.file, BASE).unwrap();
    let out = run(&["seed", s.file.to_str().unwrap(), "--data-dir", data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    // With --replace it is replaced, and new bootstrap keys are printed.
    let out = run(&[
        "seed",
        s.file.to_str().unwrap(),
        "--replace",
        "--data-dir",
        data,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("iamk_")
            .count(),
        2
    );
}

#[test]
fn the_demo_loads() {
    let fx = fixture::demo();
    assert!(fx.demo, "the built-in demo allows --as");
    assert!(fx.accounts.len() >= 2);
    let functional = fx.users.iter().filter(|u| u.functional).count();
    assert!(functional >= 1, "a functional ID");
    assert!(
        fx.accounts.iter().any(|a| a
            .settings
            .as_ref()
            .is_some_and(|s| s.restrict_api_key_creation)),
        "an account with the creation restriction"
    );
    assert!(fx.accounts.iter().any(|a| a.classic_infrastructure));
    assert!(fx.accounts.iter().any(|a| !a.classic_keys.is_empty()));
    let keys: Vec<_> = fx.accounts.iter().flat_map(|a| &a.api_keys).collect();
    assert!(keys.iter().any(|k| k.locked), "a locked key");
    assert!(keys.iter().any(|k| k.disabled), "a disabled key");
    let now = iamkeys::service::now();
    assert!(
        keys.iter()
            .any(|k| k.expires_at.is_some_and(|t| t.reached(now))),
        "an expired key"
    );
    assert!(keys.iter().any(|k| k.managed_by.is_some()), "a managed key");
    assert!(keys.iter().any(|k| k.last_authn.is_some()), "activity");
    assert!(
        keys.iter().any(|k| k.owner.starts_with("service_id:")),
        "service ID keys"
    );
    // An invitation chain three levels below an owner.
    let deepest = fx
        .accounts
        .iter()
        .map(|a| {
            a.members
                .iter()
                .map(|m| {
                    let mut depth = 0;
                    let mut cur = m.invited_by.clone();
                    while let Some(by) = cur {
                        depth += 1;
                        cur = a
                            .members
                            .iter()
                            .find(|x| x.user == by)
                            .and_then(|x| x.invited_by.clone());
                        assert!(depth < 50);
                    }
                    depth
                })
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap();
    assert!(deepest >= 3, "chain depth {deepest}");
    // Owners, Administrators, Editors and plain members.
    let roles: Vec<&Role> = fx
        .accounts
        .iter()
        .flat_map(|a| &a.members)
        .flat_map(|m| &m.roles)
        .collect();
    assert!(roles.contains(&&Role::Administrator));
    assert!(roles.contains(&&Role::Editor));
    assert!(
        fx.accounts
            .iter()
            .flat_map(|a| &a.members)
            .any(|m| m.roles.is_empty() && m.invited_by.is_some())
    );
    // The file in fixtures/ is the embedded one.
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.yaml"))
            .unwrap();
    assert_eq!(on_disk, fixture::DEMO);
}

/// A fixture may mark a key leaked, as `iamkeys scan` would: the demo
/// shows one, with where and when, to the Admin and in the search.
#[test]
fn the_demo_shows_a_key_found_leaked() {
    let (_tmp, dir) = crate::common::seeded_demo();
    let out = crate::common::iamkeys(&dir)
        .args([
            "--as",
            "margaret@globex.example",
            "api-key",
            "edsger-experiments",
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["leaked"]["at"], "2026-11-20T08:15:00Z", "{v}");
    assert_eq!(v["leaked"]["places"][0], "research-portal/.env:3", "{v}");
    let out = crate::common::iamkeys(&dir)
        .args([
            "--as",
            "margaret@globex.example",
            "api-keys",
            "--view",
            "users",
        ])
        .args(["--search", "is:leaked"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("edsger-experiments"), "{text}");
    assert!(!text.contains("margaret-admin"), "{text}");
}

#[test]
fn the_demo_seeds_through_the_binary() {
    for file in [None, Some("fixtures/demo.yaml")] {
        let tmp = TempDir::new().unwrap();
        let data = tmp.path().join("data");
        let d = data.to_str().unwrap();
        let path = file.map(|f| Path::new(env!("CARGO_MANIFEST_DIR")).join(f));
        let mut args = vec!["seed"];
        if let Some(p) = &path {
            args.push(p.to_str().unwrap());
        }
        args.extend(["--data-dir", d]);
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("iamk_"),
            "a demo prints no bootstrap key"
        );
        let out = run(&["check", "--data-dir", d]);
        assert_eq!(out.status.code(), Some(0));
        // Personas sign in, and the demo's public key values work.
        let out = run(&[
            "--as",
            "ada@acme.example",
            "views",
            "--output",
            "json",
            "--data-dir",
            d,
        ]);
        assert_eq!(out.status.code(), Some(0));
        let views: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(views.as_array().unwrap().len(), 4);
        let out = run(&[
            "--apikey",
            "iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb",
            "api-keys",
            "--data-dir",
            d,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("grace-cli"));
    }
}

#[test]
fn the_test_fixtures_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/test");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == "evil.yaml") {
            // Control characters in its text: refused, by design (it is
            // written straight into stores to test inert display).
            let e = fixture::load(&p).unwrap_err();
            assert!(e.to_string().contains("control characters"), "{e}");
        } else if p.extension().is_some_and(|x| x == "yaml") {
            fixture::load(&p).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 2);
    // small.yaml is not a demo: it prints a bootstrap key per owner.
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let out = run(&[
        "seed",
        dir.join("small.yaml").to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let boots = v["bootstrap_keys"].as_array().unwrap();
    assert_eq!(boots.len(), 2);
    assert_eq!(boots[0]["owner"], "root@small.test");
    assert_eq!(boots[1]["owner"], "other@other.test");
}

#[test]
fn a_store_is_left_by_nobody_else_when_refused() {
    // The helper that every broken case uses notices a leftover directory.
    let s = seed_text(BASE);
    assert!(s.data.exists());
    let broken = seed_text(&vary(BASE, "version: 1\n", "version: 3\n"));
    no_store_left(&broken, "version 3");
}

#[test]
fn optional_fields_take_their_documented_defaults() {
    use iamkeys::domain::{KeyKind, LeakAction, User};
    use iamkeys::secret::HashParams;
    let text = "\
version: 1
users:
  - email: a@d.test
    name: A
  - email: b@d.test
    name: B
accounts:
  - id: d
    name: D
    owner: a@d.test
    classic_infrastructure: true
    members:
      - user: b@d.test
        invited_by: a@d.test
    service_ids:
      - name: s
    api_keys:
      - name: plain
        owner: b@d.test
      - name: svc
        owner: service_id:s
    classic_keys:
      - owner: b@d.test
";
    let fx = fixture::parse(text, "d.yaml").unwrap();
    assert!(!fx.demo);
    assert!(!fx.users[0].functional);
    let now: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let (seed, boots) = fixture::to_seed(&fx, HashParams::TEST, now);
    assert_eq!(boots.len(), 1);
    let acc = &seed.accounts[0];
    assert!(!acc.settings.restrict_api_key_creation);
    assert_eq!(acc.settings.api_keys_per_identity, 20);
    let a = User::iam_id_for("a@d.test");
    let b = User::iam_id_for("b@d.test");
    assert_eq!(acc.owner, a);
    assert!(acc.member(&b).unwrap().roles.is_empty());
    assert!(acc.is_ancestor(&a, &b));
    let key = |name: &str| seed.keys.iter().find(|k| k.name == name).unwrap();
    let plain = key("plain");
    assert_eq!(plain.kind, KeyKind::User);
    assert_eq!(plain.iam_id, b);
    assert_eq!(
        plain.created_by, b,
        "a user key's creator defaults to its owner"
    );
    assert_eq!(plain.created_at, now);
    assert_eq!(plain.description, "");
    assert!(!plain.locked && !plain.disabled && !plain.support_sessions);
    assert_eq!(plain.action_when_leaked, LeakAction::Disable);
    assert_eq!(plain.expires_at, None);
    assert_eq!(plain.managed_by, None);
    assert_eq!(plain.activity.authn_count, 0);
    assert_eq!(plain.activity.last_authn, None);
    assert_eq!(plain.history.len(), 1);
    // No apikey value: no usable secret, never hashed.
    assert_eq!(plain.hash, None);
    assert_eq!(plain.lookup, None);
    let svc = key("svc");
    assert_eq!(svc.kind, KeyKind::ServiceId);
    assert_eq!(
        svc.created_by, a,
        "a service ID key's creator defaults to the owner"
    );
    let classic = seed
        .keys
        .iter()
        .find(|k| k.kind == KeyKind::Classic)
        .unwrap();
    assert_eq!(classic.iam_id, b);
    assert_eq!(classic.created_at, now);
    // The bootstrap key belongs to the owner and has a usable secret.
    let boot = seed.keys.iter().find(|k| k.id == boots[0].key_id).unwrap();
    assert_eq!(boot.iam_id, a);
    assert_eq!(boot.kind, KeyKind::User);
    assert!(boot.hash.is_some());
    assert_eq!(boot.lookup.as_deref(), Some(boots[0].secret.lookup()));
}
