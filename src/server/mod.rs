//! `iamkeys serve`: IBM's IAM Identity API v1 over the store, so that many
//! consoles, scripts and IBM's own tools share one store. The server is a
//! third face of the service layer: every rule is the service's, asked
//! over HTTP.
//!
//! The store's calls block (sled, argon2), so they run on tokio's blocking
//! pool; argon2 verifications (token exchanges) additionally pass a small
//! semaphore, so a flood of them cannot take every core from reads.

mod apikeys;
mod errors;
mod ext;
mod http;
mod ibm_only;
mod serviceids;
mod settings;
pub mod token;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::{self, AppResult, bad_input, other};
use crate::secret::HashParams;
use crate::service::Service;

pub use errors::ApiError;

/// How `iamkeys serve` listens.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub insecure_http: bool,
    /// Speak only IBM's API (see [`ibm_only`]).
    pub ibm_only: bool,
}

/// Bounds that keep one client from exhausting the server.
pub mod limits {
    use std::time::Duration;
    /// The largest request body taken.
    pub const BODY_BYTES: usize = 64 * 1024;
    /// Connections served at once; more wait in the kernel's backlog.
    pub const CONNECTIONS: usize = 256;
    /// A client must send its request headers within this (an idle
    /// keep-alive connection, its next request's); see
    /// [`super::header_timeout_from_env`].
    pub const HEADER_READ: Duration = Duration::from_secs(10);
    /// A request must be answered within this (else 503).
    pub const REQUEST: Duration = Duration::from_secs(30);
    /// argon2 verifications at once.
    pub const HASHING: usize = 1;
    /// How long a token exchange waits for the hashing pool before it is
    /// told to come back later (429).
    pub const HASH_WAIT: Duration = Duration::from_secs(5);
    /// How long requests in flight may take to finish at shutdown.
    pub const DRAIN: Duration = Duration::from_secs(10);
}

/// The setting that shortens [`limits::HEADER_READ`] (milliseconds).
pub const HEADER_TIMEOUT_ENV: &str = "IAMKEYS_SERVE_HEADER_TIMEOUT_MS";

/// The header read timeout: [`limits::HEADER_READ`], or shorter as
/// `IAMKEYS_SERVE_HEADER_TIMEOUT_MS` asks. The setting may only shorten
/// it: anything but a whole number of milliseconds from 1 to the default
/// is refused.
pub fn header_timeout_from_env() -> Result<Duration, String> {
    let max = limits::HEADER_READ.as_millis();
    let Some(value) = std::env::var_os(HEADER_TIMEOUT_ENV) else {
        return Ok(limits::HEADER_READ);
    };
    value
        .to_str()
        .filter(|v| !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&ms| ms >= 1 && u128::from(ms) <= max)
        .map(Duration::from_millis)
        .ok_or_else(|| {
            format!(
                "{HEADER_TIMEOUT_ENV}: the header read timeout must be a whole number of milliseconds from 1 to {max} (it may only shorten the default of {max}), not {:?}",
                crate::secret::redact_values(&value.to_string_lossy())
            )
        })
}

/// The setting that changes how often `serve` removes expired keys whose
/// retention is over (seconds; default an hour).
pub const SWEEP_ENV: &str = "IAMKEYS_SERVE_SWEEP_SECS";
/// How often `serve` removes expired keys by default.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// The period of `serve`'s removal of expired keys: [`SWEEP_EVERY`], or
/// `IAMKEYS_SERVE_SWEEP_SECS` (1 to 86400 seconds); anything else is
/// refused.
pub fn sweep_period_from_env() -> Result<Duration, String> {
    let Some(value) = std::env::var_os(SWEEP_ENV) else {
        return Ok(SWEEP_EVERY);
    };
    value
        .to_str()
        .filter(|v| !v.is_empty() && v.len() <= 5 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| (1..=86_400).contains(&s))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            format!(
                "{SWEEP_ENV}: the period of removing expired keys must be a whole number of seconds from 1 to 86400, not {:?}",
                crate::secret::redact_values(&value.to_string_lossy())
            )
        })
}

/// What every handler shares.
pub struct State {
    pub service: Service,
    pub signer: token::Signer,
    /// Admits argon2 verifications: see the module note.
    pub hashing: Semaphore,
    pub reports: settings::Reports,
    pub https: bool,
    /// Behave as a server that speaks only IBM's API: see [`ibm_only`].
    pub ibm_only: bool,
}

pub type Shared = Arc<State>;

/// Runs the server on the data directory `dir` until SIGINT or SIGTERM.
pub fn run(dir: &Path, opts: &Options, params: HashParams) -> AppResult {
    let addr: SocketAddr = opts.listen.parse().map_err(|_| {
        bad_input(format!(
            "--listen: {:?} is not an address with a port, such as 127.0.0.1:7080",
            crate::secret::redact_values(&opts.listen)
        ))
    })?;
    let tls = match (&opts.tls_cert, &opts.tls_key) {
        (Some(c), Some(k)) => Some(http::tls_config(c, k)?),
        (None, None) => None,
        _ => return Err(bad_input("--tls-cert and --tls-key go together: give both")),
    };
    if tls.is_none() && !addr.ip().is_loopback() && !opts.insecure_http {
        return Err(bad_input(format!(
            "--listen {addr} is reachable from other machines: give --tls-cert and --tls-key, or --insecure-http to serve plain HTTP anyway"
        )));
    }
    let header_read = header_timeout_from_env().map_err(bad_input)?;
    let sweep = sweep_period_from_env().map_err(bad_input)?;
    let service = app::open_service(dir, params)?;
    app::sweep_on_open(&service, jiff::SignedDuration::ZERO);
    let signer = token::Signer::load_or_create(dir).map_err(|e| other(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("iamkeys-serve")
        .build()
        .map_err(|e| other(format!("cannot start the server's runtime: {e}")))?;
    let state = Arc::new(State {
        service,
        signer,
        hashing: Semaphore::new(limits::HASHING),
        reports: settings::Reports::default(),
        https: tls.is_some(),
        ibm_only: opts.ibm_only,
    });
    let result = runtime.block_on(serve(addr, tls, header_read, sweep, Arc::clone(&state)));
    // Everything acknowledged was flushed when it was answered; the store
    // closes (and flushes once more) as the state goes.
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop(state);
    result
}

async fn serve(
    addr: SocketAddr,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    header_read: Duration,
    sweep: Duration,
    state: Shared,
) -> AppResult {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| other(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| other(format!("cannot listen on {addr}: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %bound, scheme, ibm_only = state.ibm_only, "server listening");
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {scheme}://{bound}");
        let _ = out.flush();
    }
    let router = router(Arc::clone(&state));
    let sweeper = tokio::spawn(sweep_every(Arc::clone(&state), sweep));
    http::accept_loop(listener, tls, header_read, router, shutdown_signal()).await;
    sweeper.abort();
    tracing::info!("server stopped");
    Ok(())
}

/// Removes expired keys whose retention is over, every `period`, off the
/// request threads; each run is bounded (see
/// [`crate::service::MAX_REMOVALS_PER_RUN`]).
async fn sweep_every(state: Shared, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: the sweep at start has just run.
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || {
            // A period's sweep looks at every account again.
            app::sweep_on_open(&st.service, jiff::SignedDuration::ZERO);
        })
        .await;
    }
}

/// Resolves at the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handling the server runs until killed.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Every route.
pub fn router(state: Shared) -> Router {
    use axum::routing::{get, post};
    let api = Router::new()
        .route("/identity/token", post(apikeys::token))
        .route("/identity/keys", get(apikeys::jwks))
        .route("/v1/apikeys", get(apikeys::list).post(apikeys::create))
        .route("/v1/apikeys/details", get(apikeys::details))
        .route(
            "/v1/apikeys/{id}",
            get(apikeys::get_one)
                .put(apikeys::update)
                .delete(apikeys::delete),
        )
        .route(
            "/v1/apikeys/{id}/lock",
            post(apikeys::lock).delete(apikeys::unlock),
        )
        .route(
            "/v1/apikeys/{id}/disable",
            post(apikeys::disable).delete(apikeys::enable),
        )
        .route(
            "/v1/serviceids",
            get(serviceids::list).post(serviceids::create),
        )
        .route(
            "/v1/serviceids/",
            get(serviceids::list).post(serviceids::create),
        )
        .route(
            "/v1/serviceids/{id}",
            get(serviceids::get_one)
                .put(serviceids::update)
                .delete(serviceids::delete),
        )
        .route(
            "/v1/serviceids/{id}/lock",
            post(serviceids::lock).delete(serviceids::unlock),
        )
        .route(
            "/v1/accounts/{account_id}/settings/identity",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route(
            "/v1/accounts/{account_id}/effective_settings/identity",
            get(settings::effective),
        )
        .route(
            "/v1/activity/accounts/{account_id}/report",
            post(settings::create_report),
        )
        .route(
            "/v1/activity/accounts/{account_id}/report/{reference}",
            get(settings::get_report),
        );
    let api = if state.ibm_only {
        // No `/iamkeys/v1/` route: those paths fall to the 404 every
        // unknown path gets, in IBM's error shape.
        api.layer(axum::middleware::from_fn(ibm_only::answers))
    } else {
        api.merge(ext::routes())
    };
    http::layers(api, state)
}
