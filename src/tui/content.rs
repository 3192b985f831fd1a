//! What the scrolling popups say: the details of a key and the help, as
//! wrapped rows at a terminal size. Drawing shows these rows and `update`
//! counts them for its scroll limits, so both agree.

use jiff::Timestamp;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};

use crate::domain::KeyKind;
use crate::service::KeyRow;
use crate::text::inert;

use super::keymap::Context;
use super::layout::{popup_area, wrap};
use super::state::{Popup, State};
use super::theme::Theme;

/// The width of the labels in the details, where wrapped values continue.
pub const LABEL_W: usize = 22;

/// The width of the keys column in help.
pub const HELP_KEY_W: usize = 22;

pub fn field_line<'a>(t: &Theme, label: &str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL_W$}"), t.label),
        Span::raw(value),
    ])
}

/// A person or service ID by name: the page's account knows its members.
pub fn who(st: &State, row: &KeyRow, iam_id: &str) -> String {
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

/// The details popup's width at this terminal size.
pub fn details_width(area: Rect) -> u16 {
    (area.width * 9 / 10).min(110)
}

/// The details as rows at this terminal size, with the popup's frame and
/// the part of it the rows scroll in (its last row keeps the key hints).
pub fn details_rows(st: &State, row: &KeyRow, area: Rect) -> (Vec<Line<'static>>, Rect, Rect) {
    let text_w = details_width(area)
        .saturating_sub(4)
        .min(area.width.saturating_sub(6));
    let (fields, history) = details_lines(st, row);
    // Values continue under their value; events under their date.
    let mut rows = wrap(fields, text_w, LABEL_W);
    rows.extend(wrap(history, text_w, 4));
    let r = popup_area(area, details_width(area), rows.len() as u16 + 3);
    let inner = r.inner(Margin::new(2, 1));
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    (rows, r, body)
}

/// The help popup's frame and the area inside it.
pub fn help_area(area: Rect) -> (Rect, Rect) {
    let w = (area.width * 9 / 10).min(90);
    let r = popup_area(area, w, area.height);
    (r, r.inner(Margin::new(2, 1)))
}

/// The help as rows at this terminal size.
pub fn help_rows(st: &State, area: Rect) -> Vec<Line<'static>> {
    let (_, inner) = help_area(area);
    wrap(help_lines(st), inner.width, HELP_KEY_W + 2)
}

/// How far a scrolling popup can scroll at this terminal size.
pub fn scroll_limit(st: &State, popup: &Popup, area: Rect) -> u16 {
    match popup {
        Popup::Details { row, .. } => {
            let (rows, _, body) = details_rows(st, row, area);
            (rows.len() as u16).saturating_sub(body.height)
        }
        Popup::Help { .. } => {
            let (_, inner) = help_area(area);
            (help_rows(st, area).len() as u16).saturating_sub(inner.height)
        }
        _ => 0,
    }
}

/// Rows a page key (PageDown, Space) scrolls a popup by.
pub fn scroll_page(st: &State, popup: &Popup, area: Rect) -> u16 {
    match popup {
        Popup::Details { row, .. } => details_rows(st, row, area).2.height.max(2) - 1,
        Popup::Help { .. } => help_area(area).1.height.max(2) - 1,
        _ => 1,
    }
}

/// The details: the fields, then the history (newest first).
pub fn details_lines(st: &State, row: &KeyRow) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let t = &st.theme;
    let k = &row.key;
    let never = || "never".to_string();
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let kind = match k.kind {
        KeyKind::User => "IBM Cloud API key (user)",
        KeyKind::ServiceId => "Service ID API key",
        KeyKind::Classic => "Classic infrastructure API key",
    };
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
        field_line(t, "Status", k.status(st.now).text(", ")),
        field_line(t, "Locked", yes_no(k.locked)),
        field_line(t, "Disabled", yes_no(k.disabled)),
    ];
    if let Some(l) = &k.leak {
        let more = l.found.saturating_sub(l.places.len() as u64);
        lines.push(field_line(
            t,
            "Leaked",
            format!("found {} by {}", date_time(l.at), who(st, row, &l.by)),
        ));
        for p in &l.places {
            lines.push(field_line(t, "", format!("in {}", inert(p))));
        }
        if more > 0 {
            lines.push(field_line(t, "", format!("and {more} more place(s)")));
        }
    }
    // Classic infrastructure keys have neither property.
    if k.kind != KeyKind::Classic {
        lines.push(field_line(
            t,
            "Action when leaked",
            k.action_when_leaked.label().to_string(),
        ));
    }
    if k.kind == KeyKind::User {
        lines.push(field_line(t, "Session support", yes_no(k.support_sessions)));
    }
    lines.push(field_line(
        t,
        "Expires",
        k.expires_at
            .map_or_else(never, |m| m.strftime("%Y-%m-%d %H:%M:%S UTC")),
    ));
    if let Some(m) = &k.managed_by {
        lines.push(field_line(t, "Managed by", inert(m).into_owned()));
    }
    lines.push(field_line(
        t,
        "Last authentication",
        k.activity.last_authn.map_or_else(never, date_time),
    ));
    lines.push(field_line(
        t,
        "Authentications",
        k.activity.authn_count.to_string(),
    ));
    lines.push(Line::raw(""));
    let fields = lines;
    let mut lines = Vec::new();
    lines.push(Line::styled(
        match k.history.len() {
            1 => "History (1 event)".to_string(),
            n => format!("History ({n} events)"),
        },
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
    (fields, lines)
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
            let keys: Vec<String> = b
                .keys
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<HELP_KEY_W$}", keys.join(", ")), t.key),
                Span::raw(inert(&b.desc).into_owned()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Mouse", t.title));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<HELP_KEY_W$}", "click"), t.key),
        Span::raw("Select a key; click it again for its actions"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<HELP_KEY_W$}", "wheel"), t.key),
        Span::raw("Scroll"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<HELP_KEY_W$}", "Ctrl-C"), t.key),
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

pub fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

pub fn date_time(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The inactive identities report's frame and the area inside it.
pub fn report_area(area: Rect) -> (Rect, Rect) {
    let w = (area.width * 19 / 20).min(110);
    let r = popup_area(area, w, area.height);
    (r, r.inner(Margin::new(2, 1)))
}

/// Rows of the report's list on screen at this terminal size: the inside
/// of its frame less its intro, a blank row and the column titles.
pub fn report_rows(area: Rect) -> u16 {
    report_area(area).1.height.saturating_sub(3)
}
