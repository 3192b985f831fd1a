//! Account settings (every field of the API stored and echoed, the two
//! creation restrictions enforced), effective settings, and the inactive
//! identities report.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::apikeys::{bool_param, params};
use super::errors::ApiError;
use super::http::{Caller, blocking, if_match, with_etag};
use crate::domain::AccountSettings;
use crate::service::settings_tag;
use crate::service::{InactiveReport, Session};
use crate::wire::WireHistory;
use crate::wire::time;

/// The settings fields of the API, with the value an account that never
/// set them shows.
const FIELDS: [(&str, &str); 10] = [
    ("restrict_create_service_id", "NOT_SET"),
    ("restrict_create_platform_apikey", "NOT_SET"),
    ("allowed_ip_addresses", ""),
    ("mfa", "NONE"),
    ("session_expiration_in_seconds", "NOT_SET"),
    ("session_invalidation_in_seconds", "NOT_SET"),
    ("max_sessions_per_identity", "NOT_SET"),
    ("system_access_token_expiration_in_seconds", "NOT_SET"),
    ("system_refresh_token_expiration_in_seconds", "NOT_SET"),
    ("restrict_user_list_visibility", "NOT_RESTRICTED"),
];

/// List-valued fields, stored as sent.
const LIST_FIELDS: [&str; 2] = ["user_mfa", "restrict_user_domains"];

const RESTRICTION: [&str; 3] = ["RESTRICTED", "NOT_RESTRICTED", "NOT_SET"];

fn check_account(s: &Session, account_id: &str) -> Result<(), ApiError> {
    if account_id == s.account_id {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "you are not a member of account {}",
            crate::secret::redact_values(account_id)
        )))
    }
}

/// The settings as the API shows them.
/// `history` is empty unless asked for, as IBM's.
fn body(account_id: &str, settings: &AccountSettings, history: bool) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("account_id".into(), json!(account_id));
    out.insert("entity_tag".into(), json!(settings_tag(settings)));
    let entries: Vec<WireHistory> = if history {
        settings
            .history
            .iter()
            .map(|h| WireHistory::of(h, account_id))
            .collect()
    } else {
        Vec::new()
    };
    out.insert("history".into(), json!(entries));
    for (name, default) in FIELDS {
        let v = settings
            .api_fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| json!(default));
        out.insert(name.into(), v);
    }
    for name in LIST_FIELDS {
        let v = settings
            .api_fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| json!([]));
        out.insert(name.into(), v);
    }
    // The page's restriction is the store's own flag: it decides.
    let platform = settings
        .api_fields
        .get("restrict_create_platform_apikey")
        .and_then(Value::as_str)
        .unwrap_or("NOT_SET");
    let shown = match (settings.restrict_api_key_creation, platform) {
        (true, _) => "RESTRICTED",
        (false, "RESTRICTED") => "NOT_RESTRICTED",
        (false, other) => other,
    };
    out.insert("restrict_create_platform_apikey".into(), json!(shown));
    Value::Object(out)
}

/// `GET /v1/accounts/{account_id}/settings/identity`.
pub async fn get_settings(
    State(st): State<Shared>,
    caller: Caller,
    Path(account_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let history = bool_param(&p, "include_history")?;
    let s = caller.session;
    check_account(&s, &account_id)?;
    let (settings, refusal) = blocking(&st, move |svc| svc.settings(&s)).await?;
    let mut b = body(&account_id, &settings, history);
    b["iamkeys_change_refused"] = json!(refusal.map(|d| d.to_string()));
    Ok(with_etag(StatusCode::OK, &settings_tag(&settings), b))
}

/// `PUT /v1/accounts/{account_id}/settings/identity`, `If-Match` required.
pub async fn put_settings(
    State(st): State<Shared>,
    caller: Caller,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let tag = if_match(&headers)?.ok_or_else(|| {
        ApiError::bad_request("the If-Match header is required: the settings' entity tag, or *")
    })?;
    let s = caller.session;
    check_account(&s, &account_id)?;
    let sent: BTreeMap<String, Value> = super::apikeys::json_body(&raw)?;
    let mut fields = BTreeMap::new();
    for (name, value) in sent {
        let known_text = FIELDS.iter().any(|(n, _)| *n == name);
        let known_list = LIST_FIELDS.contains(&name.as_str());
        let ok = (known_text && value.is_string()) || (known_list && value.is_array());
        if !ok {
            return Err(ApiError::bad_request(format!(
                "{}: not an account setting of the IAM Identity API, or not of its type",
                crate::secret::redact_values(&name)
            )));
        }
        if let Some(text) = value.as_str() {
            if text.len() > 1024 {
                return Err(ApiError::bad_request(format!(
                    "{name}: longer than 1024 characters"
                )));
            }
            if name.starts_with("restrict_create_") && !RESTRICTION.contains(&text) {
                return Err(ApiError::bad_request(format!(
                    "{name} must be RESTRICTED, NOT_RESTRICTED or NOT_SET"
                )));
            }
        }
        if value.to_string().len() > 16 * 1024 {
            return Err(ApiError::bad_request(format!("{name}: too large")));
        }
        fields.insert(name, value);
    }
    let restrict = fields
        .get("restrict_create_platform_apikey")
        .and_then(Value::as_str)
        .map(|v| v == "RESTRICTED");
    let tag = tag.unwrap_or_else(|| "*".to_string());
    let settings = blocking(&st, move |svc| {
        svc.put_api_settings(&s, &tag, fields, restrict)
    })
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        &settings_tag(&settings),
        body(&account_id, &settings, false),
    ))
}

/// `GET /v1/accounts/{account_id}/effective_settings/identity`: with no
/// templates or enterprise above the account, the account's own.
pub async fn effective(
    State(st): State<Shared>,
    caller: Caller,
    Path(account_id): Path<String>,
) -> Result<Response, ApiError> {
    let s = caller.session;
    check_account(&s, &account_id)?;
    let (settings, _) = blocking(&st, move |svc| svc.settings(&s)).await?;
    let mut section = body(&account_id, &settings, false);
    if let Some(o) = section.as_object_mut() {
        o.remove("entity_tag");
        o.remove("history");
        o.remove("account_id");
    }
    let mut account = section.clone();
    if let Some(o) = account.as_object_mut() {
        o.insert("account_id".into(), json!(account_id));
        o.insert("entity_tag".into(), json!(settings_tag(&settings)));
        o.insert("history".into(), json!([]));
    }
    Ok(axum::Json(json!({
        "account_id": account_id,
        "effective": section,
        "account": account,
    }))
    .into_response())
}

// ---- the inactive identities report -------------------------------------------

/// Reports asked for, by reference: in memory (a report is a snapshot
/// that is asked for again when needed, as IBM's expire).
#[derive(Default)]
pub struct Reports {
    inner: Mutex<HashMap<String, Report>>,
}

struct Report {
    account_id: String,
    created_at: jiff::Timestamp,
    /// `None` while it is being made.
    body: Option<Value>,
}

const MAX_REPORTS: usize = 64;

/// `POST /v1/activity/accounts/{account_id}/report?type=inactive&duration=HOURS`.
pub async fn create_report(
    State(st): State<Shared>,
    caller: Caller,
    Path(account_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let s = caller.session;
    check_account(&s, &account_id)?;
    match p.get("type").map(String::as_str) {
        None | Some("inactive") => {}
        Some(_) => return Err(ApiError::bad_request("type must be inactive")),
    }
    let hours: i64 = match p.get("duration") {
        None => 720,
        Some(d) => match d.parse::<i64>() {
            Ok(h @ 1..=8760) => h,
            _ => {
                return Err(ApiError::bad_request(
                    "duration must be hours from 1 to 8760",
                ));
            }
        },
    };
    let end = crate::service::now();
    let start = end
        .checked_sub(jiff::SignedDuration::from_hours(hours))
        .map_err(|_| ApiError::bad_request("duration is out of range"))?;
    // The rule first: a caller who may not see the report gets no reference.
    let s2 = s.clone();
    blocking(&st, move |svc| svc.may_report(&s2)).await?;
    let reference = uuid::Uuid::new_v4().to_string();
    {
        let mut reports = st.reports.inner.lock().map_err(|_| ApiError::internal())?;
        if reports.len() >= MAX_REPORTS
            && let Some(oldest) = reports
                .iter()
                .min_by_key(|(_, r)| r.created_at)
                .map(|(k, _)| k.clone())
        {
            reports.remove(&oldest);
        }
        reports.insert(
            reference.clone(),
            Report {
                account_id: account_id.clone(),
                created_at: end,
                body: None,
            },
        );
    }
    let st2 = std::sync::Arc::clone(&st);
    let r2 = reference.clone();
    let creator = s.user.iam_id.clone();
    tokio::spawn(async move {
        let made = blocking(&st2, move |svc| svc.inactive_report(&s, start)).await;
        let body = match made {
            Ok(report) => report_body(&report, &creator, &r2, hours, start, end),
            Err(e) => json!({"error": e.message}),
        };
        if let Ok(mut reports) = st2.reports.inner.lock()
            && let Some(r) = reports.get_mut(&r2)
        {
            r.body = Some(body);
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "reference": reference })),
    )
        .into_response())
}

fn report_body(
    r: &InactiveReport,
    creator: &str,
    reference: &str,
    hours: i64,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> Value {
    let last = |t: Option<jiff::Timestamp>| t.map(time);
    json!({
        "created_by": creator,
        "reference": reference,
        "report_duration": hours.to_string(),
        "report_start_time": time(start),
        "report_end_time": time(end),
        "users": r.users.iter().map(|(u, seen)| json!({
            "iam_id": u.iam_id,
            "name": u.name,
            "username": u.email,
            "email": u.email,
            "last_authn": last(*seen),
        })).collect::<Vec<_>>(),
        "apikeys": r.apikeys.iter().map(|row| {
            let k = &row.key;
            json!({
                "id": k.id,
                "name": k.name,
                "type": if k.kind == crate::domain::KeyKind::ServiceId { "serviceid" } else { "user" },
                "last_authn": last(k.activity.last_authn),
                // iamkeys' own: whose key, and since when it exists.
                "iam_id": k.iam_id,
                "owner": row.owner,
                "created_at": time(k.created_at),
            })
        }).collect::<Vec<_>>(),
        "serviceids": r.serviceids.iter().map(|(sid, seen)| json!({
            "id": sid.id,
            "name": sid.name,
            "last_authn": last(*seen),
        })).collect::<Vec<_>>(),
        "profiles": [],
    })
}

/// `GET /v1/activity/accounts/{account_id}/report/{reference}` (`latest`
/// allowed): 204 while it is being made, then 200.
pub async fn get_report(
    State(st): State<Shared>,
    caller: Caller,
    Path((account_id, reference)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let s = caller.session;
    check_account(&s, &account_id)?;
    blocking(&st, move |svc| svc.may_report(&s)).await?;
    let reports = st.reports.inner.lock().map_err(|_| ApiError::internal())?;
    let found = if reference == "latest" {
        reports
            .values()
            .filter(|r| r.account_id == account_id)
            .max_by_key(|r| r.created_at)
    } else {
        reports
            .get(&reference)
            .filter(|r| r.account_id == account_id)
    };
    let Some(report) = found else {
        return Err(ApiError::not_found(
            "no report with that reference in this account",
        ));
    };
    Ok(match &report.body {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(b) if b.get("error").is_some() => {
            return Err(ApiError::internal());
        }
        Some(b) => axum::Json(b.clone()).into_response(),
    })
}
