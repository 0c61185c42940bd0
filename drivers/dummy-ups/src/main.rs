fn main() -> std::process::ExitCode {
    dummy_ups::main(std::env::args().collect())
}
