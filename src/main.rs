use clap::Parser;
use iamkeys::cli::{self, Cli, Command};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    if let Err(e) = iamkeys::log::level_from_env() {
        eprintln!("iamkeys: {e}");
        std::process::exit(2);
    }
    let code = match &cli.command {
        None => iamkeys::tui::run(&cli),
        Some(Command::Demo { fixture }) => iamkeys::tui::run_demo(&cli, fixture.as_deref()),
        Some(command) => cli::run(&cli, command),
    };
    std::process::exit(code);
}
