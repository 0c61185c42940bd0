fn main() -> std::process::ExitCode {
    nut_driver::run(std::env::args().collect(), bcmxcp::driver::Bcmxcp::new())
}
