//! `gridmap history`, `gridmap undo` and `gridmap backup`.

use super::{with_store, Outcome};
use crate::cli::{BackupArgs, HistoryArgs, UndoArgs};
use anyhow::Context;
use gridmap_core::time::format_utc;
use gridmap_service::{edit, Caller};
use gridmap_store::OpenMode;

pub(crate) async fn history(db: &str, args: &HistoryArgs) -> anyhow::Result<Outcome> {
    let changes = with_store(db, OpenMode::Existing, async |store| {
        Ok(edit::history(store.as_ref(), &Caller::Operator, args.limit).await?)
    })
    .await?;
    for c in &changes {
        outln!(
            "{:>6}  {}  {:<8} {}",
            c.id,
            format_utc(c.at),
            c.actor,
            c.operation
        )?;
    }
    Ok(Outcome::Clean)
}

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
