//! Housekeeping: removal of expired keys after the retention (never a
//! locked one), the inactive report and who may run it, rotation (at the
//! limit, of a locked key, and a failure that leaves the old key working),
//! and the command line's JSON shapes.

use std::path::Path;

use iamkeys::domain::{ApiKey, KeyKind};
use iamkeys::secret::HashParams;
use iamkeys::service::{Service, ServiceError, Session};
use iamkeys::store::{Admission, Problem, Storage, StoreError, StoreInfo};
use jiff::Timestamp;

use crate::common::iamkeys;
use crate::console_common::open_after_seed;

const FIXTURE: &str = r#"version: 1
demo: true
users:
  - { email: olga@h.example, name: Olga Owner }
  - { email: max@h.example, name: Max Member }
accounts:
  - id: house
    name: House
    owner: olga@h.example
    settings: { api_keys_per_identity: 3, expired_key_retention_days: 30 }
    members:
      - { user: max@h.example, invited_by: olga@h.example }
    api_keys:
      - { name: long-gone, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: 2025-06-01T00:00:00Z }
      - { name: long-gone-locked, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: 2025-06-01T00:00:00Z, locked: true }
      - { name: olga-cli, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: 2099-06-01T00:00:00Z, action_when_leaked: none }
      - { name: just-expired, owner: max@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: 2099-01-01T00:00:00Z }
      - { name: max-used, owner: max@h.example, created_at: 2025-01-01T00:00:00Z, last_authn: 2099-01-01T00:00:00Z }
"#;

fn seeded(yaml: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f.yaml");
    std::fs::write(&file, yaml).unwrap();
    let data = tmp.path().join("data");
    iamkeys::app::seed(&data, Some(&file), false, HashParams::TEST).expect("seed");
    (tmp, data)
}

fn names(svc: &Service, s: &Session) -> Vec<String> {
    let mut v = Vec::new();
    let q = iamkeys::service::ListQuery {
        view: iamkeys::access::ViewFilter::AllUserApiKeys,
        ..Default::default()
    };
    for r in svc.list(s, &q).unwrap().rows {
        v.push(r.key.name);
    }
    v
}

#[test]
fn expired_keys_go_after_the_retention_but_never_locked_ones() {
    let (_t, data) = seeded(FIXTURE);
    let svc = open_after_seed(&data);
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    // At a moment 2099-01-10: just-expired expired 9 days ago (kept, 30
    // days' retention); long-gone long ago (removed); the locked one stays.
    let at: Timestamp = "2099-01-10T00:00:00Z".parse().unwrap();
    let run = svc
        .remove_expired_keys(at, jiff::SignedDuration::ZERO)
        .unwrap();
    let removed: Vec<&str> = run.removed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(removed, ["long-gone"]);
    assert!(!run.incomplete);
    assert_eq!(
        names(&svc, &olga),
        ["just-expired", "long-gone-locked", "max-used", "olga-cli"]
    );
    // Recorded in the account settings' history, by iamkeys.
    let (settings, _) = svc.settings(&olga).unwrap();
    let last = settings.history.last().expect("a history entry");
    assert_eq!(last.actor, "iamkeys");
    assert!(last.message.contains("long-gone"), "{}", last.message);
    // Past just-expired's retention (30 days after 2099-01-01): it goes too.
    let later: Timestamp = "2099-02-01T00:00:00Z".parse().unwrap();
    let run = svc
        .remove_expired_keys(later, jiff::SignedDuration::ZERO)
        .unwrap();
    assert_eq!(run.removed.len(), 1);
    assert_eq!(run.removed[0].name, "just-expired");
    // A recent sweep is not repeated within the skip window.
    let again = svc
        .remove_expired_keys(later, jiff::SignedDuration::from_secs(3600))
        .unwrap();
    assert_eq!(again.accounts, 0);
    assert_eq!(
        names(&svc, &olga),
        ["long-gone-locked", "max-used", "olga-cli"]
    );
    assert!(svc.check().unwrap().is_empty());
}

#[test]
fn a_write_command_removes_due_keys_when_it_opens_the_store_a_read_does_not() {
    let (_t, data) = seeded(FIXTURE);
    let list = |data: &Path| {
        let out = iamkeys(data)
            .args([
                "--as",
                "olga@h.example",
                "api-keys",
                "--view",
                "users",
                "--output",
                "json",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(list(&data).contains("\"long-gone\""), "a read keeps it");
    let out = iamkeys(&data)
        .args(["--as", "olga@h.example", "api-key-lock", "max-used", "-f"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = list(&data);
    assert!(!after.contains("\"long-gone\""), "a write removed it");
    assert!(after.contains("\"long-gone-locked\""), "never a locked key");
    let log = std::fs::read_to_string(data.join("iamkeys.log")).unwrap();
    assert!(log.contains("expired API key removed"), "logged");
}

#[test]
fn the_retention_is_an_admins_setting_recorded_in_history_and_checked() {
    let (_t, data) = seeded(FIXTURE);
    let run = |who: &str, args: &[&str]| {
        iamkeys(&data)
            .args(["--as", who, "--output", "json", "account-settings"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run("max@h.example", &["--expired-key-retention-days", "10"]);
    assert_eq!(out.status.code(), Some(3), "a member is refused");
    let out = run("olga@h.example", &["--expired-key-retention-days", "0"]);
    assert_eq!(out.status.code(), Some(2), "out of range is bad input");
    let out = run("olga@h.example", &["--expired-key-retention-days", "abc"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        "olga@h.example",
        &[
            "--expired-key-retention-days",
            "10",
            "--key-age-warning-days",
            "45",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["expired_key_retention_days"], 10);
    assert_eq!(v["key_age_warning_days"], 45);
    let svc = open_after_seed(&data);
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    let (settings, _) = svc.settings(&olga).unwrap();
    assert!(
        settings.history.iter().any(|h| h
            .message
            .contains("expired_key_retention_days from 30 to 10")),
        "{:?}",
        settings.history
    );
}

#[test]
fn the_inactive_report_is_for_admins_and_follows_the_rule_and_days() {
    let (_t, data) = seeded(FIXTURE);
    let report = |who: &str, days: &str| {
        iamkeys(&data)
            .args([
                "--as", who, "--output", "json", "report", "inactive", "--days", days,
            ])
            .output()
            .unwrap()
    };
    let out = report("max@h.example", "30");
    assert_eq!(out.status.code(), Some(3));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "refused");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("inactive identities report")
    );
    assert_eq!(report("olga@h.example", "0").status.code(), Some(2));
    assert_eq!(report("olga@h.example", "366").status.code(), Some(2));
    let out = report("olga@h.example", "30");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["days"], 30);
    let mut keys: Vec<&str> = v["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    keys.sort();
    // max-used authenticated (in 2099): active; the rest never did and
    // were created long ago.
    assert_eq!(
        keys,
        ["just-expired", "long-gone", "long-gone-locked", "olga-cli"]
    );
    let k = &v["apikeys"][0];
    for field in ["id", "name", "kind", "owner", "created_at", "last_authn"] {
        assert!(k.get(field).is_some(), "{field} in {k}");
    }
    let users: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["olga@h.example"], "max has an active key");
}

#[test]
fn a_key_made_today_is_not_inactive() {
    let (_t, data) = seeded(FIXTURE);
    let svc = open_after_seed(&data);
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    let spec = iamkeys::service::NewKey {
        name: "fresh".into(),
        ..Default::default()
    };
    // Olga holds 3 keys, the limit: make room first.
    svc.set_locked(&olga, "long-gone-locked", false, None)
        .unwrap();
    svc.delete(&olga, "long-gone-locked", None).unwrap();
    svc.create_user_key(&olga, &spec).unwrap();
    let r = svc.inactive_days(&olga, 1).unwrap();
    assert!(r.apikeys.iter().all(|k| k.key.name != "fresh"));
}

#[test]
fn rotation_at_the_limit_disables_the_old_key_and_keeps_its_settings() {
    let (_t, data) = seeded(FIXTURE);
    let svc = open_after_seed(&data);
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    // Olga holds 3 keys, the limit of 3: a plain create is refused.
    let spec = iamkeys::service::NewKey {
        name: "extra".into(),
        ..Default::default()
    };
    assert!(matches!(
        svc.create_user_key(&olga, &spec),
        Err(ServiceError::Denied(_))
    ));
    let old = svc.resolve(&olga, "olga-cli").unwrap();
    let r = svc.rotate(&olga, "olga-cli", false, None).unwrap();
    assert_eq!(r.created.row.key.name, "olga-cli");
    assert_eq!(r.created.row.key.action_when_leaked, old.action_when_leaked);
    assert!(r.created.row.key.expires_at.is_some(), "the same lifetime");
    assert!(r.old.disabled);
    assert!(!r.old_deleted);
    let stored_old = svc.resolve(&olga, &old.id).unwrap();
    assert!(stored_old.disabled);
    assert!(stored_old.history.iter().any(|h| h.action == "rotate"));
    let new = svc.resolve(&olga, &r.created.row.key.id).unwrap();
    assert!(new.history.iter().any(|h| h.action == "rotate"));
    // The new value signs in.
    svc.sign_in_key(r.created.secret.expose(), None).unwrap();
    // Now one over the limit (the disabled old key still counts): a
    // further rotation is refused until the old key is deleted.
    let e = svc.rotate(&olga, &new.id, true, None).unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    svc.delete(&olga, &old.id, None).unwrap();
    // With --delete-old the old key goes, at the limit.
    let r2 = svc.rotate(&olga, &new.id, true, None).unwrap();
    assert!(r2.old_deleted);
    assert!(svc.resolve(&olga, &new.id).is_err());
    assert!(svc.check().unwrap().is_empty());
}

#[test]
fn a_locked_key_is_not_rotated_and_a_member_cannot_rotate_anothers_key() {
    let (_t, data) = seeded(FIXTURE);
    let svc = open_after_seed(&data);
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    for delete_old in [false, true] {
        let e = svc
            .rotate(&olga, "long-gone-locked", delete_old, None)
            .unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
        assert!(e.to_string().contains("locked"), "{e}");
    }
    // The owner (an Admin) may see Max's key but not create a user key for him.
    let e = svc.rotate(&olga, "max-used", false, None).unwrap_err();
    assert_eq!(e.exit_code(), 3, "{e}");
    drop(svc);
    let out = iamkeys(&data)
        .args([
            "--as",
            "olga@h.example",
            "api-key-rotate",
            "long-gone-locked",
            "--delete-old",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svc = open_after_seed(&data);
    assert!(svc.resolve(&olga, "long-gone-locked").unwrap().locked);
}

/// The real sled store, with one write refused: the old key's change.
struct FailingOldKey {
    inner: Box<dyn Storage>,
    old_id: String,
}

impl Storage for FailingOldKey {
    fn info(&self) -> &StoreInfo {
        self.inner.info()
    }
    fn dir(&self) -> &Path {
        self.inner.dir()
    }
    fn user(&self, i: &str) -> iamkeys::store::Result<Option<iamkeys::domain::User>> {
        self.inner.user(i)
    }
    fn user_by_email(&self, e: &str) -> iamkeys::store::Result<Option<iamkeys::domain::User>> {
        self.inner.user_by_email(e)
    }
    fn users(&self) -> iamkeys::store::Result<Vec<iamkeys::domain::User>> {
        self.inner.users()
    }
    fn accounts_of(&self, i: &str) -> iamkeys::store::Result<Vec<String>> {
        self.inner.accounts_of(i)
    }
    fn account(
        &self,
        id: &str,
    ) -> iamkeys::store::Result<Option<std::sync::Arc<iamkeys::domain::Account>>> {
        self.inner.account(id)
    }
    fn put_account(&self, a: &iamkeys::domain::Account) -> iamkeys::store::Result<()> {
        self.inner.put_account(a)
    }
    fn service_ids(&self, a: &str) -> iamkeys::store::Result<Vec<iamkeys::domain::ServiceId>> {
        self.inner.service_ids(a)
    }
    fn put_service_id(
        &self,
        s: &iamkeys::domain::ServiceId,
        t: Option<&str>,
    ) -> iamkeys::store::Result<()> {
        self.inner.put_service_id(s, t)
    }
    fn delete_service_id(&self, s: &iamkeys::domain::ServiceId) -> iamkeys::store::Result<usize> {
        self.inner.delete_service_id(s)
    }
    fn key(&self, id: &str) -> iamkeys::store::Result<Option<ApiKey>> {
        self.inner.key(id)
    }
    fn key_by_lookup(&self, l: &str) -> iamkeys::store::Result<Option<ApiKey>> {
        self.inner.key_by_lookup(l)
    }
    fn keys_of_owner(&self, a: &str, i: &str, k: KeyKind) -> iamkeys::store::Result<Vec<ApiKey>> {
        self.inner.keys_of_owner(a, i, k)
    }
    fn count_keys_of_owner(&self, a: &str, i: &str, k: KeyKind) -> iamkeys::store::Result<usize> {
        self.inner.count_keys_of_owner(a, i, k)
    }
    fn keys_named(&self, a: &str, n: &str) -> iamkeys::store::Result<Vec<ApiKey>> {
        self.inner.keys_named(a, n)
    }
    fn scan_kind(
        &self,
        a: &str,
        k: KeyKind,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> iamkeys::store::Result<()> {
        self.inner.scan_kind(a, k, each)
    }
    fn put_key(&self, key: &ApiKey, t: Option<&str>) -> iamkeys::store::Result<()> {
        if key.id == self.old_id {
            return Err(StoreError::Io {
                dir: self.dir().to_path_buf(),
                detail: "the disk refused the write".into(),
            });
        }
        self.inner.put_key(key, t)
    }
    fn delete_key(&self, id: &str, t: &str) -> iamkeys::store::Result<()> {
        if id == self.old_id {
            return Err(StoreError::Io {
                dir: self.dir().to_path_buf(),
                detail: "the disk refused the write".into(),
            });
        }
        self.inner.delete_key(id, t)
    }
    fn admit_sign_in(&self, id: &str, at: Timestamp) -> iamkeys::store::Result<Admission> {
        self.inner.admit_sign_in(id, at)
    }
    fn settle_sign_in(
        &self,
        id: &str,
        at: Timestamp,
        right: bool,
        update: &dyn Fn(&mut ApiKey),
    ) -> iamkeys::store::Result<ApiKey> {
        self.inner.settle_sign_in(id, at, right, update)
    }
    fn check(&self) -> iamkeys::store::Result<Vec<Problem>> {
        self.inner.check()
    }
}

#[test]
fn a_failed_rotation_removes_the_new_key_and_leaves_the_old_one_working() {
    let (_t, data) = seeded(FIXTURE);
    let old_id = {
        let svc = open_after_seed(&data);
        let olga = svc.sign_in_as("olga@h.example", None).unwrap();
        svc.resolve(&olga, "olga-cli").unwrap().id
    };
    let inner = iamkeys::store::open(&data).expect("open");
    let svc = Service::with_storage(
        Box::new(FailingOldKey {
            inner,
            old_id: old_id.clone(),
        }),
        HashParams::TEST,
    );
    let olga = svc.sign_in_as("olga@h.example", None).unwrap();
    let before = svc.resolve(&olga, &old_id).unwrap();
    for delete_old in [false, true] {
        let e = svc.rotate(&olga, &old_id, delete_old, None).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("works as before"), "{e}");
        let after = svc.resolve(&olga, &old_id).unwrap();
        assert_eq!(after, before, "the old key is unchanged");
        assert!(!after.disabled);
        assert_eq!(
            names(&svc, &olga),
            [
                "just-expired",
                "long-gone",
                "long-gone-locked",
                "max-used",
                "olga-cli"
            ],
            "no new key is left behind"
        );
    }
    assert!(svc.check().unwrap().is_empty());
}

#[test]
fn rotate_on_the_command_line_shows_the_value_once_in_json() {
    let (_t, data) = seeded(FIXTURE);
    let out = iamkeys(&data)
        .args([
            "--as",
            "olga@h.example",
            "--output",
            "json",
            "api-key-rotate",
            "olga-cli",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["new"]["apikey"].as_str().unwrap().starts_with("iamk_"));
    assert_eq!(v["new"]["name"], "olga-cli");
    assert_eq!(v["old"]["disabled"], true);
    assert_eq!(v["old"]["deleted"], false);
    // Bad input changes nothing.
    let out = iamkeys(&data)
        .args(["--as", "olga@h.example", "api-key-rotate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `serve` removes expired keys periodically, not only when it starts: a
/// key ten days past its expiry outlives the start (the retention is 30
/// days), and once an Administrator lowers the retention to one day through
/// the server, the next periodic sweep (every second here) removes it, and
/// never the locked one.
#[test]
fn serve_removes_keys_that_fall_due_while_it_runs() {
    use crate::server_common::{Server, seed_text};
    let ten_days_ago = Timestamp::now() - jiff::SignedDuration::from_hours(24 * 10);
    let at = ten_days_ago.strftime("%Y-%m-%dT%H:%M:%SZ");
    let fixture = format!(
        r#"version: 1
demo: true
users:
  - {{ email: olga@h.example, name: Olga Owner }}
accounts:
  - id: house
    name: House
    owner: olga@h.example
    settings: {{ expired_key_retention_days: 30 }}
    api_keys:
      - {{ name: ten-days-gone, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: {at} }}
      - {{ name: ten-days-gone-locked, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z, expires_at: {at}, locked: true }}
      - {{ name: olga-cli, owner: olga@h.example, created_at: 2025-01-01T00:00:00Z }}
"#
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    seed_text(&dir, &fixture);
    let server = Server::start_with(&dir, &[("IAMKEYS_SERVE_SWEEP_SECS", "1")]);
    let olga = server.client().as_persona("olga@h.example");
    let names = || {
        let mut n: Vec<String> = olga
            .all_my_keys()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    // Several periods pass with the retention unchanged: the key stays.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(
        names(),
        ["olga-cli", "ten-days-gone", "ten-days-gone-locked"]
    );
    let changed = olga.call(
        "PUT",
        "/iamkeys/v1/account/housekeeping",
        &[],
        Some(&serde_json::json!({ "expired_key_retention_days": 1 })),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    crate::common::wait_until(
        "the periodic sweep removes the key past its retention",
        std::time::Duration::from_secs(10),
        || !names().contains(&"ten-days-gone".to_string()),
    );
    assert_eq!(names(), ["olga-cli", "ten-days-gone-locked"]);
    assert!(server.stop().success());
    let log = std::fs::read_to_string(dir.join("iamkeys.log")).unwrap();
    assert!(log.contains("expired API key removed"), "logged");
}
