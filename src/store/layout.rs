//! How the sled backend lays keys and their indexes out (schema 5), apart
//! from sled itself so that tests and tools can read a store's trees.
//!
//! sled 0.34 keeps a page table entry per tree node in memory and loads the
//! whole table at every start; a leaf splits past 16 entries whatever their
//! size. So the cost of opening a store grows with the number of *entries*,
//! not of bytes, and a million keys stored one entry per key and index made
//! every command pay for some 600,000 pages. Schema 4 stores few, fatter
//! entries instead: every value below is a [`Set`] of byte-string pairs.
//!
//! * `keys`: [`record_bucket`]\(id) → (key id, key record): 32,768 buckets
//!   at most, about 30 keys (9 KB) each at a million keys;
//! * `keys_by_lookup`: [`lookup_bucket`]\(lookup id) → (lookup id, key id):
//!   8,192 buckets at most;
//! * `keys_by_name`: account \0 [`name_bucket`]\(name) → (name, key id):
//!   8,192 buckets per account at most;
//! * `keys_by_owner`: account \0 iam_id \0 kind [`owner_entry`] → (key id,
//!   ""): up to 8 entries per identity, side by side, which is what the
//!   "My" view and the per-identity limit read; the all-views read the
//!   owner entries of one account.
//! * `keys_by_expiry`: account \0 [`expiry_entry`] (the UTC day a key
//!   expires) → (key id, ""): removing expired keys reads the days past
//!   their retention, not every key.
//! * `members`: account \0 iam_id → the membership (JSON), so that a
//!   request reads the members it needs, not the whole account.
//!
//! Entries stay near 8 KB at a million keys: sled writes a node larger than
//! a quarter of its 512 KB log segment to a file of its own, and a node
//! holds up to 16 entries. The buckets are chosen by FNV-1a, which is fixed
//! here (unlike the standard library's hasher, which may change between
//! releases).
//!
//! Schema 5 stores a packed set compressed ([`seal`], LZ4) where that makes
//! it smaller: a million keys' entries shrink from 434 to about 212 MB.
//! sled reads the header of every 512 KB segment of its log at each start,
//! so a smaller log is a faster start. Whatever reads an entry of these
//! trees goes through [`open`]; a set stored plain (every entry of a
//! schema-4 store) reads as it is.

/// FNV-1a, 64 bits.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// How many bits of the hash choose a key record's bucket.
pub const RECORD_BITS: u32 = 15;
/// How many bits choose a lookup id's bucket.
pub const LOOKUP_BITS: u32 = 13;
/// How many bits choose a name's bucket within an account.
pub const NAME_BITS: u32 = 13;

fn bucket(bytes: &[u8], bits: u32) -> u16 {
    // Lossless: the shift leaves at most 16 bits.
    (fnv1a(bytes) >> (64 - bits)) as u16
}

/// The `keys` entry holding the record of key `id`.
pub fn record_bucket(id: &str) -> [u8; 2] {
    bucket(id.as_bytes(), RECORD_BITS).to_be_bytes()
}

/// The number of a record bucket, from its entry.
pub fn record_bucket_number(entry: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(entry.try_into().ok()?))
}

/// The `keys_by_lookup` entry holding lookup id `lookup`.
pub fn lookup_bucket(lookup: &str) -> [u8; 2] {
    bucket(lookup.as_bytes(), LOOKUP_BITS).to_be_bytes()
}

/// The `keys_by_name` entry holding the keys named `name` in `account`.
pub fn name_bucket(account: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + 3);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(&bucket(name.as_bytes(), NAME_BITS).to_be_bytes());
    k
}

/// How many bits of a key id's hash choose its part of its owner's list.
pub const OWNER_CHUNK_BITS: u32 = 3;

/// The prefix of the `keys_by_owner` entries of one identity's keys of one
/// kind: account \0 iam_id \0 kind.
pub fn owner_prefix(account: &str, iam_id: &str, kind_code: u8) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + iam_id.len() + 4);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(iam_id.as_bytes());
    k.push(0);
    k.push(kind_code);
    k
}

/// The `keys_by_owner` entry holding key `id` of one identity: the
/// identity's list is cut in up to 8 parts (by the id's hash), so that a
/// thousand keys make 8 entries of some 6 KB, not one of 50 KB (sled
/// writes a node above 128 KB, 16 entries at most, to a file of its own).
pub fn owner_entry(account: &str, iam_id: &str, kind_code: u8, id: &str) -> Vec<u8> {
    let mut k = owner_prefix(account, iam_id, kind_code);
    k.push(bucket(id.as_bytes(), OWNER_CHUNK_BITS) as u8);
    k
}

/// The identity and kind code of an owner entry of `account`.
pub fn owner_entry_parts<'a>(account: &str, entry: &'a [u8]) -> Option<(&'a [u8], u8)> {
    let rest = entry.strip_prefix(account.as_bytes())?.strip_prefix(&[0])?;
    let (_chunk, rest) = rest.split_last()?;
    let (kind, rest) = rest.split_last()?;
    let iam_id = rest.strip_suffix(&[0])?;
    Some((iam_id, *kind))
}

/// The `keys_by_expiry` entry of the keys of `account` that expire on the
/// UTC day of `expires_at`: account \0 the day (days since 1970, as a
/// big-endian u64 with the sign bit flipped, so that entries sort by day).
pub fn expiry_entry(account: &str, expires_at: jiff::Timestamp) -> Vec<u8> {
    let mut k = account_prefix(account);
    k.extend_from_slice(&day_bytes(expires_at));
    k
}

fn day_bytes(t: jiff::Timestamp) -> [u8; 8] {
    let day = t.as_second().div_euclid(86_400);
    // Lossless: flips the sign bit of the two's complement.
    ((day as u64) ^ (1 << 63)).to_be_bytes()
}

/// The first `keys_by_expiry` entry of `account` past the UTC day of `t`:
/// the entries before it hold the keys that expire on that day or earlier.
pub fn expiry_entry_after(account: &str, t: jiff::Timestamp) -> Vec<u8> {
    let mut k = expiry_entry(account, t);
    // The next day's entry: the day's bytes plus one.
    let n = k.len();
    let day = u64::from_be_bytes(k[n - 8..].try_into().expect("8 bytes")).saturating_add(1);
    k[n - 8..].copy_from_slice(&day.to_be_bytes());
    k
}

/// The `members` entry of `iam_id` in `account`.
pub fn member_entry(account: &str, iam_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + iam_id.len() + 1);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(iam_id.as_bytes());
    k
}

/// The prefix of every entry of `account` in a tree keyed by account.
pub fn account_prefix(account: &str) -> Vec<u8> {
    let mut k = account.as_bytes().to_vec();
    k.push(0);
    k
}

/// A sorted set of (a, b) byte-string pairs, packed in one value: each
/// pair is `len(a) a len(b) b`, lengths as u32 little-endian.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Set {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Why a packed set cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a packed entry is cut short or out of order")]
pub struct Unreadable;

/// The trees whose entries are packed sets ([`Set`]): plain in schema 4,
/// sealed where that is smaller in schema 5.
pub const PACKED_TREES: [&str; 5] = [
    "keys",
    "keys_by_lookup",
    "keys_by_name",
    "keys_by_owner",
    "keys_by_expiry",
];

/// What a sealed entry starts with: a length no plain set can start with
/// (a pair of 4 GiB).
const SEALED: [u8; 4] = [0xff; 4];

/// A set smaller than this is stored as it is.
const SEAL_FROM: usize = 64;

/// The largest set an entry may unseal to. An entry is a few KB (a
/// thousand pairs at most, in the largest owner entry); a damaged length
/// must not make a reader allocate gigabytes.
const UNSEALED_MAX: usize = 64 << 20;

/// The stored form of the packed set `packed`: LZ4-compressed behind
/// [`SEALED`] and its length, when that is smaller; else `packed`.
pub fn seal(packed: Vec<u8>) -> Vec<u8> {
    if packed.len() < SEAL_FROM {
        return packed;
    }
    let Ok(len) = u32::try_from(packed.len()) else {
        return packed;
    };
    let mut out = Vec::with_capacity(8 + lz4_flex::block::get_maximum_output_size(packed.len()));
    out.extend_from_slice(&SEALED);
    out.extend_from_slice(&len.to_le_bytes());
    out.resize(out.capacity(), 0);
    match lz4_flex::block::compress_into(&packed, &mut out[8..]) {
        Ok(n) if 8 + n < packed.len() => {
            out.truncate(8 + n);
            out
        }
        _ => packed,
    }
}

/// Whether a stored entry is sealed (compressed), not plain.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(&SEALED)
}

/// The packed set a stored entry holds: the entry itself, or what it
/// unseals to ([`seal`]).
pub fn open(stored: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Unreadable> {
    let Some(body) = stored.strip_prefix(&SEALED) else {
        return Ok(std::borrow::Cow::Borrowed(stored));
    };
    let (len, compressed) = body.split_first_chunk::<4>().ok_or(Unreadable)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| Unreadable)?;
    // LZ4 expands at most 255-fold.
    if len > UNSEALED_MAX || len > compressed.len().saturating_mul(255) {
        return Err(Unreadable);
    }
    let mut out = vec![0; len];
    match lz4_flex::block::decompress_into(compressed, &mut out) {
        Ok(n) if n == len => Ok(std::borrow::Cow::Owned(out)),
        _ => Err(Unreadable),
    }
}

fn take<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], Unreadable> {
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or(Unreadable)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| Unreadable)?;
    if rest.len() < len {
        return Err(Unreadable);
    }
    let (item, rest) = rest.split_at(len);
    *bytes = rest;
    Ok(item)
}

/// The pairs of a packed set, in order, without copying them.
pub fn pairs(mut bytes: &[u8]) -> impl Iterator<Item = Result<(&[u8], &[u8]), Unreadable>> {
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || bytes.is_empty() {
            return None;
        }
        let pair = take(&mut bytes).and_then(|a| Ok((a, take(&mut bytes)?)));
        failed = pair.is_err();
        Some(pair)
    })
}

/// The second part of the first pair whose first part is `a`.
pub fn find<'b>(bytes: &'b [u8], a: &[u8]) -> Result<Option<&'b [u8]>, Unreadable> {
    for pair in pairs(bytes) {
        let (k, v) = pair?;
        if k == a {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Appends the pair (a, b) to a packed set being built in order.
pub fn push_pair(out: &mut Vec<u8>, a: &[u8], b: &[u8]) {
    put(out, a);
    put(out, b);
}

fn put(out: &mut Vec<u8>, item: &[u8]) {
    let len = u32::try_from(item.len()).expect("store entries are far below 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(item);
}

impl Set {
    /// Reads a stored set (plain or sealed); `None` (no entry) is the
    /// empty set.
    pub fn read(stored: Option<&[u8]>) -> Result<Set, Unreadable> {
        let mut pairs_out = Vec::new();
        if let Some(stored) = stored {
            for pair in pairs(&open(stored)?) {
                let (a, b) = pair?;
                pairs_out.push((a.to_vec(), b.to_vec()));
            }
        }
        if pairs_out.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Unreadable);
        }
        Ok(Set { pairs: pairs_out })
    }

    /// Builds a set from pairs in any order; duplicates are kept once.
    pub fn from_pairs(mut pairs_in: Vec<(Vec<u8>, Vec<u8>)>) -> Set {
        pairs_in.sort_unstable();
        pairs_in.dedup();
        Set { pairs: pairs_in }
    }

    /// The set as it is stored: packed, then sealed ([`seal`]).
    pub fn pack(&self) -> Vec<u8> {
        let size = self.pairs.iter().map(|(a, b)| a.len() + b.len() + 8).sum();
        let mut out = Vec::with_capacity(size);
        for (a, b) in &self.pairs {
            put(&mut out, a);
            put(&mut out, b);
        }
        seal(out)
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pairs.iter().map(|(a, b)| (a.as_slice(), b.as_slice()))
    }

    /// Adds the pair (a, b).
    pub fn insert(&mut self, a: &[u8], b: &[u8]) {
        let probe = (a, b);
        match self
            .pairs
            .binary_search_by(|(x, y)| (x.as_slice(), y.as_slice()).cmp(&probe))
        {
            Ok(_) => {}
            Err(at) => self.pairs.insert(at, (a.to_vec(), b.to_vec())),
        }
    }

    /// Sets the one pair whose first part is `a` (a map's insert).
    pub fn replace(&mut self, a: &[u8], b: &[u8]) {
        self.remove_all(a);
        self.insert(a, b);
    }

    /// Removes the pair (a, b); whether it was there.
    pub fn remove(&mut self, a: &[u8], b: &[u8]) -> bool {
        let probe = (a, b);
        match self
            .pairs
            .binary_search_by(|(x, y)| (x.as_slice(), y.as_slice()).cmp(&probe))
        {
            Ok(at) => {
                self.pairs.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes every pair whose first part is `a`; whether there was one.
    pub fn remove_all(&mut self, a: &[u8]) -> bool {
        let before = self.pairs.len();
        self.pairs.retain(|(x, _)| x != a);
        self.pairs.len() != before
    }

    /// The second part of the first pair whose first part is `a`.
    pub fn get(&self, a: &[u8]) -> Option<&[u8]> {
        let at = self.pairs.partition_point(|(x, _)| x.as_slice() < a);
        self.pairs
            .get(at)
            .filter(|(x, _)| x == a)
            .map(|(_, b)| b.as_slice())
    }
}

/// An entry and one of its pairs.
pub type Triple = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Every pair of every entry of a tree of packed sets, as (entry, a, b):
/// for tools and tests that look under the store.
pub fn tree_pairs(tree: &sled::Tree) -> Result<Vec<Triple>, String> {
    let mut out = Vec::new();
    for item in tree {
        let (entry, stored) = item.map_err(|e| e.to_string())?;
        for pair in pairs(&open(&stored).map_err(|e| e.to_string())?) {
            let (a, b) = pair.map_err(|e| e.to_string())?;
            out.push((entry.to_vec(), a.to_vec(), b.to_vec()));
        }
    }
    Ok(out)
}

/// Every key record of a store of schema 4 or 5, as (key id, record).
pub fn records(db: &sled::Db) -> Result<Vec<(String, Vec<u8>)>, String> {
    let keys = db.open_tree("keys").map_err(|e| e.to_string())?;
    Ok(tree_pairs(&keys)?
        .into_iter()
        .map(|(_, id, record)| (String::from_utf8_lossy(&id).into_owned(), record))
        .collect())
}

/// Changes one packed entry of `tree` with `f` (removing it once empty):
/// for tests that damage a store on purpose.
pub fn edit(tree: &sled::Tree, entry: &[u8], f: impl FnOnce(&mut Set)) -> Result<(), String> {
    let bytes = tree.get(entry).map_err(|e| e.to_string())?;
    let mut set = Set::read(bytes.as_deref()).map_err(|e| e.to_string())?;
    f(&mut set);
    if set.is_empty() {
        tree.remove(entry).map_err(|e| e.to_string())?;
    } else {
        tree.insert(entry, set.pack()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_packs_and_reads_back() {
        let mut s = Set::default();
        s.insert(b"b", b"2");
        s.insert(b"a", b"1");
        s.insert(b"a", b"0");
        s.insert(b"a", b"1");
        assert_eq!(s.len(), 3);
        let back = Set::read(Some(&s.pack())).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.get(b"a"), Some(&b"0"[..]));
        assert_eq!(find(&s.pack(), b"b").unwrap(), Some(&b"2"[..]));
        s.replace(b"a", b"9");
        assert_eq!(s.len(), 2);
        assert!(s.remove(b"b", b"2"));
        assert!(!s.remove(b"b", b"2"));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![(&b"a"[..], &b"9"[..])]);
        assert_eq!(Set::read(None).unwrap(), Set::default());
    }

    #[test]
    fn a_cut_or_disordered_set_is_unreadable() {
        let mut s = Set::default();
        s.insert(b"key", b"value");
        s.insert(b"other", b"x");
        let packed = s.pack();
        // "key" sorts first: its pair ends at 4 + 3 + 4 + 5 bytes.
        let boundary = 16;
        for cut in (1..packed.len()).filter(|c| *c != boundary) {
            assert!(Set::read(Some(&packed[..cut])).is_err(), "cut at {cut}");
        }
        assert_eq!(Set::read(Some(&packed[..boundary])).unwrap().len(), 1);
        let mut swapped = Vec::new();
        put(&mut swapped, b"z");
        put(&mut swapped, b"");
        put(&mut swapped, b"a");
        put(&mut swapped, b"");
        assert!(Set::read(Some(&swapped)).is_err());
    }

    #[test]
    fn a_sealed_set_opens_to_itself_and_only_when_smaller() {
        // Sets as the key trees hold them: repetitive, compressed.
        let mut s = Set::default();
        for i in 0..40 {
            s.insert(
                format!("ApiKey-{i:08}-0000-4000-8000-000000000000").as_bytes(),
                b"",
            );
        }
        let plain = {
            let mut out = Vec::new();
            for (a, b) in s.iter() {
                push_pair(&mut out, a, b);
            }
            out
        };
        let stored = s.pack();
        assert!(stored.starts_with(&SEALED) && stored.len() < plain.len() / 2);
        assert_eq!(&*open(&stored).unwrap(), &plain[..]);
        assert_eq!(Set::read(Some(&stored)).unwrap(), s);
        // Small or incompressible sets stay as they are.
        let small = b"\x01\0\0\0a\0\0\0\0".to_vec();
        assert_eq!(seal(small.clone()), small);
        let mut noise = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..512 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.push(x.to_le_bytes()[0]);
        }
        let mut incompressible = Vec::new();
        push_pair(&mut incompressible, &noise, b"");
        assert_eq!(seal(incompressible.clone()), incompressible);
        assert!(matches!(
            open(&incompressible).unwrap(),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_damaged_sealed_entry_is_unreadable_without_allocating_its_claim() {
        let mut s = Set::default();
        for i in 0..40 {
            s.insert(format!("name-{i}").as_bytes(), b"ApiKey-0000-4000-8000");
        }
        let stored = s.pack();
        assert!(stored.starts_with(&SEALED));
        for len in [u32::MAX, 64 << 20 | 1, 1 << 30] {
            let mut v = stored.clone();
            v[4..8].copy_from_slice(&len.to_le_bytes());
            assert_eq!(open(&v), Err(Unreadable), "claims {len}");
        }
        // A length that is off, a cut body, a body of noise.
        let mut off = stored.clone();
        let len = u32::from_le_bytes(off[4..8].try_into().unwrap());
        off[4..8].copy_from_slice(&(len + 1).to_le_bytes());
        assert_eq!(open(&off), Err(Unreadable));
        for cut in 0..stored.len() {
            assert!(open(&stored[..cut]).is_err() || cut < 4, "cut at {cut}");
        }
        let mut noise = stored.clone();
        for b in &mut noise[8..] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        assert!(Set::read(Some(&noise)).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any set seals and opens back to itself, and any bytes behind
        /// the mark open or are unreadable, without a panic and without
        /// allocating more than the cap.
        #[test]
        fn sealing_round_trips_and_damage_never_panics(
            pairs in proptest::collection::vec(
                (proptest::collection::vec(0u8..4, 0..40), proptest::collection::vec(0u8..4, 0..80)),
                0..40,
            ),
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let set = Set::from_pairs(pairs);
            proptest::prop_assert_eq!(Set::read(Some(&set.pack())).unwrap(), set);
            let mut damaged = SEALED.to_vec();
            damaged.extend_from_slice(&noise);
            if let Ok(plain) = open(&damaged) {
                proptest::prop_assert!(plain.len() <= UNSEALED_MAX);
            }
            let _ = Set::read(Some(&damaged));
        }
    }

    #[test]
    fn buckets_stay_in_range_and_are_stable() {
        // Fixed values: a change of hash would orphan every stored key.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert!(u16::from_be_bytes(lookup_bucket("anything")) < 1 << LOOKUP_BITS);
        let day = |s: &str| expiry_entry("acc", s.parse().unwrap());
        assert!(day("1969-12-31T23:59:59Z") < day("1970-01-01T00:00:00Z"));
        assert_eq!(day("1970-01-01T00:00:00Z"), day("1970-01-01T23:59:59Z"));
        assert!(day("2026-12-01T23:59:59Z") < day("2026-12-02T00:00:00Z"));
        assert_eq!(
            expiry_entry_after("acc", "2026-12-01T05:00:00Z".parse().unwrap()),
            day("2026-12-02T00:00:00Z")
        );
        let e = owner_entry("acc", "IBMid-1", 2, "ApiKey-1");
        assert!(e.starts_with(&owner_prefix("acc", "IBMid-1", 2)));
        assert_eq!(owner_entry_parts("acc", &e), Some((&b"IBMid-1"[..], 2)));
        assert_eq!(owner_entry_parts("ac", &e), None);
    }
}
