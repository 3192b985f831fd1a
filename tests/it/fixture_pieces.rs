//! Reading a fixture one sequence item at a time (`yaml::split`, what
//! seeding does) against parsing it as one document: on generated
//! fixtures of many layouts, and on those fixtures broken at random, both
//! give the same fixture or the same error (message, item, line, column).

#![allow(clippy::format_push_string)] // fixture text is built line by line

use iamkeys::fixture::{self, Fixture, Loaded};
use iamkeys::yaml;
use proptest::prelude::*;

/// One way of writing a key, picked per key.
fn key(out: &mut String, i: usize, style: u8, ind: &str) {
    let owner = if i.is_multiple_of(3) {
        "service_id:svc"
    } else {
        "u1@p.test"
    };
    let f = format!("{ind}  ");
    let fields = match style % 12 {
        0 => String::new(),
        1 => {
            format!("{f}description: |\n{f}  first line\n\n{f}    - not an item\n{f}  last: line\n")
        }
        2 => format!("{f}description: >-\n{f}  folded\n{f}  - still text\n"),
        3 => format!("{f}description: 'quoted: # not a comment - x'\n"),
        4 => format!("{f}description: plain words\n{f}  go on here\n"),
        5 => format!("# a comment between fields\n{f}description: \"esc \\\" aped\" # note\n"),
        6 => format!("\n{f}created_at: 2026-05-01T10:00:00Z\n\n"),
        7 => format!("{f}leaked: {{at: 2026-11-20T10:00:00Z, places: [\"a.env:3\", 'b: 4']}}\n"),
        8 => format!(
            "{f}expires_at: 2027-01-01T00:00:00Z\n{f}last_authn: 2026-01-01T00:00:00Z\n{f}authn_count: 7\n"
        ),
        9 => format!("{f}locked: true\n{f}disabled: false\n"),
        10 => format!("{f}action_when_leaked: delete\n"),
        _ => format!("{f}description:\n{f}  on the next line\n"),
    };
    *out += &format!("{ind}- name: key-{i}\n{fields}{f}owner: {owner}\n");
}

/// A fixture with `keys` keys written in the styles given; `indent` picks
/// indented (`  - `) or indentless (`- `) sequences.
fn fixture_text(keys: &[u8], indent: bool, keys_first: bool) -> String {
    let ind = if indent { "  " } else { "" };
    let sub = format!("{ind}  ");
    let mut t = String::from("version: 1\ndemo: true\n# users\nusers:\n");
    for u in 0..3 {
        t += &format!("{ind}- email: u{u}@p.test\n{ind}  name: User {u}\n");
    }
    t.push_str("accounts:\n");
    for a in 0..2 {
        t += &format!("{ind}- id: acc{a}\n{ind}  name: Account {a}\n");
        let members = format!(
            "{ind}  members:\n{sub}- user: u1@p.test\n{sub}  invited_by: u0@p.test\n{sub}  roles: [Editor]\n{sub}- user: u2@p.test\n{sub}  invited_by: u1@p.test\n"
        );
        let sids =
            format!("{ind}  service_ids:\n{sub}- name: svc\n{sub}  description: A service\n");
        let mut api = format!("{ind}  api_keys:\n");
        for (i, &s) in keys.iter().enumerate() {
            key(&mut api, i, s.wrapping_add(a as u8), &sub);
        }
        if keys.is_empty() {
            api = format!("{ind}  api_keys: []\n");
        }
        let head = format!(
            "{ind}  owner: u0@p.test\n{ind}  settings:\n{ind}    api_keys_per_identity: 1000\n"
        );
        if keys_first {
            t.push_str(&api);
            t.push_str(&head);
            t.push_str(&sids);
            t.push_str(&members);
        } else {
            t.push_str(&head);
            t.push_str(&members);
            t.push_str(&sids);
            t.push_str(&api);
        }
        t += &format!(
            "{ind}  classic_infrastructure: true\n{ind}  classic_keys:\n{sub}- owner: u2@p.test\n"
        );
    }
    t
}

/// Both readings of `text` agree: the same parse result, and the same
/// fixture or error once validated.
fn agree(text: &str) -> Result<(), TestCaseError> {
    let whole = yaml::from_str::<Fixture>(text).map(|f| format!("{f:?}"));
    let pieces = Loaded::parse(text.to_string()).map(|l| format!("{:?}", l.into_fixture()));
    prop_assert_eq!(&pieces, &whole, "{}", text);
    let whole = fixture::parse_whole(text, "f.yaml").map(|f| format!("{f:?}"));
    let pieces = fixture::parse(text, "f.yaml").map(|f| format!("{f:?}"));
    prop_assert_eq!(&pieces, &whole, "{}", text);
    Ok(())
}

/// Snippets a mutation inserts: each can move a boundary between items.
const SNIPPETS: &[&str] = &[
    "\n",
    "- ",
    "-",
    " ",
    "  ",
    ":",
    ": ",
    "#",
    " #",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "|",
    ">",
    "\t",
    "\n- name: x\n",
    "\n  - name: y\n",
    "\nextra: 1\n",
    "? ",
    "!!str ",
    "---\n",
    "&a ",
    "\r",
    "\n    ",
    "\u{2028}",
    "api_keys:\n",
    "\n  api_keys:\n",
    "\n  owner: u9@p.test\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(prop::sample::Index, usize),
    DeleteLine(prop::sample::Index),
    DuplicateLine(prop::sample::Index),
    Indent(prop::sample::Index, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0..SNIPPETS.len()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        any::<prop::sample::Index>().prop_map(Mutation::DeleteLine),
        any::<prop::sample::Index>().prop_map(Mutation::DuplicateLine),
        (any::<prop::sample::Index>(), any::<bool>()).prop_map(|(i, m)| Mutation::Indent(i, m)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    match m {
        Mutation::Insert(at, s) => {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            return format!("{}{}{}", &text[..i], SNIPPETS[*s], &text[i..]);
        }
        Mutation::DeleteLine(at) => {
            lines.remove(at.index(lines.len()));
        }
        Mutation::DuplicateLine(at) => {
            let i = at.index(lines.len());
            lines.insert(i, lines[i].clone());
        }
        Mutation::Indent(at, more) => {
            let i = at.index(lines.len());
            if *more {
                lines[i].insert(0, ' ');
            } else if lines[i].starts_with(' ') {
                lines[i].remove(0);
            }
        }
    }
    lines.concat()
}

#[test]
fn generated_fixtures_are_read_in_pieces_and_read_the_same() {
    for indent in [false, true] {
        for keys_first in [false, true] {
            let styles: Vec<u8> = (0..24).collect();
            let text = fixture_text(&styles, indent, keys_first);
            let loaded = Loaded::parse(text.clone()).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
            assert!(loaded.in_pieces(), "not taken apart:\n{text}");
            agree(&text).unwrap();
        }
    }
    // The demo, and what the generator writes, are read in pieces.
    let demo = Loaded::parse(fixture::DEMO.to_string()).unwrap();
    assert!(demo.in_pieces());
    agree(fixture::DEMO).unwrap();
    let (fx, _) = fixture::generate(&fixture::GenSpec {
        keys: 3000,
        service_keys: 10,
        ..Default::default()
    });
    let mut text = Vec::new();
    fixture::write(&fx, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(Loaded::parse(text.clone()).unwrap().in_pieces());
    agree(&text).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn pieces_and_whole_agree_on_generated_fixtures(
        styles in prop::collection::vec(any::<u8>(), 0..12),
        indent in any::<bool>(),
        keys_first in any::<bool>(),
    ) {
        agree(&fixture_text(&styles, indent, keys_first))?;
    }

    #[test]
    fn pieces_and_whole_agree_on_broken_fixtures(
        styles in prop::collection::vec(any::<u8>(), 1..8),
        indent in any::<bool>(),
        keys_first in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut text = fixture_text(&styles, indent, keys_first);
        for m in &mutations {
            text = apply(&text, m);
        }
        agree(&text)?;
    }
}
