//! The client of `iamkeys serve`: the page's operations over the IAM
//! Identity API and its iamkeys-only extensions (see the server's contract).
//!
//! Sign-in exchanges the key (or, on a demo store, a persona's email) for a
//! token at `URL/identity/token`. The token and what it was exchanged for
//! are kept in memory only, zeroized when dropped, and exchanged again once
//! when the server answers 401 (an expired token) and when the session
//! moves to another account. Every failure maps to the exit code and text a
//! local command gives; a server that cannot be reached, or fails, is exit 1
//! naming its URL.
//!
//! A server without the extensions (IBM's own, or `serve --ibm-only`) is
//! found at sign-in, and from then on the page is made from IBM's
//! operations alone: see [`ibm`].

mod ibm;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::{self, Method, StatusCode};
use url::Url;
use zeroize::Zeroizing;

use super::{Client, Inactive, InactiveIdentity, InactiveKey, RowPage};
use crate::access::{Denied, KeyAction, ViewFilter};
use crate::domain::{Account, AccountSettings, ApiKey, User};
use crate::secret;
use crate::service::{
    AccountRoles, AccountSummary, Created, KeyRow, KeyUpdate, ListQuery, Listing, NewKey, Problem,
    Result, Rotated, ServiceError, Session, StoreInfo, ViewInfo,
};
use crate::store::StoreError;
use crate::wire::{
    GRANT_APIKEY, GRANT_PERSONA, WireAccountSummary, WireErrors, WireKey, WireKeyDetails,
    WireListing, WirePersona, WireSession, WireToken, WireTokenError, WireView,
};

/// Rows asked for per request when a whole view is read.
const PAGE: usize = 1000;
/// The most a single answer may hold.
const MAX_BODY: u64 = 512 * 1024 * 1024;

/// What the session was signed in with: exchanged again for a new token.
enum Grant {
    ApiKey(Zeroizing<String>),
    Persona(String),
}

struct Token {
    access: Zeroizing<String>,
    /// The account the token works in.
    account: String,
}

#[derive(Default)]
struct Auth {
    grant: Option<Grant>,
    token: Option<Token>,
    store: Option<StoreInfo>,
    /// The server has no `/iamkeys/v1/` operations: found at sign-in.
    ibm_only: bool,
}

pub struct Remote {
    base: Url,
    /// The URL as the messages name it.
    shown: String,
    agent: ureq::Agent,
    auth: Mutex<Auth>,
}

/// An answer: its status and body.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

/// The error a local command gives with exit `code` and `message` (a
/// refusal's message starts "refused: ", as the local error's text does).
fn failed(code: i32, message: impl Into<String>) -> ServiceError {
    remote_error(code, message.into(), false)
}

fn remote_error(code: i32, message: String, stale: bool) -> ServiceError {
    match code {
        2 => ServiceError::BadInput(message),
        3 => {
            let why = message
                .strip_prefix("refused: ")
                .map_or_else(|| message.clone(), str::to_string);
            ServiceError::Denied(if stale {
                Denied::RemoteStale(why)
            } else {
                Denied::Remote(why)
            })
        }
        4 => ServiceError::NotFound(message),
        _ => ServiceError::Store(StoreError::Server(message)),
    }
}

impl Remote {
    /// A client of the server at `endpoint` (`http://` or `https://`).
    /// Nothing is sent until the first operation.
    pub fn new(endpoint: &str) -> Result<Remote> {
        let trimmed = endpoint.trim().trim_end_matches('/');
        let base = Url::parse(trimmed).map_err(|e| {
            ServiceError::BadInput(format!(
                "--endpoint {trimmed:?} is not a URL ({e}): give one such as http://127.0.0.1:7080"
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ServiceError::BadInput(format!(
                "--endpoint {trimmed:?} is not an http:// or https:// URL"
            )));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(120)))
            .build();
        Ok(Remote {
            shown: trimmed.to_string(),
            base,
            agent: ureq::Agent::new_with_config(config),
            auth: Mutex::new(Auth::default()),
        })
    }

    fn auth(&self) -> std::sync::MutexGuard<'_, Auth> {
        self.auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the server speaks only IBM's API (known once signed in).
    fn ibm(&self) -> bool {
        self.auth().ibm_only
    }

    /// `URL/segments…?query`, each segment escaped.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut u = self.base.clone();
        {
            let mut path = u.path_segments_mut().expect("an http URL has a path");
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            u.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        u
    }

    fn unreachable(&self, e: &ureq::Error) -> ServiceError {
        failed(
            1,
            format!("cannot reach the iamkeys server at {}: {e}", self.shown),
        )
    }

    fn unexpected(&self, what: impl std::fmt::Display) -> ServiceError {
        failed(
            1,
            format!(
                "the iamkeys server at {} gave an answer this client cannot read: {what}",
                self.shown
            ),
        )
    }

    /// Sends one request and reads the whole answer.
    fn send(
        &self,
        method: Method,
        url: &Url,
        headers: &[(&str, &str)],
        body: Option<(&str, &[u8])>,
    ) -> Result<Answer> {
        let mut req = http::Request::builder()
            .method(method)
            .uri(url.as_str())
            .header("Accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let sent = match body {
            Some((kind, bytes)) => self.agent.run(
                req.header("Content-Type", kind)
                    .body(bytes)
                    .map_err(|e| self.unexpected(e))?,
            ),
            None => self
                .agent
                .run(req.body(()).map_err(|e| self.unexpected(e))?),
        };
        let mut res = sent.map_err(|e| self.unreachable(&e))?;
        let status = res.status();
        let body = res
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.unreachable(&e))?;
        Ok(Answer { status, body })
    }

    fn json<T: serde::de::DeserializeOwned>(&self, a: &Answer) -> Result<T> {
        serde_json::from_slice(&a.body).map_err(|e| self.unexpected(e))
    }

    // ---- tokens ----------------------------------------------------------

    /// Exchanges `grant` for a token in `account` (else the grant's own).
    fn exchange(&self, grant: &Grant, account: Option<&str>) -> Result<Token> {
        // Room enough that the text is never moved (leaving a copy behind).
        let mut text = Zeroizing::new(String::with_capacity(1024));
        let mut form = url::form_urlencoded::Serializer::new(&mut *text);
        match grant {
            Grant::ApiKey(value) => {
                form.append_pair("grant_type", GRANT_APIKEY);
                form.append_pair("apikey", value);
            }
            Grant::Persona(email) => {
                form.append_pair("grant_type", GRANT_PERSONA);
                form.append_pair("email", email);
            }
        }
        if let Some(a) = account {
            form.append_pair("account", a);
        }
        form.finish();
        let url = self.url(&["identity", "token"], &[]);
        let a = self.send(
            Method::POST,
            &url,
            &[],
            Some(("application/x-www-form-urlencoded", text.as_bytes())),
        )?;
        if a.status.is_success() {
            let t: WireToken = self.json(&a)?;
            // The token's claims say which account it works in (else the
            // session it opens does).
            let access = Zeroizing::new(t.access_token);
            let got = match ibm::claims(&access) {
                Some(c) => c.account,
                None => self.session_with(&access)?.account_id,
            };
            if let Some(asked) = account
                && asked != got
            {
                return Err(self.other_account(&got, asked));
            }
            return Ok(Token {
                access,
                account: got,
            });
        }
        if a.status.is_server_error() {
            return Err(self.server_failed(&a));
        }
        let e: WireTokenError = serde_json::from_slice(&a.body)
            .map_err(|_| self.unexpected(format!("HTTP {} from the token endpoint", a.status)))?;
        let message = e.error_details.unwrap_or(e.error_message);
        let code = if e.error_code == "BXNIM0109E" { 2 } else { 3 };
        Err(failed(code, message))
    }

    fn session_with(&self, access: &str) -> Result<WireSession> {
        let url = self.url(&["iamkeys", "v1", "session"], &[]);
        let bearer = Zeroizing::new(format!("Bearer {access}"));
        let a = self.send(Method::GET, &url, &[("Authorization", &bearer)], None)?;
        if !a.status.is_success() {
            return Err(self.error(&a));
        }
        self.json(&a)
    }

    /// Signs in with `grant`: the token, and the session it opens.
    fn sign_in(&self, grant: Grant, account: Option<&str>) -> Result<Session> {
        if let Some(a) = account {
            not_a_value(a, "an account id")?;
        }
        let token = match self.exchange(&grant, account) {
            Err(e) if matches!(grant, Grant::Persona(_)) && e.exit_code() == 2 => {
                return Err(self.persona_refusal(e));
            }
            other => other?,
        };
        let s = match self.session_with(&token.access) {
            Ok(s) => s,
            // No session operation for a token it just gave: the server
            // speaks only IBM's API.
            Err(e) if e.exit_code() == 4 => return self.ibm_sign_in(grant, token, account),
            Err(e) => return Err(e),
        };
        let mut auth = self.auth();
        auth.store = Some(StoreInfo {
            schema_version: s.store.schema_version,
            demo: s.store.demo,
            source: s.store.source.clone(),
        });
        auth.grant = Some(grant);
        auth.token = Some(token);
        Ok(Session {
            user: s.user,
            account_id: s.account_id,
            key_id: s.key_id,
        })
    }

    /// The token for `s`'s account: exchanged again if the session moved
    /// to another account, or if `renew`.
    fn token_for(&self, s: Option<&Session>, renew: bool) -> Result<Zeroizing<String>> {
        let mut auth = self.auth();
        let wanted = s.map(|s| s.account_id.as_str());
        let fresh = match (&auth.token, wanted) {
            (Some(t), Some(w)) => t.account == w && !renew,
            (Some(_), None) => !renew,
            (None, _) => false,
        };
        if !fresh {
            let grant = auth.grant.as_ref().ok_or_else(|| {
                ServiceError::BadInput(
                    "sign in with --apikey KEY (or IAMKEYS_API_KEY), or on a demo store with --as EMAIL".into(),
                )
            })?;
            let token = self.exchange(grant, wanted)?;
            auth.token = Some(token);
        }
        Ok(auth
            .token
            .as_ref()
            .map(|t| t.access.clone())
            .expect("a token"))
    }

    /// A request on behalf of `s`, with its token; a 401 exchanges the
    /// sign-in for a new token once and tries again. An error answer
    /// becomes the error a local command gives.
    fn call(
        &self,
        s: Option<&Session>,
        method: &Method,
        url: &Url,
        headers: &[(&str, &str)],
        json: Option<&serde_json::Value>,
    ) -> Result<Answer> {
        let a = self.answer(s, method, url, headers, json)?;
        if a.status.is_success() {
            Ok(a)
        } else {
            Err(self.error(&a))
        }
    }

    /// [`Remote::call`], with an error answer given back as it is.
    fn answer(
        &self,
        s: Option<&Session>,
        method: &Method,
        url: &Url,
        headers: &[(&str, &str)],
        json: Option<&serde_json::Value>,
    ) -> Result<Answer> {
        let body = json.map(|v| serde_json::to_vec(v).expect("json"));
        let mut renew = false;
        loop {
            let token = self.token_for(s, renew)?;
            let bearer = Zeroizing::new(format!("Bearer {}", token.as_str()));
            let mut all: Vec<(&str, &str)> = vec![("Authorization", bearer.as_str())];
            all.extend_from_slice(headers);
            let a = self.send(
                method.clone(),
                url,
                &all,
                body.as_deref().map(|b| ("application/json", b)),
            )?;
            if a.status == StatusCode::UNAUTHORIZED && !renew {
                renew = true;
                continue;
            }
            return Ok(a);
        }
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        s: Option<&Session>,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T> {
        let url = self.url(segments, query);
        let a = self.call(s, &Method::GET, &url, &[], None)?;
        self.json(&a)
    }

    fn server_failed(&self, a: &Answer) -> ServiceError {
        let said = serde_json::from_slice::<WireErrors>(&a.body)
            .ok()
            .and_then(|e| e.errors.into_iter().next())
            .map(|e| format!(": {}", e.message))
            .unwrap_or_default();
        failed(
            1,
            format!(
                "the iamkeys server at {} failed (HTTP {}){said}",
                self.shown,
                a.status.as_u16()
            ),
        )
    }

    /// The error a local command gives for an error answer.
    fn error(&self, a: &Answer) -> ServiceError {
        let code = match a.status.as_u16() {
            400 => 2,
            401 | 403 | 409 | 422 | 429 => 3,
            404 => 4,
            _ => return self.server_failed(a),
        };
        let Ok(errors) = serde_json::from_slice::<WireErrors>(&a.body) else {
            return self.unexpected(format!("HTTP {} without an error body", a.status));
        };
        let Some(first) = errors.errors.into_iter().next() else {
            return self.unexpected(format!("HTTP {} without an error", a.status));
        };
        remote_error(code, first.message, first.code == "stale_entity_tag")
    }

    // ---- shapes ------------------------------------------------------------

    fn row(&self, w: WireKey) -> Result<KeyRow> {
        let key = w.to_key().map_err(|e| self.unexpected(e))?;
        Ok(KeyRow {
            owner: w.owner_name.unwrap_or_else(|| key.iam_id.clone()),
            created_by: w.created_by_name.unwrap_or_else(|| key.created_by.clone()),
            key,
        })
    }

    fn created(&self, s: &Session, w: WireKey) -> Result<Created> {
        let value = Zeroizing::new(w.apikey.clone());
        let secret = secret::parse(&value).map_err(|e| self.unexpected(e))?;
        Ok(Created {
            row: self.row_for(
                s,
                WireKey {
                    apikey: String::new(),
                    ..w
                },
            )?,
            secret,
        })
    }

    /// A key's row: the names from the answer, or against a server that
    /// speaks only IBM's API, looked up.
    fn row_for(&self, s: &Session, w: WireKey) -> Result<KeyRow> {
        if self.ibm() {
            self.ibm_row(s, w)
        } else {
            self.row(w)
        }
    }

    fn details(&self, s: &Session, key_ref: &str) -> Result<(KeyRow, Vec<KeyAction>)> {
        not_a_value(key_ref, "a key id or name")?;
        if self.ibm() {
            let row = self.ibm_details(s, key_ref)?;
            let actions = self.ibm_actions(s, &row.key)?;
            return Ok((row, actions));
        }
        let d: WireKeyDetails = self.get_json(Some(s), &["iamkeys", "v1", "keys", key_ref], &[])?;
        let actions = d
            .actions
            .iter()
            .map(|a| action(a).ok_or_else(|| self.unexpected(format!("unknown action {a:?}"))))
            .collect::<Result<_>>()?;
        Ok((self.row(d.row)?, actions))
    }

    fn listing(&self, s: &Session, q: &ListQuery, offset: usize, limit: usize) -> Result<Listing> {
        let query = [
            ("view", q.view.id().to_string()),
            ("search", q.search.clone()),
            ("sort", q.sort.id().to_string()),
            ("order", if q.desc { "desc" } else { "asc" }.to_string()),
            ("offset", offset.to_string()),
            ("limit", limit.to_string()),
        ];
        let l: WireListing = self.get_json(Some(s), &["iamkeys", "v1", "keys"], &query)?;
        Ok(Listing {
            total: usize::try_from(l.total).unwrap_or(usize::MAX),
            offset: usize::try_from(l.offset).unwrap_or(usize::MAX),
            rows: l
                .rows
                .into_iter()
                .map(|w| self.row(w))
                .collect::<Result<_>>()?,
        })
    }

    /// A change to key `id` that answers no key (204): the key as it is now.
    fn change(
        &self,
        s: &Session,
        method: &Method,
        segments: &[&str],
        tag: Option<&str>,
    ) -> Result<()> {
        let url = self.url(segments, &[]);
        let headers: Vec<(&str, &str)> = tag.map(|t| ("If-Match", t)).into_iter().collect();
        self.call(Some(s), method, &url, &headers, None)?;
        Ok(())
    }
}

/// An API key value where an id or name is expected: refused before
/// anything is sent, as locally.
fn not_a_value(given: &str, expected: &str) -> Result<()> {
    if secret::looks_like_key(given) {
        return Err(ServiceError::BadInput(format!(
            "that is an API key value, not {expected}"
        )));
    }
    Ok(())
}

fn action(id: &str) -> Option<KeyAction> {
    KeyAction::ALL.into_iter().find(|a| a.id() == id)
}

fn view(id: &str) -> Option<ViewFilter> {
    ViewFilter::ALL.into_iter().find(|v| v.id() == id)
}

/// Leak marks need the server's own extensions: IBM's API has none.
const LEAKS_NEED_EXTENSIONS: &str = "leak marks need an iamkeys server's extensions, which this server does not offer (IBM's API alone has no leak marks)";

impl Client for Remote {
    fn info(&self) -> StoreInfo {
        if let Some(info) = &self.auth().store {
            return info.clone();
        }
        // Before sign-in: a demo store lists its personas to anyone.
        let demo = self.personas().is_ok();
        StoreInfo {
            schema_version: 0,
            demo,
            source: self.shown.clone(),
        }
    }

    fn location(&self) -> String {
        self.shown.clone()
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn check(&self) -> Result<Vec<Problem>> {
        #[derive(serde::Deserialize)]
        struct Checked {
            problems: Vec<Problem>,
        }
        if self.ibm() {
            return Err(self.ibm_check_refusal());
        }
        let url = self.url(&["iamkeys", "v1", "check"], &[]);
        let a = self.call(None, &Method::POST, &url, &[], None)?;
        Ok(self.json::<Checked>(&a)?.problems)
    }

    fn personas(&self) -> Result<Vec<(User, Vec<AccountRoles>)>> {
        let url = self.url(&["iamkeys", "v1", "personas"], &[]);
        let a = self.send(Method::GET, &url, &[], None)?;
        if !a.status.is_success() {
            return Err(self.error(&a));
        }
        let list: Vec<WirePersona> = self.json(&a)?;
        Ok(list
            .into_iter()
            .map(|p| {
                let roles = p
                    .accounts
                    .into_iter()
                    .map(|a| AccountRoles {
                        account_id: a.account_id,
                        owner: a.owner,
                        roles: a.roles,
                    })
                    .collect();
                (p.user, roles)
            })
            .collect())
    }

    fn sign_in_as(&self, email: &str, account: Option<&str>) -> Result<Session> {
        self.sign_in(Grant::Persona(email.to_string()), account)
    }

    fn sign_in_key(&self, value: &str, account: Option<&str>) -> Result<Session> {
        // The format is checked here, as locally: a malformed value is
        // never sent.
        drop(secret::parse(value)?);
        self.sign_in(Grant::ApiKey(Zeroizing::new(value.to_string())), account)
    }

    fn notice(&self) -> Option<String> {
        self.ibm().then(|| ibm::NOTICE.to_string())
    }

    fn accounts(&self, s: &Session) -> Result<Vec<AccountSummary>> {
        if self.ibm() {
            // IBM's IAM Identity API lists no accounts: the token's own.
            return Ok(vec![AccountSummary {
                id: s.account_id.clone(),
                name: String::new(),
            }]);
        }
        let list: Vec<WireAccountSummary> =
            self.get_json(Some(s), &["iamkeys", "v1", "accounts"], &[])?;
        Ok(list
            .into_iter()
            .map(|a| AccountSummary {
                id: a.id,
                name: a.name,
            })
            .collect())
    }

    fn account_of(&self, s: &Session) -> Result<Account> {
        if self.ibm() {
            return self.ibm_account(s);
        }
        self.get_json(Some(s), &["iamkeys", "v1", "account"], &[])
    }

    fn switch_account(&self, s: &Session, account_id: &str) -> Result<Session> {
        not_a_value(account_id, "an account id")?;
        let grant = {
            let auth = self.auth();
            match &auth.grant {
                Some(Grant::ApiKey(v)) => Grant::ApiKey(v.clone()),
                Some(Grant::Persona(e)) => Grant::Persona(e.clone()),
                None => return Err(ServiceError::BadInput("sign in first".into())),
            }
        };
        let token = self.exchange(&grant, Some(account_id))?;
        if self.ibm() {
            let account_id = token.account.clone();
            self.auth().token = Some(token);
            return Ok(Session {
                account_id,
                ..s.clone()
            });
        }
        let w = self.session_with(&token.access)?;
        self.auth().token = Some(token);
        Ok(Session {
            user: w.user,
            account_id: w.account_id,
            key_id: s.key_id.clone().or(w.key_id),
        })
    }

    fn views(&self, s: &Session) -> Result<Vec<ViewInfo>> {
        if self.ibm() {
            return self.ibm_views(s);
        }
        let list: Vec<WireView> = self.get_json(Some(s), &["iamkeys", "v1", "views"], &[])?;
        list.into_iter()
            .map(|v| {
                Ok(ViewInfo {
                    view: view(&v.view)
                        .ok_or_else(|| self.unexpected(format!("unknown view {:?}", v.view)))?,
                    actions: v
                        .actions
                        .iter()
                        .map(|a| {
                            action(a)
                                .ok_or_else(|| self.unexpected(format!("unknown action {a:?}")))
                        })
                        .collect::<Result<_>>()?,
                    create_refused: v.create_refused.map(Denied::Remote),
                })
            })
            .collect()
    }

    fn list(&self, s: &Session, q: &ListQuery) -> Result<Listing> {
        if self.ibm() {
            return self.ibm_listing(s, q);
        }
        if let Some(limit) = q.limit {
            return self.listing(s, q, q.offset, limit);
        }
        // The whole view from the offset on, a page at a time.
        let mut all = self.listing(s, q, q.offset, PAGE)?;
        while all.offset + all.rows.len() < all.total {
            let next = self.listing(s, q, all.offset + all.rows.len(), PAGE)?;
            if next.rows.is_empty() {
                break;
            }
            all.total = next.total;
            all.rows.extend(next.rows);
        }
        Ok(all)
    }

    fn list_rows<'a>(&'a self, s: &Session, q: &ListQuery) -> Result<RowPage<'a>> {
        if self.ibm() {
            let l = self.ibm_listing(s, q)?;
            return Ok(RowPage {
                total: l.total,
                offset: l.offset,
                len: l.rows.len(),
                rows: Box::new(l.rows.into_iter().map(Ok)),
            });
        }
        let first = self.listing(s, q, q.offset, q.limit.unwrap_or(PAGE).min(PAGE))?;
        let total = first.total;
        let offset = first.offset;
        let end = ListQuery {
            offset,
            ..q.clone()
        }
        .page(total)
        .1;
        let len = end.saturating_sub(offset);
        let session = s.clone();
        let q = q.clone();
        let mut next = offset + first.rows.len();
        let mut rows = first.rows.into_iter();
        let mut done = false;
        let iter = std::iter::from_fn(move || {
            loop {
                if let Some(r) = rows.next() {
                    return Some(Ok(r));
                }
                if done || next >= end {
                    return None;
                }
                match self.listing(&session, &q, next, PAGE.min(end - next)) {
                    Ok(page) if page.rows.is_empty() => return None,
                    Ok(page) => {
                        next += page.rows.len();
                        rows = page.rows.into_iter();
                    }
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
        });
        Ok(RowPage {
            total,
            offset,
            len,
            rows: Box::new(iter),
        })
    }

    fn get(&self, s: &Session, key_ref: &str) -> Result<KeyRow> {
        Ok(self.details(s, key_ref)?.0)
    }

    fn resolve(&self, s: &Session, key_ref: &str) -> Result<ApiKey> {
        Ok(self.details(s, key_ref)?.0.key)
    }

    fn actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>> {
        Ok(self.details(s, &key.id)?.1)
    }

    fn identity_names(&self, s: &Session) -> Result<HashMap<String, String>> {
        if self.ibm() {
            return self.ibm_names(s, true);
        }
        self.get_json(Some(s), &["iamkeys", "v1", "names"], &[])
    }

    fn create_user_key(&self, s: &Session, spec: &NewKey) -> Result<Created> {
        self.create(s, &s.user.iam_id, spec)
    }

    fn create_service_key(&self, s: &Session, service_ref: &str, spec: &NewKey) -> Result<Created> {
        not_a_value(service_ref, "a service ID's id or name")?;
        if spec.support_sessions {
            return Err(ServiceError::BadInput(
                "session support applies to user API keys only".into(),
            ));
        }
        // A service ID not found here is still asked for, so that the
        // server's rule (the role first) decides what the caller learns.
        let found = self.service_iam_id(s, service_ref)?;
        let iam_id = found.clone().unwrap_or_else(|| {
            let id = service_ref.strip_prefix("iam-").unwrap_or(service_ref);
            let id = id.strip_prefix("ServiceId-").unwrap_or(id);
            format!("iam-ServiceId-{id}")
        });
        match self.create(s, &iam_id, spec) {
            Err(e) if e.exit_code() == 4 && found.is_none() => Err(ServiceError::NotFound(
                format!("no service ID {service_ref:?} in account {}", s.account_id),
            )),
            other => other,
        }
    }

    fn create_classic_key(&self, s: &Session) -> Result<Created> {
        if self.ibm() {
            return Err(self.ibm_classic());
        }
        let url = self.url(&["iamkeys", "v1", "classic_keys"], &[]);
        let a = self.call(Some(s), &Method::POST, &url, &[], None)?;
        let w: WireKey = self.json(&a)?;
        self.created(s, w)
    }

    fn update(&self, s: &Session, key_ref: &str, u: &KeyUpdate) -> Result<KeyRow> {
        if u.name.is_none()
            && u.description.is_none()
            && u.action_when_leaked.is_none()
            && u.expires_at.is_none()
        {
            return Err(ServiceError::BadInput(
                "nothing to change: give a new name, description or action when leaked".into(),
            ));
        }
        let key = self.resolve(s, key_ref)?;
        let mut body = serde_json::Map::new();
        if let Some(n) = &u.name {
            body.insert("name".into(), n.clone().into());
        }
        if let Some(d) = &u.description {
            body.insert("description".into(), d.clone().into());
        }
        if let Some(a) = u.action_when_leaked {
            body.insert("action_when_leaked".into(), a.label().into());
        }
        if let Some(e) = u.expires_at {
            let text = e.map(|m| m.to_string()).unwrap_or_default();
            body.insert("expires_at".into(), text.into());
        }
        let url = self.url(&["v1", "apikeys", &key.id], &[]);
        let tag = u.entity_tag.as_deref().unwrap_or("*");
        let a = self.call(
            Some(s),
            &Method::PUT,
            &url,
            &[("If-Match", tag)],
            Some(&serde_json::Value::Object(body)),
        )?;
        let w: WireKey = self.json(&a)?;
        self.row_for(s, w)
    }

    fn switch(
        &self,
        s: &Session,
        key_ref: &str,
        action: KeyAction,
        tag: Option<&str>,
    ) -> Result<KeyRow> {
        let (method, path) = match action {
            KeyAction::Lock => (Method::POST, "lock"),
            KeyAction::Unlock => (Method::DELETE, "lock"),
            KeyAction::Disable => (Method::POST, "disable"),
            KeyAction::Enable => (Method::DELETE, "disable"),
            other => {
                return Err(ServiceError::BadInput(format!(
                    "{} is not a lock or disable switch",
                    other.id()
                )));
            }
        };
        let key = self.resolve(s, key_ref)?;
        self.change(s, &method, &["v1", "apikeys", &key.id, path], tag)?;
        self.get(s, &key.id)
    }

    fn delete(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<ApiKey> {
        let key = self.resolve(s, key_ref)?;
        self.change(s, &Method::DELETE, &["v1", "apikeys", &key.id], tag)?;
        Ok(key)
    }

    fn clear_leak(&self, s: &Session, key_ref: &str, tag: Option<&str>) -> Result<KeyRow> {
        if self.ibm() {
            return Err(ServiceError::BadInput(LEAKS_NEED_EXTENSIONS.into()));
        }
        let key = self.resolve(s, key_ref)?;
        let url = self.url(&["iamkeys", "v1", "keys", &key.id, "leak"], &[]);
        let headers: Vec<(&str, &str)> = tag.map(|t| ("If-Match", t)).into_iter().collect();
        let a = self.call(Some(s), &Method::DELETE, &url, &headers, None)?;
        let w: WireKey = self.json(&a)?;
        self.row(w)
    }

    fn record_leak(
        &self,
        s: &Session,
        value: &crate::secret::ApiKeySecret,
        places: &[String],
        found: u64,
    ) -> Result<crate::service::LeakOutcome> {
        if self.ibm() {
            return Err(ServiceError::BadInput(LEAKS_NEED_EXTENSIONS.into()));
        }
        let url = self.url(&["iamkeys", "v1", "leaks"], &[]);
        let body = serde_json::json!({
            "apikey": value.expose(),
            "places": places,
            "found": found,
        });
        let a = self.call(Some(s), &Method::POST, &url, &[], Some(&body))?;
        let w: crate::wire::WireLeakOutcome = self.json(&a)?;
        w.to_outcome().map_err(|e| self.unexpected(e))
    }

    fn settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)> {
        if self.ibm() {
            return self.ibm_settings(s);
        }
        let account = self.account_of(s)?;
        let api: serde_json::Value = self.get_json(
            Some(s),
            &["v1", "accounts", &account.id, "settings", "identity"],
            &[],
        )?;
        let refused = api
            .get("iamkeys_change_refused")
            .and_then(serde_json::Value::as_str)
            .map(|r| Denied::Remote(r.to_string()));
        Ok((account.settings, refused))
    }

    fn set_restrict_creation(&self, s: &Session, on: bool) -> Result<AccountSettings> {
        let account_id = s.account_id.clone();
        let segments = ["v1", "accounts", &account_id, "settings", "identity"];
        let url = self.url(&segments, &[]);
        let value = if on { "RESTRICTED" } else { "NOT_RESTRICTED" };
        self.call(
            Some(s),
            &Method::PUT,
            &url,
            &[("If-Match", "*")],
            Some(&serde_json::json!({ "restrict_create_platform_apikey": value })),
        )?;
        if self.ibm() {
            return Ok(self.ibm_settings(s)?.0);
        }
        Ok(self.account_of(s)?.settings)
    }

    fn set_housekeeping(
        &self,
        s: &Session,
        retention_days: Option<u32>,
        age_warning_days: Option<u32>,
    ) -> Result<AccountSettings> {
        if let Some(d) = retention_days {
            crate::service::check_days("the expired key retention", d)?;
        }
        if let Some(d) = age_warning_days {
            crate::service::check_days("the key age warning", d)?;
        }
        if self.ibm() {
            return Err(ServiceError::BadInput(
                "the expired key retention and the key age warning are iamkeys settings, which \
                 this server does not have"
                    .into(),
            ));
        }
        let mut body = serde_json::Map::new();
        if let Some(d) = retention_days {
            body.insert("expired_key_retention_days".into(), d.into());
        }
        if let Some(d) = age_warning_days {
            body.insert("key_age_warning_days".into(), d.into());
        }
        let url = self.url(&["iamkeys", "v1", "account", "housekeeping"], &[]);
        self.call(
            Some(s),
            &Method::PUT,
            &url,
            &[],
            Some(&serde_json::Value::Object(body)),
        )?;
        Ok(self.account_of(s)?.settings)
    }

    fn inactive(&self, s: &Session, days: u32) -> Result<Inactive> {
        let days = crate::service::check_inactive_days(days)?;
        let hours = (days * 24).to_string();
        let segments = ["v1", "activity", "accounts", &s.account_id, "report"];
        let url = self.url(
            &segments,
            &[("type", "inactive".to_string()), ("duration", hours)],
        );
        let a = self.call(Some(s), &Method::POST, &url, &[], None)?;
        #[derive(serde::Deserialize)]
        struct Reference {
            reference: String,
        }
        let r: Reference = self.json(&a)?;
        let get = self.url(
            &[
                "v1",
                "activity",
                "accounts",
                &s.account_id,
                "report",
                &r.reference,
            ],
            &[],
        );
        let started = std::time::Instant::now();
        let body: WireReport = loop {
            let a = self.call(Some(s), &Method::GET, &get, &[], None)?;
            if a.status == StatusCode::OK {
                break self.json(&a)?;
            }
            if started.elapsed() > std::time::Duration::from_secs(30) {
                return Err(failed(
                    1,
                    format!(
                        "the server at {} did not finish the report within 30 s",
                        self.shown
                    ),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        body.into_inactive(days).map_err(|e| self.unexpected(e))
    }

    fn rotate(
        &self,
        s: &Session,
        key_ref: &str,
        delete_old: bool,
        tag: Option<&str>,
    ) -> Result<Rotated> {
        let old = self.resolve(s, key_ref)?;
        if self.ibm() {
            return self.rotate_composed(s, old, delete_old, tag);
        }
        let url = self.url(
            &["iamkeys", "v1", "keys", &old.id, "rotate"],
            &[("delete_old", delete_old.to_string())],
        );
        let headers: Vec<(&str, &str)> = tag.map(|t| ("If-Match", t)).into_iter().collect();
        let a = self.call(Some(s), &Method::POST, &url, &headers, None)?;
        #[derive(serde::Deserialize)]
        struct Answer {
            new: WireKey,
            old: WireKey,
            old_deleted: bool,
        }
        let r: Answer = self.json(&a)?;
        let created = self.created(s, r.new)?;
        let old = self.row(r.old)?.key;
        Ok(Rotated {
            created,
            old,
            old_deleted: r.old_deleted,
        })
    }
}

/// The inactive identities report as the API answers it.
#[derive(serde::Deserialize)]
struct WireReport {
    report_start_time: String,
    #[serde(default)]
    users: Vec<WireReportIdentity>,
    #[serde(default)]
    apikeys: Vec<WireReportKey>,
    #[serde(default)]
    serviceids: Vec<WireReportIdentity>,
}

#[derive(serde::Deserialize)]
struct WireReportIdentity {
    #[serde(default)]
    iam_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    last_authn: Option<String>,
}

#[derive(serde::Deserialize)]
struct WireReportKey {
    id: String,
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    last_authn: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    iam_id: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

fn report_time(t: Option<&str>) -> std::result::Result<Option<jiff::Timestamp>, String> {
    t.filter(|t| !t.is_empty())
        .map(|t| {
            let text = crate::time::from_ibm_spelling(t).unwrap_or_else(|| t.to_string());
            text.parse::<jiff::Timestamp>()
                .map_err(|e| format!("a report time {t:?}: {e}"))
        })
        .transpose()
}

impl WireReport {
    fn into_inactive(self, days: u32) -> std::result::Result<Inactive, String> {
        let since = report_time(Some(&self.report_start_time))?
            .ok_or_else(|| "a report without its start".to_string())?;
        let ident = |w: WireReportIdentity, user: bool| -> std::result::Result<_, String> {
            let id = if user { w.iam_id.clone() } else { w.id.clone() };
            let name = if user { w.email.or(w.name) } else { w.name };
            Ok(InactiveIdentity {
                id: id.clone().unwrap_or_default(),
                name: name.or(id).unwrap_or_default(),
                last_authn: report_time(w.last_authn.as_deref())?,
            })
        };
        let mut keys = Vec::new();
        for k in self.apikeys {
            keys.push(InactiveKey {
                kind: if k.kind == "serviceid" {
                    crate::domain::KeyKind::ServiceId
                } else {
                    crate::domain::KeyKind::User
                },
                owner: k.owner.or(k.iam_id).unwrap_or_default(),
                last_authn: report_time(k.last_authn.as_deref())?,
                created_at: report_time(k.created_at.as_deref())?.unwrap_or(since),
                id: k.id,
                name: k.name,
            });
        }
        Ok(Inactive {
            days,
            since,
            keys,
            users: self
                .users
                .into_iter()
                .map(|u| ident(u, true))
                .collect::<std::result::Result<_, _>>()?,
            service_ids: self
                .serviceids
                .into_iter()
                .map(|u| ident(u, false))
                .collect::<std::result::Result<_, _>>()?,
        })
    }
}

impl Remote {
    /// Rotation against a server without iamkeys' extensions, composed of
    /// IBM's operations: create the new key, then disable or delete the
    /// old one; if that fails, delete the new key again. Unlike a local or
    /// `iamkeys serve` rotation, the new key counts against the
    /// per-identity limit there, so at the limit it is refused.
    fn rotate_composed(
        &self,
        s: &Session,
        old: ApiKey,
        delete_old: bool,
        tag: Option<&str>,
    ) -> Result<Rotated> {
        if old.kind == crate::domain::KeyKind::Classic {
            return Err(Denied::ClassicKeyViewDeleteOnly.into());
        }
        if old.locked {
            return Err(Denied::LockedKey("rotate").into());
        }
        if let Some(t) = tag
            && t != old.entity_tag
        {
            return Err(Denied::StaleEntityTag {
                given: t.to_string(),
                current: old.entity_tag.clone(),
            }
            .into());
        }
        // The same replacement as the service's own rotation.
        let spec = crate::service::replacement(&old, crate::service::now());
        let created = self.create(s, &old.iam_id, &spec)?;
        let tag = Some(old.entity_tag.as_str());
        let second = if delete_old {
            self.change(s, &Method::DELETE, &["v1", "apikeys", &old.id], tag)
        } else {
            self.change(
                s,
                &Method::POST,
                &["v1", "apikeys", &old.id, "disable"],
                tag,
            )
        };
        if let Err(why) = second {
            let new_id = created.row.key.id.clone();
            let undo = self.change(s, &Method::DELETE, &["v1", "apikeys", &new_id], None);
            return Err(failed(
                1,
                match undo {
                    Ok(_) => format!(
                        "the rotation of {} failed ({why}); the new key was removed and {} works as before",
                        old.name, old.name
                    ),
                    Err(e) => format!(
                        "the rotation of {} failed ({why}), and removing its new key {new_id} failed too ({e}); {} works as before: delete {new_id} by hand",
                        old.name, old.name
                    ),
                },
            ));
        }
        let old_after = if delete_old {
            old
        } else {
            self.resolve(s, &old.id)?
        };
        Ok(Rotated {
            created,
            old: old_after,
            old_deleted: delete_old,
        })
    }

    fn create(&self, s: &Session, iam_id: &str, spec: &NewKey) -> Result<Created> {
        let mut body = serde_json::json!({
            "name": spec.name,
            "iam_id": iam_id,
            "description": spec.description,
            "support_sessions": spec.support_sessions,
            "action_when_leaked": spec.action_when_leaked.label(),
        });
        if let Some(t) = spec.expires_at {
            body["expires_at"] = t.to_string().into();
        }
        let url = self.url(&["v1", "apikeys"], &[]);
        let flag = |on: bool| if on { "true" } else { "false" };
        let a = self.call(
            Some(s),
            &Method::POST,
            &url,
            &[
                ("Entity-Lock", flag(spec.locked)),
                ("Entity-Disable", flag(spec.disabled)),
            ],
            Some(&body),
        )?;
        let w: WireKey = self.json(&a)?;
        self.created(s, w)
    }

    /// The IAM id of a service ID given by id or name, if the caller can
    /// find it.
    fn service_iam_id(&self, s: &Session, service_ref: &str) -> Result<Option<String>> {
        #[derive(serde::Deserialize)]
        struct Sid {
            id: String,
            iam_id: String,
            name: String,
        }
        #[derive(serde::Deserialize)]
        struct Sids {
            serviceids: Vec<Sid>,
        }
        let named: Sids = self.get_json(
            Some(s),
            &["v1", "serviceids"],
            &[
                ("account_id", s.account_id.clone()),
                ("name", service_ref.to_string()),
            ],
        )?;
        if let Some(sid) = named
            .serviceids
            .into_iter()
            .find(|x| x.name == service_ref || x.id == service_ref)
        {
            return Ok(Some(sid.iam_id));
        }
        match self.get_json::<Sid>(Some(s), &["v1", "serviceids", service_ref], &[]) {
            Ok(sid) => Ok(Some(sid.iam_id)),
            Err(e) if e.exit_code() == 4 => Ok(None),
            Err(e) => Err(e),
        }
    }
}
