fn main() -> std::process::ExitCode {
    nutdrv_qx::driver::main(std::env::args().collect(), nutdrv_qx::driver::Flavor::BlazerSer)
}
