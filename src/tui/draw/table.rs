//! The keys table: columns sized by content, names cut so they stay
//! distinct, status badges, and only the rows on screen built.

use super::*;

/// Column widths for `avail` cells: each column as wide as its title and
/// the rows on screen need. When that is too much, every column keeps a
/// floor and the rest goes by priority: the name first (up to two fifths
/// of the room), then the status, the owner and the description, then the
/// name again.
pub(super) fn column_widths(
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
pub(super) fn fit_distinct(names: &[String], cells: usize) -> Vec<String> {
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
pub(super) fn fit_middle(s: &str, cells: usize) -> String {
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

/// The account's housekeeping settings (the defaults until it is loaded).
fn housekeeping(st: &State) -> crate::domain::Housekeeping {
    st.page
        .account
        .as_ref()
        .map(|a| a.settings.housekeeping())
        .unwrap_or_default()
}

pub(super) fn badges<'a>(
    row: &KeyRow,
    now: Timestamp,
    h: crate::domain::Housekeeping,
    t: &Theme,
    short: bool,
) -> Line<'a> {
    let s = row.key.status(now);
    let notes = row.key.notes(now, h);
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
    add(s.leaked, "leaked", "leaked", t.badge_leaked);
    add(s.locked, "locked", "locked", t.badge_locked);
    add(s.disabled, "disabled", "disabled", t.badge_disabled);
    add(s.expired, "expired", "expired", t.badge_expired);
    add(
        row.key.managed_by.is_some() && !short,
        "managed",
        "mgd",
        t.badge_managed,
    );
    // What housekeeping says, beside the badges: the days left before an
    // expired key is removed, "expires in N days", "old".
    for label in notes.labels(s.expired) {
        // Narrow tables keep the days left before removal short.
        let label = match label.strip_prefix("removed in ") {
            Some(rest) if short => {
                format!("{} left", rest.replace(" days", "d").replace(" day", "d"))
            }
            _ => label,
        };
        let style = if label.starts_with("expires") {
            t.badge_expired
        } else {
            t.muted
        };
        if t.monochrome {
            spans.push(Span::styled(format!("[{label}]"), style));
        } else {
            spans.push(Span::styled(format!(" {label} "), style));
        }
        spans.push(Span::raw(" "));
    }
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

pub(super) fn draw_table(frame: &mut Frame, l: &PageLayout, st: &State) {
    let t = &st.theme;
    let page = &st.page;
    let shown = page.visible.len();
    let total = page.table.len();
    let count = if !page.loaded {
        "loading…".to_string()
    } else if page.searching.is_some() {
        // A large view searched on a worker: the rows shown are the last
        // search's until its rows arrive.
        "searching…".to_string()
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
        let msg = match page.progress.get() {
            (done, total) if st.is_busy() && done > 0 && total > 0 => {
                format!("Loading… {done} of {total} keys")
            }
            (done, _) if st.is_busy() && done > 0 => format!("Loading… {done} keys"),
            _ if st.is_busy() => "Loading…".to_string(),
            _ => String::new(),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(msg, t.muted))
                .alignment(Alignment::Center)
                .block(b),
            l.table,
        );
        return;
    }
    if page.visible.is_empty() {
        let msg = if page.searching.is_some() {
            "Searching…"
        } else if page.search.is_empty() {
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
    let on_screen: Vec<KeyRow> = page.visible[start..end]
        .iter()
        .filter_map(|&i| page.row(i))
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
                    Col::Status => badges(r, st.now, housekeeping(st), t, short)
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
                        let b = badges(r, st.now, housekeeping(st), t, short);
                        let style = b.spans.first().map_or(t.muted, |s| s.style);
                        Cell::from(Span::styled(fit(s.trim_start(), *w).into_owned(), style))
                    }
                    Col::Status => Cell::from(badges(r, st.now, housekeeping(st), t, short)),
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
