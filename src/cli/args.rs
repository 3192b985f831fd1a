//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::ViewFilter;
use crate::domain::LeakAction;
use crate::service::SortField;

#[derive(Debug, Parser)]
#[command(
    name = "iamkeys",
    version,
    about = "The IAM API keys page in a terminal: see, create, edit, lock, disable and delete API keys",
    long_about = "The IAM API keys page in a terminal. Without a command, opens the console \
                  (on a first run, over the built-in demo). With a command, works as a script \
                  would: sign in with --apikey (or IAMKEYS_API_KEY) or, on a demo store, --as EMAIL.",
    after_help = "Exit codes: 0 done, 2 bad input, 3 refused by a rule or failed sign-in, \
                  4 not found, 5 scan found an API key value, 1 anything else (a busy or damaged store). With --output json, \
                  an error is one JSON object on stderr: {\"code\", \"message\", \"exit_code\"}."
)]
pub struct Cli {
    /// The store's directory [default: the platform data directory]
    #[arg(long, global = true, env = "IAMKEYS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Sign in as a fixture persona (demo stores only)
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    pub as_email: Option<String>,

    /// Sign in with an API key
    #[arg(
        long,
        global = true,
        env = "IAMKEYS_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub apikey: Option<String>,

    /// The account to work in [default: the key's account, else the user's first]
    #[arg(long, global = true, value_name = "ID")]
    pub account: Option<String>,

    /// Work through the iamkeys server at URL (`iamkeys serve`) instead of
    /// opening the store here
    #[arg(long, global = true, env = "IAMKEYS_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning tools (scan only)
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewArg {
    My,
    Users,
    ServiceIds,
    Classic,
}

impl From<ViewArg> for ViewFilter {
    fn from(v: ViewArg) -> ViewFilter {
        match v {
            ViewArg::My => ViewFilter::MyApiKeys,
            ViewArg::Users => ViewFilter::AllUserApiKeys,
            ViewArg::ServiceIds => ViewFilter::AllServiceIdApiKeys,
            ViewArg::Classic => ViewFilter::ClassicInfrastructure,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Name,
    Description,
    #[value(name = "created_at")]
    CreatedAt,
    #[value(name = "created_by")]
    CreatedBy,
}

impl From<SortArg> for SortField {
    fn from(s: SortArg) -> SortField {
        match s {
            SortArg::Name => SortField::Name,
            SortArg::Description => SortField::Description,
            SortArg::CreatedAt => SortField::CreatedAt,
            SortArg::CreatedBy => SortField::CreatedBy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LeakArg {
    None,
    Disable,
    Delete,
}

impl From<LeakArg> for LeakAction {
    fn from(l: LeakArg) -> LeakAction {
        match l {
            LeakArg::None => LeakAction::None,
            LeakArg::Disable => LeakAction::Disable,
            LeakArg::Delete => LeakAction::Delete,
        }
    }
}

/// The page size: 1 to 100, as IBM's `pagesize`.
pub const MAX_LIMIT: usize = 100;

fn parse_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!(
            "give a page size from 1 to {MAX_LIMIT} (leave --limit out for every key)"
        )),
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{s:?}: expected true or false")),
    }
}

#[derive(Debug, Args)]
pub struct CreateOptions {
    /// A description
    #[arg(
        short = 'd',
        long = "description",
        value_name = "DESC",
        default_value = ""
    )]
    pub description: String,
    /// Also write the key to FILE as JSON (mode 0600; never overwrites)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Lock the key at creation
    #[arg(long)]
    pub lock: bool,
    /// What happens when the key is found leaked
    #[arg(long = "action-if-leaked", value_enum, default_value_t = LeakArg::Disable)]
    pub action_if_leaked: LeakArg,
    /// When the key stops working (RFC 3339, like 2027-01-01T00:00:00Z)
    #[arg(long = "expires-at", value_name = "TIME", value_parser = crate::time::parse_moment)]
    pub expires_at: Option<crate::time::Moment>,
}

#[derive(Debug, Subcommand)]
pub enum TourCommand {
    /// Play a tour headless, as the console would, and report the first
    /// step whose screen does not match (exit 1); exit 0 when every step does
    Check {
        /// The tour file, or `builtin`
        tour: String,
        /// Play on this fixture instead of the tour's own
        #[arg(long, value_name = "FILE")]
        fixture: Option<PathBuf>,
    },
    /// Draw the screens the tour's steps name as SVG pictures in DIR
    Pictures {
        /// The tour file, or `builtin`
        #[arg(default_value = "builtin")]
        tour: String,
        /// Where to write NAME.svg for each step with `picture: NAME`
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Play on this fixture instead of the tour's own
        #[arg(long, value_name = "FILE")]
        fixture: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store from a fixture (default: the built-in demo)
    Seed {
        /// The fixture file
        file: Option<PathBuf>,
        /// Replace an existing store
        #[arg(long)]
        replace: bool,
    },
    /// Open the console on a throwaway store seeded from FIXTURE (default: the
    /// built-in demo); it never uses --data-dir or IAMKEYS_DATA_DIR
    Demo {
        /// The fixture file to seed the throwaway store from
        fixture: Option<PathBuf>,
        /// Play a tour in the console: a tour file, or `builtin` (the
        /// default when FILE is left out). → or Space next step, ← back,
        /// p to use the console freely and back, q quit
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "builtin")]
        tour: Option<String>,
        /// Play the tour by itself, one step every SECONDS (1 to 3600),
        /// starting over after the last: for a kiosk
        #[arg(long, value_name = "SECONDS", requires = "tour", value_parser = clap::value_parser!(u64).range(1..=3600))]
        autoplay: Option<u64>,
        /// Write the session to FILE as an asciinema (asciicast v2)
        /// recording, mode 0600, never overwriting a file; a new key's
        /// value stays masked in it even when shown on screen
        #[arg(long, value_name = "FILE.cast")]
        record: Option<PathBuf>,
    },
    /// Demo tours: check one, or draw the pictures its steps name
    #[command(subcommand)]
    Tour(TourCommand),
    /// The View filter options you may use here, with their actions
    Views,
    /// List API keys
    #[command(name = "api-keys")]
    ApiKeys {
        /// The View filter option: your keys, every user's, every service ID's, or classic
        #[arg(long, value_enum, default_value_t = ViewArg::My)]
        view: ViewArg,
        /// Only keys whose name, description, owner or id contains TEXT
        #[arg(long, value_name = "TEXT", default_value = "")]
        search: String,
        /// The column to sort by
        #[arg(long, value_enum, default_value_t = SortArg::Name)]
        sort: SortArg,
        /// Sort in descending order
        #[arg(long)]
        desc: bool,
        /// Skip this many keys
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Show at most N keys, 1 to 100 [default: every key]
        #[arg(long, value_name = "N", value_parser = parse_limit)]
        limit: Option<usize>,
    },
    /// One key's details
    #[command(name = "api-key")]
    ApiKey {
        /// An id, or a name unique among the keys you can see
        key: String,
    },
    /// Create a user API key for yourself; prints its value once
    #[command(name = "api-key-create")]
    ApiKeyCreate {
        /// The new key's name
        name: String,
        #[command(flatten)]
        options: CreateOptions,
        /// Allow the key to create CLI login sessions (each can be reviewed and revoked)
        #[arg(long = "support-sessions")]
        support_sessions: bool,
    },
    /// Create an API key for a service ID; prints its value once
    #[command(name = "service-api-key-create")]
    ServiceApiKeyCreate {
        /// The new key's name
        name: String,
        /// The service ID's id or name
        service_id: String,
        #[command(flatten)]
        options: CreateOptions,
    },
    /// Create your classic infrastructure API key; prints its value once
    #[command(name = "classic-api-key-create")]
    ClassicApiKeyCreate {
        /// Also write the key to FILE as JSON (mode 0600; never overwrites)
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Edit a key's name, description or action when leaked
    #[command(name = "api-key-update")]
    ApiKeyUpdate {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// A new name
        #[arg(short = 'n', long = "name")]
        name: Option<String>,
        /// A new description
        #[arg(short = 'd', long = "description")]
        description: Option<String>,
        /// What happens when the key is found leaked
        #[arg(long = "action-if-leaked", value_enum)]
        action_if_leaked: Option<LeakArg>,
        /// Refuse unless the key still has this entity tag
        #[arg(long = "if-match", value_name = "ENTITY_TAG")]
        if_match: Option<String>,
    },
    /// Delete a key
    #[command(name = "api-key-delete")]
    ApiKeyDelete {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// Do not ask for confirmation (needed without a terminal)
        #[arg(short = 'f', long = "force")]
        force: bool,
    },
    /// Lock a key: it cannot be edited, disabled or deleted until unlocked
    #[command(name = "api-key-lock")]
    ApiKeyLock {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// Do not ask for confirmation (needed without a terminal)
        #[arg(short = 'f', long = "force")]
        force: bool,
    },
    #[command(name = "api-key-unlock")]
    /// Unlock a key
    ApiKeyUnlock {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
    },
    /// Disable a key: it signs nobody in until enabled
    #[command(name = "api-key-disable")]
    ApiKeyDisable {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// Do not ask for confirmation (needed without a terminal)
        #[arg(short = 'f', long = "force")]
        force: bool,
    },
    /// Enable a disabled key
    #[command(name = "api-key-enable")]
    ApiKeyEnable {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
    },
    /// Show or change the account's API key settings
    #[command(name = "account-settings")]
    AccountSettings {
        /// Restrict API key creation to holders of the User API key creator role
        #[arg(long = "restrict-api-key-creation", value_parser = parse_bool, value_name = "true|false")]
        restrict_api_key_creation: Option<bool>,
        /// Days an expired key is kept before it is removed, 1 to 3650 (owner or Administrator)
        #[arg(long = "expired-key-retention-days", value_name = "DAYS")]
        expired_key_retention_days: Option<u32>,
        /// Age in days from which a key is flagged "old", 1 to 3650 (owner or Administrator)
        #[arg(long = "key-age-warning-days", value_name = "DAYS")]
        key_age_warning_days: Option<u32>,
    },
    /// Replace a key by a new one with the same name, description and
    /// settings (its value shown once), and disable the old one (or delete
    /// it with --delete-old)
    #[command(name = "api-key-rotate")]
    ApiKeyRotate {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// Delete the old key instead of disabling it
        #[arg(long = "delete-old")]
        delete_old: bool,
        /// Write the new key to FILE (IBM's apikey.json format, mode 0600) instead of showing it
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Refuse unless the old key still has this entity tag
        #[arg(long = "if-match", value_name = "ENTITY_TAG")]
        if_match: Option<String>,
    },
    /// Reports for the account owner and Administrators
    Report {
        #[command(subcommand)]
        report: Report,
    },
    /// Clear a key's leak mark, after rotating it (the account owner or an Administrator)
    #[command(name = "api-key-clear-leak")]
    ApiKeyClearLeak {
        /// The key: an id, or a name unique among the keys you can see
        key: String,
        /// Refuse unless the key still has this entity tag
        #[arg(long = "if-match", value_name = "ENTITY_TAG")]
        if_match: Option<String>,
    },
    /// Find API key values in files, directories (recursively, honouring
    /// .gitignore) or standard input (-), and act on the keys of this store
    /// they belong to: mark them leaked and apply their action when leaked
    /// (exit 5 when a value is found, 0 when none)
    Scan {
        /// Files, directories, or - for standard input
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        /// Scan every blob in the history of the repositories at PATH
        #[arg(long)]
        git: bool,
        /// Do not open the store or sign in: only report the values found
        /// (for a pre-commit hook on a machine without the store)
        #[arg(long = "no-store")]
        no_store: bool,
    },
    /// Verify that the store's records and indexes agree (exit 1 on a problem)
    Check,
    /// Write a large fixture (one account `scale`) for measuring scale
    #[command(name = "gen-fixture")]
    GenFixture {
        /// User API keys in all
        #[arg(long, default_value_t = 1000)]
        keys: usize,
        /// Members besides the owner (at least enough for 1000 keys each)
        #[arg(long, default_value_t = 0)]
        users: usize,
        /// Service ID API keys, on top of --keys
        #[arg(long = "service-keys", default_value_t = 0)]
        service_keys: usize,
        /// How many of the keys belong to the owner, owner@scale.example
        #[arg(long = "own-keys", default_value_t = 10)]
        own_keys: usize,
        /// How many of the owner's keys carry an apikey value to sign in with
        #[arg(long = "with-values", default_value_t = 1)]
        with_values: usize,
        /// Make a non-demo fixture (no --as; seeding prints a bootstrap key)
        #[arg(long = "not-demo")]
        not_demo: bool,
        /// Write to FILE instead of standard output
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Serve the IAM Identity API over the store, for consoles, scripts and
    /// IBM's own tools to share it (`--endpoint URL` on their side)
    Serve {
        /// The address to listen on (port 0: any free port)
        #[arg(long, default_value = "127.0.0.1:7080", value_name = "ADDR")]
        listen: String,
        /// The TLS certificate chain (PEM); with --tls-key, serve HTTPS
        #[arg(long = "tls-cert", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The TLS private key (PEM)
        #[arg(long = "tls-key", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other machines can reach
        #[arg(long = "insecure-http")]
        insecure_http: bool,
        /// Speak only IBM's IAM Identity API, as IBM's own server does: no
        /// `/iamkeys/v1/` operations, no persona grant, no iamkeys-only
        /// fields. For trying clients against an IBM-compatible endpoint.
        #[arg(
            long = "ibm-only",
            hide = true,
            env = "IAMKEYS_SERVE_IBM_ONLY",
            value_parser = clap::builder::BoolishValueParser::new()
        )]
        ibm_only: bool,
    },
}

/// The reports of `iamkeys report`.
#[derive(Debug, clap::Subcommand)]
pub enum Report {
    /// Keys, users and service IDs with no authentication for DAYS days
    /// (a key that never authenticated counts from its creation)
    Inactive {
        /// The period, in days (1 to 365)
        #[arg(long, default_value_t = crate::service::DEFAULT_INACTIVE_DAYS, value_name = "N")]
        days: u32,
    },
}

impl Command {
    /// Whether the command may change the store: such a command removes
    /// the keys whose retention after expiry is over when it opens it.
    pub fn writes(&self) -> bool {
        match self {
            Command::ApiKeyCreate { .. }
            | Command::ServiceApiKeyCreate { .. }
            | Command::ClassicApiKeyCreate { .. }
            | Command::ApiKeyUpdate { .. }
            | Command::ApiKeyDelete { .. }
            | Command::ApiKeyLock { .. }
            | Command::ApiKeyUnlock { .. }
            | Command::ApiKeyDisable { .. }
            | Command::ApiKeyEnable { .. }
            | Command::ApiKeyClearLeak { .. }
            | Command::ApiKeyRotate { .. } => true,
            Command::AccountSettings {
                restrict_api_key_creation,
                expired_key_retention_days,
                key_age_warning_days,
            } => {
                restrict_api_key_creation.is_some()
                    || expired_key_retention_days.is_some()
                    || key_age_warning_days.is_some()
            }
            _ => false,
        }
    }
}
