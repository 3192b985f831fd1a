//! A one-line text field. Its text lives in a zeroizing buffer, because
//! the sign-in field holds an API key.

use crossterm::event::KeyCode;
use zeroize::Zeroizing;

use super::keymap::Key;

/// `Debug` shows the length only: the field may hold an API key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Input {
    value: Zeroizing<String>,
    /// The cursor, in characters.
    cursor: usize,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("chars", &self.len())
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl Input {
    pub fn with(text: &str) -> Input {
        Input {
            value: Zeroizing::new(text.to_string()),
            cursor: text.chars().count(),
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn len(&self) -> usize {
        self.value.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn clear(&mut self) {
        // Zeroizing clears the old bytes when the old buffer is dropped.
        self.value = Zeroizing::new(String::new());
        self.cursor = 0;
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_idx)
            .map_or(self.value.len(), |(i, _)| i)
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            // A paste may carry a line break at the end; fields are one line.
            if !c.is_control() {
                self.insert(c);
            }
        }
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        let mut next = Zeroizing::new(String::with_capacity(self.value.len() + c.len_utf8()));
        next.push_str(&self.value[..at]);
        next.push(c);
        next.push_str(&self.value[at..]);
        self.value = next;
        self.cursor += 1;
    }

    fn remove(&mut self, char_idx: usize) {
        let start = self.byte_at(char_idx);
        let end = self.byte_at(char_idx + 1);
        let mut next = Zeroizing::new(String::with_capacity(self.value.len()));
        next.push_str(&self.value[..start]);
        next.push_str(&self.value[end..]);
        self.value = next;
    }

    /// Applies an editing key; returns whether the key was one.
    pub fn handle(&mut self, key: Key) -> bool {
        if let Some(c) = key.typed_char() {
            self.insert(c);
            return true;
        }
        match (key.code, key.ctrl) {
            (KeyCode::Backspace, _) | (KeyCode::Char('h'), true) => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.remove(self.cursor);
                }
            }
            (KeyCode::Delete, _) => {
                if self.cursor < self.len() {
                    self.remove(self.cursor);
                }
            }
            (KeyCode::Left, _) | (KeyCode::Char('b'), true) => {
                self.cursor = self.cursor.saturating_sub(1);
            }
            (KeyCode::Right, _) | (KeyCode::Char('f'), true) => {
                self.cursor = (self.cursor + 1).min(self.len());
            }
            (KeyCode::Home, _) | (KeyCode::Char('a'), true) => self.cursor = 0,
            (KeyCode::End, _) | (KeyCode::Char('e'), true) => self.cursor = self.len(),
            (KeyCode::Char('u'), true) => {
                let at = self.byte_at(self.cursor);
                self.value = Zeroizing::new(self.value[at..].to_string());
                self.cursor = 0;
            }
            (KeyCode::Char('w'), true) => {
                let chars: Vec<char> = self.value.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                for _ in start..self.cursor {
                    self.remove(start);
                }
                self.cursor = start;
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    #[test]
    fn edits_in_the_middle_and_with_wide_characters() {
        let mut i = Input::with("héllo");
        i.handle(k(KeyCode::Left));
        i.handle(k(KeyCode::Backspace));
        assert_eq!(i.value(), "hélo");
        i.handle(k(KeyCode::Home));
        i.handle(k(KeyCode::Char('日')));
        assert_eq!(i.value(), "日hélo");
        i.handle(k(KeyCode::End));
        i.handle(Key {
            code: KeyCode::Char('w'),
            ctrl: true,
            alt: false,
        });
        assert_eq!(i.value(), "");
        i.handle(k(KeyCode::Delete));
        i.handle(k(KeyCode::Backspace));
        assert_eq!(i.cursor(), 0);
    }
}
