fn main() -> std::process::ExitCode {
    nut_driver_enumerator::main(std::env::args().collect())
}
