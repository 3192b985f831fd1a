//! Text from the store shown on a terminal: made inert and fitted to a width.
//!
//! Names and descriptions are user input. A name carrying an escape sequence
//! must not move the cursor, change colours, set the window title or write
//! the clipboard when it is listed, so every control character is shown as a
//! visible picture instead of being sent to the terminal.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Replaces control characters (C0, DEL, C1) and bidirectional overrides by
/// visible stand-ins: ESC shows as `␛`, BEL as `␇`, and so on.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                '\u{7f}' => '\u{2421}',
                c if c.is_control() || is_bidi_control(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// The most characters in a key, service ID, user or account name.
pub const MAX_NAME: usize = 240;
/// The most characters in a description.
pub const MAX_DESCRIPTION: usize = 1024;
/// The most characters in an email (RFC 5321's limit on a path).
pub const MAX_EMAIL: usize = 254;

/// The rule for text people give, on the command line, in the console and
/// in fixtures: at most `max` characters once trimmed, no control
/// characters (C0, DEL, C1), and not empty when `required`. Returns the
/// trimmed text, or why it is refused.
pub fn check(what: &str, value: &str, max: usize, required: bool) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(format!("the {what} must not be empty"));
    }
    if v.chars().count() > max {
        return Err(format!("the {what} is longer than {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("the {what} contains control characters"));
    }
    Ok(v.to_string())
}

/// `s` for a line of a log file: control characters, bidirectional
/// overrides and `\` are written as Rust escapes (`\u{1b}`, `\n`, `\\`),
/// so no value can break a line, forge one or colour a terminal that shows
/// the file. With `quote`, the result is also wrapped in `"` (and `"` is
/// escaped) unless `s` is one non-empty word, so a value cannot pass for
/// another field (`a key_id=x`).
pub fn escaped(s: &str, quote: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control() || is_bidi_control(c) || matches!(c, '\\' | '\u{2028}' | '\u{2029}')
    };
    let plain_word = !s.is_empty()
        && !s
            .chars()
            .any(|c| unsafe_char(c) || c.is_whitespace() || c == '"' || c == '=');
    if plain_word || (!quote && !s.chars().any(unsafe_char)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    if quote {
        out.push('"');
    }
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '"' if quote => out.push_str("\\\""),
            c if unsafe_char(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    if quote {
        out.push('"');
    }
    Cow::Owned(out)
}

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` (already inert) to at most `max` cells, ending in `…` if cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Pads `s` with spaces to `cells` cells.
pub fn pad(s: &str, cells: usize) -> String {
    let w = width(s);
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_pictures() {
        assert_eq!(inert("a\u{1b}[31mred\u{7}"), "a␛[31mred␇");
        assert_eq!(inert("\u{9b}x\u{202e}"), "\u{fffd}x\u{fffd}");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_text_cannot_break_a_log_line() {
        assert_eq!(escaped("ada@acme.example", true), "ada@acme.example");
        assert_eq!(
            escaped("a\u{1b}[2J\u{7}\nfake line\r", true),
            "\"a\\u{1b}[2J\\u{7}\\nfake line\\r\""
        );
        assert_eq!(escaped("x key_id=y", true), "\"x key_id=y\"");
        assert_eq!(escaped("say \"hi\" \\o", true), "\"say \\\"hi\\\" \\\\o\"");
        assert_eq!(escaped("\u{9b}6n\u{202e}", true), "\"\\u{9b}6n\\u{202e}\"");
        assert_eq!(escaped("", true), "\"\"");
        assert_eq!(escaped("signed in", false), "signed in");
        assert_eq!(escaped("in\nout \"q\"", false), "in\\nout \"q\"");
        for s in ["\n", "a\u{85}b", "\u{2028}", "x\u{0}"] {
            let e = escaped(s, true);
            assert!(
                !e.chars().any(|c| c.is_control() || c == '\u{2028}'),
                "{e:?}"
            );
        }
    }

    #[test]
    fn fit_counts_wide_characters() {
        assert_eq!(width("日本"), 4);
        assert_eq!(fit("日本語のキー", 7), "日本語…");
        assert_eq!(fit("short", 10), "short");
    }
}
