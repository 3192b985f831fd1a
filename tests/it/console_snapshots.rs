//! Whole-screen snapshots of the console at 80×24 and 120×40, drawn on
//! ratatui's TestBackend from a real demo store.

use crate::console_common;

use console_common::Console;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// A snapshot with the ids and entity tags each run makes anew shown as
/// same-width placeholders (insta filters).
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        crate::console_common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $value))
    };
}

fn snap(name: &str, c: &mut Console) {
    for (w, h) in SIZES {
        let screen = c.screen(w, h);
        snapshot!(format!("{name}_{w}x{h}"), screen);
    }
}

#[test]
fn sign_in() {
    let mut c = Console::demo();
    snap("sign_in", &mut c);
}

#[test]
fn page_for_the_owner() {
    let mut c = Console::signed_in("ada@acme.example");
    snap("page_owner", &mut c);
}

#[test]
fn page_for_a_plain_member() {
    let mut c = Console::signed_in("katherine@acme.example");
    snap("page_member", &mut c);
}

#[test]
fn all_user_keys_for_an_admin() {
    let mut c = Console::signed_in("grace@acme.example");
    c.press("v j enter");
    snap("page_admin_all_users", &mut c);
}

#[test]
fn page_where_creating_is_restricted() {
    let mut c = Console::signed_in("grace@acme.example");
    c.press("a j enter");
    snap("page_restricted", &mut c);
}

#[test]
fn dropdown_for_the_owner() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("v");
    snap("dropdown_owner", &mut c);
}

#[test]
fn dropdown_for_a_plain_member() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("v");
    snap("dropdown_member", &mut c);
}

#[test]
fn actions_menu() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("enter");
    snap("actions_menu", &mut c);
}

#[test]
fn create_dialog() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("c");
    c.type_text("ci-runner");
    c.press("tab");
    c.type_text("Builds on the CI runners");
    snap("create_dialog", &mut c);
}

#[test]
fn reveal_dialog_masked() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("c");
    c.type_text("ci-runner");
    c.press("enter");
    for (w, h) in SIZES {
        let screen = c.screen(w, h);
        assert!(!screen.contains("iamk_"), "the value is masked");
        snapshot!(format!("reveal_{w}x{h}"), screen);
    }
}

#[test]
fn details() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("i");
    snap("details", &mut c);
}

#[test]
fn delete_confirmation() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("x");
    snap("delete_confirmation", &mut c);
}

#[test]
fn edit_dialog() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("e");
    snap("edit_dialog", &mut c);
}

#[test]
fn account_settings() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("A");
    snap("account_settings", &mut c);
}

#[test]
fn help() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("?");
    snap("help", &mut c);
}

#[test]
fn too_small() {
    let mut c = Console::signed_in("ada@acme.example");
    for (w, h) in [(59, 20), (100, 14), (40, 10)] {
        let screen = c.screen(w, h);
        snapshot!(format!("too_small_{w}x{h}"), screen);
    }
}

/// The sizes of the layout snapshots, the 60×15 minimum first.
const ALL_SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

#[test]
fn details_with_a_long_history_scrolled_to_the_end() {
    let mut c = crate::console_layout::long_history();
    for (w, h) in ALL_SIZES {
        c.resize(w, h);
        c.press("G");
        snapshot!(format!("details_long_history_end_{w}x{h}"), c.screen(w, h));
    }
}

#[test]
fn create_dialog_with_the_focus_on_the_last_field() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("c");
    c.type_text("ci-runner");
    c.press("backtab");
    for (w, h) in ALL_SIZES {
        snapshot!(format!("create_dialog_last_field_{w}x{h}"), c.screen(w, h));
    }
}

#[test]
fn table_with_long_names_in_each_sort() {
    use iamkeys::tui::state::SortCol;

    let mut c = Console::from_fixture(crate::console_layout::LONG, crate::console_layout::ADMIN);
    console_common::choose_view(&mut c, iamkeys::access::ViewFilter::AllUserApiKeys);
    for (w, h) in ALL_SIZES {
        c.resize(w, h);
        // From the name sort, `s` through every column on screen.
        while c.st.page.sort != SortCol::Name {
            c.press("s");
        }
        loop {
            let sort = format!("{:?}", c.st.page.sort).to_lowercase();
            snapshot!(format!("long_names_by_{sort}_{w}x{h}"), c.screen(w, h));
            c.press("s");
            if c.st.page.sort == SortCol::Name {
                break;
            }
        }
    }
}

#[test]
fn sign_in_on_a_store_that_is_not_a_demo() {
    let mut c = Console::demo();
    c.st.demo = false;
    c.st.sign_in.personas.clear();
    for (w, h) in ALL_SIZES {
        snapshot!(format!("sign_in_not_demo_{w}x{h}"), c.screen(w, h));
    }
}

#[test]
fn confirmations_of_lock_disable_and_the_restriction() {
    let mut c = Console::signed_in("ada@acme.example");
    for (name, keys) in [("lock", "l"), ("disable", "D"), ("restrict", "A space")] {
        c.press(keys);
        for (w, h) in ALL_SIZES {
            snapshot!(format!("confirm_{name}_{w}x{h}"), c.screen(w, h));
        }
        c.press("esc esc");
    }
}

#[test]
fn inactive_identities_report_for_the_owner() {
    // A fixture whose times are long past or in 2099: the report's rows do
    // not depend on the day the test runs.
    let mut c = Console::from_fixture(crate::console_housekeeping::FIXTURE, "olga@h.example");
    c.press("I");
    snap("inactive_report", &mut c);
}

#[test]
fn inactive_identities_report_sorted_by_last_authentication_reversed() {
    let mut c = Console::from_fixture(crate::console_housekeeping::FIXTURE, "olga@h.example");
    c.press("I s s S j");
    snap("inactive_report_sorted", &mut c);
}

#[test]
fn rotate_confirmation() {
    let mut c = Console::from_fixture(crate::console_housekeeping::FIXTURE, "olga@h.example");
    c.select("olga-cli");
    c.press("R");
    snap("rotate_confirm", &mut c);
}
