//! `gridmap history`, `gridmap undo`, `gridmap backup` and `gridmap migrate`.

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
    let shown = gridmap_store::shown_location(db);
    with_store(db, OpenMode::Existing, async |store| {
        store
            .backup(&args.output)
            .await
            .with_context(|| format!("backing up {shown} to {}", args.output.display()))
    })
    .await?;
    outln!("{shown} copied to {}", args.output.display())?;
    Ok(Outcome::Clean)
}

pub(crate) async fn migrate(db: &str) -> anyhow::Result<Outcome> {
    // Opening runs every pending migration, in one transaction each.
    let stats = with_store(db, OpenMode::Create, async |store| {
        Ok(store.stats().await?)
    })
    .await?;
    outln!(
        "{}: schema up to date ({} buildings, {} grids)",
        gridmap_store::shown_location(db),
        stats.buildings,
        stats.grids
    )?;
    Ok(Outcome::Clean)
}
