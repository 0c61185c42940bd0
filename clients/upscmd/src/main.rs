fn main() -> std::process::ExitCode {
    upscmd::main(std::env::args().collect())
}
