//! Recordings of the console in asciinema's asciicast v2 format: a header
//! line (JSON: version 2, width, height), then one line a frame,
//! `[seconds, "o", "what was written"]`, in order. Frames are drawn for
//! the recording apart from the screen, with [`Look::Recording`]: a new
//! key's value stays masked there even while it is shown on screen, and the
//! reveal says so; and any text in the key format anywhere on a recorded
//! frame (a value pasted into the search box) is masked cell by cell before
//! the frame is written. Nothing else is written to the recording (the
//! clipboard sequence of a copy goes to the terminal only).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};

use crate::app::{self, Failure};

pub use super::super::draw::Look;

struct Cast {
    out: BufWriter<File>,
    start: Instant,
    last: f64,
    pending: Vec<u8>,
    failed: Option<io::Error>,
}

impl Cast {
    fn event(&mut self, kind: &str, data: &str) {
        let t = self.start.elapsed().as_secs_f64().max(self.last);
        self.last = t;
        let line = serde_json::json!([(t * 1e6).round() / 1e6, kind, data]);
        if let Err(e) = writeln!(self.out, "{line}") {
            self.failed.get_or_insert(e);
        }
    }

    fn flush_frame(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        self.event("o", &String::from_utf8_lossy(&bytes));
    }
}

/// The writer ratatui's backend draws to: bytes gather until a frame is
/// flushed, then become one event.
#[derive(Clone)]
struct Shared(Arc<Mutex<Cast>>);

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut Cast) -> T) -> T {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|c| c.pending.extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.with(Cast::flush_frame);
        Ok(())
    }
}

/// Masks every key-like run of text on each row of `buf` with `•`.
fn mask_key_values(buf: &mut Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        // The row as text, with the column each byte came from.
        let mut text = String::new();
        let mut column = Vec::new();
        for x in area.left()..area.right() {
            let sym = buf[(x, y)].symbol();
            text.push_str(sym);
            column.extend(std::iter::repeat_n(x, sym.len()));
        }
        for r in crate::secret::key_like_ranges(&text) {
            let (first, last) = (column[r.start], column[r.end - 1]);
            for x in first..=last {
                buf[(x, y)].set_symbol("•");
            }
        }
    }
}

/// A recording being written.
pub struct Recorder {
    cast: Shared,
    term: Terminal<CrosstermBackend<Shared>>,
    size: (u16, u16),
}

fn terminal(cast: &Shared, (w, h): (u16, u16)) -> io::Result<Terminal<CrosstermBackend<Shared>>> {
    Terminal::with_options(
        CrosstermBackend::new(cast.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
}

impl Recorder {
    /// Creates `path` (mode 0600; an existing file is never overwritten)
    /// and writes the header for a terminal of `size`.
    pub fn create(path: &Path, size: (u16, u16), title: &str) -> Result<Recorder, Failure> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o.open(path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                app::bad_input(format!(
                    "{} already exists: a recording never overwrites a file",
                    path.display()
                ))
            } else {
                app::bad_input(format!("cannot create {}: {e}", path.display()))
            }
        })?;
        let mut out = BufWriter::new(file);
        let header = serde_json::json!({
            "version": 2,
            "width": size.0,
            "height": size.1,
            "timestamp": jiff::Timestamp::now().as_second(),
            "title": title,
            "env": {"TERM": "xterm-256color"},
        });
        writeln!(out, "{header}")
            .map_err(|e| app::other(format!("cannot write {}: {e}", path.display())))?;
        let cast = Shared(Arc::new(Mutex::new(Cast {
            out,
            start: Instant::now(),
            last: 0.0,
            pending: Vec::new(),
            failed: None,
        })));
        let term = terminal(&cast, size)
            .map_err(|e| app::other(format!("cannot start the recording: {e}")))?;
        Ok(Recorder { cast, term, size })
    }

    /// Records one frame, drawn by `f` with [`Look::Recording`].
    pub fn frame(&mut self, size: (u16, u16), f: impl FnOnce(&mut Frame)) -> io::Result<()> {
        if size != self.size {
            self.size = size;
            self.cast.with(|c| {
                c.flush_frame();
                c.event("r", &format!("{}x{}", size.0, size.1));
                // A fresh screen: the next frame is drawn whole.
                c.pending.extend_from_slice(b"\x1b[H\x1b[2J");
            });
            self.term = terminal(&self.cast, size)?;
        }
        self.term.draw(|frame| {
            f(frame);
            mask_key_values(frame.buffer_mut());
        })?;
        Ok(())
    }

    /// Writes what is left and closes the file; says whether every write
    /// succeeded.
    pub fn finish(self) -> io::Result<()> {
        self.cast.with(|c| {
            c.flush_frame();
            let flushed = c.out.flush();
            match c.failed.take() {
                Some(e) => Err(e),
                None => flushed,
            }
        })
    }
}
