#![forbid(unsafe_code)]
use clap::{CommandFactory, FromArgMatches};
use iamkeys::cli::{self, Cli, Command, Output, TourCommand};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(p) => p,
        Err(e) => std::process::exit(cli::usage_error(e)),
    };
    if let Err(e) = iamkeys::log::level_from_env() {
        let f = cli::bad_input(e);
        cli::report(&f, cli.output == Output::Json);
        std::process::exit(f.code);
    }
    let code = match &cli.command {
        None => iamkeys::tui::run(&console_options(&cli)),
        Some(Command::Demo {
            fixture,
            tour: None,
            autoplay: _,
            record,
        }) => match cli::demo_refusal(&matches) {
            Some(f) => refuse(&cli, &f),
            None => iamkeys::tui::run_demo(
                &console_options(&cli),
                fixture.as_deref(),
                record.as_deref(),
            ),
        },
        Some(Command::Demo {
            fixture,
            tour: Some(tour),
            autoplay,
            record,
        }) => match cli::demo_refusal(&matches).or_else(|| cli::tour_refusal(&cli, &matches)) {
            Some(f) => refuse(&cli, &f),
            None => iamkeys::tui::tour::run_tour(&iamkeys::tui::tour::TourRun {
                tour,
                fixture: fixture.as_deref(),
                autoplay: *autoplay,
                record: record.as_deref(),
            }),
        },
        Some(Command::Tour(command)) => match cli::tour_refusal(&cli, &matches) {
            Some(f) => refuse(&cli, &f),
            None => {
                let mut out = std::io::stdout().lock();
                match command {
                    TourCommand::Check { tour, fixture } => {
                        iamkeys::tui::tour::check(tour, fixture.as_deref(), &mut out)
                    }
                    TourCommand::Pictures {
                        tour,
                        out: dir,
                        fixture,
                    } => iamkeys::tui::tour::pictures(tour, fixture.as_deref(), dir, &mut out),
                }
            }
        },
        Some(command) => cli::run(&cli, command),
    };
    std::process::exit(code);
}

fn refuse(cli: &Cli, f: &cli::Failure) -> i32 {
    cli::report(f, cli.output == Output::Json);
    f.code
}

/// The console's options from the command line.
fn console_options(cli: &Cli) -> iamkeys::tui::Options<'_> {
    iamkeys::tui::Options {
        data_dir: cli.data_dir.as_deref(),
        endpoint: cli.endpoint.as_deref(),
        sign_in: cli::sign_in_of(cli),
    }
}
