//! No input panics the console: long pseudo-random walks of keys, mouse
//! events, pastes and resizes, drawing after every step.

use crate::console_common;

use console_common::Console;
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use iamkeys::tui::Action;

const KEYS: &[&str] = &[
    "j",
    "k",
    "g",
    "G",
    "enter",
    "esc",
    "tab",
    "backtab",
    "v",
    "/",
    "s",
    "S",
    "c",
    "i",
    "e",
    "x",
    "l",
    "D",
    "a",
    "A",
    "u",
    "r",
    "?",
    "y",
    "n",
    "w",
    "space",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "backspace",
    "delete",
    "ctrl-u",
    "ctrl-w",
    "ctrl-d",
    "f1",
    "z",
    "9",
    "-",
    "é",
    "日",
    // The inactive identities report, its days, and rotation.
    "I",
    "+",
    "R",
];

/// A small deterministic generator, so a failure replays.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn walk(email: &str, seed: u64, steps: usize) {
    let mut c = Console::signed_in(email);
    let mut rng = Lcg(seed);
    let sizes = [(80, 24), (120, 40), (60, 15), (59, 14), (200, 60), (20, 5)];
    for step in 0..steps {
        match rng.next(20) {
            0 => {
                let (w, h) = sizes[rng.next(sizes.len())];
                c.resize(w, h);
            }
            1 => {
                let kind = match rng.next(3) {
                    0 => MouseEventKind::ScrollDown,
                    1 => MouseEventKind::ScrollUp,
                    _ => MouseEventKind::Down(MouseButton::Left),
                };
                c.act(Action::Mouse(MouseEvent {
                    kind,
                    column: rng.next(130) as u16,
                    row: rng.next(45) as u16,
                    modifiers: KeyModifiers::NONE,
                }));
            }
            2 => c.act(Action::Paste("pasted\u{1b}[31m text\n".into())),
            3 => c.act(Action::Tick),
            _ => {
                let k = KEYS[rng.next(KEYS.len())];
                if k.chars().count() == 1 && !k.is_ascii() {
                    c.type_text(k);
                } else {
                    c.press(k);
                }
            }
        }
        // The walk may quit; start again where it stood.
        if c.quit {
            c.quit = false;
            c.st.quit = false;
        }
        let (w, h) = c.st.size;
        if step % 7 == 0 {
            c.screen(w.max(1), h.max(1));
        }
    }
}

#[test]
fn random_walk_as_the_owner() {
    walk("ada@acme.example", 1, 3000);
}

#[test]
fn random_walk_as_an_administrator_in_two_accounts() {
    walk("grace@acme.example", 2, 3000);
}

#[test]
fn random_walk_as_a_plain_member() {
    walk("katherine@acme.example", 3, 3000);
}
