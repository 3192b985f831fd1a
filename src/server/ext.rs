//! iamkeys-only operations under `/iamkeys/v1/`, for what the IBM API does
//! not carry: the View filter options with their actions, the page's
//! listing of a view, keys by name, the caller's accounts, display names,
//! classic infrastructure keys, personas on demo stores, and the store's
//! check. A client that finds none of these (IBM's own server) does
//! without them.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::Shared;
use super::apikeys::{bool_param, params, wire_row};
use super::errors::ApiError;
use super::http::{Caller, blocking, with_etag};
use crate::access::ViewFilter;
use crate::service::{ListQuery, Service, SortField};
use crate::wire::{
    WireAccountSummary, WireKeyDetails, WireListing, WirePersona, WirePersonaAccount, WireSession,
    WireStore, WireView,
};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/iamkeys/v1/session", get(session))
        .route("/iamkeys/v1/accounts", get(accounts))
        .route("/iamkeys/v1/account", get(account))
        .route("/iamkeys/v1/views", get(views))
        .route("/iamkeys/v1/keys", get(keys))
        .route("/iamkeys/v1/keys/{key_ref}", get(key))
        .route("/iamkeys/v1/names", get(names))
        .route("/iamkeys/v1/classic_keys", post(classic))
        .route("/iamkeys/v1/personas", get(personas))
        .route("/iamkeys/v1/check", post(check))
        .route("/iamkeys/v1/keys/{key_ref}/rotate", post(rotate))
        .route(
            "/iamkeys/v1/keys/{key_ref}/leak",
            axum::routing::delete(clear_leak),
        )
        .route("/iamkeys/v1/leaks", post(leak_found))
        .route(
            "/iamkeys/v1/account/housekeeping",
            axum::routing::put(housekeeping),
        )
}

/// Rotates a key (`?delete_old=true` deletes the old one instead of
/// disabling it), against an optional `If-Match`: the new key, its value
/// shown once, and the old key as it was left.
async fn rotate(
    State(st): State<Shared>,
    caller: Caller,
    Path(key_ref): Path<String>,
    RawQuery(raw): RawQuery,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let delete_old = bool_param(&p, "delete_old")?;
    let tag = super::http::if_match(&headers)?.flatten();
    let s = caller.session;
    let r = blocking(&st, move |svc| {
        svc.rotate(&s, &key_ref, delete_old, tag.as_deref())
    })
    .await?;
    let mut new = wire_row(&r.created.row, false);
    new.apikey = r.created.secret.expose().to_string();
    let old_row = crate::service::KeyRow {
        owner: r.created.row.owner.clone(),
        created_by: r.old.created_by.clone(),
        key: r.old,
    };
    let old = wire_row(&old_row, false);
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "new": new,
            "old": old,
            "old_deleted": r.old_deleted,
        })),
    )
        .into_response())
}

/// A key value `iamkeys scan` found, and where (never logged).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LeakFound {
    apikey: String,
    #[serde(default)]
    places: Vec<String>,
    #[serde(default)]
    found: u64,
}

/// Acts on a key value a scan found (`Service::record_leak`): the answer
/// is what was done, in `crate::wire::WireLeakOutcome`'s shape.
async fn leak_found(
    State(st): State<Shared>,
    caller: Caller,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: LeakFound = super::apikeys::json_body(&raw)?;
    let value = crate::secret::parse(&body.apikey)
        .map_err(|_| ApiError::bad_request("apikey is not an API key value"))?;
    let places: Vec<String> = body
        .places
        .into_iter()
        .take(crate::domain::MAX_LEAK_PLACES)
        .collect();
    let found = body.found.max(places.len() as u64);
    let s = caller.session;
    let outcome = blocking(&st, move |svc| svc.record_leak(&s, &value, &places, found)).await?;
    Ok(axum::Json(crate::wire::WireLeakOutcome::of(&outcome)).into_response())
}

/// Clears a key's leak mark (owner or Administrator), with `If-Match`.
async fn clear_leak(
    State(st): State<Shared>,
    caller: Caller,
    Path(key_ref): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let tag = super::http::if_match(&headers)?.flatten();
    let s = caller.session;
    let row = blocking(&st, move |svc| svc.clear_leak(&s, &key_ref, tag.as_deref())).await?;
    let w = wire_row(&row, true);
    Ok(with_etag(StatusCode::OK, &w.entity_tag.clone(), w))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Housekeeping {
    expired_key_retention_days: Option<u32>,
    key_age_warning_days: Option<u32>,
}

/// Changes the account's housekeeping settings (owner or Administrator).
async fn housekeeping(
    State(st): State<Shared>,
    caller: Caller,
    raw: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let h: Housekeeping = super::apikeys::json_body(&raw)?;
    let s = caller.session;
    let settings = blocking(&st, move |svc| {
        svc.set_housekeeping(&s, h.expired_key_retention_days, h.key_age_warning_days)
    })
    .await?;
    Ok(axum::Json(serde_json::json!({
        "expired_key_retention_days": settings.expired_key_retention_days,
        "key_age_warning_days": settings.key_age_warning_days,
    }))
    .into_response())
}

async fn session(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let info = st.service.info().clone();
    let s = caller.session;
    Ok(axum::Json(WireSession {
        user: s.user,
        account_id: s.account_id,
        key_id: s.key_id,
        store: WireStore {
            demo: info.demo,
            source: info.source,
            schema_version: info.schema_version,
        },
    })
    .into_response())
}

async fn accounts(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let list = blocking(&st, move |svc| svc.accounts(&s)).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|a| WireAccountSummary {
                id: a.id,
                name: a.name,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn account(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let mut a = blocking(&st, move |svc| svc.account_of(&s)).await?;
    // The API's own settings are read through the settings operation.
    a.settings.api_fields.clear();
    Ok(axum::Json(a).into_response())
}

async fn views(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let list = blocking(&st, move |svc| svc.views(&s)).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|v| WireView {
                view: v.view.id().to_string(),
                label: v.view.label().to_string(),
                actions: v.actions.iter().map(|a| a.id().to_string()).collect(),
                create_refused: v.create_refused.map(|d| d.to_string()),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// A view's page, searched and sorted as the page does.
async fn keys(
    State(st): State<Shared>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params(raw);
    let view = match p.get("view") {
        None => ViewFilter::MyApiKeys,
        Some(v) => ViewFilter::parse(v).ok_or_else(|| {
            ApiError::bad_request("view must be one of my, users, service-ids, classic")
        })?,
    };
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
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        p.get(name)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| ApiError::bad_request(format!("{name} must be a number")))
            })
            .transpose()
    };
    let q = ListQuery {
        view,
        search: p.get("search").cloned().unwrap_or_default(),
        sort,
        desc,
        offset: number("offset")?.unwrap_or(0),
        limit: number("limit")?,
    };
    let history = bool_param(&p, "include_history")?;
    let s = caller.session;
    let listing = blocking(&st, move |svc| svc.list(&s, &q)).await?;
    Ok(axum::Json(WireListing {
        total: listing.total as u64,
        offset: listing.offset as u64,
        rows: listing.rows.iter().map(|r| wire_row(r, history)).collect(),
    })
    .into_response())
}

/// A key by id or name, with what the caller may do with it.
async fn key(
    State(st): State<Shared>,
    caller: Caller,
    Path(key_ref): Path<String>,
) -> Result<Response, ApiError> {
    let s = caller.session;
    let (row, actions) = blocking(&st, move |svc| {
        let row = svc.get(&s, &key_ref)?;
        let actions = svc.actions(&s, &row.key)?;
        Ok((row, actions))
    })
    .await?;
    let tag = row.key.entity_tag.clone();
    Ok(with_etag(
        StatusCode::OK,
        &tag,
        WireKeyDetails {
            row: wire_row(&row, true),
            actions: actions.iter().map(|a| a.id().to_string()).collect(),
        },
    ))
}

async fn names(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let names = blocking(&st, move |svc| svc.identity_names(&s)).await?;
    let sorted: std::collections::BTreeMap<_, _> = names.into_iter().collect();
    Ok(axum::Json(sorted).into_response())
}

async fn classic(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let created = blocking(&st, move |svc| svc.create_classic_key(&s)).await?;
    let mut w = wire_row(&created.row, false);
    w.apikey = created.secret.expose().to_string();
    Ok(with_etag(StatusCode::CREATED, &w.entity_tag.clone(), w))
}

/// The personas of a demo store. Open to anyone who can reach the server,
/// as the demo's sign-in screen is: a store that is not a demo refuses.
async fn personas(State(st): State<Shared>) -> Result<Response, ApiError> {
    let list = blocking(&st, Service::personas).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|(user, accounts)| WirePersona {
                user,
                accounts: accounts
                    .into_iter()
                    .map(|a| WirePersonaAccount {
                        account_id: a.account_id,
                        owner: a.owner,
                        roles: a.roles,
                    })
                    .collect(),
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

/// The store's check: it reads the whole store, so it is for those who may
/// see every key of their account (the owner or an Administrator).
async fn check(State(st): State<Shared>, caller: Caller) -> Result<Response, ApiError> {
    let s = caller.session;
    let problems = blocking(&st, move |svc| {
        svc.require_admin(&s, "run the store's check")?;
        svc.check()
    })
    .await?;
    Ok(axum::Json(serde_json::json!({ "problems": problems })).into_response())
}
