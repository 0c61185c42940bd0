fn main() -> std::process::ExitCode {
    upsmon::main(std::env::args().collect())
}
