//! The mouse: clicks, double clicks and the wheel.

use super::*;

pub(super) fn on_mouse(st: &mut State, ev: MouseEvent) -> Vec<Effect> {
    let effects = mouse(st, ev);
    clamp_scroll(st);
    effects
}

pub(super) fn mouse(st: &mut State, ev: MouseEvent) -> Vec<Effect> {
    let pos = Position::new(ev.column, ev.row);
    match ev.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let delta: isize = if ev.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            st.needs_draw = true;
            match st.popups.last_mut() {
                Some(Popup::Details { scroll, .. } | Popup::Help { scroll }) => {
                    *scroll = if delta > 0 {
                        scroll.saturating_add(3)
                    } else {
                        scroll.saturating_sub(3)
                    };
                    Vec::new()
                }
                Some(Popup::Inactive(r)) => {
                    r.move_by(delta);
                    Vec::new()
                }
                Some(p) => {
                    if let Some(c) = menu_cursor(p) {
                        *c = if delta > 0 {
                            c.saturating_add(1)
                        } else {
                            c.saturating_sub(1)
                        };
                    }
                    let len = st.popups.last().map_or(0, |p| menu_len(st, p));
                    if let Some(c) = st.popups.last_mut().and_then(menu_cursor) {
                        *c = (*c).min(len.saturating_sub(1));
                    }
                    Vec::new()
                }
                None if st.screen == Screen::Page => {
                    st.page.move_by(delta);
                    st.scroll();
                    Vec::new()
                }
                None => {
                    let n = st.sign_in.personas.len();
                    if n > 0 {
                        st.sign_in.focus = Some(SignInFocus::Personas);
                        st.sign_in.cursor = if delta > 0 {
                            (st.sign_in.cursor + 1).min(n - 1)
                        } else {
                            st.sign_in.cursor.saturating_sub(1)
                        };
                    }
                    Vec::new()
                }
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            st.needs_draw = true;
            click(st, pos)
        }
        _ => Vec::new(),
    }
}

pub(super) fn click(st: &mut State, pos: Position) -> Vec<Effect> {
    let area = st.area();
    if let Some(top) = st.popups.last() {
        if let Some((rect, first_row)) = layout::menu_geometry(st, top, area) {
            if rect.contains(pos) {
                if pos.y >= first_row {
                    let index = (pos.y - first_row) as usize;
                    if index < menu_len(st, top) {
                        return choose_menu(st, index);
                    }
                }
                return Vec::new();
            }
            st.popups.pop();
        }
        return Vec::new();
    }
    match st.screen {
        Screen::SignIn => {
            let l = layout::sign_in_layout(area, st);
            if l.key.contains(pos) {
                st.sign_in.focus = Some(SignInFocus::Key);
            } else if l.personas.contains(pos) && pos.y >= l.personas.y {
                let index = (pos.y - l.personas.y) as usize;
                if index < st.sign_in.personas.len() {
                    let again =
                        st.sign_in.cursor == index && st.sign_in.focus() == SignInFocus::Personas;
                    st.sign_in.cursor = index;
                    st.sign_in.focus = Some(SignInFocus::Personas);
                    if again {
                        return submit_sign_in(st, SignInFocus::Personas);
                    }
                }
            }
            Vec::new()
        }
        Screen::Page => {
            let l = layout::page_layout(area, st);
            if l.view.contains(pos) {
                st.page.focus = Area::View;
                open_view_menu(st)
            } else if l.search.contains(pos) {
                st.page.focus = Area::Search;
                Vec::new()
            } else if l.create.contains(pos) && st.page.can_create() {
                st.page.focus = Area::Create;
                start_create(st)
            } else if l.account.contains(pos) {
                page_command(st, Command::Accounts)
            } else if l.table_body.contains(pos) {
                st.page.focus = Area::Table;
                let index = st.page.offset + (pos.y - l.table_body.y) as usize;
                if index < st.page.visible.len() {
                    if index == st.page.cursor {
                        return open_actions(st);
                    }
                    st.page.select_index(index);
                }
                Vec::new()
            } else {
                Vec::new()
            }
        }
    }
}
