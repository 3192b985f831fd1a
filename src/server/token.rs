//! Access tokens: RS256 JWTs signed by a key the server keeps in the data
//! directory (mode 0600), published as a JWKS. The key pair is made once,
//! with the `rsa` crate; signing and verifying use `ring`, whose RSA
//! operations are constant-time.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{self, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use serde::{Deserialize, Serialize};

/// The signing key's file in the data directory.
pub const SIGNING_KEY_FILE: &str = "token-signing-key.pk8";

/// How long an access token is valid, in seconds.
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iam_id: String,
    /// IBM's copy of `iam_id`.
    pub id: String,
    pub realmid: String,
    pub sub: String,
    pub sub_type: String,
    pub account: TokenAccount,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub grant_type: String,
    pub scope: String,
    pub client_id: String,
    pub jti: String,
    /// The user's email, as IBM's tokens carry it (none for a service ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's (or service ID's) name, as IBM's tokens carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// iamkeys: the key the token was exchanged for (none for a persona).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iamkeys_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenAccount {
    pub bss: String,
    pub valid: bool,
}

pub struct Signer {
    pair: RsaKeyPair,
    public: RsaPublicKeyComponents<Vec<u8>>,
    kid: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("the token signing key {0} cannot be read: {1}")]
    Read(PathBuf, String),
    #[error("the token signing key {0} is not a usable RSA key: {1}")]
    Invalid(PathBuf, String),
    #[error("the token signing key {0} cannot be written: {1}")]
    Write(PathBuf, String),
}

impl Signer {
    /// Loads the data directory's signing key, making it (2048-bit RSA,
    /// private to this user) the first time.
    pub fn load_or_create(dir: &Path) -> Result<Signer, SignerError> {
        let path = dir.join(SIGNING_KEY_FILE);
        let der = match std::fs::read(&path) {
            Ok(der) => der,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let der = generate().map_err(|e| SignerError::Write(path.clone(), e))?;
                write_private(&path, &der).map_err(|e| SignerError::Write(path.clone(), e))?;
                tracing::info!(file = %path.display(), "token signing key created");
                der
            }
            Err(e) => return Err(SignerError::Read(path, e.to_string())),
        };
        Signer::from_pkcs8(&der).map_err(|e| SignerError::Invalid(path, e))
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<Signer, String> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let digest = ring::digest::digest(&ring::digest::SHA256, &public.n);
        let kid = hex(&digest.as_ref()[..8]);
        Ok(Signer { pair, public, kid })
    }

    /// The signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let mut token = B64.encode(header.to_string());
        token.push('.');
        token.push_str(&B64.encode(serde_json::to_vec(claims).expect("claims serialise")));
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut sig,
            )
            .expect("an RSA key signs");
        token.push('.');
        token.push_str(&B64.encode(sig));
        token
    }

    /// The claims of a token this server signed, if its signature holds
    /// and it has not expired at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        if token.len() > 8192 {
            return None;
        }
        let (signed, sig) = token.rsplit_once('.')?;
        let (header, body) = signed.split_once('.')?;
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "RS256" {
            return None;
        }
        let sig = B64.decode(sig).ok()?;
        self.public
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &sig,
            )
            .ok()?;
        let claims: Claims = serde_json::from_slice(&B64.decode(body).ok()?).ok()?;
        (claims.exp > now && claims.iat <= now + 60).then_some(claims)
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": self.kid,
                "n": B64.encode(&self.public.n),
                "e": B64.encode(&self.public.e),
            }]
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new 2048-bit RSA key in PKCS#8 DER.
fn generate() -> Result<Vec<u8>, String> {
    use rsa::pkcs8::EncodePrivateKey;
    let key =
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
    let doc = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(doc.as_bytes().to_vec())
}

/// Writes `bytes` to a new file readable by this user only, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| e.to_string())?;
    f.write_all(bytes).map_err(|e| e.to_string())?;
    f.sync_all().map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent()
        && let Ok(d) = std::fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iam_id: "IBMid-1".into(),
            id: "IBMid-1".into(),
            realmid: "IBMid".into(),
            sub: "a@example.com".into(),
            sub_type: "user".into(),
            account: TokenAccount {
                bss: "acc".into(),
                valid: true,
            },
            iat: 100,
            exp,
            iss: "iamkeys".into(),
            grant_type: "urn:ibm:params:oauth:grant-type:apikey".into(),
            scope: "ibm openid".into(),
            client_id: "default".into(),
            jti: "j".into(),
            email: Some("ada@acme.example".into()),
            name: Some("Ada Lovelace".into()),
            iamkeys_key: Some("ApiKey-1".into()),
        }
    }

    #[test]
    fn tokens_verify_until_they_expire_and_not_when_tampered() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(dir.path()).unwrap();
        let t = signer.sign(&claims(200));
        assert_eq!(signer.verify(&t, 150), Some(claims(200)));
        assert_eq!(signer.verify(&t, 200), None, "expired");
        let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
        let mut forged = claims(200);
        forged.iam_id = "IBMid-2".into();
        parts[1] = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(signer.verify(&parts.join("."), 150), None, "tampered");
        // The same key comes back from the file, private to the user.
        let again = Signer::load_or_create(dir.path()).unwrap();
        assert_eq!(again.verify(&t, 150), Some(claims(200)));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(SIGNING_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
