//! How records and index entries are laid out as sled keys and values.

use super::*;

pub(super) fn owner_key(account: &str, iam_id: &str, kind: KeyKind, id: &str) -> Vec<u8> {
    let mut k = owner_prefix(account, iam_id, kind);
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn owner_prefix(account: &str, iam_id: &str, kind: KeyKind) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + iam_id.len() + 48);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(iam_id.as_bytes());
    k.push(0);
    k.push(kind.code());
    k.push(0);
    k
}

pub(super) fn kind_key(account: &str, kind: KeyKind, id: &str) -> Vec<u8> {
    let mut k = kind_prefix(account, kind);
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn kind_prefix(account: &str, kind: KeyKind) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + 48);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.push(kind.code());
    k.push(0);
    k
}

pub(super) fn service_key(account: &str, id: &str) -> Vec<u8> {
    let mut k = account.as_bytes().to_vec();
    k.push(0);
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

/// The name index's entry for a key: account \0 name \0 key id. A name may
/// hold any character, so readers compare the stored key's name too.
pub(super) fn name_key(account: &str, name: &str, id: &str) -> Vec<u8> {
    let mut k = name_prefix(account, name);
    k.extend_from_slice(id.as_bytes());
    k
}

pub(super) fn name_prefix(account: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + name.len() + 48);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k
}
