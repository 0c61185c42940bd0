fn main() -> std::process::ExitCode {
    nut_udev_rules::main(std::env::args().collect())
}
