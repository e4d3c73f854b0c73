//! One module per command. Each opens the store named by `--db`, does its work through
//! the store interface and prints a summary.

mod bench;
mod demo;
mod export;
mod import;
mod import_csv;
mod partition;
mod serve;
mod stats;
mod synth;

use crate::cli::{Cli, Command, GridSizeArgs, GridsCommand};
use anyhow::Context;
use gridmap_core::partition::PartitionParams;
use gridmap_store::Store;

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
    runtime.block_on(async move {
        match cli.command {
            Command::Import(cmd) => import::run(&cli.db, cmd).await,
            Command::Synth(args) => synth::run(&cli.db, &args).await,
            Command::Partition(args) => partition::run(&cli.db, &args).await,
            Command::Grids(GridsCommand::Validate(args)) => {
                partition::validate(&cli.db, &args).await
            }
            Command::Stats(args) => stats::run(&cli.db, &args).await,
            Command::Export(args) => export::run(&cli.db, &args).await,
            Command::Serve(args) => serve::run(&cli.db, args).await,
            Command::Demo(args) => demo::run(&cli.db, &args).await,
            Command::Bench(cmd) => bench::run(cmd).await,
        }
    })
}

/// Opens the store, saying which one failed and what to do.
pub(crate) async fn open_store(db: &str) -> anyhow::Result<Store> {
    Store::open(db)
        .await
        .with_context(|| format!("opening the store {db:?} (choose another with --db PATH)"))
}

/// Partition parameters from the size flags, validated.
pub(crate) fn partition_params(size: &GridSizeArgs) -> anyhow::Result<PartitionParams> {
    if size.min == 0 || size.min > size.max {
        anyhow::bail!(
            "--min {} must be at least 1 and not above --max {}",
            size.min,
            size.max
        );
    }
    if size.target < size.min || size.target > size.max {
        anyhow::bail!(
            "--target {} must lie between --min {} and --max {}",
            size.target,
            size.min,
            size.max
        );
    }
    Ok(PartitionParams {
        min: size.min,
        max: size.max,
        target: size.target,
        institution_grids: size.institution_grids,
        ..PartitionParams::default()
    })
}
