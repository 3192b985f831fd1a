//! Drawing: a pure function of the state. Only the rows on screen are
//! built, so the cost of a frame does not grow with the number of keys.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::access::ViewFilter;
use crate::domain::KeyKind;
use crate::service::KeyRow;
use crate::text::{fit, inert, width};

use super::keymap::{Command, Context};
use super::layout::{Col, table_columns};
use super::state::{Area, Popup, SPINNER, Screen, State, sort_title};
use super::theme::Theme;

mod popups;
mod sign_in;

pub use super::content::{date, date_time, help_lines, scroll_limit, scroll_page};
pub use super::layout::{PageLayout, SignInLayout, menu_geometry, page_layout, sign_in_layout};
use super::layout::{create_label, header_right, notice_text, status_rows};
use popups::draw_popup;
use sign_in::draw_sign_in;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
pub const BREADCRUMB: &str = "Manage > Access (IAM) > API keys";

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, st: &State) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, &st.theme);
        return;
    }
    match st.screen {
        Screen::SignIn => draw_sign_in(frame, area, st),
        Screen::Page => draw_page(frame, area, st),
    }
    for popup in &st.popups {
        draw_popup(frame, area, st, popup);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect, t: &Theme) {
    let lines = vec![
        Line::styled("Terminal too small", t.warning),
        Line::raw(""),
        Line::raw(format!("{}×{} now", area.width, area.height)),
        Line::raw(format!("iamkeys needs at least {MIN_WIDTH}×{MIN_HEIGHT}")),
        Line::raw(""),
        Line::styled("Enlarge the window, or press q to quit", t.muted),
    ];
    let h = (lines.len() as u16).min(area.height);
    let r = area.centered_vertically(Constraint::Length(h));
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

fn block<'a>(t: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(title.into())
}

fn title<'a>(t: &Theme, s: impl Into<String>) -> Line<'a> {
    Line::from(vec![
        Span::raw(" "),
        Span::styled(s.into(), t.title),
        Span::raw(" "),
    ])
}

fn header_line(st: &State, area: Rect, frame: &mut Frame) {
    let t = &st.theme;
    frame.render_widget(Block::new().style(t.header), area);
    let mut spans = vec![
        Span::styled(" iamkeys ", t.brand),
        Span::styled(" Manage > Access (IAM) > ", t.breadcrumb),
        Span::styled("API keys", t.breadcrumb_current),
    ];
    if st.is_busy() {
        spans.push(Span::styled(
            format!("  {} ", SPINNER[st.spinner % SPINNER.len()]),
            t.spinner.patch(t.header),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let (user, account) = header_right(st, area.width);
    if user.is_empty() && account.is_empty() {
        return;
    }
    let mut right = Vec::new();
    if !user.is_empty() {
        right.push(Span::styled(user, t.user));
        right.push(Span::styled(" │ ", t.breadcrumb));
    }
    right.push(Span::styled(account, t.breadcrumb_current));
    right.push(Span::styled(" ", t.header));
    let right = Line::from(right);
    let w = right.width() as u16;
    let r = Rect {
        x: area.right().saturating_sub(w),
        width: w.min(area.width),
        ..area
    };
    frame.render_widget(Paragraph::new(right), r);
}

fn status_line(st: &State, area: Rect, frame: &mut Frame) {
    let rows = status_rows(st, area.width);
    frame.render_widget(Paragraph::new(rows), area);
}

/// The footer's key hints. Those that must always be seen (help, quit,
/// close) are kept first; the others follow in order while they fit, and
/// all are shown in the order given.
fn hints(st: &State, ctx: Context, items: &[(Command, &str)], area: Rect, frame: &mut Frame) {
    let typing = typing(st);
    let key = |cmd: Command| {
        let ctx = if st.keymap.key_for(ctx, cmd).is_some() {
            ctx
        } else {
            Context::Global
        };
        if typing {
            st.keymap.hint_typing(ctx, cmd)
        } else {
            st.keymap.hint(ctx, cmd)
        }
    };
    let keyed: Vec<(String, &str, bool)> = items
        .iter()
        .map(|(cmd, label)| {
            let essential = matches!(cmd, Command::Help | Command::Quit | Command::Close);
            (key(*cmd), *label, essential)
        })
        .collect();
    hint_bar(frame, &st.theme, &keyed, area);
}

/// A row of key hints (`key`, `label`, essential) after a one-cell margin,
/// as many as fit, the essential ones first.
pub(crate) fn hint_bar(frame: &mut Frame, t: &Theme, items: &[(String, &str, bool)], area: Rect) {
    let room = (area.width as usize).saturating_sub(1);
    let line = popups::hint_spans(t, &fit_hints(items, room), room);
    frame.render_widget(
        Paragraph::new(line),
        Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(1),
            ..area
        },
    );
}

/// The hints that fit in `room` cells: the essential ones (help, quit,
/// close) first, then the others in order while they fit; in the order
/// given. Hints without a key are left out.
pub(crate) fn fit_hints<'a>(
    items: &[(String, &'a str, bool)],
    room: usize,
) -> Vec<(String, &'a str)> {
    let cost = |(k, l, _): &(String, &str, bool)| width(k) + 1 + width(l) + 3;
    let mut keep = vec![false; items.len()];
    let mut used = 0;
    for essential in [true, false] {
        for (i, item) in items.iter().enumerate() {
            if item.2 == essential && !item.0.is_empty() && used + cost(item) <= room + 3 {
                keep[i] = true;
                used += cost(item);
            }
        }
    }
    items
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|((k, l, _), _)| (k.clone(), *l))
        .collect()
}

/// Whether a text field has the focus, so plain characters type.
fn typing(st: &State) -> bool {
    match st.popups.last() {
        Some(Popup::Form(form)) => form
            .fields
            .get(form.focus)
            .is_some_and(|f| matches!(f.value, super::state::FieldValue::Text(_))),
        Some(_) => false,
        None => st.screen == Screen::Page && st.page.focus == Area::Search,
    }
}

fn draw_page(frame: &mut Frame, area: Rect, st: &State) {
    let t = &st.theme;
    let l = page_layout(area, st);
    header_line(st, l.header, frame);

    // View filter dropdown button.
    let view_focus = st.page.focus == Area::View;
    let view_block = block(t, title(t, "View"), view_focus);
    let label = st.page.view.label();
    let inner_w = l.view.width.saturating_sub(4) as usize;
    let view_line = Line::from(vec![
        Span::styled(
            crate::text::pad(
                &fit(label, inner_w.saturating_sub(2)),
                inner_w.saturating_sub(1),
            ),
            if view_focus { t.input_focus } else { t.text },
        ),
        Span::styled("▾", t.key),
    ]);
    frame.render_widget(
        Paragraph::new(view_line)
            .block(view_block.padding(ratatui::widgets::Padding::horizontal(1))),
        l.view,
    );

    // Search box.
    let search_focus = st.page.focus == Area::Search;
    let sb = block(t, title(t, "Search"), search_focus);
    let sinner = sb.inner(l.search);
    frame.render_widget(sb, l.search);
    let field = Rect {
        x: sinner.x + 1,
        width: sinner.width.saturating_sub(2),
        ..sinner
    };
    if st.page.search.is_empty() && !search_focus {
        let hint = format!(
            "{} to filter by name, description, owner or ID",
            st.keymap.hint(Context::Page, Command::Search)
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&hint, field.width as usize).into_owned(),
                t.muted,
            )),
            field,
        );
    } else {
        draw_input(
            frame,
            field,
            st.page.search.value(),
            st.page.search.cursor(),
            search_focus,
            false,
            t,
        );
    }

    // Create button, where creating is possible.
    if st.page.can_create() && l.create.width > 0 {
        let focus = st.page.focus == Area::Create;
        let style = if focus { t.button_focus } else { t.button };
        let b = block(t, "", focus);
        let r = b.inner(l.create);
        frame.render_widget(b, l.create);
        frame.render_widget(Block::new().style(style), r);
        frame.render_widget(
            Paragraph::new(Span::styled(create_label(st, area.width >= 110), style))
                .alignment(Alignment::Center),
            r,
        );
    }
    if let Some(n) = notice_text(st) {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(" ⓘ ", t.warning),
                Span::styled(inert(&n).into_owned(), t.muted),
            ]))
            .wrap(Wrap { trim: false }),
            l.notice,
        );
    }

    draw_table(frame, &l, st);
    status_line(st, l.status, frame);
    let (ctx, items) = footer_items(st);
    hints(st, ctx, &items, l.footer, frame);
}

/// The key hints for the footer: those of the top popup, else the page's.
fn footer_items(st: &State) -> (Context, Vec<(Command, &'static str)>) {
    match st.popups.last() {
        Some(Popup::ViewMenu { .. } | Popup::Actions { .. } | Popup::Accounts { .. }) => (
            Context::Menu,
            vec![
                (Command::Down, "next"),
                (Command::Up, "previous"),
                (Command::Confirm, "choose"),
                (Command::Close, "close"),
            ],
        ),
        Some(Popup::Form(_)) => {
            let mut items = vec![(Command::NextField, "next field")];
            if !typing(st) {
                items.push((Command::Toggle, "toggle"));
            }
            items.extend([(Command::Confirm, "save"), (Command::Close, "cancel")]);
            (Context::Form, items)
        }
        Some(Popup::Reveal(_)) => (
            Context::Reveal,
            vec![
                (Command::Show, "show/hide"),
                (Command::Copy, "copy"),
                (Command::Download, "download"),
                (Command::Close, "close"),
            ],
        ),
        Some(Popup::Confirm(_)) => (
            Context::Confirm,
            vec![(Command::Confirm, "yes"), (Command::Close, "no")],
        ),
        Some(Popup::Help { .. }) => (
            Context::Details,
            vec![(Command::Down, "scroll"), (Command::Close, "close")],
        ),
        Some(Popup::Details { .. }) => (
            Context::Details,
            vec![
                (Command::Down, "scroll"),
                (Command::Open, "actions"),
                (Command::Close, "close"),
            ],
        ),
        Some(Popup::Settings { refusal, .. }) => {
            let mut items = Vec::new();
            if refusal.is_none() {
                items.push((Command::Toggle, "turn on/off"));
            }
            items.push((Command::Close, "close"));
            (Context::Form, items)
        }
        None if st.page.focus == Area::Search => (
            Context::Page,
            vec![
                (Command::Open, "done"),
                (Command::Down, "to the keys"),
                (Command::Close, "stop typing"),
                (Command::Help, "help"),
            ],
        ),
        None => {
            let mut items = vec![
                (Command::Open, "actions"),
                (Command::ViewMenu, "view"),
                (Command::Search, "search"),
            ];
            if st.page.can_create() {
                items.push((Command::Create, "create"));
            }
            items.extend([
                (Command::SortNext, "sort"),
                (Command::Details, "details"),
                (Command::Help, "help"),
                (Command::Quit, "quit"),
                (Command::Accounts, "account"),
                (Command::Settings, "settings"),
                (Command::Persona, "switch user"),
            ]);
            (Context::Page, items)
        }
    }
}

/// Column widths for `avail` cells: each column as wide as its title and
/// the rows on screen need. When that is too much, every column keeps a
/// floor and the rest goes by priority: the name first (up to two fifths
/// of the room), then the status, the owner and the description, then the
/// name again.
fn column_widths(
    cols: &[Col],
    titles: &[String],
    rows: &[Vec<String>],
    avail: usize,
) -> Vec<usize> {
    let need: Vec<usize> = (0..cols.len())
        .map(|i| {
            rows.iter()
                .map(|r| width(&r[i]))
                .chain([width(&titles[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let floor = |c: &Col| match c {
        Col::Name => Some(12),
        Col::Owner | Col::Description | Col::Status => Some(8),
        Col::Created | Col::LastUsed => None,
    };
    let mut widths: Vec<usize> = cols
        .iter()
        .zip(&need)
        .map(|(c, n)| floor(c).map_or(*n, |f| f.min(*n)))
        .collect();
    let mut left = avail.saturating_sub(widths.iter().sum());
    let grow = |col: Col, cap: usize, widths: &mut Vec<usize>, left: &mut usize| {
        if let Some(i) = cols.iter().position(|c| *c == col) {
            let more = need[i].min(cap).saturating_sub(widths[i]).min(*left);
            widths[i] += more;
            *left -= more;
        }
    };
    grow(Col::Name, (avail * 2 / 5).max(12), &mut widths, &mut left);
    grow(Col::Status, usize::MAX, &mut widths, &mut left);
    // The owner and the description share what is left, a cell at a time,
    // so neither starves the other.
    let shared: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Col::Owner | Col::Description))
        .map(|(i, _)| i)
        .collect();
    while left > 0 {
        let mut grew = false;
        for &i in &shared {
            if left > 0 && widths[i] < need[i] {
                widths[i] += 1;
                left -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    grow(Col::Name, usize::MAX, &mut widths, &mut left);
    widths
}

/// Names cut to `cells` so that names that differ still read differently:
/// where a cut would make two the same, both keep their start and end.
fn fit_distinct(names: &[String], cells: usize) -> Vec<String> {
    let cut: Vec<String> = names.iter().map(|n| fit(n, cells).into_owned()).collect();
    (0..cut.len())
        .map(|i| {
            let clash = (0..cut.len()).any(|j| cut[j] == cut[i] && names[j] != names[i]);
            if clash {
                fit_middle(&names[i], cells)
            } else {
                cut[i].clone()
            }
        })
        .collect()
}

/// `s` cut in the middle to `cells`: its start, `…`, its end.
fn fit_middle(s: &str, cells: usize) -> String {
    if width(s) <= cells || cells < 3 {
        return fit(s, cells).into_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let tail_w = (cells - 1) / 2;
    let head_w = cells - 1 - tail_w;
    let head: String = fit(s, head_w + 1).trim_end_matches('…').to_string();
    let mut tail = String::new();
    for c in chars.iter().rev() {
        let mut t = c.to_string();
        t.push_str(&tail);
        if width(&t) > tail_w {
            break;
        }
        tail = t;
    }
    format!("{head}…{tail}")
}

fn badges<'a>(row: &KeyRow, now: Timestamp, t: &Theme, short: bool) -> Line<'a> {
    let s = row.key.status(now);
    let mut spans = Vec::new();
    let mut add = |on: bool, label: &'static str, short_label: &'static str, style: Style| {
        if on {
            let l = if short { short_label } else { label };
            if t.monochrome {
                spans.push(Span::styled(format!("[{l}]"), style));
            } else {
                spans.push(Span::styled(format!(" {l} "), style));
            }
            spans.push(Span::raw(" "));
        }
    };
    add(s.locked, "locked", "locked", t.badge_locked);
    add(s.disabled, "disabled", "disabled", t.badge_disabled);
    add(s.expired, "expired", "expired", t.badge_expired);
    add(
        row.key.managed_by.is_some() && !short,
        "managed",
        "mgd",
        t.badge_managed,
    );
    if spans.is_empty() {
        spans.push(Span::styled(
            if t.monochrome {
                crate::domain::ACTIVE.to_string()
            } else {
                format!(" {}", crate::domain::ACTIVE)
            },
            t.muted,
        ));
    }
    Line::from(spans)
}

fn draw_table(frame: &mut Frame, l: &PageLayout, st: &State) {
    let t = &st.theme;
    let page = &st.page;
    let shown = page.visible.len();
    let total = page.rows.len();
    let count = if !page.loaded {
        "loading…".to_string()
    } else if page.search.is_empty() {
        format!("{total} {}", if total == 1 { "key" } else { "keys" })
    } else {
        format!(
            "{shown} of {total} match \"{}\"",
            inert(page.search.value())
        )
    };
    let left = Line::from(vec![
        Span::raw(" "),
        Span::styled(page.view.label(), t.title),
        Span::styled(format!(" · {count} "), t.muted),
    ]);
    let right = Line::from(vec![
        Span::styled(" sort: ", t.muted),
        Span::styled(
            format!(
                "{} {} ",
                sort_title(page.sort, page.view),
                if page.desc { "↓" } else { "↑" }
            ),
            t.label,
        ),
    ])
    .alignment(Alignment::Right);
    let focused = page.focus == Area::Table;
    let b = block(t, left, focused).title(right);

    if !page.loaded {
        let msg = if st.is_busy() { "Loading…" } else { "" };
        frame.render_widget(
            Paragraph::new(Span::styled(msg, t.muted))
                .alignment(Alignment::Center)
                .block(b),
            l.table,
        );
        return;
    }
    if page.visible.is_empty() {
        let msg = if page.search.is_empty() {
            match page.view {
                ViewFilter::MyApiKeys => "You have no IBM Cloud API keys in this account yet.",
                ViewFilter::ClassicInfrastructure => "No classic infrastructure API keys to show.",
                _ => "No API keys in this view.",
            }
        } else {
            "No API key matches the search."
        };
        let lines = vec![Line::raw(""), Line::styled(msg, t.muted)];
        frame.render_widget(
            Paragraph::new(lines).alignment(Alignment::Center).block(b),
            l.table,
        );
        return;
    }

    let inner_w = l.table.width.saturating_sub(2);
    let cols = table_columns(page.view, l.table.width);
    let short = inner_w < 98;
    let arrow = if page.desc { " ↓" } else { " ↑" };
    let titles: Vec<String> = cols
        .iter()
        .map(|c| {
            let mut t = c.title(page.view).to_string();
            if c.sort() == Some(page.sort) {
                t.push_str(arrow);
            }
            t
        })
        .collect();

    let body_h = l.table_body.height as usize;
    let start = page.offset.min(shown);
    let end = (start + body_h).min(shown);
    // Only the rows on screen are built, and sized.
    let on_screen: Vec<&KeyRow> = page.visible[start..end]
        .iter()
        .filter_map(|&i| page.rows.get(i))
        .collect();
    let me = st.session.as_ref().map(|s| s.user.iam_id.as_str());
    let owner_text = |r: &KeyRow| {
        let mut o = inert(&r.owner).into_owned();
        if r.key.kind != KeyKind::ServiceId && me == Some(r.key.iam_id.as_str()) {
            o.push_str(" (you)");
        }
        o
    };
    let texts: Vec<Vec<String>> = on_screen
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| match c {
                    Col::Name => inert(&r.key.name).into_owned(),
                    Col::Description => inert(&r.key.description).into_owned(),
                    Col::Owner => owner_text(r),
                    Col::Created => date(r.key.created_at),
                    Col::Status => badges(r, st.now, t, short)
                        .spans
                        .iter()
                        .map(|s| s.content.as_ref())
                        .collect::<String>()
                        .trim_end()
                        .to_string(),
                    Col::LastUsed => r
                        .key
                        .activity
                        .last_authn
                        .map_or_else(|| "never".to_string(), date),
                })
                .collect()
        })
        .collect();
    // The highlight symbol takes one cell; columns are two cells apart.
    let avail = (inner_w as usize)
        .saturating_sub(1)
        .saturating_sub(2 * cols.len().saturating_sub(1));
    let widths = column_widths(&cols, &titles, &texts, avail);
    let names: Vec<String> = texts.iter().map(|r| r[0].clone()).collect();
    let names = fit_distinct(&names, widths[0]);

    let header = Row::new(
        titles
            .iter()
            .zip(&widths)
            .map(|(title, w)| Cell::from(fit(title, *w).into_owned())),
    )
    .style(t.table_header);
    let rows = on_screen
        .iter()
        .zip(&texts)
        .zip(names)
        .map(|((r, text), name)| {
            let cells = cols.iter().zip(text).zip(&widths).map(|((c, s), w)| {
                let cut = || fit(s, *w).into_owned();
                match c {
                    Col::Name => Cell::from(name.clone()),
                    Col::Description => Cell::from(Span::styled(cut(), t.muted)),
                    Col::Owner => {
                        let text = cut();
                        match text.strip_suffix(" (you)") {
                            Some(owner) => Cell::from(Line::from(vec![
                                Span::raw(owner.to_string()),
                                Span::styled(" (you)", t.muted),
                            ])),
                            None => Cell::from(text),
                        }
                    }
                    Col::Created => Cell::from(cut()),
                    Col::Status if width(s) > *w => {
                        // Badges that do not fit read as text, cut with "…".
                        let b = badges(r, st.now, t, short);
                        let style = b.spans.first().map_or(t.muted, |s| s.style);
                        Cell::from(Span::styled(fit(s.trim_start(), *w).into_owned(), style))
                    }
                    Col::Status => Cell::from(badges(r, st.now, t, short)),
                    Col::LastUsed => match r.key.activity.last_authn {
                        Some(_) => Cell::from(cut()),
                        None => Cell::from(Span::styled("never", t.muted)),
                    },
                }
            });
            Row::new(cells)
        });
    let widths: Vec<Constraint> = widths
        .iter()
        .map(|w| Constraint::Length(*w as u16))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(b)
        .column_spacing(2)
        .row_highlight_style(if focused {
            t.selected
        } else {
            t.selected_unfocused
        })
        .highlight_symbol(Span::styled("▌", t.key))
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut ts = TableState::default();
    if page.cursor >= start && page.cursor < end {
        ts.select(Some(page.cursor - start));
    }
    frame.render_stateful_widget(table, l.table, &mut ts);

    // A scroll position marker on the right border.
    if shown > body_h && l.table_body.height > 0 {
        let h = l.table_body.height as usize;
        let pos = page.cursor * (h - 1) / shown.saturating_sub(1).max(1);
        let y = l.table_body.y + pos as u16;
        let x = l.table.right().saturating_sub(1);
        if let Some(cell) = frame.buffer_mut().cell_mut((x, y)) {
            cell.set_symbol("┃").set_style(t.border_focus);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_input(
    frame: &mut Frame,
    area: Rect,
    value: &str,
    cursor: usize,
    focused: bool,
    masked: bool,
    t: &Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let shown: String = if masked {
        "•".repeat(value.chars().count())
    } else {
        inert(value).into_owned()
    };
    let chars: Vec<char> = shown.chars().collect();
    let avail = area.width.saturating_sub(1) as usize;
    // Scroll horizontally so the cursor stays visible.
    let mut start = 0;
    let cursor = cursor.min(chars.len());
    while width(&chars[start..cursor].iter().collect::<String>()) > avail && start < cursor {
        start += 1;
    }
    let visible: String = chars[start..].iter().collect();
    let style = if focused { t.input_focus } else { t.input };
    frame.render_widget(Block::new().style(style), area);
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(&visible, area.width as usize).into_owned(),
            style,
        )),
        area,
    );
    if focused {
        let before: String = chars[start..cursor].iter().collect();
        let x = area.x + (width(&before) as u16).min(area.width.saturating_sub(1));
        frame.set_cursor_position((x, area.y));
    }
}
