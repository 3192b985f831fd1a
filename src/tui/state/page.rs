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

#[derive(Debug)]
pub struct Page {
    pub loaded: bool,
    pub view: ViewFilter,
    pub views: Vec<ViewInfo>,
    pub accounts: Vec<AccountSummary>,
    pub account: Option<Account>,
    /// What the client cannot show here, said above the table.
    pub client_notice: Option<String>,
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
            client_notice: None,
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
    pub(crate) fn refilter(&mut self) {
        if self.index.len() != self.rows.len() {
            // Rows changed in place (tests do this): index them again.
            self.index = RowIndex::build(&self.rows);
        }
        let was = self.selected_row_index();
        let needle = self.search.value().trim().to_lowercase();
        let order = self.index.order(self.sort);
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let keep = |&&i: &&u32| self.index.matches(i as usize, &self.rows, &needle, &finder);
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
        self.reselect_from(was);
    }

    /// The index in `rows` of the selected key, when the cursor is on it
    /// (one comparison, not a search by id).
    fn selected_row_index(&self) -> Option<usize> {
        let i = *self.visible.get(self.cursor)?;
        let id = self.selected.as_ref()?;
        (self.rows.get(i).map(|r| &r.key.id) == Some(id)).then_some(i)
    }

    /// [`Page::reselect`], knowing the selected key's index in `rows`: its
    /// place among the visible rows is found by comparing indices, which at
    /// a million rows costs a millisecond where comparing ids cost tens.
    fn reselect_from(&mut self, row: Option<usize>) {
        match row.and_then(|r| self.visible.iter().position(|&i| i == r)) {
            Some(pos) => self.cursor = pos,
            None if row.is_some() => {
                // Filtered out: the cursor stays in range, on another key.
                self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
                self.selected = self.selected_row().map(|r| r.key.id.clone());
            }
            None => self.reselect(),
        }
    }

    /// Like `refilter`, after the search changed from `before`: a search
    /// that contains the previous one can only narrow, so only the rows
    /// visible now are tested again.
    pub(crate) fn refilter_from(&mut self, before: &str) {
        let old = before.trim().to_lowercase();
        let needle = self.search.value().trim().to_lowercase();
        if old.is_empty() || !needle.contains(&old) {
            return self.refilter();
        }
        let was = self.selected_row_index();
        let (rows, index) = (&self.rows, &self.index);
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        self.visible
            .retain(|&i| index.matches(i, rows, &needle, &finder));
        self.reselect_from(was);
    }

    pub(crate) fn reselect(&mut self) {
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

    pub(crate) fn select_index(&mut self, cursor: usize) {
        if self.visible.is_empty() {
            self.cursor = 0;
            self.selected = None;
            return;
        }
        self.cursor = cursor.min(self.visible.len() - 1);
        self.selected = self.selected_row().map(|r| r.key.id.clone());
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

    /// A new sort is a precomputed order, walked forwards or backwards.
    pub(crate) fn resort(&mut self) {
        self.refilter();
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

/// What keystrokes need at 100,000 rows, computed once per load in the
/// worker: each row's search text, lowercased, and the row order for every
/// sort field. Typing in the search box then scans prepared text, and a new
/// sort walks a ready order instead of sorting on the UI thread.
#[derive(Debug, Clone, Default)]
pub struct RowIndex {
    /// Name, description, owner and id, lowercased, separated by newlines.
    pub(crate) haystacks: Vec<Box<str>>,
    /// Ascending orders of row indices, one per [`SortCol`], ties by id.
    pub(crate) orders: [Vec<u32>; 4],
}

pub(crate) const FIELD_SEPARATOR: char = '\n';

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

    pub(crate) fn order(&self, col: SortCol) -> &[u32] {
        let i = SortCol::ALL.iter().position(|c| *c == col).unwrap_or(0);
        &self.orders[i]
    }

    /// [`crate::service::matches`], on the prepared text; `finder` searches
    /// for `needle_lower` (made once per search, not once per row).
    pub(crate) fn matches(
        &self,
        i: usize,
        rows: &[KeyRow],
        needle_lower: &str,
        finder: &memchr::memmem::Finder<'_>,
    ) -> bool {
        if needle_lower.is_empty() {
            return true;
        }
        if needle_lower.contains(FIELD_SEPARATOR)
            || needle_lower.contains(crate::service::LEAKED_FILTER)
        {
            // Could match across two fields: ask the service's own test.
            return rows
                .get(i)
                .is_some_and(|r| crate::service::matches(r, needle_lower));
        }
        self.haystacks
            .get(i)
            .is_some_and(|h| finder.find(h.as_bytes()).is_some())
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
pub(crate) fn sort_order(rows: &[KeyRow], col: SortCol) -> Vec<u32> {
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
