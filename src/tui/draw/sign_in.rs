//! The sign-in screen: an API key field and, on demo stores, the personas.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, TableState};

use crate::text::{fit, inert, width};

use super::super::keymap::{Command, Context};
use super::super::layout::status_height;
use super::super::state::{SignInFocus, State};
use super::*;

// ---- sign-in -------------------------------------------------------------------

/// Beside the title above the sign-in box, where it fits whole.
const TAGLINE: &str = " · create, edit, lock, disable and delete the keys you may manage";

pub(super) fn draw_sign_in(frame: &mut Frame, area: Rect, st: &State) {
    let t = &st.theme;
    let status_h = status_height(st, area.width);
    let [header, _, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(status_h + 1),
    ])
    .areas(area);
    frame.render_widget(Block::new().style(t.header), header);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" iamkeys ", t.brand),
            Span::styled(" Manage > Access (IAM) > ", t.breadcrumb),
            Span::styled("API keys", t.breadcrumb_current),
        ])),
        header,
    );
    let l = sign_in_layout(area, st);
    if l.frame.y >= header.bottom() + 2 {
        let welcome = Rect {
            y: l.frame.y - 2,
            height: 1,
            ..l.frame
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("IBM Cloud API keys", t.title),
                Span::styled(
                    if welcome.width as usize >= 18 + width(TAGLINE) {
                        TAGLINE
                    } else {
                        ""
                    },
                    t.muted,
                ),
            ]))
            .alignment(Alignment::Center),
            welcome,
        );
    }
    let b = block(t, title(t, "Sign in"), true);
    frame.render_widget(Clear, l.frame);
    frame.render_widget(b, l.frame);
    let inner = l.frame.inner(Margin::new(2, 1));
    let focus = st.sign_in.focus();
    frame.render_widget(
        Paragraph::new(Span::styled("IBM Cloud API key", t.label)),
        Rect { height: 1, ..inner },
    );
    draw_input(
        frame,
        l.key,
        st.sign_in.key.value(),
        st.sign_in.key.cursor(),
        focus == SignInFocus::Key,
        true,
        t,
    );
    if st.sign_in.key.is_empty() && focus != SignInFocus::Key {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " paste a user API key (iamk_…)",
                t.placeholder,
            )),
            l.key,
        );
    }
    let help = Rect {
        y: l.key.y + 1,
        height: 1,
        ..inner
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(
                "The value is masked and verified off screen. Enter signs in.",
                help.width as usize,
            ),
            t.muted,
        )),
        help,
    );
    if st.demo {
        let heading = Rect {
            y: l.personas.y.saturating_sub(2),
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("Or sign in as a demo persona", t.label),
                Span::styled(
                    fit(
                        "  (demo store: personas need no key)",
                        (heading.width as usize).saturating_sub(28),
                    ),
                    t.muted,
                ),
            ])),
            heading,
        );
        if st.sign_in.personas.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled("Loading personas…", t.muted)),
                l.personas,
            );
        }
        // The roles take what the name and email columns leave (a cell for
        // the highlight mark, one between columns); cut text ends with "…".
        let roles_w = (l.personas.width as usize).saturating_sub(1 + 26 + 24 + 2);
        let rows = st.sign_in.personas.iter().map(|p| {
            let roles: Vec<String> = p
                .roles
                .iter()
                .map(|(acc, roles)| {
                    if roles.is_empty() {
                        format!("{}: member", inert(acc))
                    } else {
                        format!("{}: {}", inert(acc), roles.join(", "))
                    }
                })
                .collect();
            let name = if p.user.functional {
                Line::from(vec![
                    Span::raw(inert(&p.user.name).into_owned()),
                    Span::raw(" "),
                    Span::styled(
                        if t.monochrome {
                            "[functional]"
                        } else {
                            " functional "
                        },
                        t.badge_functional,
                    ),
                ])
            } else {
                Line::raw(inert(&p.user.name).into_owned())
            };
            Row::new(vec![
                Cell::from(name),
                Cell::from(Span::styled(inert(&p.user.email).into_owned(), t.muted)),
                Cell::from(fit(&roles.join(" · "), roles_w).into_owned()),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Length(26),
                Constraint::Length(24),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["Name", "Email", "Roles by account"]).style(t.table_header))
        .column_spacing(1)
        .row_highlight_style(if focus == SignInFocus::Personas {
            t.selected
        } else {
            t.selected_unfocused
        })
        .highlight_symbol("▌")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
        let mut ts = TableState::default();
        if !st.sign_in.personas.is_empty() {
            ts.select(Some(st.sign_in.cursor));
        }
        let with_header = Rect {
            y: l.personas.y.saturating_sub(1),
            height: l.personas.height + 1,
            ..l.personas
        };
        frame.render_stateful_widget(table, with_header, &mut ts);
    }
    let [status, keys] =
        Layout::vertical([Constraint::Length(status_h), Constraint::Length(1)]).areas(footer);
    status_line(st, status, frame);
    let k = |ctx: Context, c: Command| {
        if focus == SignInFocus::Key {
            st.keymap.hint_typing(ctx, c)
        } else {
            st.keymap.hint(ctx, c)
        }
    };
    let mut items = vec![(k(Context::SignIn, Command::Confirm), "sign in", false)];
    if focus == SignInFocus::Personas {
        items.push((
            format!(
                "{}/{}",
                k(Context::SignIn, Command::Down),
                k(Context::SignIn, Command::Up)
            ),
            "choose",
            false,
        ));
    }
    if !st.sign_in.personas.is_empty() {
        let to = if focus == SignInFocus::Key {
            "personas"
        } else {
            "key field"
        };
        items.push((k(Context::SignIn, Command::NextArea), to, false));
    }
    if st.session.is_some() {
        items.push((k(Context::SignIn, Command::Close), "back", true));
    } else if focus == SignInFocus::Key {
        items.push((k(Context::SignIn, Command::Close), "quit", true));
    }
    items.push((k(Context::Global, Command::Help), "help", true));
    if focus == SignInFocus::Personas {
        items.push((k(Context::Global, Command::Quit), "quit", true));
    }
    hint_bar(frame, t, &items, keys);
    let store = Rect {
        y: l.frame.bottom(),
        height: 1,
        ..l.frame
    };
    if store.bottom() < status.y {
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(
                    &format!(" store: {}", inert(&st.store_label)),
                    store.width as usize,
                )
                .into_owned(),
                t.muted,
            )),
            store,
        );
    }
}
