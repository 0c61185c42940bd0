fn main() -> std::process::ExitCode {
    nhs_ser::driver::main(std::env::args().collect())
}
