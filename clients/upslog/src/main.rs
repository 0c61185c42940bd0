fn main() -> std::process::ExitCode {
    upslog::main(std::env::args().collect())
}
