//! The console's housekeeping: the inactive identities report (who may open
//! it, its rows, days, sorting, Enter selecting the key in the table) and
//! rotating a key (the new value revealed once, the old key disabled or
//! deleted, refusals with the rule's message). On fixtures/test/inactive.yaml,
//! whose times are long past or in 2099.

use crate::console_common;

use console_common::{Console, choose_view};
use iamkeys::access::{KeyAction, ViewFilter};
use iamkeys::tui::state::{Entry, Pending, Popup, Report, ReportCol};

pub const FIXTURE: &str = "fixtures/test/inactive.yaml";

fn report(c: &Console) -> &Report {
    match c.st.popups.last() {
        Some(Popup::Inactive(r)) => r,
        other => panic!("expected the report, got {other:?}"),
    }
}

/// The report's entries as "kind:name", in the order shown.
fn entries(c: &Console) -> Vec<String> {
    report(c)
        .entries()
        .iter()
        .map(|e| match e {
            Entry::Key(k) => format!("key:{}", k.name),
            Entry::User(u) => format!("user:{}", u.name),
            Entry::ServiceId(s) => format!("sid:{}", s.name),
        })
        .collect()
}

fn key_names(c: &Console) -> Vec<String> {
    entries(c)
        .into_iter()
        .filter_map(|e| e.strip_prefix("key:").map(str::to_string))
        .collect()
}

#[test]
fn the_owner_opens_the_report_and_it_lists_inactive_keys_and_identities() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.press("I");
    let r = report(&c);
    assert_eq!(r.days, 30);
    assert!(r.data.is_some(), "the worker's report arrived");
    assert!(!c.st.is_busy(), "the spinner is down");
    assert_eq!(
        entries(&c),
        [
            "key:export-key",
            "key:max-notebook",
            "key:max-old-script",
            "key:olga-cli",
            // max has no active key; nora has none at all.
            "user:max@h.example",
            "user:nora@h.example",
            "sid:nightly-export",
        ]
    );
    c.press("esc");
    assert!(c.st.popups.is_empty());
}

#[test]
fn a_member_is_refused_the_report_with_the_rule() {
    let mut c = Console::from_fixture(FIXTURE, "max@h.example");
    c.press("I");
    assert!(c.st.popups.is_empty(), "no popup for a member");
    assert_eq!(
        c.status(),
        "refused: only the account owner or an Administrator on the IAM Identity service may see the inactive identities report"
    );
    assert!(!c.st.is_busy(), "nothing was asked of the service");
}

#[test]
fn an_administrator_may_open_the_report() {
    let mut c = Console::from_fixture(FIXTURE, "adam@h.example");
    c.press("I");
    assert_eq!(key_names(&c).len(), 4, "{:?}", entries(&c));
}

#[test]
fn the_report_sorts_by_each_column_and_reverses() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.press("I");
    assert_eq!(report(&c).sort, ReportCol::Name);
    c.press("s");
    assert_eq!(report(&c).sort, ReportCol::Owner);
    assert_eq!(
        key_names(&c),
        ["max-notebook", "max-old-script", "export-key", "olga-cli"],
        "by owner: max@…, max@…, nightly-export, olga@…"
    );
    c.press("s");
    assert_eq!(report(&c).sort, ReportCol::LastAuthn);
    assert_eq!(
        key_names(&c),
        ["max-notebook", "export-key", "olga-cli", "max-old-script"],
        "never first, then the oldest"
    );
    assert_eq!(c.status(), "Report sorted by Last authenticated ↑");
    c.press("S");
    assert_eq!(
        key_names(&c),
        ["max-old-script", "olga-cli", "export-key", "max-notebook"]
    );
    assert_eq!(c.status(), "Report sorted by Last authenticated ↓");
    c.press("s");
    assert_eq!(report(&c).sort, ReportCol::Created);
    assert!(!report(&c).desc, "a new column starts ascending");
    assert_eq!(
        key_names(&c),
        ["max-old-script", "max-notebook", "export-key", "olga-cli"]
    );
    c.press("s");
    assert_eq!(report(&c).sort, ReportCol::Name, "the cycle comes back");
}

#[test]
fn the_cursor_stays_on_its_entry_when_the_report_is_sorted() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.press("I j j");
    assert_eq!(entries(&c)[report(&c).cursor], "key:max-old-script");
    c.press("S");
    assert_eq!(entries(&c)[report(&c).cursor], "key:max-old-script");
    // The cursor stops at either end.
    c.press("G j j");
    assert_eq!(report(&c).cursor, entries(&c).len() - 1);
    c.press("g k");
    assert_eq!(report(&c).cursor, 0);
    // The mouse wheel moves it too.
    c.act(iamkeys::tui::Action::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::ScrollDown,
        column: 40,
        row: 10,
        modifiers: crossterm::event::KeyModifiers::NONE,
    }));
    assert_eq!(report(&c).cursor, 3);
}

#[test]
fn more_and_fewer_days_read_the_report_again() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.press("I");
    c.press("+");
    assert_eq!(report(&c).days, 60);
    assert!(report(&c).data.is_some());
    c.press("- - -");
    assert_eq!(report(&c).days, 7);
    c.press("- - -");
    assert_eq!(report(&c).days, 1, "1 is the least");
    assert_eq!(c.status(), "The report covers 1 to 365 days");
    for _ in 0..10 {
        c.press("+");
    }
    assert_eq!(report(&c).days, 365);
    // The keys are long inactive or active until 2099: the same keys.
    assert_eq!(key_names(&c).len(), 4);
}

#[test]
fn while_the_report_is_read_the_popup_says_so() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    // The effects are kept instead of run: the job is in flight.
    let effects = iamkeys::tui::update(
        &mut c.st,
        iamkeys::tui::Action::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('I'),
            crossterm::event::KeyModifiers::SHIFT,
        )),
    );
    assert_eq!(effects.len(), 1, "one job");
    assert!(c.st.is_busy());
    assert!(report(&c).data.is_none());
    let screen = c.screen(100, 30);
    assert!(screen.contains("Reading the report…"), "{screen}");
    c.settle(effects);
    assert!(!c.st.is_busy());
    let screen = c.screen(100, 30);
    assert!(!screen.contains("Reading the report…"), "{screen}");
    assert!(screen.contains("max-old-script"), "{screen}");
}

#[test]
fn enter_on_a_key_selects_it_in_the_table_switching_the_view() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    assert_eq!(c.st.page.view, ViewFilter::MyApiKeys);
    // Someone else's user key: All IBM Cloud user API keys shows it.
    c.press("I j");
    assert_eq!(entries(&c)[1], "key:max-notebook");
    c.press("enter");
    assert!(c.st.popups.is_empty(), "the report closed");
    assert_eq!(c.st.page.view, ViewFilter::AllUserApiKeys);
    assert_eq!(c.selected_name().as_deref(), Some("max-notebook"));

    // A service ID key: All service ID API keys.
    c.press("I");
    assert_eq!(entries(&c)[0], "key:export-key");
    c.press("enter");
    assert_eq!(c.st.page.view, ViewFilter::AllServiceIdApiKeys);
    assert_eq!(c.selected_name().as_deref(), Some("export-key"));

    // A key the current view lists: no switch, the search is cleared so
    // the key shows.
    choose_view(&mut c, ViewFilter::MyApiKeys);
    c.press("/");
    c.type_text("active");
    c.press("esc");
    assert_eq!(c.visible_names(), ["olga-active"]);
    c.press("I G");
    c.press("k k k");
    assert_eq!(entries(&c)[report(&c).cursor], "key:olga-cli");
    c.press("enter");
    assert_eq!(c.st.page.view, ViewFilter::MyApiKeys);
    assert_eq!(c.selected_name().as_deref(), Some("olga-cli"));
    assert!(c.st.page.search.is_empty());
}

#[test]
fn enter_on_an_identity_keeps_the_report_open() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.press("I G enter");
    assert!(matches!(c.st.popups.last(), Some(Popup::Inactive(_))));
    assert!(
        c.status().contains("a service ID, not an API key"),
        "{}",
        c.status()
    );
}

// ---- rotation ---------------------------------------------------------------

fn menu(c: &Console) -> Vec<KeyAction> {
    match c.st.popups.last() {
        Some(Popup::Actions { items, .. }) => items.clone(),
        other => panic!("expected the actions menu, got {other:?}"),
    }
}

fn key(c: &Console, name: &str) -> Vec<iamkeys::service::KeyRow> {
    c.st.page
        .rows()
        .into_iter()
        .filter(|r| r.key.name == name)
        .collect()
}

#[test]
fn rotate_from_the_actions_menu_reveals_the_new_key_and_disables_the_old() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.select("olga-cli");
    let old_id = c.st.page.selected_row().unwrap().key.id.clone();
    c.press("enter");
    assert_eq!(
        menu(&c),
        [
            KeyAction::View,
            KeyAction::Edit,
            KeyAction::Rotate,
            KeyAction::Delete,
            KeyAction::Lock,
            KeyAction::Disable
        ]
    );
    c.press("j j enter");
    let Some(Popup::Confirm(confirm)) = c.st.popups.last() else {
        panic!("a confirmation");
    };
    assert!(matches!(
        confirm.pending,
        Pending::Rotate {
            delete_old: false,
            ..
        }
    ));
    c.press("y");
    let screen = c.screen(120, 40);
    assert!(
        screen.contains("API key successfully rotated")
            && screen.contains("It replaces the old key, which is now disabled."),
        "{screen}"
    );
    let Some(Popup::Reveal(rv)) = c.st.popups.last() else {
        panic!("the new key is revealed, status: {}", c.status());
    };
    let value = rv.created.secret.expose().to_string();
    let new_id = rv.created.row.key.id.clone();
    assert_ne!(new_id, old_id);
    assert_eq!(
        c.status(),
        "Rotated the API key \"olga-cli\": the old key is disabled"
    );
    // The value works; the table shows both keys, the old one disabled,
    // the new one selected.
    assert_eq!(
        c.svc.sign_in_key(&value, None).unwrap().user.email,
        "olga@h.example"
    );
    let both = key(&c, "olga-cli");
    assert_eq!(both.len(), 2);
    let old = both.iter().find(|r| r.key.id == old_id).unwrap();
    assert!(old.key.disabled);
    assert_eq!(c.st.page.selected.as_deref(), Some(new_id.as_str()));
    // Shown once: copying works as after a create; once closed it is gone.
    c.press("c");
    assert_eq!(c.copied, std::slice::from_ref(&value));
    c.press("esc");
    assert!(c.st.popups.is_empty());
    let screen = c.screen(120, 40);
    assert!(!screen.contains(&value));
}

#[test]
fn rotate_can_delete_the_old_key_instead() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.select("olga-cli");
    let old_id = c.st.page.selected_row().unwrap().key.id.clone();
    c.press("R");
    let screen = c.screen(100, 30);
    assert!(screen.contains("◉ Disable the old key"), "{screen}");
    c.press("space");
    let screen = c.screen(100, 30);
    assert!(screen.contains("◉ Delete the old key"), "{screen}");
    c.press("enter");
    assert!(matches!(c.st.popups.last(), Some(Popup::Reveal(_))));
    let screen = c.screen(120, 40);
    assert!(
        screen.contains("It replaces the old key, which is now deleted."),
        "{screen}"
    );
    assert_eq!(
        c.status(),
        "Rotated the API key \"olga-cli\": the old key is deleted"
    );
    let left = key(&c, "olga-cli");
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].key.id, old_id);
    assert!(!left[0].key.disabled);
}

#[test]
fn cancelling_the_rotation_changes_nothing() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.select("olga-cli");
    c.press("R n");
    assert!(c.st.popups.is_empty());
    assert_eq!(key(&c, "olga-cli").len(), 1);
    assert!(!key(&c, "olga-cli")[0].key.disabled);
}

#[test]
fn rotating_a_locked_key_is_refused_with_the_rule() {
    let mut c = Console::from_fixture(FIXTURE, "olga@h.example");
    c.select("olga-locked");
    c.press("enter");
    assert!(!menu(&c).contains(&KeyAction::Rotate));
    c.press("esc R");
    assert!(c.st.popups.is_empty());
    assert_eq!(
        c.status(),
        "refused: the key is locked: unlock it before you rotate it"
    );
    assert_eq!(key(&c, "olga-locked").len(), 1);
}

#[test]
fn an_administrator_may_not_rotate_someone_elses_user_key() {
    let mut c = Console::from_fixture(FIXTURE, "adam@h.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    c.select("max-notebook");
    c.press("enter");
    let items = menu(&c);
    assert!(items.contains(&KeyAction::Edit) && !items.contains(&KeyAction::Rotate));
    c.press("esc R");
    assert_eq!(
        c.status(),
        "refused: only the key's own user may rotate a user API key: its replacement is a new key of that user, and user API keys are created by their user"
    );
    // Service ID keys are the administrator's to rotate.
    choose_view(&mut c, ViewFilter::AllServiceIdApiKeys);
    c.select("export-key");
    c.press("enter");
    assert!(menu(&c).contains(&KeyAction::Rotate));
}

#[test]
fn a_classic_key_is_not_rotated() {
    let mut c = Console::signed_in("alan@acme.example");
    choose_view(&mut c, ViewFilter::ClassicInfrastructure);
    c.press("enter");
    assert_eq!(menu(&c), [KeyAction::View, KeyAction::Delete]);
    c.press("esc R");
    assert_eq!(
        c.status(),
        "refused: classic infrastructure API keys can only be viewed and deleted"
    );
}

#[test]
fn the_menu_rules_match_the_service_for_every_key_and_persona() {
    // The console offers Rotate exactly where the service's rotation
    // (the command line's) would go ahead, on the demo's every key.
    let (mut rotated, mut refused) = (0, 0);
    for who in [
        "ada@acme.example",
        "grace@acme.example",
        "alan@acme.example",
        "katherine@acme.example",
        "linus@acme.example",
    ] {
        let c = Console::signed_in(who);
        let s = c.st.session.clone().unwrap();
        let account = c.st.page.account.clone().unwrap();
        for view in c.st.page.views.iter().map(|v| v.view).collect::<Vec<_>>() {
            let rows = c
                .svc
                .list(
                    &s,
                    &iamkeys::service::ListQuery {
                        view,
                        ..Default::default()
                    },
                )
                .unwrap()
                .rows;
            for row in rows {
                let offered =
                    c.st.page
                        .actions_for(&s.user.iam_id, &row.key)
                        .contains(&KeyAction::Rotate);
                let facts = iamkeys::access::KeyFacts::of(&row.key);
                let rule = iamkeys::access::may_rotate(&account, &s.user.iam_id, &facts, false, 0);
                assert_eq!(offered, rule.is_ok(), "{who} / {}", row.key.name);
                // The service's rotation (the command line's) agrees: it
                // goes ahead where the menu offers it (but for the
                // per-identity limit, which needs counts), and refuses
                // with the same rule elsewhere. Rotating changes only that
                // key (and adds its replacement), so the next rows hold.
                match c.svc.rotate(&s, &row.key.id, false, None) {
                    Ok(r) => {
                        assert!(offered, "{who} / {}: rotated", r.old.name);
                        rotated += 1;
                    }
                    Err(e) => {
                        refused += 1;
                        let said =
                            c.st.page
                                .refusal(&s.user.iam_id, KeyAction::Rotate, &row.key);
                        match said {
                            Some(d) => assert_eq!(e.to_string(), format!("refused: {d}")),
                            None => assert!(
                                e.to_string().contains("API keys per identity"),
                                "{who} / {}: offered, but {e}",
                                row.key.name
                            ),
                        }
                    }
                }
            }
        }
    }
    assert!(
        rotated >= 5 && refused >= 10,
        "{rotated} rotated, {refused} refused"
    );
}

// ---- the My view's warning of keys that expire soon ----------------------

#[test]
fn the_my_view_warns_of_ones_own_keys_expiring_within_a_week() {
    // Days from the console's clock in these tests (`NOW`), not the real one.
    let at = |days: i64| {
        (console_common::NOW.parse::<jiff::Timestamp>().unwrap()
            + jiff::SignedDuration::from_hours(24 * days))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
    };
    let fixture = format!(
        r#"version: 1
demo: true
users:
  - {{ email: olga@h.example, name: Olga Owner }}
  - {{ email: max@h.example, name: Max Member }}
accounts:
  - id: house
    name: House
    owner: olga@h.example
    settings: {{ expired_key_retention_days: 3650 }}
    members:
      - {{ user: max@h.example, invited_by: olga@h.example }}
    api_keys:
      - {{ name: olga-soon, owner: olga@h.example, expires_at: {three} }}
      - {{ name: olga-later, owner: olga@h.example, expires_at: {thirty} }}
      - {{ name: max-soon, owner: max@h.example, expires_at: {two} }}
"#,
        three = at(3),
        thirty = at(30),
        two = at(2)
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("soon.yaml");
    std::fs::write(&file, fixture).unwrap();
    let file = file.to_str().unwrap();
    let mut olga = Console::from_fixture(file, "olga@h.example");
    let screen = olga.screen(140, 30);
    assert!(
        screen.contains("⚠ Your API key olga-soon expires in ")
            && !screen.contains("olga-later expires"),
        "{screen}"
    );
    // Only one's own keys, and only on the My view.
    let mut max = Console::from_fixture(file, "max@h.example");
    let screen = max.screen(140, 30);
    assert!(
        screen.contains("⚠ Your API key max-soon expires in 2 days: rotate it"),
        "{screen}"
    );
    choose_view(&mut olga, ViewFilter::AllUserApiKeys);
    let screen = olga.screen(140, 30);
    assert!(!screen.contains("⚠ Your API key"), "{screen}");
}
