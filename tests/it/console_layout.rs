//! The console at the sizes people use, down to the 60×15 minimum: every
//! line reachable, the focused field visible, columns sized by content,
//! sorting by the columns on screen, and hints and messages that fit.

use crate::console_common;

use console_common::Console;
use iamkeys::access::ViewFilter;
use iamkeys::tui::state::{Popup, SortCol};

pub const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];
pub const LONG: &str = "fixtures/test/long.yaml";
pub const OWNER: &str = "olivia.owner@long-names.example";
pub const ADMIN: &str = "an.administrator.with.a.long.address@long-names.example";
pub const EU: &str = "production-deployment-pipeline-eu-de";

/// The owner of the long fixture with the EU key's details open, after
/// seven changes: eight history events.
pub fn long_history() -> Console {
    let mut c = Console::from_fixture(LONG, OWNER);
    c.select(EU);
    for _ in 0..3 {
        c.press("l y l");
    }
    c.press("D y");
    c.press("i");
    c
}

fn scroll(c: &Console) -> u16 {
    match c.st.popups.last() {
        Some(Popup::Details { scroll, .. } | Popup::Help { scroll }) => *scroll,
        other => panic!("no scrolling popup: {other:?}"),
    }
}

#[test]
fn every_line_of_the_details_is_reachable_at_every_size() {
    let mut c = long_history();
    for (w, h) in SIZES {
        c.resize(w, h);
        c.press("g");
        let top = c.screen(w, h);
        assert!(top.contains("Name"), "{top}");
        // Scrolling one line at a time reaches the oldest event…
        let mut seen = top.clone();
        for _ in 0..200 {
            let before = scroll(&c);
            c.press("j");
            seen.push_str(&c.screen(w, h));
            if scroll(&c) == before {
                break;
            }
        }
        let end = scroll(&c);
        let last = c.screen(w, h);
        for want in [
            "History (8 events)",
            "Authentications",
            "(seeded from a fixture)",
        ] {
            assert!(seen.contains(want), "{want} never shown at {w}x{h}");
        }
        assert!(
            last.contains("(seeded from a fixture)"),
            "the oldest event is last, at {w}x{h}:\n{last}"
        );
        // …and so do G, Space and PageDown, with the position shown.
        let pages = |k: &str| format!("g {}", [k; 60].join(" "));
        for keys in ["G".to_string(), pages("space"), pages("pagedown")] {
            c.press(&keys);
            assert_eq!(scroll(&c), end, "{keys} at {w}x{h}");
        }
        if end > 0 {
            let at = c.screen(w, h);
            assert!(
                at.lines().any(|l| l.contains(" of ") && l.contains("–")),
                "a scroll position at {w}x{h}:\n{at}"
            );
        }
    }
}

#[test]
fn the_focused_field_of_the_create_dialog_is_always_on_screen() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("c");
    let labels = [
        "Name",
        "Description",
        "Action when leaked",
        "Session support",
        "Expires",
        "Lock the key",
    ];
    let back: Vec<usize> = (0..labels.len()).rev().collect();
    for (w, h) in SIZES {
        c.resize(w, h);
        let order = (0..labels.len()).chain(back.iter().copied().skip(1));
        for (step, i) in order.enumerate() {
            let screen = c.screen(w, h);
            let label = labels[i];
            assert!(
                screen.contains(&format!("▸ {label}")),
                "{label} has the focus at {w}x{h}:\n{screen}"
            );
            let rows: Vec<&str> = screen.lines().collect();
            // The status line and the hints stay clear of the dialog.
            for row in &rows[rows.len() - 2..] {
                assert!(
                    !row.contains('╯') && !row.contains('╰'),
                    "{w}x{h}:\n{screen}"
                );
            }
            if step + 1 < 2 * labels.len() - 1 {
                c.press(if step + 1 < labels.len() {
                    "tab"
                } else {
                    "backtab"
                });
            }
        }
    }
}

#[test]
fn a_refused_expiry_focuses_its_field_and_the_error_is_readable() {
    let mut c = Console::signed_in("ada@acme.example");
    c.resize(60, 15);
    c.press("c");
    c.type_text("k");
    c.press("tab tab tab tab");
    c.type_text("soon");
    c.press("up up up up enter");
    let screen = c.screen(60, 15);
    assert!(screen.contains("▸ Expires"), "{screen}");
    assert!(screen.contains("✗ the expiry: \"soon\""), "{screen}");
    assert!(
        screen.contains("RFC 3339"),
        "the error wraps, whole:\n{screen}"
    );
}

/// The name cells of the table: the text after the row's left border, up
/// to the first two spaces.
fn name_cells(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| (l.contains("2025-") || l.contains("2026-")) && l.starts_with('│'))
        .map(|l| {
            let cell: String = l.chars().skip(2).collect();
            cell.split("  ").next().unwrap_or("").trim().to_string()
        })
        .collect()
}

#[test]
fn columns_are_sized_by_content_and_cut_names_stay_distinct() {
    let mut c = Console::from_fixture(LONG, ADMIN);
    console_common::choose_view(&mut c, ViewFilter::AllUserApiKeys);
    for (w, h) in SIZES {
        let screen = c.screen(w, h);
        let names = name_cells(&screen);
        assert_eq!(names.len(), 4, "{w}x{h}:\n{screen}");
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{w}x{h}: {names:?}");
        for n in &names {
            let whole = c.st.page.rows().iter().any(|r| &r.key.name == n);
            assert!(
                whole || n.contains('…'),
                "{n:?} is cut without … at {w}x{h}"
            );
        }
        // The name is the column that keeps its room.
        if w >= 120 {
            assert!(names.iter().any(|n| n == EU), "{screen}");
        }
    }
}

/// The header row of the table.
fn header(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("Name") && l.contains("Date created"))
        .unwrap_or_else(|| panic!("no table header:\n{screen}"))
        .to_string()
}

#[test]
fn s_sorts_by_the_columns_on_screen_and_the_sorted_one_has_the_arrow() {
    let cases = [
        (
            ViewFilter::MyApiKeys,
            80,
            vec![SortCol::Description, SortCol::Created, SortCol::Name],
        ),
        (
            ViewFilter::AllUserApiKeys,
            80,
            vec![SortCol::Owner, SortCol::Created, SortCol::Name],
        ),
        (
            ViewFilter::AllUserApiKeys,
            120,
            vec![
                SortCol::Description,
                SortCol::Owner,
                SortCol::Created,
                SortCol::Name,
            ],
        ),
    ];
    for (view, w, cycle) in cases {
        let mut c = Console::signed_in("grace@acme.example");
        if view != ViewFilter::MyApiKeys {
            console_common::choose_view(&mut c, view);
        }
        c.resize(w, 24);
        for want in cycle {
            c.press("s");
            assert_eq!(c.st.page.sort, want, "{view:?} at {w}");
            for keys in ["", "S"] {
                c.press(keys);
                let screen = c.screen(w, 24);
                let title = iamkeys::tui::state::sort_title(want, view);
                let arrow = if c.st.page.desc { "↓" } else { "↑" };
                let marked = format!("{title} {arrow}");
                assert!(header(&screen).contains(&marked), "{marked} in:\n{screen}");
                assert!(screen.contains(&format!("sort: {marked}")), "{screen}");
                assert_eq!(header(&screen).matches(['↑', '↓']).count(), 1);
            }
            c.press("S");
        }
    }
}

#[test]
fn long_status_messages_wrap_instead_of_being_cut() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("A space");
    let status = c.status();
    assert!(status.len() > 60, "{status}");
    for (w, h) in SIZES {
        let screen = c.screen(w, h);
        let flat: String = screen.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        let tail: String = status
            .chars()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert!(flat.contains(tail.trim()), "{tail:?} at {w}x{h}:\n{screen}");
    }
}

#[test]
fn the_page_hints_keep_help_and_quit_and_are_never_cut() {
    let mut c = Console::signed_in("ada@acme.example");
    for (w, h) in SIZES {
        let screen = c.screen(w, h);
        let hints = screen.lines().last().unwrap_or("");
        assert!(
            hints.contains("? help") && hints.contains("q quit"),
            "{w}x{h}: {hints}"
        );
        assert!(
            !hints.ends_with(" a") && !hints.trim_end().ends_with(" ac"),
            "{hints}"
        );
    }
    // Typing in the search box: q types, so the hints do not offer it.
    c.press("/");
    let screen = c.screen(80, 24);
    let hints = screen.lines().last().unwrap_or("");
    assert!(
        !hints.contains("q quit") && !hints.contains("? help"),
        "{hints}"
    );
    assert!(hints.contains("F1 help"), "{hints}");
}

#[test]
fn a_refused_name_brings_its_field_back_on_screen() {
    let mut c = Console::signed_in("ada@acme.example");
    c.resize(60, 15);
    // From the last field, with no name.
    c.press("c backtab enter");
    let screen = c.screen(60, 15);
    assert!(screen.contains("▸ Name"), "{screen}");
    assert!(screen.contains("✗ the name must not be empty"), "{screen}");
}

#[test]
fn a_long_message_keeps_the_selected_key_on_screen() {
    let mut c = Console::signed_in("grace@acme.example");
    console_common::choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.resize(60, 15);
    c.press("G");
    let name = c.selected_name().unwrap();
    // Creating is not possible in this view: a message that wraps.
    c.press("c");
    assert!(c.status().len() > 60, "{}", c.status());
    let screen = c.screen_now();
    let selected = screen
        .lines()
        .find(|l| l.contains('▌'))
        .unwrap_or_else(|| panic!("{name} is not on screen:\n{screen}"));
    assert!(selected.contains(&name), "{selected}");
}

#[test]
fn menus_leave_the_status_line_and_the_hints_readable() {
    let mut c = Console::signed_in("grace@acme.example");
    console_common::choose_view(&mut c, ViewFilter::AllUserApiKeys);
    for ((w, h), row) in SIZES.iter().flat_map(|s| [(*s, "g"), (*s, "G")]) {
        c.resize(w, h);
        c.press(row);
        c.press("enter");
        assert!(matches!(c.st.popups.last(), Some(Popup::Actions { .. })));
        let screen = c.screen(w, h);
        let rows: Vec<&str> = screen.lines().collect();
        for row in &rows[rows.len() - 2..] {
            assert!(
                !row.contains('╰') && !row.contains('│'),
                "{w}x{h}:\n{screen}"
            );
        }
        assert!(rows[rows.len() - 1].contains("Esc close"), "{screen}");
        c.press("esc");
    }
}
