fn main() -> std::process::ExitCode {
    nut_driver::run(std::env::args().collect(), genericups::driver::GenericUps::new())
}
