//! The seed's Table 1 over HTTP: the hand-written matrix of
//! `access_matrix.rs` (its tables, its account, its expectations, unchanged)
//! asked of a real `iamkeys serve` instead of the pure functions.
//!
//! The matrix account is written as a demo fixture (the same hierarchy,
//! roles, functional bot and service ID, in each kind of account), with one
//! pre-made key per cell: for each (persona, target, locked or not, action)
//! a key of the target's owner, locked as the cell says, disabled when the
//! action is "enable". Personas sign in with the demo's persona grant.
//!
//! Classic infrastructure keys are the one thing the fixture format cannot
//! write as the table needs them: it allows one classic key per user, never
//! locked, and none in an account without classic infrastructure. Those
//! states cannot be reached through the product either (a classic key
//! cannot be locked, and classic infrastructure is fixed at seeding), so
//! the classic keys are added to the store's seed directly, next to the
//! validated fixture, to show that the server refuses them all the same.
//!
//! How a cell reads over HTTP: view `GET /v1/apikeys/{id}`, edit `PUT` (with
//! `If-Match: *`), delete `DELETE`, lock/unlock `POST`/`DELETE …/lock`,
//! disable/enable `POST`/`DELETE …/disable`. "✓" is 200 (view, edit) or 204;
//! a key whose view is refused is invisible: 404 for every action; a
//! visible key refused by a role rule (U, S, C) is 403, by its lock state
//! (L, l, u) 409.

use std::collections::HashMap;
use std::fmt::Write as _;

use iamkeys::access::{Denied, KeyAction, ViewFilter};
use iamkeys::domain::{Account, ApiKey, Born, KeyKind, Membership, Role, User};
use serde_json::{Value, json};

use crate::access_matrix::{
    ACCOUNTS, ACTIONS, CREATE_AND_VIEWS, LABELS, PERSONAS, SERVICE_ID, VIEW_ACTIONS, WITH_CLASSIC,
    WITHOUT_CLASSIC, account, cells, id, target_owner,
};
use crate::server_common::{Answer, Http, Server};

/// The matrix's service ID, by its name in the fixture.
const SERVICE_NAME: &str = "billing";
const MISMATCH: &str = "The specified IAM ID does not match the IAM ID in the token";

// ---- the fixture -------------------------------------------------------------

/// A user or service ID key the fixture writes.
struct FxKey {
    name: String,
    /// A member's email, or `service_id:<name>`.
    owner: String,
    locked: bool,
    disabled: bool,
}

/// A classic key added to the seed: account, owner's email, locked,
/// disabled, and the label it is found by.
struct ClassicKey {
    account: String,
    owner: String,
    locked: bool,
    disabled: bool,
    label: String,
}

struct FxAccount {
    acc: Account,
    limit: u32,
    keys: Vec<FxKey>,
}

/// The email of a member of the matrix account, by its matrix IAM ID.
fn email_of(acc: &Account, matrix_iam: &str) -> String {
    acc.members
        .iter()
        .find(|m| m.iam_id == matrix_iam)
        .map_or_else(
            || panic!("{matrix_iam} is not a member of {}", acc.id),
            |m| m.email.clone(),
        )
}

/// The email of a persona (or any member) by name.
fn email(name: &str) -> String {
    format!("{name}@example.test")
}

/// The IAM ID the store gives a user of the fixture.
fn iam(name: &str) -> String {
    User::iam_id_for(&email(name))
}

fn role_name(r: Role) -> String {
    serde_json::to_value(r)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// The fixture, in the documented format (version 1, `demo: true`).
fn fixture_yaml(accounts: &[FxAccount]) -> String {
    let mut users: Vec<String> = Vec::new();
    for a in accounts {
        for m in &a.acc.members {
            if !users.contains(&m.email) {
                users.push(m.email.clone());
            }
        }
    }
    let mut y = String::from("version: 1\ndemo: true\nusers:\n");
    for e in &users {
        let name = e.split('@').next().unwrap();
        write!(y, "  - email: \"{e}\"\n    name: \"{name}\"\n").unwrap();
        if name == "bot" {
            y += "    functional: true\n";
        }
    }
    y += "accounts:\n";
    for a in accounts {
        let acc = &a.acc;
        let owner = email_of(acc, &acc.owner);
        write!(y,
            "  - id: {}\n    name: \"{}\"\n    owner: \"{owner}\"\n    classic_infrastructure: {}\n",
            acc.id, acc.name, acc.classic_infrastructure
        ).unwrap();
        write!(
            y,
            "    settings:\n      restrict_api_key_creation: {}\n      api_keys_per_identity: {}\n",
            acc.settings.restrict_api_key_creation, a.limit
        )
        .unwrap();
        y += "    members:\n";
        for m in &acc.members {
            let roles: Vec<String> = m
                .roles
                .iter()
                .map(|r| format!("\"{}\"", role_name(*r)))
                .collect();
            if m.iam_id == acc.owner && roles.is_empty() {
                continue;
            }
            writeln!(y, "      - user: \"{}\"", m.email).unwrap();
            if let Some(by) = &m.invited_by {
                writeln!(y, "        invited_by: \"{}\"", email_of(acc, by)).unwrap();
            }
            if !roles.is_empty() {
                writeln!(y, "        roles: [{}]", roles.join(", ")).unwrap();
            }
        }
        write!(y, "    service_ids:\n      - name: {SERVICE_NAME}\n").unwrap();
        if !a.keys.is_empty() {
            y += "    api_keys:\n";
            for k in &a.keys {
                write!(
                    y,
                    "      - name: \"{}\"\n        owner: \"{}\"\n",
                    k.name, k.owner
                )
                .unwrap();
                if k.locked {
                    y += "        locked: true\n";
                }
                if k.disabled {
                    y += "        disabled: true\n";
                }
            }
        }
    }
    y
}

/// A running server over the fixture (plus classic keys), with the ids of
/// the keys by (account, name or label) and the service ID's IAM ID per
/// account.
struct Matrix {
    server: Server,
    ids: HashMap<(String, String), String>,
    sids: HashMap<String, String>,
    _tmp: tempfile::TempDir,
}

impl Matrix {
    fn key(&self, account: &str, label: &str) -> &str {
        self.ids
            .get(&(account.to_string(), label.to_string()))
            .unwrap_or_else(|| panic!("no key {label:?} in {account}"))
    }
}

fn start(accounts: &[FxAccount], classic: &[ClassicKey]) -> Matrix {
    let yaml = fixture_yaml(accounts);
    let fx = iamkeys::fixture::parse(&yaml, "matrix.yaml")
        .unwrap_or_else(|e| panic!("the matrix fixture is valid: {e}"));
    let now = iamkeys::service::now();
    let (mut seed, boots) = iamkeys::fixture::to_seed(&fx, iamkeys::secret::HashParams::TEST, now);
    assert!(boots.is_empty(), "a demo fixture has no bootstrap keys");
    let mut ids = HashMap::new();
    for k in &seed.keys {
        let old = ids.insert((k.account_id.clone(), k.name.clone()), k.id.clone());
        assert!(old.is_none(), "key names are unique: {}", k.name);
    }
    for c in classic {
        let owner = User::iam_id_for(&c.owner);
        let key_id = ApiKey::new_id();
        let mut key = ApiKey::new(
            Born {
                id: key_id.clone(),
                kind: KeyKind::Classic,
                account_id: &c.account,
                iam_id: owner.clone(),
                created_by: owner,
                at: now,
                name: "Classic infrastructure API key".into(),
                description: String::new(),
            },
            "Created for the access matrix",
        );
        key.locked = c.locked;
        key.disabled = c.disabled;
        seed.keys.push(key);
        ids.insert((c.account.clone(), c.label.clone()), key_id);
    }
    let sids = seed
        .service_ids
        .iter()
        .map(|s| (s.account_id.clone(), s.iam_id.clone()))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    iamkeys::store::SledStore::create(&dir, &seed, true, "matrix.yaml", false).unwrap();
    Matrix {
        server: Server::start(&dir),
        ids,
        sids,
        _tmp: tmp,
    }
}

// ---- asking a cell ------------------------------------------------------------

fn label(persona: &str, target: &str, locked: bool, action: KeyAction) -> String {
    let state = if locked { "locked" } else { "unlocked" };
    format!("{persona} {target} {state} {}", action.id())
}

fn act(h: &Http, action: KeyAction, key: &str) -> Answer {
    let p = format!("/v1/apikeys/{key}");
    // No body and no length: the client sends an empty chunked body, which
    // the server reads to its end before it answers, so the connection
    // stays usable for the next request.
    let empty: [(&str, &str); 0] = [];
    match action {
        KeyAction::View => h.get(&p),
        KeyAction::Edit => h.call(
            "PUT",
            &p,
            &[("If-Match", "*")],
            Some(&json!({"description": "x"})),
        ),
        KeyAction::Delete => h.call("DELETE", &p, &empty, None),
        KeyAction::Lock => h.call("POST", &format!("{p}/lock"), &empty, None),
        KeyAction::Unlock => h.call("DELETE", &format!("{p}/lock"), &empty, None),
        KeyAction::Disable => h.call("POST", &format!("{p}/disable"), &empty, None),
        KeyAction::Enable => h.call("DELETE", &format!("{p}/disable"), &empty, None),
        KeyAction::Create => unreachable!("create is not an action on a key"),
        // Not a Table 1 action: the matrix walks KeyAction::ALL only.
        KeyAction::Rotate => unreachable!("rotate is not in Table 1"),
    }
}

/// The status a cell means over HTTP, given the cell of "view" on the same
/// key (a key whose view is refused is not there for the caller).
fn status_of(view: &str, cell: &str, action: KeyAction) -> u16 {
    if view != "✓" {
        return 404;
    }
    match cell {
        "✓" if matches!(action, KeyAction::View | KeyAction::Edit) => 200,
        "✓" => 204,
        "U" | "S" | "C" | "A" | "N" => 403,
        "L" | "l" | "u" => 409,
        other => panic!("no HTTP meaning for {other:?} on a key"),
    }
}

/// IBM's message code for an error status, as the server maps refusals.
fn message_code(status: u16) -> Option<&'static str> {
    match status {
        400 => Some("BXNIM0109E"),
        403 => Some("BXNIM0513E"),
        404 => Some("BXNIM0102E"),
        409 => Some("BXNIM0509E"),
        422 => Some("BXNIM0151E"),
        _ => None,
    }
}

/// Checks an answer's status and, for a refusal, IBM's message code and
/// (where the legend letter is one refusal) the service's own words.
fn check_answer(want: u16, cell: &str, got: &Answer, what: &str, failures: &mut Vec<String>) {
    if got.status != want {
        failures.push(format!(
            "{what}: expected {cell} = {want}, got {}: {}",
            got.status, got.text
        ));
        return;
    }
    if let Some(code) = message_code(want) {
        let e = &got.body["errors"][0];
        if e["message_code"] != code
            || got.body["status_code"]
                .as_str()
                .and_then(|c| c.parse::<u16>().ok())
                != Some(want)
        {
            failures.push(format!("{what}: expected IBM's {code}, got {}", got.text));
        }
        let message = e["message"].as_str().unwrap_or_default();
        let words = match (want, cell) {
            (403, "C") => Some(Denied::ClassicKeyViewDeleteOnly.to_string()),
            (409, "l") => Some(Denied::AlreadyLocked.to_string()),
            (409, "u") => Some(Denied::NotLocked.to_string()),
            _ => None,
        };
        if words.is_some_and(|w| !message.ends_with(&w))
            || (cell == "L" && !message.contains("unlock"))
        {
            failures.push(format!(
                "{what}: the refusal does not name rule {cell}: {message:?}"
            ));
        }
    }
}

/// The mismatches found, and how many answers were checked.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
    asked: usize,
}

impl Checks {
    fn answer(&mut self, want: u16, cell: &str, got: &Answer, what: &str) {
        self.asked += 1;
        check_answer(want, cell, got, what, &mut self.failures);
    }

    fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    fn assert_none(self) {
        eprintln!("{} answers checked", self.asked);
        assert!(
            self.failures.is_empty(),
            "{} cells differ from Table 1 over HTTP:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// After an allowed action, the key is as the action left it.
fn check_effect(
    h: &Http,
    action: KeyAction,
    key: &str,
    got: &Answer,
    what: &str,
) -> Option<String> {
    let after = h.get(&format!("/v1/apikeys/{key}"));
    let ok = match action {
        KeyAction::View => got.body["id"] == key,
        KeyAction::Edit => got.body["description"] == "x" && after.body["description"] == "x",
        KeyAction::Delete => after.status == 404,
        KeyAction::Lock => after.body["locked"] == true,
        KeyAction::Unlock => after.body["locked"] == false,
        KeyAction::Disable => after.body["disabled"] == true,
        KeyAction::Enable => after.body["disabled"] == false,
        KeyAction::Create | KeyAction::Rotate => unreachable!(),
    };
    (!ok).then(|| format!("{what}: allowed, but the key is then {}", after.text))
}

fn check_key_table_over_http(table: &[(&str, &str, &str, &str)], classic: bool) {
    let kinds = [(classic, false), (classic, true)];
    let mut accounts = Vec::new();
    let mut classic_keys = Vec::new();
    for (c, r) in kinds {
        let acc = account(c, r);
        let mut keys = Vec::new();
        for (persona, target, _, _) in table {
            let (kind, owner) = target_owner(persona, target);
            for locked in [false, true] {
                for action in ACTIONS {
                    let name = label(persona, target, locked, action);
                    let disabled = action == KeyAction::Enable;
                    match kind {
                        KeyKind::Classic => classic_keys.push(ClassicKey {
                            account: acc.id.clone(),
                            owner: email_of(&acc, &owner),
                            locked,
                            disabled,
                            label: name,
                        }),
                        KeyKind::ServiceId => {
                            assert_eq!(owner, SERVICE_ID);
                            keys.push(FxKey {
                                name,
                                owner: format!("service_id:{SERVICE_NAME}"),
                                locked,
                                disabled,
                            });
                        }
                        KeyKind::User => keys.push(FxKey {
                            name,
                            owner: email_of(&acc, &owner),
                            locked,
                            disabled,
                        }),
                    }
                }
            }
        }
        if classic {
            // ancestry_reaches_any_depth: a classic key of plain-g for each
            // of its ancestors to delete, and one the admin (a sibling
            // branch) cannot see.
            for who in ["owner", "sponsor", "plain", "plain-c", "admin"] {
                classic_keys.push(ClassicKey {
                    account: acc.id.clone(),
                    owner: email("plain-g"),
                    locked: false,
                    disabled: false,
                    label: format!("plain-g for {who}"),
                });
            }
        }
        // The stranger and the service ID hold a key per persona and cell:
        // far more than the matrix account's 20, which no key action reads.
        accounts.push(FxAccount {
            acc,
            limit: 1000,
            keys,
        });
    }
    let m = start(&accounts, &classic_keys);
    let anon = m.server.client();
    let mut failures = Vec::new();
    let mut asked = 0usize;
    for (c, r) in kinds {
        let acc = account(c, r);
        let mut clients: HashMap<&str, Http> = HashMap::new();
        for (persona, target, unlocked, locked_row) in table {
            let h = clients
                .entry(persona)
                .or_insert_with(|| anon.as_persona_in(&email(persona), &acc.id))
                .clone();
            for (is_locked, row) in [(false, unlocked), (true, locked_row)] {
                let row = cells(row);
                let visible = row[0] == "✓";
                let state = if is_locked { "locked" } else { "unlocked" };
                for (i, action) in ACTIONS.iter().enumerate() {
                    let key = m.key(&acc.id, &label(persona, target, is_locked, *action));
                    let what = format!("{} / {persona} / {action:?} on {target} ({state})", acc.id);
                    // Before the action, the key's details list exactly the
                    // allowed cells (key_actions): on an enabled key all but
                    // "enable", on a disabled one all but "disable".
                    if matches!(action, KeyAction::View | KeyAction::Enable) {
                        let skip = if *action == KeyAction::Enable {
                            KeyAction::Disable
                        } else {
                            KeyAction::Enable
                        };
                        let expected: Vec<&str> = ACTIONS
                            .iter()
                            .zip(&row)
                            .filter(|(a, c)| **a != skip && **c == "✓")
                            .map(|(a, _)| a.id())
                            .collect();
                        let got = h.get(&format!("/iamkeys/v1/keys/{key}"));
                        asked += 1;
                        let ok = if visible {
                            got.status == 200 && got.body["actions"] == json!(expected)
                        } else {
                            got.status == 404
                        };
                        if !ok {
                            failures.push(format!(
                                "{what}: details should be {} with actions {expected:?}, got {}: {}",
                                if visible { 200 } else { 404 },
                                got.status,
                                got.body["actions"]
                            ));
                        }
                    }
                    let want = status_of(row[0], row[i], *action);
                    let got = act(&h, *action, key);
                    asked += 1;
                    let before = failures.len();
                    check_answer(want, row[i], &got, &what, &mut failures);
                    if failures.len() == before
                        && row[i] == "✓"
                        && let Some(f) = check_effect(&h, *action, key, &got, &what)
                    {
                        failures.push(f);
                    }
                }
            }
        }
        if classic {
            for who in ["owner", "sponsor", "plain", "plain-c", "admin"] {
                let h = anon.as_persona_in(&email(who), &acc.id);
                let key = m.key(&acc.id, &format!("plain-g for {who}"));
                let got = act(&h, KeyAction::Delete, key);
                asked += 1;
                let (want, cell) = if who == "admin" {
                    (404, "A")
                } else {
                    (204, "✓")
                };
                let what = format!("{} / {who} / deletes plain-g's classic key", acc.id);
                check_answer(want, cell, &got, &what, &mut failures);
            }
        }
    }
    eprintln!("{asked} requests asked of the server");
    assert!(
        failures.is_empty(),
        "{} cells differ from Table 1 over HTTP:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn key_actions_over_http_with_classic_infrastructure() {
    check_key_table_over_http(WITH_CLASSIC, true);
}

#[test]
fn key_actions_over_http_without_classic_infrastructure() {
    check_key_table_over_http(WITHOUT_CLASSIC, false);
}

// ---- views and creation --------------------------------------------------------

/// An account of its own for the outsider, who is a member of none of the
/// matrix accounts.
fn elsewhere() -> Account {
    let mut acc = account(false, false);
    acc.id = "elsewhere".into();
    acc.owner = id("outsider");
    acc.members = vec![Membership {
        iam_id: id("outsider"),
        email: email("outsider"),
        invited_by: None,
        roles: std::collections::BTreeSet::new(),
    }];
    acc
}

/// The status a creation cell means: "✓" 201; a refusal of a rule 403;
/// the one classic key a user may hold is a limit, 422 as IBM's limit is.
fn create_status(cell: &str) -> u16 {
    match cell {
        "✓" => 201,
        "R" | "K" | "N" | "G" | "M" => 403,
        "X" => 422,
        other => panic!("no HTTP meaning for {other:?} on creating"),
    }
}

#[test]
fn views_and_creation_per_persona_over_http() {
    let mut accounts: Vec<FxAccount> = ACCOUNTS
        .iter()
        .map(|(c, r)| {
            let acc = account(*c, *r);
            FxAccount {
                limit: acc.settings.api_keys_per_identity,
                acc,
                keys: Vec::new(),
            }
        })
        .collect();
    accounts.push(FxAccount {
        acc: elsewhere(),
        limit: 20,
        keys: Vec::new(),
    });
    let m = start(&accounts, &[]);
    let anon = m.server.client();
    let mut ck = Checks::default();
    for ((classic, restrict), rows) in CREATE_AND_VIEWS {
        let acc = account(*classic, *restrict);
        let sid = m.sids[&acc.id].clone();
        let mut members_key = None;
        for (persona, views, user, svc, classic_new, classic_again, settings) in *rows {
            let at = |what: &str| format!("{} / {persona} / {what}", acc.id);
            if *persona == "outsider" {
                for cell in [user, svc, classic_new, classic_again, settings] {
                    assert_eq!(*cell, "M", "the outsider is refused as not a member");
                }
                check_outsider(&anon, &acc, members_key.as_deref(), &mut ck);
                continue;
            }
            let h = anon.as_persona_in(&email(persona), &acc.id);
            let me = iam(persona);
            let want: Vec<&str> = views.split_whitespace().collect();

            // The View filter options, their labels and actions, holding no key.
            let got = h.get("/iamkeys/v1/views");
            let expected: Vec<Value> = want
                .iter()
                .map(|v| {
                    let create = match *v {
                        "my" => *user == "✓",
                        "classic" => *classic_new == "✓",
                        _ => true,
                    };
                    let (_, with, without) = VIEW_ACTIONS.iter().find(|(id, ..)| id == v).unwrap();
                    let actions: Vec<&str> =
                        if create { *with } else { *without }.split(' ').collect();
                    let label = LABELS.iter().find(|(id, _)| id == v).unwrap().1;
                    json!({"view": v, "label": label, "actions": actions, "refused": !create})
                })
                .collect();
            let shown: Vec<Value> = got
                .body
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            json!({"view": v["view"], "label": v["label"], "actions": v["actions"],
                                   "refused": !v["create_refused"].is_null()})
                        })
                        .collect()
                })
                .unwrap_or_default();
            ck.asked += 1;
            if got.status != 200 || shown != expected {
                ck.fail(format!(
                    "{}: expected {expected:?}, got {}: {shown:?}",
                    at("views"),
                    got.status
                ));
            }
            // A view not offered is refused when asked for directly, on the
            // iamkeys listing and on IBM's list operation.
            for v in ViewFilter::ALL {
                let offered = want.contains(&v.id());
                let got = h.get(&format!("/iamkeys/v1/keys?view={}", v.id()));
                ck.answer(
                    if offered { 200 } else { 403 },
                    if offered { "✓" } else { "view" },
                    &got,
                    &at(&format!("listing view {}", v.id())),
                );
            }
            for (ty, view) in [("user", "users"), ("serviceid", "service-ids")] {
                let offered = want.contains(&view);
                let got = h.get(&format!("/v1/apikeys?scope=account&type={ty}"));
                ck.answer(
                    if offered { 200 } else { 403 },
                    if offered { "✓" } else { "view" },
                    &got,
                    &at(&format!("list scope=account type={ty}")),
                );
            }
            // Another user's keys by iam_id: with the all-users view, listed;
            // without it, IBM's 400.
            let others = h.get(&format!("/v1/apikeys?iam_id={}", iam("stranger")));
            if want.contains(&"users") {
                ck.answer(200, "✓", &others, &at("list another user's keys"));
            } else {
                ck.answer(400, "view", &others, &at("list another user's keys"));
                if others.body["errors"][0]["message"] != MISMATCH {
                    ck.fail(format!(
                        "{}: {}",
                        at("list another user's keys"),
                        others.text
                    ));
                }
            }

            // Creating: a key for oneself, for the service ID, a classic
            // key, a second classic key.
            let mine = h.post("/v1/apikeys", &json!({"name": "mine", "iam_id": me}));
            ck.answer(create_status(user), user, &mine, &at("create user key"));
            if members_key.is_none() && mine.status == 201 {
                members_key = mine.body["id"].as_str().map(str::to_string);
            }
            let s = h.post(
                "/v1/apikeys",
                &json!({"name": format!("svc {persona}"), "iam_id": sid}),
            );
            ck.answer(create_status(svc), svc, &s, &at("create service ID key"));
            let first = h.post("/iamkeys/v1/classic_keys", &json!({}));
            ck.answer(
                create_status(classic_new),
                classic_new,
                &first,
                &at("create classic key"),
            );
            let again = h.post("/iamkeys/v1/classic_keys", &json!({}));
            ck.answer(
                create_status(classic_again),
                classic_again,
                &again,
                &at("create a second classic key"),
            );
            if *classic_again == "X"
                && !again.body["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.ends_with(&Denied::ClassicKeyExists.to_string()))
            {
                ck.fail(format!(
                    "{}: {}",
                    at("create a second classic key"),
                    again.text
                ));
            }
            // A key for another user: IBM's 400, whoever asks.
            let theirs = h.post(
                "/v1/apikeys",
                &json!({"name": "theirs", "iam_id": iam("stranger")}),
            );
            ck.answer(400, "iam_id", &theirs, &at("create a key for another user"));
            if theirs.body["errors"][0]["message"] != MISMATCH {
                ck.fail(format!(
                    "{}: {}",
                    at("create a key for another user"),
                    theirs.text
                ));
            }

            // The restriction setting: shown as changeable or not, and a
            // change (to its current value) allowed or refused.
            let path = format!("/v1/accounts/{}/settings/identity", acc.id);
            let read = h.get(&path);
            ck.asked += 1;
            let refused = !read.body["iamkeys_change_refused"].is_null();
            if read.status != 200 || refused != (*settings != "✓") {
                ck.fail(format!("{}: {}", at("settings read"), read.text));
            }
            let value = if *restrict {
                "RESTRICTED"
            } else {
                "NOT_RESTRICTED"
            };
            let put = h.call(
                "PUT",
                &path,
                &[("If-Match", "*")],
                Some(&json!({"restrict_create_platform_apikey": value})),
            );
            ck.answer(
                if *settings == "✓" { 200 } else { 403 },
                settings,
                &put,
                &at("change settings"),
            );
        }
    }
    ck.assert_none();
}

/// The outsider's row: no token for the account, and with a token for
/// their own account, every request naming the matrix account refused and
/// its keys not there.
fn check_outsider(anon: &Http, acc: &Account, members_key: Option<&str>, ck: &mut Checks) {
    let at = |what: &str| format!("{} / outsider / {what}", acc.id);
    let token = anon.token_for(&[
        ("grant_type", "urn:iamkeys:params:oauth:grant-type:persona"),
        ("email", &email("outsider")),
        ("account", &acc.id),
    ]);
    ck.asked += 1;
    let not_member = Denied::NotMember(acc.id.clone()).to_string();
    let details = token.body["errorDetails"].as_str().unwrap_or_default();
    if token.status != 400 || !details.ends_with(&not_member) {
        ck.fail(format!("{}: {}", at("sign in"), token.text));
    }
    let h = anon.as_persona_in(&email("outsider"), "elsewhere");
    let me = iam("outsider");
    let create = h.post(
        "/v1/apikeys",
        &json!({"name": "in", "iam_id": me, "account_id": acc.id}),
    );
    ck.answer(403, "M", &create, &at("create user key"));
    let list = h.get(&format!("/v1/apikeys?account_id={}", acc.id));
    ck.answer(403, "M", &list, &at("list"));
    let path = format!("/v1/accounts/{}/settings/identity", acc.id);
    ck.answer(403, "M", &h.get(&path), &at("settings read"));
    let put = h.call(
        "PUT",
        &path,
        &[("If-Match", "*")],
        Some(&json!({"restrict_create_platform_apikey": "NOT_SET"})),
    );
    ck.answer(403, "M", &put, &at("change settings"));
    match members_key {
        Some(key) => {
            for action in ACTIONS {
                let got = act(&h, action, key);
                ck.answer(
                    404,
                    "M",
                    &got,
                    &at(&format!("{action:?} on a member's key")),
                );
            }
        }
        None => ck.fail(at("no member's key to try")),
    }
}

// ---- the limit and the restriction ---------------------------------------------

#[test]
fn per_identity_limit_over_http() {
    // api_keys_per_identity = 3: two keys leave room, three do not.
    let key = |n: usize, owner: &str| FxKey {
        name: format!("held {n} {owner}"),
        owner: owner.to_string(),
        locked: false,
        disabled: false,
    };
    let svc = format!("service_id:{SERVICE_NAME}");
    let mut open = account(true, false);
    open.id = "limit-3".into();
    let mut restricted = account(true, true);
    restricted.id = "limit-3-restricted".into();
    let mut owner_creator = account(false, true);
    owner_creator.id = "owner-creator".into();
    owner_creator.members[0]
        .roles
        .insert(Role::UserApiKeyCreator);
    let accounts = [
        FxAccount {
            acc: open,
            limit: 3,
            keys: (0..2)
                .flat_map(|n| [key(n, &email("plain")), key(n, &svc)])
                .collect(),
        },
        FxAccount {
            acc: restricted,
            limit: 3,
            keys: (0..3)
                .flat_map(|n| [key(n, &email("plain")), key(n, &email("creator"))])
                .collect(),
        },
        FxAccount {
            acc: owner_creator,
            limit: 20,
            keys: Vec::new(),
        },
    ];
    let m = start(&accounts, &[]);
    let anon = m.server.client();
    let mut failures = Vec::new();
    let mut check = |account: &str, who: &str, what: &str, want: u16, cell: &str, body: Value| {
        let h = anon.as_persona_in(&email(who), account);
        let got = h.post("/v1/apikeys", &body);
        check_answer(
            want,
            cell,
            &got,
            &format!("{account} / {who} / {what}"),
            &mut failures,
        );
    };
    let user_key = |who: &str| json!({"name": "one more", "iam_id": iam(who)});
    let svc_key = |account: &str| json!({"name": "one more", "iam_id": m.sids[account]});
    check("limit-3", "plain", "third key", 201, "✓", user_key("plain"));
    check(
        "limit-3",
        "plain",
        "fourth key",
        422,
        "limit",
        user_key("plain"),
    );
    check(
        "limit-3",
        "admin",
        "service ID's third",
        201,
        "✓",
        svc_key("limit-3"),
    );
    check(
        "limit-3",
        "admin",
        "service ID's fourth",
        422,
        "limit",
        svc_key("limit-3"),
    );
    // The restriction is named before the limit for someone it blocks...
    check(
        "limit-3-restricted",
        "plain",
        "over the limit, restricted",
        403,
        "R",
        user_key("plain"),
    );
    check(
        "limit-3-restricted",
        "creator",
        "over the limit",
        422,
        "limit",
        user_key("creator"),
    );
    // ...and the restriction spares service ID keys.
    check(
        "limit-3-restricted",
        "admin",
        "service ID key, restricted",
        201,
        "✓",
        svc_key("limit-3-restricted"),
    );
    // The owner with the creator role may create under the restriction.
    check(
        "owner-creator",
        "owner",
        "own key as a creator",
        201,
        "✓",
        user_key("owner"),
    );
    assert!(
        failures.is_empty(),
        "{} cells differ from Table 1 over HTTP:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The limit's refusal is IBM's, naming the limit.
    let h = anon.as_persona_in(&email("plain"), "limit-3");
    let over = h.post("/v1/apikeys", &user_key("plain"));
    assert!(
        over.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("limit of 3")),
        "{}",
        over.text
    );
}

#[test]
fn the_http_matrix_covers_every_persona() {
    // The personas the fixture signs in are the matrix's own.
    let acc = account(true, false);
    for (persona, role) in PERSONAS {
        let m = acc
            .members
            .iter()
            .find(|m| m.iam_id == id(persona))
            .unwrap();
        assert_eq!(m.email, email(persona));
        assert_eq!(m.roles.iter().next().copied(), role);
    }
}
