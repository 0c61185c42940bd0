fn main() -> std::process::ExitCode {
    powerpanel::driver::main(std::env::args().collect())
}
