//! Property tests: the key parser and the fixture loader take any input and
//! answer with a value or a clear error, never a panic; text from the store
//! never breaks the command line's table layout or reaches the terminal as
//! an escape sequence.

use iamkeys::fixture;
use iamkeys::secret::{self, KEY_LEN, KeyFormatError, PREFIX};
use iamkeys::text;
use proptest::prelude::*;

const BASE62: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_key_parser_takes_any_string(s in any::<String>()) {
        match secret::parse(&s) {
            Ok(k) => prop_assert_eq!(k.expose(), s.trim()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn the_key_parser_takes_near_keys(body in "[0-9A-Za-z]{30,50}", tail in ".{0,4}") {
        let s = format!("{PREFIX}{body}{tail}");
        let _ = secret::parse(&s);
    }

    /// Any single-character change to a valid key is caught by the format
    /// checks or the checksum, without any hashing.
    #[test]
    fn one_changed_character_is_rejected(pos in 0usize..KEY_LEN, pick in 0usize..200) {
        let key = secret::generate();
        let original = key.expose().to_string();
        let mut chars: Vec<char> = original.chars().collect();
        let alphabet: Vec<char> = BASE62.chars().chain("_-+/= é\u{0}".chars()).collect();
        let mut replacement = alphabet[pick % alphabet.len()];
        if replacement == chars[pos] {
            replacement = alphabet[(pick + 1) % alphabet.len()];
        }
        chars[pos] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert_ne!(&changed, &original);
        let err = secret::parse(&changed).expect_err("a changed key must not parse");
        if pos >= PREFIX.len() && replacement.is_ascii_alphanumeric() {
            prop_assert_eq!(err, KeyFormatError::Checksum);
        }
    }

    #[test]
    fn the_fixture_loader_takes_any_document(doc in any::<String>()) {
        if let Err(e) = fixture::parse(&doc, "random.yaml") {
            prop_assert!(e.to_string().starts_with("random.yaml"));
        }
    }

    #[test]
    fn the_fixture_loader_takes_yaml_shaped_noise(
        doc in r"(version: [0-9]{1,2}\n|demo: (true|false|x)\n|users:\n|accounts:\n|  - [a-z_]{1,12}: [a-z@.0-9\[\]]{0,20}\n|    [a-z_]{1,12}: [a-z@.0-9\[\]-]{0,20}\n){0,30}"
    ) {
        let _ = fixture::parse(&doc, "noise.yaml");
    }

    /// Mutations of the demo fixture: a line dropped, doubled, or a
    /// character replaced. Each is accepted (and then seeds without a panic)
    /// or refused with a message naming the file.
    #[test]
    fn mutations_of_a_valid_fixture_never_panic(
        op in 0u8..4, line in 0usize..400, col in 0usize..60, ch in any::<char>()
    ) {
        let lines: Vec<&str> = fixture::DEMO.lines().collect();
        let i = line % lines.len();
        let mut out: Vec<String> = lines.iter().map(std::string::ToString::to_string).collect();
        match op {
            0 => { out.remove(i); }
            1 => { out.insert(i, lines[i].to_string()); }
            2 => {
                let mut cs: Vec<char> = out[i].chars().collect();
                if !cs.is_empty() {
                    let c = col % cs.len();
                    cs[c] = ch;
                }
                out[i] = cs.into_iter().collect();
            }
            _ => {
                let mut cs: Vec<char> = out[i].chars().collect();
                cs.insert(col.min(cs.len()), ch);
                out[i] = cs.into_iter().collect();
            }
        }
        let doc = out.join("\n");
        match fixture::parse(&doc, "mutated.yaml") {
            Ok(fx) => {
                let (seed, _) = fixture::to_seed(&fx, iamkeys::secret::HashParams::TEST, iamkeys::service::now());
                prop_assert!(!seed.users.is_empty() || fx.users.is_empty());
            }
            Err(e) => prop_assert!(e.to_string().starts_with("mutated.yaml")),
        }
    }

    /// Stored text, however hostile, is shown inert and fitted to its cells.
    #[test]
    fn hostile_text_is_inert_and_fits(s in any::<String>(), extra in prop::sample::select(vec![
        "\u{1b}[2J", "\u{1b}]52;c;aGk=\u{7}", "\u{1b}]0;title\u{7}", "\u{9b}31m", "\u{202e}evil", "日本語キー", "مفتاح", "\r\n", "\u{7f}",
    ]), max in 1usize..60) {
        let hostile = format!("{s}{extra}{s}");
        let shown = text::inert(&hostile);
        prop_assert!(!shown.chars().any(char::is_control), "control character left in {:?}", shown);
        let fitted = text::fit(&shown, max);
        prop_assert!(text::width(&fitted) <= max, "{:?} is {} cells, more than {}", fitted, text::width(&fitted), max);
    }
}

#[test]
fn a_wrong_character_is_rejected_before_any_hashing() {
    // A single parse costs microseconds; an argon2 verification with the
    // default parameters costs tens of milliseconds. 2000 rejections in well
    // under a second show no hashing happens.
    let key = secret::generate();
    let mut s = key.expose().to_string();
    let last = s.pop().unwrap();
    s.push(if last == 'a' { 'b' } else { 'a' });
    let started = std::time::Instant::now();
    for _ in 0..2000 {
        assert_eq!(secret::parse(&s), Err(KeyFormatError::Checksum));
    }
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
}
