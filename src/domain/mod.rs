//! The world the API keys page shows: accounts, users, memberships, roles,
//! service IDs and the three kinds of API key. Plain data, no I/O.

use std::collections::BTreeSet;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A role on the IAM Identity service, spelled as the console spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Viewer,
    Operator,
    Editor,
    Administrator,
    #[serde(rename = "User API key creator")]
    UserApiKeyCreator,
    #[serde(rename = "Service ID creator")]
    ServiceIdCreator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Viewer,
        Role::Operator,
        Role::Editor,
        Role::Administrator,
        Role::UserApiKeyCreator,
        Role::ServiceIdCreator,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Operator => "Operator",
            Role::Editor => "Editor",
            Role::Administrator => "Administrator",
            Role::UserApiKeyCreator => "User API key creator",
            Role::ServiceIdCreator => "Service ID creator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A person, or a functional ID that stands for a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub iam_id: String,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub functional: bool,
}

impl User {
    /// A user's IAM id is derived from the sign-in name, so reseeding the
    /// same fixture gives the same ids.
    pub fn iam_id_for(email: &str) -> String {
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, email.as_bytes());
        format!("IBMid-{}", &id.simple().to_string()[..12])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub restrict_api_key_creation: bool,
    pub api_keys_per_identity: u32,
    /// The IAM Identity API's account settings as last written through it,
    /// field by field, exactly as sent (stored and echoed; only the two
    /// creation restrictions are enforced).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub api_fields: std::collections::BTreeMap<String, serde_json::Value>,
    /// Changes with every write through the API; `If-Match` is checked
    /// against it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity_tag: String,
    /// Changes made through the API, oldest first (IBM's `history`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// How long an expired key is kept (shown "expired") before it is
    /// removed, in days.
    #[serde(default = "default_retention")]
    pub expired_key_retention_days: u32,
    /// Keys older than this many days are flagged "old" (rotate them).
    #[serde(default = "default_age_warning")]
    pub key_age_warning_days: u32,
    /// When expired keys were last looked for in this account, by a sweep
    /// that went through all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_swept_at: Option<Timestamp>,
}

/// Days an expired key is kept before it is removed, by default.
pub const DEFAULT_EXPIRED_KEY_RETENTION_DAYS: u32 = 90;
/// Age in days from which a key is flagged "old", by default.
pub const DEFAULT_KEY_AGE_WARNING_DAYS: u32 = 90;
/// The range both day settings accept (ten years at most).
pub const HOUSEKEEPING_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
/// Keys expiring within this many days are flagged "expires in N days".
pub const EXPIRES_SOON_DAYS: i64 = 7;

fn default_retention() -> u32 {
    DEFAULT_EXPIRED_KEY_RETENTION_DAYS
}

fn default_age_warning() -> u32 {
    DEFAULT_KEY_AGE_WARNING_DAYS
}

/// The two housekeeping settings of an account, as badges need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Housekeeping {
    pub expired_key_retention_days: u32,
    pub key_age_warning_days: u32,
}

impl Default for Housekeeping {
    fn default() -> Self {
        Housekeeping {
            expired_key_retention_days: DEFAULT_EXPIRED_KEY_RETENTION_DAYS,
            key_age_warning_days: DEFAULT_KEY_AGE_WARNING_DAYS,
        }
    }
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            restrict_api_key_creation: false,
            api_keys_per_identity: DEFAULT_KEYS_PER_IDENTITY,
            api_fields: std::collections::BTreeMap::new(),
            entity_tag: String::new(),
            history: Vec::new(),
            expired_key_retention_days: DEFAULT_EXPIRED_KEY_RETENTION_DAYS,
            key_age_warning_days: DEFAULT_KEY_AGE_WARNING_DAYS,
            expired_swept_at: None,
        }
    }
}

impl AccountSettings {
    /// Records a change by `actor` (what changed, in words) and gives the
    /// settings a new entity tag, so a client holding the old one is
    /// refused.
    pub fn changed(&mut self, actor: &str, what: &str, at: Timestamp) {
        HistoryEntry::push(
            &mut self.history,
            HistoryEntry {
                timestamp: at,
                actor: actor.to_string(),
                action: "update".into(),
                message: format!("Account settings updated: {what}"),
            },
        );
        let current = (!self.entity_tag.is_empty()).then_some(self.entity_tag.as_str());
        self.entity_tag = ApiKey::next_entity_tag(current);
    }

    pub fn housekeeping(&self) -> Housekeeping {
        Housekeeping {
            expired_key_retention_days: self.expired_key_retention_days,
            key_age_warning_days: self.key_age_warning_days,
        }
    }

    /// Records a housekeeping event that no person made (a removal), with
    /// the actor `iamkeys`; the entity tag is kept, so no client's pending
    /// change of the settings is refused for it.
    pub fn noted(&mut self, action: &str, message: String, at: Timestamp) {
        HistoryEntry::push(
            &mut self.history,
            HistoryEntry {
                timestamp: at,
                actor: SYSTEM_ACTOR.to_string(),
                action: action.to_string(),
                message,
            },
        );
    }

    /// Whether creating service IDs is restricted to the "Service ID
    /// creator" role (`restrict_create_service_id` = `RESTRICTED`).
    pub fn restrict_service_id_creation(&self) -> bool {
        self.api_fields
            .get("restrict_create_service_id")
            .and_then(serde_json::Value::as_str)
            == Some("RESTRICTED")
    }
}

pub const DEFAULT_KEYS_PER_IDENTITY: u32 = 20;

/// Who history says acted when iamkeys itself did (removing expired keys).
pub const SYSTEM_ACTOR: &str = "iamkeys";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub iam_id: String,
    pub email: String,
    /// The inviting member's iam_id; `None` for the owner.
    pub invited_by: Option<String>,
    pub roles: BTreeSet<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// The owner's iam_id.
    pub owner: String,
    pub classic_infrastructure: bool,
    pub settings: AccountSettings,
    /// Every member, the owner included, in fixture order.
    pub members: Vec<Membership>,
}

impl Account {
    pub fn member(&self, iam_id: &str) -> Option<&Membership> {
        self.members.iter().find(|m| m.iam_id == iam_id)
    }

    pub fn is_member(&self, iam_id: &str) -> bool {
        self.member(iam_id).is_some()
    }

    /// The chain of inviters above `iam_id`, nearest first, up to the owner.
    /// Stops at a repeat, so a damaged hierarchy cannot loop.
    pub fn ancestors(&self, iam_id: &str) -> Vec<String> {
        let mut chain = Vec::new();
        let mut current = self.member(iam_id).and_then(|m| m.invited_by.clone());
        while let Some(id) = current {
            if chain.contains(&id) || id == iam_id {
                break;
            }
            current = self.member(&id).and_then(|m| m.invited_by.clone());
            chain.push(id);
        }
        chain
    }

    /// Whether `ancestor` is on the chain from `iam_id`'s inviter up to the owner.
    pub fn is_ancestor(&self, ancestor: &str, iam_id: &str) -> bool {
        self.ancestors(iam_id).iter().any(|a| a == ancestor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceId {
    /// `ServiceId-<uuid>`
    pub id: String,
    /// `iam-ServiceId-<uuid>`, the identity its keys belong to.
    pub iam_id: String,
    pub account_id: String,
    pub name: String,
    pub description: String,
    /// What the IAM Identity API adds to a service ID; defaults for one
    /// seeded from a fixture.
    #[serde(default)]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity_tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<Timestamp>,
    /// What was done to it, oldest first (IBM's `history`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

impl ServiceId {
    pub fn crn(&self) -> String {
        format!(
            "crn:v1:bluemix:public:iam-identity::a/{}::serviceid:{}",
            self.account_id, self.id
        )
    }

    /// The entity tag, `1-…` style; a fixture's service ID has none yet.
    pub fn tag(&self) -> String {
        if self.entity_tag.is_empty() {
            "1-seeded".to_string()
        } else {
            self.entity_tag.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    User,
    ServiceId,
    Classic,
}

impl KeyKind {
    pub fn code(self) -> u8 {
        match self {
            KeyKind::User => b'u',
            KeyKind::ServiceId => b's',
            KeyKind::Classic => b'c',
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::User => "user",
            KeyKind::ServiceId => "service_id",
            KeyKind::Classic => "classic",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakAction {
    None,
    #[default]
    Disable,
    Delete,
}

impl LeakAction {
    pub fn label(self) -> &'static str {
        match self {
            LeakAction::None => "none",
            LeakAction::Disable => "disable",
            LeakAction::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<LeakAction> {
        match s {
            "none" => Some(LeakAction::None),
            "disable" => Some(LeakAction::Disable),
            "delete" => Some(LeakAction::Delete),
            _ => None,
        }
    }
    pub const ALL: [LeakAction; 3] = [LeakAction::None, LeakAction::Disable, LeakAction::Delete];
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub last_authn: Option<Timestamp>,
    pub authn_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub timestamp: Timestamp,
    pub actor: String,
    pub action: String,
    pub message: String,
}

/// How many history entries an entity keeps: the first (its creation) and
/// the latest, so a script that edits one key forever cannot grow its
/// record without bound.
pub const MAX_HISTORY: usize = 500;

impl HistoryEntry {
    /// Appends an entry to `history`, dropping the oldest after the first
    /// once there are [`MAX_HISTORY`].
    pub fn push(history: &mut Vec<HistoryEntry>, entry: HistoryEntry) {
        if history.len() >= MAX_HISTORY {
            let excess = history.len() + 1 - MAX_HISTORY;
            history.drain(1..=excess);
        }
        history.push(entry);
    }

    /// The entries of `history` that are kept: the first and the latest,
    /// [`MAX_HISTORY`] in all.
    pub fn kept(history: &[HistoryEntry]) -> impl Iterator<Item = &HistoryEntry> {
        let drop = history.len().saturating_sub(MAX_HISTORY);
        history.iter().take(1).chain(history.iter().skip(1 + drop))
    }
}

/// An API key as stored: everything but the plain value, which is never kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    pub description: String,
    pub account_id: String,
    /// The owning identity: a user's iam_id or a service ID's iam_id.
    pub iam_id: String,
    /// Derived from the account and id ([`ApiKey::crn_for`]), so the store
    /// does not keep it: it is filled in when a key is read.
    #[serde(skip)]
    pub crn: String,
    pub entity_tag: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub modified_at: Timestamp,
    pub locked: bool,
    pub disabled: bool,
    pub action_when_leaked: LeakAction,
    pub support_sessions: bool,
    pub expires_at: Option<crate::time::Moment>,
    /// The service that manages a service-specific key.
    pub managed_by: Option<String>,
    pub activity: Activity,
    pub history: Vec<HistoryEntry>,
    /// The public lookup id embedded in the key value, when the key has a
    /// usable secret.
    pub lookup: Option<String>,
    /// argon2id PHC string of the key value; `None` for keys seeded without
    /// a value, which can never sign in.
    pub hash: Option<String>,
    /// Found leaked by `iamkeys scan` and not cleared since: where and
    /// when, never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<Leak>,
}

/// How many places a leak mark keeps; the count says how many there were.
pub const MAX_LEAK_PLACES: usize = 20;

/// Where and when a key's value was found, as a scan saw it. Never holds
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leak {
    /// When the scan found it.
    pub at: Timestamp,
    /// Who ran the scan (an iam_id).
    pub by: String,
    /// Where: `path:line`, or `commit:path:line` in a repository's history;
    /// the first [`MAX_LEAK_PLACES`].
    pub places: Vec<String>,
    /// How many places were found in all.
    pub found: u64,
}

/// Who and what a new key is: the part every way of making a key (the
/// service's create, seeding from a fixture, bootstrap keys) supplies.
pub struct Born<'a> {
    pub id: String,
    pub kind: KeyKind,
    pub account_id: &'a str,
    /// The owning identity.
    pub iam_id: String,
    pub created_by: String,
    pub at: Timestamp,
    pub name: String,
    pub description: String,
}

impl ApiKey {
    /// A key as it is made: unlocked, enabled, no expiry, no activity, no
    /// value yet, and its first history event ("create", `message`). The
    /// maker sets what else it knows.
    pub fn new(b: Born<'_>, message: &str) -> ApiKey {
        let mut key = ApiKey {
            crn: ApiKey::crn_for(b.account_id, &b.id),
            entity_tag: ApiKey::next_entity_tag(None),
            id: b.id,
            kind: b.kind,
            name: b.name,
            description: b.description,
            account_id: b.account_id.to_string(),
            iam_id: b.iam_id,
            created_at: b.at,
            created_by: b.created_by.clone(),
            modified_at: b.at,
            locked: false,
            disabled: false,
            action_when_leaked: LeakAction::default(),
            support_sessions: false,
            expires_at: None,
            managed_by: None,
            activity: Activity::default(),
            history: Vec::new(),
            lookup: None,
            hash: None,
            leak: None,
        };
        key.record(b.at, &b.created_by, "create", message);
        key
    }

    pub fn crn_for(account_id: &str, id: &str) -> String {
        format!("crn:v1:bluemix:public:iam-identity::a/{account_id}::apikey:{id}")
    }

    pub fn new_id() -> String {
        format!("ApiKey-{}", uuid::Uuid::new_v4())
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|t| t.reached(now))
    }

    /// A fresh entity tag: a revision counter and a random part, so two
    /// edits can never produce the same tag.
    pub fn next_entity_tag(previous: Option<&str>) -> String {
        let rev = previous
            .and_then(|t| t.split('-').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            .saturating_add(1);
        let rand = uuid::Uuid::new_v4().simple().to_string();
        format!("{rev}-{}", &rand[..16])
    }

    pub fn record(
        &mut self,
        now: Timestamp,
        actor: &str,
        action: &str,
        message: impl Into<String>,
    ) {
        // Bounded when stored (see [`HistoryEntry::kept`]), so a write
        // can still tell its own new entries from those it read.
        self.history.push(HistoryEntry {
            timestamp: now,
            actor: actor.to_string(),
            action: action.to_string(),
            message: message.into(),
        });
    }
}

/// Status badges shown in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Found leaked and not cleared since.
    pub leaked: bool,
    pub locked: bool,
    pub disabled: bool,
    pub expired: bool,
}

const DAY_SECS: i64 = 86_400;

/// What housekeeping says about a key now: the notes beside its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notes {
    /// Expired: whole days left before it is removed (0: at the next
    /// sweep); `None` for a locked key, which is never removed.
    pub removed_in_days: Option<i64>,
    /// Not expired, and expiring within [`EXPIRES_SOON_DAYS`]: in how many
    /// days (rounded up; 1 for less than a day).
    pub expires_in_days: Option<i64>,
    /// Older than the account's age warning, and still working (neither
    /// disabled nor expired).
    pub old: bool,
}

impl Notes {
    /// The notes as words, for the table and text output.
    pub fn labels(&self, expired: bool) -> Vec<String> {
        let mut v = Vec::new();
        if expired && let Some(d) = self.removed_in_days {
            v.push(match d {
                0 => "removal due".to_string(),
                1 => "removed in 1 day".to_string(),
                d => format!("removed in {d} days"),
            });
        }
        if let Some(d) = self.expires_in_days {
            v.push(if d == 1 {
                "expires in 1 day".to_string()
            } else {
                format!("expires in {d} days")
            });
        }
        if self.old {
            v.push("old".to_string());
        }
        v
    }
}

impl ApiKey {
    pub fn status(&self, now: Timestamp) -> Status {
        Status {
            leaked: self.leak.is_some(),
            locked: self.locked,
            disabled: self.disabled,
            expired: self.is_expired(now),
        }
    }

    /// When an expired key is due for removal under `retention_days`;
    /// `None` without an expiry.
    pub fn removal_at(&self, retention_days: u32) -> Option<Timestamp> {
        let expiry = self.expires_at?.instant()?;
        Some(
            expiry
                .checked_add(jiff::SignedDuration::from_secs(
                    i64::from(retention_days) * DAY_SECS,
                ))
                .unwrap_or(Timestamp::MAX),
        )
    }

    /// Whether the key is due for removal at `now`: expired at least
    /// `retention_days` ago, and not locked.
    pub fn removal_due(&self, now: Timestamp, retention_days: u32) -> bool {
        !self.locked
            && self.is_expired(now)
            && self.removal_at(retention_days).is_some_and(|t| t <= now)
    }

    /// Whether the key's age at `now` is over `days`.
    pub fn is_old(&self, now: Timestamp, days: u32) -> bool {
        now.duration_since(self.created_at).as_secs() > i64::from(days) * DAY_SECS
    }

    pub fn notes(&self, now: Timestamp, h: Housekeeping) -> Notes {
        let expired = self.is_expired(now);
        let days_until = |t: Timestamp| {
            let secs = t.duration_since(now).as_secs().max(0);
            (secs + DAY_SECS - 1) / DAY_SECS
        };
        Notes {
            removed_in_days: if expired && !self.locked {
                self.removal_at(h.expired_key_retention_days)
                    .map(days_until)
            } else {
                None
            },
            expires_in_days: if expired {
                None
            } else {
                self.expires_at
                    .and_then(crate::time::Moment::instant)
                    .map(|t| days_until(t).max(1))
                    .filter(|d| *d <= EXPIRES_SOON_DAYS)
            },
            old: !expired && !self.disabled && self.is_old(now, h.key_age_warning_days),
        }
    }
}

/// The status of a key that is neither locked, disabled nor expired.
pub const ACTIVE: &str = "active";

impl Status {
    /// The labels joined by `sep`, or [`ACTIVE`] when there are none.
    pub fn text(&self, sep: &str) -> String {
        let labels = self.labels();
        if labels.is_empty() {
            ACTIVE.to_string()
        } else {
            labels.join(sep)
        }
    }

    pub fn labels(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.leaked {
            v.push("leaked");
        }
        if self.locked {
            v.push("locked");
        }
        if self.disabled {
            v.push("disabled");
        }
        if self.expired {
            v.push("expired");
        }
        v
    }
}

/// Failed sign-ins tolerated per key within [`THROTTLE_WINDOW_SECS`] before
/// the next attempt must wait.
pub const THROTTLE_FREE_FAILURES: usize = 5;
pub const THROTTLE_WINDOW_SECS: i64 = 300;
/// The longest wait: 1 s after the free failures, doubling up to this.
pub const THROTTLE_MAX_WAIT_SECS: i64 = 256;
/// How many failure times a key keeps at most; waits stop growing long
/// before, so older ones change nothing.
pub const SIGN_IN_FAILURES_KEPT: usize = 64;

/// A key's recent failed sign-ins, in milliseconds since the epoch, oldest
/// first: the sign-in throttle's whole state. The store checks and records
/// an attempt in one atomic step ([`SignInFailures::admit`]), counting it
/// as failed until its outcome is known, so that concurrent guesses cannot
/// pass the check together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInFailures {
    times: Vec<i64>,
}

impl SignInFailures {
    pub fn from_times(mut times: Vec<i64>) -> SignInFailures {
        times.sort_unstable();
        SignInFailures { times }
    }

    pub fn times(&self) -> &[i64] {
        &self.times
    }

    /// How long an attempt at `now_ms` must still wait, in milliseconds.
    /// The first [`THROTTLE_FREE_FAILURES`] failures within the window are
    /// free; after that each attempt must wait from the last failure, 1 s
    /// after the fifth and twice as long after each further one, up to
    /// [`THROTTLE_MAX_WAIT_SECS`]. Computed from the stored times only, so
    /// a wait never ends early at a change of second, and a clock set back
    /// never makes it longer than that maximum.
    pub fn wait_ms(&self, now_ms: i64) -> Option<i64> {
        let window_start = now_ms.saturating_sub(THROTTLE_WINDOW_SECS * 1000);
        let recent = self.times.iter().filter(|t| **t > window_start).count();
        if recent < THROTTLE_FREE_FAILURES {
            return None;
        }
        let extra = (recent - THROTTLE_FREE_FAILURES).min(8) as u32;
        let wait = (1i64 << extra).min(THROTTLE_MAX_WAIT_SECS) * 1000;
        let last = *self.times.last()?;
        let left = last.saturating_add(wait).saturating_sub(now_ms);
        (left > 0).then_some(left.min(wait))
    }

    /// [`SignInFailures::wait_ms`] in whole seconds, rounded up.
    pub fn wait_secs(&self, now_ms: i64) -> Option<u64> {
        self.wait_ms(now_ms).map(|ms| (ms as u64).div_ceil(1000))
    }

    /// Admits an attempt at `now_ms`, counting it as a failure until
    /// [`SignInFailures::settle`], or refuses it with the wait in seconds.
    /// Failures older than the window are forgotten.
    pub fn admit(&mut self, now_ms: i64) -> Result<(), u64> {
        if let Some(wait) = self.wait_secs(now_ms) {
            return Err(wait);
        }
        let window_start = now_ms.saturating_sub(THROTTLE_WINDOW_SECS * 1000);
        self.times.retain(|t| *t > window_start);
        let at = self.times.partition_point(|t| *t <= now_ms);
        self.times.insert(at, now_ms);
        let skip = self.times.len().saturating_sub(SIGN_IN_FAILURES_KEPT);
        self.times.drain(..skip);
        Ok(())
    }

    /// Takes back the attempt admitted at `at_ms`: it gave the right value.
    pub fn settle(&mut self, at_ms: i64) {
        if let Some(i) = self.times.iter().rposition(|t| *t == at_ms) {
            self.times.remove(i);
        }
    }
}
