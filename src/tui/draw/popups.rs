//! Popups: menus, details, dialogs, the one-time reveal, help.

use ratatui::Frame;
use ratatui::layout::{Alignment, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Clear, Paragraph};

use crate::service::KeyRow;
use crate::text::{fit, inert, pad, width};

use super::super::keymap::{Command, Context};
use super::super::state::{
    Entry, FieldValue, Form, FormKind, Pending, Popup, Report, ReportCol, Reveal, SPINNER, State,
    action_label,
};
use super::super::theme::Theme;
use super::*;

// ---- popups ------------------------------------------------------------------------

use super::super::content::{date, details_rows, help_area, help_rows, report_area, report_rows};
use super::super::layout::{FIELD_ROWS, form_layout, popup_area, wrap};

pub(super) fn draw_popup(frame: &mut Frame, area: Rect, st: &State, popup: &Popup, look: Look) {
    let t = &st.theme;
    match popup {
        Popup::ViewMenu { cursor } => {
            let Some((r, _)) = menu_geometry(st, popup, area) else {
                return;
            };
            let items: Vec<Line> = st
                .page
                .views
                .iter()
                .map(|v| {
                    let mark = if v.view == st.page.view { "✓ " } else { "  " };
                    Line::raw(format!("{mark}{}", v.view.label()))
                })
                .collect();
            draw_menu(frame, r, t, "", items, *cursor);
        }
        Popup::Accounts { cursor } => {
            let Some((r, _)) = menu_geometry(st, popup, area) else {
                return;
            };
            let current = st.session.as_ref().map(|s| s.account_id.as_str());
            let items: Vec<Line> = st
                .page
                .accounts
                .iter()
                .map(|a| {
                    let mark = if Some(a.id.as_str()) == current {
                        "✓ "
                    } else {
                        "  "
                    };
                    Line::from(vec![
                        Span::raw(format!("{mark}{}", inert(&a.name))),
                        Span::styled(format!("  {}", inert(&a.id)), t.muted),
                    ])
                })
                .collect();
            draw_menu(frame, r, t, "Account", items, *cursor);
        }
        Popup::Actions {
            items,
            cursor,
            name,
            ..
        } => {
            let Some((r, _)) = menu_geometry(st, popup, area) else {
                return;
            };
            let lines: Vec<Line> = if items.is_empty() {
                vec![Line::styled("No actions are permitted", t.muted)]
            } else {
                items
                    .iter()
                    .map(|a| {
                        let style = if matches!(a, crate::access::KeyAction::Delete) {
                            t.status_error
                        } else {
                            t.text
                        };
                        Line::styled(format!("  {}", action_label(*a)), style)
                    })
                    .collect()
            };
            let title = fit(&inert(name), r.width.saturating_sub(4) as usize).into_owned();
            draw_menu(frame, r, t, &title, lines, *cursor);
        }
        Popup::Details { row, scroll } => draw_details(frame, area, st, row, *scroll),
        Popup::Form(form) => draw_form(frame, area, st, form),
        Popup::Reveal(rv) => draw_reveal(frame, area, st, rv, look),
        Popup::Confirm(c) => {
            let w = c
                .lines
                .iter()
                .map(|l| width(l) as u16)
                .max()
                .unwrap_or(30)
                .clamp(40, 76)
                + 6;
            let text: Vec<Line> = c
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 {
                        Line::styled(l.clone(), t.text.add_modifier(Modifier::BOLD))
                    } else {
                        Line::styled(l.clone(), t.muted)
                    }
                })
                .collect();
            let mut text = text;
            if let Pending::Rotate { delete_old, .. } = &c.pending {
                let choice = |on: bool, label: &str| {
                    Line::styled(
                        format!("{} {label}", if on { "◉" } else { "○" }),
                        if on {
                            t.text.add_modifier(Modifier::BOLD)
                        } else {
                            t.muted
                        },
                    )
                };
                text.push(Line::raw(""));
                text.push(Line::styled(
                    format!(
                        "Then, for the old key ({} chooses):",
                        st.keymap.hint(Context::Form, Command::Toggle)
                    ),
                    t.label,
                ));
                text.push(choice(
                    !*delete_old,
                    "Disable the old key (it can be enabled again)",
                ));
                text.push(choice(
                    *delete_old,
                    "Delete the old key (this cannot be undone)",
                ));
            }
            let yes = st.keymap.hint(Context::Confirm, Command::Confirm);
            let no = st.keymap.hint(Context::Confirm, Command::Close);
            let buttons = Line::from(vec![
                Span::styled(
                    format!(" {} ", c.yes),
                    if c.danger { t.danger } else { t.button },
                ),
                Span::styled(format!(" {yes}    "), t.key),
                Span::styled(" Cancel ", t.button_disabled),
                Span::styled(format!(" {no}"), t.key),
            ]);
            let b = block(t, title(t, c.title.clone()), true).border_style(if c.danger {
                t.status_error
            } else {
                t.border_focus
            });
            draw_text_popup(frame, area, w, b, text, buttons);
        }
        Popup::Settings { settings, refusal } => {
            let on = settings.restrict_api_key_creation;
            let text = vec![
                Line::from(vec![
                    Span::styled("Restrict API key creation  ", t.label),
                    Span::styled(
                        if on { "[x] On " } else { "[ ] Off" },
                        if on { t.warning } else { t.text },
                    ),
                ]),
                Line::styled(
                    "When on, nobody (the owner included) may create user API keys without the \"User API key creator\" role.",
                    t.muted,
                ),
                Line::from(vec![
                    Span::styled("API keys per identity      ", t.label),
                    Span::raw(settings.api_keys_per_identity.to_string()),
                ]),
            ];
            let last = match refusal {
                Some(d) => Line::styled(format!("You cannot change this: {d}"), t.status_error),
                None => Line::from(vec![
                    Span::styled(st.keymap.hint(Context::Form, Command::Toggle), t.key),
                    Span::styled(" turn the restriction on or off   ", t.muted),
                    Span::styled(st.keymap.hint(Context::Form, Command::Close), t.key),
                    Span::styled(" close", t.muted),
                ]),
            };
            let b = block(t, title(t, "Account settings"), true);
            draw_text_popup(frame, area, 72, b, text, last);
        }
        Popup::Help { scroll } => draw_help(frame, area, st, *scroll),
        Popup::Inactive(r) => draw_report(frame, area, st, r),
    }
}

/// The inactive identities report: the keys, then the users and the
/// service IDs none of whose keys is active, with the cursor's row kept on
/// screen.
fn draw_report(frame: &mut Frame, area: Rect, st: &State, r: &Report) {
    let t = &st.theme;
    let (fr, inner) = report_area(area);
    frame.render_widget(Clear, fr);
    let w = inner.width as usize;
    // Name and owner share what the two dates leave.
    // The date columns leave room for their titles and the sort arrow.
    let (last_w, created_w, gaps) = (20, 10, 6);
    let rest = w.saturating_sub(last_w + created_w + gaps);
    let name_w = (rest / 2).max(1);
    let owner_w = rest.saturating_sub(name_w);
    let cells = |name: &str, owner: &str, last: &str, created: &str| {
        format!(
            "{}  {}  {}  {}",
            pad(&fit(name, name_w), name_w),
            pad(&fit(owner, owner_w), owner_w),
            pad(&fit(last, last_w), last_w),
            fit(created, created_w)
        )
    };
    let day = |ts: Option<jiff::Timestamp>| ts.map_or_else(|| "never".to_string(), date);
    // The rows, and for each entry the row it is on.
    let mut lines: Vec<Line> = Vec::new();
    let mut at: Vec<usize> = Vec::new();
    let entries = r.entries();
    if let Some(data) = &r.data {
        let heading = |text: String| Line::styled(text, t.title);
        let none = || Line::styled("  none", t.muted);
        lines.push(heading(format!(
            "API keys with no authentication for {} days ({})",
            r.days,
            data.keys.len()
        )));
        if data.keys.is_empty() {
            lines.push(none());
        }
        // Opens the users' (1) and service IDs' (2) sections up to `upto`,
        // each with its heading, and "none" when it is empty.
        let open_sections = |lines: &mut Vec<Line>, section: &mut usize, upto: usize| {
            while *section < upto {
                *section += 1;
                lines.push(Line::raw(""));
                let (what, n) = if *section == 1 {
                    ("Users", data.users.len())
                } else {
                    ("Service IDs", data.service_ids.len())
                };
                lines.push(heading(format!(
                    "{what} none of whose keys is active ({n})"
                )));
                if n == 0 {
                    lines.push(none());
                }
            }
        };
        let mut section = 0;
        for e in &entries {
            let (row, this) = match e {
                Entry::Key(k) => (
                    cells(
                        &inert(&k.name),
                        &inert(&k.owner),
                        &day(k.last_authn),
                        &date(k.created_at),
                    ),
                    0,
                ),
                Entry::User(u) => (cells(&inert(&u.name), "user", &day(u.last_authn), ""), 1),
                Entry::ServiceId(s) => (
                    cells(&inert(&s.name), "service ID", &day(s.last_authn), ""),
                    2,
                ),
            };
            open_sections(&mut lines, &mut section, this);
            at.push(lines.len());
            let style = if at.len() - 1 == r.cursor {
                t.selected
            } else {
                t.text
            };
            lines.push(Line::styled(pad(&row, w), style));
        }
        open_sections(&mut lines, &mut section, 2);
    }
    let body_h = report_rows(area) as usize;
    let cursor_row = at.get(r.cursor).copied().unwrap_or(0);
    let offset = if cursor_row < body_h {
        0
    } else {
        cursor_row + 1 - body_h
    };
    let shown = position(offset as u16, body_h as u16, lines.len());
    let mut b = block(t, title(t, "Inactive identities report"), true);
    if !shown.is_empty() {
        b = b.title(
            Line::from(Span::styled(format!(" {shown} "), t.muted)).alignment(Alignment::Right),
        );
    }
    frame.render_widget(b, fr);
    let k = |c: Command| st.keymap.hint(Context::Report, c);
    let change = format!("{}/{} change", k(Command::MoreDays), k(Command::FewerDays));
    let long = format!(" ({change}; a key that never authenticated counts from its creation)");
    let days = format!("{} days", r.days);
    let lead = "No authentication for ";
    let tail = if width(lead) + width(&days) + width(&long) <= w {
        long
    } else {
        fit(
            &format!(" ({change})"),
            w.saturating_sub(width(lead) + width(&days)),
        )
        .into_owned()
    };
    let intro = Line::from(vec![
        Span::styled(lead, t.muted),
        Span::styled(days, t.key),
        Span::styled(tail, t.muted),
    ]);
    let row = |y: u16| Rect {
        y: inner.y + y,
        height: 1,
        ..inner
    };
    if inner.height < 4 {
        return;
    }
    frame.render_widget(Paragraph::new(intro), row(0));
    let arrow = if r.desc { " ↓" } else { " ↑" };
    let col = |c: ReportCol| {
        if c == r.sort {
            format!("{}{arrow}", c.title())
        } else {
            c.title().to_string()
        }
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            cells(
                &col(ReportCol::Name),
                &col(ReportCol::Owner),
                &col(ReportCol::LastAuthn),
                &col(ReportCol::Created),
            ),
            t.label,
        )),
        row(2),
    );
    let body = Rect {
        y: inner.y + 3,
        height: inner.height - 3,
        ..inner
    };
    if r.data.is_none() {
        let spin = SPINNER[st.spinner % SPINNER.len()];
        frame.render_widget(
            Paragraph::new(Line::styled(format!("{spin} Reading the report…"), t.muted)),
            body,
        );
        return;
    }
    let visible: Vec<Line> = lines.into_iter().skip(offset).take(body_h).collect();
    frame.render_widget(Paragraph::new(visible), body);
}

/// A popup of wrapped text, a blank line and a last line (buttons or a
/// refusal, also wrapped), as tall as the text needs and the screen allows;
/// the last line stays on screen.
fn draw_text_popup(
    frame: &mut Frame,
    area: Rect,
    w: u16,
    b: ratatui::widgets::Block,
    text: Vec<Line>,
    last: Line,
) {
    let room = super::super::layout::popup_room(area);
    let text_w = w.min(room.width.saturating_sub(2)).saturating_sub(4);
    let mut rows = wrap(text, text_w, 0);
    let last = wrap(vec![last], text_w, 2);
    let r = popup_area(area, w, (rows.len() + 1 + last.len()) as u16 + 2);
    let inner = r.inner(Margin::new(2, 1));
    frame.render_widget(Clear, r);
    frame.render_widget(b, r);
    let keep = (inner.height as usize).saturating_sub(last.len() + 1);
    rows.truncate(keep);
    rows.push(Line::raw(""));
    rows.extend(last);
    let top = inner
        .bottom()
        .saturating_sub(rows.len() as u16)
        .max(inner.y);
    frame.render_widget(
        Paragraph::new(rows),
        Rect {
            y: top,
            height: inner.bottom() - top,
            ..inner
        },
    );
}

fn draw_menu(
    frame: &mut Frame,
    r: Rect,
    t: &Theme,
    heading: &str,
    items: Vec<Line>,
    cursor: usize,
) {
    frame.render_widget(Clear, r);
    let b = if heading.is_empty() {
        block(t, "", true)
    } else {
        block(t, title(t, heading.to_string()), true)
    };
    let inner = b.inner(r);
    frame.render_widget(b, r);
    let lines: Vec<Line> = items
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == cursor {
                let w = inner.width as usize;
                let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                Line::styled(crate::text::pad(&fit(&text, w), w), t.selected)
            } else {
                l
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "12–18 of 40": which rows of a scrolled text are on screen.
fn position(scroll: u16, shown: u16, total: usize) -> String {
    let total = total as u16;
    if total <= shown {
        return String::new();
    }
    let last = (scroll + shown).min(total);
    format!("{}–{last} of {total}", scroll + 1)
}

fn draw_details(frame: &mut Frame, area: Rect, st: &State, row: &KeyRow, scroll: u16) {
    let t = &st.theme;
    let k = &row.key;
    let (rows, r, body) = details_rows(st, row, area);
    frame.render_widget(Clear, r);
    let b = block(
        t,
        title(
            t,
            fit(
                &format!("API key details · {}", inert(&k.name)),
                r.width.saturating_sub(4) as usize,
            ),
        ),
        true,
    );
    frame.render_widget(b, r);
    let total = rows.len();
    let scroll = scroll.min((total as u16).saturating_sub(body.height));
    frame.render_widget(Paragraph::new(rows).scroll((scroll, 0)), body);
    let foot = Rect {
        y: body.bottom(),
        height: 1,
        ..body
    };
    let at = position(scroll, body.height, total);
    let k = |c: Command| st.keymap.hint(Context::Details, c);
    let mut items = Vec::new();
    if !at.is_empty() {
        items.push((format!("{}/{}", k(Command::Down), k(Command::Up)), "scroll"));
    }
    items.push((k(Command::Open), "actions"));
    items.push((k(Command::Close), "close"));
    let room = (foot.width as usize).saturating_sub(width(&at) + 1);
    frame.render_widget(Paragraph::new(hint_spans(t, &items, room)), foot);
    if !at.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(at, t.muted)).alignment(Alignment::Right),
            foot,
        );
    }
}

/// Key hints as "key label" pairs, as many as fit in `room` cells.
pub(super) fn hint_spans<'a>(t: &Theme, items: &[(String, &str)], room: usize) -> Line<'a> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, label) in items {
        if key.is_empty() {
            continue;
        }
        let gap = if spans.is_empty() { 0 } else { 3 };
        let w = gap + width(key) + 1 + width(label);
        if used + w > room {
            break;
        }
        used += w;
        if gap > 0 {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled(key.clone(), t.key));
        spans.push(Span::styled(format!(" {label}"), t.muted));
    }
    Line::from(spans)
}

fn draw_form(frame: &mut Frame, area: Rect, st: &State, form: &Form) {
    let t = &st.theme;
    let l = form_layout(area, form);
    let r = l.frame;
    frame.render_widget(Clear, r);
    let n = form.fields.len();
    let below = n.saturating_sub(l.offset + l.visible);
    let mut b = block(
        t,
        title(t, fit(&form.title(), r.width.saturating_sub(4) as usize)),
        true,
    );
    // Fields out of sight are announced on the border, on their side.
    if l.offset > 0 {
        b = b.title(
            Line::from(Span::styled(format!(" ▲ {} more ", l.offset), t.key))
                .alignment(Alignment::Right),
        );
    }
    if below > 0 {
        b = b.title_bottom(
            Line::from(Span::styled(format!(" ▼ {below} more "), t.key))
                .alignment(Alignment::Right),
        );
    }
    frame.render_widget(b, r);
    let intro = if form.stale {
        Some(Line::styled(
            "⚠ This key changed since you opened it: saving will be refused.",
            t.warning,
        ))
    } else {
        match &form.kind {
            FormKind::Create => Some(Line::styled(
                "The key has your access, in every account you belong to.",
                t.muted,
            )),
            FormKind::Edit { key_id, .. } => Some(Line::from(vec![
                Span::styled("ID  ", t.label),
                Span::styled(key_id.clone(), t.muted),
            ])),
        }
    };
    if let Some(line) = intro {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let style = line.spans.last().map_or(t.muted, |s| s.style);
        let line = if width(&text) > l.intro.width as usize {
            Line::styled(fit(&text, l.intro.width as usize).into_owned(), style)
        } else {
            line
        };
        frame.render_widget(Paragraph::new(line), l.intro);
    }
    // The longest label, its focus mark and a space.
    let longest = form
        .fields
        .iter()
        .map(|f| width(f.label))
        .max()
        .unwrap_or(0);
    let label_w = (longest as u16 + 3).min(l.body.width / 2);
    let shown = form
        .fields
        .iter()
        .enumerate()
        .skip(l.offset)
        .take(l.visible);
    for (slot, (i, f)) in shown.enumerate() {
        let y = l.body.y + slot as u16 * FIELD_ROWS;
        if y >= l.body.bottom() {
            break;
        }
        let focused = i == form.focus;
        let row = Rect {
            y,
            height: 1,
            ..l.body
        };
        let label = format!("{}{}", if focused { "▸ " } else { "  " }, f.label);
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&label, label_w.saturating_sub(1) as usize).into_owned(),
                if focused { t.key } else { t.label },
            )),
            Rect {
                width: label_w,
                ..row
            },
        );
        let value_area = Rect {
            x: row.x + label_w,
            width: row.width.saturating_sub(label_w),
            ..row
        };
        match &f.value {
            FieldValue::Text(input) => {
                draw_input(
                    frame,
                    value_area,
                    input.value(),
                    input.cursor(),
                    focused,
                    false,
                    t,
                );
            }
            FieldValue::Choice(l) => {
                // Only the choice when all three do not fit.
                let all = crate::domain::LeakAction::ALL;
                let full: usize = all.iter().map(|x| width(x.label()) + 5).sum();
                let spans: Vec<Span> = all
                    .iter()
                    .filter(|x| full <= value_area.width as usize || *x == l)
                    .flat_map(|x| {
                        let on = x == l;
                        [
                            Span::styled(
                                format!(" {} {} ", if on { "◉" } else { "○" }, x.label()),
                                if on && focused {
                                    t.selected
                                } else if on {
                                    t.text.add_modifier(Modifier::BOLD)
                                } else {
                                    t.muted
                                },
                            ),
                            Span::raw(" "),
                        ]
                    })
                    .collect();
                frame.render_widget(Paragraph::new(Line::from(spans)), value_area);
            }
            FieldValue::Flag(b) => {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        if *b { "[x] yes" } else { "[ ] no" },
                        if focused { t.selected } else { t.text },
                    )),
                    value_area,
                );
            }
        }
        if y + 1 < l.body.bottom() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    fit(f.hint, value_area.width as usize).into_owned(),
                    t.muted,
                )),
                Rect {
                    y: y + 1,
                    ..value_area
                },
            );
        }
    }
    let mut lines = match &form.error {
        Some(e) => wrap(
            vec![Line::styled(format!("✗ {}", inert(e)), t.status_error)],
            l.foot.width,
            2,
        ),
        None => vec![Line::raw("")],
    };
    lines.truncate(l.foot.height.saturating_sub(1) as usize);
    let save = if matches!(form.kind, FormKind::Create) {
        "Create"
    } else {
        "Save"
    };
    let k = |c: Command| st.keymap.hint(Context::Form, c);
    let mut buttons = vec![
        Span::styled(format!(" {save} "), t.button),
        Span::styled(format!(" {}   ", k(Command::Confirm)), t.key),
        Span::styled(" Cancel ", t.button_disabled),
        Span::styled(format!(" {}", k(Command::Close)), t.key),
    ];
    let next = format!("   {} next field", k(Command::NextField));
    let used: usize = buttons.iter().map(ratatui::prelude::Span::width).sum();
    if used + width(&next) <= l.foot.width as usize {
        buttons.push(Span::styled(next, t.muted));
    }
    lines.push(Line::from(buttons));
    let foot = Rect {
        y: l.foot.bottom().saturating_sub(lines.len() as u16),
        height: (lines.len() as u16).min(l.foot.height),
        ..l.foot
    };
    frame.render_widget(Paragraph::new(lines), foot);
}

fn draw_reveal(frame: &mut Frame, area: Rect, st: &State, rv: &Reveal, look: Look) {
    let t = &st.theme;
    let r = popup_area(area, 78, 13);
    frame.render_widget(Clear, r);
    let heading = if rv.rotated.is_some() {
        "API key successfully rotated"
    } else {
        "API key successfully created"
    };
    let b = block(t, title(t, heading), true).border_style(t.status_ok);
    let inner = b.inner(r).inner(Margin::new(1, 0));
    frame.render_widget(b, r);
    let value = rv.created.secret.expose();
    // The value never reaches a recording; the recording says so.
    let (shown, note) = match (rv.shown, look) {
        (true, Look::Screen) => (Span::styled(value.to_string(), t.secret), Line::raw("")),
        (true, Look::Recording) => (
            Span::styled("•".repeat(value.chars().count()), t.secret),
            Line::styled(
                "         (shown on screen; hidden in this recording)",
                t.muted,
            ),
        ),
        (false, _) => (
            Span::styled("•".repeat(value.chars().count()), t.secret),
            Line::raw(""),
        ),
    };
    let k = |c: Command| st.keymap.hint(Context::Reveal, c);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Name     ", t.label),
            Span::raw(inert(&rv.created.row.key.name).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("ID       ", t.label),
            Span::styled(rv.created.row.key.id.clone(), t.muted),
        ]),
        match rv.rotated {
            Some(deleted) => Line::styled(
                format!(
                    "         It replaces the old key, which is now {}.",
                    if deleted { "deleted" } else { "disabled" }
                ),
                t.muted,
            ),
            None => Line::raw(""),
        },
        Line::from(vec![Span::styled("API key  ", t.label), shown]),
        note,
        Line::styled(
            "⚠ Copy or download the API key now. It will not be shown again:",
            t.warning,
        ),
        Line::styled(
            "  only a hash of it is stored, and it cannot be recovered.",
            t.warning,
        ),
        Line::raw(""),
    ];
    let mut status = Vec::new();
    if rv.copied {
        status.push("copied to the clipboard".to_string());
    }
    if let Some(p) = &rv.downloaded {
        status.push(format!("saved to {}", p.display()));
    }
    lines.push(if status.is_empty() {
        Line::raw("")
    } else {
        Line::styled(format!("✓ {}", status.join(" · ")), t.status_ok)
    });
    lines.push(Line::from(vec![
        Span::styled(format!(" {} ", k(Command::Show)), t.key),
        Span::styled(if rv.shown { "Hide   " } else { "Show   " }, t.text),
        Span::styled(format!(" {} ", k(Command::Copy)), t.key),
        Span::styled("Copy   ", t.text),
        Span::styled(format!(" {} ", k(Command::Download)), t.key),
        Span::styled("Download apikey.json   ", t.text),
        Span::styled(format!(" {} ", k(Command::Close)), t.key),
        Span::styled("Close", t.text),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_help(frame: &mut Frame, area: Rect, st: &State, scroll: u16) {
    let t = &st.theme;
    let (r, inner) = help_area(area);
    frame.render_widget(Clear, r);
    let rows = help_rows(st, area);
    let total = rows.len();
    let scroll = scroll.min((total as u16).saturating_sub(inner.height));
    let at = position(scroll, inner.height, total);
    let k = |c: Command| st.keymap.hint(Context::Details, c);
    let keys = if at.is_empty() {
        format!(" {} close ", k(Command::Close))
    } else {
        format!(
            " {} · {} close · {}/{} scroll ",
            at,
            k(Command::Close),
            k(Command::Down),
            k(Command::Up)
        )
    };
    let b = block(t, title(t, "Help · keys"), true)
        .title(Line::from(Span::styled(keys, t.muted)).alignment(Alignment::Right));
    frame.render_widget(b, r);
    frame.render_widget(Paragraph::new(Text::from(rows)).scroll((scroll, 0)), inner);
}
