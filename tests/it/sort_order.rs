//! One sort order, held to hand-written expectations: names and
//! descriptions ignore case, times sort in time order, missing descriptions
//! come first, ties fall back to the id, and descending reverses it all —
//! for the service's rows and its id-only listing (the console's order is
//! held to the demo in console_update).

use iamkeys::access::ViewFilter;
use iamkeys::secret::HashParams;
use iamkeys::service::{KeyRow, ListQuery, Service, SortField, sort_rows};
use jiff::Timestamp;

use crate::service::{fixture_path, seeded, stored};

fn row(id: &str, name: &str, description: &str, created: &str, by: &str) -> KeyRow {
    let (_tmp, dir) = seeded();
    let mut key = stored(&dir, "plain-key");
    key.id = id.into();
    key.name = name.into();
    key.description = description.into();
    key.created_at = created.parse::<Timestamp>().unwrap();
    key.created_by = by.into();
    KeyRow {
        key,
        owner: by.into(),
        created_by: by.into(),
    }
}

fn ids(rows: &[KeyRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.id.as_str()).collect()
}

#[test]
fn rows_sort_in_the_hand_written_orders() {
    let rows = vec![
        row("ApiKey-b", "Beta", "", "2026-03-01T00:00:00Z", "zed@x.test"),
        row(
            "ApiKey-a",
            "Alpha",
            "second",
            "2026-01-01T00:00:00Z",
            "ann@x.test",
        ),
        row(
            "ApiKey-c",
            "alpha",
            "Second",
            "2026-01-01T00:00:00Z",
            "ann@x.test",
        ),
        row(
            "ApiKey-d",
            "Élan",
            "first",
            "2026-02-01T00:00:00Z",
            "bob@x.test",
        ),
        row(
            "ApiKey-e",
            "gamma",
            "",
            "2026-12-31T00:00:00Z",
            "ann@x.test",
        ),
    ];
    // Ascending; "é" sorts after every ASCII letter.
    let want: [(SortField, [&str; 5]); 4] = [
        (
            SortField::Name,
            ["ApiKey-a", "ApiKey-c", "ApiKey-b", "ApiKey-e", "ApiKey-d"],
        ),
        (
            SortField::Description,
            ["ApiKey-b", "ApiKey-e", "ApiKey-d", "ApiKey-a", "ApiKey-c"],
        ),
        (
            SortField::CreatedAt,
            ["ApiKey-a", "ApiKey-c", "ApiKey-d", "ApiKey-b", "ApiKey-e"],
        ),
        (
            SortField::CreatedBy,
            ["ApiKey-a", "ApiKey-c", "ApiKey-e", "ApiKey-d", "ApiKey-b"],
        ),
    ];
    for (field, asc) in want {
        let mut desc = asc;
        desc.reverse();
        for (is_desc, expected) in [(false, asc), (true, desc)] {
            let mut a = rows.clone();
            sort_rows(&mut a, field, is_desc);
            assert_eq!(ids(&a), expected, "service, {field:?} desc={is_desc}");
        }
    }
}

#[test]
fn listings_sort_in_the_hand_written_orders() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("data");
    iamkeys::app::seed(
        &dir,
        Some(&fixture_path("sort.yaml")),
        false,
        HashParams::TEST,
    )
    .unwrap_or_else(|f| panic!("seeding failed: {}", f.message));
    let svc = Service::open(&dir, HashParams::TEST).unwrap();
    let s = svc.sign_in_as("owner@sort.test", Some("sort")).unwrap();
    let all = svc
        .list(
            &s,
            &ListQuery {
                view: ViewFilter::AllUserApiKeys,
                ..ListQuery::default()
            },
        )
        .unwrap();
    // "Alpha" and "alpha" tie on name, description and time: the smaller
    // id comes first, whichever of them it is.
    let id = |name: &str| {
        all.rows
            .iter()
            .find(|r| r.key.name == name)
            .unwrap()
            .key
            .id
            .clone()
    };
    let by_id = |x: &'static str, y: &'static str| {
        if id(x) < id(y) { (x, y) } else { (y, x) }
    };
    let (a1, a2) = by_id("Alpha", "alpha");
    // "Beta" and "gamma" tie on their missing descriptions.
    let (e1, e2) = by_id("Beta", "gamma");
    let want: [(SortField, [&str; 5]); 4] = [
        (SortField::Name, [a1, a2, "Beta", "gamma", "Élan"]),
        // Missing descriptions first; "second" and "Second" tie.
        (SortField::Description, [e1, e2, "Élan", a1, a2]),
        (SortField::CreatedAt, [a1, a2, "Élan", "Beta", "gamma"]),
        // Creators default to the owner.
        (SortField::CreatedBy, [a1, a2, "Élan", "Beta", "gamma"]),
    ];
    for (field, asc) in want {
        let mut desc = asc;
        desc.reverse();
        for (is_desc, expected) in [(false, asc), (true, desc)] {
            let q = ListQuery {
                view: ViewFilter::AllUserApiKeys,
                sort: field,
                desc: is_desc,
                ..ListQuery::default()
            };
            let listed: Vec<String> = svc
                .list(&s, &q)
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.key.name)
                .collect();
            assert_eq!(listed, expected, "list, {field:?} desc={is_desc}");
            let page = svc.list_ids(&s, &q).unwrap();
            let paged: Vec<String> = svc.page_rows(&page).map(|r| r.unwrap().key.name).collect();
            assert_eq!(paged, expected, "list_ids, {field:?} desc={is_desc}");
        }
    }
}
