//! The client against a server that speaks only IBM's IAM Identity API:
//! IBM's own, or `iamkeys serve --ibm-only`. Found at sign-in, when the
//! server has no `/iamkeys/v1/session` (404) for a token it just gave.
//!
//! Then the page is made from IBM's operations alone:
//! - who is signed in, and where: the access token's claims (`iam_id`,
//!   `email`, `name`, `account.bss`), read without checking the signature
//!   (the server checks it on every request);
//! - the View filter options: the list operation probed once per option,
//!   `scope=account&type=user` and `type=serviceid` (200: offered, 403 or
//!   400: not);
//! - a view's page: every page of the list operation, then searched,
//!   sorted and paged here exactly as the service does (IBM's list has no
//!   total and searches names only);
//! - names: the caller's own email, and service IDs' names from the
//!   service ID list; other users appear by IAM ID (IBM's API has no user
//!   names);
//! - the account: a stand-in with the caller as its one member, an
//!   Administrator if the all-users view answered. What a key allows is
//!   Table 1 over that stand-in (a locked key: no edit, no delete), and the
//!   server's refusal (403, 409, 422) has the last word;
//! - classic infrastructure keys: not part of IBM's API, so never shown,
//!   and creating one is refused here.

use std::collections::{BTreeSet, HashMap, HashSet};

use base64::Engine;
use serde::Deserialize;

use super::{Grant, Remote, Token, failed};
use crate::access::{self, Denied, KeyAction, KeyFacts, ViewFilter};
use crate::domain::{Account, AccountSettings, ApiKey, Membership, Role, User};
use crate::service::{
    KeyRow, ListQuery, Listing, Result, ServiceError, Session, StoreInfo, ViewInfo, matches,
};
use crate::wire::WireKey;

use ureq::http::{Method, StatusCode};

/// The note the faces show about what such a server cannot give.
pub(super) const NOTICE: &str = "This server speaks only IBM's API: classic infrastructure API keys are not available, \
     and other users appear by IAM ID";

/// The most IBM's list operation gives per page.
const IBM_PAGE: &str = "100";

/// What an access token says about who it signs in, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TokenClaims {
    pub iam_id: String,
    pub account: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub sub: String,
    pub sub_type: String,
}

impl TokenClaims {
    /// The signed-in user as far as the token tells.
    fn user(&self) -> User {
        let email = self
            .email
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| self.sub.contains('@').then(|| self.sub.clone()))
            .unwrap_or_else(|| self.iam_id.clone());
        User {
            iam_id: self.iam_id.clone(),
            email,
            name: self.name.clone().unwrap_or_default(),
            functional: false,
        }
    }

    fn is_service_id(&self) -> bool {
        self.sub_type.eq_ignore_ascii_case("serviceid") || self.iam_id.starts_with("iam-ServiceId-")
    }
}

/// The claims of a JWT access token, read without checking its signature;
/// `None` if it is not a JWT naming an identity and an account.
pub(super) fn claims(token: &str) -> Option<TokenClaims> {
    #[derive(Deserialize)]
    struct RawAccount {
        bss: Option<String>,
    }
    #[derive(Deserialize)]
    struct Raw {
        iam_id: Option<String>,
        id: Option<String>,
        sub: Option<String>,
        sub_type: Option<String>,
        email: Option<String>,
        name: Option<String>,
        account: Option<RawAccount>,
    }
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let raw: Raw = serde_json::from_slice(&bytes).ok()?;
    let iam_id = raw.iam_id.or(raw.id).filter(|i| !i.is_empty())?;
    let account = raw.account?.bss.filter(|a| !a.is_empty())?;
    Some(TokenClaims {
        iam_id,
        account,
        email: raw.email,
        name: raw.name,
        sub: raw.sub.unwrap_or_default(),
        sub_type: raw.sub_type.unwrap_or_default(),
    })
}

/// A page of a list operation: its items and the link to the next page.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct Page<T> {
    #[serde(default)]
    next: Option<String>,
    #[serde(default = "Vec::new", alias = "apikeys", alias = "serviceids")]
    items: Vec<T>,
}

#[derive(Deserialize)]
struct ServiceIdName {
    iam_id: String,
    name: String,
}

fn is_service(iam_id: &str) -> bool {
    iam_id.starts_with("iam-ServiceId-")
}

fn not_found(key_ref: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no API key {key_ref} among the keys you can see in this account"
    ))
}

impl Remote {
    fn classic_unavailable(&self) -> ServiceError {
        ServiceError::Denied(Denied::Remote(format!(
            "classic infrastructure API keys are not part of IBM's IAM Identity API, which is all the server at {} offers",
            self.shown
        )))
    }

    /// `check` reads the store through iamkeys' own operation.
    pub(super) fn ibm_check_refusal(&self) -> ServiceError {
        failed(
            2,
            format!(
                "check needs iamkeys' own operations, which the server at {} does not offer (it speaks only IBM's API): run `iamkeys check` where the store is",
                self.shown
            ),
        )
    }

    /// `--as` against a server without the persona grant: said plainly.
    pub(super) fn persona_refusal(&self, refused: ServiceError) -> ServiceError {
        let url = self.url(&["iamkeys", "v1", "personas"], &[]);
        match self.send(Method::GET, &url, &[], None) {
            Ok(a) if a.status == StatusCode::NOT_FOUND => {
                ServiceError::Denied(Denied::Remote(format!(
                    "--as signs in a persona only through an iamkeys server whose store is a demo; the server at {} speaks only IBM's API: sign in with --apikey",
                    self.shown
                )))
            }
            _ => refused,
        }
    }

    /// The session a token opens on a server without iamkeys' operations.
    pub(super) fn ibm_sign_in(
        &self,
        grant: Grant,
        token: Token,
        asked: Option<&str>,
    ) -> Result<Session> {
        let c = claims(&token.access).ok_or_else(|| {
            self.unexpected("its access token is not a JWT naming an identity and an account")
        })?;
        if c.is_service_id() {
            return Err(Denied::SignIn(
                "service ID and classic infrastructure API keys cannot sign in to iamkeys: use a user API key",
            )
            .into());
        }
        if let Some(a) = asked
            && a != c.account
        {
            return Err(self.other_account(&c.account, a));
        }
        let session = Session {
            user: c.user(),
            account_id: c.account.clone(),
            key_id: None,
        };
        let mut auth = self.auth();
        auth.ibm_only = true;
        auth.store = Some(StoreInfo {
            schema_version: 0,
            demo: false,
            source: self.shown.clone(),
        });
        auth.grant = Some(grant);
        auth.token = Some(token);
        tracing::info!(endpoint = %self.shown, "the server speaks only IBM's API: working without iamkeys' operations");
        Ok(session)
    }

    /// A token for another account than the one asked for.
    pub(super) fn other_account(&self, got: &str, asked: &str) -> ServiceError {
        ServiceError::Denied(Denied::Remote(format!(
            "the server at {} signs this key in to account {got}, not to {asked}",
            self.shown
        )))
    }

    /// Whether the list operation answers `scope=account&type=…` for the
    /// caller: 200 yes; 403 (not allowed) or 400 (not understood) no.
    fn ibm_probe(&self, s: &Session, kind: &str) -> Result<bool> {
        let url = self.url(
            &["v1", "apikeys"],
            &[
                ("account_id", s.account_id.clone()),
                ("scope", "account".into()),
                ("type", kind.into()),
                ("pagesize", "1".into()),
            ],
        );
        let a = self.answer(Some(s), &Method::GET, &url, &[], None)?;
        match a.status.as_u16() {
            200..=299 => Ok(true),
            400 | 403 => Ok(false),
            _ => Err(self.error(&a)),
        }
    }

    /// The View filter options, found by probing.
    pub(super) fn ibm_views(&self, s: &Session) -> Result<Vec<ViewInfo>> {
        let mut out = vec![ViewInfo {
            view: ViewFilter::MyApiKeys,
            actions: access::view_actions(ViewFilter::MyApiKeys, true),
            create_refused: None,
        }];
        for (view, kind) in [
            (ViewFilter::AllUserApiKeys, "user"),
            (ViewFilter::AllServiceIdApiKeys, "serviceid"),
        ] {
            if self.ibm_probe(s, kind)? {
                out.push(ViewInfo {
                    view,
                    actions: access::view_actions(view, false),
                    create_refused: None,
                });
            }
        }
        Ok(out)
    }

    /// Every item of a list operation, page after page.
    fn ibm_all<T: serde::de::DeserializeOwned>(
        &self,
        s: &Session,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("pagesize", IBM_PAGE.into()));
            if let Some(t) = &token {
                q.push(("pagetoken", t.clone()));
            }
            let page: Page<T> = self.get_json(Some(s), segments, &q)?;
            let empty = page.items.is_empty();
            out.extend(page.items);
            let next = page.next.as_deref().and_then(|n| self.page_token(n));
            match next {
                // A token seen before would go round in circles.
                Some(t) if !empty && seen.insert(t.clone()) => token = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    /// The `pagetoken` of a `next` link (absolute, or relative to the server).
    fn page_token(&self, next: &str) -> Option<String> {
        let url = url::Url::parse(next)
            .ok()
            .or_else(|| self.base.join(next).ok())?;
        url.query_pairs()
            .find(|(k, _)| k == "pagetoken")
            .map(|(_, v)| v.into_owned())
    }

    /// Every key of `view`, as the list operation gives them.
    fn ibm_keys(&self, s: &Session, view: ViewFilter) -> Result<Vec<WireKey>> {
        let account = ("account_id", s.account_id.clone());
        let query = match view {
            ViewFilter::MyApiKeys => vec![account, ("iam_id", s.user.iam_id.clone())],
            ViewFilter::AllUserApiKeys => {
                vec![
                    account,
                    ("scope", "account".into()),
                    ("type", "user".into()),
                ]
            }
            ViewFilter::AllServiceIdApiKeys => vec![
                account,
                ("scope", "account".into()),
                ("type", "serviceid".into()),
            ],
            ViewFilter::ClassicInfrastructure => return Err(self.classic_unavailable()),
        };
        self.ibm_all(s, &["v1", "apikeys"], &query)
    }

    /// Names for iam_ids: the caller's email and, with `services`, the
    /// names of the account's service IDs (if the caller may list them).
    pub(super) fn ibm_names(&self, s: &Session, services: bool) -> Result<HashMap<String, String>> {
        let mut names = HashMap::new();
        names.insert(s.user.iam_id.clone(), s.user.email.clone());
        if services {
            let listed: Result<Vec<ServiceIdName>> = self.ibm_all(
                s,
                &["v1", "serviceids"],
                &[("account_id", s.account_id.clone())],
            );
            match listed {
                Ok(list) => names.extend(list.into_iter().map(|x| (x.iam_id, x.name))),
                // Not allowed to list them: their keys show the iam_id.
                Err(e) if matches!(e.exit_code(), 2..=4) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(names)
    }

    /// A key with the names the page shows beside it.
    fn named_row(&self, w: WireKey, names: &HashMap<String, String>) -> Result<KeyRow> {
        let owner = w
            .owner_name
            .clone()
            .or_else(|| names.get(&w.iam_id).cloned())
            .unwrap_or_else(|| w.iam_id.clone());
        let created_by = w
            .created_by_name
            .clone()
            .or_else(|| names.get(&w.created_by).cloned())
            .unwrap_or_else(|| w.created_by.clone());
        let key = w.to_key().map_err(|e| self.unexpected(e))?;
        Ok(KeyRow {
            key,
            owner,
            created_by,
        })
    }

    /// One key's row, its names looked up.
    pub(super) fn ibm_row(&self, s: &Session, w: WireKey) -> Result<KeyRow> {
        let services = is_service(&w.iam_id) || is_service(&w.created_by);
        let names = self.ibm_names(s, services)?;
        self.named_row(w, &names)
    }

    /// A view's page: every key of the view, searched, sorted and paged as
    /// the service does.
    pub(super) fn ibm_listing(&self, s: &Session, q: &ListQuery) -> Result<Listing> {
        let keys = self.ibm_keys(s, q.view)?;
        let services = keys
            .iter()
            .any(|w| is_service(&w.iam_id) || is_service(&w.created_by));
        let names = self.ibm_names(s, services)?;
        let needle = q.search.trim().to_lowercase();
        let mut rows = Vec::with_capacity(keys.len());
        for w in keys {
            let row = self.named_row(w, &names)?;
            if matches(&row, &needle) {
                rows.push(row);
            }
        }
        Ok(q.listing(rows))
    }

    /// A key by id, with its history, if the caller can see it.
    fn ibm_by_id(&self, s: &Session, id: &str) -> Result<Option<WireKey>> {
        let url = self.url(
            &["v1", "apikeys", id],
            &[("include_history", "true".into())],
        );
        let a = self.answer(Some(s), &Method::GET, &url, &[], None)?;
        match a.status.as_u16() {
            200..=299 => Ok(Some(self.json(&a)?)),
            404 => Ok(None),
            _ => Err(self.error(&a)),
        }
    }

    /// A key by id, or by a name unique among the keys the caller can see:
    /// as the service resolves it.
    pub(super) fn ibm_details(&self, s: &Session, key_ref: &str) -> Result<KeyRow> {
        // `details` is an operation of its own there, never an id.
        if !key_ref.is_empty()
            && key_ref != "details"
            && let Some(w) = self.ibm_by_id(s, key_ref)?
        {
            return self.ibm_row(s, w);
        }
        let views = self.ibm_views(s)?;
        let has_users = views.iter().any(|v| v.view == ViewFilter::AllUserApiKeys);
        let mut named = Vec::new();
        for v in views {
            // The all-users view holds one's own keys too.
            if v.view == ViewFilter::MyApiKeys && has_users {
                continue;
            }
            named.extend(
                self.ibm_keys(s, v.view)?
                    .into_iter()
                    .filter(|w| w.name == key_ref),
            );
        }
        match named.len() {
            0 => Err(not_found(key_ref)),
            1 => {
                let id = named.pop().expect("one").id;
                let w = self.ibm_by_id(s, &id)?.ok_or_else(|| not_found(key_ref))?;
                self.ibm_row(s, w)
            }
            n => {
                let mut ids: Vec<String> = named.into_iter().map(|w| w.id).collect();
                ids.sort();
                Err(ServiceError::BadInput(format!(
                    "the name {key_ref:?} is ambiguous: it names {n} keys; use an id: {}",
                    ids.join(", ")
                )))
            }
        }
    }

    /// The stand-in for the account: the caller its one member, an
    /// Administrator if the all-users view answered.
    pub(super) fn ibm_account(&self, s: &Session) -> Result<Account> {
        let admin = self.ibm_probe(s, "user")?;
        Ok(stand_in(s, admin))
    }

    /// What the caller may do with `key`, as far as it can be told here.
    pub(super) fn ibm_actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>> {
        let account = self.ibm_account(s)?;
        Ok(access::key_actions(
            &account,
            &s.user.iam_id,
            &KeyFacts::of(key),
        ))
    }

    /// The account's settings from IBM's settings operation. The limit of
    /// keys per identity is not in IBM's API: IBM's default is shown.
    pub(super) fn ibm_settings(&self, s: &Session) -> Result<(AccountSettings, Option<Denied>)> {
        let api: serde_json::Value = self.get_json(
            Some(s),
            &["v1", "accounts", &s.account_id, "settings", "identity"],
            &[],
        )?;
        let text = |name: &str| api.get(name).and_then(serde_json::Value::as_str);
        let settings = AccountSettings {
            restrict_api_key_creation: text("restrict_create_platform_apikey")
                == Some("RESTRICTED"),
            entity_tag: text("entity_tag").unwrap_or_default().to_string(),
            ..AccountSettings::default()
        };
        let refused = text("iamkeys_change_refused").map(|r| Denied::Remote(r.to_string()));
        Ok((settings, refused))
    }

    /// Creating a classic infrastructure key: not through IBM's API.
    pub(super) fn ibm_classic(&self) -> ServiceError {
        self.classic_unavailable()
    }
}

/// The account as far as IBM's API tells: the caller its one member.
fn stand_in(s: &Session, admin: bool) -> Account {
    let roles: BTreeSet<Role> = if admin {
        [Role::Administrator].into()
    } else {
        BTreeSet::new()
    };
    Account {
        id: s.account_id.clone(),
        name: String::new(),
        owner: String::new(),
        classic_infrastructure: false,
        settings: AccountSettings::default(),
        members: vec![Membership {
            iam_id: s.user.iam_id.clone(),
            email: s.user.email.clone(),
            invited_by: None,
            roles,
        }],
    }
}
