//! The `faultline` command.

use clap::Parser;
use emu::cli::{init_diagnostics, Cli, Command};

/// Exit status for emulator errors (bad ELF, bad option), distinct from guest statuses.
const EMULATOR_ERROR: i32 = 2;

/// A panic on any hart ends the whole emulator with one line: the other harts must not run
/// on, and no guest output may follow as if nothing happened. A guest exhausting the frame
/// pool dies as Linux's OOM killer would end it (SIGKILL), its shared mappings' stores
/// written to their files first.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        if msg.starts_with("guest out of memory") {
            emu::run::write_stores_before_kill();
            eprintln!("faultline: SIGKILL: {msg}");
            std::process::exit(128 + 9);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("faultline: internal error{at}: {msg}");
        std::process::exit(EMULATOR_ERROR);
    }));
}

/// Ends faultline with error `e` on one line (a scenario error adds its source line
/// and a caret) and the emulator-error status.
fn fail(e: anyhow::Error) -> ! {
    eprintln!("faultline: {e:#}");
    std::process::exit(EMULATOR_ERROR);
}

fn main() {
    install_panic_hook();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            init_diagnostics(args.verbose);
            if let Err(e) = emu::run::run(args) {
                eprintln!("faultline: {e:#}");
                std::process::exit(EMULATOR_ERROR);
            }
        }
        Command::Scenario(args) => {
            init_diagnostics(0);
            let status = emu::scenario::load(&args.file, &args.settings)
                .map_err(anyhow::Error::from)
                .and_then(|s| emu::scenario::run_once(&s, args.policy.as_deref(), args.seed));
            match status {
                Ok(code) => std::process::exit(code),
                Err(e) => fail(e),
            }
        }
        Command::Compare(args) => {
            init_diagnostics(0);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let done = emu::scenario::load(&args.file, &args.common.settings)
                .map_err(anyhow::Error::from)
                .and_then(|s| emu::scenario::compare(&s, &args.common.options(), &mut out));
            if let Err(e) = done {
                fail(e);
            }
        }
        Command::Sweep(args) => {
            init_diagnostics(0);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let opts = args.common.options();
            let settings = &args.common.settings;
            if let Err(e) = emu::scenario::sweep(&args.file, settings, &args.vary, &opts, &mut out)
            {
                fail(e);
            }
        }
        Command::Report(args) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if let Err(e) = emu::report::report(&args.request(), &mut out) {
                eprintln!("faultline: {e:#}");
                std::process::exit(EMULATOR_ERROR);
            }
        }
    }
}
