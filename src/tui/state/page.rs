//! The page: its areas, rows, search, the window on screen, and the
//! prepared sort orders.

use super::*;

/// The areas of the page that Tab moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Area {
    #[default]
    Table,
    View,
    Search,
    Create,
}

/// Views of more rows than this are searched and sorted on a worker, the
/// table saying "searching…" meanwhile; smaller ones at once.
pub const SYNC_ROWS: usize = 10_000;

/// The search and sort the visible rows were made for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    /// Lowercased and trimmed.
    pub needle: String,
    pub sort: SortCol,
    pub desc: bool,
}

#[derive(Debug)]
pub struct Page {
    pub loaded: bool,
    pub view: ViewFilter,
    pub views: Vec<ViewInfo>,
    pub accounts: Vec<AccountSummary>,
    pub account: Option<Account>,
    /// What the client cannot show here, said above the table.
    pub client_notice: Option<String>,
    /// Every row of the view, in the order loaded, compactly.
    pub table: Arc<RowTable>,
    /// Indices into `table` of the rows matching the search, in sort order.
    pub visible: Arc<Vec<usize>>,
    /// What `visible` was made for.
    pub shown: Shown,
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
    /// A search or sort running on a worker: its generation.
    pub searching: Option<u64>,
    /// The latest search's generation, which workers read to drop the
    /// searches it replaced.
    pub(crate) search_latest: Arc<AtomicU64>,
    /// The search in flight came from typing: its rows are shown from the
    /// top.
    pub(crate) search_to_top: bool,
    /// How far the load in flight has come.
    pub progress: Arc<Progress>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            loaded: false,
            view: ViewFilter::MyApiKeys,
            views: Vec::new(),
            accounts: Vec::new(),
            account: None,
            client_notice: None,
            table: Arc::default(),
            visible: Arc::default(),
            shown: Shown::default(),
            search: Input::default(),
            sort: SortCol::Name,
            desc: false,
            cursor: 0,
            selected: None,
            offset: 0,
            focus: Area::Table,
            searching: None,
            search_latest: Arc::default(),
            search_to_top: false,
            progress: Arc::default(),
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

    /// The selected row, decoded.
    pub fn selected_row(&self) -> Option<KeyRow> {
        self.visible
            .get(self.cursor)
            .and_then(|&i| self.table.row(i))
    }

    /// Row `i` of the table, decoded.
    pub fn row(&self, i: usize) -> Option<KeyRow> {
        self.table.row(i)
    }

    /// Every row of the view, decoded, in the order loaded.
    pub fn rows(&self) -> Vec<KeyRow> {
        self.table.rows()
    }

    /// Replaces the rows (tests change them in place) and shows them.
    pub fn set_rows(&mut self, rows: Vec<KeyRow>) {
        self.table = Arc::new(RowTable::build(rows));
        self.search_latest.fetch_add(1, AtomicOrdering::Relaxed);
        self.searching = None;
        self.refilter_now();
    }

    /// A new table: any search running was for the old one.
    pub(crate) fn set_table(&mut self, table: Arc<RowTable>) {
        self.table = table;
        self.visible = Arc::default();
        self.shown = Shown::default();
        self.search_latest.fetch_add(1, AtomicOrdering::Relaxed);
        self.searching = None;
    }

    pub fn account_name(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.name.as_str())
    }

    /// What the visible rows should be made for now.
    pub fn wanted(&self) -> Shown {
        Shown {
            needle: self.search.value().trim().to_lowercase(),
            sort: self.sort,
            desc: self.desc,
        }
    }

    /// Whether searches and sorts of this view run on a worker.
    pub fn is_large(&self) -> bool {
        self.table.len() > SYNC_ROWS
    }

    /// Recomputes the visible rows for the search and sort, keeping the
    /// selected key: at once for a small view; for a large one, the job
    /// that does it on a worker.
    pub(crate) fn refilter(&mut self) -> Option<Job> {
        if self.is_large() {
            Some(self.search_job(None))
        } else {
            self.refilter_now();
            None
        }
    }

    /// [`Page::refilter`] on this thread, whatever the size.
    pub(crate) fn refilter_now(&mut self) {
        let was = self.selected_row_index();
        let want = self.wanted();
        let visible = self
            .table
            .filter(&want.needle, want.sort, want.desc, &|| false)
            .unwrap_or_default();
        self.visible = Arc::new(visible);
        self.shown = want;
        self.reselect_from(was);
    }

    /// Like `refilter`, after the search was typed in: a search that
    /// contains the one shown can only narrow, so only the rows shown now
    /// are tested again. The rows are then shown from the top.
    pub(crate) fn refilter_typed(&mut self) -> Option<Job> {
        let want = self.wanted();
        let narrows = !self.shown.needle.is_empty()
            && want.needle.contains(&self.shown.needle)
            && !want.needle.contains(crate::service::LEAKED_FILTER)
            && !self.shown.needle.contains(crate::service::LEAKED_FILTER)
            && (want.sort, want.desc) == (self.shown.sort, self.shown.desc);
        if self.is_large() {
            let base = narrows.then(|| Arc::clone(&self.visible));
            let job = self.search_job(base);
            self.search_to_top = true;
            return Some(job);
        }
        if !narrows {
            self.refilter_now();
        } else {
            let was = self.selected_row_index();
            let visible = self
                .table
                .narrow(&self.visible, &want.needle, &|| false)
                .unwrap_or_default();
            self.visible = Arc::new(visible);
            self.shown = want;
            self.reselect_from(was);
        }
        self.offset = 0;
        None
    }

    /// The job that searches and sorts on a worker, from `base` (rows to
    /// narrow) or the whole table; the searches before it are dropped.
    fn search_job(&mut self, base: Option<Arc<Vec<usize>>>) -> Job {
        let generation = self.search_latest.fetch_add(1, AtomicOrdering::Relaxed) + 1;
        self.searching = Some(generation);
        self.search_to_top = false;
        let want = self.wanted();
        Job::Search {
            generation,
            table: Arc::clone(&self.table),
            base,
            needle: want.needle,
            sort: want.sort,
            desc: want.desc,
            latest: Arc::clone(&self.search_latest),
        }
    }

    /// A worker's search results: shown when they answer the latest
    /// search (true), else dropped.
    pub(crate) fn searched(&mut self, generation: u64, shown: Shown, rows: Vec<usize>) -> bool {
        if self.searching != Some(generation) {
            return false;
        }
        self.searching = None;
        let was = self.selected_row_index();
        self.visible = Arc::new(rows);
        self.shown = shown;
        self.reselect_from(was);
        if std::mem::take(&mut self.search_to_top) {
            self.offset = 0;
        }
        true
    }

    /// The index in `table` of the selected key, when the cursor is on it
    /// (one comparison, not a search by id).
    fn selected_row_index(&self) -> Option<usize> {
        let i = *self.visible.get(self.cursor)?;
        let id = self.selected.as_ref()?;
        (i < self.table.len() && self.table.id(i) == id).then_some(i)
    }

    /// [`Page::reselect`], knowing the selected key's index in `table`: its
    /// place among the visible rows is found by comparing indices, which at
    /// a million rows costs a millisecond where comparing ids cost tens.
    fn reselect_from(&mut self, row: Option<usize>) {
        match row.and_then(|r| self.visible.iter().position(|&i| i == r)) {
            Some(pos) => self.cursor = pos,
            None if row.is_some() => {
                // Filtered out: the cursor stays in range, on another key.
                self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
                self.selected = self.selected_id();
            }
            None => self.reselect(),
        }
    }

    /// The id of the key under the cursor.
    fn selected_id(&self) -> Option<String> {
        self.visible
            .get(self.cursor)
            .map(|&i| self.table.id(i).to_string())
    }

    pub(crate) fn reselect(&mut self) {
        let found = self.selected.as_ref().and_then(|id| {
            self.visible
                .iter()
                .position(|&i| i < self.table.len() && self.table.id(i) == id)
        });
        match found {
            Some(pos) => self.cursor = pos,
            None => {
                self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
                self.selected = self.selected_id();
            }
        }
    }

    pub(crate) fn select_index(&mut self, cursor: usize) {
        if self.visible.is_empty() {
            self.cursor = 0;
            self.selected = None;
            return;
        }
        self.cursor = cursor.min(self.visible.len() - 1);
        self.selected = self.selected_id();
    }

    pub(crate) fn move_by(&mut self, delta: isize) {
        let target = if delta < 0 {
            self.cursor.saturating_sub(delta.unsigned_abs())
        } else {
            self.cursor.saturating_add(delta as usize)
        };
        self.select_index(target);
    }

    /// Keeps the cursor inside the drawn window of `rows` rows.
    pub(crate) fn scroll_to_cursor(&mut self, rows: usize) {
        let rows = rows.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + rows {
            self.offset = self.cursor + 1 - rows;
        }
        let max_offset = self.visible.len().saturating_sub(rows);
        self.offset = self.offset.min(max_offset);
    }

    /// The actions the signed-in user may take on a row now (Table 1, via
    /// the access rules), in menu order, with Rotate after Edit where the
    /// rotation rules allow it.
    pub fn actions_for(&self, me: &str, key: &ApiKey) -> Vec<KeyAction> {
        let Some(account) = &self.account else {
            return Vec::new();
        };
        let facts = KeyFacts::of(key);
        let mut actions = access::key_actions(account, me, &facts);
        if access::check(account, me, KeyAction::Rotate, &facts).is_ok() {
            let at = actions
                .iter()
                .position(|a| *a == KeyAction::Edit)
                .map_or(actions.len().min(1), |i| i + 1);
            actions.insert(at, KeyAction::Rotate);
        }
        actions
    }

    /// Why `action` is refused on `key`, if it is.
    pub fn refusal(&self, me: &str, action: KeyAction, key: &ApiKey) -> Option<Denied> {
        let account = self.account.as_ref()?;
        access::check(account, me, action, &KeyFacts::of(key)).err()
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
