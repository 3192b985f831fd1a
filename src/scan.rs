//! Finding key values in files, directories, standard input and a git
//! repository's history: the part of `iamkeys scan` that reads, apart from
//! what it does about what it finds (the service's `record_leak`).
//!
//! The search is for the fixed prefix (`iamk_`, SIMD through `memchr`);
//! each occurrence is then checked for length, alphabet and checksum
//! ([`secret::parse_exact`]). Nothing is hashed to decide, and a text that
//! differs from a key in one character fails the checksum. A key inside a
//! longer word (letters or digits right before or after it) is still found:
//! its value is there for anyone to cut out.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use memchr::memmem;

use crate::secret::{self, ApiKeySecret, KEY_LEN, PREFIX};

/// One key value found in a stream.
#[derive(Debug)]
pub struct Hit {
    /// 1-based line of the value's first byte.
    pub line: u64,
    /// Byte offset of the value's first byte.
    pub offset: u64,
    pub value: ApiKeySecret,
}

/// What one stream held.
#[derive(Debug, Default, Clone, Copy)]
pub struct StreamRead {
    pub bytes: u64,
    /// A NUL byte in its first 8 KiB, as git decides.
    pub binary: bool,
}

/// How much is read at a time.
const CHUNK: usize = 1 << 20;
/// What is carried from one chunk to the next: a value that starts in one
/// and ends in the next is found whole.
const CARRY: usize = KEY_LEN - 1;

/// The prefix search, made once.
pub struct Finder {
    prefix: memmem::Finder<'static>,
}

impl Default for Finder {
    fn default() -> Self {
        Finder::new()
    }
}

impl Finder {
    pub fn new() -> Finder {
        Finder {
            prefix: memmem::Finder::new(PREFIX.as_bytes()),
        }
    }

    /// Every key value in `hay`, in order.
    pub fn find_in(&self, hay: &[u8], each: &mut dyn FnMut(Hit)) {
        let mut lines = LineCount::default();
        self.find_from(hay, 0, &mut lines, usize::MAX, each);
    }

    /// The hits in `buf` whose start is before `limit`, counting lines from
    /// `lines`. `base` is the offset of `buf` in the stream.
    fn find_from(
        &self,
        buf: &[u8],
        base: u64,
        lines: &mut LineCount,
        limit: usize,
        each: &mut dyn FnMut(Hit),
    ) {
        for at in self.prefix.find_iter(buf) {
            if at >= limit {
                break;
            }
            let Some(candidate) = buf.get(at..at + KEY_LEN) else {
                continue;
            };
            if let Some(value) = secret::parse_exact(candidate) {
                each(Hit {
                    line: lines.line_at(buf, at),
                    offset: base + at as u64,
                    value,
                });
            }
        }
    }

    /// Every key value in a stream, read a chunk at a time (memory stays
    /// at about a mebibyte however large the stream). `progress` is told
    /// the bytes read so far after each chunk.
    pub fn find_in_reader(
        &self,
        r: &mut dyn Read,
        each: &mut dyn FnMut(Hit),
        progress: &mut dyn FnMut(u64),
    ) -> std::io::Result<StreamRead> {
        let mut buf = vec![0u8; CHUNK + CARRY];
        let mut filled = 0usize;
        let mut base = 0u64;
        let mut lines = LineCount::default();
        let mut out = StreamRead::default();
        let mut first = true;
        loop {
            let n = match r.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let eof = n == 0;
            if first && n > 0 {
                let head = &buf[filled..filled + n.min(8192)];
                out.binary = memchr::memchr(0, head).is_some();
                first = false;
            }
            filled += n;
            out.bytes += n as u64;
            if !eof && filled < buf.len() {
                // Fill the buffer before searching it: fewer, larger searches.
                continue;
            }
            let limit = if eof {
                filled
            } else {
                filled.saturating_sub(CARRY)
            };
            self.find_from(&buf[..filled], base, &mut lines, limit, each);
            progress(out.bytes);
            if eof {
                return Ok(out);
            }
            lines.advance(&buf[..filled], limit);
            buf.copy_within(limit..filled, 0);
            filled -= limit;
            base += limit as u64;
        }
    }
}

/// Lines counted lazily: only up to where a hit is, so text without hits
/// is never counted.
#[derive(Debug, Default)]
struct LineCount {
    /// Newlines before `pos` (in the current buffer), plus those of
    /// earlier buffers.
    newlines: u64,
    pos: usize,
}

impl LineCount {
    fn line_at(&mut self, buf: &[u8], at: usize) -> u64 {
        if at > self.pos {
            self.newlines += memchr::memchr_iter(b'\n', &buf[self.pos..at]).count() as u64;
            self.pos = at;
        }
        self.newlines + 1
    }

    /// The buffer's first `upto` bytes are dropped: count them in.
    fn advance(&mut self, buf: &[u8], upto: usize) {
        self.line_at(buf, upto);
        self.pos = 0;
    }
}

/// Where a value was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file as given or walked to; `-` for standard input.
    pub path: String,
    /// The commit that added the blob, when scanning history.
    pub commit: Option<String>,
    pub line: u64,
    pub offset: u64,
    pub binary: bool,
}

impl Place {
    /// `path:line`, or `commit:path:line` (the commit cut to 12) in history;
    /// a binary file's place is its byte offset. Any key-like text in a path
    /// is redacted.
    pub fn label(&self) -> String {
        let path = secret::redact_values(&self.path);
        let at = if self.binary {
            format!("byte {}", self.offset)
        } else {
            self.line.to_string()
        };
        match &self.commit {
            Some(c) => format!("{}:{path}:{at}", &c[..c.len().min(12)]),
            None => format!("{path}:{at}"),
        }
    }
}

/// A value and where it was found.
#[derive(Debug)]
pub struct Finding {
    pub place: Place,
    pub value: ApiKeySecret,
}

/// What a scan went through.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
    /// Files that could not be read, with why (the scan went on).
    pub unreadable: Vec<(String, String)>,
}

/// Why a scan could not start: bad input, nothing scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Failed(String),
}

/// What to scan.
pub struct Request<'a> {
    pub paths: &'a [PathBuf],
    /// Every blob of each repository's history instead of the files.
    pub git: bool,
}

/// Checks the request before anything is read: every path exists (and in
/// `git` mode is a repository), standard input at most once.
pub fn check(req: &Request) -> Result<(), ScanError> {
    if req.paths.is_empty() {
        return Err(ScanError::BadInput(
            "give at least one PATH to scan (a file, a directory, or - for standard input)".into(),
        ));
    }
    if req.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(ScanError::BadInput(
            "standard input (-) can be scanned once".into(),
        ));
    }
    for p in req.paths {
        if p.as_os_str() == "-" {
            if req.git {
                return Err(ScanError::BadInput(
                    "--git scans a repository's history: give its directory, not -".into(),
                ));
            }
            continue;
        }
        if std::fs::symlink_metadata(p).is_err() {
            return Err(ScanError::BadInput(format!(
                "{}: no such file or directory",
                shown(p)
            )));
        }
        if req.git {
            git_dir(p)?;
        }
    }
    Ok(())
}

fn shown(p: &Path) -> String {
    crate::text::inert(&secret::redact_values(&p.display().to_string())).into_owned()
}

/// Scans what `req` names, giving each finding to `found` as it is made.
/// `progress` is told files and bytes so far. Call [`check`] first.
pub fn run(
    req: &Request,
    found: &mut dyn FnMut(Finding),
    progress: &mut dyn FnMut(&Totals),
) -> Result<Totals, ScanError> {
    let finder = Finder::new();
    let mut totals = Totals::default();
    for p in req.paths {
        if req.git {
            scan_history(&finder, p, &mut totals, found, progress)?;
        } else if p.as_os_str() == "-" {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            scan_stream(&finder, "-", &mut lock, &mut totals, found, progress);
        } else {
            scan_tree(&finder, p, &mut totals, found, progress);
        }
    }
    Ok(totals)
}

fn scan_stream(
    finder: &Finder,
    path: &str,
    r: &mut dyn Read,
    totals: &mut Totals,
    found: &mut dyn FnMut(Finding),
    progress: &mut dyn FnMut(&Totals),
) {
    let mut hits = Vec::new();
    let before = totals.bytes;
    let answer = finder.find_in_reader(r, &mut |h| hits.push(h), &mut |n| {
        let mut now = totals.clone();
        now.bytes = before + n;
        progress(&now);
    });
    totals.files += 1;
    match answer {
        Ok(read) => {
            totals.bytes += read.bytes;
            for h in hits {
                found(Finding {
                    place: Place {
                        path: path.to_string(),
                        commit: None,
                        line: h.line,
                        offset: h.offset,
                        binary: read.binary,
                    },
                    value: h.value,
                });
            }
        }
        Err(e) => totals.unreadable.push((path.to_string(), e.to_string())),
    }
}

/// A file, or a directory walked recursively: hidden files included (a
/// `.env` is where keys end up), `.git` left out (use `--git` for
/// history), `.gitignore` and `.ignore` honoured even outside a
/// repository. Symbolic links are not followed.
fn scan_tree(
    finder: &Finder,
    root: &Path,
    totals: &mut Totals,
    found: &mut dyn FnMut(Finding),
    progress: &mut dyn FnMut(&Totals),
) {
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                totals
                    .unreadable
                    .push((root.display().to_string(), e.to_string()));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let name = path.display().to_string();
        match std::fs::File::open(path) {
            Ok(mut f) => scan_stream(finder, &name, &mut f, totals, found, progress),
            Err(e) => totals.unreadable.push((name, e.to_string())),
        }
    }
}

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(repo);
    c.env_remove("GIT_DIR").env_remove("GIT_WORK_TREE");
    c
}

fn git_dir(repo: &Path) -> Result<(), ScanError> {
    let out = git(repo)
        .args(["rev-parse", "--git-dir"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| ScanError::Failed(format!("--git needs the git command: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ScanError::BadInput(format!(
            "{}: not a git repository (--git scans a repository's history)",
            shown(repo)
        )))
    }
}

/// Every blob reachable from any ref (`git rev-list --all --objects`),
/// read through one `git cat-file --batch`. A blob that holds a value is
/// then traced to the commit that added it (`git log --find-object`).
fn scan_history(
    finder: &Finder,
    repo: &Path,
    totals: &mut Totals,
    found: &mut dyn FnMut(Finding),
    progress: &mut dyn FnMut(&Totals),
) -> Result<(), ScanError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        ScanError::Failed(format!("git {what} in {}: {e}", shown(repo)))
    };
    let listed = git(repo)
        .args(["rev-list", "--all", "--objects"])
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| failed("rev-list", &e))?;
    if !listed.status.success() {
        let why = String::from_utf8_lossy(&listed.stderr).trim().to_string();
        // An empty repository has no history to scan.
        if why.is_empty() {
            return Ok(());
        }
        return Err(failed("rev-list", &why));
    }
    // Objects with a path: trees and blobs (commits have none).
    let mut objects: Vec<(String, String)> = Vec::new();
    for line in listed.stdout.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if let Some((sha, path)) = line.split_once(' ') {
            objects.push((sha.to_string(), path.to_string()));
        }
    }
    let mut child = git(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| failed("cat-file", &e))?;
    let mut stdin = child.stdin.take().expect("piped");
    let shas: Vec<String> = objects.iter().map(|(s, _)| s.clone()).collect();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(&mut stdin);
        for s in shas {
            writeln!(w, "{s}")?;
        }
        w.flush()
    });
    let mut out = BufReader::with_capacity(CHUNK, child.stdout.take().expect("piped"));
    let mut pending: Vec<(usize, Hit, bool)> = Vec::new();
    let mut header = String::new();
    for (i, _) in objects.iter().enumerate() {
        header.clear();
        if out
            .read_line(&mut header)
            .map_err(|e| failed("cat-file", &e))?
            == 0
        {
            break;
        }
        let parts: Vec<&str> = header.split_whitespace().collect();
        let (kind, size) = match parts.as_slice() {
            [_, kind, size] => (*kind, size.parse::<u64>().unwrap_or(0)),
            // "<sha> missing": nothing follows.
            _ => continue,
        };
        let mut body = (&mut out).take(size);
        if kind == "blob" {
            let mut hits = Vec::new();
            let before = totals.bytes;
            let read = finder
                .find_in_reader(&mut body, &mut |h| hits.push(h), &mut |n| {
                    let mut now = totals.clone();
                    now.bytes = before + n;
                    progress(&now);
                })
                .map_err(|e| failed("cat-file", &e))?;
            totals.files += 1;
            totals.bytes += read.bytes;
            pending.extend(hits.into_iter().map(|h| (i, h, read.binary)));
        } else {
            std::io::copy(&mut body, &mut std::io::sink()).map_err(|e| failed("cat-file", &e))?;
        }
        // The newline after each object's content.
        let mut nl = [0u8; 1];
        out.read_exact(&mut nl)
            .map_err(|e| failed("cat-file", &e))?;
    }
    drop(out);
    let _ = writer.join();
    let _ = child.wait();
    let mut commits: std::collections::HashMap<usize, Option<String>> =
        std::collections::HashMap::new();
    for (i, hit, binary) in pending {
        let (sha, path) = &objects[i];
        let commit = commits
            .entry(i)
            .or_insert_with(|| adding_commit(repo, sha))
            .clone();
        found(Finding {
            place: Place {
                path: path.clone(),
                commit,
                line: hit.line,
                offset: hit.offset,
                binary,
            },
            value: hit.value,
        });
    }
    Ok(())
}

/// The oldest commit that added or removed blob `sha`: the one that added
/// it.
fn adding_commit(repo: &Path, sha: &str) -> Option<String> {
    let out = git(repo)
        .args(["log", "--all", "--format=%H", "--find-object"])
        .arg(sha)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(hay: &[u8]) -> Vec<(u64, u64, String)> {
        let mut v = Vec::new();
        Finder::new().find_in(hay, &mut |h| {
            v.push((h.line, h.offset, h.value.expose().to_string()));
        });
        v
    }

    #[test]
    fn finds_whole_values_only() {
        let k = secret::generate();
        let v = k.expose();
        let mut near = v.as_bytes().to_vec();
        near[20] = if near[20] == b'a' { b'b' } else { b'a' };
        let text = format!(
            "a\nb {v}\n{}\n{}\niamk_\n",
            String::from_utf8(near).unwrap(),
            &v[..KEY_LEN - 1]
        );
        let found = values(text.as_bytes());
        assert_eq!(found, vec![(2, 4, v.to_string())]);
    }

    #[test]
    fn a_value_across_chunks_is_found_once_with_its_line() {
        let k = secret::generate();
        for cut in [CHUNK - 10, CHUNK - KEY_LEN, CHUNK, CHUNK + 3] {
            let mut data = vec![b'x'; cut];
            data[5] = b'\n';
            data.extend_from_slice(k.expose().as_bytes());
            data.extend_from_slice(b"\n");
            data.extend(std::iter::repeat_n(b'\n', CHUNK));
            data.extend_from_slice(k.expose().as_bytes());
            let mut hits = Vec::new();
            let read = Finder::new()
                .find_in_reader(
                    &mut &data[..],
                    &mut |h| hits.push((h.line, h.offset)),
                    &mut |_| {},
                )
                .unwrap();
            assert_eq!(read.bytes, data.len() as u64);
            assert_eq!(
                hits,
                vec![
                    (2, cut as u64),
                    (2 + 1 + CHUNK as u64, (cut + KEY_LEN + 1 + CHUNK) as u64)
                ],
                "cut at {cut}"
            );
        }
    }
}
