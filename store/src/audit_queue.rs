//! Group commit of audit entries. Every read of personal data appends one entry, so a
//! busy office would otherwise queue one write transaction per click behind the single
//! SQLite writer (and spend a PostgreSQL commit on each). Entries that arrive while a
//! batch is being written wait together and go into the next one: one transaction for
//! all of them. Each caller still returns only once its own entry is committed, so a
//! read is never answered without its audit entry stored.
//!
//! The batch is written by a task of its own: a caller whose request is dropped (the
//! client went away) never takes other callers' entries down with it.

use crate::error::{StoreError, StoreResult};
use crate::AuditEntry;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// Entries waiting for the next batch, and the turn to write one.
#[derive(Debug, Default)]
pub(crate) struct AuditQueue {
    pending: Mutex<Vec<Waiting>>,
    /// Held from taking a batch until its callers are told how it went.
    turn: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug)]
struct Waiting {
    entries: Vec<AuditEntry>,
    done: oneshot::Sender<Result<(), String>>,
}

impl AuditQueue {
    /// Appends `entries` through `write` (which stores one batch in one transaction),
    /// together with whatever else is waiting; returns once they are committed.
    pub(crate) async fn append<W, F>(&self, entries: &[AuditEntry], write: W) -> StoreResult<()>
    where
        W: FnOnce(Vec<AuditEntry>) -> F,
        F: Future<Output = StoreResult<()>> + Send + 'static,
    {
        let (done, mut outcome) = oneshot::channel();
        self.waiting().push(Waiting {
            entries: entries.to_vec(),
            done,
        });
        let turn = Arc::clone(&self.turn).lock_owned().await;
        // A batch written while this caller waited for its turn may have held its entries.
        if let Ok(result) = outcome.try_recv() {
            return result.map_err(audit_failed);
        }
        let batch = std::mem::take(&mut *self.waiting());
        let mut all = Vec::with_capacity(batch.len());
        let mut callers = Vec::with_capacity(batch.len());
        for w in batch {
            all.extend(w.entries);
            callers.push(w.done);
        }
        let writing = write(all);
        tokio::spawn(async move {
            // With its causes: the callers' error is all that is logged of it.
            let result = writing.await.map_err(|e| with_causes(&e));
            for done in callers {
                let _ = done.send(result.clone());
            }
            drop(turn);
        });
        match outcome.await {
            Ok(result) => result.map_err(audit_failed),
            Err(_) => Err(audit_failed("the writer stopped".into())),
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `error` and each of its sources, once each ("… while X: database is locked").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

fn audit_failed(reason: String) -> StoreError {
    StoreError::AuditFailed { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> AuditEntry {
        AuditEntry {
            at: "2026-12-03T00:00:00Z".into(),
            actor: format!("user{n}"),
            action: "read households".into(),
            target: "b1".into(),
            origin: "127.0.0.1".into(),
            detail: String::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_are_all_written_in_fewer_batches() {
        let queue = Arc::new(AuditQueue::default());
        let written = Arc::new(Mutex::new(Vec::new()));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        // The first batch waits until every other caller has queued: those must then go
        // into one batch together, whatever the scheduling.
        let (release, hold) = tokio::sync::watch::channel(false);
        let callers: Vec<_> = (0..50)
            .map(|n| {
                let (queue, written, sizes) = (queue.clone(), written.clone(), sizes.clone());
                let mut hold = hold.clone();
                tokio::spawn(async move {
                    queue
                        .append(&[entry(n)], move |all| {
                            sizes.lock().unwrap().push(all.len());
                            async move {
                                let _ = hold.wait_for(|go| *go).await;
                                written.lock().unwrap().extend(all);
                                Ok(())
                            }
                        })
                        .await
                })
            })
            .collect();
        loop {
            let first = sizes.lock().unwrap().first().copied();
            if first.is_some_and(|f| f + queue.waiting().len() == 50) {
                break;
            }
            tokio::task::yield_now().await;
        }
        release.send(true).unwrap();
        for c in callers {
            c.await.unwrap().unwrap();
        }
        let mut actors: Vec<String> = written
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.actor.clone())
            .collect();
        actors.sort();
        let mut want: Vec<String> = (0..50).map(|n| format!("user{n}")).collect();
        want.sort();
        assert_eq!(actors, want, "every entry written once");
        let sizes = sizes.lock().unwrap().clone();
        assert!(sizes.len() <= 2, "batches of {sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_caller_in_it() {
        let queue = AuditQueue::default();
        let err = queue
            .append(&[entry(1)], |_| async {
                Err(StoreError::Unsupported {
                    what: "disk full".into(),
                })
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
