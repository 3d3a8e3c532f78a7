//! The `faultline` command.

use clap::Parser;
use emu::cli::{Cli, Command};

/// Exit status for emulator errors (bad ELF, bad option), distinct from guest statuses.
const EMULATOR_ERROR: i32 = 2;

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            if let Err(e) = emu::run::run(args) {
                eprintln!("faultline: {e:#}");
                std::process::exit(EMULATOR_ERROR);
            }
        }
    }
}
