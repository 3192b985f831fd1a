//! API key values: format, generation, parsing, argon2id hashing.
//!
//! A key value looks like `iamk_` + 12-character lookup id + 24-character
//! secret + 6-character checksum, all base62:
//!
//! * the prefix lets secret scanners find keys in code and logs;
//! * the lookup id is public and indexed, so sign-in is one index lookup and
//!   exactly one argon2 verification however many keys exist;
//! * the secret carries 24 × log2(62) ≈ 142.9 bits from the OS generator;
//! * the checksum (CRC-32 of everything before it) lets a scanner tell a real
//!   key from noise offline, and lets sign-in reject a mistyped key before
//!   any hashing.
//!
//! Plain values live only in [`ApiKeySecret`], which zeroes its memory on
//! drop and prints as a redaction.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::TryRngCore;
use zeroize::{Zeroize, Zeroizing};

pub const PREFIX: &str = "iamk_";
pub const LOOKUP_LEN: usize = 12;
pub const SECRET_LEN: usize = 24;
pub const CHECKSUM_LEN: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + LOOKUP_LEN + SECRET_LEN + CHECKSUM_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A plain API key value. Zeroed on drop; `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(Zeroizing<String>);

impl ApiKeySecret {
    /// The plain value, for the one moment it is shown, copied or hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The public lookup id embedded in the value.
    pub fn lookup(&self) -> &str {
        &self.0[PREFIX.len()..PREFIX.len() + LOOKUP_LEN]
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

impl fmt::Display for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Text that may hold a key value as it was typed or pasted, before it is
/// parsed: zeroed on drop, redacted by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(text: &str) -> SecretText {
        SecretText(Zeroizing::new(text.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

/// Why a string is not an API key value. Never quotes the input, which may
/// be a real key with a typo in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("not an API key: it must start with \"{PREFIX}\"")]
    Prefix,
    #[error("not an API key: it must be {KEY_LEN} characters long, not {0}")]
    Length(usize),
    #[error("not an API key: character {0} is not a letter or digit")]
    Character(usize),
    #[error("not an API key: its checksum does not match (mistyped or truncated?)")]
    Checksum,
}

fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn random_base62(len: usize, out: &mut String) {
    // Rejection sampling keeps every character uniform: 248 = 4 × 62.
    let mut buf = Zeroizing::new([0u8; 64]);
    let mut produced = 0;
    while produced < len {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf[..])
            .expect("the operating system's random generator failed");
        for &b in buf.iter() {
            if b < 248 && produced < len {
                out.push(BASE62[(b % 62) as usize] as char);
                produced += 1;
            }
        }
    }
}

/// A new key value from the OS random generator.
pub fn generate() -> ApiKeySecret {
    let mut s = Zeroizing::new(String::with_capacity(KEY_LEN));
    s.push_str(PREFIX);
    random_base62(LOOKUP_LEN + SECRET_LEN, &mut s);
    let sum = checksum(&s);
    s.push_str(std::str::from_utf8(&sum).expect("base62 is ASCII"));
    ApiKeySecret(s)
}

/// Parses a key value: prefix, length, alphabet and checksum. Costs no hashing.
pub fn parse(input: &str) -> Result<ApiKeySecret, KeyFormatError> {
    let input = input.trim();
    if !input.starts_with(PREFIX) {
        return Err(KeyFormatError::Prefix);
    }
    let chars = input.chars().count();
    if chars != KEY_LEN || input.len() != KEY_LEN {
        return Err(KeyFormatError::Length(chars));
    }
    if let Some(pos) = input[PREFIX.len()..]
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
    {
        return Err(KeyFormatError::Character(PREFIX.len() + pos + 1));
    }
    let (body, sum) = input.split_at(KEY_LEN - CHECKSUM_LEN);
    if checksum(body) != sum.as_bytes() {
        return Err(KeyFormatError::Checksum);
    }
    Ok(ApiKeySecret(Zeroizing::new(input.to_string())))
}

/// The key value in exactly [`KEY_LEN`] bytes, if they are one: the
/// prefix, letters and digits, and a matching checksum. What a scanner
/// decides by: no hashing, no allocation unless it is a key.
pub fn parse_exact(bytes: &[u8]) -> Option<ApiKeySecret> {
    if bytes.len() != KEY_LEN || !bytes.starts_with(PREFIX.as_bytes()) {
        return None;
    }
    let (body, sum) = bytes.split_at(KEY_LEN - CHECKSUM_LEN);
    if !body[PREFIX.len()..]
        .iter()
        .chain(sum)
        .all(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let body = std::str::from_utf8(body).ok()?;
    if checksum(body) != sum {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    Some(ApiKeySecret(Zeroizing::new(text.to_string())))
}

/// What may be shown of a value that is not to be shown: the prefix and
/// the public lookup id, then an ellipsis (never the secret or the
/// checksum).
pub fn preview(secret: &ApiKeySecret) -> String {
    format!("{PREFIX}{}…", secret.lookup())
}

/// Whether text is, or looks like, an API key value: anything that parses,
/// anything with the prefix and about the key's length (a value with a
/// typo), and any text with the prefix followed by at least the lookup id
/// and secret's worth of letters and digits (a value inside other text).
/// Such text is never quoted back to the user.
pub fn looks_like_key(input: &str) -> bool {
    let t = input.trim();
    if parse(t).is_ok() {
        return true;
    }
    let prefixed = t
        .get(..PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX));
    (prefixed && t.chars().count().abs_diff(KEY_LEN) <= 2) || key_spans(t).next().is_some()
}

/// The byte ranges of key-like runs in `text`: the prefix (any case)
/// followed by at least [`LOOKUP_LEN`] + [`SECRET_LEN`] letters and digits.
fn key_spans(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        while from + PREFIX.len() <= bytes.len() {
            let at = from;
            from += 1;
            if !bytes[at..at + PREFIX.len()].eq_ignore_ascii_case(PREFIX.as_bytes()) {
                continue;
            }
            let body = at + PREFIX.len();
            let run = bytes[body..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if run >= LOOKUP_LEN + SECRET_LEN {
                from = body + run;
                return Some(at..body + run);
            }
        }
        None
    })
}

/// The byte ranges of the key-like runs in `text` (see [`looks_like_key`]):
/// what a recording of the screen masks.
pub fn key_like_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    key_spans(text).collect()
}

/// `text` with every key-like run (see [`looks_like_key`]) replaced by
/// `<API key value>`: for messages that quote what the user typed.
pub fn redact_values(text: &str) -> std::borrow::Cow<'_, str> {
    let spans: Vec<_> = key_spans(text).collect();
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in spans {
        out.push_str(&text[last..r.start]);
        out.push_str("<API key value>");
        last = r.end;
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// argon2id cost parameters. The default is OWASP's recommendation
/// (19 MiB, 2 passes, 1 lane); tests may lower them explicitly through
/// `IAMKEYS_ARGON2=m=KIB,t=PASSES,p=LANES`. Every hash records its own
/// parameters in its PHC string, so verification never depends on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams::OWASP
    }
}

impl HashParams {
    pub const OWASP: HashParams = HashParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// Cheap parameters for tests that hash many keys. Never a default.
    pub const TEST: HashParams = HashParams {
        m_kib: 256,
        t: 1,
        p: 1,
    };

    pub const ENV: &'static str = "IAMKEYS_ARGON2";

    /// The parameters from `IAMKEYS_ARGON2`, else OWASP's.
    pub fn from_env() -> Result<HashParams, String> {
        match std::env::var(Self::ENV) {
            Ok(v) => HashParams::parse(&v),
            Err(_) => Ok(HashParams::OWASP),
        }
    }

    /// The memory cost iamkeys accepts, in KiB: argon2's least (8 per
    /// lane) up to 1 GiB, so no setting can exhaust the machine.
    pub const M_KIB: std::ops::RangeInclusive<u32> = 8..=1024 * 1024;
    /// Passes over the memory.
    pub const T: std::ops::RangeInclusive<u32> = 1..=64;
    /// Lanes.
    pub const P: std::ops::RangeInclusive<u32> = 1..=16;

    pub fn parse(spec: &str) -> Result<HashParams, String> {
        let mut p = HashParams::OWASP;
        for part in spec.split(',') {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{}: expected m=KIB,t=N,p=N, got {spec:?}", Self::ENV))?;
            let (field, range) = match k.trim() {
                "m" => (&mut p.m_kib, Self::M_KIB),
                "t" => (&mut p.t, Self::T),
                "p" => (&mut p.p, Self::P),
                other => return Err(format!("{}: unknown parameter {other:?}", Self::ENV)),
            };
            let allowed = format!("{}..={}", range.start(), range.end());
            *field = v
                .trim()
                .parse()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "{}: {} must be a whole number in {allowed}, not {v:?}",
                        Self::ENV,
                        k.trim()
                    )
                })?;
        }
        p.check().map_err(|e| format!("{}: {e}", Self::ENV))?;
        Ok(p)
    }

    /// Within the ranges above, and valid for argon2 (memory of at least
    /// 8 KiB per lane).
    pub fn check(&self) -> Result<(), String> {
        let within = Self::M_KIB.contains(&self.m_kib)
            && Self::T.contains(&self.t)
            && Self::P.contains(&self.p);
        if !within || self.m_kib < 8 * self.p {
            return Err(format!(
                "m={},t={},p={} is out of range: m from 8 KiB per lane (8·p) to {} KiB, t in {}..={}, p in {}..={}",
                self.m_kib,
                self.t,
                self.p,
                Self::M_KIB.end(),
                Self::T.start(),
                Self::T.end(),
                Self::P.start(),
                Self::P.end()
            ));
        }
        Params::new(self.m_kib, self.t, self.p, None).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.m_kib, self.t, self.p, None)
            .expect("parameters were validated when parsed");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// The argon2id PHC string of a key value, with a fresh random salt.
pub fn hash(secret: &ApiKeySecret, params: HashParams) -> String {
    let mut salt_bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt_bytes)
        .expect("the operating system's random generator failed");
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt");
    salt_bytes.zeroize();
    params
        .argon2()
        .hash_password(secret.expose().as_bytes(), &salt)
        .expect("argon2id hashing with validated parameters cannot fail")
        .to_string()
}

/// Verifies a key value against a stored PHC string, using the parameters
/// recorded in it. A damaged PHC string verifies nothing.
/// Parameters outside [`HashParams`]' ranges verify nothing either, so a
/// damaged or hostile store cannot make a sign-in exhaust the machine.
pub fn verify(secret: &ApiKeySecret, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let recorded = HashParams {
        m_kib: params.m_cost(),
        t: params.t_cost(),
        p: params.p_cost(),
    };
    recorded.check().is_ok()
        && Argon2::default()
            .verify_password(secret.expose().as_bytes(), &parsed)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(parse(a.expose()).unwrap(), a);
        assert_eq!(a.expose().len(), KEY_LEN);
    }

    #[test]
    fn hash_records_parameters_and_verifies() {
        let k = generate();
        let h = hash(&k, HashParams::TEST);
        assert!(h.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{h}");
        assert!(verify(&k, &h));
        assert!(!verify(&generate(), &h));
    }

    #[test]
    fn owasp_is_default() {
        let k = generate();
        let h = hash(&k, HashParams::default());
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }

    #[test]
    fn key_like_text_is_recognised_and_redacted() {
        let k = generate();
        let v = k.expose();
        assert!(looks_like_key(v));
        assert!(looks_like_key(&format!("  {v}\n")));
        let mut typo = v.to_string();
        typo.replace_range(20..21, "-");
        assert!(looks_like_key(&typo), "a value with a typo");
        assert!(looks_like_key(&v[..KEY_LEN - 1]), "a truncated value");
        assert!(looks_like_key(&v.to_uppercase()));
        assert!(looks_like_key(&format!("name {v} tail")));
        for plain in [
            "",
            "iamk_",
            "iamk_rotation-tool",
            "ApiKey-401a6405-0000",
            "grace-cli",
        ] {
            assert!(!looks_like_key(plain), "{plain}");
        }
        let said = format!("unexpected argument '{v}' and '{v}'");
        let red = redact_values(&said);
        assert!(!red.contains(v), "{red}");
        assert_eq!(
            red,
            "unexpected argument '<API key value>' and '<API key value>'"
        );
        assert_eq!(redact_values("nothing here"), "nothing here");
    }

    #[test]
    fn every_parameter_is_bounded() {
        assert_eq!(
            HashParams::parse("m=1048576,t=64,p=16"),
            Ok(HashParams {
                m_kib: 1048576,
                t: 64,
                p: 16
            })
        );
        assert_eq!(
            HashParams::parse("m=8,t=1,p=1"),
            Ok(HashParams {
                m_kib: 8,
                t: 1,
                p: 1
            })
        );
        for (spec, says) in [
            ("m=4000000000,t=1,p=1", "8..=1048576"),
            ("m=1048577", "8..=1048576"),
            ("m=7", "8..=1048576"),
            ("t=0", "1..=64"),
            ("t=65", "1..=64"),
            ("p=0", "1..=16"),
            ("p=17", "1..=16"),
            ("m=64,p=16", "8 KiB per lane"),
            ("m=-1", "8..=1048576"),
            ("m=99999999999999999999", "8..=1048576"),
        ] {
            let e = HashParams::parse(spec).expect_err(spec);
            assert!(
                e.contains(says) && e.contains(HashParams::ENV),
                "{spec}: {e}"
            );
        }
    }

    #[test]
    fn a_stored_hash_with_parameters_out_of_range_verifies_nothing() {
        let k = generate();
        let h = hash(&k, HashParams::TEST);
        let huge = h.replace("m=256,t=1,p=1", "m=4000000000,t=1,p=1");
        assert_ne!(h, huge);
        assert!(!verify(&k, &huge));
        let slow = h.replace("m=256,t=1,p=1", "m=256,t=100000,p=1");
        assert!(!verify(&k, &slow));
    }

    #[test]
    fn redacted() {
        let k = generate();
        assert!(!format!("{k:?}{k}").contains(k.expose()));
    }
}
