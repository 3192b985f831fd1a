//! The limits scan (`yaml::check_limits`) against the YAML parser itself:
//! on any text, if the parser would see an anchor or an alias, or nest
//! collections past the limit, the scan refuses the text first. The
//! parser's events are read straight from libyaml (the parser serde_yaml
//! runs), so a disagreement between the two tokenizers shows up here.

#![allow(unsafe_code)] // libyaml's parser, called directly

use iamkeys::yaml;
use proptest::prelude::*;

/// What libyaml makes of `text`, up to its first error: whether any event
/// carries an anchor or is an alias, and the deepest collection nesting.
fn libyaml_view(text: &str) -> (bool, usize) {
    let (anchors, deepest, _) = libyaml_read(text);
    (anchors, deepest)
}

/// As [`libyaml_view`], and whether libyaml read the whole text.
fn libyaml_read(text: &str) -> (bool, usize, bool) {
    let mut complete = false;
    let mut anchors = false;
    let (mut depth, mut deepest) = (0usize, 0usize);
    // SAFETY: the parser lives in a Box that outlives every call on it; the
    // input outlives the parser; each event is deleted after it is read.
    unsafe {
        let mut parser = Box::new(std::mem::MaybeUninit::<unsafe_libyaml::yaml_parser_t>::uninit());
        let p = parser.as_mut_ptr();
        assert!(unsafe_libyaml::yaml_parser_initialize(p).ok);
        unsafe_libyaml::yaml_parser_set_encoding(p, unsafe_libyaml::YAML_UTF8_ENCODING);
        unsafe_libyaml::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        // Enough events for any input below; a runaway parser is a failure.
        for _ in 0..100_000 {
            let mut event = std::mem::MaybeUninit::<unsafe_libyaml::yaml_event_t>::uninit();
            let e = event.as_mut_ptr();
            if unsafe_libyaml::yaml_parser_parse(p, e).fail {
                break;
            }
            let ev = &*e;
            let end = ev.type_ == unsafe_libyaml::YAML_STREAM_END_EVENT;
            match ev.type_ {
                unsafe_libyaml::YAML_ALIAS_EVENT => anchors = true,
                unsafe_libyaml::YAML_SCALAR_EVENT => anchors |= !ev.data.scalar.anchor.is_null(),
                unsafe_libyaml::YAML_SEQUENCE_START_EVENT => {
                    anchors |= !ev.data.sequence_start.anchor.is_null();
                    depth += 1;
                }
                unsafe_libyaml::YAML_MAPPING_START_EVENT => {
                    anchors |= !ev.data.mapping_start.anchor.is_null();
                    depth += 1;
                }
                unsafe_libyaml::YAML_SEQUENCE_END_EVENT
                | unsafe_libyaml::YAML_MAPPING_END_EVENT => depth = depth.saturating_sub(1),
                _ => {}
            }
            deepest = deepest.max(depth);
            unsafe_libyaml::yaml_event_delete(e);
            if end {
                complete = true;
                break;
            }
        }
        unsafe_libyaml::yaml_parser_delete(p);
    }
    (anchors, deepest, complete)
}

/// Pieces of YAML syntax, to be strung together at random.
const PIECES: &[&str] = &[
    "&a ",
    "*a",
    "&",
    "*",
    "&b",
    "*b ",
    " ",
    "  ",
    "    ",
    "\n",
    "\n  ",
    "\n    ",
    "- ",
    "-",
    ": ",
    ":",
    "? ",
    "?",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ",",
    "# c ",
    "#",
    "'",
    "''",
    "\"",
    "\\\"",
    "\\",
    "|",
    "|-",
    "|2",
    ">",
    ">+",
    "!",
    "!!str ",
    "!t ",
    "!<x> ",
    "---",
    "--- ",
    "...",
    "%YAML 1.1",
    "\t",
    "a",
    "key",
    "x: ",
    "v",
    "R&D",
    "a*b",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "é",
    "日",
    "\u{feff}",
    "%",
    "@",
    "`",
];

fn yamlish() -> impl Strategy<Value = String> {
    let run = prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|v| v.concat());
    // Lines at random indentation, where block scalars and plain scalars
    // that go on over lines end or do not.
    let line = (
        0usize..9,
        prop::collection::vec(prop::sample::select(PIECES), 0..6),
    )
        .prop_map(|(indent, v)| format!("{}{}", " ".repeat(indent), v.concat()));
    let lines = prop::collection::vec(line, 0..12).prop_map(|v| v.join("\n"));
    prop_oneof![run, lines]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn what_the_parser_would_expand_or_nest_too_deep_is_refused_first(text in yamlish()) {
        let (anchors, deepest) = libyaml_view(&text);
        let verdict = yaml::check_limits(&text);
        if anchors {
            prop_assert!(verdict.is_err(), "the parser sees an anchor or alias in {text:?}");
        }
        // The scan counts block levels by indentation; a block sequence at
        // its key's indentation nests one more collection unseen, so the
        // parser's depth is at most about twice the scan's.
        if deepest > 2 * yaml::MAX_DEPTH + 1 {
            prop_assert!(verdict.is_err(), "the parser nests {deepest} deep in {text:?}");
        }
    }

    /// And the scan refuses nothing the parser reads whole, without anchors
    /// and within the depth.
    #[test]
    fn what_the_parser_reads_plainly_is_not_refused(text in yamlish()) {
        let (anchors, deepest, complete) = libyaml_read(&text);
        if complete && !anchors && deepest <= yaml::MAX_DEPTH {
            prop_assert!(yaml::check_limits(&text).is_ok(), "{:?}: {text:?}", yaml::check_limits(&text));
        }
    }

    /// Deep nesting built from the same pieces: the scan keeps up.
    #[test]
    fn deep_random_nesting_is_refused(
        opens in prop::collection::vec(prop::sample::select(&["[", "{", "- ", "[a, ", "{a: ", "\n  - "][..]), 70..120),
    ) {
        let text = format!("k: {}", opens.concat());
        let (_, deepest) = libyaml_view(&text);
        if deepest > 2 * yaml::MAX_DEPTH + 1 {
            prop_assert!(yaml::check_limits(&text).is_err(), "{text:?}");
        }
    }
}
