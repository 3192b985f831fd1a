//! A listing of any size in bounded memory. Each matching row is encoded
//! once, compactly (the key in the store's own record form), and held with
//! what it sorts by; past a budget, the rows held are sorted and written,
//! as a run, to an unnamed temporary file in the data directory (private,
//! and gone when closed, even after a crash); the runs are merged on the
//! way out. The store is read once, in its own order; memory holds at most
//! the budget, one row per run and the output's buffer.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use super::*;
use crate::domain::SignInFailures;
use crate::store::record::{self, KeyRecord};

/// What a row sorts by, its id (ties), and the encoded row.
type Item = (SortKey, String, Vec<u8>);

/// How many bytes of encoded rows a listing holds before it spills.
pub const SPILL_BUDGET: usize = 32 * 1024 * 1024;

/// A row, encoded: the key's record, then the names shown beside it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Encoded {
    key: Vec<u8>,
    owner: String,
    created_by: String,
}

/// One item of a run: what it sorts by, its id, the encoded row.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunItem {
    sort: SortKey,
    id: String,
    row: Vec<u8>,
}

fn io(dir: &std::path::Path, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(StoreError::Io {
        dir: dir.to_path_buf(),
        detail: format!("a listing could not use its temporary file: {e}"),
    })
}

fn encode(dir: &std::path::Path, row: KeyRow) -> Result<Vec<u8>> {
    postcard::to_stdvec(&Encoded {
        key: KeyRecord::new(&row.key, &SignInFailures::default()).encode(),
        owner: row.owner,
        created_by: row.created_by,
    })
    .map_err(|e| io(dir, e))
}

fn decode(dir: &std::path::Path, bytes: &[u8]) -> Result<KeyRow> {
    let e: Encoded = postcard::from_bytes(bytes).map_err(|e| io(dir, e))?;
    let (mut key, _) = record::decode_key(&e.key)
        .map_err(|e| io(dir, e))?
        .into_key();
    key.crn = ApiKey::crn_for(&key.account_id, &key.id);
    Ok(KeyRow {
        key,
        owner: e.owner,
        created_by: e.created_by,
    })
}

/// Rows collected for one listing.
pub(super) struct Spill<'a> {
    dir: &'a std::path::Path,
    budget: usize,
    used: usize,
    rows: Vec<Item>,
    runs: Vec<File>,
    desc: bool,
    pub(super) total: usize,
}

impl<'a> Spill<'a> {
    pub(super) fn new(dir: &'a std::path::Path, budget: usize, desc: bool) -> Spill<'a> {
        Spill {
            dir,
            budget,
            used: 0,
            rows: Vec::new(),
            runs: Vec::new(),
            desc,
            total: 0,
        }
    }

    fn order(&self, v: &mut [Item]) {
        v.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        if self.desc {
            v.reverse();
        }
    }

    pub(super) fn push(&mut self, sort: SortKey, row: KeyRow) -> Result<()> {
        self.total += 1;
        let id = row.key.id.clone();
        let bytes = encode(self.dir, row)?;
        self.used += bytes.len() + id.len() + 96;
        self.rows.push((sort, id, bytes));
        if self.used > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the rows held as one sorted run.
    fn spill(&mut self) -> Result<()> {
        let mut rows = std::mem::take(&mut self.rows);
        self.order(&mut rows);
        let dir = self.dir;
        let mut file = BufWriter::new(tempfile::tempfile_in(dir).map_err(|e| io(dir, e))?);
        for (sort, id, row) in rows {
            let bytes = postcard::to_stdvec(&RunItem { sort, id, row }).map_err(|e| io(dir, e))?;
            let len = u32::try_from(bytes.len()).map_err(|e| io(dir, e))?;
            file.write_all(&len.to_le_bytes()).map_err(|e| io(dir, e))?;
            file.write_all(&bytes).map_err(|e| io(dir, e))?;
        }
        let mut file = file.into_inner().map_err(|e| io(dir, e.into_error()))?;
        file.rewind().map_err(|e| io(dir, e))?;
        self.runs.push(file);
        self.used = 0;
        Ok(())
    }

    /// The rows in order, from `offset`, `len` of them.
    pub(super) fn into_rows(
        mut self,
        offset: usize,
        len: usize,
    ) -> Result<Box<dyn Iterator<Item = Result<KeyRow>> + 'a>> {
        let dir = self.dir;
        if self.runs.is_empty() {
            let mut rows = std::mem::take(&mut self.rows);
            self.order(&mut rows);
            return Ok(Box::new(
                rows.into_iter()
                    .skip(offset)
                    .take(len)
                    .map(move |(_, _, r)| decode(dir, &r)),
            ));
        }
        if !self.rows.is_empty() {
            self.spill()?;
        }
        let mut merge = Merge {
            dir: dir.to_path_buf(),
            desc: self.desc,
            runs: self
                .runs
                .into_iter()
                .map(|f| BufReader::with_capacity(256 * 1024, f))
                .collect(),
            heap: BinaryHeap::new(),
            failed: false,
        };
        for i in 0..merge.runs.len() {
            merge.refill(i)?;
        }
        // Rows before the offset are passed over without being decoded.
        let mut skipped = 0;
        while skipped < offset && merge.advance()?.is_some() {
            skipped += 1;
        }
        Ok(Box::new(merge.take(len)))
    }
}

/// The next row of each run, ordered so that the heap's top comes first.
struct Head {
    item: Item,
    run: usize,
    desc: bool,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // BinaryHeap is a max-heap: the smallest (or, descending, the
        // largest) key must compare greatest.
        let o = (&self.item.0, &self.item.1).cmp(&(&other.item.0, &other.item.1));
        if self.desc { o } else { o.reverse() }
    }
}

struct Merge {
    dir: std::path::PathBuf,
    desc: bool,
    runs: Vec<BufReader<File>>,
    heap: BinaryHeap<Head>,
    failed: bool,
}

impl Merge {
    /// Reads the next row of run `i` onto the heap, if it has one.
    fn refill(&mut self, i: usize) -> Result<()> {
        let r = &mut self.runs[i];
        let mut len = [0u8; 4];
        match r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(io(&self.dir, e)),
        }
        let mut bytes = vec![0; u32::from_le_bytes(len) as usize];
        r.read_exact(&mut bytes).map_err(|e| io(&self.dir, e))?;
        let item: RunItem = postcard::from_bytes(&bytes).map_err(|e| io(&self.dir, e))?;
        self.heap.push(Head {
            item: (item.sort, item.id, item.row),
            run: i,
            desc: self.desc,
        });
        Ok(())
    }

    /// The next encoded row in order.
    fn advance(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(head) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(head.run)?;
        Ok(Some(head.item.2))
    }
}

impl Iterator for Merge {
    type Item = Result<KeyRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.advance() {
            Ok(Some(row)) => Some(decode(&self.dir, &row)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
