//! The log: a file in the data directory, never the terminal (the console
//! owns the screen). It records who did what to which key id — never a key
//! value, which only ever lives in `ApiKeySecret` and prints as a redaction.
//! `IAMKEYS_LOG=debug|info|warn|off` sets the level (default info).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub const FILE: &str = "iamkeys.log";

static INSTALLED: OnceLock<PathBuf> = OnceLock::new();

/// Sends this process's log to `dir/iamkeys.log` (mode 0600). Only the
/// first call takes effect; a failure to open the file leaves logging off
/// rather than stopping the tool.
pub fn init(dir: &Path) -> Option<&'static Path> {
    if let Some(p) = INSTALLED.get() {
        return Some(p);
    }
    let level = match std::env::var("IAMKEYS_LOG").as_deref() {
        Ok("off") => return None,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        Ok("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(FILE);
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o.open(&path).ok()?;
    let subscriber = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(INSTALLED.get_or_init(|| path).as_path())
}
