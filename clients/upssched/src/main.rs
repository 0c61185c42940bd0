fn main() -> std::process::ExitCode {
    upssched::main(std::env::args().collect())
}
