//! `gridmap bench print`: how long the server takes to make the printouts of #17, timed at
//! the service in a synthetic county: the grid map and the notice boards (a page per grid)
//! of its village with the most grids, and the contact cards of that village's largest
//! grid. The issue sets no target; the figures say what a click on 打印 costs.

use super::bench::{bench_server, percentile_ms};
use super::Outcome;
use crate::cli::BenchPrintArgs;
use anyhow::Context;
use gridmap_print::{Paper, PrintFont};
use gridmap_service::print::{PrintArea, PrintRequest, Printout};
use gridmap_service::Caller;
use std::collections::HashMap;
use std::time::Instant;

pub(crate) async fn run(args: &BenchPrintArgs) -> anyhow::Result<Outcome> {
    let font = PrintFont::find(args.font.as_deref())?;
    let (_addr, state, _dir) = bench_server(args.households).await?;
    let service = state.service().clone();
    let data = service.data();
    let snap = data.snapshot();
    let store = service.store().clone();
    let mut grids_per_village: HashMap<_, usize> = HashMap::new();
    for g in snap.grids.iter().filter(|g| !g.is_comprehensive()) {
        *grids_per_village.entry(g.code.village()).or_default() += 1;
    }
    let (village, grids) = grids_per_village
        .into_iter()
        .max_by_key(|(v, n)| (*n, std::cmp::Reverse(v.clone())))
        .context("the synthetic county has no grids")?;
    let grid = snap
        .grids
        .iter()
        .filter(|g| g.code.village() == village && !g.is_comprehensive())
        .max_by_key(|g| g.households)
        .context("a village without grids")?;
    outln!(
        "village {village}: {grids} grids; its largest grid {} holds {} households",
        grid.code,
        grid.households
    )?;
    let jobs = [
        (Printout::Map, PrintArea::Village(village.clone())),
        (Printout::Boards, PrintArea::Village(village.clone())),
        (Printout::Cards, PrintArea::Grid(grid.code.clone())),
    ];
    for (what, area) in jobs {
        let request = PrintRequest {
            area,
            what,
            paper: Paper::A4,
            supervision: vec!["县综治中心=0394-1234567"
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?],
            date: "2026-12-05".into(),
        };
        let mut times = Vec::with_capacity(args.runs);
        let mut bytes = 0;
        for _ in 0..args.runs {
            let started = Instant::now();
            let pdf = gridmap_service::print::print(
                store.as_ref(),
                snap,
                &Caller::Operator,
                &font,
                &request,
            )
            .await?;
            times.push(started.elapsed());
            bytes = pdf.len();
        }
        times.sort_unstable();
        outln!(
            "{} of {}: median {:.1} ms, p95 {:.1} ms over {} runs, {} KB",
            what.as_str(),
            request.area,
            percentile_ms(&times, 50.0),
            percentile_ms(&times, 95.0),
            args.runs,
            bytes.div_ceil(1024)
        )?;
    }
    Ok(Outcome::Clean)
}
