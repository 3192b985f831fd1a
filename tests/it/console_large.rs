//! A large view (more rows than the console searches at once): searching
//! and sorting run on a worker; the keystroke returns at once with the job,
//! stale results are dropped, results equal the service's own search and
//! sort, and the selection follows its key.

use crate::console_common::{Console, choose_view};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::access::ViewFilter;
use iamkeys::service::{KeyRow, matches, sort_rows};
use iamkeys::tui::state::{Job, SYNC_ROWS, Shown, SortCol};
use iamkeys::tui::{Action, Effect, Outcome, run_job, update};

const ROWS: usize = 20_000;

/// Ada on all user keys, the demo's rows repeated to `ROWS` with ids and
/// names of their own.
fn large() -> (Console, Vec<KeyRow>) {
    const { assert!(ROWS > SYNC_ROWS) };
    let mut c = Console::signed_in("ada@acme.example");
    choose_view(&mut c, ViewFilter::AllUserApiKeys);
    let demo = c.st.page.rows();
    let rows: Vec<KeyRow> = (0..ROWS)
        .map(|i| {
            let mut r = demo[i % demo.len()].clone();
            r.key.id = format!("ApiKey-large-{i:06}");
            r.key.name = format!("{}-{i}", r.key.name);
            r
        })
        .collect();
    c.st.page.set_rows(rows.clone());
    (c, rows)
}

fn key(c: &mut Console, code: KeyCode) -> Vec<Effect> {
    update(
        &mut c.st,
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    )
}

/// The one search job among `effects`.
fn search_job(effects: Vec<Effect>) -> Job {
    let mut jobs: Vec<Job> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Run(job @ Job::Search { .. }) => Some(job),
            _ => None,
        })
        .collect();
    assert_eq!(jobs.len(), 1, "one search job");
    jobs.pop().unwrap()
}

fn ids(c: &Console) -> Vec<String> {
    c.st.page
        .visible
        .iter()
        .map(|&i| c.st.page.row(i).unwrap().key.id)
        .collect()
}

/// What the service's search and sort show for `search`.
fn expected(rows: &[KeyRow], search: &str, col: SortCol, desc: bool) -> Vec<String> {
    let needle = search.trim().to_lowercase();
    let mut keep: Vec<KeyRow> = rows
        .iter()
        .filter(|r| matches(r, &needle))
        .cloned()
        .collect();
    match col {
        SortCol::Owner => keep.sort_by_cached_key(|r| (r.owner.to_lowercase(), r.key.id.clone())),
        other => sort_rows(&mut keep, other.field(), false),
    }
    if desc {
        keep.reverse();
    }
    keep.into_iter().map(|r| r.key.id).collect()
}

#[test]
fn a_search_in_a_large_view_runs_on_a_worker() {
    let (mut c, rows) = large();
    c.press("/");
    let before = ids(&c);
    let effects = key(&mut c, KeyCode::Char('a'));
    // The keystroke only asked: the rows shown are unchanged, the table
    // says it is searching, and a spinner runs.
    let job = search_job(effects);
    assert_eq!(ids(&c), before);
    assert!(c.st.page.searching.is_some());
    assert!(c.st.is_busy());
    assert!(c.screen(120, 40).contains("searching…"));
    let outcome = run_job(&c.svc, job);
    c.act(Action::Done(outcome));
    assert!(c.st.page.searching.is_none());
    assert!(!c.st.is_busy());
    assert_eq!(ids(&c), expected(&rows, "a", SortCol::Name, false));
}

#[test]
fn stale_search_results_are_dropped() {
    let (mut c, rows) = large();
    c.press("/");
    let first = search_job(key(&mut c, KeyCode::Char('b')));
    let Job::Search {
        generation: old, ..
    } = first
    else {
        unreachable!()
    };
    let second = search_job(key(&mut c, KeyCode::Char('o')));
    // The first search stops: a later one replaced it.
    match run_job(&c.svc, first) {
        Outcome::Searched { rows: None, .. } => {}
        other => panic!("the first search should have stopped, got {other:?}"),
    }
    let second = run_job(&c.svc, second);
    c.act(Action::Done(second));
    let shown = ids(&c);
    assert_eq!(shown, expected(&rows, "bo", SortCol::Name, false));
    // Late results of an older search change nothing.
    let late = Outcome::Searched {
        generation: old,
        shown: Shown {
            needle: "b".into(),
            sort: SortCol::Name,
            desc: false,
        },
        rows: Some(vec![0, 1, 2]),
    };
    c.act(Action::Done(late));
    assert_eq!(ids(&c), shown);
    assert!(c.st.page.searching.is_none());
}

#[test]
fn large_views_search_and_sort_as_the_service_does() {
    let (mut c, rows) = large();
    c.resize(200, 60); // every column on screen, so `s` visits each
    let mut state: u64 = 7;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    for _ in 0..12 {
        match next(4) {
            0 => c.press("s"),
            1 => c.press("S"),
            _ => {
                c.press("/");
                if !c.st.page.search.is_empty() && next(2) == 0 {
                    c.press("backspace");
                } else {
                    let ch = b"abeiknoprt- 1"[next(13) as usize] as char;
                    c.type_text(&ch.to_string());
                }
                c.press("esc");
            }
        }
        assert!(c.st.page.searching.is_none());
        let (search, sort, desc) = (
            c.st.page.search.value().to_string(),
            c.st.page.sort,
            c.st.page.desc,
        );
        assert_eq!(
            ids(&c),
            expected(&rows, &search, sort, desc),
            "search {search:?}, sort {sort:?}, desc {desc}"
        );
    }
}

#[test]
fn the_selection_follows_its_key_through_a_large_search() {
    let (mut c, _) = large();
    c.press("j j j");
    let id = c.st.page.selected.clone().unwrap();
    let name = c.st.page.selected_row().unwrap().key.name;
    c.press("/");
    c.type_text(&name[..name.len() - 1]);
    assert_eq!(c.st.page.selected.as_deref(), Some(id.as_str()));
    assert_eq!(c.st.page.selected_row().unwrap().key.id, id);
    // Filtered out, the cursor stays in range on another key.
    c.type_text("zzzz-no-such-key");
    assert!(c.st.page.visible.is_empty());
    c.press("esc esc");
    assert!(c.st.page.search.is_empty());
    assert_eq!(c.st.page.visible.len(), ROWS);
}
