//! Views and listings: which views a user has, the keys in a view
//! (searched, sorted, paged), and resolving a key by id or name.

use super::*;

impl Service {
    pub(super) fn has_classic_key(&self, account: &Account, iam_id: &str) -> Result<bool> {
        Ok(self
            .store
            .count_keys_of_owner(&account.id, iam_id, KeyKind::Classic)?
            > 0)
    }

    /// The View filter options this user may use here, with what each allows now.
    pub fn views(&self, s: &Session) -> Result<Vec<ViewInfo>> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        let mut out = Vec::new();
        for view in access::views(&account, me) {
            let refusal = match view {
                ViewFilter::MyApiKeys => {
                    let own = self
                        .store
                        .count_keys_of_owner(&account.id, me, KeyKind::User)?;
                    access::may_create_user_key(&account, me, own).err()
                }
                ViewFilter::ClassicInfrastructure => {
                    let has = self.has_classic_key(&account, me)?;
                    access::may_create_classic_key(&account, me, has).err()
                }
                _ => None,
            };
            out.push(ViewInfo {
                view,
                actions: access::view_actions(view, refusal.is_none()),
                create_refused: refusal,
            });
        }
        Ok(out)
    }

    /// Visits every key `view` shows to the signed-in user, reading only
    /// that view's index: the "My" view reads one person's keys.
    pub(super) fn scan_view(
        &self,
        account: &Account,
        me: &str,
        view: ViewFilter,
        each: &mut dyn FnMut(ApiKey) -> bool,
    ) -> Result<()> {
        access::may_use_view(account, me, view)?;
        match view {
            ViewFilter::MyApiKeys => {
                for k in self.store.keys_of_owner(&account.id, me, KeyKind::User)? {
                    if !each(k) {
                        break;
                    }
                }
            }
            ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => {
                self.store.scan_kind(&account.id, view.kind(), each)?;
            }
            ViewFilter::ClassicInfrastructure => {
                self.store
                    .scan_kind(&account.id, KeyKind::Classic, &mut |k| {
                        if access::in_view(account, me, view, &KeyFacts::of(&k)) {
                            each(k)
                        } else {
                            true
                        }
                    })?;
            }
        }
        Ok(())
    }

    /// One page of a view: searched, sorted, paged.
    pub fn list(&self, s: &Session, q: &ListQuery) -> Result<Listing> {
        let account = self.context(s)?;
        self.list_in(&account, s, q)
    }

    /// [`Service::list`] in the session's account, already read.
    pub(super) fn list_in(
        &self,
        account: &Arc<Account>,
        s: &Session,
        q: &ListQuery,
    ) -> Result<Listing> {
        let names = self.names(account)?;
        let needle = q.search.trim().to_lowercase();
        let mut rows = Vec::new();
        self.scan_view(account, &s.user.iam_id, q.view, &mut |k| {
            let row = self.row(&names, k);
            if matches(&row, &needle) {
                rows.push(row);
            }
            true
        })?;
        Ok(q.listing(rows))
    }

    /// Every key of a view, unsorted and unsearched, handed to `each` as it
    /// is read, each decoded once and never held: the console builds its
    /// table from them. `total` hears first how many keys the view holds,
    /// where the store can count them without reading them.
    pub fn scan_rows(
        &self,
        s: &Session,
        view: ViewFilter,
        total: &mut dyn FnMut(usize),
        each: &mut dyn FnMut(KeyRow),
    ) -> Result<()> {
        let account = self.context(s)?;
        let me = &s.user.iam_id;
        access::may_use_view(&account, me, view)?;
        let names = self.names(&account)?;
        let count = match view {
            ViewFilter::MyApiKeys => Some(self.store.count_keys_of_owner(
                &account.id,
                me,
                KeyKind::User,
            )?),
            ViewFilter::AllUserApiKeys | ViewFilter::AllServiceIdApiKeys => {
                self.store.count_kind(&account.id, view.kind())?
            }
            ViewFilter::ClassicInfrastructure => None,
        };
        if let Some(n) = count {
            total(n);
        }
        self.scan_view(&account, me, view, &mut |k| {
            each(self.row(&names, k));
            true
        })
    }

    /// Like [`Service::list`], but holds only a sort key and an id per
    /// matching key: memory stays small however large the view. The rows
    /// are then read one at a time with [`Service::page_rows`].
    pub fn list_ids(&self, s: &Session, q: &ListQuery) -> Result<PageIds> {
        let account = self.context(s)?;
        let names = self.names(&account)?;
        let needle = q.search.trim().to_lowercase();
        let mut hits: Vec<(SortKey, String)> = Vec::new();
        self.scan_view(&account, &s.user.iam_id, q.view, &mut |k| {
            let row = self.row(&names, k);
            if matches(&row, &needle) {
                hits.push((sort_key(&row, q.sort), row.key.id));
            }
            true
        })?;
        hits.sort_unstable();
        if q.desc {
            hits.reverse();
        }
        let total = hits.len();
        let (offset, end) = q.page(total);
        Ok(PageIds {
            total,
            offset,
            ids: hits.drain(offset..end).map(|(_, id)| id).collect(),
            names,
        })
    }

    /// One page of a view, of any size, in bounded memory: the view is read
    /// once, each matching row decoded once and held, in memory up to a
    /// budget and past it in sorted runs on disk (see [`spill`]). Returns
    /// the number of matching keys, the page's offset and length, and its
    /// rows in order.
    ///
    /// [`spill`]: super::spill
    pub fn list_stream(&self, s: &Session, q: &ListQuery) -> Result<StreamedPage<'_>> {
        self.list_stream_within(s, q, super::spill::SPILL_BUDGET)
    }

    /// [`Service::list_stream`], holding at most about `budget` bytes of
    /// rows in memory.
    pub fn list_stream_within(
        &self,
        s: &Session,
        q: &ListQuery,
        budget: usize,
    ) -> Result<StreamedPage<'_>> {
        let account = self.context(s)?;
        let names = self.names(&account)?;
        let needle = q.search.trim().to_lowercase();
        let mut spill = super::spill::Spill::new(self.dir(), budget, q.desc);
        let mut failed = None;
        self.scan_view(&account, &s.user.iam_id, q.view, &mut |k| {
            let row = self.row(&names, k);
            if matches(&row, &needle) {
                let sort = sort_key(&row, q.sort);
                if let Err(e) = spill.push(sort, row) {
                    failed = Some(e);
                    return false;
                }
            }
            true
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let total = spill.total;
        let (offset, end) = q.page(total);
        Ok(StreamedPage {
            total,
            offset,
            len: end - offset,
            rows: spill.into_rows(offset, end - offset)?,
        })
    }

    /// The rows of a page, read from the store one at a time; a key deleted
    /// since the page was listed is skipped.
    pub fn page_rows<'a>(&'a self, page: &'a PageIds) -> impl Iterator<Item = Result<KeyRow>> + 'a {
        page.ids
            .iter()
            .filter_map(move |id| match self.store.key(id) {
                Ok(Some(k)) => Some(Ok(self.row(&page.names, k))),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            })
    }

    /// [`Service::page_rows`], owning the page.
    pub fn into_page_rows(&self, page: PageIds) -> impl Iterator<Item = Result<KeyRow>> + '_ {
        let PageIds { ids, names, .. } = page;
        ids.into_iter()
            .filter_map(move |id| match self.store.key(&id) {
                Ok(Some(k)) => Some(Ok(self.row(&names, k))),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            })
    }

    /// Finds a key by id, or by a name unique among the keys the user can
    /// see here. A key the user cannot see is reported as not found.
    pub fn resolve(&self, s: &Session, key_ref: &str) -> Result<ApiKey> {
        let account = self.context(s)?;
        self.resolve_in(&account, &s.user.iam_id, key_ref)
    }

    /// [`Service::resolve`] in an account already read.
    pub(super) fn resolve_in(&self, account: &Account, me: &str, key_ref: &str) -> Result<ApiKey> {
        not_a_value(key_ref, "a key id or name")?;
        if let Some(k) = self.store.key(key_ref)? {
            if k.account_id == account.id && access::can_see(account, me, &KeyFacts::of(&k)) {
                return Ok(k);
            }
            return Err(not_found(key_ref));
        }
        // Only the keys of that name are read; of those, the ones the user
        // can see in one of their views count (what a scan of every view
        // would find).
        let mut found: Vec<ApiKey> = self
            .store
            .keys_named(&account.id, key_ref)?
            .into_iter()
            .filter(|k| {
                k.account_id == account.id
                    && k.name == key_ref
                    && access::can_see(account, me, &KeyFacts::of(k))
            })
            .collect();
        match found.len() {
            0 => Err(not_found(key_ref)),
            1 => Ok(found.pop().expect("one")),
            _ => {
                let mut ids: Vec<String> = found.into_iter().map(|k| k.id).collect();
                ids.sort();
                Err(ServiceError::BadInput(format!(
                    "the name {key_ref:?} is ambiguous: it names {} keys; use an id: {}",
                    ids.len(),
                    ids.join(", ")
                )))
            }
        }
    }

    /// Email or service ID name for every identity of the session's account,
    /// by iam_id: for showing history actors as people read them.
    pub fn identity_names(&self, s: &Session) -> Result<HashMap<String, String>> {
        let account = self.context(s)?;
        let everyone = self.account(&account.id)?;
        let mut map: HashMap<String, String> = everyone
            .members
            .iter()
            .map(|m| (m.iam_id.clone(), m.email.clone()))
            .collect();
        map.extend(self.names(&account)?.into_map());
        Ok(map)
    }

    pub fn get(&self, s: &Session, key_ref: &str) -> Result<KeyRow> {
        let account = self.context(s)?;
        let key = self.resolve_in(&account, &s.user.iam_id, key_ref)?;
        Ok(self.row(&self.names(&account)?, key))
    }

    /// The actions the user may take on this key now.
    pub fn actions(&self, s: &Session, key: &ApiKey) -> Result<Vec<KeyAction>> {
        let account = self.context(s)?;
        Ok(access::key_actions(
            &account,
            &s.user.iam_id,
            &KeyFacts::of(key),
        ))
    }

    // ---- create ----------------------------------------------------------
}

pub(super) fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        hay.as_bytes()
            .windows(needle_lower.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
            || needle_lower.is_empty()
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// A page of rows read as they are needed: see [`Service::list_stream`].
pub struct StreamedPage<'a> {
    pub total: usize,
    pub offset: usize,
    pub len: usize,
    pub rows: Box<dyn Iterator<Item = Result<KeyRow>> + 'a>,
}

/// The search word that keeps only keys marked leaked.
pub const LEAKED_FILTER: &str = "is:leaked";

/// Does a row match a search? Name, description, owner and id, ignoring
/// case; the word `is:leaked` keeps only keys marked leaked (the rest of
/// the search still applies).
pub fn matches(row: &KeyRow, needle_lower: &str) -> bool {
    if needle_lower.contains(LEAKED_FILTER)
        && needle_lower.split_whitespace().any(|w| w == LEAKED_FILTER)
    {
        if row.key.leak.is_none() {
            return false;
        }
        let rest: Vec<&str> = needle_lower
            .split_whitespace()
            .filter(|w| *w != LEAKED_FILTER)
            .collect();
        return text_matches(row, &rest.join(" "));
    }
    text_matches(row, needle_lower)
}

fn text_matches(row: &KeyRow, needle_lower: &str) -> bool {
    needle_lower.is_empty()
        || contains_ci(&row.key.name, needle_lower)
        || contains_ci(&row.key.description, needle_lower)
        || contains_ci(&row.owner, needle_lower)
        || contains_ci(&row.key.id, needle_lower)
}

/// What a key sorts by for `field`: the one definition every listing (the
/// command line, paging by id, the console) orders by. Ties go by key id,
/// so the order is total.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    Text(String),
    Time(Timestamp),
}

pub fn sort_key(row: &KeyRow, field: SortField) -> SortKey {
    match field {
        SortField::Name => SortKey::Text(row.key.name.to_lowercase()),
        SortField::Description => SortKey::Text(row.key.description.to_lowercase()),
        SortField::CreatedAt => SortKey::Time(row.key.created_at),
        SortField::CreatedBy => SortKey::Text(row.created_by.clone()),
    }
}

/// Orders rows by [`sort_key`], ties by id; `desc` reverses the whole order.
pub fn sort_rows(rows: &mut [KeyRow], field: SortField, desc: bool) {
    rows.sort_by_cached_key(|r| (sort_key(r, field), r.key.id.clone()));
    if desc {
        rows.reverse();
    }
}
