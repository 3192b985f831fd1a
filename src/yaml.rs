//! Every YAML read and write in iamkeys goes through here, so replacing the
//! YAML crate touches this file only.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A YAML document that does not fit the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The offending item, like `accounts[0].members[2].invited_by`; empty
    /// for the document itself.
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// A file of YAML (a fixture, a tour) that cannot be used: the file, the
/// line and column when known, the item, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        f.write_str(": ")?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileError {}

/// Parses `text` into `T`, naming the item, line and column of any error.
/// The text is first held to [`check_limits`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    check_limits(text)?;
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        // serde_yaml appends the location and sometimes prefixes its own
        // path; both are reported separately.
        if let Some(loc) = &location {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_string();
            }
        }
        // serde_yaml's own path may stop short of the full one (an unknown
        // field is reported at its mapping): drop it whenever it is a prefix.
        if !path.is_empty()
            && path != "."
            && let Some((head, rest)) = message.split_once(": ")
            && !head.is_empty()
            && !head.contains(' ')
            && path.starts_with(head)
        {
            message = rest.to_string();
        }
        YamlError {
            path: if path == "." { String::new() } else { path },
            line: location.as_ref().map(serde_yaml::Location::line),
            column: location.as_ref().map(serde_yaml::Location::column),
            message,
        }
    })
}

/// Parses one item of a sequence split out by [`split`] (the text of a
/// one-item block sequence) into `T`; `None` if it does not parse, in which
/// case the caller reads the document again for its error (see [`split`]).
pub fn from_item<T: DeserializeOwned>(item: &str) -> Option<T> {
    let mut one: Vec<T> = serde_yaml::from_str(item).ok()?;
    if one.len() == 1 { one.pop() } else { None }
}

/// Parses the skeleton of a document taken apart by [`split`] into `T`;
/// `None` if it does not parse (as [`from_item`]).
pub fn from_skeleton<T: DeserializeOwned>(skeleton: &str) -> Option<T> {
    serde_yaml::from_str(skeleton).ok()
}

/// Which block sequences [`split`] takes apart: keys of the top-level
/// mapping, each with the keys of its items' mappings whose sequences are
/// taken apart too.
pub type SplitPlan = [(&'static str, &'static [&'static str])];

/// A document taken apart by [`split`].
#[derive(Debug)]
pub struct Split<'a> {
    /// The document with each sequence taken apart written `[]`.
    pub skeleton: String,
    /// The items of each top-level sequence taken apart, by key.
    pub seqs: Vec<(&'static str, Vec<SplitItem<'a>>)>,
}

/// One item of a sequence taken apart: its text, a one-item block sequence
/// for [`from_item`] with its own sequences taken apart written `[]`, and
/// the items of those (each for [`from_item`]), by key.
#[derive(Debug)]
pub struct SplitItem<'a> {
    /// Where the item lies in the document (whole lines).
    pub range: std::ops::Range<usize>,
    pub text: std::borrow::Cow<'a, str>,
    pub seqs: Vec<(&'static str, Vec<&'a str>)>,
}

/// Takes a document apart so that a large one is read one sequence item
/// at a time, instead of all its parser events at once: the block
/// sequences `plan` names become `[]` in a skeleton, and each of their
/// items is cut out as its own text. Parsing the skeleton and each item
/// (with [`from_item`]) and putting the items back gives the value that
/// parsing the whole document gives, whenever all those parses succeed.
///
/// It only cuts where the cut is sure to fall between items: every line
/// break a `\n`, no tabs, no document markers or directives, no quoted
/// scalar or flow collection going on over a line, and each sequence a
/// plain block sequence (`key:` alone on its line, then `- ` items). Any
/// other document gives `None`, and is read whole. So does a document
/// [`check_limits`] refuses. When a part does not parse, the caller reads
/// the document again with the parts that did parse blanked out
/// ([`blank_out`]), for the error with its line and column.
pub fn split<'a>(text: &'a str, plan: &SplitPlan) -> Option<Split<'a>> {
    if u32::try_from(text.len()).is_err()
        || text.contains(['\r', '\t', '\u{85}', '\u{2028}', '\u{2029}'])
    {
        return None;
    }
    let mut toks: Vec<(usize, usize)> = Vec::new();
    let mut unsure = false;
    scan(text, &mut |offset, start| match start {
        LineStart::Token(col) => toks.push((offset, col)),
        LineStart::Unsure => unsure = true,
        LineStart::Blank | LineStart::Scalar => {}
    })
    .ok()?;
    let cut = Cutter { text, toks: &toks };
    if unsure
        || toks.iter().any(|&(offset, col)| {
            let b = &text.as_bytes()[offset..];
            col == 0 && (b.starts_with(b"%") || document_marker(b))
        })
    {
        return None;
    }
    let mut skeleton = Patched::new(text);
    let mut seqs = Vec::new();
    for t in 0..toks.len() {
        if toks[t].1 != 0 {
            continue;
        }
        let Some(&(key, inner)) = plan.iter().find(|(key, _)| cut.is_key(t, key)) else {
            continue;
        };
        let Some(items) = cut.items(t, toks.len())? else {
            continue;
        };
        skeleton.cut(&cut, t, &items);
        let mut list = Vec::with_capacity(items.starts.len());
        for (i, &start) in items.starts.iter().enumerate() {
            let end = items.starts.get(i + 1).copied().unwrap_or(items.end);
            list.push(cut.item(start, end, inner)?);
        }
        seqs.push((key, list));
    }
    Some(Split {
        skeleton: skeleton.finish(),
        seqs,
    })
}

/// The token lines of a document (byte offset, column), for [`split`].
struct Cutter<'a, 't> {
    text: &'a str,
    toks: &'t [(usize, usize)],
}

/// The items of a block sequence: the token line each starts on, and the
/// token line after the sequence (or the end of the scope).
struct Items {
    starts: Vec<usize>,
    end: usize,
}

impl<'a> Cutter<'a, '_> {
    /// Where token line `t` starts, or the end of the text.
    fn offset(&self, t: usize) -> usize {
        self.toks
            .get(t)
            .map_or(self.text.len(), |&(offset, _)| offset)
    }

    /// The text of token line `t` from its token on.
    fn line(&self, t: usize) -> &'a str {
        let (offset, col) = self.toks[t];
        let rest = &self.text[offset + col..];
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    }

    /// Whether token line `t` is `key:` alone.
    fn is_key(&self, t: usize, key: &str) -> bool {
        self.line(t)
            .trim_end_matches(' ')
            .strip_prefix(key)
            .is_some_and(|rest| rest == ":")
    }

    /// Whether token line `t` starts a block sequence item (`- `, or `-` alone).
    fn is_entry(&self, t: usize) -> bool {
        let l = self.line(t).as_bytes();
        l.first() == Some(&b'-') && matches!(l.get(1), None | Some(b' '))
    }

    /// The items of the block sequence that is the value of the `key:` on
    /// token line `t`, looked for before token line `scope`: `Some(None)` if
    /// the value is not a block sequence (left whole), `None` if the lines
    /// do not fall as a block sequence's should (the document is read whole).
    fn items(&self, t: usize, scope: usize) -> Option<Option<Items>> {
        let k = self.toks[t].1;
        let first = t + 1;
        if first >= scope || self.toks[first].1 < k || !self.is_entry(first) {
            return Some(None);
        }
        let c = self.toks[first].1;
        let mut starts = vec![first];
        let mut u = first + 1;
        while u < scope {
            let col = self.toks[u].1;
            if col == c && self.is_entry(u) {
                starts.push(u);
            } else if col <= c {
                break;
            }
            u += 1;
        }
        // What ends the sequence must close it: a key of this mapping or
        // of one around it, never a line between the two indentations.
        if u < scope && self.toks[u].1 > k {
            return None;
        }
        Some(Some(Items { starts, end: u }))
    }

    /// The item from token line `start` to before `end`, with the
    /// sequences under the keys `inner` of its mapping cut out.
    fn item(&self, start: usize, end: usize, inner: &[&'static str]) -> Option<SplitItem<'a>> {
        let whole = &self.text[self.offset(start)..self.offset(end)];
        let mut seqs = Vec::new();
        if inner.is_empty() {
            return Some(SplitItem {
                range: self.offset(start)..self.offset(end),
                text: std::borrow::Cow::Borrowed(whole),
                seqs,
            });
        }
        // The item's mapping starts after `- ` on its first line.
        let after_dash = &self.line(start)[1..];
        let m =
            self.toks[start].1 + 1 + after_dash.len() - after_dash.trim_start_matches(' ').len();
        let mut patched = Patched::new(self.text);
        patched.from = self.offset(start);
        for u in start + 1..end {
            if self.toks[u].1 != m {
                continue;
            }
            let Some(&key) = inner.iter().find(|key| self.is_key(u, key)) else {
                continue;
            };
            let Some(items) = self.items(u, end)? else {
                continue;
            };
            patched.cut(self, u, &items);
            let list = (0..items.starts.len())
                .map(|i| {
                    let to = items.starts.get(i + 1).copied().unwrap_or(items.end);
                    &self.text[self.offset(items.starts[i])..self.offset(to)]
                })
                .collect();
            seqs.push((key, list));
        }
        let text = if seqs.is_empty() {
            std::borrow::Cow::Borrowed(whole)
        } else {
            patched.to = self.offset(end);
            std::borrow::Cow::Owned(patched.finish())
        };
        Some(SplitItem {
            range: self.offset(start)..self.offset(end),
            text,
            seqs,
        })
    }
}

/// A copy of part of a text (`from..to`) with sequences cut out.
struct Patched<'a> {
    text: &'a str,
    from: usize,
    to: usize,
    out: String,
}

impl<'a> Patched<'a> {
    fn new(text: &'a str) -> Self {
        Patched {
            text,
            from: 0,
            to: text.len(),
            out: String::new(),
        }
    }

    /// Writes the sequence under the `key:` on token line `t` as `[]`,
    /// leaving out its items.
    fn cut(&mut self, cut: &Cutter<'_, '_>, t: usize, items: &Items) {
        let colon = cut.offset(t) + cut.toks[t].1 + cut.line(t).trim_end_matches(' ').len();
        self.out.push_str(&self.text[self.from..colon]);
        self.out.push_str(" []");
        self.out
            .push_str(&self.text[colon..cut.offset(items.starts[0])]);
        self.from = cut.offset(items.end);
    }

    fn finish(mut self) -> String {
        self.out.push_str(&self.text[self.from..self.to]);
        self.out
    }
}

/// `text` with each of the byte ranges `blank` (whole lines, in order, not
/// overlapping) written as that many empty lines: every other line keeps
/// its number and its columns. Reading a large document whose parts were
/// taken apart by [`split`] with the parts that parse blanked out costs
/// the memory of the parts that do not, not of the whole document.
pub fn blank_out(text: &str, blank: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in blank {
        out.push_str(&text[at..r.start]);
        let lines = text[r.clone()].bytes().filter(|&b| b == b'\n').count();
        out.extend(std::iter::repeat_n('\n', lines));
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Writes `value` as YAML to `out`, for documents too large to build as one string.
pub fn to_writer<T: Serialize, W: std::io::Write>(out: W, value: &T) -> Result<(), String> {
    serde_yaml::to_writer(out, value).map_err(|e| e.to_string())
}

/// Reads the YAML file `arg` names ([`read_file`]); an error says it
/// cannot read the `what` (a fixture, a tour), naming the file.
pub fn read_named(path: &std::path::Path, arg: &str, what: &str) -> Result<String, FileError> {
    read_file(path).map_err(|e| FileError {
        file: arg.to_string(),
        line: None,
        column: None,
        path: String::new(),
        message: format!("cannot read the {what}: {e}"),
    })
}

/// The largest YAML document iamkeys reads, in bytes. Generous: a generated
/// fixture with 1,000,000 keys is about 144 MB.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// The deepest nesting of collections (block indentation levels plus open
/// `[` and `{`) iamkeys reads. A fixture needs 7.
pub const MAX_DEPTH: usize = 32;

/// Reads a YAML file as text, refusing one larger than [`MAX_BYTES`]
/// before reading it, and never reading past the limit (and one byte to
/// tell it was passed) from a file that grows or a pipe.
pub fn read_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "the file is larger than {} MiB, the most iamkeys reads",
                MAX_BYTES >> 20
            ),
        )
    };
    let f = std::fs::File::open(path)?;
    if f.metadata().is_ok_and(|m| m.len() > MAX_BYTES as u64) {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    f.take(MAX_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("the file is not UTF-8 text: {e}"),
        )
    })
}

fn limit_error(line: usize, column: usize, message: String) -> YamlError {
    YamlError {
        path: String::new(),
        line: Some(line),
        column: Some(column),
        message,
    }
}

/// Where the scanner is between lines.
enum Mode {
    /// Between tokens.
    Tokens,
    /// Inside a plain (unquoted) scalar, which may go on over lines.
    Plain,
    /// Inside a quoted scalar (the quote), which may go on over lines.
    Quoted(u8),
    /// In the lines of a block scalar (`|` or `>`): its indentation once
    /// known, else the least it can be and the widest blank line so far.
    Block {
        indent: Option<usize>,
        least: usize,
        blank: usize,
    },
}

/// Is this byte the start of a character (not a UTF-8 continuation byte)?
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

fn blank_or_end(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t'))
}

/// The lines of `text`, split where the YAML parser splits them: at `\n`,
/// `\r\n`, `\r`, NEL, LS and PS.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let (brk, next) = match b[i] {
                b'\n' => (1, 0),
                b'\r' => (1, usize::from(b.get(i + 1) == Some(&b'\n'))),
                0xC2 if b.get(i + 1) == Some(&0x85) => (2, 0),
                0xE2 if b.get(i + 1) == Some(&0x80)
                    && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) =>
                {
                    (3, 0)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            rest = Some(&s[i + brk + next..]);
            return Some(&s[..i]);
        }
        rest = None;
        Some(s)
    })
}

/// Holds a YAML document to the limits iamkeys sets on every file it reads,
/// before any parser sees it, in one pass over the text: at most
/// [`MAX_BYTES`], nesting at most [`MAX_DEPTH`] deep, and no anchors (`&a`)
/// or aliases (`*a`), which let a small file expand without bound. The
/// scan follows the tokenizer of the YAML parser (quotes, comments, plain
/// and block scalars, indentation) so text inside a scalar or a comment is
/// never mistaken for an anchor, and never hides one.
pub fn check_limits(text: &str) -> Result<(), YamlError> {
    scan(text, &mut |_, _| {})
}

/// How a line starts, as the scan reads it (see [`scan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStart {
    /// Blank, or only a comment.
    Blank,
    /// More of a plain or block scalar begun above.
    Scalar,
    /// Inside a quoted scalar or a flow collection begun above, or after a
    /// tab or a byte order mark: lines the splitting of [`split`] leaves alone.
    Unsure,
    /// A token, after this many spaces.
    Token(usize),
}

/// [`check_limits`], telling `observe` how each line starts (its byte
/// offset in `text`, and how).
fn scan(text: &str, observe: &mut dyn FnMut(usize, LineStart)) -> Result<(), YamlError> {
    if text.len() > MAX_BYTES {
        return Err(YamlError {
            path: String::new(),
            line: None,
            column: None,
            message: format!(
                "the file is {} bytes: iamkeys reads YAML files up to {} MiB",
                text.len(),
                MAX_BYTES >> 20
            ),
        });
    }
    // The parser's block indentation levels (columns), and open `[`/`{`.
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut mode = Mode::Tokens;
    // Where a simple key (`key: value`) could start: (line, column).
    let mut key_at: Option<(usize, usize)> = None;
    let mut key_allowed = true;
    for (n, line) in lines(text).enumerate() {
        let line_no = n + 1;
        let b = line.as_bytes();
        let spaces = b.iter().take_while(|&&c| c == b' ').count();
        let mut i = 0;
        let mut col = 0;
        let offset = line.as_ptr() as usize - text.as_ptr() as usize;
        match &mut mode {
            Mode::Block {
                indent,
                least,
                blank,
            } => {
                if spaces == b.len() {
                    if indent.is_none() {
                        *blank = (*blank).max(spaces);
                    }
                    observe(offset, LineStart::Blank);
                    continue;
                }
                let want = *indent.get_or_insert((*blank).max(*least).max(spaces));
                if spaces >= want {
                    observe(offset, LineStart::Scalar);
                    continue;
                }
                mode = Mode::Tokens;
            }
            Mode::Plain => {
                let first = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
                if first == b.len() {
                    observe(offset, LineStart::Blank);
                    continue;
                }
                let inside = indents.last().map_or(0, |&c| c + 1);
                let marker = first == 0 && document_marker(b);
                if (flow == 0 && first < inside) || marker || b[first] == b'#' {
                    mode = Mode::Tokens;
                }
            }
            Mode::Tokens | Mode::Quoted(_) => {}
        }
        observe(
            offset,
            match mode {
                Mode::Quoted(_) => LineStart::Unsure,
                _ if flow > 0 => LineStart::Unsure,
                Mode::Plain => LineStart::Scalar,
                _ => match b.get(spaces) {
                    None | Some(b'#') => LineStart::Blank,
                    Some(b'\t' | 0xEF) => LineStart::Unsure,
                    Some(_) => LineStart::Token(spaces),
                },
            },
        );
        if flow == 0 {
            key_allowed = true;
        }
        while i < b.len() {
            let c = b[i];
            match mode {
                Mode::Quoted(q) => {
                    if q == b'"' && c == b'\\' {
                        // An escape: the next character is text.
                        col += 1;
                        i += 1;
                        while i + 1 < b.len() && !starts_char(b[i + 1]) {
                            i += 1;
                        }
                    } else if c == q {
                        if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                            col += 1;
                            i += 1;
                        } else {
                            mode = Mode::Tokens;
                            key_allowed = false;
                        }
                    }
                }
                Mode::Plain => {
                    let ends = match c {
                        b':' => {
                            blank_or_end(b.get(i + 1))
                                || (flow > 0
                                    && matches!(
                                        b.get(i + 1),
                                        Some(b',' | b'?' | b'[' | b']' | b'{' | b'}')
                                    ))
                        }
                        b',' | b'[' | b']' | b'{' | b'}' => flow > 0,
                        b' ' | b'\t' => {
                            let run = b[i..].iter().take_while(|&&c| c == b' ' || c == b'\t');
                            let j = i + run.count();
                            if b.get(j) != Some(&b'#') {
                                // Blanks inside the scalar: step over them at once.
                                col += j - i;
                                i = j;
                                continue;
                            }
                            true
                        }
                        _ => false,
                    };
                    if ends {
                        mode = Mode::Tokens;
                        key_allowed = false;
                        continue;
                    }
                }
                Mode::Block { .. } => unreachable!("a block scalar's header ends its line"),
                Mode::Tokens => {
                    if c == b' ' || c == b'\t' {
                        i += 1;
                        col += 1;
                        continue;
                    }
                    if c == b'#' {
                        break;
                    }
                    if col == 0 && b[i..].starts_with("\u{feff}".as_bytes()) {
                        // The parser skips a byte order mark at a line's start.
                        i += 3;
                        col += 1;
                        continue;
                    }
                    if flow == 0 {
                        while indents.last().is_some_and(|&top| top > col) {
                            indents.pop();
                        }
                    }
                    if key_at.is_some_and(|(l, _)| l != line_no) {
                        key_at = None;
                    }
                    let next = b.get(i + 1);
                    let depth_error = |depth: usize| {
                        limit_error(
                            line_no,
                            col + 1,
                            format!(
                                "collections nest {depth} deep here: iamkeys reads YAML nested at most {MAX_DEPTH} deep"
                            ),
                        )
                    };
                    let roll = |at: usize, indents: &mut Vec<usize>, flow: usize| {
                        if flow == 0 && indents.last().is_none_or(|&top| at > top) {
                            indents.push(at);
                            if indents.len() > MAX_DEPTH {
                                return Err(depth_error(indents.len()));
                            }
                        }
                        Ok(())
                    };
                    match c {
                        b'%' if col == 0 => break,
                        b'-' | b'.' if col == 0 && document_marker(b) => {
                            indents.clear();
                            key_at = None;
                            key_allowed = c == b'-';
                            i += 3;
                            col += 3;
                            continue;
                        }
                        b'&' | b'*' => {
                            let what = if c == b'&' { "an anchor" } else { "an alias" };
                            let name: String = line[i..]
                                .chars()
                                .take_while(|ch| !ch.is_whitespace() && !",[]{}".contains(*ch))
                                .take(40)
                                .collect();
                            return Err(limit_error(
                                line_no,
                                line[..i].chars().count() + 1,
                                format!(
                                    "{what} ({name}): iamkeys refuses YAML anchors and aliases (&name, *name); write the value out instead"
                                ),
                            ));
                        }
                        b'[' | b'{' => {
                            if key_allowed {
                                key_at = Some((line_no, col));
                            }
                            flow += 1;
                            if indents.len() + flow > MAX_DEPTH {
                                return Err(depth_error(indents.len() + flow));
                            }
                            key_allowed = true;
                        }
                        b']' | b'}' => {
                            flow = flow.saturating_sub(1);
                            key_allowed = false;
                        }
                        b',' => key_allowed = true,
                        b'-' if blank_or_end(next) => {
                            roll(col, &mut indents, flow)?;
                            key_at = None;
                            key_allowed = true;
                        }
                        b'?' if flow > 0 || blank_or_end(next) => {
                            roll(col, &mut indents, flow)?;
                            key_at = None;
                            key_allowed = true;
                        }
                        b':' if flow > 0 || blank_or_end(next) => {
                            let at = key_at.take().map_or(col, |(_, c)| c);
                            roll(at, &mut indents, flow)?;
                            key_allowed = flow == 0;
                        }
                        b'!' => {
                            if key_allowed {
                                key_at = Some((line_no, col));
                            }
                            let verbatim = next == Some(&b'<');
                            while i + 1 < b.len()
                                && !matches!(b[i + 1], b' ' | b'\t')
                                && (verbatim
                                    || !matches!(b[i + 1], b',' | b'[' | b']' | b'{' | b'}'))
                            {
                                if verbatim && b[i] == b'>' {
                                    break;
                                }
                                i += 1;
                                col += usize::from(starts_char(b[i]));
                            }
                            key_allowed = false;
                        }
                        b'|' | b'>' if flow == 0 => {
                            let step = b[i + 1..]
                                .iter()
                                .take_while(|c| matches!(c, b'+' | b'-' | b'0'..=b'9'))
                                .find(|c| c.is_ascii_digit())
                                .map(|d| usize::from(d - b'0'));
                            let least = indents.last().map_or(0, |&top| top + 1);
                            mode = Mode::Block {
                                indent: step.map(|s| indents.last().map_or(s, |&top| top + s)),
                                least: least.max(1),
                                blank: 0,
                            };
                            break;
                        }
                        b'\'' | b'"' => {
                            if key_allowed {
                                key_at = Some((line_no, col));
                            }
                            mode = Mode::Quoted(c);
                        }
                        _ => {
                            if key_allowed {
                                key_at = Some((line_no, col));
                            }
                            mode = Mode::Plain;
                        }
                    }
                }
            }
            i += 1;
            col += 1;
            while i < b.len() && !starts_char(b[i]) {
                i += 1;
            }
        }
    }
    Ok(())
}

/// Does the line start with a document marker (`---` or `...` then a blank)?
fn document_marker(b: &[u8]) -> bool {
    (b.starts_with(b"---") || b.starts_with(b"...")) && blank_or_end(b.get(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn refused(text: &str) -> YamlError {
        check_limits(text).expect_err(text)
    }

    #[test]
    fn anchors_and_aliases_are_refused_with_their_line() {
        for (text, line, column) in [
            ("a: &x 1\nb: *x\n", 1, 4),
            ("a: [1, *x]\n", 1, 8),
            ("a: {\"k\":*x}\n", 1, 9),
            ("- *x\n", 1, 3),
            ("? *x\n: 1\n", 1, 3),
            ("a: !!str *x\n", 1, 10),
            ("a: \"q\"\n*x: 1\n", 2, 1),
            ("# note\u{85}*x: 1\n", 2, 1),
            ("a: |\n  text\n*x: 1\n", 3, 1),
            ("a: x # c\n*b: 1\n", 2, 1),
            ("a: 'it''s'\nb: *x\n", 2, 4),
            ("a: \"\\\"\"\nb: *x\n", 2, 4),
            ("--- *x\n", 1, 5),
            ("a:\n  - b: 1\n  - &c d\n", 3, 5),
            ("- ünï: &x 1\n", 1, 8),
            ("a: [x,\n*y]\n", 2, 1),
            ("a: b\n<<: *base\n", 2, 5),
        ] {
            let e = refused(text);
            assert_eq!(
                (e.line, e.column),
                (Some(line), Some(column)),
                "{text:?}: {e:?}"
            );
            assert!(e.message.contains("anchors and aliases"), "{}", e.message);
        }
    }

    #[test]
    fn text_that_only_looks_like_an_anchor_is_read() {
        for text in [
            "name: R&D *stars* a*b &c\n",
            "d: \"a *b &c [[[ {{{\"\n",
            "d: 'it''s *x &y ['\n",
            "d: x # *c &d [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
            "d: |\n  *x &y [[[[\n\n  more\nk: v\n",
            "d: >-\n    *x\n    &y\nk: v\n",
            "d: |2\n   *x\nk: v\n",
            "d: foo\n  *bar &baz\nk: v\n",
            "d: \"multi\n  *line &x\"\nk: v\n",
            "d: [a*b, c&d, 'e *f']\n",
            "- a: 1\n  b: |\n    *x\n- c\n",
            "t: !!str x\n",
            "%YAML 1.1\n---\na: 1\n",
            "a:\n- x\n- y\n",
        ] {
            check_limits(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            let _: serde_yaml::Value = serde_yaml::from_str(text).expect(text);
        }
    }

    #[test]
    fn nesting_is_capped() {
        let ok = format!(
            "a: {}{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        check_limits(&ok).unwrap();
        let deep = format!("a: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(refused(&deep).message.contains("nest"));
        let dashes = format!("{}x\n", "- ".repeat(MAX_DEPTH + 1));
        assert!(refused(&dashes).message.contains("nest"));
        let mut indented = String::new();
        for d in 0..=MAX_DEPTH {
            let _ = writeln!(indented, "{}k{d}:", " ".repeat(d));
        }
        assert!(refused(&indented).message.contains("nest"));
        // Closing brackets inside quotes and comments do not count.
        let tricky = format!("a: [\"]]]\", ']]' # ]]]\n{}\n", "[".repeat(MAX_DEPTH));
        assert!(refused(&tricky).message.contains("nest"));
    }

    #[test]
    fn size_is_capped() {
        let big = "#".repeat(MAX_BYTES + 1);
        assert!(refused(&big).message.contains("MiB"));
    }
}
