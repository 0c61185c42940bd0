fn main() -> std::process::ExitCode {
    mge_shut::main(std::env::args().collect())
}
