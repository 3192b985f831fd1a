//! Keys on the sign-in screen, and signing in.

use super::*;

pub(super) fn sign_in_key(st: &mut State, key: Key) -> Handled {
    let focus = st.sign_in.focus();
    if focus == SignInFocus::Key {
        let cmd = st.keymap.lookup(Context::SignIn, key);
        let is_nav = matches!(
            cmd,
            Some(Command::NextArea | Command::PrevArea | Command::Confirm | Command::Close)
        ) && key.typed_char().is_none();
        if !is_nav && st.sign_in.key.handle(key) {
            return Handled::CONSUMED;
        }
    }
    let cmd = st.keymap.lookup(Context::SignIn, key);
    match cmd {
        Some(Command::NextArea | Command::PrevArea) => {
            if !st.sign_in.personas.is_empty() {
                st.sign_in.focus = Some(match focus {
                    SignInFocus::Key => SignInFocus::Personas,
                    SignInFocus::Personas => SignInFocus::Key,
                });
            }
            Handled::CONSUMED
        }
        Some(Command::Down) if focus == SignInFocus::Personas => {
            let n = st.sign_in.personas.len();
            if n > 0 {
                st.sign_in.cursor = (st.sign_in.cursor + 1).min(n - 1);
            }
            Handled::CONSUMED
        }
        Some(Command::Up) if focus == SignInFocus::Personas => {
            st.sign_in.cursor = st.sign_in.cursor.saturating_sub(1);
            Handled::CONSUMED
        }
        Some(Command::Confirm) => Handled::from(submit_sign_in(st, focus)),
        Some(Command::Close) => {
            if st.session.is_some() {
                st.screen = Screen::Page;
                Handled::CONSUMED
            } else {
                // Nothing to go back to: Esc leaves, as the hint says.
                Handled::from(quit(st))
            }
        }
        _ => {
            if focus == SignInFocus::Personas
                && let Some(c) = key.typed_char()
                && c.is_ascii_alphanumeric()
                && cmd.is_none()
                && st.keymap.lookup(Context::Global, key).is_none()
            {
                // A letter no binding takes (in the keymap, not hard-coded).
                // Typing starts the API key field.
                st.sign_in.focus = Some(SignInFocus::Key);
                st.sign_in.key.insert(c);
                return Handled::CONSUMED;
            }
            Handled::NotConsumed
        }
    }
}

pub(super) fn submit_sign_in(st: &mut State, focus: SignInFocus) -> Vec<Effect> {
    if st.is_busy() {
        st.info("Still working on the last request…");
        return Vec::new();
    }
    match focus {
        SignInFocus::Key => {
            if st.sign_in.key.is_empty() {
                st.error("Paste an API key first");
                return Vec::new();
            }
            let value = crate::secret::SecretText::new(st.sign_in.key.value().trim());
            st.sign_in.key.clear();
            st.info("Verifying the API key…");
            vec![st.run("Verifying the API key", Job::SignInKey { value })]
        }
        SignInFocus::Personas => {
            let Some(p) = st.sign_in.personas.get(st.sign_in.cursor) else {
                return Vec::new();
            };
            let email = p.user.email.clone();
            vec![st.run("Signing in", Job::SignInAs { email })]
        }
    }
}
