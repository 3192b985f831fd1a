//! The YAML fixture format, version 1: parse, validate, turn into a store seed.
//! The format is a public contract (`fixture-format.md`): unknown fields are
//! errors, every optional field has its documented default, and every error
//! names the file, the line and column where the parser gives them, and the
//! path of the offending item.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Account, AccountSettings, Activity, ApiKey, Born, DEFAULT_KEYS_PER_IDENTITY, KeyKind,
    LeakAction, Membership, Role, ServiceId, User,
};
use crate::secret::{self, ApiKeySecret, HashParams};
use crate::store::Seed;
use crate::text::{self, MAX_DESCRIPTION, MAX_EMAIL, MAX_NAME};
use crate::{time, yaml};

/// The built-in demo, embedded in the binary.
pub const DEMO: &str = include_str!("../fixtures/demo.yaml");
pub const DEMO_NAME: &str = "built-in demo";

fn default_limit() -> u32 {
    DEFAULT_KEYS_PER_IDENTITY
}
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_default_limit(n: &u32) -> bool {
    *n == DEFAULT_KEYS_PER_IDENTITY
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub version: u32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub demo: bool,
    pub users: Vec<FixtureUser>,
    pub accounts: Vec<FixtureAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureUser {
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub functional: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureAccount {
    pub id: String,
    pub name: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub classic_infrastructure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<FixtureSettings>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<FixtureMember>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ids: Vec<FixtureServiceId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<FixtureKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classic_keys: Vec<FixtureClassicKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureSettings {
    #[serde(default, skip_serializing_if = "is_false")]
    pub restrict_api_key_creation: bool,
    #[serde(default = "default_limit", skip_serializing_if = "is_default_limit")]
    pub api_keys_per_identity: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureMember {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureServiceId {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureKey {
    pub name: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(
        default,
        deserialize_with = "time::optional::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_when_leaked: Option<LeakAction>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub support_sessions: bool,
    #[serde(
        default,
        deserialize_with = "time::optional::deserialize_moment",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<time::Moment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    #[serde(
        default,
        deserialize_with = "time::optional::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_authn: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authn_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apikey: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureClassicKey {
    pub owner: String,
    #[serde(
        default,
        deserialize_with = "time::optional::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<Timestamp>,
}

/// A fixture that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub path: String,
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl std::error::Error for FixtureError {}

const SERVICE_ID_PREFIX: &str = "service_id:";

/// Parses and validates a fixture. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Fixture, FixtureError> {
    let fixture: Fixture = yaml::from_str(text).map_err(|e| FixtureError {
        file: file.to_string(),
        line: e.line,
        column: e.column,
        path: e.path,
        message: e.message,
    })?;
    validate(&fixture).map_err(|(path, message)| FixtureError {
        file: file.to_string(),
        line: None,
        column: None,
        path,
        message,
    })?;
    Ok(fixture)
}

/// Reads and validates a fixture file.
pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
    let file = path.display().to_string();
    let text = yaml::read_file(path).map_err(|e| FixtureError {
        file: file.clone(),
        line: None,
        column: None,
        path: String::new(),
        message: format!("cannot read the fixture: {e}"),
    })?;
    parse(&text, &file)
}

pub fn demo() -> Fixture {
    parse(DEMO, DEMO_NAME).expect("the built-in demo fixture is valid")
}

fn valid_account_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

type Invalid = (String, String);

fn fail<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, Invalid> {
    Err((path.into(), message.into()))
}

/// Text in a fixture follows the command line's rules ([`text::check`]).
fn text_rule(
    path: String,
    what: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), Invalid> {
    text::check(what, value, max, required)
        .map(drop)
        .map_err(|message| (path, message))
}

fn validate(fx: &Fixture) -> Result<(), Invalid> {
    if fx.version != 1 {
        return fail(
            "version",
            format!(
                "unsupported fixture version {}: this iamkeys reads version 1",
                fx.version
            ),
        );
    }
    let mut emails = HashSet::new();
    for (i, u) in fx.users.iter().enumerate() {
        text_rule(
            format!("users[{i}].email"),
            "email",
            &u.email,
            MAX_EMAIL,
            true,
        )?;
        text_rule(format!("users[{i}].name"), "name", &u.name, MAX_NAME, true)?;
        if !emails.insert(u.email.as_str()) {
            return fail(
                format!("users[{i}].email"),
                format!("the email {} repeats", u.email),
            );
        }
    }
    let mut account_ids = HashSet::new();
    let mut apikeys = HashSet::new();
    for (a, acc) in fx.accounts.iter().enumerate() {
        let at = format!("accounts[{a}]");
        if !valid_account_id(&acc.id) {
            return fail(
                format!("{at}.id"),
                format!(
                    "the account id {:?} must be 1 to 40 characters of a-z, 0-9 and -",
                    acc.id
                ),
            );
        }
        if !account_ids.insert(acc.id.as_str()) {
            return fail(
                format!("{at}.id"),
                format!("the account id {} repeats", acc.id),
            );
        }
        text_rule(format!("{at}.name"), "name", &acc.name, MAX_NAME, true)?;
        if !emails.contains(acc.owner.as_str()) {
            return fail(
                format!("{at}.owner"),
                format!("{} is not one of the fixture's users", acc.owner),
            );
        }
        let limit = acc
            .settings
            .as_ref()
            .map_or(DEFAULT_KEYS_PER_IDENTITY, |s| s.api_keys_per_identity);
        if !(1..=1000).contains(&limit) {
            return fail(
                format!("{at}.settings.api_keys_per_identity"),
                format!("{limit} is out of range: it must be from 1 to 1000"),
            );
        }

        // Members and the invitation hierarchy.
        let mut inviter: HashMap<&str, Option<&str>> = HashMap::new();
        inviter.insert(acc.owner.as_str(), None);
        let mut listed = HashSet::new();
        for (m, mem) in acc.members.iter().enumerate() {
            let mt = format!("{at}.members[{m}]");
            if !emails.contains(mem.user.as_str()) {
                return fail(
                    format!("{mt}.user"),
                    format!("{} is not one of the fixture's users", mem.user),
                );
            }
            if !listed.insert(mem.user.as_str()) {
                return fail(
                    format!("{mt}.user"),
                    format!("{} is listed twice as a member", mem.user),
                );
            }
            let mut roles = HashSet::new();
            for (r, role) in mem.roles.iter().enumerate() {
                if !roles.insert(role) {
                    return fail(
                        format!("{mt}.roles[{r}]"),
                        format!("the role {role} repeats"),
                    );
                }
            }
            if mem.user == acc.owner {
                if mem.invited_by.is_some() {
                    return fail(
                        format!("{mt}.invited_by"),
                        "the account owner is invited by nobody",
                    );
                }
            } else {
                match &mem.invited_by {
                    None => {
                        return fail(
                            format!("{mt}.invited_by"),
                            format!(
                                "{} needs invited_by: every member but the owner was invited",
                                mem.user
                            ),
                        );
                    }
                    Some(by) => {
                        inviter.insert(mem.user.as_str(), Some(by.as_str()));
                    }
                }
            }
        }
        for (m, mem) in acc.members.iter().enumerate() {
            let Some(by) = &mem.invited_by else { continue };
            let mt = format!("{at}.members[{m}].invited_by");
            if !inviter.contains_key(by.as_str()) {
                return fail(mt, format!("{by} is not a member of account {}", acc.id));
            }
            // Follow the chain up; it must reach the owner without a repeat.
            let mut seen = HashSet::new();
            let mut cur = mem.user.as_str();
            while let Some(Some(up)) = inviter.get(cur) {
                if !seen.insert(cur) {
                    return fail(
                        mt,
                        format!("the invitation links from {} form a cycle", mem.user),
                    );
                }
                cur = up;
            }
        }

        // Service IDs.
        let mut sid_names = HashSet::new();
        for (s, sid) in acc.service_ids.iter().enumerate() {
            let st = format!("{at}.service_ids[{s}]");
            text_rule(format!("{st}.name"), "name", &sid.name, MAX_NAME, true)?;
            let d = &sid.description;
            text_rule(
                format!("{st}.description"),
                "description",
                d,
                MAX_DESCRIPTION,
                false,
            )?;
            if !sid_names.insert(sid.name.as_str()) {
                return fail(
                    format!("{at}.service_ids[{s}].name"),
                    format!(
                        "the service ID name {} repeats in account {}",
                        sid.name, acc.id
                    ),
                );
            }
        }

        // User and service ID keys.
        let mut per_identity: HashMap<&str, u32> = HashMap::new();
        for (k, key) in acc.api_keys.iter().enumerate() {
            let kt = format!("{at}.api_keys[{k}]");
            text_rule(format!("{kt}.name"), "name", &key.name, MAX_NAME, true)?;
            let d = &key.description;
            text_rule(
                format!("{kt}.description"),
                "description",
                d,
                MAX_DESCRIPTION,
                false,
            )?;
            if let Some(m) = &key.managed_by {
                text_rule(format!("{kt}.managed_by"), "managed_by", m, MAX_NAME, true)?;
            }
            let is_service = if let Some(name) = key.owner.strip_prefix(SERVICE_ID_PREFIX) {
                if !sid_names.contains(name) {
                    return fail(
                        format!("{kt}.owner"),
                        format!("there is no service ID named {name} in account {}", acc.id),
                    );
                }
                true
            } else {
                if !inviter.contains_key(key.owner.as_str()) {
                    return fail(
                        format!("{kt}.owner"),
                        format!(
                            "{} is not a member of account {} (a key belongs to a member, or to service_id:<name>)",
                            key.owner, acc.id
                        ),
                    );
                }
                false
            };
            if let Some(by) = &key.created_by
                && !inviter.contains_key(by.as_str())
            {
                return fail(
                    format!("{kt}.created_by"),
                    format!("{by} is not a member of account {}", acc.id),
                );
            }
            if is_service && key.support_sessions {
                return fail(
                    format!("{kt}.support_sessions"),
                    "session support applies to user API keys only",
                );
            }
            if !is_service && key.managed_by.is_some() {
                return fail(
                    format!("{kt}.managed_by"),
                    "managed_by applies to service ID API keys only",
                );
            }
            if let Some(value) = &key.apikey {
                let parsed =
                    secret::parse(value).map_err(|e| (format!("{kt}.apikey"), e.to_string()))?;
                if !apikeys.insert(parsed.lookup().to_string()) {
                    return fail(format!("{kt}.apikey"), "this apikey value repeats");
                }
            }
            let n = per_identity.entry(key.owner.as_str()).or_default();
            *n += 1;
            if *n > limit {
                return fail(
                    format!("{kt}.owner"),
                    format!(
                        "{} has more than {limit} API keys, the limit per identity in account {}",
                        key.owner, acc.id
                    ),
                );
            }
        }
        if !fx.demo && per_identity.get(acc.owner.as_str()).copied().unwrap_or(0) >= limit {
            return fail(
                format!("{at}.owner"),
                format!(
                    "{} already has {limit} API keys, the limit: no room for the bootstrap key seeding prints (raise settings.api_keys_per_identity)",
                    acc.owner
                ),
            );
        }

        // Classic infrastructure keys.
        let mut classic_owners = HashSet::new();
        for (c, ck) in acc.classic_keys.iter().enumerate() {
            let ct = format!("{at}.classic_keys[{c}]");
            if !acc.classic_infrastructure {
                return fail(
                    ct,
                    format!(
                        "account {} has no classic infrastructure (classic_infrastructure: false)",
                        acc.id
                    ),
                );
            }
            if !inviter.contains_key(ck.owner.as_str()) {
                return fail(
                    format!("{ct}.owner"),
                    format!("{} is not a member of account {}", ck.owner, acc.id),
                );
            }
            if !classic_owners.insert(ck.owner.as_str()) {
                return fail(
                    format!("{ct}.owner"),
                    format!(
                        "{} has two classic infrastructure API keys: one per user",
                        ck.owner
                    ),
                );
            }
        }
    }
    Ok(())
}

/// A bootstrap key made while seeding a non-demo fixture: printed once.
#[derive(Debug)]
pub struct Bootstrap {
    pub account_id: String,
    pub owner_email: String,
    pub key_id: String,
    pub secret: ApiKeySecret,
}

/// The first history event of a key seeded from a fixture.
const SEEDED: &str = "Created (seeded from a fixture)";

fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let name = parts.join("\u{0}");
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes());
    format!("{prefix}-{id}")
}

/// Turns a validated fixture into a store seed. Keys that carry an `apikey`
/// value are hashed with `params`; keys without one get no usable secret.
/// A non-demo fixture also gets one bootstrap key per account owner.
pub fn to_seed(fx: &Fixture, params: HashParams, now: Timestamp) -> (Seed, Vec<Bootstrap>) {
    let mut seed = Seed::default();
    let mut iam_of: HashMap<&str, String> = HashMap::new();
    for u in &fx.users {
        let iam_id = User::iam_id_for(&u.email);
        iam_of.insert(u.email.as_str(), iam_id.clone());
        seed.users.push(User {
            iam_id,
            email: u.email.clone(),
            name: u.name.clone(),
            functional: u.functional,
        });
    }
    let iam = |email: &str| iam_of[email].clone();
    let mut bootstraps = Vec::new();
    for acc in &fx.accounts {
        let owner = iam(&acc.owner);
        let mut members = vec![Membership {
            iam_id: owner.clone(),
            email: acc.owner.clone(),
            invited_by: None,
            roles: BTreeSet::new(),
        }];
        for m in &acc.members {
            let roles: BTreeSet<Role> = m.roles.iter().copied().collect();
            if m.user == acc.owner {
                members[0].roles = roles;
            } else {
                members.push(Membership {
                    iam_id: iam(&m.user),
                    email: m.user.clone(),
                    invited_by: m.invited_by.as_deref().map(iam),
                    roles,
                });
            }
        }
        let settings = acc
            .settings
            .as_ref()
            .map(|s| AccountSettings {
                restrict_api_key_creation: s.restrict_api_key_creation,
                api_keys_per_identity: s.api_keys_per_identity,
            })
            .unwrap_or_default();
        seed.accounts.push(Account {
            id: acc.id.clone(),
            name: acc.name.clone(),
            owner: owner.clone(),
            classic_infrastructure: acc.classic_infrastructure,
            settings,
            members,
        });
        let mut sid_iam: HashMap<&str, String> = HashMap::new();
        for s in &acc.service_ids {
            let id = stable_id("ServiceId", &[&acc.id, &s.name]);
            let iam_id = format!("iam-{id}");
            sid_iam.insert(s.name.as_str(), iam_id.clone());
            seed.service_ids.push(ServiceId {
                id,
                iam_id,
                account_id: acc.id.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
            });
        }
        for (i, k) in acc.api_keys.iter().enumerate() {
            let (kind, iam_id, default_creator) = match k.owner.strip_prefix(SERVICE_ID_PREFIX) {
                Some(name) => (KeyKind::ServiceId, sid_iam[name].clone(), acc.owner.clone()),
                None => (KeyKind::User, iam(&k.owner), k.owner.clone()),
            };
            let id = stable_id("ApiKey", &[&acc.id, "api_keys", &i.to_string(), &k.name]);
            let created_at = k.created_at.unwrap_or(now);
            let created_by = iam(k.created_by.as_deref().unwrap_or(&default_creator));
            let (lookup, hash) = match &k.apikey {
                Some(v) => {
                    let s = secret::parse(v).expect("validated");
                    (Some(s.lookup().to_string()), Some(secret::hash(&s, params)))
                }
                None => (None, None),
            };
            let mut key = ApiKey::new(
                Born {
                    id,
                    kind,
                    account_id: &acc.id,
                    iam_id,
                    created_by,
                    at: created_at,
                    name: k.name.clone(),
                    description: k.description.clone(),
                },
                SEEDED,
            );
            key.locked = k.locked;
            key.disabled = k.disabled;
            key.action_when_leaked = k.action_when_leaked.unwrap_or_default();
            key.support_sessions = k.support_sessions;
            key.expires_at = k.expires_at;
            key.managed_by.clone_from(&k.managed_by);
            key.activity = Activity {
                last_authn: k.last_authn,
                authn_count: k.authn_count.unwrap_or(0),
            };
            key.lookup = lookup;
            key.hash = hash;
            seed.keys.push(key);
        }
        for (i, c) in acc.classic_keys.iter().enumerate() {
            let id = stable_id("ApiKey", &[&acc.id, "classic_keys", &i.to_string()]);
            let created_at = c.created_at.unwrap_or(now);
            let iam_id = iam(&c.owner);
            seed.keys.push(ApiKey::new(
                Born {
                    id,
                    kind: KeyKind::Classic,
                    account_id: &acc.id,
                    iam_id: iam_id.clone(),
                    created_by: iam_id,
                    at: created_at,
                    name: "Classic infrastructure API key".into(),
                    description: String::new(),
                },
                SEEDED,
            ));
        }
        if !fx.demo {
            let value = secret::generate();
            let id = ApiKey::new_id();
            let mut key = ApiKey::new(
                Born {
                    id: id.clone(),
                    kind: KeyKind::User,
                    account_id: &acc.id,
                    iam_id: owner.clone(),
                    created_by: owner.clone(),
                    at: now,
                    name: "bootstrap".into(),
                    description: "Made by iamkeys seed for the account owner".into(),
                },
                "Bootstrap key for the account owner",
            );
            key.lookup = Some(value.lookup().to_string());
            key.hash = Some(secret::hash(&value, params));
            seed.keys.push(key);
            bootstraps.push(Bootstrap {
                account_id: acc.id.clone(),
                owner_email: acc.owner.clone(),
                key_id: id,
                secret: value,
            });
        }
    }
    (seed, bootstraps)
}

/// What [`generate`] makes: a large account for measuring scale.
#[derive(Debug, Clone)]
pub struct GenSpec {
    /// User API keys in all (spread over the users; the owner gets `own_keys`).
    pub keys: usize,
    /// Members besides the owner.
    pub users: usize,
    /// Service ID API keys, on top of `keys`.
    pub service_keys: usize,
    /// How many user keys the owner holds (the "My" view being measured).
    pub own_keys: usize,
    /// How many of the owner's keys carry a usable value (hashed at seeding).
    pub with_values: usize,
    pub demo: bool,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            keys: 1000,
            users: 0,
            service_keys: 0,
            own_keys: 10,
            with_values: 1,
            demo: true,
        }
    }
}

impl GenSpec {
    /// The most keys (user and service ID keys together) and members a
    /// generated fixture may have: its YAML stays well under
    /// [`yaml::MAX_BYTES`] (a million keys is about 144 MB).
    pub const MAX_KEYS: usize = 1_000_000;
    pub const MAX_USERS: usize = 1_000_000;

    /// Refuses counts the generator cannot honour without exhausting the
    /// machine, naming the allowed range.
    pub fn check(&self) -> Result<(), String> {
        if self.keys.saturating_add(self.service_keys) > Self::MAX_KEYS {
            return Err(format!(
                "--keys plus --service-keys must be at most {} (0..={0}), not {}",
                Self::MAX_KEYS,
                self.keys.saturating_add(self.service_keys)
            ));
        }
        if self.users > Self::MAX_USERS {
            return Err(format!(
                "--users must be in 0..={}, not {}",
                Self::MAX_USERS,
                self.users
            ));
        }
        if self.own_keys > 999 {
            return Err(
                "--own-keys must be in 0..=999 (the per-identity limit, less the bootstrap key)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// A fixture with one account `scale` owned by `owner@scale.example`, its
/// users in an invitation tree (each invited by an earlier one), and keys
/// spread evenly. Returns the fixture and the values of the keys that carry
/// one, so a benchmark can sign in with them.
pub fn generate(spec: &GenSpec) -> (Fixture, Vec<ApiKeySecret>) {
    const PER_IDENTITY: usize = 1000;
    let owner = "owner@scale.example".to_string();
    let own_keys = spec.own_keys.min(spec.keys);
    let others = spec.keys - own_keys;
    // Enough members to stay within the per-identity limit.
    let users = spec.users.max(others.div_ceil(PER_IDENTITY - 1));
    let mut fx_users = vec![FixtureUser {
        email: owner.clone(),
        name: "Scale Owner".into(),
        functional: false,
    }];
    let mut members = Vec::new();
    for i in 0..users {
        let email = format!("user{i:05}@scale.example");
        fx_users.push(FixtureUser {
            email: email.clone(),
            name: format!("User {i}"),
            functional: i % 50 == 49,
        });
        let invited_by = if i == 0 {
            owner.clone()
        } else {
            format!("user{:05}@scale.example", (i - 1) / 3)
        };
        members.push(FixtureMember {
            user: email,
            invited_by: Some(invited_by),
            roles: if i == 0 {
                vec![Role::Administrator]
            } else {
                Vec::new()
            },
        });
    }
    const WORDS: [&str; 12] = [
        "billing",
        "deploy",
        "backup",
        "metrics",
        "terraform",
        "ci",
        "reports",
        "sync",
        "audit",
        "export",
        "staging",
        "prod",
    ];
    let base = Timestamp::from_second(1_767_225_600).expect("2026-01-01"); // 2026-01-01T00:00:00Z
    let mut values = Vec::new();
    let mut api_keys = Vec::with_capacity(spec.keys + spec.service_keys);
    let mut push = |owner: String, i: usize, apikey: Option<String>| {
        let w = WORDS[i % WORDS.len()];
        api_keys.push(FixtureKey {
            name: format!("{w}-key-{i:06}"),
            owner,
            description: format!("{} automation #{i}", WORDS[(i / 7) % WORDS.len()]),
            created_at: Some(
                base + jiff::SignedDuration::from_secs((i as i64 * 7919) % 28_000_000),
            ),
            created_by: None,
            locked: i % 97 == 96,
            disabled: i % 89 == 88,
            action_when_leaked: None,
            support_sessions: false,
            expires_at: None,
            managed_by: None,
            last_authn: None,
            authn_count: None,
            apikey,
        });
    };
    for i in 0..own_keys {
        let value = (i < spec.with_values).then(secret::generate);
        let text = value.as_ref().map(|v| v.expose().to_string());
        if let Some(v) = value {
            values.push(v);
        }
        push(owner.clone(), i, text);
    }
    for j in 0..others {
        let user = format!("user{:05}@scale.example", j % users.max(1));
        push(user, own_keys + j, None);
    }
    let services = spec.service_keys.div_ceil(PER_IDENTITY - 1);
    let service_ids: Vec<FixtureServiceId> = (0..services)
        .map(|s| FixtureServiceId {
            name: format!("service-{s:04}"),
            description: String::new(),
        })
        .collect();
    for j in 0..spec.service_keys {
        push(
            format!("{SERVICE_ID_PREFIX}service-{:04}", j % services.max(1)),
            spec.keys + j,
            None,
        );
    }
    let fx = Fixture {
        version: 1,
        demo: spec.demo,
        users: fx_users,
        accounts: vec![FixtureAccount {
            id: "scale".into(),
            name: "Scale Test".into(),
            owner,
            classic_infrastructure: false,
            settings: Some(FixtureSettings {
                restrict_api_key_creation: false,
                api_keys_per_identity: PER_IDENTITY as u32,
            }),
            members,
            service_ids,
            api_keys,
            classic_keys: Vec::new(),
        }],
    };
    (fx, values)
}

/// Writes a fixture as YAML.
pub fn write(fx: &Fixture, out: impl std::io::Write) -> Result<(), String> {
    yaml::to_writer(out, fx)
}
