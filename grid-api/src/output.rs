//! Standard output that reports write errors instead of panicking.
//!
//! `println!` panics when standard output cannot be written: a closed pipe
//! (`gridmap stats --json | head -c1`), a full disk (`gridmap partition --all >/dev/full`).
//! Commands print through [`outln!`](crate::outln) instead, which returns the error as a
//! [`StdoutError`]; [`crate::cli::main`] exits quietly with 0 on a closed pipe (the reader
//! has what it wanted, as ripgrep does) and says what could not be written otherwise.

use std::fmt;
use std::io::{self, Write};

/// Writing to standard output failed.
#[derive(Debug, thiserror::Error)]
#[error("writing to standard output")]
pub struct StdoutError(#[source] pub io::Error);

impl StdoutError {
    /// The reader went away (EPIPE): not an error for a command-line tool.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes one line to standard output. Use [`outln!`](crate::outln).
pub fn line(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    // Standard output is line-buffered: the newline writes the line through, so the
    // error (if any) comes back here and not at exit, where it would be lost.
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(StdoutError)
}

/// `println!` that returns a [`StdoutError`] instead of panicking when standard output
/// is a closed pipe or a full disk: `outln!("{n} grids")?;`.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::line(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(::std::format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_told_apart_from_a_full_disk() {
        let pipe = StdoutError(io::Error::from(io::ErrorKind::BrokenPipe));
        let full = StdoutError(io::Error::from_raw_os_error(28)); // ENOSPC
        assert!(pipe.is_broken_pipe());
        assert!(!full.is_broken_pipe());
        let err = anyhow::Error::new(full).context("x");
        assert!(format!("{err:#}").contains("writing to standard output"));
    }
}
