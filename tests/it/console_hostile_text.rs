//! Property test: whatever the names, descriptions and owners hold —
//! control characters, escape sequences, very long text, right-to-left
//! text, wide characters — the console's table keeps its layout: borders
//! where they belong, every column starting where its header does, and no
//! control character in any cell.

use crate::console_common;

use console_common::{Console, choose_view};
use iamkeys::access::ViewFilter;
use iamkeys::tui::draw;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z0-9 -]{0,12}",
        Just("\u{1b}[2J".to_string()),
        Just("\u{1b}]52;c;aGk=\u{7}".to_string()),
        Just("\u{9b}31m".to_string()),
        Just("\r\n\t".to_string()),
        Just("\u{202e}reversed".to_string()),
        Just("مفتاح الواجهة".to_string()),
        Just("日本語のキー名前".to_string()),
        Just("e\u{301}\u{301}combining".to_string()),
        Just("👩‍👩‍👧‍👦".to_string()),
        "[a-z]{60,300}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

fn cell(buf: &ratatui::buffer::Buffer, x: u16, y: u16) -> &str {
    buf[(x, y)].symbol()
}

#[test]
fn hostile_text_never_breaks_the_table() {
    let mut c = Console::signed_in("ada@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    let target = ViewFilter::AllUserApiKeys.label();
    let original = c.st.page.rows();
    let c = std::cell::RefCell::new(c);

    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    let rows = original.len();
    let strategy = prop::collection::vec((hostile(), hostile(), hostile()), rows..=rows);
    runner
        .run(&strategy, |texts| {
            let mut c = c.borrow_mut();
            let mut rows = original.clone();
            for (row, (name, description, owner)) in rows.iter_mut().zip(texts) {
                row.key.name = name;
                row.key.description = description;
                row.owner = owner;
            }
            c.st.page.set_rows(rows);
            for (w, h) in [(80u16, 24u16), (120, 40), (61, 16)] {
                c.resize(w, h);
                let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
                term.draw(|f| draw::draw(f, &c.st)).unwrap();
                let buf = term.backend().buffer().clone();
                for y in 0..h {
                    for x in 0..w {
                        let s = cell(&buf, x, y);
                        prop_assert!(
                            !s.chars().any(
                                |ch| ch.is_control() || ('\u{202a}'..='\u{202e}').contains(&ch)
                            ),
                            "control character in cell ({x},{y}): {s:?}"
                        );
                    }
                }
                let line = |y: u16| (0..w).map(|x| cell(&buf, x, y)).collect::<String>();
                // The table: from its title line to its bottom border.
                let top = (0..h)
                    .find(|&y| line(y).contains(target))
                    .expect("the table title");
                let bottom = (top + 1..h)
                    .find(|&y| cell(&buf, 0, y) == "╰")
                    .expect("the table bottom");
                for y in top + 1..bottom {
                    prop_assert_eq!(cell(&buf, 0, y), "│", "left border at row {}", y);
                    // The right border doubles as the scrollbar.
                    let right = cell(&buf, w - 1, y);
                    prop_assert!(
                        ["│", "┃", "║", "█", "▲", "▼", "↑", "↓"].contains(&right),
                        "right border at row {}: {:?}",
                        y,
                        right
                    );
                }
                // Every row's date starts in the cell where its header does.
                let header_y = top + 1;
                let date_x = (0..w).find(|&x| {
                    (x..w)
                        .map(|i| cell(&buf, i, header_y))
                        .collect::<String>()
                        .starts_with("Date created")
                });
                if let Some(x) = date_x {
                    for y in (header_y + 1..bottom).take(original.len()) {
                        let at: String = (x..x + 2).map(|i| cell(&buf, i, y)).collect();
                        prop_assert_eq!(
                            at,
                            "20",
                            "the date column moved in row {}: {:?}",
                            y,
                            line(y)
                        );
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
