fn main() -> std::process::ExitCode {
    riello_usb::driver::main(std::env::args().collect())
}
