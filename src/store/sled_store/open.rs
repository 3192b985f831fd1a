//! Opening sled safely: damaged files, its own lock, unfinished snapshots,
//! and panics inside sled turned into errors.

use super::*;

thread_local! {
    /// Set while this thread runs [`no_panic`]: its panics are not reported.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

pub(super) fn is_lock_error(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock")
        }
        _ => false,
    }
}

/// Runs `f`, turning a panic inside sled (it panics on some damaged files)
/// into an error, without printing the panic.
///
/// The process-wide panic hook is wrapped once, by the first call, in one
/// that stays silent only on a thread inside `no_panic`; it is never
/// swapped per call, so threads opening stores at once cannot leave a
/// silent hook behind, nor silence each other's panics.
pub(super) fn no_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static WRAP: Once = Once::new();
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    r.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                p.downcast_ref::<&str>()
                    .map(std::string::ToString::to_string)
            })
            .unwrap_or_else(|| "the store's files could not be read".to_string())
    })
}

pub(super) fn sled_error(dir: &Path, e: sled::Error) -> StoreError {
    if is_lock_error(&e) {
        return StoreError::Busy(dir.to_path_buf());
    }
    match e {
        sled::Error::Corruption { at, .. } => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: match at {
                Some(at) => format!("its files are corrupt (at {at:?})"),
                None => "its files are corrupt".into(),
            },
        },
        // sled blames an old version for any configuration file it cannot parse.
        sled::Error::Unsupported(s) if s.contains("earlier than 0.29") => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: "its configuration file (store/conf) is unreadable".into(),
        },
        sled::Error::Unsupported(s) | sled::Error::ReportableBug(s) => StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: s,
        },
        other => StoreError::Io {
            dir: dir.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// Whether the store in the data directory `dir` opens and records a
/// schema version; the error says why not.
pub(super) fn probe(dir: &Path) -> Result<()> {
    let db = open_db(&dir.join(STORE_DIR), dir)?;
    let meta = db.open_tree("meta").map_err(|e| sled_error(dir, e))?;
    match meta.get("schema_version").map_err(|e| sled_error(dir, e))? {
        Some(_) => Ok(()),
        None => Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: "it records no schema version".into(),
        }),
    }
}

/// Removes snapshot files that a killed process left half-written.
///
/// sled writes a snapshot to `snap.<lsn>.generating` and renames it when
/// complete, but on open it also considers the unfinished file, finds it
/// empty or torn and reports the whole store corrupt. The unfinished file is
/// never needed (recovery replays the log from the last complete snapshot),
/// so it is removed — only while holding the store's lock, so that another
/// running process's snapshot in progress is never touched.
pub(super) fn remove_unfinished_snapshots(path: &Path, dir: &Path) -> Result<()> {
    let db_file = path.join("db");
    let Ok(file) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&db_file)
    else {
        return Ok(()); // a new store: nothing to clean
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Busy(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(StoreError::Io {
                dir: dir.to_path_buf(),
                detail: e.to_string(),
            });
        }
    }
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("snap.") && name.ends_with(".generating") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    drop(file); // releases the lock; sled takes it again at once
    Ok(())
}

/// How long to wait for the store's lock before answering "busy": long
/// enough for a closing process (or a store dropped in this process, whose
/// background thread lets go a moment later) to release it, short enough to
/// answer well within a second.
pub(super) const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(300);

/// Opens the sled database at `path`; errors name the data directory `dir`.
pub(super) fn open_db(path: &Path, dir: &Path) -> Result<Db> {
    let started = std::time::Instant::now();
    loop {
        match try_open_db(path, dir) {
            Err(StoreError::Busy(_)) if started.elapsed() < LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

pub(super) fn try_open_db(path: &Path, dir: &Path) -> Result<Db> {
    remove_unfinished_snapshots(path, dir)?;
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        // Every acknowledged change is flushed explicitly; the background
        // flusher only bounds what an unacknowledged change may lose.
        .flush_every_ms(Some(500));
    match no_panic(|| config.open()) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(sled_error(dir, e)),
        Err(panic) => Err(StoreError::Damaged {
            dir: dir.to_path_buf(),
            detail: panic,
        }),
    }
}
