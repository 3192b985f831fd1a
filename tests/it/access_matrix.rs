//! The seed's Table 1 (and spec §2), as a table written out by hand.
//!
//! Every expected value below is a literal, read off the seed's Table 1 and
//! the product specification; nothing is computed by the code under test.
//!
//! The account used for every persona:
//!
//! ```text
//! owner ─┬─ sponsor ─┬─ admin ──── admin-c ──── admin-g
//!        │           ├─ editor ─── editor-c ─── editor-g
//!        │           ├─ operator ─ operator-c ─ operator-g
//!        │           ├─ viewer ─── viewer-c ─── viewer-g
//!        │           ├─ creator ── creator-c ── creator-g
//!        │           ├─ plain ──── plain-c ──── plain-g
//!        │           └─ bot ────── bot-c ────── bot-g      (functional ID)
//!        ├─ stranger
//!        └─ owner-c ── owner-g
//! ```
//!
//! For persona X: "descendant" is X-g (two levels down), "ancestor" is the
//! sponsor (X's inviter), "unrelated" is the stranger, and "other user" is
//! the stranger too. The owner has no ancestor and nobody is unrelated to
//! the owner (everyone descends from the owner), so those two rows are left
//! out for the owner.

use std::collections::BTreeSet;

use iamkeys::access::{
    self, Denied, KeyAction, KeyFacts, ViewFilter, key_actions, may_change_settings,
    may_create_classic_key, may_create_service_key, may_create_user_key,
};
use iamkeys::domain::{Account, AccountSettings, KeyKind, Membership, Role};

const SERVICE_ID: &str = "iam-ServiceId-0000-billing";

/// (persona, the one role it holds on the IAM Identity service). `bot` is a
/// functional ID: a user ID that stands for a program, with no roles.
const PERSONAS: [(&str, Option<Role>); 8] = [
    ("owner", None),
    ("admin", Some(Role::Administrator)),
    ("editor", Some(Role::Editor)),
    ("operator", Some(Role::Operator)),
    ("viewer", Some(Role::Viewer)),
    ("creator", Some(Role::UserApiKeyCreator)),
    ("plain", None),
    ("bot", None),
];

fn id(name: &str) -> String {
    format!("IBMid-{name}")
}

fn member(name: &str, invited_by: Option<&str>, roles: &[Role]) -> Membership {
    Membership {
        iam_id: id(name),
        email: format!("{name}@example.test"),
        invited_by: invited_by.map(id),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn account(classic: bool, restrict: bool) -> Account {
    let mut members = vec![
        member("owner", None, &[]),
        member("sponsor", Some("owner"), &[]),
        member("stranger", Some("owner"), &[]),
        member("owner-c", Some("owner"), &[]),
        member("owner-g", Some("owner-c"), &[]),
    ];
    for (name, role) in PERSONAS.iter().skip(1) {
        let roles: Vec<Role> = role.iter().copied().collect();
        members.push(member(name, Some("sponsor"), &roles));
        members.push(member(&format!("{name}-c"), Some(name), &[]));
        members.push(member(
            &format!("{name}-g"),
            Some(&format!("{name}-c")),
            &[],
        ));
    }
    Account {
        id: format!("acct-classic-{classic}-restrict-{restrict}"),
        name: "Matrix".into(),
        owner: id("owner"),
        classic_infrastructure: classic,
        settings: AccountSettings {
            restrict_api_key_creation: restrict,
            api_keys_per_identity: 20,
            ..AccountSettings::default()
        },
        members,
    }
}

/// The four kinds of account the table is checked in.
const ACCOUNTS: [(bool, bool); 4] = [(true, false), (true, true), (false, false), (false, true)];

// ---------------------------------------------------------------------------
// Legend for the cells below.
//
//   ✓  allowed
//   U  Denied::NotKeyUserOrAdmin      (user keys: only the key's user or an Admin)
//   S  Denied::ServiceKeyNeedsAdmin   (service ID keys: Admin only)
//   A  Denied::NotClassicAncestor     (classic keys: only their user or an ancestor)
//   C  Denied::ClassicKeyViewDeleteOnly (classic keys: "View details and delete")
//   N  Denied::NoClassicInfrastructure
//   L  Denied::LockedKey              (locked keys are immutable until unlocked)
//   l  Denied::AlreadyLocked
//   u  Denied::NotLocked
//   R  Denied::CreationRestricted
//   K  Denied::ServiceKeyCreateNeedsRole
//   X  Denied::ClassicKeyExists
//   G  Denied::SettingsNeedRole
//   M  Denied::NotMember
//
// Action columns, in order:  view edit delete lock unlock disable enable
// ("disable" is tried on an enabled key, "enable" on a disabled one).
// ---------------------------------------------------------------------------

/// (persona, target, unlocked key, locked key) in an account WITH classic
/// infrastructure. The restriction setting does not change any of these.
#[rustfmt::skip]
const WITH_CLASSIC: &[(&str, &str, &str, &str)] = &[
    // persona    target              unlocked          locked
    ("owner",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "other user",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "service id",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("owner",    "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),

    ("admin",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "other user",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "service id",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("admin",    "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("admin",    "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("admin",    "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("editor",   "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("editor",   "other user",       "U U U U U U U", "U U U U U U U"),
    ("editor",   "service id",       "S S S S S S S", "S S S S S S S"),
    ("editor",   "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("editor",   "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("editor",   "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("editor",   "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("operator", "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("operator", "other user",       "U U U U U U U", "U U U U U U U"),
    ("operator", "service id",       "S S S S S S S", "S S S S S S S"),
    ("operator", "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("operator", "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("operator", "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("operator", "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("viewer",   "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("viewer",   "other user",       "U U U U U U U", "U U U U U U U"),
    ("viewer",   "service id",       "S S S S S S S", "S S S S S S S"),
    ("viewer",   "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("viewer",   "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("viewer",   "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("viewer",   "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("creator",  "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("creator",  "other user",       "U U U U U U U", "U U U U U U U"),
    ("creator",  "service id",       "S S S S S S S", "S S S S S S S"),
    ("creator",  "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("creator",  "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("creator",  "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("creator",  "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("plain",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("plain",    "other user",       "U U U U U U U", "U U U U U U U"),
    ("plain",    "service id",       "S S S S S S S", "S S S S S S S"),
    ("plain",    "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("plain",    "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("plain",    "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("plain",    "classic unrel",    "A A A A A A A", "A A A A A A A"),

    ("bot",      "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("bot",      "other user",       "U U U U U U U", "U U U U U U U"),
    ("bot",      "service id",       "S S S S S S S", "S S S S S S S"),
    ("bot",      "classic self",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("bot",      "classic desc",     "✓ C ✓ C C C C", "✓ C L C C C C"),
    ("bot",      "classic ancestor", "A A A A A A A", "A A A A A A A"),
    ("bot",      "classic unrel",    "A A A A A A A", "A A A A A A A"),
];

/// The same in an account WITHOUT classic infrastructure: user and service ID
/// keys as above; any classic key is refused for the missing infrastructure.
#[rustfmt::skip]
const WITHOUT_CLASSIC: &[(&str, &str, &str, &str)] = &[
    // persona    target              unlocked          locked
    ("owner",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "other user",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "service id",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("owner",    "classic self",     "N N N N N N N", "N N N N N N N"),
    ("owner",    "classic desc",     "N N N N N N N", "N N N N N N N"),

    ("admin",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "other user",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "service id",       "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("admin",    "classic self",     "N N N N N N N", "N N N N N N N"),
    ("admin",    "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("admin",    "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("admin",    "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("editor",   "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("editor",   "other user",       "U U U U U U U", "U U U U U U U"),
    ("editor",   "service id",       "S S S S S S S", "S S S S S S S"),
    ("editor",   "classic self",     "N N N N N N N", "N N N N N N N"),
    ("editor",   "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("editor",   "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("editor",   "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("operator", "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("operator", "other user",       "U U U U U U U", "U U U U U U U"),
    ("operator", "service id",       "S S S S S S S", "S S S S S S S"),
    ("operator", "classic self",     "N N N N N N N", "N N N N N N N"),
    ("operator", "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("operator", "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("operator", "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("viewer",   "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("viewer",   "other user",       "U U U U U U U", "U U U U U U U"),
    ("viewer",   "service id",       "S S S S S S S", "S S S S S S S"),
    ("viewer",   "classic self",     "N N N N N N N", "N N N N N N N"),
    ("viewer",   "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("viewer",   "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("viewer",   "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("creator",  "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("creator",  "other user",       "U U U U U U U", "U U U U U U U"),
    ("creator",  "service id",       "S S S S S S S", "S S S S S S S"),
    ("creator",  "classic self",     "N N N N N N N", "N N N N N N N"),
    ("creator",  "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("creator",  "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("creator",  "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("plain",    "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("plain",    "other user",       "U U U U U U U", "U U U U U U U"),
    ("plain",    "service id",       "S S S S S S S", "S S S S S S S"),
    ("plain",    "classic self",     "N N N N N N N", "N N N N N N N"),
    ("plain",    "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("plain",    "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("plain",    "classic unrel",    "N N N N N N N", "N N N N N N N"),

    ("bot",      "own user",         "✓ ✓ ✓ ✓ u ✓ ✓", "✓ L L l ✓ L L"),
    ("bot",      "other user",       "U U U U U U U", "U U U U U U U"),
    ("bot",      "service id",       "S S S S S S S", "S S S S S S S"),
    ("bot",      "classic self",     "N N N N N N N", "N N N N N N N"),
    ("bot",      "classic desc",     "N N N N N N N", "N N N N N N N"),
    ("bot",      "classic ancestor", "N N N N N N N", "N N N N N N N"),
    ("bot",      "classic unrel",    "N N N N N N N", "N N N N N N N"),
];

/// The View filter options each persona sees, and what they may create and
/// change, per kind of account. Columns:
/// views | create a user key (holding none) | create a service ID key |
/// create a classic key (holding none) | create a classic key (holding one) |
/// turn the restriction on or off.
/// persona, views, user, service ID, classic, classic again, settings
type CreateRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const CREATE_AND_VIEWS: &[((bool, bool), &[CreateRow])] = &[
    ((true, false), &[
        // persona    views                              user svc classic again settings
        ("owner",    "my users service-ids classic",    "✓", "✓", "✓", "X", "✓"),
        ("admin",    "my users service-ids classic",    "✓", "✓", "✓", "X", "✓"),
        ("editor",   "my classic",                      "✓", "✓", "✓", "X", "✓"),
        ("operator", "my classic",                      "✓", "✓", "✓", "X", "✓"),
        ("viewer",   "my classic",                      "✓", "K", "✓", "X", "G"),
        ("creator",  "my classic",                      "✓", "K", "✓", "X", "G"),
        ("plain",    "my classic",                      "✓", "K", "✓", "X", "G"),
        ("bot",      "my classic",                      "✓", "K", "✓", "X", "G"),
        ("outsider", "",                                "M", "M", "M", "M", "M"),
    ]),
    ((true, true), &[
        ("owner",    "my users service-ids classic",    "R", "✓", "✓", "X", "✓"),
        ("admin",    "my users service-ids classic",    "R", "✓", "✓", "X", "✓"),
        ("editor",   "my classic",                      "R", "✓", "✓", "X", "✓"),
        ("operator", "my classic",                      "R", "✓", "✓", "X", "✓"),
        ("viewer",   "my classic",                      "R", "K", "✓", "X", "G"),
        ("creator",  "my classic",                      "✓", "K", "✓", "X", "G"),
        ("plain",    "my classic",                      "R", "K", "✓", "X", "G"),
        ("bot",      "my classic",                      "R", "K", "✓", "X", "G"),
        ("outsider", "",                                "M", "M", "M", "M", "M"),
    ]),
    ((false, false), &[
        ("owner",    "my users service-ids",            "✓", "✓", "N", "N", "✓"),
        ("admin",    "my users service-ids",            "✓", "✓", "N", "N", "✓"),
        ("editor",   "my",                              "✓", "✓", "N", "N", "✓"),
        ("operator", "my",                              "✓", "✓", "N", "N", "✓"),
        ("viewer",   "my",                              "✓", "K", "N", "N", "G"),
        ("creator",  "my",                              "✓", "K", "N", "N", "G"),
        ("plain",    "my",                              "✓", "K", "N", "N", "G"),
        ("bot",      "my",                              "✓", "K", "N", "N", "G"),
        ("outsider", "",                                "M", "M", "M", "M", "M"),
    ]),
    ((false, true), &[
        ("owner",    "my users service-ids",            "R", "✓", "N", "N", "✓"),
        ("admin",    "my users service-ids",            "R", "✓", "N", "N", "✓"),
        ("editor",   "my",                              "R", "✓", "N", "N", "✓"),
        ("operator", "my",                              "R", "✓", "N", "N", "✓"),
        ("viewer",   "my",                              "R", "K", "N", "N", "G"),
        ("creator",  "my",                              "✓", "K", "N", "N", "G"),
        ("plain",    "my",                              "R", "K", "N", "N", "G"),
        ("bot",      "my",                              "R", "K", "N", "N", "G"),
        ("outsider", "",                                "M", "M", "M", "M", "M"),
    ]),
];

/// The exact labels of the View filter options, as the seed prints them.
#[rustfmt::skip]
const LABELS: [(&str, &str); 4] = [
    ("my",          "My IBM Cloud API keys"),
    ("users",       "All IBM Cloud user API keys"),
    ("service-ids", "All service ID API keys"),
    ("classic",     "Classic infrastructure API keys"),
];

/// Table 1's "Allowed actions" column per view, as the spec narrows it.
#[rustfmt::skip]
const VIEW_ACTIONS: [(&str, &str, &str); 4] = [
    // view          create possible                                      create not possible
    ("my",          "view create edit delete lock unlock disable enable", "view edit delete lock unlock disable enable"),
    ("users",       "view edit delete lock unlock disable enable",        "view edit delete lock unlock disable enable"),
    ("service-ids", "view edit delete lock unlock disable enable",        "view edit delete lock unlock disable enable"),
    ("classic",     "view create delete",                                 "view delete"),
];

// ---------------------------------------------------------------------------

const ACTIONS: [KeyAction; 7] = [
    KeyAction::View,
    KeyAction::Edit,
    KeyAction::Delete,
    KeyAction::Lock,
    KeyAction::Unlock,
    KeyAction::Disable,
    KeyAction::Enable,
];

/// Does a refusal match a legend letter?
fn matches_code(code: &str, denied: &Denied) -> bool {
    match code {
        "U" => matches!(denied, Denied::NotKeyUserOrAdmin(_)),
        "S" => matches!(denied, Denied::ServiceKeyNeedsAdmin(_)),
        "A" => matches!(denied, Denied::NotClassicAncestor),
        "C" => matches!(denied, Denied::ClassicKeyViewDeleteOnly),
        "N" => matches!(denied, Denied::NoClassicInfrastructure),
        "L" => matches!(denied, Denied::LockedKey(_)),
        "l" => matches!(denied, Denied::AlreadyLocked),
        "u" => matches!(denied, Denied::NotLocked),
        "R" => matches!(denied, Denied::CreationRestricted),
        "K" => matches!(denied, Denied::ServiceKeyCreateNeedsRole),
        "X" => matches!(denied, Denied::ClassicKeyExists),
        "G" => matches!(denied, Denied::SettingsNeedRole),
        "M" => matches!(denied, Denied::NotMember(_)),
        other => panic!("unknown legend letter {other:?}"),
    }
}

fn assert_cell(code: &str, got: Result<(), Denied>, what: &str, failures: &mut Vec<String>) {
    let ok = match (&got, code) {
        (Ok(()), "✓") => true,
        (Ok(()), _) => false,
        (Err(_), "✓") => false,
        (Err(d), c) => matches_code(c, d),
    };
    if !ok {
        failures.push(format!("{what}: expected {code}, got {got:?}"));
    }
}

/// The owner of the target key, for a persona.
fn target_owner(persona: &str, target: &str) -> (KeyKind, String) {
    match target {
        "own user" => (KeyKind::User, id(persona)),
        "other user" => (KeyKind::User, id("stranger")),
        "service id" => (KeyKind::ServiceId, SERVICE_ID.to_string()),
        "classic self" => (KeyKind::Classic, id(persona)),
        "classic desc" => (KeyKind::Classic, id(&format!("{persona}-g"))),
        "classic ancestor" => (KeyKind::Classic, id("sponsor")),
        "classic unrel" => (KeyKind::Classic, id("stranger")),
        other => panic!("unknown target {other:?}"),
    }
}

fn cells(row: &str) -> Vec<&str> {
    let c: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(c.len(), 7, "a row has 7 cells: {row:?}");
    c
}

fn check_key_table(table: &[(&str, &str, &str, &str)], classic: bool) {
    let mut failures = Vec::new();
    for restrict in [false, true] {
        let acc = account(classic, restrict);
        for (persona, target, unlocked, locked) in table {
            let (kind, owner) = target_owner(persona, target);
            for (is_locked, row) in [(false, unlocked), (true, locked)] {
                let row = cells(row);
                for (i, action) in ACTIONS.iter().enumerate() {
                    // "enable" is tried on a disabled key, the rest on an enabled one.
                    let facts = KeyFacts {
                        kind,
                        owner: &owner,
                        locked: is_locked,
                        disabled: *action == KeyAction::Enable,
                    };
                    let got = access::check(&acc, &id(persona), *action, &facts);
                    let what = format!(
                        "{} / {persona} / {action:?} on {target} ({})",
                        acc.id,
                        if is_locked { "locked" } else { "unlocked" }
                    );
                    assert_cell(row[i], got, &what, &mut failures);
                }
                // key_actions lists exactly the allowed cells: on an enabled
                // key everything but "enable", on a disabled one everything
                // but "disable".
                for disabled in [false, true] {
                    let skip = if disabled {
                        KeyAction::Disable
                    } else {
                        KeyAction::Enable
                    };
                    let expected: Vec<KeyAction> = ACTIONS
                        .iter()
                        .zip(&row)
                        .filter(|(a, c)| **a != skip && **c == "✓")
                        .map(|(a, _)| *a)
                        .collect();
                    let facts = KeyFacts {
                        kind,
                        owner: &owner,
                        locked: is_locked,
                        disabled,
                    };
                    let got = key_actions(&acc, &id(persona), &facts);
                    if got != expected {
                        failures.push(format!(
                            "{} / {persona} / key_actions on {target} (locked {is_locked}, disabled {disabled}): expected {expected:?}, got {got:?}",
                            acc.id
                        ));
                    }
                    // A key is visible exactly when "view" is allowed.
                    let seen = access::can_see(&acc, &id(persona), &facts);
                    if seen != (row[0] == "✓") {
                        failures.push(format!(
                            "{} / {persona} / can_see {target}: expected {}, got {seen}",
                            acc.id,
                            row[0] == "✓"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ from Table 1:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_covers_every_persona_and_target() {
    // Guards the tables themselves: every persona appears with every target
    // that exists for it.
    for table in [WITH_CLASSIC, WITHOUT_CLASSIC] {
        for (persona, _) in PERSONAS {
            let targets: Vec<&str> = table
                .iter()
                .filter(|r| r.0 == persona)
                .map(|r| r.1)
                .collect();
            let want: &[&str] = if persona == "owner" {
                &[
                    "own user",
                    "other user",
                    "service id",
                    "classic self",
                    "classic desc",
                ]
            } else {
                &[
                    "own user",
                    "other user",
                    "service id",
                    "classic self",
                    "classic desc",
                    "classic ancestor",
                    "classic unrel",
                ]
            };
            assert_eq!(targets, want, "rows for {persona}");
        }
    }
    // The hierarchy is what the comment at the top draws.
    let acc = account(true, false);
    for (persona, _) in PERSONAS.iter().skip(1) {
        let p = id(persona);
        assert!(acc.is_ancestor(&p, &id(&format!("{persona}-g"))));
        assert!(acc.is_ancestor(&id("sponsor"), &p));
        assert!(acc.is_ancestor(&id("owner"), &p));
        assert!(!acc.is_ancestor(&p, &id("stranger")));
        assert!(!acc.is_ancestor(&id("stranger"), &p));
        assert!(!acc.is_ancestor(&p, &id("sponsor")));
    }
}

#[test]
fn key_actions_with_classic_infrastructure() {
    check_key_table(WITH_CLASSIC, true);
}

#[test]
fn key_actions_without_classic_infrastructure() {
    check_key_table(WITHOUT_CLASSIC, false);
}

#[test]
fn views_and_creation_per_persona() {
    let kinds: Vec<(bool, bool)> = CREATE_AND_VIEWS.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, ACCOUNTS, "every kind of account is covered");
    let mut failures = Vec::new();
    for ((classic, restrict), rows) in CREATE_AND_VIEWS {
        let acc = account(*classic, *restrict);
        for (persona, views, user, svc, classic_new, classic_again, settings) in *rows {
            let me = id(persona);
            let got: Vec<&str> = access::views(&acc, &me).iter().map(|v| v.id()).collect();
            let want: Vec<&str> = views.split_whitespace().collect();
            if got != want {
                failures.push(format!(
                    "{} / {persona} / views: expected {want:?}, got {got:?}",
                    acc.id
                ));
            }
            let at = |what: &str| format!("{} / {persona} / {what}", acc.id);
            assert_cell(
                user,
                may_create_user_key(&acc, &me, 0),
                &at("create user key"),
                &mut failures,
            );
            assert_cell(
                svc,
                may_create_service_key(&acc, &me, 0),
                &at("create service ID key"),
                &mut failures,
            );
            assert_cell(
                classic_new,
                may_create_classic_key(&acc, &me, false),
                &at("create classic key"),
                &mut failures,
            );
            assert_cell(
                classic_again,
                may_create_classic_key(&acc, &me, true),
                &at("create a second classic key"),
                &mut failures,
            );
            assert_cell(
                settings,
                may_change_settings(&acc, &me),
                &at("change settings"),
                &mut failures,
            );
            // A view not offered is refused when asked for directly.
            for v in ViewFilter::ALL {
                let offered = want.contains(&v.id());
                let used = access::may_use_view(&acc, &me, v);
                if offered != used.is_ok() {
                    failures.push(format!(
                        "{} / {persona} / may_use_view {}: expected {offered}, got {used:?}",
                        acc.id,
                        v.id()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ from Table 1:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn view_labels_and_actions_are_table_1() {
    let got: Vec<(&str, &str)> = ViewFilter::ALL
        .iter()
        .map(|v| (v.id(), v.label()))
        .collect();
    assert_eq!(got, LABELS);
    for (view, with_create, without_create) in VIEW_ACTIONS {
        let v = ViewFilter::parse(view).expect("a view id");
        let ids = |create| {
            access::view_actions(v, create)
                .iter()
                .map(|a| a.id())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(ids(true), with_create, "{view} with create possible");
        assert_eq!(
            ids(false),
            without_create,
            "{view} with create not possible"
        );
    }
}

#[test]
fn outsider_is_refused_everything_as_not_a_member() {
    let acc = account(true, false);
    let me = id("outsider");
    for target in ["own user", "other user", "service id", "classic unrel"] {
        let (kind, owner) = target_owner("outsider", target);
        for action in ACTIONS {
            let facts = KeyFacts {
                kind,
                owner: &owner,
                locked: false,
                disabled: false,
            };
            let got = access::check(&acc, &me, action, &facts);
            assert!(
                matches!(&got, Err(Denied::NotMember(a)) if *a == acc.id),
                "{action:?} on {target}: {got:?}"
            );
        }
    }
}

#[test]
fn per_identity_limit() {
    // api_keys_per_identity = 3: two keys leave room, three do not.
    let mut acc = account(true, false);
    acc.settings.api_keys_per_identity = 3;
    let me = id("plain");
    assert_eq!(may_create_user_key(&acc, &me, 2), Ok(()));
    assert_eq!(
        may_create_user_key(&acc, &me, 3),
        Err(Denied::LimitReached { limit: 3 })
    );
    let admin = id("admin");
    assert_eq!(may_create_service_key(&acc, &admin, 2), Ok(()));
    assert_eq!(
        may_create_service_key(&acc, &admin, 3),
        Err(Denied::LimitReached { limit: 3 })
    );
    // The restriction is named before the limit for someone it blocks.
    acc.settings.restrict_api_key_creation = true;
    assert_eq!(
        may_create_user_key(&acc, &me, 3),
        Err(Denied::CreationRestricted)
    );
    assert_eq!(
        may_create_user_key(&acc, &id("creator"), 3),
        Err(Denied::LimitReached { limit: 3 })
    );
    // ...and the restriction spares service ID keys.
    assert_eq!(may_create_service_key(&acc, &admin, 0), Ok(()));
}

#[test]
fn owner_with_the_creator_role_may_create_under_the_restriction() {
    let mut acc = account(false, true);
    assert_eq!(
        may_create_user_key(&acc, &id("owner"), 0),
        Err(Denied::CreationRestricted)
    );
    acc.members[0].roles.insert(Role::UserApiKeyCreator);
    assert_eq!(may_create_user_key(&acc, &id("owner"), 0), Ok(()));
}

#[test]
fn ancestry_reaches_any_depth() {
    // The owner is an ancestor of a grandchild of the sponsor's child: four
    // levels down. Classic keys follow the whole chain.
    let acc = account(true, false);
    let deep = id("plain-g"); // owner → sponsor → plain → plain-c → plain-g
    for ancestor in ["owner", "sponsor", "plain", "plain-c"] {
        let facts = KeyFacts {
            kind: KeyKind::Classic,
            owner: &deep,
            locked: false,
            disabled: false,
        };
        assert_eq!(
            access::check(&acc, &id(ancestor), KeyAction::Delete, &facts),
            Ok(()),
            "{ancestor} deletes plain-g's classic key"
        );
    }
    // A sibling branch is not an ancestor, even as an Administrator.
    let facts = KeyFacts {
        kind: KeyKind::Classic,
        owner: &deep,
        locked: false,
        disabled: false,
    };
    assert_eq!(
        access::check(&acc, &id("admin"), KeyAction::Delete, &facts),
        Err(Denied::NotClassicAncestor)
    );
}

#[test]
fn refusals_name_their_rule() {
    // The messages a person reads name the rule, not just "denied".
    let cases: [(Denied, &str); 8] = [
        (Denied::NotKeyUserOrAdmin("delete"), "Administrator"),
        (Denied::ServiceKeyNeedsAdmin("edit"), "Administrator"),
        (Denied::NotClassicAncestor, "ancestor"),
        (Denied::ClassicKeyViewDeleteOnly, "viewed and deleted"),
        (Denied::LockedKey("edit"), "unlock"),
        (Denied::CreationRestricted, "User API key creator"),
        (Denied::ServiceKeyCreateNeedsRole, "Editor or Operator"),
        (Denied::SettingsNeedRole, "Editor or Operator"),
    ];
    for (d, needle) in cases {
        let msg = d.to_string();
        assert!(msg.contains(needle), "{msg:?} should name {needle:?}");
    }
    assert!(
        Denied::LimitReached { limit: 7 }
            .to_string()
            .contains("limit of 7")
    );
}

#[test]
fn create_is_never_an_action_on_an_existing_key() {
    // Creating is checked by may_create_* (Table 1's "create" in the My view
    // and, for classic keys, "one for yourself"): nobody creates a key *for*
    // another key's owner, so `check` refuses Create on every key.
    for (classic, restrict) in ACCOUNTS {
        let acc = account(classic, restrict);
        for (persona, _) in PERSONAS {
            for target in [
                "own user",
                "other user",
                "service id",
                "classic self",
                "classic desc",
                "classic unrel",
            ] {
                let (kind, owner) = target_owner(persona, target);
                let facts = KeyFacts {
                    kind,
                    owner: &owner,
                    locked: false,
                    disabled: false,
                };
                let got = access::check(&acc, &id(persona), KeyAction::Create, &facts);
                assert!(got.is_err(), "{persona} create on {target}: {got:?}");
            }
        }
    }
}
