//! The README's samples are output of real runs, checked here so that they
//! cannot drift from the program.
//!
//! - Every fenced `console` block of README.md is a transcript: each line
//!   starting with `$ iamkeys ` is a command, and the lines after it, up to
//!   the next `$ ` line or the end of the block, are what it prints
//!   (standard output, then standard error). The commands run in README
//!   order on one freshly seeded built-in demo store, so a sample may build
//!   on an earlier one's change.
//! - The only normalisation: trailing spaces and blank lines are ignored,
//!   and a key value (anything in the key format) is written
//!   `<API key value>`, as error messages write it.
//! - A block after a `<!-- sample: the console, ... -->` comment is a
//!   console screen, drawn by the test script below; the comment must name
//!   that script exactly.

use std::path::Path;

use iamkeys::access::ViewFilter;

use crate::common;
use crate::console_common::{Console, choose_view};

const README: &str = include_str!("../../README.md");

const SCREEN_MARKER: &str = "<!-- sample: the console, as grace@acme.example on \"All IBM Cloud user API keys\", alan-notebook selected, Enter, 120x24 -->";

/// A fenced block: its info string, its lines, and the line before its fence.
struct Block<'a> {
    info: &'a str,
    lines: Vec<&'a str>,
    before: &'a str,
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    let mut prev = "";
    while let Some(l) = lines.next() {
        if let Some(info) = l.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push(Block {
                info: info.trim(),
                lines: body,
                before: prev,
            });
        }
        if !l.trim().is_empty() {
            prev = l;
        }
    }
    out
}

/// Splits a command line on spaces, keeping double-quoted text together.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn normalise(text: &str) -> String {
    let text = iamkeys::secret::redact_values(text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    lines[..end].join("\n")
}

/// (command, expected output) pairs of the `console` blocks, in order.
fn transcripts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in blocks(README).iter().filter(|b| b.info == "console") {
        let mut current: Option<(String, Vec<&str>)> = None;
        for l in &b.lines {
            if let Some(cmd) = l.strip_prefix("$ ") {
                if let Some((c, o)) = current.take() {
                    out.push((c, o.join("\n")));
                }
                current = Some((cmd.to_string(), Vec::new()));
            } else if let Some((_, o)) = current.as_mut() {
                o.push(l);
            } else {
                panic!("a console block must start with a command: {l:?}");
            }
        }
        if let Some((c, o)) = current {
            out.push((c, o.join("\n")));
        }
    }
    out
}

fn run(dir: &Path, command: &str) -> String {
    let w = words(command);
    assert_eq!(w[0], "iamkeys", "a sample runs iamkeys: {command}");
    let o = common::iamkeys(dir).args(&w[1..]).output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_command_sample_in_the_readme_is_what_the_program_prints() {
    let samples = transcripts();
    assert!(
        samples.len() >= 6,
        "too few samples found: {}",
        samples.len()
    );
    let (_tmp, dir) = common::seeded_demo();
    let mut wrong = Vec::new();
    for (command, expected) in &samples {
        let got = normalise(&run(&dir, command));
        if got != normalise(expected) {
            wrong.push(format!(
                "$ {command}\n--- README:\n{expected}\n--- the program:\n{got}\n"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "README samples differ:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_console_sample_in_the_readme_is_what_the_console_draws() {
    let all = blocks(README);
    let marked: Vec<&Block> = all
        .iter()
        .filter(|b| b.before.starts_with("<!-- sample: the console"))
        .collect();
    assert_eq!(marked.len(), 1, "one console screen sample");
    let b = marked[0];
    assert_eq!(
        b.before, SCREEN_MARKER,
        "the marker names this test's script"
    );
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.select("alan-notebook");
    c.press("enter");
    let got = normalise(&c.screen(120, 24));
    let expected = normalise(&b.lines.join("\n"));
    if got != expected && std::env::var_os("IAMKEYS_BLESS_README").is_some() {
        // Redraws the sample in place; review the change with `git diff`.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let text = std::fs::read_to_string(path).unwrap();
        let old = b.lines.join("\n");
        assert_eq!(text.matches(&old).count(), 1, "the sample stands once");
        std::fs::write(path, text.replacen(&old, &got, 1)).unwrap();
        return;
    }
    assert!(
        got == expected,
        "README:\n{expected}\nthe console:\n{got}\n(IAMKEYS_BLESS_README=1 redraws the README's sample)"
    );
}

#[test]
fn the_sample_parser_reads_commands_and_outputs() {
    assert_eq!(
        words(r#"iamkeys --as a@b api-key-create "two words" -d """#),
        [
            "iamkeys",
            "--as",
            "a@b",
            "api-key-create",
            "two words",
            "-d",
            ""
        ]
    );
    let b = blocks("x\n<!-- m -->\n```console\n$ iamkeys views\nout\n```\n");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].before, "<!-- m -->");
    assert_eq!(b[0].lines, ["$ iamkeys views", "out"]);
}

/// Every picture under `assets/pictures/` is shown in the README, and every
/// picture the README shows is there (`tour::the_readme_pictures_are_what_
/// the_program_draws` checks that they are what the program draws).
#[test]
fn the_readme_shows_every_picture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/pictures");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    files.sort();
    let mut shown: Vec<String> = README
        .match_indices("](assets/pictures/")
        .map(|(at, m)| {
            let rest = &README[at + m.len()..];
            rest[..rest.find(')').unwrap()].to_string()
        })
        .collect();
    shown.sort();
    shown.dedup();
    assert!(!files.is_empty());
    assert_eq!(files, shown);
}
