//! The rows of a view, held compactly: what a million keys need to be
//! drawn, searched and sorted, in a few large buffers rather than a string
//! per field per row.
//!
//! - Every key is encoded once (postcard, its repeated strings — account,
//!   owner, creator, history actors — replaced by numbers into a small
//!   table of names) into one buffer, and decoded again only when it is
//!   needed: the rows on screen, the selected key.
//! - The search text (name, description, owner and id, lowercased, each
//!   followed by a byte that UTF-8 never holds) is one buffer, so a search
//!   is one substring scan over it, not one per row.
//! - The sort orders are computed on first use, once per load.
//!
//! Large buffers go back to the system when the table is dropped: leaving
//! a large view gives its memory back.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{Activity, ApiKey, HistoryEntry, KeyKind, Leak, LeakAction};
use crate::service::KeyRow;

use super::SortCol;

/// Ends every field in the search text: a byte no UTF-8 text holds, so no
/// search (which is text) can match across two fields or two rows.
const END: u8 = 0xFF;

/// Fields of a row in the search text, in order.
const FIELDS: usize = 4;
const NAME: usize = 0;
const DESCRIPTION: usize = 1;
const OWNER: usize = 2;

/// How far a load has come: rows read, of how many (0 while unknown).
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
}

impl Progress {
    pub fn get(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// A key as the table holds it: its repeated strings as numbers into the
/// table's names, its times as nanoseconds. Encoded from borrowed text,
/// decoded into owned.
#[derive(Serialize, Deserialize)]
struct Packed<'a> {
    kind: KeyKind,
    /// The name and description when they are not their search text (not
    /// all lowercase).
    name: Option<Cow<'a, str>>,
    description: Option<Cow<'a, str>>,
    account_id: u32,
    iam_id: u32,
    /// The key's CRN when it is not the one derived from account and id.
    crn: Option<Cow<'a, str>>,
    entity_tag: Cow<'a, str>,
    created_at: Time,
    created_by: u32,
    modified_at: Time,
    locked: bool,
    disabled: bool,
    action_when_leaked: LeakAction,
    support_sessions: bool,
    expires_at: Option<crate::time::Moment>,
    managed_by: Option<u32>,
    last_authn: Option<Time>,
    authn_count: u64,
    history: Vec<PackedEntry<'a>>,
    lookup: Option<Cow<'a, str>>,
    hash: Option<Cow<'a, str>>,
    leak: Option<PackedLeak<'a>>,
    owner: u32,
    created_by_label: u32,
}

#[derive(Serialize, Deserialize)]
struct PackedEntry<'a> {
    timestamp: Time,
    actor: u32,
    action: u32,
    message: Text<'a>,
}

/// A string the table's names may hold (most history messages repeat).
#[derive(Serialize, Deserialize)]
enum Text<'a> {
    Named(u32),
    Inline(Cow<'a, str>),
}

#[derive(Serialize, Deserialize)]
struct PackedLeak<'a> {
    at: Time,
    by: u32,
    places: Cow<'a, [String]>,
    found: u64,
}

/// A time as seconds and nanoseconds: a few bytes each, encoded.
type Time = (i64, i32);

fn nanos(t: Timestamp) -> Time {
    (t.as_second(), t.subsec_nanosecond())
}

fn time((s, n): Time) -> Timestamp {
    Timestamp::new(s, n).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Numbers for repeated strings, while a table is built.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32, std::hash::BuildHasherDefault<WordHash>>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    /// Text named when it repeats: once the names are many, new text is
    /// kept inline rather than named.
    fn text<'a>(&mut self, s: &'a str) -> Text<'a> {
        match self.ids.get(s) {
            Some(&i) => Text::Named(i),
            None if self.names.len() < MAX_NAMES => Text::Named(self.id(s)),
            None => Text::Inline(Cow::Borrowed(s)),
        }
    }
}

/// A multiplicative hash taking eight bytes at a step: the names are few,
/// and looked up several times per row; a simpler hash than the default's
/// suits them.
#[derive(Default)]
struct WordHash(u64);

impl WordHash {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for WordHash {
    fn finish(&self) -> u64 {
        // The table picks buckets by the low bits: bring the well-mixed
        // high ones down.
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }
}

/// How many distinct strings a table names, at most, for text that may
/// not repeat.
const MAX_NAMES: usize = 1 << 16;

/// Every row of a view, compactly; see the module documentation.
#[derive(Default)]
pub struct RowTable {
    /// The encoded keys, one after another.
    records: Vec<u8>,
    /// Where each key's record starts in `records`, and one past the last.
    record_at: Vec<u32>,
    /// The repeated strings the records refer to.
    names: Vec<String>,
    /// Every row's search text; see [`END`].
    lower: Vec<u8>,
    /// Where each field of each row starts in `lower` (FIELDS per row),
    /// and one past the last.
    lower_at: Vec<u32>,
    /// Every key's id, as written, one after another.
    ids: String,
    id_at: Vec<u32>,
    created: Vec<Timestamp>,
    leaked: Vec<bool>,
    /// Ascending orders of row numbers, one per [`SortCol`], ties by id,
    /// computed on first use.
    orders: [OnceLock<Vec<u32>>; 4],
    /// Rows were left out: the view holds more than a table can.
    full: bool,
    /// The keys with an expiry date, decoded on first use.
    expiring: OnceLock<Vec<ApiKey>>,
}

impl std::fmt::Debug for RowTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowTable")
            .field("rows", &self.len())
            .field("bytes", &self.bytes())
            .finish()
    }
}

/// Builds a [`RowTable`] a row at a time.
#[derive(Default)]
pub struct TableBuilder {
    table: RowTable,
    interner: Interner,
    buf: Vec<u8>,
    /// How many rows are coming, when told.
    expected: usize,
    /// How far the buffers may fill ([`ROOM`]; less in tests).
    room: Option<usize>,
}

/// Rows read before the text buffers are sized for all the rows expected.
const SAMPLE_ROWS: usize = 1024;

/// Whether `crn` is the one [`ApiKey::crn_for`] derives, compared without
/// writing it out.
fn is_crn_for(crn: &str, account_id: &str, id: &str) -> bool {
    crn.strip_prefix("crn:v1:bluemix:public:iam-identity::a/")
        .and_then(|rest| rest.strip_prefix(account_id))
        .and_then(|rest| rest.strip_prefix("::apikey:"))
        == Some(id)
}

fn offset(n: usize) -> u32 {
    // `TableBuilder::push` keeps every buffer below ROOM.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How far a table's buffers may fill, its offsets being 32-bit: 4 GiB,
/// less room for one more row (a row's text and record are bounded by the
/// service's limits, far below this margin). A view past it (tens of
/// millions of keys) is shown up to there, and says so.
const ROOM: usize = u32::MAX as usize - (64 << 20);

impl TableBuilder {
    pub fn with_capacity(rows: usize) -> TableBuilder {
        let mut b = TableBuilder {
            expected: rows,
            ..TableBuilder::default()
        };
        let t = &mut b.table;
        t.record_at.reserve_exact(rows + 1);
        t.lower_at.reserve_exact(rows * FIELDS + 1);
        t.id_at.reserve_exact(rows + 1);
        t.created.reserve_exact(rows);
        t.leaked.reserve_exact(rows);
        b
    }

    /// Adds a row; `false`, adding nothing, once the table is full (see
    /// [`ROOM`]): the rows after it are not shown.
    pub fn push(&mut self, row: &KeyRow) -> bool {
        let room = self.room.unwrap_or(ROOM);
        let t = &mut self.table;
        if t.full || t.records.len() > room || t.lower.len() > room || t.ids.len() > room {
            t.full = true;
            return false;
        }
        if t.record_at.is_empty() {
            t.record_at.push(0);
            t.lower_at.push(0);
            t.id_at.push(0);
        }
        let KeyRow {
            key,
            owner,
            created_by: created_by_label,
        } = row;
        for field in [&key.name, &key.description, owner, &key.id] {
            if field.is_ascii() {
                t.lower
                    .extend(field.as_bytes().iter().map(u8::to_ascii_lowercase));
            } else {
                t.lower.extend_from_slice(field.to_lowercase().as_bytes());
            }
            t.lower.push(END);
            t.lower_at.push(offset(t.lower.len()));
        }
        t.ids.push_str(&key.id);
        t.id_at.push(offset(t.ids.len()));
        t.created.push(key.created_at);
        t.leaked.push(key.leak.is_some());

        let i = &mut self.interner;
        // Text with nothing to lowercase is read back from the search text.
        fn unless_lower(s: &str) -> Option<Cow<'_, str>> {
            let lower = if s.is_ascii() {
                !s.bytes().any(|b| b.is_ascii_uppercase())
            } else {
                s.to_lowercase() == s
            };
            (!lower).then_some(Cow::Borrowed(s))
        }
        let crn =
            (!is_crn_for(&key.crn, &key.account_id, &key.id)).then(|| Cow::Borrowed(&*key.crn));
        let packed = Packed {
            kind: key.kind,
            name: unless_lower(&key.name),
            description: unless_lower(&key.description),
            account_id: i.id(&key.account_id),
            iam_id: i.id(&key.iam_id),
            crn,
            entity_tag: Cow::Borrowed(&key.entity_tag),
            created_at: nanos(key.created_at),
            created_by: i.id(&key.created_by),
            modified_at: nanos(key.modified_at),
            locked: key.locked,
            disabled: key.disabled,
            action_when_leaked: key.action_when_leaked,
            support_sessions: key.support_sessions,
            expires_at: key.expires_at,
            managed_by: key.managed_by.as_deref().map(|m| i.id(m)),
            last_authn: key.activity.last_authn.map(nanos),
            authn_count: key.activity.authn_count,
            history: key
                .history
                .iter()
                .map(|h| PackedEntry {
                    timestamp: nanos(h.timestamp),
                    actor: i.id(&h.actor),
                    action: i.id(&h.action),
                    message: i.text(&h.message),
                })
                .collect(),
            lookup: key.lookup.as_deref().map(Cow::Borrowed),
            hash: key.hash.as_deref().map(Cow::Borrowed),
            leak: key.leak.as_ref().map(|l| PackedLeak {
                at: nanos(l.at),
                by: i.id(&l.by),
                places: Cow::Borrowed(&l.places),
                found: l.found,
            }),
            owner: i.id(owner),
            created_by_label: i.id(created_by_label),
        };
        self.buf.clear();
        let buf = std::mem::take(&mut self.buf);
        self.buf = postcard::to_extend(&packed, buf).expect("a key encodes");
        t.records.extend_from_slice(&self.buf);
        t.record_at.push(offset(t.records.len()));
        if t.len() == SAMPLE_ROWS && self.expected > SAMPLE_ROWS {
            // Sized from the rows so far, the buffers do not grow by
            // doubling, which can leave half of them unused at the peak.
            // Never past what a table may hold.
            let grow = |v: usize| {
                (v / SAMPLE_ROWS * (self.expected - SAMPLE_ROWS) / 20 * 21)
                    .min(room.saturating_sub(v))
            };
            t.records.reserve_exact(grow(t.records.len()));
            t.lower.reserve_exact(grow(t.lower.len()));
            t.ids.reserve_exact(grow(t.ids.len()));
        }
        true
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// A builder whose buffers may fill to `room` bytes only: a full
    /// table, in tests, without gigabytes of rows.
    #[cfg(test)]
    fn with_room(room: usize) -> TableBuilder {
        TableBuilder {
            room: Some(room),
            ..TableBuilder::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn finish(self) -> RowTable {
        let mut t = self.table;
        t.names = self.interner.names;
        // Growth by doubling leaves up to half of each buffer unused.
        t.records.shrink_to_fit();
        t.lower.shrink_to_fit();
        t.ids.shrink_to_fit();
        t
    }
}

/// Rows handed from the reading thread to the building one at a time.
const BATCH_ROWS: usize = 256;

/// What the reading thread hands the building one.
enum Batch {
    Total(usize),
    Rows(Vec<KeyRow>),
}

/// Builds a table from `scan`, which hands over the rows of a view (and
/// first, if it can, how many there are): the rows are read and decoded on
/// a thread of their own while this one adds them to the table, in the
/// order read, so the table is the one a single thread builds. `progress`
/// hears how many rows are in.
pub fn load_table<E: Send>(
    scan: impl FnOnce(&mut dyn FnMut(usize), &mut dyn FnMut(KeyRow)) -> Result<(), E> + Send,
    progress: &Progress,
) -> Result<RowTable, E> {
    std::thread::scope(|scope| {
        // A few batches in flight keep both threads busy; more would only
        // hold rows in memory.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        // Rows added go back to the reading thread to be dropped there, by
        // the allocator's arena that holds them, rather than here, where
        // freeing them would contend with the reader's allocations.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<KeyRow>>();
        let reader = scope.spawn(move || {
            let fresh = || match done_rx.try_recv() {
                Ok(mut used) => {
                    used.clear();
                    used
                }
                Err(_) => Vec::with_capacity(BATCH_ROWS),
            };
            let mut batch = fresh();
            // A send fails only when the builder is gone (it panicked):
            // the rows are then no longer wanted.
            let result = scan(
                &mut |n| {
                    let _ = tx.send(Batch::Total(n));
                },
                &mut |row| {
                    batch.push(row);
                    if batch.len() == BATCH_ROWS {
                        let full = std::mem::replace(&mut batch, fresh());
                        let _ = tx.send(Batch::Rows(full));
                    }
                },
            );
            if !batch.is_empty() {
                let _ = tx.send(Batch::Rows(batch));
            }
            result
        });
        let mut table = TableBuilder::default();
        for batch in rx {
            match batch {
                Batch::Total(n) => {
                    progress.total.store(n, Ordering::Relaxed);
                    table = TableBuilder::with_capacity(n);
                }
                Batch::Rows(rows) => {
                    for row in &rows {
                        if !table.push(row) {
                            // Full: the rest of the view is read and dropped.
                            break;
                        }
                    }
                    progress.done.store(table.len(), Ordering::Relaxed);
                    // Once the reader is done, the rows are dropped here.
                    let _ = done_tx.send(rows);
                }
            }
        }
        match reader.join() {
            Ok(result) => result.map(|()| table.finish()),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

impl RowTable {
    pub fn build(rows: Vec<KeyRow>) -> RowTable {
        let mut b = TableBuilder::with_capacity(rows.len());
        for r in &rows {
            if !b.push(r) {
                break;
            }
        }
        b.finish()
    }

    pub fn len(&self) -> usize {
        self.created.len()
    }

    /// The keys of the table that have an expiry date, decoded once, on
    /// first use (the My view's warning reads them every frame).
    pub fn with_expiry(&self) -> &[ApiKey] {
        self.expiring.get_or_init(|| {
            (0..self.len())
                .filter_map(|i| self.row(i))
                .map(|r| r.key)
                .filter(|k| k.expires_at.is_some())
                .collect()
        })
    }

    /// Whether rows of the view were left out: it holds more than a table
    /// can (see [`ROOM`]).
    pub fn full(&self) -> bool {
        self.full
    }

    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
    }

    /// The memory the table's buffers take, roughly.
    pub fn bytes(&self) -> usize {
        self.records.capacity()
            + self.record_at.capacity() * 4
            + self.lower.capacity()
            + self.lower_at.capacity() * 4
            + self.ids.capacity()
            + self.id_at.capacity() * 4
            + self.created.capacity() * std::mem::size_of::<Timestamp>()
            + self.leaked.capacity()
            + self
                .orders
                .iter()
                .filter_map(|o| o.get())
                .map(|o| o.capacity() * 4)
                .sum::<usize>()
    }

    /// The id of row `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[self.id_at[i] as usize..self.id_at[i + 1] as usize]
    }

    /// The row `i`, decoded.
    pub fn row(&self, i: usize) -> Option<KeyRow> {
        let bytes = self
            .records
            .get(*self.record_at.get(i)? as usize..*self.record_at.get(i + 1)? as usize)?;
        let p: Packed = postcard::from_bytes(bytes).expect("a table decodes what it encoded");
        let name = |n: u32| self.names[n as usize].clone();
        let id = self.id(i).to_string();
        let text = |f: usize| String::from_utf8_lossy(self.field(i, f)).into_owned();
        let account_id = name(p.account_id);
        let crn = p
            .crn
            .map_or_else(|| ApiKey::crn_for(&account_id, &id), Cow::into_owned);
        Some(KeyRow {
            key: ApiKey {
                id,
                kind: p.kind,
                name: p.name.map_or_else(|| text(NAME), Cow::into_owned),
                description: p
                    .description
                    .map_or_else(|| text(DESCRIPTION), Cow::into_owned),
                account_id,
                iam_id: name(p.iam_id),
                crn,
                entity_tag: p.entity_tag.into_owned(),
                created_at: time(p.created_at),
                created_by: name(p.created_by),
                modified_at: time(p.modified_at),
                locked: p.locked,
                disabled: p.disabled,
                action_when_leaked: p.action_when_leaked,
                support_sessions: p.support_sessions,
                expires_at: p.expires_at,
                managed_by: p.managed_by.map(name),
                activity: Activity {
                    last_authn: p.last_authn.map(time),
                    authn_count: p.authn_count,
                },
                history: p
                    .history
                    .into_iter()
                    .map(|h| HistoryEntry {
                        timestamp: time(h.timestamp),
                        actor: name(h.actor),
                        action: name(h.action),
                        message: match h.message {
                            Text::Named(n) => name(n),
                            Text::Inline(s) => s.into_owned(),
                        },
                    })
                    .collect(),
                lookup: p.lookup.map(Cow::into_owned),
                hash: p.hash.map(Cow::into_owned),
                leak: p.leak.map(|l| Leak {
                    at: time(l.at),
                    by: name(l.by),
                    places: l.places.into_owned(),
                    found: l.found,
                }),
            },
            owner: name(p.owner),
            created_by: name(p.created_by_label),
        })
    }

    /// Every row, decoded, in the order loaded.
    pub fn rows(&self) -> Vec<KeyRow> {
        (0..self.len()).filter_map(|i| self.row(i)).collect()
    }

    /// The row whose key is `id`, if the table holds it.
    pub fn find(&self, id: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.id(i) == id)
    }

    /// Field `f` of row `i` in the search text (lowercased).
    fn field(&self, i: usize, f: usize) -> &[u8] {
        let at = i * FIELDS + f;
        &self.lower[self.lower_at[at] as usize..self.lower_at[at + 1] as usize - 1]
    }

    /// The ascending order for `col`, computed on first use.
    pub fn order(&self, col: SortCol) -> &[u32] {
        let c = SortCol::ALL.iter().position(|c| *c == col).unwrap_or(0);
        self.orders[c].get_or_init(|| self.sort_order(col))
    }

    /// Whether the order for `col` is ready.
    pub fn has_order(&self, col: SortCol) -> bool {
        let c = SortCol::ALL.iter().position(|c| *c == col).unwrap_or(0);
        self.orders[c].get().is_some()
    }

    /// Row numbers in the order of the service's sort key for a column
    /// (ascending), ties by id: the name, description and owner as
    /// lowercased text (as [`crate::service::sort_key`] compares them), the
    /// creation time.
    ///
    /// Rows are sorted by the first 24 bytes of their text (two numbers,
    /// in one contiguous list); then each run of rows sharing those is
    /// sorted by the rest, and by id.
    fn sort_order(&self, col: SortCol) -> Vec<u32> {
        let f = match col {
            SortCol::Description => DESCRIPTION,
            SortCol::Owner => OWNER,
            _ => NAME,
        };
        let mut keyed: Vec<(u128, u64, u32)> = (0..self.len())
            .map(|i| {
                let (a, b) = match col {
                    SortCol::Created => (ordered(self.created[i].as_nanosecond()), 0),
                    _ => prefix(self.field(i, f)),
                };
                (a, b, i as u32)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(a, b, _)| (a, b));
        let rest = |a: u32, b: u32| {
            let (a, b) = (a as usize, b as usize);
            match col {
                SortCol::Created => std::cmp::Ordering::Equal,
                _ => self.field(a, f).cmp(self.field(b, f)),
            }
            .then_with(|| self.id(a).cmp(self.id(b)))
        };
        for run in keyed.chunk_by_mut(|x, y| (x.0, x.1) == (y.0, y.1)) {
            if run.len() > 1 {
                run.sort_unstable_by(|x, y| rest(x.2, y.2));
            }
        }
        keyed.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The rows matching `needle` (lowercased and trimmed, as
    /// [`crate::service::matches`] takes it), in the order of `col`
    /// (reversed for `desc`). `None` when `cancel` says the search is no
    /// longer wanted.
    pub fn filter(
        &self,
        needle: &str,
        col: SortCol,
        desc: bool,
        cancel: &dyn Fn() -> bool,
    ) -> Option<Vec<usize>> {
        let order = self.order(col);
        let hits = self.matching(needle, cancel)?;
        let keep = |&&i: &&u32| hits.as_ref().is_none_or(|h| h[i as usize]);
        Some(if desc {
            order
                .iter()
                .rev()
                .filter(keep)
                .map(|&i| i as usize)
                .collect()
        } else {
            order.iter().filter(keep).map(|&i| i as usize).collect()
        })
    }

    /// `rows`, keeping those matching `needle`, in their order.
    pub fn narrow(
        &self,
        rows: &[usize],
        needle: &str,
        cancel: &dyn Fn() -> bool,
    ) -> Option<Vec<usize>> {
        let hits = self.matching(needle, cancel)?;
        Some(match hits {
            None => rows.to_vec(),
            Some(h) => rows.iter().copied().filter(|&i| h[i]).collect(),
        })
    }

    /// Which rows match `needle`: `Some(None)` for all of them.
    /// [`crate::service::matches`]: the word `is:leaked` keeps keys marked
    /// leaked, and the rest of the search is text in one of the fields.
    #[allow(clippy::option_option)]
    fn matching(&self, needle: &str, cancel: &dyn Fn() -> bool) -> Option<Option<Vec<bool>>> {
        let leaked_only = needle.contains(crate::service::LEAKED_FILTER)
            && needle
                .split_whitespace()
                .any(|w| w == crate::service::LEAKED_FILTER);
        let rest;
        let text = if leaked_only {
            rest = needle
                .split_whitespace()
                .filter(|w| *w != crate::service::LEAKED_FILTER)
                .collect::<Vec<_>>()
                .join(" ");
            rest.as_str()
        } else {
            needle
        };
        if text.is_empty() {
            return Some(leaked_only.then(|| self.leaked.clone()));
        }
        let mut hits = vec![false; self.len()];
        let finder = memchr::memmem::Finder::new(text.as_bytes());
        // Where row `r` starts in the search text.
        let start = |r: usize| self.lower_at[r * FIELDS] as usize;
        let (mut from, mut row, mut scanned) = (0, 0, 0usize);
        while let Some(found) = finder.find(&self.lower[from..]) {
            let at = from + found;
            // The row holding `at`: a few rows on, or found by bisection.
            let mut step = 0;
            while start(row + 1) <= at && step < 8 {
                row += 1;
                step += 1;
            }
            if start(row + 1) <= at {
                // start(lo) <= at < start(hi)
                let (mut lo, mut hi) = (row + 1, self.len());
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if start(mid) <= at {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                row = lo;
            }
            if !leaked_only || self.leaked[row] {
                hits[row] = true;
            }
            // The next row: this one matches once.
            from = self.lower_at[(row + 1) * FIELDS] as usize;
            scanned += 1;
            if scanned.is_multiple_of(65_536) && cancel() {
                return None;
            }
        }
        if cancel() {
            return None;
        }
        Some(Some(hits))
    }
}

/// The first 24 bytes of `text` as two numbers that order as the text
/// does (shorter text padded with the lowest byte): texts whose numbers
/// differ are ordered by them.
fn prefix(text: &[u8]) -> (u128, u64) {
    let mut b = [0u8; 24];
    let n = text.len().min(24);
    b[..n].copy_from_slice(&text[..n]);
    let (hi, lo) = b.split_at(16);
    (
        u128::from_be_bytes(hi.try_into().unwrap_or_default()),
        u64::from_be_bytes(lo.try_into().unwrap_or_default()),
    )
}

/// A signed number as an unsigned one of the same order.
fn ordered(n: i128) -> u128 {
    (n as u128) ^ (1 << 127)
}

/// Whether the latest search is still `generation`: older ones stop.
pub(crate) fn cancelled(latest: &AtomicU64, generation: u64) -> impl Fn() -> bool + '_ {
    move || latest.load(Ordering::Relaxed) != generation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Leak, LeakAction};
    use crate::service::{matches, sort_rows};
    use proptest::prelude::*;

    fn row(
        i: usize,
        name: &str,
        description: &str,
        owner: &str,
        secs: i64,
        leaked: bool,
    ) -> KeyRow {
        let t = Timestamp::from_second(secs).unwrap();
        let key = ApiKey {
            id: format!("ApiKey-{i:04}"),
            kind: KeyKind::User,
            name: name.into(),
            description: description.into(),
            account_id: "acct".into(),
            iam_id: format!("IBMid-{}", i % 3),
            crn: ApiKey::crn_for("acct", &format!("ApiKey-{i:04}")),
            entity_tag: format!("1-{i}"),
            created_at: t,
            created_by: "IBMid-0".into(),
            modified_at: t,
            locked: i.is_multiple_of(5),
            disabled: i.is_multiple_of(7),
            action_when_leaked: LeakAction::Disable,
            support_sessions: false,
            expires_at: None,
            managed_by: None,
            activity: Activity::default(),
            history: vec![HistoryEntry {
                timestamp: t,
                actor: "IBMid-0".into(),
                action: "create".into(),
                message: "API key created".into(),
            }],
            lookup: None,
            hash: None,
            leak: leaked.then(|| Leak {
                at: t,
                by: "IBMid-0".into(),
                places: vec!["a.txt:1".into()],
                found: 1,
            }),
        };
        KeyRow {
            key,
            owner: owner.into(),
            created_by: "ada@acme.example".into(),
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cA-C ]{0,6}",
            Just("Ünïcode ÄB".to_string()),
            Just("İstanbul".to_string()),
            Just("ab\ncd".to_string()),
            any::<String>(),
        ]
    }

    fn rows() -> impl Strategy<Value = Vec<KeyRow>> {
        prop::collection::vec((text(), text(), text(), 0i64..5, any::<bool>()), 0..40).prop_map(
            |v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (n, d, o, t, l))| row(i, &n, &d, &o, 1_700_000_000 + t, l))
                    .collect()
            },
        )
    }

    fn needle() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cA-C ]{0,3}",
            Just("is:leaked".to_string()),
            Just("is:leaked a".to_string()),
            Just("b is:leaked".to_string()),
            Just("is:leakedx".to_string()),
            Just("b\nc".to_string()),
            Just("apikey-00".to_string()),
            Just("ä".to_string()),
            Just("i̇".to_string()),
            any::<String>(),
        ]
        .prop_map(|s| s.trim().to_lowercase())
    }

    /// The console's sort as the service defines it: the column's sort key
    /// (the owner's name, lowercased, for the owner column), ties by id.
    fn sorted(rows: &[KeyRow], col: SortCol, desc: bool) -> Vec<String> {
        let mut v = rows.to_vec();
        match col {
            SortCol::Owner => v.sort_by_cached_key(|r| (r.owner.to_lowercase(), r.key.id.clone())),
            other => sort_rows(&mut v, other.field(), false),
        }
        if desc {
            v.reverse();
        }
        v.into_iter().map(|r| r.key.id).collect()
    }

    proptest! {
        /// The table's search and sort give what the service's own test
        /// and sort key give, row for row; every row decodes as it went in.
        #[test]
        fn the_table_filters_and_sorts_as_the_service(
            rows in rows(),
            needle in needle(),
            col in prop::sample::select(SortCol::ALL.to_vec()),
            desc in any::<bool>(),
        ) {
            let table = RowTable::build(rows.clone());
            for (i, r) in rows.iter().enumerate() {
                prop_assert_eq!(table.row(i), Some(r.clone()));
            }
            let got: Vec<String> = table
                .filter(&needle, col, desc, &|| false)
                .unwrap()
                .into_iter()
                .map(|i| table.id(i).to_string())
                .collect();
            let keep: Vec<KeyRow> = rows.iter().filter(|r| matches(r, &needle)).cloned().collect();
            prop_assert_eq!(got, sorted(&keep, col, desc));
            // Narrowing the whole table gives the same rows in its order.
            let all = table.filter("", col, desc, &|| false).unwrap();
            let narrowed = table.narrow(&all, &needle, &|| false).unwrap();
            prop_assert_eq!(narrowed, table.filter(&needle, col, desc, &|| false).unwrap());
        }
    }

    #[test]
    fn a_full_table_keeps_the_rows_it_holds_and_says_it_is_full() {
        let rows: Vec<KeyRow> = (0..50)
            .map(|i| row(i, &format!("Key {i}"), "", "ada", i as i64, false))
            .collect();
        let whole = RowTable::build(rows.clone());
        assert!(!whole.full());
        let mut b = TableBuilder::with_room(whole.lower.len() / 2);
        let taken = rows.iter().take_while(|r| b.push(r)).count();
        assert!(0 < taken && taken < rows.len(), "{taken} rows taken");
        assert!(!b.push(&rows[0]), "once full, nothing more is added");
        let t = b.finish();
        assert!(t.full());
        assert_eq!(t.len(), taken);
        assert_eq!(t.rows(), rows[..taken].to_vec());
        // Searching and sorting see the rows held, and no more.
        assert_eq!(
            t.filter("key", SortCol::Name, false, &|| false)
                .map(|v| v.len()),
            Some(taken)
        );
    }

    #[test]
    fn a_table_loaded_while_read_is_the_one_built_from_the_rows() {
        let rows: Vec<KeyRow> = (0..BATCH_ROWS * 3 + 7)
            .map(|i| {
                row(
                    i,
                    &format!("Key {}", i % 13),
                    "",
                    "ada",
                    i as i64,
                    i % 11 == 0,
                )
            })
            .collect();
        let built = RowTable::build(rows.clone());
        for told in [true, false] {
            let progress = Progress::default();
            let loaded = load_table(
                |total, each| {
                    if told {
                        total(rows.len());
                    }
                    for r in rows.clone() {
                        each(r);
                    }
                    Ok::<(), ()>(())
                },
                &progress,
            )
            .unwrap();
            assert_eq!(loaded.rows(), built.rows());
            assert_eq!(loaded.names, built.names);
            assert_eq!(loaded.records, built.records);
            assert_eq!(loaded.lower, built.lower);
            assert_eq!(
                progress.get(),
                (rows.len(), if told { rows.len() } else { 0 })
            );
        }
        // A failed read fails the load.
        let failed = load_table(
            |_, each| {
                each(rows[0].clone());
                Err("unreadable")
            },
            &Progress::default(),
        );
        assert_eq!(failed.err(), Some("unreadable"));
    }

    #[test]
    fn a_cancelled_search_gives_nothing() {
        let rows: Vec<KeyRow> = (0..10)
            .map(|i| row(i, "key", "", "ada", 0, false))
            .collect();
        let table = RowTable::build(rows);
        assert_eq!(table.filter("key", SortCol::Name, false, &|| true), None);
        assert_eq!(
            table
                .filter("key", SortCol::Name, false, &|| false)
                .map(|v| v.len()),
            Some(10)
        );
    }
}
