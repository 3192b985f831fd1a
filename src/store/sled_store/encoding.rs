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

/// Where a key goes in the trees of schema 4: its id, account, owner,
/// kind, name and lookup id.
pub(super) trait Placed {
    fn id(&self) -> &str;
    fn account_id(&self) -> &str;
    fn iam_id(&self) -> &str;
    fn kind_code(&self) -> u8;
    fn name(&self) -> &str;
    fn lookup(&self) -> Option<&str>;
    fn expires(&self) -> Option<jiff::Timestamp>;
}

impl Placed for ApiKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn iam_id(&self) -> &str {
        &self.iam_id
    }
    fn kind_code(&self) -> u8 {
        self.kind.code()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn lookup(&self) -> Option<&str> {
        self.lookup.as_deref()
    }
    fn expires(&self) -> Option<jiff::Timestamp> {
        expiry_of(self)
    }
}

/// Just what [`Placed`] asks of a key: what an upgrade holds per key while
/// it writes the new trees, instead of the whole key.
pub(super) struct Placement {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) iam_id: String,
    pub(super) kind_code: u8,
    pub(super) name: String,
    pub(super) lookup: Option<String>,
    pub(super) expires: Option<jiff::Timestamp>,
}

impl Placement {
    pub(super) fn of(k: ApiKey) -> Placement {
        Placement {
            expires: expiry_of(&k),
            kind_code: k.kind.code(),
            id: k.id,
            account_id: k.account_id,
            iam_id: k.iam_id,
            name: k.name,
            lookup: k.lookup,
        }
    }
}

impl Placed for Placement {
    fn id(&self) -> &str {
        &self.id
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn iam_id(&self) -> &str {
        &self.iam_id
    }
    fn kind_code(&self) -> u8 {
        self.kind_code
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn lookup(&self) -> Option<&str> {
        self.lookup.as_deref()
    }
    fn expires(&self) -> Option<jiff::Timestamp> {
        self.expires
    }
}

/// A key of a new store as its trees are written from: where it goes, and
/// its record, encoded. Account and owner ids are shared between keys.
#[derive(Debug)]
pub(super) struct PackedKey {
    id: Box<str>,
    account_id: Arc<str>,
    iam_id: Arc<str>,
    kind_code: u8,
    name: Box<str>,
    lookup: Option<Box<str>>,
    expires: Option<jiff::Timestamp>,
    pub(super) record: Box<[u8]>,
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
        let packed = PackedKey {
            account_id: share(&k.account_id),
            iam_id: share(&k.iam_id),
            id: k.id.as_str().into(),
            kind_code: k.kind.code(),
            name: k.name.as_str().into(),
            lookup: k.lookup.as_deref().map(Into::into),
            expires: expiry_of(k),
            record: encode_key(k, &SignInFailures::default()).into_boxed_slice(),
        };
        self.keys.push(packed);
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Placed for PackedKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn iam_id(&self) -> &str {
        &self.iam_id
    }
    fn kind_code(&self) -> u8 {
        self.kind_code
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn lookup(&self) -> Option<&str> {
        self.lookup.as_deref()
    }
    fn expires(&self) -> Option<jiff::Timestamp> {
        self.expires
    }
}

/// Writes the key trees of schema 4 for `keys` (into empty trees), each
/// tree in entry order — appending at the right edge of a tree leaves
/// sled's log without dead segments — one packed entry at a time: memory
/// holds the keys, an order over them and one entry, never a copy of the
/// trees. `record(i)` is the stored record of `keys[i]`.
pub(super) fn write_keys<K: Placed>(
    dir: &Path,
    db: &Db,
    keys: &[K],
    record: &dyn Fn(usize) -> Result<Vec<u8>>,
) -> Result<()> {
    let e = |e: sled::Error| sled_error(dir, e);
    let tree = |name: &str| db.open_tree(name).map_err(e);
    // Writes one packed entry per run of equal `entry`, in the order given.
    let runs = |t: &Tree,
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
            t.insert(this, value).map_err(e)?;
            at = end;
        }
        Ok(())
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();

    order.sort_by_cached_key(|&i| (layout::record_bucket(keys[i].id()), keys[i].id()));
    order.dedup_by(|a, b| keys[*a].id() == keys[*b].id());
    runs(
        &tree("keys")?,
        &order,
        &|i| layout::record_bucket(keys[i].id()).to_vec(),
        &mut |i, out| {
            layout::push_pair(out, keys[i].id().as_bytes(), &record(i)?);
            Ok(())
        },
    )?;

    order.sort_by_cached_key(|&i| {
        let k = &keys[i];
        (
            layout::owner_entry(k.account_id(), k.iam_id(), k.kind_code(), k.id()),
            k.id(),
        )
    });
    runs(
        &tree("keys_by_owner")?,
        &order,
        &|i| {
            let k = &keys[i];
            layout::owner_entry(k.account_id(), k.iam_id(), k.kind_code(), k.id())
        },
        &mut |i, out| {
            layout::push_pair(out, keys[i].id().as_bytes(), b"");
            Ok(())
        },
    )?;

    order.sort_by_cached_key(|&i| {
        let k = &keys[i];
        (
            layout::name_bucket(k.account_id(), k.name()),
            k.name(),
            k.id(),
        )
    });
    runs(
        &tree("keys_by_name")?,
        &order,
        &|i| layout::name_bucket(keys[i].account_id(), keys[i].name()),
        &mut |i, out| {
            layout::push_pair(out, keys[i].name().as_bytes(), keys[i].id().as_bytes());
            Ok(())
        },
    )?;

    let mut expiring: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| keys[i].expires().is_some())
        .collect();
    let day = |i: usize| {
        let k = &keys[i];
        layout::expiry_entry(k.account_id(), k.expires().unwrap_or_default())
    };
    expiring.sort_by_cached_key(|&i| (day(i), keys[i].id()));
    runs(&tree("keys_by_expiry")?, &expiring, &day, &mut |i, out| {
        layout::push_pair(out, keys[i].id().as_bytes(), b"");
        Ok(())
    })?;
    drop(expiring);

    order.retain(|&i| keys[i].lookup().is_some());
    let lookup = |i: usize| keys[i].lookup().unwrap_or_default();
    order.sort_by_cached_key(|&i| (layout::lookup_bucket(lookup(i)), lookup(i)));
    order.dedup_by(|a, b| lookup(*a) == lookup(*b));
    runs(
        &tree("keys_by_lookup")?,
        &order,
        &|i| layout::lookup_bucket(lookup(i)).to_vec(),
        &mut |i, out| {
            layout::push_pair(out, lookup(i).as_bytes(), keys[i].id().as_bytes());
            Ok(())
        },
    )?;
    Ok(())
}
