//! `gridmap undo` and `gridmap backup`.

use super::{with_store, Outcome};
use crate::cli::{BackupArgs, UndoArgs};
use anyhow::Context;
use gridmap_service::{edit, Caller};
use gridmap_store::OpenMode;

pub(crate) async fn undo(db: &str, args: &UndoArgs) -> anyhow::Result<Outcome> {
    let id = with_store(db, OpenMode::Existing, async |store| {
        edit::undo(store.as_ref(), &Caller::Operator, args.change)
            .await
            .with_context(|| format!("undoing change {}", args.change))
    })
    .await?;
    outln!("change {} undone (as change {id})", args.change)?;
    Ok(Outcome::Clean)
}

pub(crate) async fn backup(db: &str, args: &BackupArgs) -> anyhow::Result<Outcome> {
    with_store(db, OpenMode::Existing, async |store| {
        store
            .backup(&args.output)
            .await
            .with_context(|| format!("backing up {db} to {}", args.output.display()))
    })
    .await?;
    outln!("{db} copied to {}", args.output.display())?;
    Ok(Outcome::Clean)
}
