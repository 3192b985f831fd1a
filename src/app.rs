//! The application layer both faces use: where the data directory is,
//! taking its lock, creating (seeding) and opening a store through the
//! store backend, the built-in demo, signing in, and key files. The
//! command line and the console call this; neither knows which store
//! backend serves them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::fixture::{self, FixtureError};
use crate::secret::HashParams;
use crate::service::{Created, Service, ServiceError, Session, now};
use crate::store::{DirLock, StoreError, backend};

/// A failure of a command, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    /// What kind of failure, by exit code: the `code` of a JSON error.
    pub fn kind(&self) -> &'static str {
        match self.code {
            2 => "bad_input",
            3 => "refused",
            4 => "not_found",
            _ => "error",
        }
    }
}

pub fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

pub fn other(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

pub type AppResult<T = ()> = Result<T, Failure>;

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Failure {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        ServiceError::from(e).into()
    }
}

impl From<FixtureError> for Failure {
    fn from(e: FixtureError) -> Failure {
        Failure {
            code: 2,
            message: format!("invalid fixture: {e}"),
        }
    }
}

/// Where the store lives: the directory given (`--data-dir`, else
/// `$IAMKEYS_DATA_DIR`), else the platform's data directory.
pub fn data_dir(given: Option<&Path>) -> AppResult<PathBuf> {
    if let Some(d) = given {
        return Ok(d.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "iamkeys")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| other("no home directory to keep the store in: give --data-dir DIR"))
}

pub fn hash_params() -> AppResult<HashParams> {
    HashParams::from_env().map_err(bad_input)
}

/// Seeds the built-in demo into the locked data directory if there is no
/// store there yet; says whether it did.
pub fn ensure_demo(dir: &DataDir, params: HashParams) -> AppResult<bool> {
    let lock = &dir.0;
    if backend().exists(lock.dir()) {
        return Ok(false);
    }
    let fx = fixture::demo();
    let (seed, _) = fixture::to_seed(&fx, params, now());
    backend().create(lock, &seed, true, fixture::DEMO_NAME, false)?;
    Ok(true)
}

/// A fixture to seed from, and its name for the store's records.
pub struct SeedSource {
    fixture: fixture::Loaded,
    name: String,
}

/// Reads the fixture `file` (or takes the built-in demo), before anything
/// in the data directory is touched.
pub fn seed_source(file: Option<&Path>) -> AppResult<SeedSource> {
    Ok(match file {
        Some(f) => SeedSource {
            fixture: fixture::load(f)?,
            name: f.display().to_string(),
        },
        None => SeedSource {
            fixture: fixture::read(fixture::DEMO.to_string(), fixture::DEMO_NAME)
                .expect("the built-in demo fixture is valid"),
            name: fixture::DEMO_NAME.to_string(),
        },
    })
}

/// What seeding made: the bootstrap keys to print, and where a damaged
/// store that was replaced now is.
pub struct Seeded {
    pub bootstraps: Vec<fixture::Bootstrap>,
    pub damaged_kept: Option<PathBuf>,
}

/// Seeds `dir` from a fixture file (or the built-in demo), holding the
/// data directory's lock meanwhile; returns what to print.
pub fn seed(
    dir: &Path,
    file: Option<&Path>,
    replace: bool,
    params: HashParams,
) -> AppResult<Vec<fixture::Bootstrap>> {
    let source = seed_source(file)?;
    Ok(seed_into(&DataDir::lock(dir)?, source, replace, params)?.bootstraps)
}

/// Seeds the data directory `dir` holds from `source`; the check for an
/// existing store and the swap happen under its lock.
pub fn seed_into(
    dir: &DataDir,
    source: SeedSource,
    replace: bool,
    params: HashParams,
) -> AppResult<Seeded> {
    let lock = &dir.0;
    if backend().exists(lock.dir()) && !replace {
        return Err(bad_input(format!(
            "there is already a store in {}: add --replace to replace it",
            lock.dir().display()
        )));
    }
    // Each key is packed as it is made: the seed's keys are never all held
    // as keys, nor the fixture's once it is seeded.
    let SeedSource { fixture: fx, name } = source;
    let demo = fx.demo();
    let mut keys = crate::store::PackedKeys::default();
    let (seed, bootstraps) =
        fixture::to_seed_with(&fx.fixture, &fx, params, now(), &mut |k| keys.push(&k));
    drop(fx);
    let damaged_kept = backend().create_packed(lock, &seed, keys, demo, &name, replace)?;
    Ok(Seeded {
        bootstraps,
        damaged_kept,
    })
}

/// Takes the data directory's lock, starts the log there and opens the
/// store. The lock stays with the service, for as long as it is open.
pub fn open_service(dir: &Path, params: HashParams) -> AppResult<Service> {
    open_locked(DataDir(DirLock::acquire(dir)?), params, false)
}

/// The data directory, locked by this process for as long as the value (or
/// a service opened from it) lives: another process is told "busy".
pub struct DataDir(Arc<DirLock>);

impl DataDir {
    /// Locks `dir`, creating it (private) if needed.
    pub fn lock(dir: &Path) -> AppResult<DataDir> {
        Ok(DataDir(DirLock::create(dir)?))
    }

    pub fn path(&self) -> &Path {
        self.0.dir()
    }
}

/// Starts the log in a locked data directory, with what taking the lock
/// noticed (leftovers removed, modes tightened).
pub fn start_log(dir: &DataDir) {
    crate::log::init(dir.path());
    dir.0.log_notes();
}

/// Opens the store of a locked data directory, starting the log there.
/// Right after this process seeded it, the store's own lock may still be
/// held for a moment by the closing seed handle: wait for it rather than
/// report the store busy.
pub fn open_locked(dir: DataDir, params: HashParams, just_seeded: bool) -> AppResult<Service> {
    start_log(&dir);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match backend().open(dir.0.clone()) {
            Err(StoreError::Busy(_)) if just_seeded && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return Ok(Service::with_storage(other?, params)),
        }
    }
}

/// How often a writer opening the store looks for expired keys to remove
/// in an account: a sweep reads every key of the account, so it is not
/// repeated within this time.
pub const SWEEP_ON_OPEN_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(3600);

/// Removes the keys whose retention after expiry is over, as a writer (the
/// console, a command that changes something, `serve` at start) does when
/// it opens the store. A failure is logged, never in the way of the
/// writer's own work.
pub fn sweep_on_open(service: &Service, every: jiff::SignedDuration) {
    match service.remove_expired_keys(crate::service::now(), every) {
        Ok(run) if !run.removed.is_empty() || run.incomplete => {
            tracing::info!(
                removed = run.removed.len(),
                accounts = run.accounts,
                incomplete = run.incomplete,
                "expired API keys removed"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "looking for expired API keys to remove failed"),
    }
}

/// A client of the iamkeys server at `url`: with it, nothing opens the
/// store here (no data directory, no lock).
pub fn connect(url: &str) -> AppResult<crate::client::remote::Remote> {
    Ok(crate::client::remote::Remote::new(url)?)
}

/// Who signs in: a persona's email on a demo store, or an API key value,
/// and the account to start in.
#[derive(Clone, Copy, Default)]
pub struct SignIn<'a> {
    pub as_email: Option<&'a str>,
    pub apikey: Option<&'a str>,
    pub account: Option<&'a str>,
}

impl SignIn<'_> {
    /// Whether anybody is named: otherwise the console shows its sign-in.
    pub fn given(&self) -> bool {
        self.as_email.is_some() || self.apikey.is_some()
    }
}

/// Signs in as `who` says.
pub fn sign_in(who: &SignIn, service: &dyn Client) -> AppResult<Session> {
    match (who.as_email, who.apikey) {
        (Some(_), Some(_)) => Err(bad_input(
            "give either --as or --apikey (IAMKEYS_API_KEY), not both",
        )),
        (Some(email), None) => Ok(service.sign_in_as(email, who.account)?),
        (None, Some(key)) => Ok(service.sign_in_key(key, who.account)?),
        (None, None) => Err(bad_input(
            "sign in with --apikey KEY (or IAMKEYS_API_KEY), or on a demo store with --as EMAIL",
        )),
    }
}

/// Opens a key file before the key exists, so a file that is already there
/// refuses the whole create.
pub fn open_key_file(path: &Path) -> AppResult<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            bad_input(format!(
                "{} already exists: the key file is never overwritten",
                path.display()
            ))
        } else {
            bad_input(format!("cannot create {}: {e}", path.display()))
        }
    })
}

/// Writes IBM's download format: `{"name", "description", "createdAt", "apikey"}`.
pub fn write_key_file(file: &mut std::fs::File, created: &Created) -> std::io::Result<()> {
    let doc = serde_json::json!({
        "name": created.row.key.name,
        "description": created.row.key.description,
        "createdAt": created.row.key.created_at,
        "apikey": created.secret.expose(),
    });
    let mut text = zeroize::Zeroizing::new(serde_json::to_vec_pretty(&doc).expect("json"));
    text.push(b'\n');
    file.write_all(&text)?;
    file.sync_all()
}
