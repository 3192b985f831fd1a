//! Drawing: a pure function of the state. Only the rows on screen are
//! built, so the cost of a frame does not grow with the number of keys.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::access::ViewFilter;
use crate::domain::KeyKind;
use crate::service::KeyRow;
use crate::text::{fit, inert, width};

use super::keymap::{Command, Context};
use super::state::{Area, Popup, SPINNER, Screen, State, Tone, sort_label};
use super::theme::Theme;

mod popups;
mod sign_in;

use popups::draw_popup;
pub use popups::{help_lines, scroll_limit};
use sign_in::draw_sign_in;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
pub const BREADCRUMB: &str = "Manage > Access (IAM) > API keys";

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

fn account_label(st: &State) -> String {
    let name = st.page.account_name().unwrap_or("");
    let id = st.session.as_ref().map_or("", |s| s.account_id.as_str());
    if name.is_empty() {
        format!("{} ▾", inert(id))
    } else {
        format!("{} ({}) ▾", inert(name), inert(id))
    }
}

fn create_label(st: &State, wide: bool) -> &'static str {
    match st.page.view {
        ViewFilter::ClassicInfrastructure if wide => " Create a classic infrastructure API key + ",
        ViewFilter::ClassicInfrastructure => " Create classic key + ",
        _ => " Create + ",
    }
}

fn notice_text(st: &State) -> Option<String> {
    let info = st.page.view_info()?;
    info.create_refused
        .as_ref()
        .map(|d| format!("Creating API keys is not possible here: {d}"))
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
        Constraint::Length(1),
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
    let clamp = |r: Rect| r.clamp(area);
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
                let y = if row_y + 1 + h <= area.bottom() {
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

/// Room the breadcrumb keeps on the left of the header.
const BREADCRUMB_CELLS: u16 = 47;

/// The signed-in user and the account for the header, as much of each as
/// fits beside the breadcrumb.
fn header_right(st: &State, cells: u16) -> (String, String) {
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

fn status_line(st: &State, area: Rect, frame: &mut Frame) {
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
    frame.render_widget(Paragraph::new(line), area);
}

fn hints(st: &State, ctx: Context, items: &[(Command, &str)], area: Rect, frame: &mut Frame) {
    let t = &st.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (cmd, label) in items {
        let ctx = if st.keymap.key_for(ctx, *cmd).is_some() {
            ctx
        } else {
            Context::Global
        };
        let key = st.keymap.hint(ctx, *cmd);
        if key.is_empty() {
            continue;
        }
        let w = width(&key) + width(label) + 3;
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.key));
        spans.push(Span::styled(format!(" {label}   "), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
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
        Some(Popup::Form(_)) => (
            Context::Form,
            vec![
                (Command::NextField, "next field"),
                (Command::Toggle, "toggle"),
                (Command::Confirm, "save"),
                (Command::Close, "cancel"),
            ],
        ),
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
        Some(Popup::Settings { .. }) => (
            Context::Form,
            vec![(Command::Toggle, "toggle"), (Command::Close, "close")],
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

/// The table's columns for a view at a width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Description,
    Owner,
    Created,
    Status,
    LastUsed,
}

fn columns(view: ViewFilter, w: u16) -> Vec<(Col, &'static str, Constraint)> {
    let owner = match view {
        ViewFilter::AllServiceIdApiKeys => Some("Service ID"),
        ViewFilter::AllUserApiKeys => Some("Owner"),
        ViewFilter::ClassicInfrastructure => Some("User"),
        ViewFilter::MyApiKeys => None,
    };
    let wide = w >= 100;
    let mut cols = vec![(Col::Name, "Name", Constraint::Fill(3))];
    let desc = if owner.is_some() { 3 } else { 5 };
    // On narrow screens the owner matters more than the description,
    // which the details still show.
    if owner.is_none() || wide {
        cols.push((Col::Description, "Description", Constraint::Fill(desc)));
    }
    if let Some(o) = owner {
        cols.push((Col::Owner, o, Constraint::Fill(4)));
    }
    cols.push((Col::Created, "Date created", Constraint::Length(12)));
    cols.push((
        Col::Status,
        "Status",
        Constraint::Length(if wide { 18 } else { 10 }),
    ));
    if wide || owner.is_none() {
        cols.push((Col::LastUsed, "Last used", Constraint::Length(11)));
    }
    cols
}

pub fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

pub fn date_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
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
            if t.monochrome { "active" } else { " active" },
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
    let count = if page.search.is_empty() {
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
                sort_label(page.sort),
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
    let cols = columns(page.view, l.table.width);
    let short = inner_w < 98;
    let header = Row::new(cols.iter().map(|(c, name, _)| {
        let sorted = match c {
            Col::Name => page.sort == crate::service::SortField::Name,
            Col::Description => page.sort == crate::service::SortField::Description,
            Col::Created => page.sort == crate::service::SortField::CreatedAt,
            _ => false,
        };
        let text = if sorted {
            format!("{name} {}", if page.desc { "↓" } else { "↑" })
        } else {
            (*name).to_string()
        };
        Cell::from(text)
    }))
    .style(t.table_header);

    let body_h = l.table_body.height as usize;
    let start = page.offset.min(shown);
    let end = (start + body_h).min(shown);
    // Only the rows on screen are built.
    let rows = page.visible[start..end]
        .iter()
        .filter_map(|&i| page.rows.get(i))
        .map(|r| {
            let cells = cols.iter().map(|(c, _, _)| match c {
                Col::Name => Cell::from(inert(&r.key.name).into_owned()),
                Col::Description => Cell::from(Span::styled(
                    inert(&r.key.description).into_owned(),
                    t.muted,
                )),
                Col::Owner => {
                    let mut spans = vec![Span::raw(inert(&r.owner).into_owned())];
                    if r.key.kind != KeyKind::ServiceId
                        && st
                            .session
                            .as_ref()
                            .is_some_and(|s| s.user.iam_id == r.key.iam_id)
                    {
                        spans.push(Span::styled(" (you)", t.muted));
                    }
                    Cell::from(Line::from(spans))
                }
                Col::Created => Cell::from(date(r.key.created_at)),
                Col::Status => Cell::from(badges(r, st.now, t, short)),
                Col::LastUsed => Cell::from(match r.key.activity.last_authn {
                    Some(ts) => Span::raw(date(ts)),
                    None => Span::styled("never", t.muted),
                }),
            });
            Row::new(cells)
        });
    let widths: Vec<Constraint> = cols.iter().map(|(_, _, w)| *w).collect();
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
