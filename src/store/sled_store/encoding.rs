//! How records are encoded as sled values (the keys' layout is in
//! [`crate::store::layout`]).

use super::*;

pub(super) fn service_key(account: &str, id: &str) -> Vec<u8> {
    let mut k = layout::account_prefix(account);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Keys are the bulk of a store: they are stored in postcard, a compact
/// binary form of the same serde data, which halves the store against
/// JSON and with it the work sled does at every start. The few, small
/// account and user records stay JSON.
pub(super) fn encode_key(k: &ApiKey, failed: &SignInFailures) -> Vec<u8> {
    record::KeyRecord::new(k, failed).encode()
}

pub(super) fn decode_key(bytes: &[u8]) -> std::result::Result<(ApiKey, SignInFailures), String> {
    Ok(record::decode_key(bytes)?.into_key())
}

pub(super) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records always serialise")
}

/// An account's record: everything but its members, who have their own
/// entries (`members`).
pub(super) fn encode_account(a: &Account) -> Vec<u8> {
    encode(&Account {
        id: a.id.clone(),
        name: a.name.clone(),
        owner: a.owner.clone(),
        classic_infrastructure: a.classic_infrastructure,
        settings: a.settings.clone(),
        members: Vec::new(),
    })
}

/// The `members` entries of an account: (entry, value) in entry order.
pub(super) fn member_entries(a: &Account) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = a
        .members
        .iter()
        .enumerate()
        .map(|(place, m)| {
            (
                layout::member_entry(&a.id, &m.iam_id),
                encode(&MemberRecord {
                    place: u32::try_from(place).unwrap_or(u32::MAX),
                    member: m.clone(),
                }),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

/// Where a key goes in the trees of schemas 4 and 5: its id, account, owner,
/// kind, name, lookup id and expiry. What an upgrade holds per key while
/// it writes the new trees, instead of the whole key; account and owner
/// ids may be shared between keys.
#[derive(Debug)]
pub(super) struct Placement {
    pub(super) id: Box<str>,
    pub(super) account_id: Arc<str>,
    pub(super) iam_id: Arc<str>,
    pub(super) kind_code: u8,
    pub(super) name: Box<str>,
    pub(super) lookup: Option<Box<str>>,
    pub(super) expires: Option<jiff::Timestamp>,
}

impl Placement {
    pub(super) fn of(k: ApiKey) -> Placement {
        Placement {
            expires: expiry_of(&k),
            kind_code: k.kind.code(),
            id: k.id.into(),
            account_id: k.account_id.into(),
            iam_id: k.iam_id.into(),
            name: k.name.into(),
            lookup: k.lookup.map(Into::into),
        }
    }
}

impl AsRef<Placement> for Placement {
    fn as_ref(&self) -> &Placement {
        self
    }
}

/// A key of a new store as its trees are written from: where it goes, and
/// its record, encoded.
#[derive(Debug)]
pub(super) struct PackedKey {
    place: Placement,
    pub(super) record: Box<[u8]>,
}

impl AsRef<Placement> for PackedKey {
    fn as_ref(&self) -> &Placement {
        &self.place
    }
}

/// The keys of a new store, packed: what the store holds per key while it
/// is seeded is the key's record and where it goes, a fraction of an
/// [`ApiKey`], so a seed's keys can be handed over one at a time.
#[derive(Debug, Default)]
pub struct PackedKeys {
    pub(super) keys: Vec<PackedKey>,
    ids: std::collections::HashSet<Arc<str>>,
}

impl PackedKeys {
    /// Adds a new key (with no failed sign-ins).
    pub fn push(&mut self, k: &ApiKey) {
        let mut share = |s: &str| match self.ids.get(s) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = Arc::from(s);
                self.ids.insert(shared.clone());
                shared
            }
        };
        let place = Placement {
            account_id: share(&k.account_id),
            iam_id: share(&k.iam_id),
            id: k.id.as_str().into(),
            kind_code: k.kind.code(),
            name: k.name.as_str().into(),
            lookup: k.lookup.as_deref().map(Into::into),
            expires: expiry_of(k),
        };
        let record = encode_key(k, &SignInFailures::default()).into_boxed_slice();
        self.keys.push(PackedKey { place, record });
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// How many bytes of entries a seed or an upgrade writes between giving
/// the memory sled freed meanwhile back to the system.
const RELEASE_EVERY: usize = 8 << 20;

/// Counts what a seed or an upgrade writes, and gives the memory sled
/// frees meanwhile back every [`RELEASE_EVERY`] bytes. sled frees the
/// nodes an insert replaces in the middle of the heap, where the allocator
/// keeps them resident: at 100,000 keys that was anywhere from 10 to
/// 80 MiB on top of what sled holds, run to run.
#[derive(Default)]
pub(super) struct Releaser {
    written: usize,
}

impl Releaser {
    /// `bytes` more were written.
    pub(super) fn wrote(&mut self, bytes: usize) {
        self.written += bytes;
        if self.written >= RELEASE_EVERY {
            self.written = 0;
            crate::memory::release();
        }
    }
}

/// Writes the key trees of schema 5 for `keys` (into empty trees), each
/// tree in entry order — appending at the right edge of a tree leaves
/// sled's log without dead segments — one packed entry at a time: memory
/// holds the keys, an order over them and one entry, never a copy of the
/// trees. `record(i)` is the stored record of `keys[i]`.
pub(super) fn write_keys<K: AsRef<Placement>>(
    dir: &Path,
    db: &Db,
    keys: &[K],
    record: &dyn Fn(usize) -> Result<Vec<u8>>,
) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let tree = |name: &str| db.open_tree(name).map_err(e);
    // Writes one packed entry per run of equal `entry`, in the order given.
    let mut releaser = Releaser::default();
    let mut runs = |t: &Tree,
                    order: &[usize],
                    entry: &dyn Fn(usize) -> Vec<u8>,
                    pair: &mut dyn FnMut(usize, &mut Vec<u8>) -> Result<()>|
     -> Result<()> {
        let mut at = 0;
        while at < order.len() {
            let this = entry(order[at]);
            let mut value = Vec::new();
            let mut end = at;
            while end < order.len() && (end == at || entry(order[end]) == this) {
                pair(order[end], &mut value)?;
                end += 1;
            }
            let value = layout::seal(value);
            releaser.wrote(this.len() + value.len());
            t.insert(this, value).map_err(e)?;
            at = end;
        }
        Ok(())
    };
    let key = |i: usize| keys[i].as_ref();
    let mut order: Vec<usize> = (0..keys.len()).collect();

    order.sort_by_cached_key(|&i| (layout::record_bucket(&key(i).id), &*key(i).id));
    order.dedup_by(|a, b| *key(*a).id == *key(*b).id);
    runs(
        &tree("keys")?,
        &order,
        &|i| layout::record_bucket(&key(i).id).to_vec(),
        &mut |i, out| {
            layout::push_pair(out, key(i).id.as_bytes(), &record(i)?);
            Ok(())
        },
    )?;

    order.sort_by_cached_key(|&i| {
        let k = key(i);
        (
            layout::owner_entry(&k.account_id, &k.iam_id, k.kind_code, &k.id),
            &*k.id,
        )
    });
    runs(
        &tree("keys_by_owner")?,
        &order,
        &|i| {
            let k = key(i);
            layout::owner_entry(&k.account_id, &k.iam_id, k.kind_code, &k.id)
        },
        &mut |i, out| {
            layout::push_pair(out, key(i).id.as_bytes(), b"");
            Ok(())
        },
    )?;

    order.sort_by_cached_key(|&i| {
        let k = key(i);
        (
            layout::name_bucket(&k.account_id, &k.name),
            &*k.name,
            &*k.id,
        )
    });
    runs(
        &tree("keys_by_name")?,
        &order,
        &|i| layout::name_bucket(&key(i).account_id, &key(i).name),
        &mut |i, out| {
            layout::push_pair(out, key(i).name.as_bytes(), key(i).id.as_bytes());
            Ok(())
        },
    )?;

    let mut expiring: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| key(i).expires.is_some())
        .collect();
    let day = |i: usize| {
        let k = key(i);
        layout::expiry_entry(&k.account_id, k.expires.unwrap_or_default())
    };
    expiring.sort_by_cached_key(|&i| (day(i), &*key(i).id));
    runs(&tree("keys_by_expiry")?, &expiring, &day, &mut |i, out| {
        layout::push_pair(out, key(i).id.as_bytes(), b"");
        Ok(())
    })?;
    drop(expiring);

    order.retain(|&i| key(i).lookup.is_some());
    let lookup = |i: usize| key(i).lookup.as_deref().unwrap_or_default();
    order.sort_by_cached_key(|&i| (layout::lookup_bucket(lookup(i)), lookup(i)));
    order.dedup_by(|a, b| lookup(*a) == lookup(*b));
    runs(
        &tree("keys_by_lookup")?,
        &order,
        &|i| layout::lookup_bucket(lookup(i)).to_vec(),
        &mut |i, out| {
            layout::push_pair(out, lookup(i).as_bytes(), key(i).id.as_bytes());
            Ok(())
        },
    )?;
    Ok(())
}
