fn main() -> std::process::ExitCode {
    upsrw::main(std::env::args().collect())
}
