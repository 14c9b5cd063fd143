//! The command line: `args` holds the clap definitions, `run` turns
//! flags into options and calls the library, `output` writes the
//! reports and names the exit codes, `diag` writes the messages on
//! stderr, `progress` draws the progress bar on stderr. Exit codes: 0 success, 1 a finding at or above
//! `--fail-on`, 2 unusable input or usage (a report of the inputs that
//! could be read is still written; 2 wins over 1).

mod args;
mod diag;
mod output;
mod progress;
mod run;

pub use args::{
    AnalyzeArgs, Cli, ColorWhen, Command, DiffArgs, OutputFormat, SymbolArgs, SymbolizeArgs,
};
pub use output::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
pub use run::{parse_args, run};
