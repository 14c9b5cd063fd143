fn main() -> std::process::ExitCode {
    let cli = dumpscope::cli::parse_args(std::env::args_os());
    std::process::ExitCode::from(dumpscope::cli::run(cli))
}
