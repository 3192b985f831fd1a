//! The console's state, the messages that change it, and the work it asks
//! for: `update(&mut State, Action) -> Vec<Effect>`. Nothing here touches
//! the terminal or the store; effects do, on worker tasks.

use std::path::PathBuf;

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;
use ratatui::layout::Rect;
use zeroize::Zeroizing;

use crate::access::{self, Denied, KeyAction, KeyFacts, ViewFilter};
use crate::domain::{Account, AccountSettings, ApiKey, LeakAction, User};
use crate::service::{
    AccountSummary, Created, KeyRow, KeyUpdate, NewKey, ServiceError, Session, SortField, SortKey,
    ViewInfo, sort_key,
};

use super::input::Input;
use super::keymap::Keymap;
use super::theme::Theme;

// ---- messages ---------------------------------------------------------------

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
        session: Session,
        view: ViewFilter,
        sort: SortField,
        desc: bool,
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
            stale: matches!(e, ServiceError::Denied(Denied::StaleEntityTag { .. })),
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
#[derive(Debug, Clone)]
pub struct PageData {
    pub views: Vec<ViewInfo>,
    pub view: ViewFilter,
    pub rows: Vec<KeyRow>,
    /// Built with the rows, off the UI thread.
    pub index: RowIndex,
    pub accounts: Vec<AccountSummary>,
    pub account: Account,
    pub now: Timestamp,
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
        result: Res<Box<PageData>>,
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
}

// ---- state ------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFocus {
    Key,
    Personas,
}

#[derive(Debug, Default)]
pub struct SignIn {
    pub key: Input,
    pub personas: Vec<Persona>,
    pub cursor: usize,
    pub focus: Option<SignInFocus>,
    pub loading: bool,
}

impl SignIn {
    pub fn focus(&self) -> SignInFocus {
        self.focus.unwrap_or(if self.personas.is_empty() {
            SignInFocus::Key
        } else {
            SignInFocus::Personas
        })
    }
}

/// The areas of the page that Tab moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Area {
    #[default]
    Table,
    View,
    Search,
    Create,
}

#[derive(Debug)]
pub struct Page {
    pub loaded: bool,
    pub view: ViewFilter,
    pub views: Vec<ViewInfo>,
    pub accounts: Vec<AccountSummary>,
    pub account: Option<Account>,
    /// Every row of the view, in the order loaded.
    pub rows: Vec<KeyRow>,
    /// Search text and sort orders of `rows`.
    pub index: RowIndex,
    /// Indices into `rows` of the rows matching the search, in sort order.
    pub visible: Vec<usize>,
    pub search: Input,
    pub sort: SortCol,
    pub desc: bool,
    /// Index into `visible`.
    pub cursor: usize,
    /// The selected key's id: the selection follows the key, not the row.
    pub selected: Option<String>,
    /// The first visible row drawn.
    pub offset: usize,
    pub focus: Area,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            loaded: false,
            view: ViewFilter::MyApiKeys,
            views: Vec::new(),
            accounts: Vec::new(),
            account: None,
            rows: Vec::new(),
            index: RowIndex::default(),
            visible: Vec::new(),
            search: Input::default(),
            sort: SortCol::Name,
            desc: false,
            cursor: 0,
            selected: None,
            offset: 0,
            focus: Area::Table,
        }
    }
}

impl Page {
    pub fn view_info(&self) -> Option<&ViewInfo> {
        self.views.iter().find(|v| v.view == self.view)
    }

    pub fn can_create(&self) -> bool {
        self.view_info()
            .is_some_and(|v| v.actions.contains(&KeyAction::Create))
    }

    pub fn selected_row(&self) -> Option<&KeyRow> {
        self.visible
            .get(self.cursor)
            .and_then(|&i| self.rows.get(i))
    }

    pub fn account_name(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.name.as_str())
    }

    /// Recomputes the visible rows for the search, keeping the selected key.
    fn refilter(&mut self) {
        if self.index.len() != self.rows.len() {
            // Rows changed in place (tests do this): index them again.
            self.index = RowIndex::build(&self.rows);
        }
        let needle = self.search.value().trim().to_lowercase();
        let order = self.index.order(self.sort);
        let keep = |&&i: &&u32| self.index.matches(i as usize, &self.rows, &needle);
        self.visible = if self.desc {
            order
                .iter()
                .rev()
                .filter(keep)
                .map(|&i| i as usize)
                .collect()
        } else {
            order.iter().filter(keep).map(|&i| i as usize).collect()
        };
        self.reselect();
    }

    /// Like `refilter`, after the search changed from `before`: a search
    /// that contains the previous one can only narrow, so only the rows
    /// visible now are tested again.
    fn refilter_from(&mut self, before: &str) {
        let old = before.trim().to_lowercase();
        let needle = self.search.value().trim().to_lowercase();
        if old.is_empty() || !needle.contains(&old) {
            return self.refilter();
        }
        let (rows, index) = (&self.rows, &self.index);
        self.visible.retain(|&i| index.matches(i, rows, &needle));
        self.reselect();
    }

    fn reselect(&mut self) {
        let found = self.selected.as_ref().and_then(|id| {
            self.visible
                .iter()
                .position(|&i| self.rows.get(i).is_some_and(|r| &r.key.id == id))
        });
        match found {
            Some(pos) => self.cursor = pos,
            None => {
                self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
                self.selected = self.selected_row().map(|r| r.key.id.clone());
            }
        }
    }

    fn select_index(&mut self, cursor: usize) {
        if self.visible.is_empty() {
            self.cursor = 0;
            self.selected = None;
            return;
        }
        self.cursor = cursor.min(self.visible.len() - 1);
        self.selected = self.selected_row().map(|r| r.key.id.clone());
    }

    fn move_by(&mut self, delta: isize) {
        let target = if delta < 0 {
            self.cursor.saturating_sub(delta.unsigned_abs())
        } else {
            self.cursor.saturating_add(delta as usize)
        };
        self.select_index(target);
    }

    /// Keeps the cursor inside the drawn window of `rows` rows.
    fn scroll_to_cursor(&mut self, rows: usize) {
        let rows = rows.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + rows {
            self.offset = self.cursor + 1 - rows;
        }
        let max_offset = self.visible.len().saturating_sub(rows);
        self.offset = self.offset.min(max_offset);
    }

    /// A new sort is a precomputed order, walked forwards or backwards.
    fn resort(&mut self) {
        self.refilter();
    }

    /// The actions the signed-in user may take on a row now (Table 1, via
    /// the access rules), in menu order.
    pub fn actions_for(&self, me: &str, key: &ApiKey) -> Vec<KeyAction> {
        match &self.account {
            Some(account) => access::key_actions(account, me, &KeyFacts::of(key)),
            None => Vec::new(),
        }
    }

    /// Why `action` is refused on `key`, if it is.
    pub fn refusal(&self, me: &str, action: KeyAction, key: &ApiKey) -> Option<Denied> {
        let account = self.account.as_ref()?;
        access::check(account, me, action, &KeyFacts::of(key)).err()
    }
}

/// What keystrokes need at 100,000 rows, computed once per load in the
/// worker: each row's search text, lowercased, and the row order for every
/// sort field. Typing in the search box then scans prepared text, and a new
/// sort walks a ready order instead of sorting on the UI thread.
#[derive(Debug, Clone, Default)]
pub struct RowIndex {
    /// Name, description, owner and id, lowercased, separated by newlines.
    haystacks: Vec<Box<str>>,
    /// Ascending orders of row indices, one per [`SortCol`], ties by id.
    orders: [Vec<u32>; 4],
}

const FIELD_SEPARATOR: char = '\n';

impl RowIndex {
    pub fn build(rows: &[KeyRow]) -> RowIndex {
        let haystacks = rows
            .iter()
            .map(|r| {
                let mut h = String::with_capacity(
                    r.key.name.len() + r.key.description.len() + r.owner.len() + r.key.id.len() + 3,
                );
                for (i, field) in [&r.key.name, &r.key.description, &r.owner, &r.key.id]
                    .into_iter()
                    .enumerate()
                {
                    if i > 0 {
                        h.push(FIELD_SEPARATOR);
                    }
                    h.push_str(&field.to_lowercase());
                }
                h.into_boxed_str()
            })
            .collect();
        let orders = SortCol::ALL.map(|c| sort_order(rows, c));
        RowIndex { haystacks, orders }
    }

    pub fn len(&self) -> usize {
        self.haystacks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.haystacks.is_empty()
    }

    fn order(&self, col: SortCol) -> &[u32] {
        let i = SortCol::ALL.iter().position(|c| *c == col).unwrap_or(0);
        &self.orders[i]
    }

    /// [`crate::service::matches`], on the prepared text.
    fn matches(&self, i: usize, rows: &[KeyRow], needle_lower: &str) -> bool {
        if needle_lower.is_empty() {
            return true;
        }
        if needle_lower.contains(FIELD_SEPARATOR) {
            // Could match across two fields: ask the service's own test.
            return rows
                .get(i)
                .is_some_and(|r| crate::service::matches(r, needle_lower));
        }
        self.haystacks
            .get(i)
            .is_some_and(|h| h.contains(needle_lower))
    }
}

/// What the table is sorted by: one of its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortCol {
    #[default]
    Name,
    Description,
    /// The owner (a user's email or a service ID's name), as the column
    /// shows it.
    Owner,
    Created,
}

impl SortCol {
    pub const ALL: [SortCol; 4] = [
        SortCol::Name,
        SortCol::Description,
        SortCol::Owner,
        SortCol::Created,
    ];

    /// The service's nearest sort, for the order a listing arrives in.
    pub fn field(self) -> SortField {
        match self {
            SortCol::Name => SortField::Name,
            SortCol::Description => SortField::Description,
            SortCol::Owner => SortField::CreatedBy,
            SortCol::Created => SortField::CreatedAt,
        }
    }
}

/// Row indices in the order of the service's [`sort_key`] for a column
/// (ascending), ties by id, computing each row's key once. The owner column
/// sorts by the owner's name as the column shows it.
fn sort_order(rows: &[KeyRow], col: SortCol) -> Vec<u32> {
    let keys: Vec<SortKey> = rows
        .iter()
        .map(|r| match col {
            SortCol::Owner => SortKey::Text(r.owner.to_lowercase()),
            other => sort_key(r, other.field()),
        })
        .collect();
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        keys[a as usize]
            .cmp(&keys[b as usize])
            .then_with(|| rows[a as usize].key.id.cmp(&rows[b as usize].key.id))
    });
    order
}

/// The label of a row action in the actions menu.
pub fn action_label(a: KeyAction) -> &'static str {
    match a {
        KeyAction::View => "View details",
        KeyAction::Create => "Create",
        KeyAction::Edit => "Edit",
        KeyAction::Delete => "Delete",
        KeyAction::Lock => "Lock",
        KeyAction::Unlock => "Unlock",
        KeyAction::Disable => "Disable",
        KeyAction::Enable => "Enable",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Name,
    Description,
    LeakAction,
    Sessions,
    Expiry,
    Lock,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(Input),
    Choice(LeakAction),
    Flag(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: FieldId,
    pub label: &'static str,
    pub value: FieldValue,
    pub hint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Create,
    Edit {
        key_id: String,
        tag: String,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    /// Edit: the key changed in the store since the dialog opened.
    pub stale: bool,
    /// The first field on screen, when not all fit.
    pub scroll: usize,
}

impl Form {
    fn create() -> Form {
        Form {
            kind: FormKind::Create,
            fields: vec![
                Field {
                    id: FieldId::Name,
                    label: "Name",
                    value: FieldValue::Text(Input::default()),
                    hint: "required",
                },
                Field {
                    id: FieldId::Description,
                    label: "Description",
                    value: FieldValue::Text(Input::default()),
                    hint: "optional",
                },
                Field {
                    id: FieldId::LeakAction,
                    label: "Action when leaked",
                    value: FieldValue::Choice(LeakAction::Disable),
                    hint: "Space: none / disable / delete",
                },
                Field {
                    id: FieldId::Sessions,
                    label: "Session support",
                    value: FieldValue::Flag(false),
                    hint: "Space: may create CLI login sessions, which can be reviewed and revoked",
                },
                Field {
                    id: FieldId::Expiry,
                    label: "Expires",
                    value: FieldValue::Text(Input::default()),
                    hint: "never, or a time like 2027-01-01T00:00:00Z",
                },
                Field {
                    id: FieldId::Lock,
                    label: "Lock the key",
                    value: FieldValue::Flag(false),
                    hint: "Space: a locked key cannot be changed or deleted",
                },
            ],
            focus: 0,
            error: None,
            stale: false,
            scroll: 0,
        }
    }

    fn edit(row: &KeyRow) -> Form {
        Form {
            kind: FormKind::Edit {
                key_id: row.key.id.clone(),
                tag: row.key.entity_tag.clone(),
                name: row.key.name.clone(),
            },
            fields: vec![
                Field {
                    id: FieldId::Name,
                    label: "Name",
                    value: FieldValue::Text(Input::with(&row.key.name)),
                    hint: "required",
                },
                Field {
                    id: FieldId::Description,
                    label: "Description",
                    value: FieldValue::Text(Input::with(&row.key.description)),
                    hint: "optional",
                },
                Field {
                    id: FieldId::LeakAction,
                    label: "Action when leaked",
                    value: FieldValue::Choice(row.key.action_when_leaked),
                    hint: "Space: none / disable / delete",
                },
            ],
            focus: 0,
            error: None,
            stale: false,
            scroll: 0,
        }
    }

    fn text(&self, id: FieldId) -> &str {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| match &f.value {
                FieldValue::Text(i) => Some(i.value()),
                _ => None,
            })
            .unwrap_or("")
    }

    fn flag(&self, id: FieldId) -> bool {
        self.fields
            .iter()
            .any(|f| f.id == id && f.value == FieldValue::Flag(true))
    }

    fn leak(&self) -> LeakAction {
        self.fields
            .iter()
            .find_map(|f| match f.value {
                FieldValue::Choice(l) => Some(l),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn title(&self) -> String {
        match &self.kind {
            FormKind::Create => "Create IBM Cloud API key".to_string(),
            FormKind::Edit { name, .. } => {
                format!("Edit API key {}", crate::text::inert(name))
            }
        }
    }
}

/// Reads the expiry field: empty (or `never`) for none, else an RFC 3339
/// time with an offset, by the same strict rules as `--expires-at` and
/// fixtures ([`crate::time::parse_moment`]).
pub fn parse_expiry(text: &str) -> Result<Option<crate::time::Moment>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    crate::time::parse_moment(t)
        .map(Some)
        .map_err(|e| format!("the expiry: {e}"))
}

#[derive(Debug)]
pub struct Reveal {
    pub created: Created,
    pub shown: bool,
    pub copied: bool,
    pub downloaded: Option<PathBuf>,
    /// Quitting or closing was asked once before the value was copied or
    /// saved, and the user was warned.
    pub warned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Delete {
        key_id: String,
        tag: String,
        name: String,
    },
    CreateClassic,
    /// Lock or disable a key.
    Set {
        action: KeyAction,
        key_id: String,
        tag: String,
    },
    /// Turn the account's API key creation restriction on or off.
    Restrict {
        on: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub yes: &'static str,
    pub danger: bool,
    pub pending: Pending,
}

#[derive(Debug)]
pub enum Popup {
    ViewMenu {
        cursor: usize,
    },
    Actions {
        key_id: String,
        name: String,
        items: Vec<KeyAction>,
        cursor: usize,
    },
    Accounts {
        cursor: usize,
    },
    Details {
        row: Box<KeyRow>,
        scroll: u16,
    },
    Form(Box<Form>),
    Reveal(Box<Reveal>),
    Confirm(Confirm),
    Settings {
        settings: AccountSettings,
        refusal: Option<Denied>,
    },
    Help {
        scroll: u16,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
}

pub struct State {
    pub keymap: Keymap,
    pub theme: Theme,
    /// The terminal's size, for layout and mouse hits.
    pub size: (u16, u16),
    pub now: Timestamp,
    pub demo: bool,
    /// Where the store lives, for the sign-in screen.
    pub store_label: String,
    pub screen: Screen,
    pub sign_in: SignIn,
    pub session: Option<Session>,
    pub page: Page,
    pub popups: Vec<Popup>,
    pub status: Option<Status>,
    /// Jobs in flight, with what each is doing.
    pub busy: Vec<&'static str>,
    pub spinner: usize,
    pub needs_draw: bool,
    pub quit: bool,
    /// The directory a key file is downloaded to.
    pub download_dir: PathBuf,
    /// Where the user's keymap.yaml and theme.yaml are read from, for help.
    pub config_dir: Option<PathBuf>,
    generation: u64,
    /// A key to select when the next listing arrives (a new key).
    select_after_load: Option<String>,
}

mod update;

pub use update::{sort_title, update};

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl State {
    pub fn new(keymap: Keymap, theme: Theme, demo: bool, store_label: String) -> State {
        State {
            keymap,
            theme,
            size: (80, 24),
            now: crate::service::now(),
            demo,
            store_label,
            screen: Screen::SignIn,
            sign_in: SignIn::default(),
            session: None,
            page: Page::default(),
            popups: Vec::new(),
            status: None,
            busy: Vec::new(),
            spinner: 0,
            needs_draw: true,
            quit: false,
            download_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            config_dir: None,
            generation: 0,
            select_after_load: None,
        }
    }

    /// The effects to run at start: the personas on the sign-in screen of a
    /// demo store, or the page for a session opened from the command line.
    pub fn start(&mut self, session: Option<Session>) -> Vec<Effect> {
        match session {
            Some(s) => self.enter_page(s, None),
            None => {
                self.screen = Screen::SignIn;
                self.load_personas()
            }
        }
    }

    pub fn me(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.user.iam_id.as_str())
    }

    pub fn is_busy(&self) -> bool {
        !self.busy.is_empty()
    }

    fn run(&mut self, label: &'static str, job: Job) -> Effect {
        self.busy.push(label);
        Effect::Run(job)
    }

    fn finish(&mut self) {
        self.busy.pop();
    }

    fn load_personas(&mut self) -> Vec<Effect> {
        if !self.demo || !self.sign_in.personas.is_empty() || self.sign_in.loading {
            return Vec::new();
        }
        self.sign_in.loading = true;
        vec![self.run("Loading the demo personas", Job::Personas)]
    }

    fn enter_page(&mut self, session: Session, view: Option<ViewFilter>) -> Vec<Effect> {
        self.session = Some(session);
        self.screen = Screen::Page;
        self.popups.clear();
        self.page = Page {
            view: view.unwrap_or(ViewFilter::MyApiKeys),
            ..Page::default()
        };
        self.load()
    }

    /// Reloads the page for the current session and view.
    fn load(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.clone() else {
            return Vec::new();
        };
        self.generation += 1;
        let job = Job::Load {
            generation: self.generation,
            session,
            view: self.page.view,
            sort: self.page.sort.field(),
            desc: self.page.desc,
        };
        vec![self.run("Loading API keys", job)]
    }

    pub fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }
}
