//! The IAM Identity API's shapes on the wire, shared by the server (which
//! writes them) and the remote client (which reads them): IBM's field names,
//! plus a few iamkeys-only fields that IBM's clients ignore.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{ApiKey, HistoryEntry, KeyKind, LeakAction, ServiceId};

/// An API key as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
/// Read leniently: a field IBM's answers may leave out takes its default,
/// and times may be written as IBM writes them (`…+0000`).
pub struct WireKey {
    pub id: String,
    #[serde(default)]
    pub entity_tag: String,
    #[serde(default)]
    pub crn: String,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(deserialize_with = "lenient_time")]
    pub created_at: Timestamp,
    #[serde(default)]
    pub created_by: String,
    #[serde(deserialize_with = "lenient_time")]
    pub modified_at: Timestamp,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub iam_id: String,
    pub account_id: String,
    #[serde(default)]
    pub support_sessions: bool,
    #[serde(default = "default_leak_action")]
    pub action_when_leaked: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The value: only in a create's answer, else empty.
    #[serde(default)]
    pub apikey: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<WireHistory>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<WireActivity>,
    // iamkeys-only:
    /// `user`, `service_id` or `classic`.
    #[serde(default = "user_kind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    /// The owner's email, or the service ID's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// The creator's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    /// Where and when the key's value was found (`iamkeys scan`); never
    /// the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaked: Option<crate::domain::Leak>,
}

fn user_kind() -> String {
    "user".to_string()
}

fn default_leak_action() -> String {
    LeakAction::default().label().to_string()
}

/// A time as RFC 3339, or as IBM also writes it: an offset without its
/// colon (`2024-01-02T03:04:05+0000`), seconds left out (`…T03:04+0000`).
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let fixed = crate::time::from_ibm_spelling(text).unwrap_or_else(|| text.to_string());
    fixed
        .parse::<Timestamp>()
        .map_err(|e| format!("{text:?} is not a time: {e}"))
}

fn lenient_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = String::deserialize(d)?;
    parse_time(&text).map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WireHistory {
    pub timestamp: String,
    pub iam_id: String,
    pub iam_id_account: String,
    pub action: String,
    pub params: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WireActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authn: Option<String>,
    pub authn_count: u64,
}

/// Times as the API writes them: RFC 3339 in UTC, to the second.
pub fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl WireKey {
    /// The API's view of a stored key, with the names the page shows.
    pub fn of(key: &ApiKey, owner: &str, created_by: &str, history: bool) -> WireKey {
        WireKey {
            id: key.id.clone(),
            entity_tag: key.entity_tag.clone(),
            crn: key.crn.clone(),
            locked: key.locked,
            disabled: key.disabled,
            created_at: key.created_at,
            created_by: key.created_by.clone(),
            modified_at: key.modified_at,
            name: key.name.clone(),
            description: key.description.clone(),
            iam_id: key.iam_id.clone(),
            account_id: key.account_id.clone(),
            support_sessions: key.support_sessions,
            action_when_leaked: key.action_when_leaked.label().to_string(),
            expires_at: key.expires_at.map(|m| m.to_string()),
            apikey: String::new(),
            history: history.then(|| {
                key.history
                    .iter()
                    .map(|h| WireHistory::of(h, &key.account_id))
                    .collect()
            }),
            activity: Some(WireActivity {
                last_authn: key.activity.last_authn.map(time),
                authn_count: key.activity.authn_count,
            }),
            kind: key.kind.label().to_string(),
            managed_by: key.managed_by.clone(),
            owner_name: Some(owner.to_string()),
            created_by_name: Some(created_by.to_string()),
            leaked: key.leak.clone(),
        }
    }

    /// The key this describes, without value or hash (which never leave
    /// the server).
    pub fn to_key(&self) -> Result<ApiKey, String> {
        let kind = match self.kind.as_str() {
            // IBM's answers carry no kind: a service ID's iam_id says it.
            "user" if self.iam_id.starts_with("iam-ServiceId-") => KeyKind::ServiceId,
            "user" => KeyKind::User,
            "service_id" => KeyKind::ServiceId,
            "classic" => KeyKind::Classic,
            other => return Err(format!("unknown key kind {other:?}")),
        };
        let expires_at = match &self.expires_at {
            Some(t) => Some(
                crate::time::parse_moment(t).map_err(|e| format!("bad expires_at {t:?}: {e}"))?,
            ),
            None => None,
        };
        let history = match &self.history {
            Some(h) => h
                .iter()
                .map(WireHistory::to_entry)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let activity = match &self.activity {
            Some(a) => crate::domain::Activity {
                last_authn: a.last_authn.as_deref().map(parse_time).transpose()?,
                authn_count: a.authn_count,
            },
            None => crate::domain::Activity::default(),
        };
        Ok(ApiKey {
            id: self.id.clone(),
            kind,
            name: self.name.clone(),
            description: self.description.clone(),
            account_id: self.account_id.clone(),
            iam_id: self.iam_id.clone(),
            crn: self.crn.clone(),
            entity_tag: self.entity_tag.clone(),
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            modified_at: self.modified_at,
            locked: self.locked,
            disabled: self.disabled,
            action_when_leaked: LeakAction::parse(&self.action_when_leaked)
                .ok_or_else(|| format!("bad action_when_leaked {:?}", self.action_when_leaked))?,
            support_sessions: self.support_sessions,
            expires_at,
            managed_by: self.managed_by.clone(),
            activity,
            history,
            lookup: None,
            hash: None,
            leak: self.leaked.clone(),
        })
    }
}

impl WireHistory {
    pub fn of(h: &HistoryEntry, account_id: &str) -> WireHistory {
        WireHistory {
            timestamp: time(h.timestamp),
            iam_id: h.actor.clone(),
            iam_id_account: account_id.to_string(),
            action: h.action.clone(),
            params: Vec::new(),
            message: h.message.clone(),
        }
    }

    fn to_entry(&self) -> Result<HistoryEntry, String> {
        Ok(HistoryEntry {
            timestamp: parse_time(&self.timestamp).map_err(|e| format!("bad history time: {e}"))?,
            actor: self.iam_id.clone(),
            action: self.action.clone(),
            message: self.message.clone(),
        })
    }
}

/// A page of keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireKeyList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    pub offset: u64,
    pub limit: u64,
    pub first: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub apikeys: Vec<WireKey>,
}

/// A service ID as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireServiceId {
    pub id: String,
    pub iam_id: String,
    pub entity_tag: String,
    pub crn: String,
    pub locked: bool,
    pub created_at: String,
    pub modified_at: String,
    pub account_id: String,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub unique_instance_crns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<WireHistory>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apikey: Option<WireKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<WireActivity>,
}

impl WireServiceId {
    /// `history` is empty unless asked for, as IBM's.
    pub fn of(sid: &ServiceId, fallback: Timestamp, history: bool) -> WireServiceId {
        WireServiceId {
            id: sid.id.clone(),
            iam_id: sid.iam_id.clone(),
            entity_tag: sid.tag(),
            crn: sid.crn(),
            locked: sid.locked,
            created_at: time(sid.created_at.unwrap_or(fallback)),
            modified_at: time(sid.modified_at.or(sid.created_at).unwrap_or(fallback)),
            account_id: sid.account_id.clone(),
            name: sid.name.clone(),
            description: sid.description.clone(),
            unique_instance_crns: Vec::new(),
            history: Some(if history {
                sid.history
                    .iter()
                    .map(|h| WireHistory::of(h, &sid.account_id))
                    .collect()
            } else {
                Vec::new()
            }),
            apikey: None,
            activity: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireServiceIdList {
    pub offset: u64,
    pub limit: u64,
    pub first: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub serviceids: Vec<WireServiceId>,
}

/// One error of the management API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub message_code: String,
    pub message: String,
}

/// The management API's error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireErrors {
    pub errors: Vec<WireError>,
    pub trace: String,
    pub status_code: String,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireToken {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub expiration: i64,
    pub scope: String,
}

/// The token endpoint's error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireTokenError {
    pub error_code: String,
    pub error_message: String,
    /// iamkeys: the refusal as a local sign-in words it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<String>,
    #[serde(default)]
    pub context: BTreeMap<String, String>,
}

/// iamkeys-only: a View filter option with what it allows now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireView {
    pub view: String,
    pub label: String,
    pub actions: Vec<String>,
    pub create_refused: Option<String>,
}

/// iamkeys-only: a page of a view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireListing {
    pub total: u64,
    pub offset: u64,
    pub rows: Vec<WireKey>,
}

/// iamkeys-only: one key with what the caller may do with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireKeyDetails {
    pub row: WireKey,
    pub actions: Vec<String>,
}

/// iamkeys-only: who a token signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireSession {
    pub user: crate::domain::User,
    pub account_id: String,
    pub key_id: Option<String>,
    pub store: WireStore,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireStore {
    pub demo: bool,
    pub source: String,
    pub schema_version: u32,
}

/// iamkeys-only: a persona and their roles per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePersona {
    pub user: crate::domain::User,
    pub accounts: Vec<WirePersonaAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePersonaAccount {
    pub account_id: String,
    pub owner: bool,
    pub roles: Vec<crate::domain::Role>,
}

/// iamkeys-only: an account the caller belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireAccountSummary {
    pub id: String,
    pub name: String,
}

/// The grant types the token endpoint takes.
pub const GRANT_APIKEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
/// iamkeys-only, on demo stores: sign in a persona by email.
pub const GRANT_PERSONA: &str = "urn:iamkeys:params:oauth:grant-type:persona";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_rfc_3339_and_as_ibm_writes_them() {
        let want: Timestamp = "2024-01-02T03:04:05Z".parse().unwrap();
        for text in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05+00:00",
            "2024-01-02T03:04:05+0000",
            "2024-01-02T04:04:05+0100",
        ] {
            assert_eq!(parse_time(text), Ok(want), "{text}");
        }
        let minute: Timestamp = "2024-01-02T03:04:00Z".parse().unwrap();
        assert_eq!(parse_time("2024-01-02T03:04+0000"), Ok(minute));
        assert_eq!(parse_time("2024-01-02T03:04Z"), Ok(minute));
        for bad in ["", "yesterday", "2024-01-02", "2024-01-02T03:04:05"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_key_from_an_answer_without_iamkeys_fields_is_read() {
        let k: WireKey = serde_json::from_value(serde_json::json!({
            "id": "ApiKey-1", "name": "n", "iam_id": "iam-ServiceId-1", "account_id": "a",
            "created_at": "2024-01-02T03:04+0000", "modified_at": "2024-01-02T03:04:05Z",
        }))
        .unwrap();
        let key = k.to_key().unwrap();
        assert_eq!(key.kind, KeyKind::ServiceId);
        assert_eq!(key.action_when_leaked, LeakAction::default());
        assert!(k.apikey.is_empty() && k.owner_name.is_none());
    }
}

/// What `POST /iamkeys/v1/leaks` did with a key value a scan found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireLeakOutcome {
    /// `not_in_store`, `not_permitted` or `acted`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What was done (`marked`, `disabled`, `already_disabled`, `deleted`,
    /// `locked_marked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
    /// A locked key's action when leaked, which was not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_when_leaked: Option<String>,
}

impl WireLeakOutcome {
    pub fn of(o: &crate::service::LeakOutcome) -> WireLeakOutcome {
        use crate::service::{LeakOutcome, Taken};
        let none = WireLeakOutcome {
            outcome: String::new(),
            account_id: None,
            key_id: None,
            name: None,
            owner: None,
            taken: None,
            action_when_leaked: None,
        };
        match o {
            LeakOutcome::NotInStore => WireLeakOutcome {
                outcome: "not_in_store".into(),
                ..none
            },
            LeakOutcome::NotPermitted { account_id } => WireLeakOutcome {
                outcome: "not_permitted".into(),
                account_id: Some(account_id.clone()),
                ..none
            },
            LeakOutcome::Acted {
                key_id,
                name,
                owner,
                account_id,
                taken,
            } => WireLeakOutcome {
                outcome: "acted".into(),
                account_id: Some(account_id.clone()),
                key_id: Some(key_id.clone()),
                name: Some(name.clone()),
                owner: Some(owner.clone()),
                taken: Some(taken.id().to_string()),
                action_when_leaked: match taken {
                    Taken::LockedMarked(a) => Some(a.label().to_string()),
                    _ => None,
                },
            },
        }
    }

    /// The outcome this describes.
    pub fn to_outcome(&self) -> Result<crate::service::LeakOutcome, String> {
        use crate::service::{LeakOutcome, Taken};
        let field = |v: &Option<String>, name: &str| {
            v.clone()
                .ok_or_else(|| format!("a leak outcome without {name}"))
        };
        Ok(match self.outcome.as_str() {
            "not_in_store" => LeakOutcome::NotInStore,
            "not_permitted" => LeakOutcome::NotPermitted {
                account_id: field(&self.account_id, "account_id")?,
            },
            "acted" => LeakOutcome::Acted {
                key_id: field(&self.key_id, "key_id")?,
                name: field(&self.name, "name")?,
                owner: field(&self.owner, "owner")?,
                account_id: field(&self.account_id, "account_id")?,
                taken: match field(&self.taken, "taken")?.as_str() {
                    "marked" => Taken::Marked,
                    "disabled" => Taken::Disabled,
                    "already_disabled" => Taken::AlreadyDisabled,
                    "deleted" => Taken::Deleted,
                    "locked_marked" => Taken::LockedMarked(
                        LeakAction::parse(&field(&self.action_when_leaked, "action_when_leaked")?)
                            .ok_or("an unknown action when leaked")?,
                    ),
                    other => return Err(format!("an unknown leak action {other:?}")),
                },
            },
            other => return Err(format!("an unknown leak outcome {other:?}")),
        })
    }
}
