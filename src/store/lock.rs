//! The data directory's lock, and what only its holder may do: finish or
//! undo an interrupted swap, remove what dead processes left behind, and
//! keep the files private.
//!
//! Every iamkeys process that touches a data directory takes `DIR/lock`
//! before it looks at anything else there and keeps it until it exits, so
//! a second process is told "busy" at any moment — during a seed as much as
//! during a command or a console session.
//!
//! A store is replaced without a moment in which neither store is there
//! for the next process to find:
//! 1. the new store is built in `.store.seeding-<pid>`, flushed and closed;
//! 2. it is renamed to `.store.next`: from now on it is complete;
//! 3. the old `store` is renamed to `.store.replaced` (or, if damaged, to
//!    `store.damaged-<time>`, which is kept);
//! 4. `.store.next` is renamed to `store`;
//! 5. `.store.replaced` is removed.
//!
//! A process killed anywhere in between leaves the old store in place
//! (before 3) or a complete new one (after 2); the next process, under the
//! lock and before anything else, completes step 4 if `store` is missing
//! and `.store.next` is there, puts `.store.replaced` back if only that is
//! there, and removes the rest.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Result, StoreError};

/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "lock";
/// The store's folder inside the data directory (see the module notes).
pub const STORE_DIR: &str = "store";
/// A new store being built; the suffix is the building process's id.
pub const STAGING_PREFIX: &str = ".store.seeding-";
/// A complete new store about to take the place of `store`.
pub const NEXT_DIR: &str = ".store.next";
/// The old store between being swapped out and being removed.
pub const REPLACED_DIR: &str = ".store.replaced";
/// A damaged store that `seed --replace` swapped out, kept for the user.
pub const DAMAGED_PREFIX: &str = "store.damaged-";

/// Holds the lock on a data directory while it lives.
#[derive(Debug)]
pub struct DirLock {
    dir: PathBuf,
    /// The lock is held while this file is open.
    _file: File,
    /// The directory did not exist before this lock was taken.
    created_dir: bool,
    /// What was found and repaired when the lock was taken, for the log.
    notes: Vec<String>,
}

fn io_err(dir: &Path, what: &str, e: std::io::Error) -> StoreError {
    StoreError::Io {
        dir: dir.to_path_buf(),
        detail: format!("{what}: {e}"),
    }
}

impl DirLock {
    /// Locks the existing data directory `dir` (a missing one has no store).
    pub fn acquire(dir: &Path) -> Result<Arc<DirLock>> {
        if !dir.is_dir() {
            return Err(StoreError::Missing(dir.to_path_buf()));
        }
        Self::take(dir, false)
    }

    /// Locks the data directory `dir`, creating it (mode 0700) if needed.
    pub fn create(dir: &Path) -> Result<Arc<DirLock>> {
        let created = !dir.exists();
        if created {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| io_err(dir, "cannot create its parent directory", e))?;
            }
            let mut b = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            match b.create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(dir, "cannot create the directory", e)),
            }
        }
        Self::take(dir, created)
    }

    fn take(dir: &Path, created_dir: bool) -> Result<Arc<DirLock>> {
        let mut o = std::fs::OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o
            .open(dir.join(LOCK_FILE))
            .map_err(|e| io_err(dir, "cannot open its lock file", e))?;
        // No waiting: the holder keeps the lock until it exits (or, in this
        // process, until its handle is dropped, which lets go at once).
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Busy(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_err(dir, "cannot lock it", e));
            }
        }
        let mut lock = DirLock {
            dir: dir.to_path_buf(),
            _file: file,
            created_dir,
            notes: Vec::new(),
        };
        lock.recover()?;
        lock.tighten();
        Ok(Arc::new(lock))
    }

    /// The locked data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was repaired when the lock was taken (an interrupted swap
    /// finished or undone, leftovers removed, modes tightened).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Writes [`notes`](Self::notes) to the log; call once the log is set up.
    pub fn log_notes(&self) {
        for n in &self.notes {
            tracing::warn!("{n}");
        }
    }

    /// After a failed first seed: removes the directory again if this lock
    /// created it and nothing but the lock file is in it.
    pub(super) fn undo_created_dir(&self) {
        if !self.created_dir {
            return;
        }
        let only_lock = std::fs::read_dir(&self.dir).is_ok_and(|entries| {
            entries
                .flatten()
                .all(|e| e.file_name() == std::ffi::OsStr::new(LOCK_FILE))
        });
        if only_lock {
            let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
            let _ = std::fs::remove_dir(&self.dir);
        }
    }

    /// Finishes or undoes a swap that a killed process left half done, and
    /// removes what dead processes left behind. Only the lock's holder runs
    /// this, so nothing found here belongs to a live process.
    fn recover(&mut self) -> Result<()> {
        let dir = self.dir.clone();
        let store = dir.join(STORE_DIR);
        let next = dir.join(NEXT_DIR);
        let replaced = dir.join(REPLACED_DIR);
        if !present(&store) {
            if present(&next) {
                rename(&dir, &next, &store)?;
                self.notes.push(format!(
                    "finished replacing the store in {}: the process replacing it had stopped after the new store was complete",
                    dir.display()
                ));
            } else if present(&replaced) {
                rename(&dir, &replaced, &store)?;
                self.notes.push(format!(
                    "put the store in {} back: the process replacing it had stopped midway",
                    dir.display()
                ));
            }
        }
        let entries =
            std::fs::read_dir(&dir).map_err(|e| io_err(&dir, "cannot list the directory", e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `.store.replaced-<pid>` is the name older versions used.
            let leftover = name == NEXT_DIR
                || name == REPLACED_DIR
                || name.starts_with(STAGING_PREFIX)
                || name.starts_with(".store.replaced-");
            if leftover {
                let path = entry.path();
                match std::fs::remove_dir_all(&path) {
                    Ok(()) => self.notes.push(format!(
                        "removed {}, left behind by an interrupted seed",
                        path.display()
                    )),
                    Err(e) => self.notes.push(format!(
                        "could not remove {}, left behind by an interrupted seed: {e}",
                        path.display()
                    )),
                }
            }
        }
        Ok(())
    }

    /// Makes the directory 0700 and its files 0600, noting each change.
    fn tighten(&mut self) {
        let mut changed = Vec::new();
        set_mode(&self.dir, 0o700, &mut changed);
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let ours = name == LOCK_FILE
                    || name == crate::log::FILE
                    || name == STORE_DIR
                    || name.starts_with(DAMAGED_PREFIX);
                if ours {
                    tighten_tree(&entry.path(), &mut changed);
                }
            }
        }
        for (path, was, now) in changed {
            self.notes.push(format!(
                "tightened the mode of {} from {was:o} to {now:o}: store files are private to their owner",
                path.display()
            ));
        }
    }
}

/// Whether anything (even a dangling link) is at `p`.
fn present(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

fn rename(dir: &Path, from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| {
        io_err(
            dir,
            &format!("cannot rename {} to {}", from.display(), to.display()),
            e,
        )
    })
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32, changed: &mut Vec<(PathBuf, u32, u32)>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = p.symlink_metadata() else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    let was = meta.permissions().mode() & 0o7777;
    if was != mode && std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).is_ok() {
        changed.push((p.to_path_buf(), was, mode));
    }
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32, _: &mut Vec<(PathBuf, u32, u32)>) {}

/// Folders 0700 and files 0600 from `p` down; links are left alone.
fn tighten_tree(p: &Path, changed: &mut Vec<(PathBuf, u32, u32)>) {
    let Ok(meta) = p.symlink_metadata() else {
        return;
    };
    if meta.is_dir() {
        set_mode(p, 0o700, changed);
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                tighten_tree(&e.path(), changed);
            }
        }
    } else if meta.is_file() {
        set_mode(p, 0o600, changed);
    }
}

/// Makes the files sled just created (with the umask's modes) private.
pub(super) fn make_private(p: &Path) {
    tighten_tree(p, &mut Vec::new());
}

/// Puts the finished store in `staging` in place of the data directory's
/// store (steps 2 to 5 above). A damaged old store is moved aside, not
/// removed; its new path is returned.
pub(super) fn swap_in(
    lock: &DirLock,
    staging: &Path,
    old_is_damaged: bool,
) -> Result<Option<PathBuf>> {
    let dir = lock.dir();
    let store = dir.join(STORE_DIR);
    let next = dir.join(NEXT_DIR);
    let replaced = dir.join(REPLACED_DIR);
    rename(dir, staging, &next)?;
    sync_dir(dir);
    let mut kept = None;
    if present(&store) {
        let aside = if old_is_damaged {
            let p = damaged_name(dir);
            kept = Some(p.clone());
            p
        } else {
            replaced.clone()
        };
        rename(dir, &store, &aside)?;
    }
    rename(dir, &next, &store)?;
    sync_dir(dir);
    if present(&replaced) {
        let _ = std::fs::remove_dir_all(&replaced);
    }
    Ok(kept)
}

/// `store.damaged-<UTC time>`, with a counter if that is taken.
fn damaged_name(dir: &Path) -> PathBuf {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut p = dir.join(format!("{DAMAGED_PREFIX}{stamp}"));
    let mut n = 1;
    while present(&p) {
        n += 1;
        p = dir.join(format!("{DAMAGED_PREFIX}{stamp}-{n}"));
    }
    p
}
