//! A reader adapter that ticks a progress bar with the bytes read.

use indicatif::ProgressBar;
use std::io::Read;

/// Wraps a reader and adds every byte read to `bar`'s position.
pub(crate) struct ProgressRead<'a, R> {
    inner: R,
    bar: &'a ProgressBar,
}

impl<'a, R: Read> ProgressRead<'a, R> {
    pub(crate) fn new(inner: R, bar: &'a ProgressBar) -> Self {
        ProgressRead { inner, bar }
    }
}

impl<R: Read> Read for ProgressRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Opens `path`, sets the bar's length to its size and returns a buffered, ticking reader.
/// A file of 0 bytes is refused ([`crate::ImportError::Empty`]).
pub(crate) fn open<'a>(
    path: &std::path::Path,
    bar: &'a ProgressBar,
) -> Result<std::io::BufReader<ProgressRead<'a, std::fs::File>>, crate::ImportError> {
    bar.set_length(crate::error::nonempty_file_len(path)?);
    let file = std::fs::File::open(path).map_err(|e| crate::ImportError::io(path, e))?;
    Ok(std::io::BufReader::with_capacity(
        1 << 16,
        ProgressRead::new(file, bar),
    ))
}
