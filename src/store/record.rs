//! The key records as they lie on disk, apart from the domain types.
//!
//! Key records are postcard, which is positional: a field added to a record
//! type changes how every stored record reads. So the store owns its record
//! types and converts explicitly to and from [`ApiKey`]; the domain types
//! may change freely, a record type never does once released.
//!
//! * Schema 1 stored [`KeyRecordV1`]: the `ApiKey` of that time, bare.
//! * Schema 2 stores an envelope: one byte naming the record version, then
//!   that version's record ([`KeyRecordV2`], which adds the key's recent
//!   failed sign-ins at millisecond precision for the sign-in throttle). A
//!   later record version can be added beside it and read by its tag, without
//!   rewriting the store.
//!
//! * Record version 3 ([`KeyRecordV3`]) is a version-2 record followed by
//!   a leak mark ([`LeakMarkRecord`]). Only a key found leaked is written
//!   in it; every other key is still written as version 2, so a store
//!   without leaks is what it was.
//!
//! Opening a schema-1 store converts every record once
//! ([`KeyRecordV2::from`]), in one transaction with the new schema version.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Activity, ApiKey, HistoryEntry, KeyKind, Leak, LeakAction, SIGN_IN_FAILURES_KEPT,
    SignInFailures,
};

/// The tag byte in front of a [`KeyRecordV2`].
pub const KEY_RECORD_V2: u8 = 2;
/// The tag byte in front of a [`KeyRecordV3`].
pub const KEY_RECORD_V3: u8 = 3;

// The nested records below are shared by both key record versions; a
// record version that needs them otherwise gets its own copies.

/// [`KeyKind`] by variant position: User, ServiceId, Classic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KindRecord {
    User,
    ServiceId,
    Classic,
}

/// [`LeakAction`] by variant position: None, Disable, Delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeakRecord {
    None,
    Disable,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRecord {
    pub last_authn: Option<Timestamp>,
    pub authn_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub timestamp: Timestamp,
    pub actor: String,
    pub action: String,
    pub message: String,
}

/// A key in schema 1, field for field as that release wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecordV1 {
    pub id: String,
    pub kind: KindRecord,
    pub name: String,
    pub description: String,
    pub account_id: String,
    pub iam_id: String,
    pub entity_tag: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub modified_at: Timestamp,
    pub locked: bool,
    pub disabled: bool,
    pub action_when_leaked: LeakRecord,
    pub support_sessions: bool,
    pub expires_at: Option<crate::time::Moment>,
    pub managed_by: Option<String>,
    pub activity: ActivityRecord,
    pub history: Vec<HistoryRecord>,
    pub lookup: Option<String>,
    pub hash: Option<String>,
}

/// A key in schema 2, behind the [`KEY_RECORD_V2`] tag: the fields of
/// schema 1, then the throttle's state. (postcard lays a nested struct out
/// field by field, as if its fields were written here.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecordV2 {
    pub key: KeyRecordV1,
    /// Recent failed sign-ins, and sign-ins admitted but not yet settled, in
    /// milliseconds since the epoch: what the throttle counts.
    pub failed_sign_ins: Vec<i64>,
}

impl From<KeyKind> for KindRecord {
    fn from(k: KeyKind) -> Self {
        match k {
            KeyKind::User => KindRecord::User,
            KeyKind::ServiceId => KindRecord::ServiceId,
            KeyKind::Classic => KindRecord::Classic,
        }
    }
}

/// A key's leak mark ([`Leak`]), field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakMarkRecord {
    pub at: Timestamp,
    pub by: String,
    pub places: Vec<String>,
    pub found: u64,
}

/// A key found leaked, behind the [`KEY_RECORD_V3`] tag: a version-2
/// record, then the mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecordV3 {
    pub base: KeyRecordV2,
    pub leak: LeakMarkRecord,
}

/// A key record as read, of either version this build writes: the
/// fields of version 2, and the leak mark of version 3 if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key: KeyRecordV1,
    pub failed_sign_ins: Vec<i64>,
    pub leak: Option<LeakMarkRecord>,
}

impl KeyRecord {
    /// The record for `key`, with the throttle's failure times `failed`.
    pub fn new(key: &ApiKey, failed: &SignInFailures) -> KeyRecord {
        KeyRecord {
            key: key.into(),
            failed_sign_ins: failed.times().to_vec(),
            leak: key.leak.as_ref().map(|l| LeakMarkRecord {
                at: l.at,
                by: l.by.clone(),
                places: l.places.clone(),
                found: l.found,
            }),
        }
    }

    /// The envelope: the tag byte, then the record: version 3 when it
    /// carries a leak mark, else version 2.
    pub fn encode(&self) -> Vec<u8> {
        let base = KeyRecordV2 {
            key: self.key.clone(),
            failed_sign_ins: self.failed_sign_ins.clone(),
        };
        match &self.leak {
            None => base.encode(),
            Some(leak) => postcard::to_extend(
                &KeyRecordV3 {
                    base,
                    leak: leak.clone(),
                },
                vec![KEY_RECORD_V3],
            )
            .expect("key records always serialise"),
        }
    }

    /// The key and the throttle's failure times.
    pub fn into_key(self) -> (ApiKey, SignInFailures) {
        let mut key: ApiKey = self.key.into();
        key.leak = self.leak.map(|l| Leak {
            at: l.at,
            by: l.by,
            places: l.places,
            found: l.found,
        });
        (key, SignInFailures::from_times(self.failed_sign_ins))
    }
}

impl From<KeyRecordV2> for KeyRecord {
    fn from(r: KeyRecordV2) -> Self {
        KeyRecord {
            key: r.key,
            failed_sign_ins: r.failed_sign_ins,
            leak: None,
        }
    }
}

impl From<KeyRecordV3> for KeyRecord {
    fn from(r: KeyRecordV3) -> Self {
        KeyRecord {
            leak: Some(r.leak),
            ..r.base.into()
        }
    }
}

/// A record read as version 2 is that record.
impl PartialEq<KeyRecordV2> for KeyRecord {
    fn eq(&self, other: &KeyRecordV2) -> bool {
        self.leak.is_none()
            && self.key == other.key
            && self.failed_sign_ins == other.failed_sign_ins
    }
}

impl From<KindRecord> for KeyKind {
    fn from(k: KindRecord) -> Self {
        match k {
            KindRecord::User => KeyKind::User,
            KindRecord::ServiceId => KeyKind::ServiceId,
            KindRecord::Classic => KeyKind::Classic,
        }
    }
}

impl From<LeakAction> for LeakRecord {
    fn from(a: LeakAction) -> Self {
        match a {
            LeakAction::None => LeakRecord::None,
            LeakAction::Disable => LeakRecord::Disable,
            LeakAction::Delete => LeakRecord::Delete,
        }
    }
}

impl From<LeakRecord> for LeakAction {
    fn from(a: LeakRecord) -> Self {
        match a {
            LeakRecord::None => LeakAction::None,
            LeakRecord::Disable => LeakAction::Disable,
            LeakRecord::Delete => LeakAction::Delete,
        }
    }
}

impl From<&HistoryEntry> for HistoryRecord {
    fn from(h: &HistoryEntry) -> Self {
        HistoryRecord {
            timestamp: h.timestamp,
            actor: h.actor.clone(),
            action: h.action.clone(),
            message: h.message.clone(),
        }
    }
}

impl From<HistoryRecord> for HistoryEntry {
    fn from(h: HistoryRecord) -> Self {
        HistoryEntry {
            timestamp: h.timestamp,
            actor: h.actor,
            action: h.action,
            message: h.message,
        }
    }
}

impl From<&ApiKey> for KeyRecordV1 {
    fn from(key: &ApiKey) -> Self {
        KeyRecordV1 {
            id: key.id.clone(),
            kind: key.kind.into(),
            name: key.name.clone(),
            description: key.description.clone(),
            account_id: key.account_id.clone(),
            iam_id: key.iam_id.clone(),
            entity_tag: key.entity_tag.clone(),
            created_at: key.created_at,
            created_by: key.created_by.clone(),
            modified_at: key.modified_at,
            locked: key.locked,
            disabled: key.disabled,
            action_when_leaked: key.action_when_leaked.into(),
            support_sessions: key.support_sessions,
            expires_at: key.expires_at,
            managed_by: key.managed_by.clone(),
            activity: ActivityRecord {
                last_authn: key.activity.last_authn,
                authn_count: key.activity.authn_count,
            },
            // The creation and the latest entries: a key edited forever
            // keeps a bounded record.
            history: crate::domain::HistoryEntry::kept(&key.history)
                .map(HistoryRecord::from)
                .collect(),
            lookup: key.lookup.clone(),
            hash: key.hash.clone(),
        }
    }
}

impl From<KeyRecordV1> for ApiKey {
    /// The key, its CRN derived.
    fn from(r: KeyRecordV1) -> Self {
        ApiKey {
            crn: ApiKey::crn_for(&r.account_id, &r.id),
            id: r.id,
            kind: r.kind.into(),
            name: r.name,
            description: r.description,
            account_id: r.account_id,
            iam_id: r.iam_id,
            entity_tag: r.entity_tag,
            created_at: r.created_at,
            created_by: r.created_by,
            modified_at: r.modified_at,
            locked: r.locked,
            disabled: r.disabled,
            action_when_leaked: r.action_when_leaked.into(),
            support_sessions: r.support_sessions,
            expires_at: r.expires_at,
            managed_by: r.managed_by,
            activity: Activity {
                last_authn: r.activity.last_authn,
                authn_count: r.activity.authn_count,
            },
            history: r.history.into_iter().map(HistoryEntry::from).collect(),
            lookup: r.lookup,
            hash: r.hash,
            leak: None,
        }
    }
}

impl KeyRecordV2 {
    /// The record for `key`, with the throttle's failure times `failed`.
    pub fn new(key: &ApiKey, failed: &SignInFailures) -> KeyRecordV2 {
        KeyRecordV2 {
            key: key.into(),
            failed_sign_ins: failed.times().to_vec(),
        }
    }

    /// The key and the throttle's failure times.
    pub fn into_key(self) -> (ApiKey, SignInFailures) {
        (
            self.key.into(),
            SignInFailures::from_times(self.failed_sign_ins),
        )
    }

    /// The envelope: the tag byte, then the record.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_extend(self, vec![KEY_RECORD_V2]).expect("key records always serialise")
    }
}

/// Reads a key record of schema 2 and later: the tag names the record
/// version.
pub fn decode_key(bytes: &[u8]) -> Result<KeyRecord, String> {
    match bytes.split_first() {
        Some((&KEY_RECORD_V2, rest)) => postcard::from_bytes(rest)
            .map(|r: KeyRecordV2| r.into())
            .map_err(|e| e.to_string()),
        Some((&KEY_RECORD_V3, rest)) => postcard::from_bytes(rest)
            .map(|r: KeyRecordV3| r.into())
            .map_err(|e| e.to_string()),
        Some((tag, _)) => Err(format!("unknown record version {tag}")),
        None => Err("empty record".into()),
    }
}

/// Reads a schema-1 key record.
pub fn decode_key_v1(bytes: &[u8]) -> Result<KeyRecordV1, String> {
    postcard::from_bytes(bytes).map_err(|e| e.to_string())
}

/// Schema 1 kept no failure times of its own: its throttle counted the
/// "sign-in failed" history entries, to the second. Each becomes the last
/// millisecond of its second, so no wait is cut short by the upgrade.
impl From<KeyRecordV1> for KeyRecordV2 {
    fn from(v1: KeyRecordV1) -> Self {
        let failed: Vec<i64> = v1
            .history
            .iter()
            .filter(|h| h.action == "sign-in failed")
            .map(|h| h.timestamp.as_millisecond().saturating_add(999))
            .collect();
        let skip = failed.len().saturating_sub(SIGN_IN_FAILURES_KEPT);
        KeyRecordV2 {
            key: v1,
            failed_sign_ins: failed[skip..].to_vec(),
        }
    }
}
