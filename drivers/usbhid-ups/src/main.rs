fn main() -> std::process::ExitCode {
    usbhid_ups::main(std::env::args().collect())
}
