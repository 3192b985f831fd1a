#![forbid(unsafe_code)]
use clap::{CommandFactory, FromArgMatches};
use iamkeys::cli::{self, Cli, Command, Output};

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
        Some(Command::Demo { fixture }) => match cli::demo_refusal(&matches) {
            Some(f) => {
                cli::report(&f, cli.output == Output::Json);
                f.code
            }
            None => iamkeys::tui::run_demo(&console_options(&cli), fixture.as_deref()),
        },
        Some(command) => cli::run(&cli, command),
    };
    std::process::exit(code);
}

/// The console's options from the command line.
fn console_options(cli: &Cli) -> iamkeys::tui::Options<'_> {
    iamkeys::tui::Options {
        data_dir: cli.data_dir.as_deref(),
        endpoint: cli.endpoint.as_deref(),
        sign_in: cli::sign_in_of(cli),
    }
}
