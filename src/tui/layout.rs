//! Geometry that drawing and `update` share: where popups go, how text
//! wraps into rows, and which part of a scrolled dialog is on screen. Both
//! sides call the same functions, so a scroll limit computed by `update` is
//! the one the screen shows.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use crate::access::ViewFilter;

use super::state::{Form, SortCol};

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
