//! One module per command. Each opens the store named by `--db`, calls the service's
//! use cases and prints a summary.

mod bench;
mod bench_edits;
mod bench_floors;
mod bench_import;
mod bench_incidents;
mod bench_print;
mod bench_store;
mod bench_urban;
mod cameras;
mod demo;
mod export;
mod import;
mod import_csv;
mod import_incidents;
mod maintenance;
mod partition;
mod print;
mod serve;
mod staff;
mod stats;
mod synth;
mod users;

use crate::cli::{Cli, Command, GridSizeArgs, GridsCommand};
use anyhow::Context;
use gridmap_service::partition::SizeRequest;
use gridmap_store::{OpenMode, SharedStore};

/// How a command finished when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went through.
    Clean,
    /// Done, but some records were rejected or violations were found (exit code 1).
    WithProblems,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let _ = READ_REPLICA.set(cli.db_read.clone());
    runtime.block_on(async move {
        match cli.command {
            Command::Import(cmd) => import::run(&cli.db, cmd).await,
            Command::Synth(args) => synth::run(&cli.db, &args).await,
            Command::Partition(args) => partition::run(&cli.db, &args).await,
            Command::Grids(GridsCommand::Validate(args)) => {
                partition::validate(&cli.db, &args).await
            }
            Command::Staff(cmd) => staff::run(&cli.db, cmd).await,
            Command::Cameras(cmd) => cameras::run(&cli.db, cmd).await,
            Command::Print(cmd) => print::run(&cli.db, cmd).await,
            Command::Stats(args) => stats::run(&cli.db, &args).await,
            Command::Export(args) => export::run(&cli.db, &args).await,
            Command::Serve(args) => serve::run(&cli.db, args).await,
            Command::Demo(args) => demo::run(&cli.db, &args).await,
            Command::User(cmd) => users::run(&cli.db, cmd).await,
            Command::Audit(args) => users::audit(&cli.db, &args).await,
            Command::History(args) => maintenance::history(&cli.db, &args).await,
            Command::Undo(args) => maintenance::undo(&cli.db, &args).await,
            Command::Backup(args) => maintenance::backup(&cli.db, &args).await,
            Command::Migrate => maintenance::migrate(&cli.db).await,
            Command::Bench(cmd) => bench::run(&cli.db, cmd).await,
        }
    })
}

/// The read replica `--db-read` names, set once before a command runs.
static READ_REPLICA: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Opens the store (with the read replica, when `--db-read` names one), saying which one
/// failed and what to do. Read commands pass [`OpenMode::Existing`] so a mistyped path is
/// an error, not an empty store.
pub(crate) async fn open_store(db: &str, mode: OpenMode) -> anyhow::Result<SharedStore> {
    let shown = gridmap_store::shown_location(db);
    match READ_REPLICA.get().and_then(Option::as_deref) {
        Some(replica) => gridmap_store::open_replicated(db, replica, mode)
            .await
            .with_context(|| {
                format!(
                    "opening the store {shown:?} with the read replica {:?} (check --db and --db-read)",
                    gridmap_store::shown_location(replica)
                )
            }),
        None => gridmap_store::open(db, mode).await.with_context(|| {
            format!("opening the store {shown:?} (choose another with --db PATH|URL)")
        }),
    }
}

/// Runs `work` on the store at `db` and closes it cleanly afterwards (committed data
/// moved into the main file, connections closed), whether `work` succeeded or not.
pub(crate) async fn with_store<T, F>(db: &str, mode: OpenMode, work: F) -> anyhow::Result<T>
where
    F: AsyncFnOnce(&SharedStore) -> anyhow::Result<T>,
{
    let store = open_store(db, mode).await?;
    let result = work(&store).await;
    let closed = store.close().await.context("closing the store");
    let value = result?;
    closed?;
    Ok(value)
}

/// The sizes named on the command line (unnamed ones keep the stored values).
pub(crate) fn size_request(size: &GridSizeArgs) -> SizeRequest {
    let micro = size.levels.map(|l| l.micro);
    SizeRequest {
        min: size.min.or(micro.map(|m| m.min)),
        max: size.max.or(micro.map(|m| m.max)),
        target: size.target.or(micro.map(|m| m.target)),
        comprehensive: size.levels.map(|l| l.comprehensive),
        institution_grids: if size.institution_grids {
            Some(true)
        } else if size.no_institution_grids {
            Some(false)
        } else {
            None
        },
        max_staff_households: size.max_staff_households,
    }
}
