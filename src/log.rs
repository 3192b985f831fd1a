//! The log: a file in the data directory, never the terminal (the console
//! owns the screen). It records who did what to which key id — never a key
//! value, which only ever lives in `ApiKeySecret` and prints as a redaction.
//! `IAMKEYS_LOG=off|warn|info|debug|trace` sets the level (default info).
//! Every field is escaped ([`crate::text::escaped`]): a value from a fixture
//! or a store cannot break a line, forge one or send escape sequences.

use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::field::MakeExt;

pub const FILE: &str = "iamkeys.log";

static INSTALLED: OnceLock<PathBuf> = OnceLock::new();

pub const ENV: &str = "IAMKEYS_LOG";

/// The level `IAMKEYS_LOG` asks for (`None`: off); unset or empty is info.
/// Any other value is refused, naming the allowed ones.
pub fn level_from_env() -> Result<Option<tracing::Level>, String> {
    use tracing::Level;
    let value = std::env::var_os(ENV).unwrap_or_default();
    match value.to_str() {
        Some("" | "info") => Ok(Some(Level::INFO)),
        Some("off") => Ok(None),
        Some("warn") => Ok(Some(Level::WARN)),
        Some("debug") => Ok(Some(Level::DEBUG)),
        Some("trace") => Ok(Some(Level::TRACE)),
        _ => Err(format!(
            "{ENV}: the log level must be one of off, warn, info, debug, trace, not {:?}",
            value.to_string_lossy()
        )),
    }
}

/// One field of a log line, escaped: the message as text, any other field
/// as `name=value` with the value quoted unless it is one plain word.
fn write_field(
    w: &mut tracing_subscriber::fmt::format::Writer<'_>,
    field: &tracing::field::Field,
    value: &dyn fmt::Debug,
) -> fmt::Result {
    let text = format!("{value:?}");
    if field.name() == "message" {
        w.write_str(&crate::text::escaped(&text, false))
    } else {
        write!(w, "{}={}", field.name(), crate::text::escaped(&text, true))
    }
}

/// Sends this process's log to `dir/iamkeys.log` (mode 0600). Only the
/// first call takes effect; a failure to open the file leaves logging off
/// rather than stopping the tool.
pub fn init(dir: &Path) -> Option<&'static Path> {
    if let Some(p) = INSTALLED.get() {
        return Some(p);
    }
    let level = level_from_env().unwrap_or(Some(tracing::Level::INFO))?;
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
        .fmt_fields(tracing_subscriber::fmt::format::debug_fn(write_field).delimited(" "))
        .with_max_level(level)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(INSTALLED.get_or_init(|| path).as_path())
}
