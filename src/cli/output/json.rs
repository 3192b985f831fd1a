//! The JSON shapes of the command line, with the IBM field names.

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::{Activity, HistoryEntry, Leak, LeakAction};

use crate::service::KeyRow;

/// One API key as IBM's API returns it. `apikey` appears only in the answer
/// to a create.
#[derive(Debug, Serialize)]
pub struct KeyJson<'a> {
    pub id: &'a str,
    pub entity_tag: &'a str,
    pub crn: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub description: &'a str,
    pub account_id: &'a str,
    pub iam_id: &'a str,
    pub created_at: Timestamp,
    pub created_by: &'a str,
    pub modified_at: Timestamp,
    pub locked: bool,
    pub disabled: bool,
    pub action_when_leaked: LeakAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_sessions: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<crate::time::Moment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<&'a str>,
    pub activity: &'a Activity,
    /// Present while the key is marked leaked: when, by whom, where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaked: Option<&'a Leak>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<&'a [HistoryEntry]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apikey: Option<&'a str>,
}

impl<'a> KeyJson<'a> {
    pub fn new(row: &'a KeyRow, with_history: bool) -> KeyJson<'a> {
        let k = &row.key;
        KeyJson {
            id: &k.id,
            entity_tag: &k.entity_tag,
            crn: &k.crn,
            kind: k.kind.label(),
            name: &k.name,
            description: &k.description,
            account_id: &k.account_id,
            iam_id: &k.iam_id,
            created_at: k.created_at,
            created_by: &k.created_by,
            modified_at: k.modified_at,
            locked: k.locked,
            disabled: k.disabled,
            action_when_leaked: k.action_when_leaked,
            support_sessions: (k.kind == crate::domain::KeyKind::User)
                .then_some(k.support_sessions),
            expires_at: k.expires_at,
            managed_by: k.managed_by.as_deref(),
            activity: &k.activity,
            leaked: k.leak.as_ref(),
            history: with_history.then_some(k.history.as_slice()),
            apikey: None,
        }
    }
}
