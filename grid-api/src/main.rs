//! The `gridmap` command: a thin shim over the library (see `gridmap::cli`).

use std::process::ExitCode;

fn main() -> ExitCode {
    gridmap::cli::main()
}
