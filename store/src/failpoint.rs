//! Fault injection for crash tests: when the environment variable `GRIDMAP_FAILPOINT`
//! names a point, the process aborts there, as a power cut or `kill -9` would stop it:
//! no destructor runs, no connection is closed. Tests use it to stop a write at a chosen
//! step instead of guessing with timers. Points: `import:written` (every row written,
//! nothing committed), `import:committed` (committed, not yet checkpointed),
//! `grids:written`, `grids:committed`.

use std::sync::OnceLock;

/// Aborts the process when `GRIDMAP_FAILPOINT` is `name`.
pub(crate) fn failpoint(name: &str) {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    let chosen = CHOSEN.get_or_init(|| std::env::var("GRIDMAP_FAILPOINT").ok());
    if chosen.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
