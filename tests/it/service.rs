//! The service layer on a real sled store in a temporary directory: every
//! rule is enforced here, refusals change nothing, sign-in reaches every
//! account of a key's user and no other, activity and history are kept, and
//! no key value ever reaches the disk.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use iamkeys::access::{Denied, KeyAction, ViewFilter};
use iamkeys::domain::{Account, ApiKey, HistoryEntry, KeyKind, LeakAction, ServiceId, User};
use iamkeys::fixture;
use iamkeys::secret::{self, HashParams};
use iamkeys::service::{self, KeyUpdate, ListQuery, NewKey, Service, ServiceError, Session};
use iamkeys::store::{Admission, SledStore, Storage, StoreInfo};
use jiff::Timestamp;
use tempfile::TempDir;

use crate::common;
use common::files;

// The public test values in fixtures/test/service.yaml.
const OWNER_KEY: &str = "iamk_TESTowner000Bd2YERhRugtTYYRbQAfFS7OG3zM75r";
const ADMIN_KEY: &str = "iamk_TESTadmin000QZt6hnphLa9v3wLDDdFbsNF53lFDLj";
pub(crate) const PLAIN_KEY: &str = "iamk_TESTplain000jLHDddZzXURZBZsLPICzsGom1qdHcQ";
const PLAIN_LOCKED: &str = "iamk_TESTplainLckKYSOVU2eySNT6BNwk5Q6rBLf0Ro6W3";
const PLAIN_DISABLED: &str = "iamk_TESTplainDisBU3vTY0HgKtzqR7eNcJZ22hV1LXFK9";
const PLAIN_EXPIRED: &str = "iamk_TESTplainExpyGDM7xsgI0ka1LmVBrlV4h3P4RhxM5";
const EXPORT_KEY: &str = "iamk_TESTexport00LdBsdFTUZRFhHuXi9rNxh8mZ2poBDe";
const BOT_KEY: &str = "iamk_TESTbot00000dkfEmuH7LrRSuC1PooeNMN934XRcFR";
const BETA_OWNER_KEY: &str = "iamk_TESTbeta0000RXqEmE6aUozeXr2Gdm1E6yh22GgzDG";
const CI_KEY: &str = "iamk_TESTci000000u634n0Va6Ehh6tp19JAyzgEV3ld7ix";
pub(crate) const GRANDCHILD_KEY: &str = "iamk_TESTgrand000iNH3mWDGSDr1yjFBInKycD9K0dRi9N";

const ALL_FIXTURE_KEYS: [&str; 11] = [
    OWNER_KEY,
    ADMIN_KEY,
    PLAIN_KEY,
    PLAIN_LOCKED,
    PLAIN_DISABLED,
    PLAIN_EXPIRED,
    EXPORT_KEY,
    BOT_KEY,
    BETA_OWNER_KEY,
    CI_KEY,
    GRANDCHILD_KEY,
];

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/test")
        .join(name)
}

/// A fresh store seeded from fixtures/test/service.yaml.
pub(crate) fn seeded() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("data");
    iamkeys::app::seed(
        &dir,
        Some(&fixture_path("service.yaml")),
        false,
        HashParams::TEST,
    )
    .unwrap_or_else(|f| panic!("seeding failed: {}", f.message));
    (tmp, dir)
}

fn open(dir: &Path) -> Service {
    Service::open(dir, HashParams::TEST).unwrap()
}

fn who(svc: &Service, email: &str, account: &str) -> Session {
    svc.sign_in_as(email, Some(account))
        .unwrap_or_else(|e| panic!("{email} signs in to {account}: {e}"))
}

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.to_string(),
        ..NewKey::default()
    }
}

fn list(svc: &Service, s: &Session, view: ViewFilter) -> Vec<ApiKey> {
    svc.list(
        s,
        &ListQuery {
            view,
            ..ListQuery::default()
        },
    )
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.key)
    .collect()
}

fn names(keys: &[ApiKey]) -> Vec<String> {
    let mut n: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    n.sort();
    n
}

/// Opens the store right after another handle in this process closed it:
/// sled's own lock is let go by its background thread a moment after the
/// handle is dropped, later on a loaded machine, so a busy store is asked
/// again until the deadline.
pub(crate) fn open_after_close(dir: &Path) -> SledStore {
    let end = crate::common::deadline(std::time::Duration::from_secs(10));
    loop {
        match SledStore::open(dir) {
            Ok(st) => return st,
            Err(iamkeys::store::StoreError::Busy(_)) if std::time::Instant::now() < end => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("the store cannot be opened: {e}"),
        }
    }
}

/// Everything in the store, read through the storage interface, as text.
fn snapshot(dir: &Path) -> String {
    let st = open_after_close(dir);
    let mut out = format!("{:?}\n", st.info());
    for u in st.users().unwrap() {
        let _ = writeln!(out, "{u:?}\n{:?}", st.accounts_of(&u.iam_id).unwrap());
    }
    for id in ["alpha", "beta", "gamma"] {
        let _ = writeln!(out, "{:?}", st.account(id).unwrap());
        for sid in st.service_ids(id).unwrap() {
            let _ = writeln!(out, "{sid:?}");
        }
        for kind in [KeyKind::User, KeyKind::ServiceId, KeyKind::Classic] {
            st.scan_kind(id, kind, &mut |k| {
                let _ = writeln!(out, "{k:?}");
                true
            })
            .unwrap();
        }
    }
    let problems = st.check().unwrap();
    assert!(problems.is_empty(), "store problems: {problems:?}");
    out
}

/// A key as stored, read directly (bypassing the rules).
pub(crate) fn stored(dir: &Path, name: &str) -> ApiKey {
    let st = open_after_close(dir);
    let mut found = Vec::new();
    for id in ["alpha", "beta", "gamma"] {
        for kind in [KeyKind::User, KeyKind::ServiceId, KeyKind::Classic] {
            st.scan_kind(id, kind, &mut |k| {
                if k.name == name {
                    found.push(k);
                }
                true
            })
            .unwrap();
        }
    }
    assert_eq!(found.len(), 1, "exactly one key named {name}");
    found.pop().unwrap()
}

fn denied(r: Result<impl std::fmt::Debug, ServiceError>) -> Denied {
    match r {
        Err(ServiceError::Denied(d)) => d,
        other => panic!("expected a refusal by a rule, got {other:?}"),
    }
}

/// The id of a key as the account owner sees it (the owner sees everything).
fn id_of(svc: &Service, account: &str, owner_email: &str, name: &str) -> String {
    let s = who(svc, owner_email, account);
    let mut all = Vec::new();
    for v in [
        ViewFilter::AllUserApiKeys,
        ViewFilter::AllServiceIdApiKeys,
        ViewFilter::ClassicInfrastructure,
    ] {
        if svc.views(&s).unwrap().iter().any(|i| i.view == v) {
            all.extend(list(svc, &s, v));
        }
    }
    let hits: Vec<String> = all
        .into_iter()
        .filter(|k| k.name == name)
        .map(|k| k.id)
        .collect();
    assert_eq!(hits.len(), 1, "{name}: {hits:?}");
    hits[0].clone()
}

/// A value with a real key's lookup id and a wrong secret, in the key
/// format (prefix, base62, CRC-32 checksum as six base62 digits).
pub(crate) fn wrong_secret_for(value: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = format!("{}{}", &value[..5 + 12], "W".repeat(24));
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    let v = format!("{body}{}", std::str::from_utf8(&sum).unwrap());
    assert!(secret::parse(&v).is_ok(), "the forged value is well formed");
    v
}

// ---------------------------------------------------------------------------

type Attempt = (
    &'static str,
    &'static str,
    &'static str,
    Box<dyn Fn(&Service, &Session, &Ids) -> Result<String, ServiceError>>,
    &'static str,
);

struct Ids {
    grandchild_classic: String,
    editor_classic: String,
    admin_key: String,
}

fn ok<T>(r: Result<T, ServiceError>) -> Result<String, ServiceError> {
    r.map(|_| "it succeeded".to_string())
}

#[test]
fn every_refusal_changes_nothing() {
    let (_tmp, dir) = seeded();
    let ids = {
        let svc = open(&dir);
        Ids {
            grandchild_classic: svc
                .list(
                    &who(&svc, "grandchild@alpha.test", "alpha"),
                    &ListQuery {
                        view: ViewFilter::ClassicInfrastructure,
                        ..ListQuery::default()
                    },
                )
                .unwrap()
                .rows[0]
                .key
                .id
                .clone(),
            editor_classic: svc
                .list(
                    &who(&svc, "editor@alpha.test", "alpha"),
                    &ListQuery {
                        view: ViewFilter::ClassicInfrastructure,
                        search: "editor".into(),
                        ..ListQuery::default()
                    },
                )
                .unwrap()
                .rows[0]
                .key
                .id
                .clone(),
            admin_key: id_of(&svc, "alpha", "owner@alpha.test", "admin-key"),
        }
    };
    // (who, account, what, attempt, expected: "denied:<Variant>" | "not found" | "bad input")
    let attempts: Vec<Attempt> = vec![
        (
            "plain@alpha.test",
            "alpha",
            "edit another user's key (invisible)",
            Box::new(|svc, s, ids| {
                ok(svc.update(
                    s,
                    &ids.admin_key,
                    &KeyUpdate {
                        name: Some("x".into()),
                        ..KeyUpdate::default()
                    },
                ))
            }),
            "not found",
        ),
        (
            "viewer@alpha.test",
            "alpha",
            "delete another user's key by name",
            Box::new(|svc, s, _| ok(svc.delete(s, "plain-key", None))),
            "not found",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "delete an ancestor's classic key",
            Box::new(|svc, s, ids| ok(svc.delete(s, &ids.editor_classic, None))),
            "not found",
        ),
        (
            "viewer@alpha.test",
            "alpha",
            "delete a service ID key",
            Box::new(|svc, s, _| ok(svc.delete(s, "export-key", None))),
            "not found",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "use the all-users view",
            Box::new(|svc, s, _| {
                ok(svc.list(
                    s,
                    &ListQuery {
                        view: ViewFilter::AllUserApiKeys,
                        ..ListQuery::default()
                    },
                ))
            }),
            "denied:ViewNeedsAdmin",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "edit a locked key",
            Box::new(|svc, s, _| {
                ok(svc.update(
                    s,
                    "plain-locked",
                    &KeyUpdate {
                        description: Some("x".into()),
                        ..KeyUpdate::default()
                    },
                ))
            }),
            "denied:LockedKey",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "delete a locked key",
            Box::new(|svc, s, _| ok(svc.delete(s, "plain-locked", None))),
            "denied:LockedKey",
        ),
        (
            "admin@alpha.test",
            "alpha",
            "delete another's locked key as Administrator",
            Box::new(|svc, s, _| ok(svc.delete(s, "plain-locked", None))),
            "denied:LockedKey",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "disable a locked key",
            Box::new(|svc, s, _| ok(svc.set_disabled(s, "plain-locked", true, None))),
            "denied:LockedKey",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "lock a locked key",
            Box::new(|svc, s, _| ok(svc.set_locked(s, "plain-locked", true, None))),
            "denied:AlreadyLocked",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "unlock an unlocked key",
            Box::new(|svc, s, _| ok(svc.set_locked(s, "plain-key", false, None))),
            "denied:NotLocked",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "enable an enabled key",
            Box::new(|svc, s, _| ok(svc.set_disabled(s, "plain-key", false, None))),
            "denied:NotDisabled",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "disable a disabled key",
            Box::new(|svc, s, _| ok(svc.set_disabled(s, "plain-disabled", true, None))),
            "denied:AlreadyDisabled",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "edit with a stale entity tag",
            Box::new(|svc, s, _| {
                ok(svc.update(
                    s,
                    "plain-key",
                    &KeyUpdate {
                        name: Some("renamed".into()),
                        entity_tag: Some("1-0000000000000000".into()),
                        ..KeyUpdate::default()
                    },
                ))
            }),
            "denied:StaleEntityTag",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "delete with a stale entity tag",
            Box::new(|svc, s, _| ok(svc.delete(s, "plain-key", Some("1-0000000000000000")))),
            "denied:StaleEntityTag",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "lock with a stale entity tag",
            Box::new(|svc, s, _| {
                ok(svc.set_locked(s, "plain-key", true, Some("1-0000000000000000")))
            }),
            "denied:StaleEntityTag",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "edit a descendant's classic key",
            Box::new(|svc, s, ids| {
                ok(svc.update(
                    s,
                    &ids.grandchild_classic,
                    &KeyUpdate {
                        name: Some("x".into()),
                        ..KeyUpdate::default()
                    },
                ))
            }),
            "denied:ClassicKeyViewDeleteOnly",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "lock a descendant's classic key",
            Box::new(|svc, s, ids| ok(svc.set_locked(s, &ids.grandchild_classic, true, None))),
            "denied:ClassicKeyViewDeleteOnly",
        ),
        (
            "editor@alpha.test",
            "alpha",
            "create a second classic key",
            Box::new(|svc, s, _| ok(svc.create_classic_key(s))),
            "denied:ClassicKeyExists",
        ),
        (
            "owner@gamma.test",
            "gamma",
            "create a classic key without classic infrastructure",
            Box::new(|svc, s, _| ok(svc.create_classic_key(s))),
            "denied:NoClassicInfrastructure",
        ),
        (
            "viewer@alpha.test",
            "alpha",
            "create a service ID key as Viewer",
            Box::new(|svc, s, _| ok(svc.create_service_key(s, "exporter", &new_key("x")))),
            "denied:ServiceKeyCreateNeedsRole",
        ),
        (
            "viewer@alpha.test",
            "alpha",
            "change the restriction as Viewer",
            Box::new(|svc, s, _| ok(svc.set_restrict_creation(s, true))),
            "denied:SettingsNeedRole",
        ),
        (
            "plain@alpha.test",
            "beta",
            "create a user key under the restriction",
            Box::new(|svc, s, _| ok(svc.create_user_key(s, &new_key("x")))),
            "denied:CreationRestricted",
        ),
        (
            "owner@beta.test",
            "beta",
            "create a user key under the restriction as the owner",
            Box::new(|svc, s, _| ok(svc.create_user_key(s, &new_key("x")))),
            "denied:CreationRestricted",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "create a fifth key (limit 4)",
            Box::new(|svc, s, _| ok(svc.create_user_key(s, &new_key("x")))),
            "denied:LimitReached",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "switch to an account one is not a member of",
            Box::new(|svc, s, _| ok(svc.switch_account(s, "gamma"))),
            "denied:NotMember",
        ),
        (
            "admin@alpha.test",
            "alpha",
            "create a key with an empty name",
            Box::new(|svc, s, _| ok(svc.create_user_key(s, &new_key("  ")))),
            "bad input",
        ),
        (
            "admin@alpha.test",
            "alpha",
            "create a key that expired already",
            Box::new(|svc, s, _| {
                ok(svc.create_user_key(
                    s,
                    &NewKey {
                        name: "x".into(),
                        expires_at: Some("2020-01-01T00:00:00Z".parse().unwrap()),
                        ..NewKey::default()
                    },
                ))
            }),
            "bad input",
        ),
        (
            "admin@alpha.test",
            "alpha",
            "create a key for a service ID that does not exist",
            Box::new(|svc, s, _| ok(svc.create_service_key(s, "no-such", &new_key("x")))),
            "not found",
        ),
        (
            "admin@alpha.test",
            "alpha",
            "an update that changes nothing",
            Box::new(|svc, s, _| ok(svc.update(s, "admin-key", &KeyUpdate::default()))),
            "bad input",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "sign in with an unknown key",
            Box::new(|svc, _, _| ok(svc.sign_in_key(secret::generate().expose(), None))),
            "denied:SignIn",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "sign in with a disabled key",
            Box::new(|svc, _, _| ok(svc.sign_in_key(PLAIN_DISABLED, None))),
            "denied:SignIn",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "sign in with a service ID key",
            Box::new(|svc, _, _| ok(svc.sign_in_key(EXPORT_KEY, None))),
            "denied:SignIn",
        ),
        (
            "plain@alpha.test",
            "alpha",
            "sign in to an account the key's user is not in",
            Box::new(|svc, _, _| ok(svc.sign_in_key(PLAIN_KEY, Some("gamma")))),
            "denied:NotMember",
        ),
    ];
    let mut failures = Vec::new();
    for (email, account, what, attempt, expected) in &attempts {
        let before = snapshot(&dir);
        let svc = open(&dir);
        let s = who(&svc, email, account);
        let got = attempt(&svc, &s, &ids);
        drop(svc);
        let kind = match &got {
            Ok(_) => "it succeeded".to_string(),
            Err(ServiceError::Denied(d)) => {
                let dbg = format!("{d:?}");
                let variant = dbg.split(['(', ' ', '{']).next().unwrap().to_string();
                format!("denied:{variant}")
            }
            Err(ServiceError::NotFound(_)) => "not found".into(),
            Err(ServiceError::BadInput(_) | ServiceError::KeyFormat(_)) => "bad input".into(),
            Err(ServiceError::Store(e)) => format!("store error {e}"),
        };
        if kind != *expected {
            failures.push(format!(
                "{email} in {account}: {what}: expected {expected}, got {kind} ({got:?})"
            ));
        }
        let after = snapshot(&dir);
        if before != after {
            failures.push(format!("{email} in {account}: {what}: the store changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stale_entity_tag_is_refused() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let s = who(&svc, "plain@alpha.test", "alpha");
    let t0 = svc.get(&s, "plain-key").unwrap().key.entity_tag;
    let row = svc
        .update(
            &s,
            "plain-key",
            &KeyUpdate {
                description: Some("new words".into()),
                entity_tag: Some(t0.clone()),
                ..KeyUpdate::default()
            },
        )
        .unwrap();
    let t1 = row.key.entity_tag.clone();
    assert_ne!(t0, t1, "an update changes the entity tag");
    assert_eq!(row.key.description, "new words");
    // A second editor who opened the key before the change is refused.
    let d = denied(svc.update(
        &s,
        "plain-key",
        &KeyUpdate {
            name: Some("clobber".into()),
            entity_tag: Some(t0.clone()),
            ..KeyUpdate::default()
        },
    ));
    assert_eq!(
        d,
        Denied::StaleEntityTag {
            given: t0.clone(),
            current: t1.clone()
        }
    );
    assert!(matches!(
        denied(svc.delete(&s, "plain-key", Some(&t0))),
        Denied::StaleEntityTag { .. }
    ));
    assert!(matches!(
        denied(svc.set_disabled(&s, "plain-key", true, Some(&t0))),
        Denied::StaleEntityTag { .. }
    ));
    assert_eq!(svc.get(&s, "plain-key").unwrap().key.name, "plain-key");
    // The current tag works, and changes again.
    let row = svc.set_locked(&s, "plain-key", true, Some(&t1)).unwrap();
    assert!(row.key.locked);
    assert_ne!(row.key.entity_tag, t1);
}

#[test]
fn per_identity_limit_for_user_and_service_id_keys() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    // alpha allows 4 keys per identity; admin holds 1, the exporter holds 1.
    let s = who(&svc, "admin@alpha.test", "alpha");
    for i in 0..3 {
        svc.create_user_key(&s, &new_key(&format!("extra-{i}")))
            .unwrap();
    }
    assert_eq!(
        denied(svc.create_user_key(&s, &new_key("one-too-many"))),
        Denied::LimitReached { limit: 4 }
    );
    // The view no longer offers "create", and says why.
    let my = svc
        .views(&s)
        .unwrap()
        .into_iter()
        .find(|v| v.view == ViewFilter::MyApiKeys)
        .unwrap();
    assert!(!my.actions.contains(&KeyAction::Create));
    assert_eq!(my.create_refused, Some(Denied::LimitReached { limit: 4 }));
    // Service ID keys count per service ID.
    for i in 0..3 {
        svc.create_service_key(&s, "exporter", &new_key(&format!("svc-{i}")))
            .unwrap();
    }
    assert_eq!(
        denied(svc.create_service_key(&s, "exporter", &new_key("svc-too-many"))),
        Denied::LimitReached { limit: 4 }
    );
    // Deleting one makes room for one.
    svc.delete(&s, "extra-0", None).unwrap();
    svc.create_user_key(&s, &new_key("replacement")).unwrap();
    assert_eq!(
        names(&list(&svc, &s, ViewFilter::MyApiKeys)),
        ["admin-key", "extra-1", "extra-2", "replacement"]
    );
}

#[test]
fn the_bootstrap_key_counts_toward_the_limit() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("data");
    let text = "\
version: 1
users:
  - email: boss@tiny.test
    name: Boss
accounts:
  - id: tiny
    name: Tiny
    owner: boss@tiny.test
    settings:
      api_keys_per_identity: 2
    api_keys:
      - name: existing
        owner: boss@tiny.test
";
    let fx = fixture::parse(text, "tiny.yaml").unwrap();
    let (seed, boots) = fixture::to_seed(&fx, HashParams::TEST, service::now());
    SledStore::create(&dir, &seed, fx.demo, "tiny.yaml", false).unwrap();
    assert_eq!(boots.len(), 1);
    assert_eq!(boots[0].owner_email, "boss@tiny.test");
    let svc = open(&dir);
    let s = svc.sign_in_key(boots[0].secret.expose(), None).unwrap();
    assert_eq!(s.account_id, "tiny");
    assert_eq!(s.key_id.as_deref(), Some(boots[0].key_id.as_str()));
    assert_eq!(
        denied(svc.create_user_key(&s, &new_key("third"))),
        Denied::LimitReached { limit: 2 }
    );
    // A non-demo store refuses personas.
    assert_eq!(
        denied(svc.sign_in_as("boss@tiny.test", None)),
        Denied::NotDemo
    );
}

#[test]
fn one_classic_key_per_user() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let s = who(&svc, "admin@alpha.test", "alpha");
    let classic = |svc: &Service| {
        svc.views(&s)
            .unwrap()
            .into_iter()
            .find(|v| v.view == ViewFilter::ClassicInfrastructure)
            .unwrap()
    };
    assert!(classic(&svc).actions.contains(&KeyAction::Create));
    let c = svc.create_classic_key(&s).unwrap();
    assert_eq!(c.row.key.kind, KeyKind::Classic);
    assert_eq!(c.row.key.iam_id, s.user.iam_id);
    assert_eq!(denied(svc.create_classic_key(&s)), Denied::ClassicKeyExists);
    let v = classic(&svc);
    assert!(!v.actions.contains(&KeyAction::Create));
    assert_eq!(v.create_refused, Some(Denied::ClassicKeyExists));
    // Its user deletes it; then a new one may be created.
    svc.delete(&s, &c.row.key.id, None).unwrap();
    svc.create_classic_key(&s).unwrap();
    // The admin sees the classic keys of descendants (editor, grandchild)
    // and their own, not others'.
    let owners: Vec<String> = svc
        .list(
            &s,
            &ListQuery {
                view: ViewFilter::ClassicInfrastructure,
                ..ListQuery::default()
            },
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.owner)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        owners,
        [
            "admin@alpha.test",
            "editor@alpha.test",
            "grandchild@alpha.test"
        ]
    );
    // The viewer (not an ancestor of anyone) sees none until creating one.
    let v = who(&svc, "viewer@alpha.test", "alpha");
    assert!(list(&svc, &v, ViewFilter::ClassicInfrastructure).is_empty());
    svc.create_classic_key(&v).unwrap();
    assert_eq!(list(&svc, &v, ViewFilter::ClassicInfrastructure).len(), 1);
}

#[test]
fn the_restriction_spares_service_id_and_classic_keys() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    // beta restricts creation; the operator holds no creator role.
    let op = who(&svc, "operator@beta.test", "beta");
    assert_eq!(
        denied(svc.create_user_key(&op, &new_key("mine"))),
        Denied::CreationRestricted
    );
    let c = svc
        .create_service_key(&op, "ci", &new_key("ci-second"))
        .unwrap();
    assert_eq!(c.row.key.kind, KeyKind::ServiceId);
    assert_eq!(c.row.owner, "ci");
    svc.create_classic_key(&op).unwrap();
    // Holders of the creator role may create user keys.
    let cr = who(&svc, "creator@beta.test", "beta");
    svc.create_user_key(&cr, &new_key("creator-key")).unwrap();
    // The owner is not exempt.
    let owner = who(&svc, "owner@beta.test", "beta");
    assert_eq!(
        denied(svc.create_user_key(&owner, &new_key("owner-key"))),
        Denied::CreationRestricted
    );
    // An Operator may turn the restriction off; then the owner may create.
    let settings = svc.set_restrict_creation(&op, false).unwrap();
    assert!(!settings.restrict_api_key_creation);
    svc.create_user_key(&owner, &new_key("owner-key")).unwrap();
    svc.set_restrict_creation(&op, true).unwrap();
    assert_eq!(
        denied(svc.create_user_key(&owner, &new_key("owner-key-2"))),
        Denied::CreationRestricted
    );
    drop(svc);
    // The setting is stored.
    let svc = open(&dir);
    let owner = who(&svc, "owner@beta.test", "beta");
    assert!(svc.settings(&owner).unwrap().0.restrict_api_key_creation);
}

#[test]
fn a_users_key_signs_in_to_every_account_of_that_user_and_no_other() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    // plain@ is a member of alpha and beta, not gamma.
    let s = svc.sign_in_key(PLAIN_KEY, None).unwrap();
    assert_eq!(s.user.email, "plain@alpha.test");
    assert_eq!(s.account_id, "alpha", "default: the key's own account");
    let s = svc.sign_in_key(PLAIN_KEY, Some("beta")).unwrap();
    assert_eq!(s.account_id, "beta");
    assert_eq!(
        svc.accounts(&s)
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        ["alpha", "beta"]
    );
    // In beta the same person sees beta's view of their keys: none.
    assert!(list(&svc, &s, ViewFilter::MyApiKeys).is_empty());
    assert_eq!(
        denied(svc.sign_in_key(PLAIN_KEY, Some("gamma"))),
        Denied::NotMember("gamma".into())
    );
    assert_eq!(
        denied(svc.sign_in_key(ADMIN_KEY, Some("beta"))),
        Denied::NotMember("beta".into())
    );
    // The owner of beta cannot reach alpha with a beta key.
    assert_eq!(
        denied(svc.sign_in_key(BETA_OWNER_KEY, Some("alpha"))),
        Denied::NotMember("alpha".into())
    );
    // A functional ID signs in like any user.
    let b = svc.sign_in_key(BOT_KEY, None).unwrap();
    assert!(b.user.functional);
    // No such account at all is refused the same way, revealing nothing.
    assert_eq!(
        denied(svc.sign_in_key(PLAIN_KEY, Some("no-such-account"))),
        Denied::NotMember("no-such-account".into())
    );
}

#[test]
fn disabled_expired_service_id_and_classic_keys_never_open_a_session() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    for (what, value) in [
        ("disabled", PLAIN_DISABLED),
        ("expired", PLAIN_EXPIRED),
        ("service ID", EXPORT_KEY),
        ("service ID in another account", CI_KEY),
    ] {
        assert!(
            matches!(denied(svc.sign_in_key(value, None)), Denied::SignIn(_)),
            "{what}"
        );
    }
    // A classic key made now, with a value, does not sign in either.
    let admin = who(&svc, "admin@alpha.test", "alpha");
    let classic = svc.create_classic_key(&admin).unwrap();
    assert!(matches!(
        denied(svc.sign_in_key(classic.secret.expose(), None)),
        Denied::SignIn(_)
    ));
    // Nor does a service ID key made now.
    let sk = svc
        .create_service_key(&admin, "exporter", &new_key("fresh"))
        .unwrap();
    assert!(matches!(
        denied(svc.sign_in_key(sk.secret.expose(), None)),
        Denied::SignIn(_)
    ));
    // Disabling a working key stops it; enabling it restores it.
    let plain = who(&svc, "plain@alpha.test", "alpha");
    svc.sign_in_key(PLAIN_KEY, None).unwrap();
    svc.set_disabled(&plain, "plain-key", true, None).unwrap();
    assert!(matches!(
        denied(svc.sign_in_key(PLAIN_KEY, None)),
        Denied::SignIn(_)
    ));
    svc.set_disabled(&plain, "plain-key", false, None).unwrap();
    svc.sign_in_key(PLAIN_KEY, None).unwrap();
    // A deleted key signs nobody in.
    svc.delete(&plain, "plain-key", None).unwrap();
    assert!(matches!(
        denied(svc.sign_in_key(PLAIN_KEY, None)),
        Denied::SignIn(_)
    ));
    // A value not in the key format is bad input, not a sign-in attempt.
    assert!(matches!(
        svc.sign_in_key("not-a-key", None),
        Err(ServiceError::KeyFormat(_))
    ));
    // None of the refused keys gained activity.
    drop(svc);
    for name in ["plain-disabled", "plain-expired", "export-key", "ci-deploy"] {
        let k = stored(&dir, name);
        assert_eq!(k.activity.authn_count, 0, "{name}");
        assert_eq!(k.activity.last_authn, None, "{name}");
    }
}

#[test]
fn activity_and_history_are_recorded() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let before = service::now();
    let s = svc.sign_in_key(PLAIN_KEY, None).unwrap();
    svc.sign_in_key(PLAIN_KEY, Some("beta")).unwrap();
    let k = svc.get(&s, "plain-key").unwrap().key;
    assert_eq!(k.activity.authn_count, 2);
    let last = k.activity.last_authn.expect("last_authn is set");
    assert!(last >= before && last <= service::now(), "{last}");
    assert_eq!(s.key_id.as_deref(), Some(k.id.as_str()));

    // Every change appends to the key's history, naming the actor.
    let tag0 = k.entity_tag.clone();
    svc.update(
        &s,
        "plain-key",
        &KeyUpdate {
            name: Some("plain-key-2".into()),
            action_when_leaked: Some(LeakAction::Delete),
            ..KeyUpdate::default()
        },
    )
    .unwrap();
    svc.set_locked(&s, "plain-key-2", true, None).unwrap();
    svc.set_locked(&s, "plain-key-2", false, None).unwrap();
    svc.set_disabled(&s, "plain-key-2", true, None).unwrap();
    svc.set_disabled(&s, "plain-key-2", false, None).unwrap();
    drop(svc);
    let k = stored(&dir, "plain-key-2");
    assert_eq!(k.action_when_leaked, LeakAction::Delete);
    let actions: Vec<&str> = k.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        ["create", "edit", "lock", "unlock", "disable", "enable"]
    );
    let plain_id = s.user.iam_id.clone();
    for h in &k.history[1..] {
        assert_eq!(h.actor, plain_id, "{h:?}");
        assert!(h.timestamp >= before, "{h:?}");
    }
    assert!(
        k.history[1].message.contains("plain-key-2"),
        "{:?}",
        k.history[1]
    );
    assert_ne!(k.entity_tag, tag0);
    assert!(k.modified_at >= before);
    // Sign-ins do not count as changes: activity is kept apart.
    assert_eq!(k.activity.authn_count, 2);

    // A key made through the service records its creator.
    let svc = open(&dir);
    let admin = who(&svc, "admin@alpha.test", "alpha");
    let c = svc
        .create_service_key(
            &admin,
            "exporter",
            &NewKey {
                name: "made-now".into(),
                description: "by the admin".into(),
                locked: true,
                ..NewKey::default()
            },
        )
        .unwrap();
    let k = c.row.key;
    assert_eq!(k.created_by, admin.user.iam_id);
    assert_eq!(c.row.created_by, "admin@alpha.test");
    assert!(k.locked);
    let actions: Vec<&str> = k.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["create", "lock"]);
    assert!(k.history.iter().all(|h| h.actor == admin.user.iam_id));
}

#[test]
fn failed_sign_ins_are_recorded_and_throttled() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let wrong = wrong_secret_for(GRANDCHILD_KEY);
    let mut recorded = 0;
    let mut throttled = None;
    for _ in 0..20 {
        match denied(svc.sign_in_key(&wrong, None)) {
            Denied::SignIn(_) => recorded += 1,
            Denied::Throttled(wait) => {
                throttled = Some(wait);
                break;
            }
            other => panic!("unexpected refusal {other:?}"),
        }
    }
    let wait = throttled.expect("repeated failures are throttled");
    assert!(wait >= 1);
    assert!(
        recorded >= service::THROTTLE_FREE_FAILURES,
        "{recorded} failures before the throttle"
    );
    // While throttled, even the right value must wait.
    assert!(matches!(
        denied(svc.sign_in_key(GRANDCHILD_KEY, None)),
        Denied::Throttled(_)
    ));
    drop(svc);
    let k = stored(&dir, "grandchild-key");
    let failures: Vec<&HistoryEntry> = k
        .history
        .iter()
        .filter(|h| h.action == "sign-in failed")
        .collect();
    assert_eq!(failures.len(), recorded);
    assert_eq!(k.activity.authn_count, 0, "no sign-in succeeded");
    assert!(failures.iter().all(|h| h.actor == "unknown"));
    // Other keys are not affected.
    let svc = open(&dir);
    svc.sign_in_key(PLAIN_KEY, None).unwrap();
}

fn assert_no_value_on_disk(dir: &Path, values: &[String]) {
    let files = files(dir);
    assert!(!files.is_empty());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for v in values {
            // The whole value, and the secret part alone (the lookup id is
            // public and indexed on purpose).
            let secret_part = &v[5 + 12..5 + 12 + 24];
            for needle in [v.as_str(), secret_part] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} contains a key value",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn no_file_under_the_data_directory_holds_a_key_value() {
    // A non-demo store: bootstrap keys, then keys of every kind.
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("data");
    let boots = iamkeys::app::seed(
        &dir,
        Some(&fixture_path("small.yaml")),
        false,
        HashParams::TEST,
    )
    .unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(boots.len(), 2, "one bootstrap key per account owner");
    let mut values: Vec<String> = boots
        .iter()
        .map(|b| b.secret.expose().to_string())
        .collect();
    let svc = open(&dir);
    let root = svc.sign_in_key(&values[0], None).unwrap();
    assert_eq!(root.user.email, "root@small.test");
    for i in 0..3 {
        let c = svc
            .create_user_key(&root, &new_key(&format!("k{i}")))
            .unwrap();
        values.push(c.secret.expose().to_string());
    }
    let c = svc
        .create_service_key(&root, "shipper", &new_key("ship"))
        .unwrap();
    values.push(c.secret.expose().to_string());
    let c = svc.create_classic_key(&root).unwrap();
    values.push(c.secret.expose().to_string());
    // Sign-ins and failed sign-ins touch the records too.
    svc.sign_in_key(&values[2], None).unwrap();
    let _ = svc.sign_in_key(&wrong_secret_for(&values[3]), None);
    drop(svc);
    assert_no_value_on_disk(&dir, &values);

    // A demo store seeded with apikey values keeps only their hashes.
    let (_tmp2, dir2) = seeded();
    let svc = open(&dir2);
    let admin = who(&svc, "admin@alpha.test", "alpha");
    let mut values: Vec<String> = ALL_FIXTURE_KEYS
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    values.push(
        svc.create_user_key(&admin, &new_key("x"))
            .unwrap()
            .secret
            .expose()
            .to_string(),
    );
    drop(svc);
    assert_no_value_on_disk(&dir2, &values);
}

#[test]
fn owasp_parameters_by_default() {
    assert_eq!(HashParams::default(), HashParams::OWASP);
    assert_eq!(
        HashParams::OWASP,
        HashParams {
            m_kib: 19 * 1024,
            t: 2,
            p: 1
        }
    );
    let (_tmp, dir) = seeded();
    let svc = Service::open(&dir, HashParams::default()).unwrap();
    let s = who(&svc, "editor@alpha.test", "alpha");
    let c = svc.create_user_key(&s, &new_key("owasp")).unwrap();
    let value = c.secret.expose().to_string();
    drop(c);
    drop(svc);
    let k = stored(&dir, "owasp");
    let phc = k.hash.expect("a created key has a hash");
    assert!(
        phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "recorded parameters: {phc}"
    );
    // Sign-in reads the parameters from the PHC string, whatever the
    // service was opened with.
    let svc = open(&dir);
    let s = svc.sign_in_key(&value, None).unwrap();
    assert_eq!(s.user.email, "editor@alpha.test");
    assert_eq!(s.key_id.as_deref(), Some(k.id.as_str()));
}

#[test]
fn views_and_lists_follow_the_rules_on_the_store() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let ids = |s: &Session| -> Vec<&'static str> {
        svc.views(s).unwrap().iter().map(|v| v.view.id()).collect()
    };
    let owner = who(&svc, "owner@alpha.test", "alpha");
    assert_eq!(ids(&owner), ["my", "users", "service-ids", "classic"]);
    let plain = who(&svc, "plain@alpha.test", "alpha");
    assert_eq!(ids(&plain), ["my", "classic"]);
    let gamma = who(&svc, "owner@gamma.test", "gamma");
    assert_eq!(ids(&gamma), ["my", "users", "service-ids"]);
    // "My" shows only one's own user keys.
    assert_eq!(
        names(&list(&svc, &plain, ViewFilter::MyApiKeys)),
        [
            "plain-disabled",
            "plain-expired",
            "plain-key",
            "plain-locked"
        ]
    );
    // The all-views show every key of their kind in the account.
    assert_eq!(list(&svc, &owner, ViewFilter::AllUserApiKeys).len(), 8);
    assert_eq!(
        names(&list(&svc, &owner, ViewFilter::AllServiceIdApiKeys)),
        ["export-key"]
    );
    // Classic: own plus descendants'.
    let plain_classic: Vec<String> = svc
        .list(
            &plain,
            &ListQuery {
                view: ViewFilter::ClassicInfrastructure,
                ..ListQuery::default()
            },
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.owner)
        .collect();
    assert_eq!(plain_classic, ["grandchild@alpha.test"]);
    // Search, sort and order.
    let q = ListQuery {
        view: ViewFilter::MyApiKeys,
        search: "PLAIN-".into(),
        sort: service::SortField::CreatedAt,
        desc: true,
        ..ListQuery::default()
    };
    let got: Vec<String> = svc
        .list(&plain, &q)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.key.name)
        .collect();
    assert_eq!(
        got,
        [
            "plain-expired",
            "plain-disabled",
            "plain-locked",
            "plain-key"
        ]
    );
    // Not visible means not found, by id or by name.
    let admin_key = id_of(&svc, "alpha", "owner@alpha.test", "admin-key");
    assert!(matches!(
        svc.get(&plain, &admin_key),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        svc.get(&plain, "admin-key"),
        Err(ServiceError::NotFound(_))
    ));
    // A key of another account is not found even by an owner.
    let beta_owner = who(&svc, "owner@beta.test", "beta");
    assert!(matches!(
        svc.get(&beta_owner, &admin_key),
        Err(ServiceError::NotFound(_))
    ));
}

/// What the service asked of the store: whole-kind scans, key records read
/// and account records read.
#[derive(Default)]
struct Counters {
    scans: Mutex<Vec<KeyKind>>,
    reads: AtomicUsize,
    accounts: AtomicUsize,
}

impl Counters {
    fn reset(&self) {
        self.scans.lock().unwrap().clear();
        self.reads.store(0, Ordering::SeqCst);
        self.accounts.store(0, Ordering::SeqCst);
    }
    fn accounts(&self) -> usize {
        self.accounts.load(Ordering::SeqCst)
    }
    fn read(&self, n: usize) {
        self.reads.fetch_add(n, Ordering::SeqCst);
    }
    fn scans(&self) -> Vec<KeyKind> {
        self.scans.lock().unwrap().clone()
    }
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

/// The real sled store, watched.
struct Watched {
    inner: SledStore,
    seen: Arc<Counters>,
}

type StoreResult<T> = iamkeys::store::Result<T>;

impl Storage for Watched {
    fn info(&self) -> &StoreInfo {
        self.inner.info()
    }
    fn dir(&self) -> &Path {
        self.inner.dir()
    }
    fn user(&self, iam_id: &str) -> StoreResult<Option<User>> {
        self.inner.user(iam_id)
    }
    fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_email(email)
    }
    fn users(&self) -> StoreResult<Vec<User>> {
        self.inner.users()
    }
    fn accounts_of(&self, iam_id: &str) -> StoreResult<Vec<String>> {
        self.inner.accounts_of(iam_id)
    }
    fn account(&self, id: &str) -> StoreResult<Option<Arc<Account>>> {
        self.seen.accounts.fetch_add(1, Ordering::SeqCst);
        self.inner.account(id)
    }
    fn account_for(&self, id: &str, iam_id: &str) -> StoreResult<Option<Arc<Account>>> {
        self.seen.accounts.fetch_add(1, Ordering::SeqCst);
        self.inner.account_for(id, iam_id)
    }
    fn member(
        &self,
        account_id: &str,
        iam_id: &str,
    ) -> StoreResult<Option<iamkeys::domain::Membership>> {
        self.inner.member(account_id, iam_id)
    }
    fn keys_by_id(&self, ids: &[String]) -> StoreResult<Vec<Option<ApiKey>>> {
        let keys = self.inner.keys_by_id(ids)?;
        self.seen.read(keys.iter().flatten().count());
        Ok(keys)
    }
    fn put_account(&self, account: &Account) -> StoreResult<()> {
        self.inner.put_account(account)
    }
    fn service_ids(&self, account_id: &str) -> StoreResult<Vec<ServiceId>> {
        self.inner.service_ids(account_id)
    }
    fn put_service_id(&self, sid: &ServiceId, expected_tag: Option<&str>) -> StoreResult<()> {
        self.inner.put_service_id(sid, expected_tag)
    }
    fn delete_service_id(&self, sid: &ServiceId) -> StoreResult<usize> {
        self.inner.delete_service_id(sid)
    }
    fn key(&self, id: &str) -> StoreResult<Option<ApiKey>> {
        self.seen.read(1);
        self.inner.key(id)
    }
    fn key_by_lookup(&self, lookup: &str) -> StoreResult<Option<ApiKey>> {
        self.seen.read(1);
        self.inner.key_by_lookup(lookup)
    }
    fn keys_of_owner(
        &self,
        account_id: &str,
        iam_id: &str,
        kind: KeyKind,
    ) -> StoreResult<Vec<ApiKey>> {
        let keys = self.inner.keys_of_owner(account_id, iam_id, kind)?;
        self.seen.read(keys.len());
        Ok(keys)
    }
    fn count_keys_of_owner(
        &self,
        account_id: &str,
        iam_id: &str,
        kind: KeyKind,
    ) -> StoreResult<usize> {
        self.inner.count_keys_of_owner(account_id, iam_id, kind)
    }
    fn keys_named(&self, account_id: &str, name: &str) -> StoreResult<Vec<ApiKey>> {
        let keys = self.inner.keys_named(account_id, name)?;
        self.seen.read(keys.len());
        Ok(keys)
    }
    fn scan_kind(
        &self,
        account_id: &str,
        kind: KeyKind,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> StoreResult<()> {
        self.seen.scans.lock().unwrap().push(kind);
        self.inner.scan_kind(account_id, kind, &mut |k| {
            self.seen.read(1);
            each(k)
        })
    }
    fn put_key(&self, key: &ApiKey, expected_tag: Option<&str>) -> StoreResult<()> {
        self.inner.put_key(key, expected_tag)
    }
    fn delete_key(&self, id: &str, expected_tag: &str) -> StoreResult<()> {
        self.inner.delete_key(id, expected_tag)
    }
    fn admit_sign_in(&self, id: &str, at: Timestamp) -> StoreResult<Admission> {
        self.inner.admit_sign_in(id, at)
    }
    fn settle_sign_in(
        &self,
        id: &str,
        at: Timestamp,
        right: bool,
        update: &dyn Fn(&mut ApiKey),
    ) -> StoreResult<ApiKey> {
        self.inner.settle_sign_in(id, at, right, update)
    }
    fn check(&self) -> StoreResult<Vec<String>> {
        self.inner.check()
    }
}

/// The reads behind the server's two commonest requests: getting one key
/// and listing one's own keys by iam_id each read the account record once
/// (it holds every member, so each read of it costs in a large account).
#[test]
fn getting_a_key_and_listing_ones_own_read_the_account_once() {
    let (_tmp, dir) = seeded();
    let seen = Arc::new(Counters::default());
    let svc = Service::with_storage(
        Box::new(Watched {
            inner: SledStore::open(&dir).unwrap(),
            seen: seen.clone(),
        }),
        HashParams::TEST,
    );
    let s = svc.sign_in_key(PLAIN_KEY, None).unwrap();
    let me = s.user.iam_id.clone();
    seen.reset();
    let mine = svc
        .list_of_identity(&s, &me, &ListQuery::default())
        .unwrap();
    assert_eq!(mine.rows.len(), 4);
    assert_eq!(seen.accounts(), 1, "list of one's own keys");
    assert_eq!(seen.reads(), 4);
    let id = mine.rows[0].key.id.clone();
    seen.reset();
    let row = svc.get(&s, &id).unwrap();
    assert_eq!(row.key.id, id);
    assert_eq!(row.owner, s.user.email, "the owner's name is shown");
    assert_eq!(seen.accounts(), 1, "get one key");
    assert_eq!(seen.reads(), 1);
}

/// The store decodes an account record once and hands out that decoding
/// while the record is unchanged; a change is seen at the next read, with
/// the names that go with it.
#[test]
fn an_account_is_decoded_again_only_when_its_record_changed() {
    let (_tmp, dir) = seeded();
    let st = SledStore::open(&dir).unwrap();
    let first = st.account("alpha").unwrap().unwrap();
    let again = st.account("alpha").unwrap().unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "an unchanged record is decoded once"
    );
    let beta = st.account("beta").unwrap().unwrap();
    assert_eq!(beta.id, "beta");
    assert!(st.account("no-such-account").unwrap().is_none());

    let mut changed = Account::clone(&first);
    changed.settings.restrict_api_key_creation = !first.settings.restrict_api_key_creation;
    let mut without_members = changed.clone();
    without_members.members.clear();
    // The account record holds the settings; members have their own
    // entries, which writing the account leaves as they are.
    st.put_account(&without_members).unwrap();
    let after = st.account("alpha").unwrap().unwrap();
    assert!(!Arc::ptr_eq(&first, &after));
    assert_eq!(*after, changed, "the change is read back, members and all");
    assert!(Arc::ptr_eq(&after, &st.account("alpha").unwrap().unwrap()));
    drop(st);

    // Through the service: the restriction is what the next request sees.
    let svc = Service::with_storage(Box::new(open_after_close(&dir)), HashParams::TEST);
    let owner = who(&svc, "owner@alpha.test", "alpha");
    let (settings, _) = svc.settings(&owner).unwrap();
    assert_eq!(
        settings.restrict_api_key_creation,
        changed.settings.restrict_api_key_creation
    );
    let flipped = svc
        .set_restrict_creation(&owner, !settings.restrict_api_key_creation)
        .unwrap();
    assert_eq!(
        svc.settings(&owner).unwrap().0.restrict_api_key_creation,
        flipped.restrict_api_key_creation
    );
    assert_ne!(
        flipped.restrict_api_key_creation,
        settings.restrict_api_key_creation
    );
}

#[test]
fn sign_in_and_the_my_view_read_only_their_own_keys() {
    let (_tmp, dir) = seeded();
    let seen = Arc::new(Counters::default());
    let svc = Service::with_storage(
        Box::new(Watched {
            inner: SledStore::open(&dir).unwrap(),
            seen: seen.clone(),
        }),
        HashParams::TEST,
    );
    // Sign-in: one lookup, whatever the number of keys.
    seen.reset();
    let s = svc.sign_in_key(PLAIN_KEY, None).unwrap();
    assert_eq!(seen.reads(), 1, "sign-in reads one key record");
    assert!(seen.scans().is_empty());
    // "My": plain's four keys through the owner index, no scan.
    seen.reset();
    assert_eq!(list(&svc, &s, ViewFilter::MyApiKeys).len(), 4);
    assert!(
        seen.scans().is_empty(),
        "the My view scanned {:?}",
        seen.scans()
    );
    assert_eq!(seen.reads(), 4);
    // The all-views scan their own kind only.
    let owner = who(&svc, "owner@alpha.test", "alpha");
    seen.reset();
    assert_eq!(list(&svc, &owner, ViewFilter::AllUserApiKeys).len(), 8);
    assert_eq!(seen.scans(), [KeyKind::User]);
    assert_eq!(seen.reads(), 8);
    seen.reset();
    list(&svc, &owner, ViewFilter::AllServiceIdApiKeys);
    assert_eq!(seen.scans(), [KeyKind::ServiceId]);
    assert_eq!(seen.reads(), 1);
}

/// A key named on the command line is found through the name index: only
/// the keys of that name are read, whoever asks and whatever they see.
#[test]
fn a_key_named_reads_only_the_keys_of_that_name() {
    let (_tmp, dir) = seeded();
    let seen = Arc::new(Counters::default());
    let svc = Service::with_storage(
        Box::new(Watched {
            inner: SledStore::open(&dir).unwrap(),
            seen: seen.clone(),
        }),
        HashParams::TEST,
    );
    let owner = who(&svc, "owner@alpha.test", "alpha");
    let plain = who(&svc, "plain@alpha.test", "alpha");
    // A unique name: one key read, no scan, for an Admin and for its user.
    for s in [&owner, &plain] {
        seen.reset();
        assert_eq!(svc.get(s, "plain-key").unwrap().key.name, "plain-key");
        assert!(seen.scans().is_empty(), "{:?}", seen.scans());
        assert_eq!(seen.reads(), 1 + 1, "the id probe and the key");
    }
    // A key the user cannot see: read, not shown.
    seen.reset();
    assert!(matches!(
        svc.get(&plain, "admin-key"),
        Err(ServiceError::NotFound(_))
    ));
    assert!(seen.scans().is_empty());
    assert_eq!(seen.reads(), 1 + 1);
    // A name no key has: nothing read but the id probe.
    seen.reset();
    assert!(matches!(
        svc.get(&owner, "no-such-key"),
        Err(ServiceError::NotFound(_))
    ));
    assert!(seen.scans().is_empty());
    assert_eq!(seen.reads(), 1, "the id probe only");
    // A shared name: the two classic keys, ambiguous to the owner.
    seen.reset();
    let err = svc
        .get(&owner, "Classic infrastructure API key")
        .unwrap_err();
    assert!(matches!(err, ServiceError::BadInput(_)), "{err}");
    assert!(err.to_string().contains("it names 2 keys"), "{err}");
    assert!(seen.scans().is_empty());
    assert_eq!(seen.reads(), 1 + 2);
}

#[test]
fn every_settings_change_is_recorded_and_moves_the_entity_tag() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let s = svc.sign_in_key(OWNER_KEY, None).unwrap();
    let (before, _) = svc.settings(&s).unwrap();
    let tag0 = service::settings_tag(&before);
    // The console's and the command line's toggle: an API client holding
    // the old tag must be refused afterwards.
    let after = svc.set_restrict_creation(&s, true).unwrap();
    let tag1 = service::settings_tag(&after);
    assert_ne!(tag0, tag1);
    let stale = svc.put_api_settings(&s, &tag0, std::collections::BTreeMap::new(), None);
    assert!(
        matches!(
            stale,
            Err(ServiceError::Denied(Denied::StaleEntityTag { .. }))
        ),
        "{stale:?}"
    );
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("mfa".to_string(), serde_json::json!("TOTP"));
    let put = svc.put_api_settings(&s, &tag1, fields, None).unwrap();
    let messages: Vec<&str> = put.history.iter().map(|h| h.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("restrict_create_platform_apikey RESTRICTED"));
    assert!(messages[1].contains("mfa"));
    assert!(put.history.iter().all(|h| h.actor == s.user.iam_id));
    drop(svc);
    // Kept across a reopen.
    let svc = open(&dir);
    let s = svc.sign_in_key(OWNER_KEY, None).unwrap();
    assert_eq!(svc.settings(&s).unwrap().0.history.len(), 2);
}

#[test]
fn history_keeps_the_creation_and_the_latest_entries_only() {
    let (_tmp, dir) = seeded();
    let svc = open(&dir);
    let s = svc.sign_in_key(PLAIN_KEY, None).unwrap();
    let n = iamkeys::domain::MAX_HISTORY + 20;
    for i in 0..n {
        svc.update(
            &s,
            "plain-key",
            &KeyUpdate {
                description: Some(format!("round {i}")),
                ..KeyUpdate::default()
            },
        )
        .unwrap();
    }
    drop(svc);
    let k = stored(&dir, "plain-key");
    assert_eq!(k.history.len(), iamkeys::domain::MAX_HISTORY);
    assert_eq!(k.history[0].action, "create");
    assert!(k.history.iter().skip(1).all(|h| h.action == "edit"));
    assert_eq!(k.description, format!("round {}", n - 1));
}

/// A listing larger than its memory budget is sorted in runs on disk and
/// merged: with a budget of one byte (every row its own run), every view,
/// sort, order and page gives exactly the rows the in-memory listing
/// gives, leaked marks, histories and all.
#[test]
fn a_listing_spilled_to_disk_is_the_listing_held_in_memory() {
    let (_tmp, dir) = seeded();
    let svc = Service::open(&dir, HashParams::TEST).unwrap();
    let mut compared = 0;
    for (email, account) in [("owner@alpha.test", "alpha"), ("plain@alpha.test", "alpha")] {
        let s = who(&svc, email, account);
        for view in svc.views(&s).unwrap().into_iter().map(|v| v.view) {
            for sort in iamkeys::service::SortField::ALL {
                for desc in [false, true] {
                    for (offset, limit, search) in [
                        (0, None, ""),
                        (1, Some(2), ""),
                        (0, None, "key"),
                        (50, None, ""),
                    ] {
                        let q = ListQuery {
                            view,
                            search: search.into(),
                            sort,
                            desc,
                            offset,
                            limit,
                        };
                        let held = svc.list(&s, &q).unwrap();
                        for budget in [1, usize::MAX] {
                            let page = svc.list_stream_within(&s, &q, budget).unwrap();
                            assert_eq!((page.total, page.offset), (held.total, held.offset));
                            assert_eq!(page.len, held.rows.len());
                            let rows: Vec<_> = page.rows.map(Result::unwrap).collect();
                            assert_eq!(rows, held.rows, "{email} {view:?} {sort:?} desc={desc}");
                        }
                        compared += held.rows.len();
                    }
                }
            }
        }
    }
    assert!(compared > 100, "{compared} rows compared");
}
