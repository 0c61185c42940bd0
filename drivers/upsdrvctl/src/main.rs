fn main() -> std::process::ExitCode {
    upsdrvctl::main(std::env::args().collect())
}
