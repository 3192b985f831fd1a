use clap::Parser;
use iamkeys::cli::{self, Cli};

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let code = match &cli.command {
        Some(command) => cli::run(&cli, command),
        None => {
            eprintln!("iamkeys: the console is not built yet; use a command (see --help)");
            2
        }
    };
    std::process::exit(code);
}
