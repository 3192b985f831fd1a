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
mod table;

pub use super::content::{date, date_time, help_lines, scroll_limit, scroll_page};
pub use super::layout::{PageLayout, SignInLayout, menu_geometry, page_layout, sign_in_layout};
use super::layout::{create_label, header_right, notice_text, status_rows};
use popups::draw_popup;
use sign_in::draw_sign_in;
use table::draw_table;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
pub const BREADCRUMB: &str = "Manage > Access (IAM) > API keys";

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, st: &State) {
    draw_area(frame, frame.area(), st, Look::Screen);
}

/// Who the frame is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The person at the terminal.
    Screen,
    /// A recording: a new key's value stays masked even when shown on
    /// screen, and the reveal says so.
    Recording,
}

/// Draws the console into `area` (the whole screen, or the part a tour's
/// banner leaves), for the screen or for a recording.
pub fn draw_area(frame: &mut Frame, area: Rect, st: &State, look: Look) {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area, &st.theme);
        return;
    }
    match st.screen {
        Screen::SignIn => draw_sign_in(frame, area, st),
        Screen::Page => draw_page(frame, area, st),
    }
    for popup in &st.popups {
        draw_popup(frame, area, st, popup, look);
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
        Some(Popup::Inactive(_)) => (
            Context::Report,
            vec![
                (Command::Down, "move"),
                (Command::MoreDays, "more days"),
                (Command::FewerDays, "fewer days"),
                (Command::SortNext, "sort"),
                (Command::SortReverse, "reverse"),
                (Command::Open, "select the key"),
                (Command::Close, "close"),
            ],
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
