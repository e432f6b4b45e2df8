fn main() -> std::process::ExitCode {
    porch_registry::main_entry()
}
