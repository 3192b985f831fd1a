//! The console's `update`: selection by key id, the View filter, the row
//! actions menu, refusals, dialogs and the spinner, on the built-in demo.

use crate::console_common;

use console_common::{Console, choose_view};
use iamkeys::access::{KeyAction, ViewFilter};
use iamkeys::service::KeyUpdate;
use iamkeys::tui::Action;
use iamkeys::tui::state::{Area, FormKind, Popup, Screen};

fn view_labels(c: &Console) -> Vec<&'static str> {
    c.st.page.views.iter().map(|v| v.view.label()).collect()
}

fn menu_actions(c: &Console) -> Vec<KeyAction> {
    match c.st.popups.last() {
        Some(Popup::Actions { items, .. }) => items.clone(),
        other => panic!("expected the actions menu, got {other:?}"),
    }
}

#[test]
fn the_page_opens_on_my_keys_after_a_persona_sign_in() {
    let mut c = Console::demo();
    assert_eq!(c.st.screen, Screen::SignIn);
    assert!(c.st.sign_in.personas.len() >= 8, "personas are listed");
    // The first persona is the acme owner.
    assert_eq!(c.st.sign_in.personas[0].user.email, "ada@acme.example");
    c.press("enter");
    assert_eq!(c.st.screen, Screen::Page);
    assert_eq!(c.st.page.view, ViewFilter::MyApiKeys);
    assert_eq!(c.visible_names(), ["ada-laptop", "ada-terraform"]);
}

#[test]
fn a_pasted_api_key_signs_in() {
    let mut c = Console::demo();
    c.press("tab");
    c.act(Action::Paste(
        "iamk_DEMOkath0000YrqFnwb91O3RUejvkbYJD95u10zbvd\n".into(),
    ));
    c.press("enter");
    assert_eq!(c.st.screen, Screen::Page, "status: {}", c.status());
    assert_eq!(
        c.st.session.as_ref().map(|s| s.user.email.as_str()),
        Some("katherine@acme.example")
    );
    assert!(c.st.sign_in.key.is_empty(), "the key field is cleared");
}

#[test]
fn a_wrong_api_key_is_refused_on_the_sign_in_screen() {
    let mut c = Console::demo();
    c.press("tab");
    c.type_text("iamk_nonsense");
    c.press("enter");
    assert_eq!(c.st.screen, Screen::SignIn);
    assert!(c.status().contains("not an API key"), "{}", c.status());
}

#[test]
fn the_dropdown_offers_only_permitted_options() {
    let owner = Console::signed_in("ada@acme.example");
    assert_eq!(
        view_labels(&owner),
        [
            "My IBM Cloud API keys",
            "All IBM Cloud user API keys",
            "All service ID API keys",
            "Classic infrastructure API keys"
        ]
    );
    let plain = Console::signed_in("katherine@acme.example");
    assert_eq!(
        view_labels(&plain),
        ["My IBM Cloud API keys", "Classic infrastructure API keys"]
    );
    // Globex has no classic infrastructure; Edsger is no admin there.
    let edsger = Console::signed_in("edsger@globex.example");
    assert_eq!(view_labels(&edsger), ["My IBM Cloud API keys"]);
}

#[test]
fn selection_stays_on_the_same_key_after_refresh_sort_and_search() {
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.select("grace-cli");
    let id = c.st.page.selected.clone();

    // A key is created before it in name order; refresh keeps the key.
    let ada = c.svc.sign_in_as("ada@acme.example", None).unwrap();
    c.svc
        .create_user_key(
            &ada,
            &iamkeys::service::NewKey {
                name: "aaa-first".into(),
                ..Default::default()
            },
        )
        .unwrap();
    c.press("r");
    assert_eq!(c.visible_names()[0], "aaa-first");
    assert_eq!(c.st.page.selected, id);
    assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));

    // Sort by every column, both ways.
    for _ in 0..4 {
        c.press("s");
        assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));
        c.press("S");
        assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));
    }

    // A search that still matches it keeps it; one that hides it moves on,
    // and clearing the search comes back to the same key only if still
    // selected.
    c.press("/");
    c.type_text("grace");
    assert_eq!(c.visible_names().len(), 2);
    assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));
    c.press("esc");
    assert_eq!(c.st.page.focus, Area::Table);
    c.press("esc");
    assert!(c.st.page.search.is_empty());
    assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));
}

#[test]
fn search_filters_live_on_name_description_owner_and_id() {
    let mut c = Console::signed_in("ada@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.press("/");
    c.type_text("TRAJ");
    assert_eq!(c.visible_names(), ["katherine-ci"]);
    for _ in 0..4 {
        c.press("backspace");
    }
    c.type_text("deploy-bot@");
    assert_eq!(c.visible_names(), ["deploy-pipeline"]);
    let id = c.st.page.row(c.st.page.visible[0]).unwrap().key.id;
    c.press("ctrl-u");
    c.type_text(&id[7..20]);
    assert_eq!(c.visible_names(), ["deploy-pipeline"]);
}

#[test]
fn forbidden_actions_are_absent_from_the_actions_menu() {
    // An admin on someone else's locked key: only view and unlock.
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.select("alan-notebook");
    c.press("enter");
    assert_eq!(menu_actions(&c), [KeyAction::View, KeyAction::Unlock]);
    c.press("esc");

    // A disabled key: enable, not disable. Her own key: she may rotate it.
    c.select("grace-old-script");
    c.press("enter");
    assert_eq!(
        menu_actions(&c),
        [
            KeyAction::View,
            KeyAction::Edit,
            KeyAction::Rotate,
            KeyAction::Delete,
            KeyAction::Lock,
            KeyAction::Enable
        ]
    );
    c.press("esc");

    // Classic keys: view and delete only, for the user and their ancestors.
    let mut alan = Console::signed_in("alan@acme.example");
    choose_view(&mut alan, ViewFilter::ClassicInfrastructure);
    assert_eq!(alan.visible_names().len(), 2, "his own and katherine's");
    alan.press("enter");
    assert_eq!(menu_actions(&alan), [KeyAction::View, KeyAction::Delete]);
}

#[test]
fn a_refused_action_shows_in_the_status_line_and_changes_nothing() {
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.select("alan-notebook");
    let before = c
        .svc
        .get(c.st.session.as_ref().unwrap(), "alan-notebook")
        .unwrap();
    c.press("x");
    assert!(c.st.popups.is_empty(), "no confirmation for a locked key");
    assert!(c.status().contains("locked"), "{}", c.status());
    c.press("e");
    assert!(
        c.status().contains("unlock it before you edit"),
        "{}",
        c.status()
    );
    let after = c
        .svc
        .get(c.st.session.as_ref().unwrap(), "alan-notebook")
        .unwrap();
    assert_eq!(before, after);

    // Creating in an account with the restriction, without the creator role.
    let mut g = Console::signed_in("grace@acme.example");
    g.press("a");
    let Some(Popup::Accounts { .. }) = g.st.popups.last() else {
        panic!("the account menu did not open");
    };
    g.press("j enter");
    assert_eq!(g.st.session.as_ref().unwrap().account_id, "globex");
    assert!(!g.st.page.can_create());
    g.press("c");
    assert!(g.st.popups.is_empty());
    assert!(g.status().contains("restricted"), "{}", g.status());
}

#[test]
fn create_then_reveal_once_then_copy_and_download() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c");
    let Some(Popup::Form(form)) = c.st.popups.last() else {
        panic!("the create dialog did not open");
    };
    assert_eq!(form.kind, FormKind::Create);
    c.type_text("walkthrough");
    c.press("tab");
    c.type_text("made in the console");
    c.press("tab space tab space tab");
    c.type_text("2099-01-01T23:59:59Z");
    c.press("enter");
    let Some(Popup::Reveal(r)) = c.st.popups.last() else {
        panic!("no reveal: {}", c.status());
    };
    assert!(!r.shown);
    let value = r.created.secret.expose().to_string();
    let key = r.created.row.key.clone();
    assert_eq!(key.name, "walkthrough");
    assert_eq!(key.action_when_leaked.label(), "delete");
    assert!(key.support_sessions);
    assert!(key.expires_at.is_some());
    assert_eq!(c.selected_name().as_deref(), Some("walkthrough"));
    // A second Enter (a key held down) does not throw the value away.
    c.press("enter");
    assert!(matches!(c.st.popups.last(), Some(Popup::Reveal(_))));

    c.press("c");
    assert_eq!(c.copied, std::slice::from_ref(&value));
    c.press("w");
    let file = c.dir.path().join("apikey.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&value));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    c.press("w");
    assert!(c.status().contains("never overwritten"), "{}", c.status());
    c.press("esc");
    assert!(c.st.popups.is_empty(), "the value is gone");
}

#[test]
fn the_create_dialog_reports_bad_input_and_stays_open() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c enter");
    match c.st.popups.last() {
        Some(Popup::Form(f)) => assert!(f.error.as_deref().unwrap_or("").contains("name")),
        other => panic!("{other:?}"),
    }
    c.type_text("x");
    c.press("tab tab tab tab");
    c.type_text("next tuesday");
    c.press("enter");
    match c.st.popups.last() {
        Some(Popup::Form(f)) => assert!(f.error.as_deref().unwrap_or("").contains("expiry")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_edit_dialog_notices_a_key_changed_since_it_opened() {
    let mut c = Console::signed_in("grace@acme.example");
    c.select("grace-cli");
    c.press("e");
    assert!(matches!(c.st.popups.last(), Some(Popup::Form(_))));
    // Someone else edits the key meanwhile.
    let s = c.st.session.clone().unwrap();
    c.svc
        .update(
            &s,
            "grace-cli",
            &KeyUpdate {
                description: Some("changed elsewhere".into()),
                ..Default::default()
            },
        )
        .unwrap();
    c.press("end");
    c.type_text(" (renamed)");
    c.press("enter");
    match c.st.popups.last() {
        Some(Popup::Form(f)) => {
            assert!(f.stale);
            assert!(
                f.error
                    .as_deref()
                    .unwrap_or("")
                    .contains("changed since you opened it"),
                "{:?}",
                f.error
            );
        }
        other => panic!("the dialog closed: {other:?}"),
    }
    let now = c.svc.get(&s, "grace-cli").unwrap();
    assert_eq!(now.key.name, "grace-cli", "nothing was saved");
    assert!(c.status().contains("changed since you opened it"));
}

#[test]
fn delete_asks_naming_the_key_then_deletes() {
    let mut c = Console::signed_in("grace@acme.example");
    c.select("grace-old-script");
    c.press("x");
    match c.st.popups.last() {
        Some(Popup::Confirm(conf)) => assert!(conf.lines[0].contains("grace-old-script")),
        other => panic!("{other:?}"),
    }
    c.press("n");
    assert_eq!(c.visible_names().len(), 2);
    c.press("x y");
    assert_eq!(c.visible_names(), ["grace-cli"]);
    assert_eq!(c.selected_name().as_deref(), Some("grace-cli"));
}

#[test]
fn lock_and_disable_toggle_through_the_service() {
    let mut c = Console::signed_in("grace@acme.example");
    c.select("grace-cli");
    c.press("l y");
    assert!(c.st.page.selected_row().unwrap().key.locked);
    c.press("D");
    assert!(c.status().contains("locked"), "{}", c.status());
    // Unlocking and enabling need no confirmation.
    c.press("l D y");
    let row = c.st.page.selected_row().unwrap();
    assert!(!row.key.locked && row.key.disabled);
    c.press("D");
    assert!(!c.st.page.selected_row().unwrap().key.disabled);
}

/// The confirmation naming the key, as the top popup.
fn confirmation(c: &Console) -> Vec<String> {
    match c.st.popups.last() {
        Some(Popup::Confirm(confirm)) => {
            let mut lines = vec![confirm.title.clone()];
            lines.extend(confirm.lines.iter().cloned());
            lines
        }
        other => panic!("no confirmation: {other:?}"),
    }
}

#[test]
fn lock_and_disable_ask_first_naming_the_key() {
    let mut c = Console::signed_in("grace@acme.example");
    c.select("grace-cli");
    for (keys, verb) in [("l", "Lock"), ("D", "Disable")] {
        c.press(keys);
        let lines = confirmation(&c);
        assert!(lines[1].starts_with(verb), "{lines:?}");
        assert!(lines[1].contains("\"grace-cli\""), "{lines:?}");
        c.press("n");
        let row = c.st.page.selected_row().unwrap();
        assert!(
            !row.key.locked && !row.key.disabled,
            "\"no\" changes nothing"
        );
    }
    // From the actions menu too.
    c.press("enter");
    let Some(Popup::Actions { items, .. }) = c.st.popups.last() else {
        panic!("no actions menu");
    };
    let lock = items.iter().position(|a| *a == KeyAction::Lock).unwrap();
    c.press(&"j ".repeat(lock));
    c.press("enter");
    assert!(confirmation(&c)[1].contains("grace-cli"));
    c.press("esc");
    assert!(!c.st.page.selected_row().unwrap().key.locked);
}

#[test]
fn classic_key_creation_for_a_user_without_one() {
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::ClassicInfrastructure);
    assert!(c.st.page.can_create());
    c.press("c");
    assert!(matches!(c.st.popups.last(), Some(Popup::Confirm(_))));
    c.press("y");
    assert!(matches!(c.st.popups.last(), Some(Popup::Reveal(_))));
    c.press("esc esc");
    assert!(!c.st.page.can_create(), "only one classic key per user");
    c.press("c");
    assert!(c.status().contains("already have"), "{}", c.status());
}

#[test]
fn account_settings_toggle_the_restriction_for_those_allowed() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("A");
    assert!(matches!(
        c.st.popups.last(),
        Some(Popup::Settings { refusal: None, .. })
    ));
    // Account-wide: asked first, naming the account; "no" changes nothing.
    c.press("space");
    let lines = confirmation(&c);
    assert!(lines[1].contains("Acme Corp (acme)"), "{lines:?}");
    c.press("n");
    assert!(c.st.page.can_create());
    assert!(matches!(c.st.popups.last(), Some(Popup::Settings { .. })));
    c.press("space y");
    assert!(!c.st.page.can_create(), "the owner lacks the creator role");
    assert!(matches!(c.st.popups.last(), Some(Popup::Settings { .. })));
    c.press("space");
    assert!(confirmation(&c)[1].starts_with("Stop restricting"));
    c.press("y esc");
    assert!(c.st.page.can_create());

    let mut k = Console::signed_in("katherine@acme.example");
    k.press("A");
    assert!(matches!(
        k.st.popups.last(),
        Some(Popup::Settings {
            refusal: Some(_),
            ..
        })
    ));
    k.press("space");
    assert!(k.status().starts_with("refused"), "{}", k.status());
}

#[test]
fn persona_switch_goes_back_to_the_sign_in_screen() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("u");
    assert_eq!(c.st.screen, Screen::SignIn);
    c.press("esc");
    assert_eq!(c.st.screen, Screen::Page);
    c.press("u j enter");
    assert_eq!(
        c.st.session.as_ref().unwrap().user.email,
        "grace@acme.example"
    );
}

#[test]
fn the_spinner_advances_only_while_work_runs() {
    let mut c = Console::signed_in("ada@acme.example");
    c.st.needs_draw = false;
    c.act(Action::Tick);
    assert!(!c.st.needs_draw, "an idle tick draws nothing");
    // Start a job without running it.
    let effects = iamkeys::tui::update(
        &mut c.st,
        Action::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('r'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert_eq!(effects.len(), 1);
    assert!(c.st.is_busy());
    let first = c.st.spinner;
    for _ in 0..3 {
        c.st.needs_draw = false;
        iamkeys::tui::update(&mut c.st, Action::Tick);
        assert!(c.st.needs_draw);
    }
    assert_eq!(c.st.spinner, first + 3);
    c.settle(effects);
    assert!(!c.st.is_busy());
}

#[test]
fn help_is_generated_from_the_keymap_and_quit_works() {
    let mut c = Console::signed_in("ada@acme.example");
    c.press("?");
    assert!(matches!(c.st.popups.last(), Some(Popup::Help { .. })));
    let text: String = iamkeys::tui::draw::help_lines(&c.st)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    assert!(text.contains("Open the View filter"));
    assert!(text.contains("Ctrl-r"));
    c.press("esc q");
    assert!(c.quit);
    let mut d = Console::demo();
    d.press("ctrl-c");
    assert!(d.quit);
}

#[test]
fn mouse_clicks_select_and_open_and_the_wheel_scrolls() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut c = Console::signed_in("ada@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.resize(120, 40);
    let l = iamkeys::tui::draw::page_layout(c.st.area(), &c.st);
    let click = |x, y| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    c.act(click(l.table_body.x + 3, l.table_body.y + 2));
    assert_eq!(c.st.page.cursor, 2);
    c.act(click(l.table_body.x + 3, l.table_body.y + 2));
    assert!(matches!(c.st.popups.last(), Some(Popup::Actions { .. })));
    c.press("esc");
    c.act(Action::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: l.table_body.x + 3,
        row: l.table_body.y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(c.st.page.cursor, 5);
    c.act(click(l.view.x + 2, l.view.y + 1));
    assert!(matches!(c.st.popups.last(), Some(Popup::ViewMenu { .. })));
}

#[test]
fn tiny_and_huge_sizes_never_panic() {
    let mut c = Console::signed_in("ada@acme.example");
    for (w, h) in [(0, 0), (1, 1), (59, 14), (60, 15), (300, 100)] {
        c.screen(w, h);
        c.press("j k G g v esc ? esc");
    }
}

#[test]
fn the_user_config_dir_overrides_keymap_and_theme() {
    use iamkeys::tui::keymap::{Command, Context, Key};
    use iamkeys::tui::{Keymap, Theme};
    use ratatui::style::Color;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keymap.yaml"),
        "page:\n  - { action: view_menu, keys: [f], desc: Filter the keys }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("theme.yaml"),
        "styles:\n  selected: { fg: red, bold: true }\n",
    )
    .unwrap();
    let (keymap, problem) = Keymap::load(Some(dir.path()));
    assert_eq!(problem, None);
    assert_eq!(
        keymap.lookup(Context::Page, Key::parse("f").unwrap()),
        Some(Command::ViewMenu)
    );
    assert_eq!(keymap.lookup(Context::Page, Key::parse("v").unwrap()), None);
    let (theme, problem) = Theme::load(Some(dir.path()), true);
    assert_eq!(problem, None);
    assert_eq!(theme.selected.fg, Some(Color::Red));
    // NO_COLOR drops the colour and keeps the selection visible.
    let (mono, _) = Theme::load(Some(dir.path()), false);
    assert_eq!(mono.selected.fg, None);

    // The help follows the keymap.
    let mut c = Console::signed_in("ada@acme.example");
    c.st.keymap = keymap;
    c.press("f");
    assert!(matches!(c.st.popups.last(), Some(Popup::ViewMenu { .. })));
    c.press("esc ?");
    let help = c.screen(120, 40);
    assert!(help.contains("Filter the keys"), "{help}");

    // A broken file is reported, and the defaults are used.
    std::fs::write(
        dir.path().join("keymap.yaml"),
        "page: [ { action: fly, keys: [f] } ]",
    )
    .unwrap();
    let (keymap, problem) = Keymap::load(Some(dir.path()));
    assert!(problem.unwrap().contains("keymap ignored"));
    assert_eq!(keymap, Keymap::builtin());
    std::fs::write(
        dir.path().join("theme.yaml"),
        "styles:\n  selected: { fg: ultraviolet }\n",
    )
    .unwrap();
    let (_, problem) = Theme::load(Some(dir.path()), true);
    assert!(problem.unwrap().contains("not a colour"));
}

/// The demo's user keys in each order, written out by hand: names and
/// descriptions ignore case, dates go oldest first, and equal owners or
/// creators go by key id (grace-cli, then deploy-pipeline, then
/// grace-old-script; ada-terraform before ada-laptop).
const BY_NAME: [&str; 8] = [
    "ada-laptop",
    "ada-terraform",
    "alan-notebook",
    "deploy-pipeline",
    "grace-cli",
    "grace-old-script",
    "katherine-ci",
    "linus-readonly",
];
const BY_DESCRIPTION: [&str; 8] = [
    "grace-cli",        // Admin work …
    "ada-laptop",       // CLI on my laptop
    "linus-readonly",   // Dashboards …
    "deploy-pipeline",  // Functional ID …
    "alan-notebook",    // Jupyter …
    "grace-old-script", // Retired …
    "ada-terraform",    // Terraform …
    "katherine-ci",     // Trajectory …
];
const BY_CREATED: [&str; 8] = [
    "grace-old-script", // 2025-11-02
    "ada-terraform",    // 2026-01-12
    "ada-laptop",       // 2026-03-01
    "grace-cli",        // 2026-04-18
    "deploy-pipeline",  // 2026-05-05
    "alan-notebook",    // 2026-06-07
    "katherine-ci",     // 2026-08-21
    "linus-readonly",   // 2026-10-01
];
/// By creator: deploy-pipeline was created by grace for deploy-bot.
const BY_CREATOR: [&str; 8] = [
    "ada-terraform",
    "ada-laptop",
    "alan-notebook",
    "grace-cli",
    "deploy-pipeline",
    "grace-old-script",
    "katherine-ci",
    "linus-readonly",
];
/// By owner, as the console's Owner column shows it (deploy-bot's key
/// among the d's).
const BY_OWNER: [&str; 8] = [
    "ada-terraform",
    "ada-laptop",
    "alan-notebook",
    "deploy-pipeline",
    "grace-cli",
    "grace-old-script",
    "katherine-ci",
    "linus-readonly",
];

fn names(rows: &[iamkeys::service::KeyRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.name.as_str()).collect()
}

fn reversed(names: [&'static str; 8]) -> Vec<&'static str> {
    names.into_iter().rev().collect()
}

#[test]
fn the_service_sorts_the_demo_as_written_by_hand() {
    use iamkeys::service::{SortField, sort_rows};
    let mut c = Console::signed_in("grace@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    let rows = c.st.page.rows();
    for (field, expected) in [
        (SortField::Name, BY_NAME),
        (SortField::Description, BY_DESCRIPTION),
        (SortField::CreatedAt, BY_CREATED),
        (SortField::CreatedBy, BY_CREATOR),
    ] {
        let mut a = rows.clone();
        sort_rows(&mut a, field, false);
        assert_eq!(names(&a), expected, "{field:?}");
        sort_rows(&mut a, field, true);
        assert_eq!(names(&a), reversed(expected), "{field:?} descending");
    }
    // Case does not order names: an upper-case twin sorts beside its twin,
    // after it by id.
    let mut twin = rows
        .iter()
        .find(|r| r.key.name == "alan-notebook")
        .unwrap()
        .clone();
    twin.key.id = "ApiKey-~".into();
    twin.key.name = "ALAN-NOTEBOOK".into();
    let mut a = rows.clone();
    a.push(twin);
    sort_rows(&mut a, SortField::Name, false);
    assert_eq!(&names(&a)[2..4], ["alan-notebook", "ALAN-NOTEBOOK"]);
}

#[test]
fn the_console_sorts_the_demo_as_written_by_hand() {
    use iamkeys::tui::state::SortCol;
    let mut c = Console::signed_in("grace@acme.example");
    c.resize(200, 60); // every column on screen, so `s` visits each
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    let shown = |c: &Console| -> Vec<String> {
        c.st.page
            .visible
            .iter()
            .map(|&i| c.st.page.row(i).unwrap().key.name)
            .collect()
    };
    let mut seen = Vec::new();
    for _ in 0..SortCol::ALL.len() {
        let expected = match c.st.page.sort {
            SortCol::Name => BY_NAME,
            SortCol::Description => BY_DESCRIPTION,
            SortCol::Owner => BY_OWNER,
            SortCol::Created => BY_CREATED,
        };
        assert_eq!(shown(&c), expected, "{:?}", c.st.page.sort);
        c.press("S");
        assert_eq!(
            shown(&c),
            reversed(expected),
            "{:?} reversed",
            c.st.page.sort
        );
        seen.push(c.st.page.sort);
        c.press("s");
    }
    for col in SortCol::ALL {
        assert!(seen.contains(&col), "every column sorted: {seen:?}");
    }
}

#[test]
fn quitting_over_an_unsaved_new_key_asks_once() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c");
    c.type_text("unsaved");
    c.press("enter q");
    assert!(!c.quit);
    assert!(c.status().contains("press q again"), "{}", c.status());
    assert!(matches!(c.st.popups.last(), Some(Popup::Reveal(_))));
    c.press("q");
    assert!(c.quit);

    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c");
    c.type_text("copied");
    c.press("enter c q");
    assert!(c.quit, "a copied key needs no warning");
}

#[test]
fn closing_an_unsaved_new_key_warns_like_quitting() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c");
    c.type_text("unsaved");
    c.press("enter esc");
    assert!(matches!(c.st.popups.last(), Some(Popup::Reveal(_))));
    assert!(
        c.status()
            .starts_with("The API key was neither copied nor downloaded and will not be shown again: press Esc again"),
        "{}",
        c.status()
    );
    c.press("esc");
    assert!(c.st.popups.is_empty(), "the second Esc closes");
    assert!(!c.quit);

    let mut c = Console::signed_in("katherine@acme.example");
    c.press("c");
    c.type_text("saved");
    c.press("enter w esc");
    assert!(c.st.popups.is_empty(), "a downloaded key closes at once");
}

/// The key hints at the bottom of an 80×24 screen.
fn hint_line(c: &mut Console) -> String {
    c.screen(80, 24).lines().last().unwrap_or("").to_string()
}

#[test]
fn sign_in_hints_are_true_for_the_focused_field() {
    // The demo: the persona list has the focus, q quits from there.
    let mut c = Console::demo();
    let hints = hint_line(&mut c);
    assert!(
        hints.contains("q quit") && hints.contains("Tab key field"),
        "{hints}"
    );
    // At the minimum size too: help and quit are the hints that stay.
    let narrow = c.screen(60, 15);
    let hints = narrow.lines().last().unwrap_or("");
    assert!(
        hints.contains("q quit") && hints.contains("? help"),
        "{hints}"
    );
    // In the key field q and ? type: the hints offer what works there.
    c.press("tab");
    let hints = hint_line(&mut c);
    assert!(
        !hints.contains("q quit") && !hints.contains("? help"),
        "{hints}"
    );
    assert!(
        hints.contains("Esc quit") && hints.contains("F1 help"),
        "{hints}"
    );
    assert!(hints.contains("Tab personas"), "{hints}");
    c.type_text("q?");
    assert_eq!(c.st.sign_in.key.value(), "q?");
    assert!(!c.quit && c.st.popups.is_empty());
    c.press("f1");
    assert!(matches!(c.st.popups.last(), Some(Popup::Help { .. })));
    c.press("esc esc");
    assert!(c.quit, "Esc quits from the key field");
}

#[test]
fn small_wording_of_the_details_and_settings() {
    let mut c = Console::signed_in("katherine@acme.example");
    c.press("i");
    let screen = c.screen(120, 40);
    assert!(screen.contains("History (1 event)"), "{screen}");
    c.press("esc A");
    let screen = c.screen(120, 40);
    assert!(screen.contains("You cannot change this"), "{screen}");
    assert!(!screen.contains("Space"), "no toggle offered:\n{screen}");

    // A classic key has no action when leaked.
    let mut c = Console::signed_in("ada@acme.example");
    choose_view(&mut c, ViewFilter::ClassicInfrastructure);
    c.press("i");
    let screen = c.screen(120, 40);
    assert!(
        screen.contains("Classic infrastructure API key"),
        "{screen}"
    );
    assert!(!screen.contains("Action when leaked"), "{screen}");

    // While the first listing loads, no count is claimed.
    let mut c = Console::demo();
    let session = c.svc.sign_in_as("ada@acme.example", None).unwrap();
    let _pending = c.st.start(Some(session));
    let screen = c.screen(120, 40);
    assert!(!screen.contains("0 keys"), "{screen}");
    assert!(screen.contains("loading"), "{screen}");
}

#[test]
fn stored_text_cannot_drive_the_terminal() {
    let mut c = Console::signed_in("ada@acme.example");
    let evil = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{202e}name";
    let mut rows = c.st.page.rows();
    for row in &mut rows {
        row.key.name = evil.into();
        row.key.description = evil.into();
        row.owner = evil.into();
    }
    c.st.page.set_rows(rows);
    c.press("i");
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = c.screen(w, h);
        assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
        assert!(!screen.contains('\u{202e}'));
        assert!(screen.contains("␛]52;c;ZXZpbA==␇"), "{screen}");
    }
    c.press("esc x");
    let screen = c.screen(120, 40);
    assert!(!screen.contains('\u{1b}'));
}

#[test]
fn scrolled_popups_stop_at_their_end() {
    let mut c = Console::signed_in("ada@acme.example");
    c.resize(80, 24);
    c.press("? G");
    let Some(Popup::Help { scroll }) = c.st.popups.last() else {
        panic!("no help");
    };
    let end = *scroll;
    assert!(end > 0 && end < 200, "{end}");
    let screen = c.screen(80, 24);
    assert!(
        screen.contains("Quit, always"),
        "the end of the help shows:\n{screen}"
    );
    c.press("k");
    assert!(matches!(c.st.popups.last(), Some(Popup::Help { scroll }) if *scroll == end - 1));
}

#[test]
fn a_store_that_is_not_a_demo_offers_only_the_api_key_field() {
    use iamkeys::secret::HashParams;
    use iamkeys::tui::{Keymap, State, Theme, run_job};

    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("team.yaml");
    std::fs::write(
        &fixture,
        "version: 1\nusers:\n  - email: owner@example.com\n    name: Team Owner\naccounts:\n  - id: team\n    name: The Team\n    owner: owner@example.com\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let boots = iamkeys::app::seed(&data, Some(&fixture), false, HashParams::TEST).unwrap();
    let svc = console_common::open_after_seed(&data);
    let mut st = State::new(
        Keymap::builtin(),
        Theme::builtin(true),
        false,
        "team".into(),
    );
    assert!(st.start(None).is_empty(), "no personas to load");
    assert_eq!(st.sign_in.focus(), iamkeys::tui::state::SignInFocus::Key);

    let run = |st: &mut State, action: Action| {
        let mut queue = iamkeys::tui::update(st, action);
        while let Some(effect) = queue.pop() {
            if let iamkeys::tui::Effect::Run(job) = effect {
                queue.extend(iamkeys::tui::update(st, Action::Done(run_job(&svc, job))));
            }
        }
    };
    // The owner's bootstrap key, pasted.
    run(&mut st, Action::Paste(boots[0].secret.expose().to_string()));
    run(
        &mut st,
        Action::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert_eq!(st.screen, Screen::Page);
    assert!(st.sign_in.personas.is_empty());
    assert_eq!(st.page.account_name(), Some("The Team"));
    assert_eq!(st.page.table.len(), 1, "the bootstrap key");
}
