//! A listing of any size in bounded memory: rows are kept in memory up to
//! a budget, and past it each batch is sorted and written, as a run, to an
//! unnamed temporary file in the data directory (private, and gone when
//! closed, even after a crash); the runs are merged on the way out. The
//! store is read once, in its own order, and each row is decoded once.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use super::*;

/// What a row sorts by, its id (ties), and the row.
type Item = (SortKey, String, KeyRow);

/// How many bytes of rows a listing keeps in memory before it spills.
pub const SPILL_BUDGET: usize = 48 * 1024 * 1024;

/// A row as a run holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Spilled {
    sort: SortKey,
    key: ApiKey,
    owner: String,
    created_by: String,
}

fn io(dir: &std::path::Path, e: std::io::Error) -> ServiceError {
    ServiceError::Store(StoreError::Io {
        dir: dir.to_path_buf(),
        detail: format!("a listing could not use its temporary file: {e}"),
    })
}

fn approx_size(row: &KeyRow) -> usize {
    let k = &row.key;
    512 + k.name.len()
        + k.description.len()
        + k.history
            .iter()
            .map(|h| h.actor.len() + h.action.len() + h.message.len() + 48)
            .sum::<usize>()
        + row.owner.len()
        + row.created_by.len()
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
        self.used += approx_size(&row);
        self.rows.push((sort, row.key.id.clone(), row));
        if self.used > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the rows held as one sorted run.
    fn spill(&mut self) -> Result<()> {
        let mut rows = std::mem::take(&mut self.rows);
        self.order(&mut rows);
        let mut file =
            BufWriter::new(tempfile::tempfile_in(self.dir).map_err(|e| io(self.dir, e))?);
        for (sort, _, row) in rows {
            let bytes = postcard::to_stdvec(&Spilled {
                sort,
                key: row.key,
                owner: row.owner,
                created_by: row.created_by,
            })
            .map_err(|e| io(self.dir, std::io::Error::other(e)))?;
            let len =
                u32::try_from(bytes.len()).map_err(|e| io(self.dir, std::io::Error::other(e)))?;
            file.write_all(&len.to_le_bytes())
                .map_err(|e| io(self.dir, e))?;
            file.write_all(&bytes).map_err(|e| io(self.dir, e))?;
        }
        let mut file = file
            .into_inner()
            .map_err(|e| io(self.dir, e.into_error()))?;
        file.rewind().map_err(|e| io(self.dir, e))?;
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
        if self.runs.is_empty() {
            let mut rows = std::mem::take(&mut self.rows);
            self.order(&mut rows);
            return Ok(Box::new(
                rows.into_iter()
                    .skip(offset)
                    .take(len)
                    .map(|(_, _, r)| Ok(r)),
            ));
        }
        if !self.rows.is_empty() {
            self.spill()?;
        }
        let mut merge = Merge {
            dir: self.dir.to_path_buf(),
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
        Ok(Box::new(merge.skip(offset).take(len)))
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
        let s: Spilled =
            postcard::from_bytes(&bytes).map_err(|e| io(&self.dir, std::io::Error::other(e)))?;
        let mut key = s.key;
        key.crn = ApiKey::crn_for(&key.account_id, &key.id);
        self.heap.push(Head {
            item: (
                s.sort,
                key.id.clone(),
                KeyRow {
                    key,
                    owner: s.owner,
                    created_by: s.created_by,
                },
            ),
            run: i,
            desc: self.desc,
        });
        Ok(())
    }
}

impl Iterator for Merge {
    type Item = Result<KeyRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let head = self.heap.pop()?;
        if let Err(e) = self.refill(head.run) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok(head.item.2))
    }
}
