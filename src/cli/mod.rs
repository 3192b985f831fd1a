//! The command line: parse, sign in, call the service, print text or JSON.

mod args;
pub mod output;
mod scan;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub use crate::app::{Failure, bad_input};
pub use args::{Cli, Command, Output, TourCommand};

use crate::app::{self, AppResult as CliResult, other};

use crate::access::{KeyAction, ViewFilter};
use crate::client::Client;
use crate::fixture;
use crate::service::{Created, KeyUpdate, ListQuery, NewKey, ServiceError, Session};

/// Reports a failure on standard error — the one place the command line
/// does: a line of text, or with `--output json` one JSON object
/// `{"code", "message", "exit_code"}`. Anything in the key format is
/// replaced by `<API key value>` first.
pub fn report(f: &Failure, json: bool) {
    let message = crate::secret::redact_values(&f.message);
    let mut err = std::io::stderr().lock();
    let _ = if json {
        let doc = serde_json::json!({ "code": f.kind(), "message": message, "exit_code": f.code });
        writeln!(err, "{}", output::escape_c1(&doc.to_string()))
    } else {
        writeln!(err, "iamkeys: {}", crate::text::inert(&message))
    };
}

/// Whether the raw arguments ask for JSON: for errors found before they
/// are parsed.
fn json_requested(args: &[std::ffi::OsString]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--output=json" || (a == "--output" && args.get(i + 1).is_some_and(|n| n == "json"))
    })
}

/// Reports a command line that does not parse, as [`report`] does, and
/// returns the exit code. Help and version are printed as they are.
pub fn usage_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return e.exit_code();
    }
    let args: Vec<_> = std::env::args_os().collect();
    let rendered = e.render().to_string();
    let code = e.exit_code();
    if json_requested(&args) {
        let message = rendered.trim().trim_start_matches("error: ");
        report(
            &Failure {
                code,
                message: message.to_string(),
            },
            true,
        );
    } else if let std::borrow::Cow::Owned(redacted) = crate::secret::redact_values(&rendered) {
        eprint!("{redacted}");
    } else {
        let _ = e.print();
    }
    code
}

/// `iamkeys demo` runs on a throwaway store: a `--data-dir` given with it
/// is refused rather than silently ignored.
pub fn demo_refusal(matches: &clap::ArgMatches) -> Option<Failure> {
    if matches.get_one::<String>("endpoint").is_some() {
        return Some(endpoint_refusal("demo"));
    }
    (matches.value_source("data_dir") == Some(clap::parser::ValueSource::CommandLine)).then(|| {
        bad_input(
            "demo runs on a throwaway store and never uses --data-dir: for the console on \
             that store, run iamkeys --data-dir DIR (without demo)",
        )
    })
}

/// A tour plays its own personas on its own throwaway store: a sign-in,
/// a data directory or a server given with it is refused, not ignored.
pub fn tour_refusal(cli: &Cli, matches: &clap::ArgMatches) -> Option<Failure> {
    if matches.get_one::<String>("endpoint").is_some() {
        return Some(endpoint_refusal("tour"));
    }
    if matches.value_source("data_dir") == Some(clap::parser::ValueSource::CommandLine) {
        return Some(bad_input(
            "a tour plays on a throwaway store and never uses --data-dir",
        ));
    }
    // A key in IAMKEYS_API_KEY is left alone; one given here is refused.
    let apikey_given =
        matches.value_source("apikey") == Some(clap::parser::ValueSource::CommandLine);
    (cli.as_email.is_some() || apikey_given || cli.account.is_some()).then(|| {
        bad_input(
            "a tour signs in as its own personas: leave out --as, --apikey (IAMKEYS_API_KEY) and --account",
        )
    })
}

/// Who the global options sign in.
pub fn sign_in_of(cli: &Cli) -> app::SignIn<'_> {
    app::SignIn {
        as_email: cli.as_email.as_deref(),
        apikey: cli.apikey.as_deref(),
        account: cli.account.as_deref(),
    }
}

/// Runs a command (not the console) and returns the exit code.
pub fn run(cli: &Cli, command: &Command) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match execute(cli, command, &mut out) {
        Ok(()) => 0,
        Err(f) => {
            let _ = out.flush();
            // A scan that found values has said so on standard output.
            if !f.message.is_empty() {
                report(&f, cli.output == Output::Json);
            }
            f.code
        }
    }
}

fn write_err(e: std::io::Error) -> Failure {
    other(format!("cannot write the output: {e}"))
}

/// Runs one command. Only for a process that exits right after: see the
/// note on sled's teardown below.
fn execute(cli: &Cli, command: &Command, out: &mut dyn Write) -> CliResult {
    if cli.output == Output::Sarif && !matches!(command, Command::Scan { .. }) {
        return Err(bad_input(
            "--output sarif is for scan only: use --output text or json",
        ));
    }
    if let Some(url) = &cli.endpoint {
        return remote(cli, url, command, out);
    }
    if let Command::GenFixture {
        keys,
        users,
        service_keys,
        own_keys,
        with_values,
        not_demo,
        out: file,
    } = command
    {
        return gen_fixture(
            &fixture::GenSpec {
                keys: *keys,
                users: *users,
                service_keys: *service_keys,
                own_keys: *own_keys,
                with_values: *with_values,
                demo: !not_demo,
            },
            file.as_deref(),
            out,
        );
    }
    let dir = app::data_dir(cli.data_dir.as_deref())?;
    let params = app::hash_params()?;
    let json = cli.output == Output::Json;
    match command {
        Command::Scan {
            paths,
            git,
            no_store,
        } => {
            let target = if *no_store {
                scan::Target::Nothing
            } else {
                scan::Target::Local(params)
            };
            scan::run(cli, paths, *git, target, out)
        }
        Command::Seed { file, replace } => {
            let source = app::seed_source(file.as_deref())?;
            // Held until the process exits, like every other command's.
            let locked = app::DataDir::lock(&dir)?;
            app::start_log(&locked);
            let seeded = app::seed_into(&locked, source, *replace, params)?;
            tracing::info!(source = ?file, "store seeded");
            if let Some(kept) = &seeded.damaged_kept {
                tracing::warn!(kept = %kept.display(), "the damaged store was moved aside");
                eprintln!(
                    "iamkeys: the damaged store was moved to {} (kept, not deleted)",
                    crate::text::inert(&kept.display().to_string())
                );
            }
            output::seeded(out, json, &dir, &seeded.bootstraps).map_err(write_err)
        }
        Command::Check => {
            let service = app::open_service(&dir, params)?;
            let problems = Client::check(&service)?;
            output::check(out, json, &service.location(), &problems).map_err(write_err)?;
            if problems.is_empty() {
                Ok(())
            } else {
                Err(other(format!(
                    "the store in {} has {} problem(s)",
                    service.location(),
                    problems.len()
                )))
            }
        }
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
            ibm_only,
        } => crate::server::run(
            &dir,
            &crate::server::Options {
                listen: listen.clone(),
                tls_cert: tls_cert.clone(),
                tls_key: tls_key.clone(),
                insecure_http: *insecure_http,
                ibm_only: *ibm_only,
            },
            params,
        ),
        Command::Demo { .. } | Command::Tour(_) | Command::GenFixture { .. } => {
            Err(bad_input("this command does not work on a store"))
        }
        _ => {
            // The process exits as soon as the command is done, and every
            // change was flushed before it was reported, so sled's teardown
            // (which at 100,000 keys costs more than the command) is skipped.
            let service = std::mem::ManuallyDrop::new(app::open_service(&dir, params)?);
            if command.writes() {
                app::sweep_on_open(&service, app::SWEEP_ON_OPEN_EVERY);
            }
            let session = app::sign_in(&sign_in_of(cli), &*service)?;
            signed_in(&*service, &session, command, json, out)
        }
    }
}

/// A command through the server at `url`: nothing here opens the store.
fn remote(cli: &Cli, url: &str, command: &Command, out: &mut dyn Write) -> CliResult {
    if let Command::Scan {
        paths,
        git,
        no_store,
    } = command
    {
        // The files are read here; the keys found are acted on there.
        let target = if *no_store {
            scan::Target::Nothing
        } else {
            scan::Target::Server(url)
        };
        return scan::run(cli, paths, *git, target, out);
    }
    if let Some(name) = local_only(command) {
        return Err(endpoint_refusal(name));
    }
    let client = app::connect(url)?;
    let session = app::sign_in(&sign_in_of(cli), &client)?;
    let json = cli.output == Output::Json;
    if let Command::Check = command {
        let problems = client.check()?;
        let at = client.location();
        output::check(out, json, &at, &problems).map_err(write_err)?;
        return if problems.is_empty() {
            Ok(())
        } else {
            Err(other(format!(
                "the store in {at} has {} problem(s)",
                problems.len()
            )))
        };
    }
    signed_in(&client, &session, command, json, out)
}

/// The commands that work on a store (or files) here, by nature.
fn local_only(command: &Command) -> Option<&'static str> {
    match command {
        Command::Seed { .. } => Some("seed"),
        Command::Demo { .. } => Some("demo"),
        Command::Tour(_) => Some("tour"),
        Command::GenFixture { .. } => Some("gen-fixture"),
        Command::Serve { .. } => Some("serve"),
        _ => None,
    }
}

fn endpoint_refusal(name: &str) -> Failure {
    bad_input(format!(
        "{name} works on a store on this machine and does not take --endpoint (or IAMKEYS_ENDPOINT): \
         run it where the store is, without an endpoint"
    ))
}

fn gen_fixture(spec: &fixture::GenSpec, file: Option<&Path>, out: &mut dyn Write) -> CliResult {
    spec.check().map_err(bad_input)?;
    let (fx, _) = fixture::generate(spec);
    match file {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| bad_input(format!("cannot create {}: {e}", p.display())))?;
            fixture::write(&fx, std::io::BufWriter::new(f)).map_err(other)
        }
        None => fixture::write(&fx, std::io::BufWriter::new(out)).map_err(other),
    }
}

fn new_key_from(name: &str, o: &args::CreateOptions, support_sessions: bool) -> NewKey {
    NewKey {
        name: name.to_string(),
        description: o.description.clone(),
        action_when_leaked: o.action_if_leaked.into(),
        support_sessions,
        expires_at: o.expires_at,
        locked: o.lock,
        disabled: false,
    }
}

fn create_with_file(
    file: Option<&Path>,
    make: impl FnOnce() -> Result<Created, ServiceError>,
) -> CliResult<(Created, Option<PathBuf>)> {
    let mut handle = match file {
        Some(p) => Some((app::open_key_file(p)?, p.to_path_buf())),
        None => None,
    };
    let created = match make() {
        Ok(c) => c,
        Err(e) => {
            if let Some((_, p)) = &handle {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.into());
        }
    };
    if let Some((f, p)) = handle.as_mut() {
        app::write_key_file(f, &created).map_err(|e| {
            other(format!(
                "the key {} was created, but writing {} failed: {e}; delete the key and create another",
                created.row.key.id,
                p.display()
            ))
        })?;
    }
    Ok((created, handle.map(|(_, p)| p)))
}

fn confirm(prompt: &str) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return false;
    }
    eprint!("{prompt} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin.read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

/// What asking before `action` says: the verb, its past, and a warning.
fn ask(action: KeyAction) -> (&'static str, &'static str, &'static str) {
    match action {
        KeyAction::Delete => ("delete", "deleted", "This cannot be undone."),
        KeyAction::Lock => (
            "lock",
            "locked",
            "It cannot be edited, disabled or deleted until unlocked.",
        ),
        KeyAction::Disable => ("disable", "disabled", "It signs nobody in until enabled."),
        other => (other.id(), other.id(), ""),
    }
}

/// Resolves the key and, unless `force`, asks on the terminal before a
/// change the rules allow (one they refuse is left to the service, which
/// names the rule); without a terminal (or with any answer but yes)
/// nothing changes and the answer is bad input (exit 2), naming `-f`.
fn resolve_confirmed(
    service: &dyn Client,
    s: &Session,
    key_ref: &str,
    force: bool,
    action: KeyAction,
) -> CliResult<crate::domain::ApiKey> {
    let target = service.resolve(s, key_ref)?;
    if !force && service.actions(s, &target)?.contains(&action) {
        let (verb, done, warning) = ask(action);
        let mut asked = verb.to_string();
        asked[..1].make_ascii_uppercase();
        let prompt = format!(
            "{asked} API key {} ({})? {warning}",
            crate::text::inert(&target.name),
            target.id,
        );
        if !confirm(&prompt) {
            return Err(bad_input(format!(
                "not {done}: confirm at the prompt, or add -f to {verb} without asking"
            )));
        }
    }
    Ok(target)
}

fn signed_in(
    service: &dyn Client,
    s: &Session,
    command: &Command,
    json: bool,
    out: &mut dyn Write,
) -> CliResult {
    let w = |r: std::io::Result<()>| r.map_err(write_err);
    match command {
        Command::Views => {
            let views = service.views(s)?;
            w(output::views(out, json, &views))
        }
        Command::ApiKeys {
            view,
            search,
            sort,
            desc,
            offset,
            limit,
        } => {
            let view: ViewFilter = (*view).into();
            let q = ListQuery {
                view,
                search: search.clone(),
                sort: (*sort).into(),
                desc: *desc,
                offset: *offset,
                limit: *limit,
            };
            if json {
                let page = service.list_rows(s, &q)?;
                return output::list_json(out, page, *limit);
            }
            let listing = service.list(s, &q)?;
            w(output::list(out, view, &listing))
        }
        Command::ApiKey { key } => {
            let row = service.get(s, key)?;
            let actions = service.actions(s, &row.key)?;
            let names = service.identity_names(s)?;
            w(output::details(out, json, &row, &actions, &names))
        }
        Command::ApiKeyCreate {
            name,
            options,
            support_sessions,
        } => {
            let spec = new_key_from(name, options, *support_sessions);
            let (created, file) = create_with_file(options.file.as_deref(), || {
                service.create_user_key(s, &spec)
            })?;
            w(output::created(out, json, &created, file.as_deref()))
        }
        Command::ServiceApiKeyCreate {
            name,
            service_id,
            options,
        } => {
            let spec = new_key_from(name, options, false);
            let (created, file) = create_with_file(options.file.as_deref(), || {
                service.create_service_key(s, service_id, &spec)
            })?;
            w(output::created(out, json, &created, file.as_deref()))
        }
        Command::ClassicApiKeyCreate { file } => {
            let (created, file) =
                create_with_file(file.as_deref(), || service.create_classic_key(s))?;
            w(output::created(out, json, &created, file.as_deref()))
        }
        Command::ApiKeyUpdate {
            key,
            name,
            description,
            action_if_leaked,
            if_match,
        } => {
            let u = KeyUpdate {
                name: name.clone(),
                description: description.clone(),
                action_when_leaked: action_if_leaked.map(Into::into),
                entity_tag: if_match.clone(),
                expires_at: None,
            };
            let row = service.update(s, key, &u)?;
            w(output::changed(out, json, &row, "updated"))
        }
        Command::ApiKeyDelete { key, force } => {
            let target = resolve_confirmed(service, s, key, *force, KeyAction::Delete)?;
            let gone = service.delete(s, &target.id, Some(&target.entity_tag))?;
            w(output::deleted(out, json, &gone))
        }
        Command::ApiKeyLock { key, force } => {
            let target = resolve_confirmed(service, s, key, *force, KeyAction::Lock)?;
            let row = service.set_locked(s, &target.id, true, Some(&target.entity_tag))?;
            w(output::changed(out, json, &row, "locked"))
        }
        Command::ApiKeyUnlock { key } => {
            let row = service.set_locked(s, key, false, None)?;
            w(output::changed(out, json, &row, "unlocked"))
        }
        Command::ApiKeyDisable { key, force } => {
            let target = resolve_confirmed(service, s, key, *force, KeyAction::Disable)?;
            let row = service.set_disabled(s, &target.id, true, Some(&target.entity_tag))?;
            w(output::changed(out, json, &row, "disabled"))
        }
        Command::ApiKeyEnable { key } => {
            let row = service.set_disabled(s, key, false, None)?;
            w(output::changed(out, json, &row, "enabled"))
        }
        Command::AccountSettings {
            restrict_api_key_creation,
            expired_key_retention_days,
            key_age_warning_days,
        } => {
            // Checked before anything changes: a bad number changes nothing.
            if let Some(d) = expired_key_retention_days {
                crate::service::check_days("--expired-key-retention-days", *d)?;
            }
            if let Some(d) = key_age_warning_days {
                crate::service::check_days("--key-age-warning-days", *d)?;
            }
            let mut settings = None;
            if expired_key_retention_days.is_some() || key_age_warning_days.is_some() {
                settings = Some(service.set_housekeeping(
                    s,
                    *expired_key_retention_days,
                    *key_age_warning_days,
                )?);
            }
            if let Some(on) = restrict_api_key_creation {
                settings = Some(service.set_restrict_creation(s, *on)?);
            }
            let settings = match settings {
                Some(set) => set,
                None => service.settings(s)?.0,
            };
            w(output::settings(out, json, &s.account_id, &settings))
        }
        Command::ApiKeyRotate {
            key,
            delete_old,
            file,
            if_match,
        } => {
            let mut rotated = None;
            let (created, file) = create_with_file(file.as_deref(), || {
                let r = service.rotate(s, key, *delete_old, if_match.as_deref())?;
                let created = crate::service::Created {
                    row: r.created.row.clone(),
                    secret: r.created.secret.clone(),
                };
                rotated = Some((r.old, r.old_deleted));
                Ok(created)
            })?;
            let (old, deleted) = rotated.expect("set with the new key");
            w(output::rotated(
                out,
                json,
                &created,
                &old,
                deleted,
                file.as_deref(),
            ))
        }
        Command::Report {
            report: args::Report::Inactive { days },
        } => {
            let report = service.inactive(s, *days)?;
            w(output::inactive(out, json, &report))
        }
        Command::ApiKeyClearLeak { key, if_match } => {
            let row = service.clear_leak(s, key, if_match.as_deref())?;
            w(output::changed(out, json, &row, "cleared of its leak mark"))
        }
        Command::Seed { .. }
        | Command::Scan { .. }
        | Command::Check
        | Command::Demo { .. }
        | Command::Tour(_)
        | Command::Serve { .. }
        | Command::GenFixture { .. } => Err(bad_input("this command needs no sign-in")),
    }
}
