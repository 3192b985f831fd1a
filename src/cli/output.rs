//! What the command line prints: aligned tables for people, JSON with the
//! IBM field names for scripts. Every stored string passes through
//! [`text::inert`] before it reaches a terminal.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use jiff::Timestamp;

use super::Failure;
use crate::access::{KeyAction, ViewFilter};
use crate::client::RowPage;
use crate::domain::{AccountSettings, ApiKey};
use crate::fixture::Bootstrap;
use crate::service::{Created, KeyRow, Listing, Problem, ViewInfo, now};
use crate::text::{self, inert};
use json::KeyJson;

pub mod json;

pub fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

fn json_line(out: &mut dyn Write, v: &impl serde::Serialize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(io::Error::from)?;
    writeln!(out, "{}", escape_c1(&text))
}

/// JSON escapes C0 controls but writes C1 controls (U+0080–U+009F, read by
/// terminals as control codes) as they are; they can only stand inside
/// strings, so each becomes `\u00XX` there. The output is the same JSON.
pub fn escape_c1(json: &str) -> std::borrow::Cow<'_, str> {
    let c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    if !json.chars().any(c1) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c1(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An aligned table; cells are made inert and cut to their column's width.
fn table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
    max: &[usize],
) -> io::Result<()> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| text::fit(&inert(c), max[i]).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| text::width(h)).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(text::width(c));
        }
    }
    let line = |out: &mut dyn Write, r: &[String]| -> io::Result<()> {
        let last = r.len() - 1;
        let mut s = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == last {
                s.push_str(c);
            } else {
                s.push_str(&text::pad(c, widths[i] + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(
        out,
        &headers
            .iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>(),
    )?;
    for r in &cells {
        line(out, r)?;
    }
    Ok(())
}

pub fn status(key: &ApiKey, at: Timestamp) -> String {
    key.status(at).text(",")
}

pub fn last_used(key: &ApiKey) -> String {
    key.activity.last_authn.map_or_else(|| "never".into(), date)
}

pub fn seeded(out: &mut dyn Write, json: bool, dir: &Path, boots: &[Bootstrap]) -> io::Result<()> {
    if json {
        let v: Vec<_> = boots
            .iter()
            .map(|b| {
                serde_json::json!({
                    "account_id": b.account_id,
                    "owner": b.owner_email,
                    "id": b.key_id,
                    "apikey": b.secret.expose(),
                })
            })
            .collect();
        return json_line(
            out,
            &serde_json::json!({ "data_dir": dir, "bootstrap_keys": v }),
        );
    }
    writeln!(out, "Seeded the store in {}", dir.display())?;
    if !boots.is_empty() {
        writeln!(
            out,
            "\nBootstrap API keys, one per account owner. Copy them now: they will not be shown again.\n"
        )?;
        for b in boots {
            writeln!(out, "  {}  {}", b.account_id, inert(&b.owner_email))?;
            writeln!(out, "    {}", b.secret.expose())?;
        }
    }
    Ok(())
}

pub fn check(out: &mut dyn Write, json: bool, dir: &str, problems: &[Problem]) -> io::Result<()> {
    if json {
        return json_line(
            out,
            &serde_json::json!({ "data_dir": dir, "problems": problems }),
        );
    }
    if problems.is_empty() {
        writeln!(out, "The store in {dir} is consistent.")
    } else {
        for p in problems {
            writeln!(out, "problem: {}", inert(p))?;
        }
        Ok(())
    }
}

pub fn views(out: &mut dyn Write, json: bool, views: &[ViewInfo]) -> io::Result<()> {
    if json {
        let v: Vec<_> = views
            .iter()
            .map(|v| {
                serde_json::json!({
                    "id": v.view.id(),
                    "label": v.view.label(),
                    "actions": v.actions.iter().map(|a| a.id()).collect::<Vec<_>>(),
                })
            })
            .collect();
        return json_line(out, &v);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            let mut actions = v
                .actions
                .iter()
                .map(|a| a.id())
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(why) = &v.create_refused {
                let _ = write!(actions, " (no create: {why})");
            }
            vec![v.view.id().to_string(), v.view.label().to_string(), actions]
        })
        .collect();
    table(out, &["ID", "VIEW", "ACTIONS"], &rows, &[20, 40, 400])
}

/// Streams the list answer, `{"offset", "limit", "total", "apikeys": [...]}`,
/// one key at a time: never the whole answer in memory. `limit` echoes the
/// page size asked for, as IBM's answer does (without one: the keys returned).
pub fn list_json(out: &mut dyn Write, page: RowPage, limit: Option<usize>) -> Result<(), Failure> {
    let io_err = |e: io::Error| Failure {
        code: 1,
        message: format!("cannot write the output: {e}"),
    };
    write!(
        out,
        "{{\"offset\":{},\"limit\":{},\"total\":{},\"apikeys\":[",
        page.offset,
        limit.unwrap_or(page.len),
        page.total
    )
    .map_err(io_err)?;
    for (i, row) in page.rows.enumerate() {
        let row = row?;
        if i > 0 {
            out.write_all(b",").map_err(io_err)?;
        }
        let text =
            serde_json::to_string(&KeyJson::new(&row, false)).map_err(|e| io_err(e.into()))?;
        out.write_all(escape_c1(&text).as_bytes()).map_err(io_err)?;
    }
    writeln!(out, "]}}").map_err(io_err)
}

pub fn list(out: &mut dyn Write, view: ViewFilter, listing: &Listing) -> io::Result<()> {
    if listing.total == 0 {
        return writeln!(out, "No API keys in \"{}\".", view.label());
    }
    if listing.rows.is_empty() {
        return writeln!(
            out,
            "No API keys from offset {}: \"{}\" has {} (0 of {} shown).",
            listing.offset,
            view.label(),
            listing.total,
            listing.total
        );
    }
    let at = now();
    let all = view != ViewFilter::MyApiKeys;
    let mut headers = vec!["NAME", "DESCRIPTION"];
    if all {
        headers.push(if view == ViewFilter::AllServiceIdApiKeys {
            "SERVICE ID"
        } else {
            "OWNER"
        });
    }
    headers.extend(["CREATED", "STATUS", "LAST USED", "ID"]);
    let mut max = vec![32, 40];
    if all {
        max.push(32);
    }
    max.extend([16, 24, 16, 60]);
    let rows: Vec<Vec<String>> = listing
        .rows
        .iter()
        .map(|r| {
            let k = &r.key;
            let mut row = vec![k.name.clone(), k.description.clone()];
            if all {
                row.push(r.owner.clone());
            }
            row.extend([
                date(k.created_at),
                status(k, at),
                last_used(k),
                k.id.clone(),
            ]);
            row
        })
        .collect();
    table(out, &headers, &rows, &max)?;
    if listing.total > listing.rows.len() {
        writeln!(
            out,
            "({} of {} keys, from {})",
            listing.rows.len(),
            listing.total,
            listing.offset
        )?;
    }
    Ok(())
}

/// Label and value columns: every value starts two cells after the
/// longest label.
fn fields(out: &mut dyn Write, rows: &[(&str, String)]) -> io::Result<()> {
    let width = rows.iter().map(|(l, _)| text::width(l)).max().unwrap_or(0) + 2;
    for (label, value) in rows {
        writeln!(out, "{}{}", text::pad(label, width), inert(value))?;
    }
    Ok(())
}

pub fn details(
    out: &mut dyn Write,
    json: bool,
    row: &KeyRow,
    actions: &[KeyAction],
    names: &HashMap<String, String>,
) -> io::Result<()> {
    if json {
        return json_line(out, &KeyJson::new(row, true));
    }
    let k = &row.key;
    let at = now();
    let mut rows: Vec<(&str, String)> = vec![
        ("Name", k.name.clone()),
        ("Description", k.description.clone()),
        ("ID", k.id.clone()),
        ("Kind", k.kind.label().to_string()),
        ("Owner", row.owner.clone()),
        ("IAM ID", k.iam_id.clone()),
        ("Account", k.account_id.clone()),
        ("CRN", k.crn.clone()),
        ("Entity tag", k.entity_tag.clone()),
        (
            "Created",
            format!("{} by {}", date(k.created_at), row.created_by),
        ),
        ("Modified", date(k.modified_at)),
        ("Status", status(k, at)),
    ];
    if let Some(l) = &k.leak {
        rows.push(("Leaked", leak_line(l, names)));
    }
    rows.extend([(
        "Action when leaked",
        k.action_when_leaked.label().to_string(),
    )]);
    if k.kind == crate::domain::KeyKind::User {
        let sessions = if k.support_sessions { "yes" } else { "no" };
        rows.push(("Session support", sessions.to_string()));
    }
    rows.push((
        "Expires",
        k.expires_at
            .map_or_else(|| "never".into(), |m| m.strftime("%Y-%m-%d %H:%M")),
    ));
    if let Some(m) = &k.managed_by {
        rows.push(("Managed by", m.clone()));
    }
    rows.push(("Last used", last_used(k)));
    rows.push(("Sign-ins", k.activity.authn_count.to_string()));
    let actions: Vec<&str> = actions.iter().map(|a| a.id()).collect();
    rows.push(("Your actions", actions.join(", ")));
    fields(out, &rows)?;
    writeln!(out, "\nHistory")?;
    let rows: Vec<Vec<String>> = k
        .history
        .iter()
        .map(|h| {
            vec![
                date(h.timestamp),
                names.get(&h.actor).unwrap_or(&h.actor).clone(),
                h.action.clone(),
                h.message.clone(),
            ]
        })
        .collect();
    table(
        out,
        &["WHEN", "ACTOR", "ACTION", "MESSAGE"],
        &rows,
        &[16, 40, 16, 200],
    )
}

/// A leak mark in one line: when, who scanned, where.
pub fn leak_line(l: &crate::domain::Leak, names: &HashMap<String, String>) -> String {
    let more = l.found.saturating_sub(l.places.len() as u64);
    format!(
        "{} by {}, in {}{}",
        date(l.at),
        names.get(&l.by).unwrap_or(&l.by),
        l.places.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

pub fn created(
    out: &mut dyn Write,
    json: bool,
    c: &Created,
    file: Option<&Path>,
) -> io::Result<()> {
    if json {
        let mut j = KeyJson::new(&c.row, false);
        j.apikey = Some(c.secret.expose());
        return json_line(out, &j);
    }
    let k = &c.row.key;
    writeln!(out, "API key created: {} ({})", inert(&k.name), k.id)?;
    match file {
        Some(f) => writeln!(
            out,
            "The key's value was written to {} (mode 0600). It will not be shown again.",
            f.display()
        ),
        None => {
            writeln!(out, "Copy the API key now: it will not be shown again.\n")?;
            writeln!(out, "    {}\n", c.secret.expose())
        }
    }
}

pub fn changed(out: &mut dyn Write, json: bool, row: &KeyRow, what: &str) -> io::Result<()> {
    if json {
        return json_line(out, &KeyJson::new(row, false));
    }
    writeln!(
        out,
        "API key {} ({}) {what}.",
        inert(&row.key.name),
        row.key.id
    )
}

pub fn deleted(out: &mut dyn Write, json: bool, key: &ApiKey) -> io::Result<()> {
    if json {
        return json_line(out, &serde_json::json!({ "id": key.id, "deleted": true }));
    }
    writeln!(out, "API key {} ({}) deleted.", inert(&key.name), key.id)
}

pub fn settings(
    out: &mut dyn Write,
    json: bool,
    account: &str,
    s: &AccountSettings,
) -> io::Result<()> {
    if json {
        return json_line(
            out,
            &serde_json::json!({
                "account_id": account,
                "restrict_api_key_creation": s.restrict_api_key_creation,
                "api_keys_per_identity": s.api_keys_per_identity,
                "expired_key_retention_days": s.expired_key_retention_days,
                "key_age_warning_days": s.key_age_warning_days,
            }),
        );
    }
    let restrict = if s.restrict_api_key_creation {
        "on"
    } else {
        "off"
    };
    fields(
        out,
        &[
            ("Account", account.to_string()),
            ("Restrict API key creation", restrict.to_string()),
            ("API keys per identity", s.api_keys_per_identity.to_string()),
            (
                "Expired keys kept",
                format!("{} days", s.expired_key_retention_days),
            ),
            (
                "Keys flagged old after",
                format!("{} days", s.key_age_warning_days),
            ),
        ],
    )
}

/// A rotation: the new key (its value once, or where it was written) and
/// what became of the old one.
pub fn rotated(
    out: &mut dyn Write,
    json: bool,
    c: &Created,
    old: &ApiKey,
    old_deleted: bool,
    file: Option<&Path>,
) -> io::Result<()> {
    if json {
        let mut j = KeyJson::new(&c.row, false);
        j.apikey = Some(c.secret.expose());
        return json_line(
            out,
            &serde_json::json!({
                "new": j,
                "old": {
                    "id": old.id,
                    "entity_tag": old.entity_tag,
                    "disabled": old.disabled,
                    "deleted": old_deleted,
                },
            }),
        );
    }
    let done = if old_deleted { "deleted" } else { "disabled" };
    writeln!(
        out,
        "API key {} ({}) rotated: the old key is {done}.",
        inert(&old.name),
        old.id
    )?;
    created(out, false, c, file)
}

/// The inactive identities report.
pub fn inactive(out: &mut dyn Write, json: bool, r: &crate::client::Inactive) -> io::Result<()> {
    let last = |t: Option<Timestamp>| t.map_or_else(|| "never".to_string(), date);
    if json {
        let when = |t: Option<Timestamp>| t.map(|t| t.to_string());
        return json_line(
            out,
            &serde_json::json!({
                "days": r.days,
                "since": r.since.to_string(),
                "apikeys": r.keys.iter().map(|k| serde_json::json!({
                    "id": k.id,
                    "name": k.name,
                    "kind": k.kind.label(),
                    "owner": k.owner,
                    "created_at": k.created_at.to_string(),
                    "last_authn": when(k.last_authn),
                })).collect::<Vec<_>>(),
                "users": r.users.iter().map(|u| serde_json::json!({
                    "iam_id": u.id,
                    "email": u.name,
                    "last_authn": when(u.last_authn),
                })).collect::<Vec<_>>(),
                "serviceids": r.service_ids.iter().map(|u| serde_json::json!({
                    "id": u.id,
                    "name": u.name,
                    "last_authn": when(u.last_authn),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    writeln!(
        out,
        "No authentication for {} days (since {}); a key that never authenticated counts from its creation.\n",
        r.days,
        date(r.since)
    )?;
    let mut keys: Vec<&crate::client::InactiveKey> = r.keys.iter().collect();
    keys.sort_by(|a, b| {
        a.last_authn
            .unwrap_or(a.created_at)
            .cmp(&b.last_authn.unwrap_or(b.created_at))
            .then_with(|| a.name.cmp(&b.name))
    });
    writeln!(out, "API keys: {}", keys.len())?;
    if !keys.is_empty() {
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| {
                vec![
                    k.name.clone(),
                    k.owner.clone(),
                    k.kind.label().to_string(),
                    date(k.created_at),
                    last(k.last_authn),
                    k.id.clone(),
                ]
            })
            .collect();
        table(
            out,
            &["NAME", "OWNER", "KIND", "CREATED", "LAST USED", "ID"],
            &rows,
            &[40, 40, 10, 16, 16, 60],
        )?;
    }
    for (title, list) in [("Users", &r.users), ("Service IDs", &r.service_ids)] {
        writeln!(out, "\n{title}: {}", list.len())?;
        if !list.is_empty() {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|i| vec![i.name.clone(), last(i.last_authn), i.id.clone()])
                .collect();
            table(out, &["NAME", "LAST USED", "ID"], &rows, &[40, 16, 60])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_are_escaped_in_json_and_the_json_means_the_same() {
        let v = serde_json::json!({ "name": "a\u{9b}31mb\u{85}c", "plain": "é ✓" });
        let mut out = Vec::new();
        json_line(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
            "{text:?}"
        );
        assert!(
            text.contains("\\u009b") && text.contains("\\u0085"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert_eq!(escape_c1("{\"a\":\"é\"}"), "{\"a\":\"é\"}");
    }
}
