fn main() -> std::process::ExitCode {
    upsc::main(std::env::args().collect())
}
