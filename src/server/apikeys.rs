//! Tokens and API keys: the token exchange, the JWKS, and the API key
//! operations of IAM Identity v1.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::Shared;
use super::errors::{ApiError, TokenError};
use super::http::{Caller, blocking, flag, if_match, with_etag};
use super::token::{Claims, TOKEN_LIFETIME_SECS, TokenAccount};
use crate::access::{KeyAction, ViewFilter};
use crate::domain::{KeyKind, LeakAction};
use crate::service::{
    KeyRow, KeyUpdate, ListQuery, Listing, NewKey, Service, ServiceError, Session, SortField,
};
use crate::wire::{self, WireKey, WireKeyList, WireToken};

/// The query of a request as a map (the last of repeated names wins).
pub fn params(raw: Option<String>) -> HashMap<String, String> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

/// A `true`/`false` query parameter.
pub fn bool_param(p: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match p.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(format!(
            "the parameter {name} must be true or false"
        ))),
    }
}

/// A JSON body, or IBM's 400 naming what is wrong with it.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let inner = crate::secret::redact_values(&e.inner().to_string()).into_owned();
        if at == "." {
            ApiError::bad_request(format!("the request body is not valid: {inner}"))
        } else {
            ApiError::bad_request(format!("the request body's {at} is not valid: {inner}"))
        }
    })
}

/// An RFC 3339 time, also in IBM's forms: `+0000` without the colon, and
/// `yyyy-MM-ddTHH:mm+0000` without seconds (the form IBM's SDKs document).
pub fn moment(text: &str) -> Result<crate::time::Moment, ApiError> {
    crate::time::from_ibm_spelling(text)
        .as_deref()
        .map_or_else(
            || crate::time::parse_moment(text),
            crate::time::parse_moment,
        )
        .map_err(|e| ApiError::bad_request(format!("expires_at: {e}")))
}

// ---- tokens ------------------------------------------------------------------

/// `POST /identity/token`: an API key (or, on a demo store, a persona) for
/// an access token. One lookup and one argon2 verification, on the
/// bounded hashing pool; refusals are throttled per key as locally.
pub async fn token(
    State(st): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match exchange(&st, &headers, &body).await {
        Ok(t) => axum::Json(t).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn exchange(st: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<WireToken, TokenError> {
    let form_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return Err(TokenError::bad_request(
            "the token request must be a form (application/x-www-form-urlencoded)",
        ));
    }
    let mut grant = None;
    let mut apikey: Option<Zeroizing<String>> = None;
    let mut email = None;
    let mut account = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "grant_type" => grant = Some(v.into_owned()),
            "apikey" => apikey = Some(Zeroizing::new(v.into_owned())),
            "email" => email = Some(v.into_owned()),
            "account" => account = Some(v.into_owned()),
            _ => {}
        }
    }
    let grant = grant.ok_or_else(|| TokenError::bad_request("grant_type is missing"))?;
    let session = match grant.as_str() {
        wire::GRANT_APIKEY => {
            let value = apikey
                .filter(|v| !v.is_empty())
                .ok_or_else(|| TokenError::bad_request("apikey is missing"))?;
            let permit = tokio::time::timeout(super::limits::HASH_WAIT, st.hashing.acquire())
                .await
                .map_err(|_| TokenError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "BXNIM0429E",
                    message: "Too many token requests",
                    details: "the server is busy verifying keys: try again in a moment".into(),
                    retry_after: Some(1),
                })?;
            let st2 = Arc::clone(st);
            let result = tokio::task::spawn_blocking(move || {
                st2.service
                    .sign_in_token(value.as_str(), account.as_deref())
            })
            .await;
            drop(permit);
            result.map_err(|_| TokenError::internal())??
        }
        wire::GRANT_PERSONA if !st.ibm_only => {
            let email = email.ok_or_else(|| TokenError::bad_request("email is missing"))?;
            let st2 = Arc::clone(st);
            tokio::task::spawn_blocking(move || st2.service.sign_in_as(&email, account.as_deref()))
                .await
                .map_err(|_| TokenError::internal())??
        }
        _ => {
            return Err(TokenError::bad_request(
                "grant_type must be urn:ibm:params:oauth:grant-type:apikey",
            ));
        }
    };
    Ok(issue(st, headers, &session, &grant))
}

fn issue(st: &Shared, headers: &HeaderMap, s: &Session, grant: &str) -> WireToken {
    let now = jiff::Timestamp::now().as_second();
    let service = Service::is_service_identity(s);
    let claims = Claims {
        iam_id: s.user.iam_id.clone(),
        id: s.user.iam_id.clone(),
        realmid: if service { "iam" } else { "IBMid" }.to_string(),
        sub: if service {
            s.user.iam_id.trim_start_matches("iam-").to_string()
        } else {
            s.user.email.clone()
        },
        sub_type: if service { "ServiceId" } else { "user" }.to_string(),
        account: TokenAccount {
            bss: s.account_id.clone(),
            valid: true,
        },
        iat: now,
        exp: now + TOKEN_LIFETIME_SECS,
        iss: format!("{}/identity", super::http::base_url(headers, st.https)),
        grant_type: grant.to_string(),
        scope: "ibm openid".to_string(),
        client_id: "default".to_string(),
        jti: uuid::Uuid::new_v4().to_string(),
        email: (!service).then(|| s.user.email.clone()),
        name: Some(s.user.name.clone()).filter(|n| !n.is_empty()),
        iamkeys_key: s.key_id.clone(),
    };
    WireToken {
        access_token: st.signer.sign(&claims),
        refresh_token: "not_supported".to_string(),
        token_type: "Bearer".to_string(),
        expires_in: TOKEN_LIFETIME_SECS,
        expiration: claims.exp,
        scope: claims.scope,
    }
}

/// `GET /identity/keys`: the token signing key, as a JWKS.
pub async fn jwks(State(st): State<Shared>) -> Response {
    axum::Json(st.signer.jwks()).into_response()
}

// ---- reading -----------------------------------------------------------------

pub fn wire_row(row: &KeyRow, history: bool) -> WireKey {
    WireKey::of(&row.key, &row.owner, &row.created_by, history)
}

/// The caller's account, or a 403 if the request names another.
fn same_account(s: &Session, given: Option<&String>) -> Result<(), ApiError> {
    match given {
        Some(a) if !a.is_empty() && *a != s.account_id => Err(ApiError::forbidden(format!(
            "you are not a member of account {}",
            crate::secret::redact_values(a)
        ))),
        _ => Ok(()),
    }
}

/// A page token: opaque to clients, an offset here.
pub fn page_token(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

pub fn parse_page_token(t: &str) -> Result<usize, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('o').and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::bad_request("the pagetoken is not one this server gave"))
}

pub fn page_size(p: &HashMap<String, String>) -> Result<usize, ApiError> {
    match p.get("pagesize") {
        None => Ok(20),
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=100) => Ok(n),
            _ => Err(ApiError::bad_request(
                "pagesize must be a number from 1 to 100",
            )),
        },
    }
}

/// `first`, `previous` and `next` links of a page.
pub fn links(
    base: &str,
    path: &str,
    p: &HashMap<String, String>,
    offset: usize,
    size: usize,
    total: usize,
) -> (String, Option<String>, Option<String>) {
    let url = |token: Option<String>| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let mut keys: Vec<_> = p.iter().filter(|(k, _)| *k != "pagetoken").collect();
        keys.sort();
        for (k, v) in keys {
            q.append_pair(k, v);
        }
        if let Some(t) = token {
            q.append_pair("pagetoken", &t);
        }
        let q = q.finish();
        if q.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{q}")
        }
    };
    let previous = (offset > 0).then(|| url(Some(page_token(offset.saturating_sub(size)))));
    let next = (offset + size < total).then(|| url(Some(page_token(offset + size))));
    (url(None), previous, next)
}

/// What a name filter (`name co "text"`, `name eq "text"`) keeps.
fn name_filter(filter: &str) -> Result<impl Fn(&KeyRow) -> bool + use<>, ApiError> {
    let bad = || {
        ApiError::bad_request("filter: only name co \"text\" and name eq \"text\" are supported")
    };
    let rest = filter
        .trim()
        .strip_prefix("name")
        .ok_or_else(bad)?
        .trim_start();
    let (op, value) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?
        .to_string();
    let contains = match op {
        "co" => true,
        "eq" => false,
        _ => return Err(bad()),
    };
    let lower = value.to_lowercase();
    Ok(move |r: &KeyRow| {
        if contains {
            r.key.name.to_lowercase().contains(&lower)
        } else {
            r.key.name == value
        }
    })
}

/// `GET /v1/apikeys`.
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let s = caller.session;
    same_account(&s, p.get("account_id"))?;
    let size = page_size(&p)?;
    let offset = p
        .get("pagetoken")
        .map(|t| parse_page_token(t))
        .transpose()?
        .unwrap_or(0);
    let sort = match p.get("sort") {
        None => SortField::Name,
        Some(v) => SortField::parse(v).ok_or_else(|| {
            ApiError::bad_request("sort must be one of name, description, created_at, created_by")
        })?,
    };
    let desc = match p.get("order").map(String::as_str) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::bad_request("order must be asc or desc")),
    };
    let account_scope = match p.get("scope").map(String::as_str) {
        None | Some("entity") => false,
        Some("account") => true,
        Some(_) => return Err(ApiError::bad_request("scope must be entity or account")),
    };
    let kind = match p.get("type").map(String::as_str) {
        None => None,
        Some("user") => Some(ViewFilter::AllUserApiKeys),
        Some("serviceid") => Some(ViewFilter::AllServiceIdApiKeys),
        Some(_) => return Err(ApiError::bad_request("type must be user or serviceid")),
    };
    let history = bool_param(&p, "include_history")?;
    let filter = p.get("filter").map(|f| name_filter(f)).transpose()?;
    let iam_id = p.get("iam_id").filter(|i| !i.is_empty()).cloned();
    if let Some(i) = &iam_id {
        crate::secret::looks_like_key(i)
            .then(|| {
                Err::<(), _>(ApiError::bad_request(
                    "that is an API key value, not an IAM ID",
                ))
            })
            .transpose()?;
    }
    let service_caller = Service::is_service_identity(&s);
    // The API's `created_by` is an IAM ID, where the page sorts by the
    // name it shows: that order is made here.
    let by_creator_id = sort == SortField::CreatedBy;
    let paged_here =
        filter.is_some() || (account_scope && kind.is_none()) || service_caller || by_creator_id;
    let q = ListQuery {
        sort,
        desc,
        offset: if paged_here { 0 } else { offset },
        limit: if paged_here { None } else { Some(size) },
        ..ListQuery::default()
    };
    let me = s.user.iam_id.clone();
    let listing = blocking(&st, move |svc| {
        if Service::is_service_identity(&s) {
            // A service ID reads its own keys and nothing else: no
            // account-wide view, no other identity, and its keys are
            // service ID keys (none of type user).
            if account_scope {
                return Err(crate::access::Denied::ServiceIdentity.into());
            }
            if iam_id.as_ref().is_some_and(|i| *i != me) {
                return Err(ServiceError::BadInput(
                    super::errors::IAM_ID_MISMATCH.into(),
                ));
            }
            let mut rows = svc.own_service_keys(&s)?;
            if kind == Some(ViewFilter::AllUserApiKeys) {
                rows.clear();
            }
            crate::service::sort_rows(&mut rows, q.sort, q.desc);
            return Ok(Listing {
                total: rows.len(),
                offset: 0,
                rows,
            });
        }
        if account_scope {
            let views = match kind {
                Some(v) => vec![v],
                None => vec![ViewFilter::AllUserApiKeys, ViewFilter::AllServiceIdApiKeys],
            };
            let mut all = Listing {
                total: 0,
                offset: q.offset,
                rows: Vec::new(),
            };
            for view in views {
                let l = svc.list(&s, &ListQuery { view, ..q.clone() })?;
                all.total += l.total;
                all.rows.extend(l.rows);
            }
            if let Some(i) = &iam_id {
                all.rows.retain(|r| &r.key.iam_id == i);
                all.total = all.rows.len();
            }
            if views_len(kind) > 1 {
                crate::service::sort_rows(&mut all.rows, q.sort, q.desc);
            }
            return Ok(all);
        }
        let who = iam_id.unwrap_or_else(|| me.clone());
        if kind == Some(ViewFilter::AllServiceIdApiKeys) && who == me {
            return Ok(Listing {
                total: 0,
                offset: 0,
                rows: Vec::new(),
            });
        }
        match svc.list_of_identity(&s, &who, &q) {
            Err(ServiceError::Denied(crate::access::Denied::ViewNeedsAdmin(_))) if who != me => {
                Err(ServiceError::BadInput(
                    super::errors::IAM_ID_MISMATCH.into(),
                ))
            }
            other => other,
        }
    })
    .await?;
    let Listing {
        mut total, rows, ..
    } = listing;
    let rows: Vec<KeyRow> = if paged_here {
        let mut rows = rows;
        if let Some(f) = &filter {
            rows.retain(|r| f(r));
        }
        if by_creator_id {
            rows.sort_by(|a, b| {
                (&a.key.created_by, &a.key.id).cmp(&(&b.key.created_by, &b.key.id))
            });
            if desc {
                rows.reverse();
            }
        }
        total = rows.len();
        rows.into_iter().skip(offset).take(size).collect()
    } else {
        rows
    };
    let base = super::http::base_url(&headers, st.https);
    let (first, previous, next) = links(&base, "/v1/apikeys", &p, offset, size, total);
    Ok(axum::Json(WireKeyList {
        context: None,
        offset: offset as u64,
        limit: size as u64,
        first,
        previous,
        next,
        apikeys: rows.iter().map(|r| wire_row(r, history)).collect(),
    })
    .into_response())
}

fn views_len(kind: Option<ViewFilter>) -> usize {
    if kind.is_some() { 1 } else { 2 }
}

/// `GET /v1/apikeys/{id}`: by id only (a name is not an id here).
pub async fn get_one(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let history = bool_param(&p, "include_history")?;
    let row = read_by_id(&st, caller.session, id).await?;
    Ok(with_etag(
        StatusCode::OK,
        &row.key.entity_tag.clone(),
        wire_row(&row, history),
    ))
}

/// The key `id` (an id, not a name) among those the caller can see through
/// this API. A server that speaks only IBM's API does not carry classic
/// infrastructure keys, as IBM's does not.
fn by_id(svc: &Service, s: &Session, id: &str, ibm_only: bool) -> Result<KeyRow, ServiceError> {
    let row = svc.get(s, id)?;
    if row.key.id != id || (ibm_only && row.key.kind == KeyKind::Classic) {
        return Err(ServiceError::NotFound(format!(
            "no API key {id} among the keys you can see in this account"
        )));
    }
    Ok(row)
}

/// A key by id that the caller can see.
async fn read_by_id(st: &Shared, s: Session, id: String) -> Result<KeyRow, ApiError> {
    let ibm_only = st.ibm_only;
    blocking(st, move |svc| {
        if Service::is_service_identity(&s) {
            return svc.own_service_key(&s, &id);
        }
        by_id(svc, &s, &id, ibm_only)
    })
    .await
}

/// `GET /v1/apikeys/details` with `IAM-ApiKey`: the key whose value is
/// given (verified, throttled as a sign-in is).
pub async fn details(
    State(st): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let history = bool_param(&p, "include_history")?;
    let value = Zeroizing::new(
        headers
            .get("iam-apikey")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| ApiError::bad_request("the IAM-ApiKey header is missing"))?,
    );
    let permit = tokio::time::timeout(super::limits::HASH_WAIT, st.hashing.acquire())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "BXNIM0429E",
                "the server is busy verifying keys: try again in a moment",
            )
        })?;
    let s = caller.session;
    let row = blocking(&st, move |svc| svc.key_of_value(&s, value.as_str())).await;
    drop(permit);
    let row = row?;
    if st.ibm_only && row.key.kind == KeyKind::Classic {
        return Err(ApiError::not_found("no API key has that value"));
    }
    Ok(with_etag(
        StatusCode::OK,
        &row.key.entity_tag.clone(),
        wire_row(&row, history),
    ))
}

// ---- changes -----------------------------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    iam_id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    apikey: Option<String>,
    #[serde(default)]
    store_value: Option<bool>,
    #[serde(default)]
    support_sessions: Option<bool>,
    #[serde(default)]
    action_when_leaked: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

pub fn leak_action(v: Option<&str>) -> Result<Option<LeakAction>, ApiError> {
    v.map(|a| {
        LeakAction::parse(a).ok_or_else(|| {
            ApiError::bad_request("action_when_leaked must be none, disable or delete")
        })
    })
    .transpose()
}

/// The value a create must not carry: iamkeys generates every value and
/// never stores one.
pub fn no_client_value(apikey: Option<&str>, store_value: Option<bool>) -> Result<(), ApiError> {
    if apikey.is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::bad_request(
            "apikey: values are generated by the server; a value cannot be supplied",
        ));
    }
    if store_value == Some(true) {
        return Err(ApiError::bad_request(
            "store_value: iamkeys never stores key values",
        ));
    }
    Ok(())
}

/// `POST /v1/apikeys`: a user's own key, or a service ID's key.
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let b: CreateBody = json_body(&body)?;
    let s = caller.session;
    same_account(&s, b.account_id.as_ref())?;
    no_client_value(b.apikey.as_deref(), b.store_value)?;
    let lock = flag(&headers, "Entity-Lock")?;
    let disable = flag(&headers, "Entity-Disable")?;
    let spec = NewKey {
        name: b.name,
        description: b.description.unwrap_or_default(),
        action_when_leaked: leak_action(b.action_when_leaked.as_deref())?.unwrap_or_default(),
        support_sessions: b.support_sessions.unwrap_or(false),
        expires_at: b.expires_at.as_deref().map(moment).transpose()?,
        locked: lock,
        disabled: disable,
    };
    let iam_id = b.iam_id;
    let created = blocking(&st, move |svc| {
        let created = if iam_id == s.user.iam_id {
            svc.create_user_key(&s, &spec)?
        } else if iam_id.starts_with("iam-ServiceId-") {
            // By the service ID's iam_id: the service checks the role before
            // it looks the service ID up, so whoever may not create service
            // ID keys learns nothing about which exist.
            svc.create_service_key(&s, &iam_id, &spec)?
        } else {
            return Err(ServiceError::BadInput(
                super::errors::IAM_ID_MISMATCH.into(),
            ));
        };
        Ok(created)
    })
    .await?;
    let mut w = wire_row(&created.row, false);
    w.apikey = created.secret.expose().to_string();
    Ok(with_etag(StatusCode::CREATED, &w.entity_tag.clone(), w))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    support_sessions: Option<bool>,
    #[serde(default)]
    action_when_leaked: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

/// `PUT /v1/apikeys/{id}`, `If-Match` required (`*`: any).
pub async fn update(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let tag = if_match(&headers)?.ok_or_else(|| {
        ApiError::bad_request("the If-Match header is required: the key's entity tag, or *")
    })?;
    let b: UpdateBody = json_body(&body)?;
    let u = KeyUpdate {
        name: b.name,
        description: b.description,
        action_when_leaked: leak_action(b.action_when_leaked.as_deref())?,
        entity_tag: tag,
        expires_at: match b.expires_at.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(t) => Some(Some(moment(t)?)),
        },
    };
    let support = b.support_sessions;
    let s = caller.session;
    let ibm_only = st.ibm_only;
    let row = blocking(&st, move |svc| {
        let current = by_id(svc, &s, &id, ibm_only)?;
        if support.is_some_and(|v| v != current.key.support_sessions) {
            return Err(ServiceError::BadInput(
                "support_sessions is set when a key is created and cannot be changed".into(),
            ));
        }
        if u.name.is_none()
            && u.description.is_none()
            && u.action_when_leaked.is_none()
            && u.expires_at.is_none()
        {
            return Ok(current);
        }
        svc.update(&s, &id, &u)
    })
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        &row.key.entity_tag.clone(),
        wire_row(&row, false),
    ))
}

/// `DELETE /v1/apikeys/{id}` (an `If-Match` is honoured if given).
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tag = if_match(&headers)?.flatten();
    let s = caller.session;
    let ibm_only = st.ibm_only;
    blocking(&st, move |svc| {
        by_id(svc, &s, &id, ibm_only)?;
        svc.delete(&s, &id, tag.as_deref()).map(|_| ())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn switch(
    st: Shared,
    caller: Caller,
    id: String,
    headers: &HeaderMap,
    action: KeyAction,
) -> Result<Response, ApiError> {
    let tag = if_match(headers)?.flatten();
    let s = caller.session;
    let ibm_only = st.ibm_only;
    blocking(&st, move |svc| {
        by_id(svc, &s, &id, ibm_only)?;
        svc.switch(&s, &id, action, tag.as_deref()).map(|_| ())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn lock(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    switch(st, caller, id, &headers, KeyAction::Lock).await
}

pub async fn unlock(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    switch(st, caller, id, &headers, KeyAction::Unlock).await
}

pub async fn disable(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    switch(st, caller, id, &headers, KeyAction::Disable).await
}

pub async fn enable(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    switch(st, caller, id, &headers, KeyAction::Enable).await
}
