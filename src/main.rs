use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = dumpscope::cli::Cli::parse();
    std::process::ExitCode::from(dumpscope::cli::run(cli))
}
