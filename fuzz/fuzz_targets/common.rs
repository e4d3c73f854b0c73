//! What the targets share: the fuzzer's bytes as a file with a name (the importers read
//! files, and choose by extension), in one temporary directory per process.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to `name` in this process's temporary directory and returns its path.
pub fn as_file(name: &str, bytes: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"));
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing the input");
    path
}
