//! The console's messages: actions in, effects and jobs out, outcomes back.

use super::*;

/// Everything that can happen to the console.
// Messages are moved once each; their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// A render tick: advances the spinner while work runs.
    Tick,
    /// A worker finished.
    Done(Outcome),
}

/// What `update` asks the runtime to do.
// Messages are moved once each; their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Effect {
    /// Service work, run on a worker task; its outcome comes back as `Action::Done`.
    Run(Job),
    /// Put text on the clipboard with OSC 52.
    Copy(Zeroizing<String>),
    Quit,
}

/// Service work for a worker.
// Messages are moved once each; their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Job {
    Personas,
    SignInAs {
        email: String,
    },
    SignInKey {
        value: crate::secret::SecretText,
    },
    Load {
        generation: u64,
        /// A poll for changes made by others: it runs without a spinner.
        quiet: bool,
        session: Session,
        view: ViewFilter,
        /// The search and sort to show the rows in.
        search: Shown,
        /// Where the worker says how far it has come.
        progress: Arc<Progress>,
    },
    /// Searches and sorts a large view's rows.
    Search {
        generation: u64,
        table: Arc<RowTable>,
        /// The rows to narrow (a longer search), else the whole table.
        base: Option<Arc<Vec<usize>>>,
        /// Lowercased and trimmed.
        needle: String,
        sort: SortCol,
        desc: bool,
        /// The latest search's generation: an older search stops.
        latest: Arc<AtomicU64>,
    },
    CreateUser {
        session: Session,
        spec: NewKey,
    },
    CreateClassic {
        session: Session,
    },
    Update {
        session: Session,
        key_id: String,
        update: KeyUpdate,
    },
    /// Lock, unlock, disable or enable.
    Switch {
        session: Session,
        key_id: String,
        tag: String,
        action: KeyAction,
    },
    /// Clear a key's leak mark.
    ClearLeak {
        session: Session,
        key_id: String,
        tag: String,
    },
    Delete {
        session: Session,
        key_id: String,
        tag: String,
    },
    Settings {
        session: Session,
    },
    SetRestrict {
        session: Session,
        on: bool,
    },
    SwitchAccount {
        session: Session,
        account_id: String,
    },
    Download {
        created: Created,
        path: PathBuf,
    },
    /// The inactive identities report over the last `days` days.
    Inactive {
        session: Session,
        days: u32,
    },
    /// Rotates a key, disabling (or deleting) the old one.
    Rotate {
        session: Session,
        key_id: String,
        tag: String,
        delete_old: bool,
    },
}

/// A failure as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// The key changed since it was read (a stale entity tag).
    pub stale: bool,
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Failure {
        Failure {
            stale: e.is_stale(),
            message: e.to_string(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            stale: false,
        }
    }
}

pub type Res<T> = Result<T, Failure>;

/// A demo persona as the sign-in screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub user: User,
    /// Per account: its id and the person's roles there.
    pub roles: Vec<(String, Vec<String>)>,
}

/// What the page shows for one session and view.
#[derive(Debug)]
pub struct PageData {
    pub views: Vec<ViewInfo>,
    pub view: ViewFilter,
    pub table: Arc<RowTable>,
    /// The rows to show, for the search and sort asked for.
    pub visible: Vec<usize>,
    pub shown: Shown,
    pub accounts: Vec<AccountSummary>,
    pub account: Account,
    pub now: Timestamp,
    /// What the client cannot show here (see `Client::notice`).
    pub notice: Option<String>,
}

/// A worker's answer.
// Messages are moved once each; their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    Personas(Res<Vec<Persona>>),
    SignedIn(Res<Session>),
    Page {
        generation: u64,
        quiet: bool,
        result: Res<Box<PageData>>,
    },
    /// A search's rows; `None` when it was dropped for a later one.
    Searched {
        generation: u64,
        shown: Shown,
        rows: Option<Vec<usize>>,
    },
    Created(Res<Created>),
    Changed {
        verb: &'static str,
        result: Res<KeyRow>,
    },
    Deleted(Res<ApiKey>),
    Settings(Res<(AccountSettings, Option<Denied>)>),
    RestrictSet(Res<AccountSettings>),
    Switched(Res<Session>),
    Downloaded(Res<PathBuf>),
    Inactive {
        days: u32,
        result: Res<crate::client::Inactive>,
    },
    /// A rotation: the new key, and whether the old one was deleted (else
    /// disabled).
    Rotated(Res<(Created, bool)>),
}
