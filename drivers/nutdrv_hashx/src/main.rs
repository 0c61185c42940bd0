fn main() -> std::process::ExitCode {
    nut_driver::run(std::env::args().collect(), nutdrv_hashx::driver::Hashx::new())
}
