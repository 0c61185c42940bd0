fn main() -> std::process::ExitCode {
    metasys::driver::main(std::env::args().collect())
}
