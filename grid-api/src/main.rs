//! The `gridmap` command: a thin shim over the library (see `gridmap::cli`).

use std::process::ExitCode;

/// Measured faster than glibc malloc on the allocation-heavy paths (imports, tiles).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    gridmap::cli::main()
}
