//! `iamkeys scan`: find key values, act on those of this store, report.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Cli, Output, sign_in_of, write_err};
use crate::app::{self, AppResult as CliResult, Failure, bad_input, other};
use crate::client::Client;
use crate::scan::{self, Place, ScanError};
use crate::secret::{self, ApiKeySecret, HashParams};
use crate::service::{LeakOutcome, Session};
use crate::text::inert;

/// The exit code of a scan that found a key value.
pub const FOUND: i32 = 5;

/// One distinct value, where it was found, and what came of it.
struct Group {
    value: ApiKeySecret,
    places: Vec<Place>,
    /// `None` with `--no-store`: not looked up.
    outcome: Option<LeakOutcome>,
}

/// A progress line on standard error, only on a terminal and for text
/// output; cleared when done.
struct Progress {
    on: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            last: Instant::now(),
            shown: false,
        }
    }

    fn tick(&mut self, t: &scan::Totals) {
        if !self.on || self.last.elapsed() < Duration::from_millis(150) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Kscanning: {} files, {}",
            t.files,
            size(t.bytes)
        );
        let _ = err.flush();
    }

    fn done(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            self.shown = false;
        }
    }
}

fn size(bytes: u64) -> String {
    const MB: f64 = 1_000_000.0;
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else {
        format!("{:.1} kB", bytes as f64 / 1000.0)
    }
}

/// Where `scan` acts on the keys it finds.
pub(super) enum Target<'a> {
    /// Nowhere: `--no-store` only reports.
    Nothing,
    /// The store on this machine.
    Local(HashParams),
    /// The store behind an iamkeys server (`--endpoint`).
    Server(&'a str),
}

/// Runs `iamkeys scan`. Signs in first (unless `--no-store`), so a failed
/// sign-in scans nothing; a bad path changes nothing either.
pub(super) fn run(
    cli: &Cli,
    paths: &[PathBuf],
    git: bool,
    target: Target<'_>,
    out: &mut dyn Write,
) -> CliResult {
    let req = scan::Request { paths, git };
    scan::check(&req).map_err(scan_failure)?;
    if matches!(target, Target::Nothing) && (cli.as_email.is_some() || cli.apikey.is_some()) {
        return Err(bad_input(
            "--no-store signs nobody in: leave out --as and --apikey (IAMKEYS_API_KEY), or --no-store",
        ));
    }
    let local;
    let server;
    let signed_in: Option<(&dyn Client, Session)> = match target {
        Target::Nothing => None,
        Target::Local(params) => {
            let dir = app::data_dir(cli.data_dir.as_deref())?;
            // Skipped teardown, as for every command (see `execute`).
            local = std::mem::ManuallyDrop::new(app::open_service(&dir, params)?);
            let session = app::sign_in(&sign_in_of(cli), &*local)?;
            Some((&*local as &dyn Client, session))
        }
        Target::Server(url) => {
            server = app::connect(url)?;
            let session = app::sign_in(&sign_in_of(cli), &server)?;
            Some((&server as &dyn Client, session))
        }
    };

    let mut groups: Vec<Group> = Vec::new();
    let mut by_lookup: HashMap<String, Vec<usize>> = HashMap::new();
    let mut progress = Progress::new(cli.output == Output::Text && std::io::stderr().is_terminal());
    let totals = scan::run(
        &req,
        &mut |f| {
            let same = by_lookup.entry(f.value.lookup().to_string()).or_default();
            match same.iter().find(|i| groups[**i].value == f.value) {
                Some(i) => groups[*i].places.push(f.place),
                None => {
                    same.push(groups.len());
                    groups.push(Group {
                        value: f.value,
                        places: vec![f.place],
                        outcome: None,
                    });
                }
            }
        },
        &mut |t| progress.tick(t),
    );
    progress.done();
    let totals = totals.map_err(scan_failure)?;
    for (path, why) in &totals.unreadable {
        eprintln!(
            "iamkeys: could not read {}: {}",
            inert(&secret::redact_values(path)),
            inert(why)
        );
    }
    if let Some((client, session)) = &signed_in {
        for g in &mut groups {
            let labels: Vec<String> = g.places.iter().map(Place::label).collect();
            g.outcome =
                Some(client.record_leak(session, &g.value, &labels, g.places.len() as u64)?);
        }
    }
    match cli.output {
        Output::Text => text(out, &groups, &totals),
        Output::Json => json_out(out, &groups, &totals),
        Output::Sarif => sarif(out, &groups),
    }
    .map_err(write_err)?;
    if groups.is_empty() {
        Ok(())
    } else {
        // The findings are the output; nothing more to say on stderr.
        Err(Failure {
            code: FOUND,
            message: String::new(),
        })
    }
}

fn scan_failure(e: ScanError) -> Failure {
    match e {
        ScanError::BadInput(m) => bad_input(m),
        ScanError::Failed(m) => other(m),
    }
}

/// The action's id, as JSON and SARIF name it.
fn action_id(o: Option<&LeakOutcome>) -> &'static str {
    match o {
        None => "not_checked",
        Some(LeakOutcome::NotInStore) => "not_in_store",
        Some(LeakOutcome::NotPermitted { .. }) => "not_permitted",
        Some(LeakOutcome::Acted { taken, .. }) => taken.id(),
    }
}

/// What a finding is and what was done, in words.
fn said(g: &Group) -> String {
    let preview = secret::preview(&g.value);
    match &g.outcome {
        None => format!("{preview} (not checked against a store)"),
        Some(LeakOutcome::NotInStore) => format!("{preview} not in this store"),
        Some(LeakOutcome::NotPermitted { account_id }) => format!(
            "{preview} is a key of account {account_id}: not acted on (you are not its owner or an Administrator there)"
        ),
        Some(LeakOutcome::Acted {
            key_id,
            name,
            owner,
            taken,
            ..
        }) => format!("{key_id} ({name}, owner {owner}): {}", taken.words()),
    }
}

fn text(out: &mut dyn Write, groups: &[Group], totals: &scan::Totals) -> std::io::Result<()> {
    let scanned = format!("{} files, {} scanned", totals.files, size(totals.bytes));
    if groups.is_empty() {
        return writeln!(out, "No API key values found ({scanned}).");
    }
    for g in groups {
        let what = inert(&secret::redact_values(&said(g))).into_owned();
        for p in &g.places {
            writeln!(out, "{}  {what}", inert(&p.label()))?;
        }
    }
    let places: usize = groups.iter().map(|g| g.places.len()).sum();
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for g in groups {
        let id = action_id(g.outcome.as_ref());
        match counts.iter_mut().find(|(a, _)| *a == id) {
            Some((_, n)) => *n += 1,
            None => counts.push((id, 1)),
        }
    }
    let counts: Vec<String> = counts
        .iter()
        .map(|(a, n)| format!("{n} {}", a.replace('_', " ")))
        .collect();
    writeln!(
        out,
        "Found {} API key value{} in {places} place{} ({scanned}): {}.",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" },
        if places == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

fn finding_json(g: &Group, p: &Place) -> serde_json::Value {
    let mut v = json!({
        "path": secret::redact_values(&p.path),
        "line": p.line,
        "byte_offset": p.offset,
        "binary": p.binary,
        "action": action_id(g.outcome.as_ref()),
        "in_store": match &g.outcome {
            None => serde_json::Value::Null,
            Some(LeakOutcome::NotInStore) => false.into(),
            Some(_) => true.into(),
        },
    });
    if let Some(c) = &p.commit {
        v["commit"] = c.as_str().into();
    }
    match &g.outcome {
        Some(LeakOutcome::Acted {
            key_id,
            name,
            owner,
            account_id,
            ..
        }) => {
            v["key_id"] = key_id.as_str().into();
            v["name"] = name.as_str().into();
            v["owner"] = owner.as_str().into();
            v["account_id"] = account_id.as_str().into();
        }
        Some(LeakOutcome::NotPermitted { account_id }) => {
            v["account_id"] = account_id.as_str().into();
            v["preview"] = secret::preview(&g.value).into();
        }
        _ => v["preview"] = secret::preview(&g.value).into(),
    }
    v
}

fn json_out(out: &mut dyn Write, groups: &[Group], totals: &scan::Totals) -> std::io::Result<()> {
    let findings: Vec<serde_json::Value> = groups
        .iter()
        .flat_map(|g| g.places.iter().map(move |p| finding_json(g, p)))
        .collect();
    let doc = json!({
        "findings": findings,
        "values": groups.len(),
        "files": totals.files,
        "bytes": totals.bytes,
        "unreadable": totals.unreadable.iter().map(|(p, why)| json!({
            "path": secret::redact_values(p),
            "error": why,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::from)?;
    writeln!(out, "{}", super::output::escape_c1(&text))
}

/// The rule every SARIF result refers to.
const RULE: &str = "iamkeys/api-key-value";

/// A path as a SARIF artifact URI (a relative reference): `/` separators,
/// and percent-encoding for what a URI cannot hold.
fn uri(path: &str) -> String {
    if path == "-" {
        return "stdin".into();
    }
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn sarif(out: &mut dyn Write, groups: &[Group]) -> std::io::Result<()> {
    let mut results = Vec::new();
    for g in groups {
        let message = secret::redact_values(&said(g)).into_owned();
        for p in &g.places {
            let mut region = json!({ "startLine": p.line.max(1) });
            if p.binary {
                region["byteOffset"] = p.offset.into();
            }
            let mut r = json!({
                "ruleId": RULE,
                "level": "error",
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&secret::redact_values(&p.path)) },
                        "region": region,
                    }
                }],
                "properties": { "action": action_id(g.outcome.as_ref()) },
            });
            if let Some(c) = &p.commit {
                r["properties"]["commit"] = c.as_str().into();
            }
            results.push(r);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "iamkeys",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [{
                    "id": RULE,
                    "name": "ApiKeyValue",
                    "shortDescription": { "text": "An API key value in a file" },
                    "fullDescription": { "text": "An iamkeys API key value (prefix, lookup id, secret and a valid checksum) was found. Rotate the key, then clear its leak mark." },
                    "defaultConfiguration": { "level": "error" },
                }],
            }},
            "results": results,
        }],
    });
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::from)?;
    writeln!(out, "{}", super::output::escape_c1(&text))
}
