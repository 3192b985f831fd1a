//! Service IDs: list (with an exact `name=`), create (with an optional
//! key), get, update against `If-Match`, delete (with its keys), lock.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::apikeys::{
    bool_param, json_body, leak_action, links, no_client_value, page_size, params,
    parse_page_token, wire_row,
};
use super::errors::ApiError;
use super::http::{Caller, blocking, flag, if_match, with_etag};
use crate::service::{NewKey, NewServiceId, ServiceIdUpdate};
use crate::wire::{WireServiceId, WireServiceIdList};

fn now() -> jiff::Timestamp {
    crate::service::now()
}

/// `GET /v1/serviceids/`.
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let s = caller.session;
    if let Some(a) = p.get("account_id")
        && !a.is_empty()
        && *a != s.account_id
    {
        return Err(ApiError::forbidden(format!(
            "you are not a member of account {}",
            crate::secret::redact_values(a)
        )));
    }
    let size = page_size(&p)?;
    let offset = p
        .get("pagetoken")
        .map(|t| parse_page_token(t))
        .transpose()?
        .unwrap_or(0);
    let desc = match p.get("order").map(String::as_str) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::bad_request("order must be asc or desc")),
    };
    let sort = p.get("sort").cloned();
    if let Some(field) = &sort
        && !matches!(
            field.as_str(),
            "name" | "description" | "created_at" | "modified_at"
        )
    {
        return Err(ApiError::bad_request(
            "sort must be one of name, description, created_at, modified_at",
        ));
    }
    let history = bool_param(&p, "include_history")?;
    let name = p.get("name").cloned();
    let mut all = blocking(&st, move |svc| svc.list_service_ids(&s, name.as_deref())).await?;
    let fallback = now();
    match sort.as_deref() {
        Some("description") => all.sort_by(|a, b| a.description.cmp(&b.description)),
        Some("created_at") => all.sort_by_key(|x| x.created_at),
        Some("modified_at") => all.sort_by_key(|x| x.modified_at.or(x.created_at)),
        _ => {}
    }
    if desc {
        all.reverse();
    }
    let total = all.len();
    let base = super::http::base_url(&headers, st.https);
    let (first, previous, next) = links(&base, "/v1/serviceids/", &p, offset, size, total);
    let serviceids = all
        .iter()
        .skip(offset)
        .take(size)
        .map(|x| {
            let mut w = WireServiceId::of(x, fallback, history);
            if !history {
                w.history = None;
            }
            w
        })
        .collect();
    Ok(axum::Json(WireServiceIdList {
        offset: offset as u64,
        limit: size as u64,
        first,
        previous,
        next,
        serviceids,
    })
    .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyPart {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    apikey: Option<String>,
    #[serde(default)]
    store_value: Option<bool>,
    #[serde(default)]
    action_when_leaked: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    iam_id: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    support_sessions: Option<bool>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    account_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    unique_instance_crns: Option<Vec<String>>,
    #[serde(default)]
    apikey: Option<KeyPart>,
}

/// `POST /v1/serviceids/`: a service ID, and its first key if asked.
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let b: CreateBody = json_body(&body)?;
    let s = caller.session;
    if b.account_id != s.account_id {
        return Err(ApiError::forbidden(format!(
            "you are not a member of account {}",
            crate::secret::redact_values(&b.account_id)
        )));
    }
    if b.unique_instance_crns
        .as_ref()
        .is_some_and(|c| !c.is_empty())
    {
        return Err(ApiError::bad_request(
            "unique_instance_crns: iamkeys does not keep service instance CRNs",
        ));
    }
    let lock = flag(&headers, "Entity-Lock")?;
    let key = match b.apikey {
        Some(k) => {
            no_client_value(k.apikey.as_deref(), k.store_value)?;
            if k.support_sessions == Some(true) {
                return Err(ApiError::bad_request(
                    "session support applies to user API keys only",
                ));
            }
            let _ = (k.iam_id, k.account_id);
            Some(NewKey {
                name: k.name,
                description: k.description.unwrap_or_default(),
                action_when_leaked: leak_action(k.action_when_leaked.as_deref())?
                    .unwrap_or_default(),
                expires_at: k
                    .expires_at
                    .as_deref()
                    .map(super::apikeys::moment)
                    .transpose()?,
                ..NewKey::default()
            })
        }
        None => None,
    };
    let new = NewServiceId {
        name: b.name,
        description: b.description.unwrap_or_default(),
        locked: lock,
    };
    let (sid, created) = blocking(&st, move |svc| {
        let sid = svc.create_service_id(&s, &new)?;
        let created = match key {
            Some(spec) => Some(svc.create_service_key(&s, &sid.id, &spec)?),
            None => None,
        };
        Ok((sid, created))
    })
    .await?;
    let mut w = WireServiceId::of(&sid, now(), false);
    if let Some(c) = created {
        let mut k = wire_row(&c.row, false);
        k.apikey = c.secret.expose().to_string();
        w.apikey = Some(k);
    }
    Ok(with_etag(StatusCode::CREATED, &w.entity_tag.clone(), w))
}

/// `GET /v1/serviceids/{id}`.
pub async fn get_one(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let history = bool_param(&params(raw), "include_history")?;
    let s = caller.session;
    let sid = blocking(&st, move |svc| svc.get_service_id(&s, &id)).await?;
    let w = WireServiceId::of(&sid, now(), history);
    Ok(with_etag(StatusCode::OK, &w.entity_tag.clone(), w))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    unique_instance_crns: Option<Vec<String>>,
}

/// `PUT /v1/serviceids/{id}`, `If-Match` required.
pub async fn update(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let tag = if_match(&headers)?.ok_or_else(|| {
        ApiError::bad_request("the If-Match header is required: the service ID's entity tag, or *")
    })?;
    let b: UpdateBody = json_body(&body)?;
    if b.unique_instance_crns
        .as_ref()
        .is_some_and(|c| !c.is_empty())
    {
        return Err(ApiError::bad_request(
            "unique_instance_crns: iamkeys does not keep service instance CRNs",
        ));
    }
    let u = ServiceIdUpdate {
        name: b.name,
        description: b.description,
    };
    let s = caller.session;
    let sid = blocking(&st, move |svc| {
        svc.update_service_id(&s, &id, tag.as_deref(), &u)
    })
    .await?;
    let w = WireServiceId::of(&sid, now(), false);
    Ok(with_etag(StatusCode::OK, &w.entity_tag.clone(), w))
}

/// `DELETE /v1/serviceids/{id}`: the service ID and its keys.
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = caller.session;
    blocking(&st, move |svc| svc.delete_service_id(&s, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn set_lock(st: Shared, caller: Caller, id: String, on: bool) -> Result<Response, ApiError> {
    let s = caller.session;
    blocking(&st, move |svc| svc.set_service_id_locked(&s, &id, on)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn lock(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_lock(st, caller, id, true).await
}

pub async fn unlock(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_lock(st, caller, id, false).await
}
