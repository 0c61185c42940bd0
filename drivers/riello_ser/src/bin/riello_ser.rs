fn main() -> std::process::ExitCode {
    riello_ser::driver::main(std::env::args().collect())
}
