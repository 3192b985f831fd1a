//! The HTTP plumbing: TLS, the accept loop with its bounds, the request
//! log, transaction ids, the caller behind a bearer token, and small
//! helpers the handlers share.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::rustls;

use super::errors::ApiError;
use super::{Shared, limits};
use crate::app::{AppResult, bad_input};
use crate::service::{Service, Session};

/// A rustls server configuration from PEM files.
pub fn tls_config(cert: &Path, key: &Path) -> AppResult<Arc<rustls::ServerConfig>> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| bad_input(format!("cannot read {}: {e}", p.display())))
    };
    let certs = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_input(format!("{}: not a PEM certificate: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(bad_input(format!(
            "{}: no PEM certificate in it",
            cert.display()
        )));
    }
    let private = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| bad_input(format!("{}: not a PEM private key: {e}", key.display())))?
        .ok_or_else(|| bad_input(format!("{}: no PEM private key in it", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad_input(format!("TLS: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, private)
    .map_err(|e| {
        bad_input(format!(
            "{} and {} do not make a usable TLS identity: {e}",
            cert.display(),
            key.display()
        ))
    })?;
    Ok(Arc::new(config))
}

/// Accepts connections until `shutdown`, serving each with `router`;
/// then stops accepting and lets requests in flight finish, for at most
/// [`limits::DRAIN`]. At most [`limits::CONNECTIONS`] are served at once:
/// the next waits in the kernel's backlog until one closes. A client must
/// send each request's headers (and finish its TLS handshake) within
/// `header_read`, which also ends idle keep-alive connections.
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    header_read: std::time::Duration,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits::CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read)
            .max_buf_size(64 * 1024);
        match &acceptor {
            None => {
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = watched.await;
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(header_read, acceptor.accept(stream));
                    let Ok(Ok(tls)) = handshake.await else {
                        tracing::debug!(peer = %peer, "TLS handshake failed or timed out");
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    if tokio::time::timeout(limits::DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the drain time were cut off");
    }
}

/// Who made a request, for the log: filled in by [`Caller`].
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<Mutex<Option<String>>>);

/// The layers around every route: a transaction id, the request log, the
/// body limit, the request timeout, and IBM's error shape for unknown
/// routes.
pub fn layers(api: Router<Shared>, state: Shared) -> Router {
    api.fallback(|| async { ApiError::not_found_route() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::extract::DefaultBodyLimit::max(limits::BODY_BYTES))
        .layer(axum::middleware::from_fn(around))
        .with_state(state)
}

/// The client's `Transaction-Id` if it is a plain one (letters, digits,
/// `-`, `_`, at most 64) and not, nor holding, an API key value: it is
/// logged and sent back. Otherwise a new one.
fn transaction_id(headers: &HeaderMap) -> String {
    headers
        .get("transaction-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !crate::secret::looks_like_key(v)
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string)
}

/// A request's path as the log shows it: every segment that is or holds
/// an API key value — as sent, or once percent-decoded (a client may
/// encode any character, and encode the `%` again) — is replaced whole by
/// `<API key value>`.
pub fn loggable_path(path: &str) -> String {
    const DECODINGS: usize = 4;
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let mut form = std::borrow::Cow::Borrowed(segment);
        let mut secret = false;
        for _ in 0..=DECODINGS {
            if crate::secret::looks_like_key(&form) {
                secret = true;
                break;
            }
            match percent_decoded(&form) {
                Some(d) => form = std::borrow::Cow::Owned(d),
                None => break,
            }
        }
        out.push_str(if secret { "<API key value>" } else { segment });
    }
    out
}

/// `text` with each `%XX` decoded (invalid UTF-8 replaced), or `None` if
/// it holds none.
fn percent_decoded(text: &str) -> Option<String> {
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h * 16 + l);
            changed = true;
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Logs each request (method, path, status, latency, caller, transaction
/// id: never a header, a body or a query, and a key value in the path is
/// redacted, however encoded), bounds its time and tags the answer with
/// its transaction id.
async fn around(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let tid = transaction_id(req.headers());
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let mut res = match tokio::time::timeout(limits::REQUEST, read_then_run(req, next)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "BXNIM0504E",
            "the request took too long and was abandoned",
        )
        .into_response(),
    };
    if res.status().is_client_error() || res.status().is_server_error() {
        set_trace(&mut res, &tid);
    }
    if let Ok(v) = HeaderValue::from_str(&tid) {
        res.headers_mut().insert("transaction-id", v);
    }
    let caller = slot
        .0
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .unwrap_or_default();
    tracing::info!(
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        caller = %caller,
        transaction = %tid,
        "request"
    );
    res
}

/// Reads the whole body (up to [`limits::BODY_BYTES`]) before the handler
/// runs: an answer given before the client finished sending would leave
/// unread bytes on a keep-alive connection, which then has to be closed
/// under the client's next request.
async fn read_then_run(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limits::BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "BXNIM0413E",
            format!(
                "the request body is larger than {} bytes, or was cut off",
                limits::BODY_BYTES
            ),
        )
        .into_response(),
    }
}

/// Puts the transaction id in an error answer's `trace`: the error kept
/// its body aside (see [`ApiError`]) so it can be written again here.
fn set_trace(res: &mut Response, tid: &str) {
    if let Some(super::errors::ErrorBody(mut body)) = res.extensions_mut().remove() {
        body.trace = tid.to_string();
        if let Ok(bytes) = serde_json::to_vec(&body) {
            *res.body_mut() = axum::body::Body::from(bytes);
            res.headers_mut().remove(axum::http::header::CONTENT_LENGTH);
        }
    }
}

/// The signed-in caller of a request, from its bearer token. The token's
/// signature and expiry are checked, then (one lookup) that its key is
/// still enabled and unexpired, and who it names.
pub struct Caller {
    pub session: Session,
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let unauthorized = |why: &str| ApiError::unauthorized(why);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                unauthorized("no Authorization header: send Authorization: Bearer <token>")
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header is not a bearer token"))?;
        let now = jiff::Timestamp::now().as_second();
        let claims = state
            .signer
            .verify(token.trim(), now)
            .ok_or_else(|| unauthorized("the token is invalid or expired"))?;
        let st = Arc::clone(state);
        let session = blocking(&st, move |svc: &Service| {
            if let Some(key) = &claims.iamkeys_key
                && !svc.key_still_valid(key)?
            {
                return Ok(None);
            }
            svc.session_of(
                &claims.iam_id,
                &claims.account.bss,
                claims.iamkeys_key.as_deref(),
            )
        })
        .await?
        .ok_or_else(|| {
            unauthorized(
                "the token's key was disabled, deleted or has expired, or its identity is gone",
            )
        })?;
        if let Some(slot) = parts.extensions.get::<CallerSlot>()
            && let Ok(mut s) = slot.0.lock()
        {
            *s = Some(session.user.iam_id.clone());
        }
        Ok(Caller { session })
    }
}

/// Runs `f` on the blocking pool with the service.
pub async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&Service) -> crate::service::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let st = Arc::clone(state);
    match tokio::task::spawn_blocking(move || f(&st.service)).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "a request's work failed");
            Err(ApiError::internal())
        }
    }
}

/// The tag an `If-Match` header gives: `None` for `*` (any), quotes and a
/// weak marker taken off.
pub fn if_match(headers: &HeaderMap) -> Result<Option<Option<String>>, ApiError> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::bad_request("the If-Match header is not text"))?
        .trim();
    if v == "*" {
        return Ok(Some(None));
    }
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v.trim_matches('"');
    if v.is_empty() || v.len() > 128 {
        return Err(ApiError::bad_request(
            "the If-Match header is empty or too long",
        ));
    }
    Ok(Some(Some(v.to_string())))
}

/// A boolean header such as `Entity-Lock` (absent: false).
pub fn flag(headers: &HeaderMap, name: &str) -> Result<bool, ApiError> {
    match headers.get(name).map(|v| v.to_str().map(str::trim)) {
        None => Ok(false),
        Some(Ok(v)) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(Ok(v)) if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "the {name} header must be true or false"
        ))),
    }
}

/// A JSON answer with an `ETag` equal to the entity tag.
pub fn with_etag(status: StatusCode, tag: &str, body: impl serde::Serialize) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(tag) {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    res
}

/// The base URL of this server as the client reached it, for links.
pub fn base_url(headers: &HeaderMap, https: bool) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_in_a_path_are_redacted_however_encoded() {
        let v = crate::secret::generate();
        let v = v.expose();
        let all: String = v.bytes().map(|b| format!("%{b:02X}")).collect();
        for form in [
            v.to_string(),
            all.clone(),
            all.to_lowercase(),
            format!("%69amk%5F{}", &v[5..]),
            format!("%2569amk_{}", &v[5..]),
            format!("%252569amk_{}", &v[5..]),
            format!("x{v}y"),
        ] {
            let logged = loggable_path(&format!("/v1/apikeys/{form}/lock"));
            assert_eq!(logged, "/v1/apikeys/<API key value>/lock", "{form}");
        }
        assert_eq!(
            loggable_path("/v1/apikeys/ApiKey-1%2Fx/lock"),
            "/v1/apikeys/ApiKey-1%2Fx/lock"
        );
        assert_eq!(loggable_path("/a/%zz/%"), "/a/%zz/%");
        let mut headers = HeaderMap::new();
        headers.insert("transaction-id", HeaderValue::from_str(v).unwrap());
        assert_ne!(transaction_id(&headers), v);
        headers.insert("transaction-id", HeaderValue::from_static("my-trace-42"));
        assert_eq!(transaction_id(&headers), "my-trace-42");
    }
}
