fn main() -> std::process::ExitCode {
    upsd::main(std::env::args().collect())
}
