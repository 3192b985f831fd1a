//! Geometry that drawing and `update` share: where popups go, how text
//! wraps into rows, and which part of a scrolled dialog is on screen. Both
//! sides call the same functions, so a scroll limit computed by `update` is
//! the one the screen shows.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use crate::access::ViewFilter;
use crate::text::{fit, inert, width};

use super::state::{Form, Popup, SPINNER, SortCol, State, Tone};

/// Rows the page keeps for itself outside popups: the header above, the
/// status line and the key hints below.
const HEADER_ROWS: u16 = 1;
const FOOTER_ROWS: u16 = 2;

/// The part of the screen popups may cover: below the header and above the
/// status line and the key hints, which stay readable.
pub fn popup_room(area: Rect) -> Rect {
    let top = HEADER_ROWS.min(area.height);
    Rect {
        y: area.y + top,
        height: area.height.saturating_sub(top + FOOTER_ROWS),
        ..area
    }
}

/// A centred popup of at most `w`×`h` cells inside [`popup_room`].
pub fn popup_area(area: Rect, w: u16, h: u16) -> Rect {
    let room = popup_room(area);
    room.centered(
        Constraint::Length(w.min(room.width.saturating_sub(2))),
        Constraint::Length(h.min(room.height)),
    )
}

/// Splits `lines` into rows of at most `width` cells, breaking at spaces
/// where possible. Continuation rows start with `indent` spaces (when the
/// width leaves room for text after them). Every returned line is one row,
/// so the count is the height the text needs.
pub fn wrap(lines: Vec<Line<'_>>, width: u16, indent: usize) -> Vec<Line<'static>> {
    let width = (width as usize).max(1);
    let indent = if indent * 2 < width { indent } else { 0 };
    let mut out = Vec::new();
    for line in lines {
        let base = line.style;
        let mut cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| {
                let st = base.patch(s.style);
                s.content.chars().map(move |c| (c, st))
            })
            .collect();
        let mut first = true;
        loop {
            let avail = if first { width } else { width - indent };
            // On the first row, spaces inside the label (the first `indent`
            // cells) are padding, not places to break.
            let (take, skip) = split_at_width(&cells, avail, if first { indent } else { 0 });
            let mut row: Vec<(char, Style)> = Vec::new();
            if !first {
                row.extend(std::iter::repeat_n((' ', Style::default()), indent));
            }
            row.extend_from_slice(&cells[..take]);
            out.push(styled_row(&row).style(base).alignment_opt(line.alignment));
            cells.drain(..(take + skip).min(cells.len()));
            first = false;
            if cells.is_empty() {
                break;
            }
        }
    }
    out
}

trait AlignmentOpt {
    fn alignment_opt(self, a: Option<ratatui::layout::Alignment>) -> Self;
}

impl AlignmentOpt for Line<'static> {
    fn alignment_opt(mut self, a: Option<ratatui::layout::Alignment>) -> Self {
        self.alignment = a;
        self
    }
}

/// How many cells of `cells` go on a row of `avail` cells, and how many
/// spaces after them are dropped at the break.
fn split_at_width(cells: &[(char, Style)], avail: usize, min_break: usize) -> (usize, usize) {
    let mut used = 0;
    let mut end = cells.len();
    for (i, (c, _)) in cells.iter().enumerate() {
        let w = c.width().unwrap_or(0);
        if used + w > avail {
            end = i;
            break;
        }
        used += w;
    }
    if end == cells.len() {
        return (end, 0);
    }
    // Break after the last space that leaves some text on this row.
    if let Some(sp) = cells[..=end.min(cells.len() - 1)]
        .iter()
        .rposition(|(c, _)| *c == ' ')
        .filter(|&sp| sp > min_break && cells[..sp].iter().any(|(c, _)| *c != ' '))
    {
        return (sp, 1);
    }
    (end.max(1), 0)
}

fn styled_row(row: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for &(c, s) in row {
        if style.is_some_and(|cur| cur != s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

/// The first of `n` items to show in a window of `visible` items so that
/// `focus` is on screen, moving the window as little as possible from
/// `offset`.
pub fn window(offset: usize, focus: usize, visible: usize, n: usize) -> usize {
    let visible = visible.max(1);
    let mut offset = offset.min(n.saturating_sub(visible));
    if focus < offset {
        offset = focus;
    } else if focus >= offset + visible {
        offset = focus + 1 - visible;
    }
    offset
}

/// Where the parts of a create or edit dialog go.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormLayout {
    pub frame: Rect,
    /// The line under the title: what the dialog does, or a warning.
    pub intro: Rect,
    /// The fields, two rows each (the field, then its hint).
    pub body: Rect,
    /// The error (wrapped) and the buttons.
    pub foot: Rect,
    /// How many fields fit in `body`.
    pub visible: usize,
    /// The first field shown.
    pub offset: usize,
}

/// Rows of one field: the field and its hint.
pub const FIELD_ROWS: u16 = 2;

pub fn form_layout(area: Rect, form: &Form) -> FormLayout {
    let n = form.fields.len();
    let w = 76;
    let room = popup_room(area);
    let inner_w = w.min(room.width.saturating_sub(2)).saturating_sub(4);
    let error_rows = match &form.error {
        Some(e) => wrap(vec![Line::raw(format!("✗ {e}"))], inner_w, 2).len() as u16,
        None => 1,
    }
    .min(4);
    let foot_h = error_rows + 1;
    // Border, intro line and a gap, the fields, the footer.
    let want = 2 + 2 + n as u16 * FIELD_ROWS + foot_h;
    let frame = popup_area(area, w, want);
    let inner = Rect {
        x: frame.x + 2,
        y: frame.y + 1,
        width: frame.width.saturating_sub(4),
        height: frame.height.saturating_sub(2),
    };
    let intro = Rect {
        height: 1.min(inner.height),
        ..inner
    };
    let body_y = inner.y + 2.min(inner.height);
    let foot_y = inner.bottom().saturating_sub(foot_h).max(body_y);
    let body = Rect {
        y: body_y,
        height: foot_y - body_y,
        ..inner
    };
    let foot = Rect {
        y: foot_y,
        height: inner.bottom() - foot_y,
        ..inner
    };
    let visible = ((body.height / FIELD_ROWS) as usize).max(1).min(n.max(1));
    let offset = window(form.scroll, form.focus, visible, n);
    FormLayout {
        frame,
        intro,
        body,
        foot,
        visible,
        offset,
    }
}

/// A column of the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Name,
    Description,
    Owner,
    Created,
    Status,
    LastUsed,
}

impl Col {
    /// The column's title in `view`.
    pub fn title(self, view: ViewFilter) -> &'static str {
        match self {
            Col::Name => "Name",
            Col::Description => "Description",
            Col::Owner => match view {
                ViewFilter::AllServiceIdApiKeys => "Service ID",
                ViewFilter::ClassicInfrastructure => "User",
                _ => "Owner",
            },
            Col::Created => "Date created",
            Col::Status => "Status",
            Col::LastUsed => "Last used",
        }
    }

    /// The sort this column stands for, if it sorts.
    pub fn sort(self) -> Option<SortCol> {
        match self {
            Col::Name => Some(SortCol::Name),
            Col::Description => Some(SortCol::Description),
            Col::Owner => Some(SortCol::Owner),
            Col::Created => Some(SortCol::Created),
            Col::Status | Col::LastUsed => None,
        }
    }
}

/// The table's columns for a view on a table `table_width` cells wide
/// (borders included), most important first where some must go.
pub fn table_columns(view: ViewFilter, table_width: u16) -> Vec<Col> {
    let has_owner = view != ViewFilter::MyApiKeys;
    let wide = table_width >= 100;
    let mut cols = vec![Col::Name];
    // On narrow screens the owner matters more than the description,
    // which the details still show.
    if !has_owner || wide {
        cols.push(Col::Description);
    }
    if has_owner {
        cols.push(Col::Owner);
    }
    cols.push(Col::Created);
    cols.push(Col::Status);
    if wide || !has_owner {
        cols.push(Col::LastUsed);
    }
    cols
}

/// The sorts `s` cycles through: those of the columns on screen, in
/// their order.
pub fn sortable(view: ViewFilter, table_width: u16) -> Vec<SortCol> {
    table_columns(view, table_width)
        .into_iter()
        .filter_map(Col::sort)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wrap_breaks_at_spaces_and_indents() {
        let rows = wrap(vec![Line::raw("one two three four")], 9, 2);
        assert_eq!(text(&rows), ["one two", "  three", "  four"]);
        let rows = wrap(vec![Line::raw("abcdefghij")], 4, 0);
        assert_eq!(text(&rows), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap(vec![Line::raw("")], 4, 0).len(), 1);
        // A padded label is not a place to break.
        let rows = wrap(vec![Line::raw("CRN      crn:v1:abcdefgh")], 20, 9);
        assert_eq!(text(&rows), ["CRN      crn:v1:abcd", "         efgh"]);
    }

    #[test]
    fn the_window_follows_the_focus() {
        assert_eq!(window(0, 5, 3, 6), 3);
        assert_eq!(window(3, 1, 3, 6), 1);
        assert_eq!(window(2, 3, 3, 6), 2);
        assert_eq!(window(9, 0, 3, 2), 0);
    }

    #[test]
    fn popups_leave_the_header_status_and_hints_alone() {
        let r = popup_area(Rect::new(0, 0, 60, 15), 76, 40);
        assert_eq!((r.y, r.bottom()), (1, 13));
        assert!(r.width <= 58);
    }
}

/// Where the parts of the page are, for drawing and for mouse hits.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageLayout {
    pub header: Rect,
    pub account: Rect,
    pub view: Rect,
    pub search: Rect,
    pub create: Rect,
    pub notice: Rect,
    pub table: Rect,
    /// The table's rows, below its header line.
    pub table_body: Rect,
    pub status: Rect,
    pub footer: Rect,
}

pub fn page_layout(area: Rect, st: &State) -> PageLayout {
    // The reason creating is refused: one line, or two when it is long.
    let notice_h = match notice_text(st) {
        None => 0,
        Some(n) => {
            let w = (area.width as usize).max(1);
            (width(&n) + 4).div_ceil(w).min(3) as u16
        }
    };
    let [header, toolbar, notice, table, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(notice_h),
        Constraint::Min(3),
        Constraint::Length(status_height(st, area.width)),
        Constraint::Length(1),
    ])
    .areas(area);
    let acc_w = width(&header_right(st, area.width).1) as u16 + 1;
    let account = Rect {
        x: header.right().saturating_sub(acc_w),
        width: acc_w,
        ..header
    };
    let create_w = if st.page.can_create() {
        width(create_label(st, area.width >= 110)) as u16 + 2
    } else {
        0
    };
    let view_w = 37.min(toolbar.width / 2);
    let [view, search, create] = Layout::horizontal([
        Constraint::Length(view_w),
        Constraint::Fill(1),
        Constraint::Length(create_w),
    ])
    .areas(toolbar);
    let inner = table.inner(Margin::new(1, 1));
    let table_body = Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    };
    PageLayout {
        header,
        account,
        view,
        search,
        create,
        notice,
        table,
        table_body,
        status,
        footer,
    }
}

/// Where the sign-in screen's parts are.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInLayout {
    pub frame: Rect,
    pub key: Rect,
    pub personas: Rect,
}

pub fn sign_in_layout(area: Rect, st: &State) -> SignInLayout {
    let n = st.sign_in.personas.len() as u16;
    let persona_h = if st.demo { n.max(1) + 3 } else { 0 };
    let h = (6 + persona_h).min(area.height.saturating_sub(3));
    let w = 104.min(area.width.saturating_sub(4));
    let frame = area
        .inner(Margin::new(0, 1))
        .centered(Constraint::Length(w), Constraint::Length(h));
    let inner = frame.inner(Margin::new(2, 1));
    let key = Rect {
        x: inner.x,
        y: inner.y + 1,
        width: inner.width,
        height: 1.min(inner.height),
    };
    // Below: the field's label, the field, its help, a gap, the persona
    // heading and the persona table's header.
    let personas_y = inner.y + 6;
    let personas = Rect {
        x: inner.x,
        y: personas_y.min(inner.bottom()),
        width: inner.width,
        height: inner.bottom().saturating_sub(personas_y),
    };
    SignInLayout {
        frame,
        key,
        personas,
    }
}

/// A menu popup's rectangle and the screen row of its first item.
pub fn menu_geometry(st: &State, popup: &Popup, area: Rect) -> Option<(Rect, u16)> {
    // Menus, like dialogs, leave the status line and the hints readable.
    let room = super::layout::popup_room(area);
    let clamp = |r: Rect| r.clamp(room);
    match popup {
        Popup::ViewMenu { .. } => {
            let l = page_layout(area, st);
            let w = st
                .page
                .views
                .iter()
                .map(|v| width(v.view.label()) as u16)
                .max()
                .unwrap_or(20)
                + 6;
            let h = st.page.views.len() as u16 + 2;
            let r = clamp(Rect::new(l.view.x, l.view.bottom().saturating_sub(1), w, h));
            Some((r, r.y + 1))
        }
        Popup::Accounts { .. } => {
            let l = page_layout(area, st);
            let w = st
                .page
                .accounts
                .iter()
                .map(|a| (width(&a.name) + width(&a.id)) as u16 + 8)
                .max()
                .unwrap_or(20)
                .max(24);
            let h = st.page.accounts.len() as u16 + 2;
            let r = clamp(Rect::new(
                area.right().saturating_sub(w + 1),
                l.header.bottom(),
                w,
                h,
            ));
            Some((r, r.y + 1))
        }
        Popup::Actions { items, name, .. } => {
            let w = (width(&inert(name)) as u16 + 6)
                .max(30)
                .min(area.width.saturating_sub(4));
            let h = items.len().max(1) as u16 + 2;
            // Beside the selected row when it is on screen: below it, or
            // above it when there is no room below.
            let l = page_layout(area, st);
            let page = &st.page;
            let r = if page.cursor >= page.offset
                && page.cursor - page.offset < l.table_body.height as usize
            {
                let row_y = l.table_body.y + (page.cursor - page.offset) as u16;
                let y = if row_y + 1 + h <= room.bottom() {
                    row_y + 1
                } else {
                    row_y.saturating_sub(h)
                };
                clamp(Rect::new(l.table_body.x + 2, y, w, h))
            } else {
                area.centered(Constraint::Length(w), Constraint::Length(h))
            };
            Some((r, r.y + 1))
        }
        _ => None,
    }
}

pub fn account_label(st: &State) -> String {
    let name = st.page.account_name().unwrap_or("");
    let id = st.session.as_ref().map_or("", |s| s.account_id.as_str());
    if name.is_empty() {
        format!("{} ▾", inert(id))
    } else {
        format!("{} ({}) ▾", inert(name), inert(id))
    }
}

pub fn create_label(st: &State, wide: bool) -> &'static str {
    match st.page.view {
        ViewFilter::ClassicInfrastructure if wide => " Create a classic infrastructure API key + ",
        ViewFilter::ClassicInfrastructure => " Create classic key + ",
        _ => " Create + ",
    }
}

pub fn notice_text(st: &State) -> Option<String> {
    let refused = st
        .page
        .view_info()
        .and_then(|info| info.create_refused.as_ref())
        .map(|d| format!("Creating API keys is not possible here: {d}"));
    let refused = match (refused, expiring_soon(st)) {
        (Some(r), Some(e)) => Some(format!("{e} · {r}")),
        (r, e) => e.or(r),
    };
    match (refused, st.page.client_notice.as_ref()) {
        (Some(r), Some(c)) => Some(format!("{r} · {c}")),
        (r, c) => r.or_else(|| c.cloned()),
    }
}

/// On "My IBM Cloud API keys": a warning naming the signed-in user's own
/// keys that expire within a week.
fn expiring_soon(st: &State) -> Option<String> {
    // A view of more keys than a person keeps is not read row by row for
    // every frame.
    if st.page.view != crate::access::ViewFilter::MyApiKeys || st.page.is_large() {
        return None;
    }
    let me = &st.session.as_ref()?.user.iam_id;
    let h = st
        .page
        .account
        .as_ref()
        .map(|a| a.settings.housekeeping())
        .unwrap_or_default();
    let mut soon: Vec<(i64, String)> = st
        .page
        .table
        .with_expiry()
        .iter()
        .filter(|k| &k.iam_id == me)
        .filter_map(|k| {
            k.notes(st.now, h)
                .expires_in_days
                .map(|d| (d, inert(&k.name).into_owned()))
        })
        .collect();
    if soon.is_empty() {
        return None;
    }
    soon.sort();
    let days = |d: i64| {
        if d == 1 {
            "1 day".to_string()
        } else {
            format!("{d} days")
        }
    };
    Some(match soon.as_slice() {
        [(d, name)] => format!("⚠ Your API key {name} expires in {}: rotate it", days(*d)),
        [(d, name), rest @ ..] => format!(
            "⚠ {} of your API keys expire within a week, {name} first (in {})",
            rest.len() + 1,
            days(*d)
        ),
        [] => return None,
    })
}

/// Room the breadcrumb keeps on the left of the header.
const BREADCRUMB_CELLS: u16 = 47;

/// The signed-in user and the account for the header, as much of each as
/// fits beside the breadcrumb.
pub fn header_right(st: &State, cells: u16) -> (String, String) {
    let Some(s) = &st.session else {
        return (String::new(), String::new());
    };
    let avail = cells.saturating_sub(BREADCRUMB_CELLS) as usize;
    let email = inert(&s.user.email).into_owned();
    let full_user = if s.user.name.is_empty() {
        email.clone()
    } else {
        format!("{} <{email}>", inert(&s.user.name))
    };
    let name = st.page.account_name().map(|n| inert(n).into_owned());
    let short_account = format!(
        "{} ▾",
        name.clone()
            .unwrap_or_else(|| inert(&s.account_id).into_owned())
    );
    let candidates = [
        (full_user, account_label(st)),
        (email.clone(), account_label(st)),
        (email, short_account.clone()),
        (String::new(), short_account.clone()),
    ];
    for (user, account) in candidates {
        let w = width(&user) + width(&account) + if user.is_empty() { 1 } else { 4 };
        if w <= avail {
            return (user, account);
        }
    }
    (String::new(), fit(&short_account, avail).into_owned())
}

/// The status line as rows: a long message wraps onto up to
/// [`STATUS_MAX_ROWS`] rows instead of being cut.
pub fn status_rows(st: &State, cells: u16) -> Vec<Line<'static>> {
    let t = &st.theme;
    let line = if let Some(label) = st.busy.last() {
        Line::from(vec![
            Span::styled(
                format!(" {} ", SPINNER[st.spinner % SPINNER.len()]),
                t.spinner,
            ),
            Span::styled(format!("{label}…"), t.status_info),
        ])
    } else if let Some(s) = &st.status {
        let (mark, style) = match s.tone {
            Tone::Info => ("ℹ", t.status_info),
            Tone::Ok => ("✓", t.status_ok),
            Tone::Error => ("✗", t.status_error),
        };
        Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(inert(&s.text).into_owned(), style),
        ])
    } else {
        Line::raw("")
    };
    let mut rows = wrap(vec![line], cells.saturating_sub(1), 3);
    if rows.len() > STATUS_MAX_ROWS {
        rows.truncate(STATUS_MAX_ROWS);
        if let Some(last) = rows.last_mut() {
            let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
            let style = last.spans.last().map(|s| s.style).unwrap_or_default();
            *last = Line::styled(
                fit(&format!("{text}  "), cells.saturating_sub(1) as usize).into_owned(),
                style,
            );
        }
    }
    rows
}

/// The most rows a status message takes.
pub const STATUS_MAX_ROWS: usize = 3;

pub fn status_height(st: &State, cells: u16) -> u16 {
    status_rows(st, cells).len() as u16
}
