//! Popups: menus, details, dialogs, the one-time reveal, help.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::domain::KeyKind;
use crate::service::KeyRow;
use crate::text::{fit, inert, width};

use super::super::keymap::{Command, Context};
use super::super::state::{FieldValue, Form, FormKind, Popup, Reveal, State, action_label};
use super::super::theme::Theme;
use super::*;

// ---- popups ------------------------------------------------------------------------

fn popup_area(area: Rect, w: u16, h: u16) -> Rect {
    area.centered(
        Constraint::Length(w.min(area.width.saturating_sub(2))),
        Constraint::Length(h.min(area.height.saturating_sub(2))),
    )
}

pub(super) fn draw_popup(frame: &mut Frame, area: Rect, st: &State, popup: &Popup) {
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
        Popup::Reveal(rv) => draw_reveal(frame, area, st, rv),
        Popup::Confirm(c) => {
            let w = c
                .lines
                .iter()
                .map(|l| width(l) as u16)
                .max()
                .unwrap_or(30)
                .max(40)
                + 6;
            let h = c.lines.len() as u16 + 5;
            let r = popup_area(area, w, h);
            frame.render_widget(Clear, r);
            let b = block(t, title(t, c.title.clone()), true).border_style(if c.danger {
                t.status_error
            } else {
                t.border_focus
            });
            let inner = r.inner(Margin::new(2, 1));
            frame.render_widget(b, r);
            let mut lines: Vec<Line> = c
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
            lines.push(Line::raw(""));
            let yes = st.keymap.hint(Context::Confirm, Command::Confirm);
            let no = st.keymap.hint(Context::Confirm, Command::Close);
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {} ", c.yes),
                    if c.danger { t.danger } else { t.button },
                ),
                Span::styled(format!(" {yes}    "), t.key),
                Span::styled(" Cancel ", t.button_disabled),
                Span::styled(format!(" {no}"), t.key),
            ]));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Popup::Settings { settings, refusal } => {
            let r = popup_area(area, 72, 9);
            frame.render_widget(Clear, r);
            frame.render_widget(block(t, title(t, "Account settings"), true), r);
            let inner = r.inner(Margin::new(2, 1));
            let on = settings.restrict_api_key_creation;
            let mut lines = vec![
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
                Line::raw(""),
            ];
            match refusal {
                Some(d) => lines.push(Line::styled(
                    format!("You cannot change this: {d}"),
                    t.status_error,
                )),
                None => lines.push(Line::from(vec![
                    Span::styled(st.keymap.hint(Context::Form, Command::Toggle), t.key),
                    Span::styled(" turn the restriction on or off   ", t.muted),
                    Span::styled(st.keymap.hint(Context::Form, Command::Close), t.key),
                    Span::styled(" close", t.muted),
                ])),
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Popup::Help { scroll } => draw_help(frame, area, st, *scroll),
    }
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

fn field_line<'a>(t: &Theme, label: &str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<22}"), t.label),
        Span::raw(value),
    ])
}

/// A person or service ID by name: the page's account knows its members.
fn who(st: &State, row: &KeyRow, iam_id: &str) -> String {
    if iam_id == row.key.iam_id {
        return inert(&row.owner).into_owned();
    }
    if iam_id == row.key.created_by {
        return inert(&row.created_by).into_owned();
    }
    st.page
        .account
        .as_ref()
        .and_then(|a| a.member(iam_id))
        .map_or_else(
            || inert(iam_id).into_owned(),
            |m| inert(&m.email).into_owned(),
        )
}

/// The details popup's frame and the area inside it, for `lines` lines.
fn details_area(area: Rect, lines: u16) -> (Rect, Rect) {
    let w = (area.width * 9 / 10).min(110);
    let r = popup_area(area, w, (lines + 3).min(area.height.saturating_sub(2)));
    (r, r.inner(Margin::new(2, 1)))
}

/// The help popup's frame and the area inside it.
fn help_area(area: Rect) -> (Rect, Rect) {
    let w = (area.width * 9 / 10).min(90);
    let r = popup_area(area, w, area.height.saturating_sub(2));
    (r, r.inner(Margin::new(2, 1)))
}

/// How far a scrolling popup can scroll at this terminal size.
pub fn scroll_limit(st: &State, popup: &Popup, area: Rect) -> u16 {
    match popup {
        Popup::Details { row, .. } => {
            let total = details_lines(st, row).len() as u16;
            let (_, inner) = details_area(area, total);
            total.saturating_sub(inner.height.saturating_sub(1))
        }
        Popup::Help { .. } => {
            let (_, inner) = help_area(area);
            (help_lines(st).len() as u16).saturating_sub(inner.height)
        }
        _ => 0,
    }
}

fn details_lines(st: &State, row: &KeyRow) -> Vec<Line<'static>> {
    let t = &st.theme;
    let k = &row.key;
    let never = || "never".to_string();
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let kind = match k.kind {
        KeyKind::User => "IBM Cloud API key (user)",
        KeyKind::ServiceId => "Service ID API key",
        KeyKind::Classic => "Classic infrastructure API key",
    };
    let status = k.status(st.now).labels();
    let mut lines = vec![
        field_line(t, "Name", inert(&k.name).into_owned()),
        field_line(t, "Description", inert(&k.description).into_owned()),
        field_line(t, "ID", k.id.clone()),
        field_line(t, "Type", kind.to_string()),
        field_line(
            t,
            if k.kind == KeyKind::ServiceId {
                "Service ID"
            } else {
                "Owner"
            },
            format!("{} ({})", inert(&row.owner), inert(&k.iam_id)),
        ),
        field_line(t, "Account", inert(&k.account_id).into_owned()),
        field_line(t, "CRN", inert(&k.crn).into_owned()),
        field_line(t, "Entity tag", inert(&k.entity_tag).into_owned()),
        field_line(
            t,
            "Created",
            format!("{} by {}", date_time(k.created_at), inert(&row.created_by)),
        ),
        field_line(t, "Modified", date_time(k.modified_at)),
        field_line(
            t,
            "Status",
            if status.is_empty() {
                "active".into()
            } else {
                status.join(", ")
            },
        ),
        field_line(t, "Locked", yes_no(k.locked)),
        field_line(t, "Disabled", yes_no(k.disabled)),
        field_line(
            t,
            "Action when leaked",
            k.action_when_leaked.label().to_string(),
        ),
    ];
    if k.kind == KeyKind::User {
        lines.push(field_line(t, "Session support", yes_no(k.support_sessions)));
    }
    lines.push(field_line(
        t,
        "Expires",
        k.expires_at.map(date_time).unwrap_or_else(never),
    ));
    if let Some(m) = &k.managed_by {
        lines.push(field_line(t, "Managed by", inert(m).into_owned()));
    }
    lines.push(field_line(
        t,
        "Last authentication",
        k.activity.last_authn.map(date_time).unwrap_or_else(never),
    ));
    lines.push(field_line(
        t,
        "Authentications",
        k.activity.authn_count.to_string(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("History ({} events)", k.history.len()),
        t.title,
    ));
    for h in k.history.iter().rev() {
        lines.push(Line::from(vec![
            Span::styled(format!("{}  ", date_time(h.timestamp)), t.muted),
            Span::styled(format!("{:<10} ", inert(&h.action)), t.label),
            Span::raw(inert(&h.message).into_owned()),
            Span::styled(format!("  — {}", who(st, row, &h.actor)), t.muted),
        ]));
    }
    lines
}

fn draw_details(frame: &mut Frame, area: Rect, st: &State, row: &KeyRow, scroll: u16) {
    let t = &st.theme;
    let k = &row.key;
    let lines = details_lines(st, row);
    let total = lines.len() as u16;
    let (r, inner) = details_area(area, total);
    frame.render_widget(Clear, r);
    let b = block(
        t,
        title(t, format!("API key details · {}", inert(&k.name))),
        true,
    );
    frame.render_widget(b, r);
    let max_scroll = total.saturating_sub(inner.height.saturating_sub(1));
    let scroll = scroll.min(max_scroll);
    let [body, foot] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        body,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(st.keymap.hint(Context::Details, Command::Down), t.key),
            Span::styled("/", t.muted),
            Span::styled(st.keymap.hint(Context::Details, Command::Up), t.key),
            Span::styled(" scroll   ", t.muted),
            Span::styled(st.keymap.hint(Context::Details, Command::Open), t.key),
            Span::styled(" actions   ", t.muted),
            Span::styled(st.keymap.hint(Context::Details, Command::Close), t.key),
            Span::styled(" close", t.muted),
        ])),
        foot,
    );
}

fn draw_form(frame: &mut Frame, area: Rect, st: &State, form: &Form) {
    let t = &st.theme;
    let h = form.fields.len() as u16 * 2 + 7;
    let r = popup_area(area, 76, h);
    frame.render_widget(Clear, r);
    let b = block(t, title(t, form.title()), true);
    let inner = b.inner(r).inner(Margin::new(1, 0));
    frame.render_widget(b, r);
    let mut y = inner.y;
    if let FormKind::Create = form.kind {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "The key has your access, in every account you belong to.",
                t.muted,
            )),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    } else if !form.stale
        && let FormKind::Edit { key_id, .. } = &form.kind
    {
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("ID  ", t.label),
                Span::styled(key_id.clone(), t.muted),
            ])),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    } else if form.stale {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "⚠ This key changed since you opened it: saving will be refused.",
                t.warning,
            )),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    }
    y += 2;
    let label_w = 22u16;
    for (i, f) in form.fields.iter().enumerate() {
        if y >= inner.bottom() {
            break;
        }
        let focused = i == form.focus;
        let row = Rect {
            y,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("{}{}", if focused { "▸ " } else { "  " }, f.label),
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
                let spans: Vec<Span> = crate::domain::LeakAction::ALL
                    .iter()
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
        if y + 1 < inner.bottom() {
            frame.render_widget(
                Paragraph::new(Span::styled(f.hint, t.muted)),
                Rect {
                    y: y + 1,
                    ..value_area
                },
            );
        }
        y += 2;
    }
    let foot = Rect {
        y: inner.bottom().saturating_sub(2),
        height: 2,
        ..inner
    };
    let mut lines = Vec::new();
    match &form.error {
        Some(e) => lines.push(Line::styled(format!("✗ {}", inert(e)), t.status_error)),
        None => lines.push(Line::raw("")),
    }
    let save = if matches!(form.kind, FormKind::Create) {
        "Create"
    } else {
        "Save"
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" {save} "), t.button),
        Span::styled(
            format!(" {}   ", st.keymap.hint(Context::Form, Command::Confirm)),
            t.key,
        ),
        Span::styled(" Cancel ", t.button_disabled),
        Span::styled(
            format!(" {}   ", st.keymap.hint(Context::Form, Command::Close)),
            t.key,
        ),
        Span::styled(
            format!(
                "{} next field",
                st.keymap.hint(Context::Form, Command::NextField)
            ),
            t.muted,
        ),
    ]));
    frame.render_widget(Paragraph::new(lines), foot);
}

fn draw_reveal(frame: &mut Frame, area: Rect, st: &State, rv: &Reveal) {
    let t = &st.theme;
    let r = popup_area(area, 78, 13);
    frame.render_widget(Clear, r);
    let b = block(t, title(t, "API key successfully created"), true).border_style(t.status_ok);
    let inner = b.inner(r).inner(Margin::new(1, 0));
    frame.render_widget(b, r);
    let value = rv.created.secret.expose();
    let shown = if rv.shown {
        Span::styled(value.to_string(), t.secret)
    } else {
        Span::styled("•".repeat(value.chars().count()), t.secret)
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
        Line::raw(""),
        Line::from(vec![Span::styled("API key  ", t.label), shown]),
        Line::raw(""),
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

/// The help text, generated from the keymap.
pub fn help_lines(st: &State) -> Vec<Line<'static>> {
    let t = &st.theme;
    let mut lines = Vec::new();
    for ctx in Context::ALL {
        let bindings = st.keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(ctx.title().to_string(), t.title));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys.join(", ")), t.key),
                Span::raw(inert(&b.desc).into_owned()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Mouse", t.title));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<22}", "click"), t.key),
        Span::raw("Select a key; click it again for its actions"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<22}", "wheel"), t.key),
        Span::raw("Scroll"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<22}", "Ctrl-C"), t.key),
        Span::raw("Quit, always"),
    ]));
    if let Some(dir) = &st.config_dir {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Your keys and colours", t.title));
        lines.push(Line::styled(
            format!(
                "  {} and theme.yaml override the defaults (same shape as assets/keymap.yaml and assets/theme.yaml)",
                inert(&dir.join("keymap.yaml").display().to_string())
            ),
            t.muted,
        ));
    }
    lines
}

fn draw_help(frame: &mut Frame, area: Rect, st: &State, scroll: u16) {
    let t = &st.theme;
    let (r, inner) = help_area(area);
    frame.render_widget(Clear, r);
    let b = block(t, title(t, "Help · keys"), true).title(
        Line::from(Span::styled(" Esc close · j/k scroll ", t.muted)).alignment(Alignment::Right),
    );
    frame.render_widget(b, r);
    let lines = help_lines(st);
    let max = (lines.len() as u16).saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(Text::from(lines)).scroll((scroll.min(max), 0)),
        inner,
    );
}
