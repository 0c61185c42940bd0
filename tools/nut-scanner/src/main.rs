fn main() -> std::process::ExitCode {
    nut_scanner::main(std::env::args().collect())
}
