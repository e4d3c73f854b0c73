//! `gridmap demo`: a synthetic county in a fresh store, partitioned and served.

use super::{with_store, Outcome};
use crate::cli::{DemoArgs, ServeArgs};
use anyhow::Context;
use gridmap_service::partition::{self, SizeRequest};
use gridmap_service::staffing;
use gridmap_service::{Caller, Scope};
use gridmap_store::OpenMode;

pub(crate) async fn run(db: &str, args: &DemoArgs) -> anyhow::Result<Outcome> {
    // Local-only: the demo's account and data are for this machine's browser.
    if !args.bind.ip().is_loopback() {
        anyhow::bail!(
            "the demo serves only this machine (--bind 127.0.0.1:PORT), not {}: for a server others reach, import real data and run gridmap serve with accounts (gridmap user add)",
            args.bind
        );
    }
    // The demo never touches the user's own store: it works in its own file.
    let demo_db = if db == "gridmap.db" {
        "gridmap-demo.db".to_owned()
    } else {
        db.to_owned()
    };
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{demo_db}{suffix}");
        if std::path::Path::new(&path).exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the old demo store {path}"))?;
        }
    }
    outln!("demo store: {demo_db}")?;
    // Incidents of the last year up to now, so the wall and the heat layer show a
    // live-looking county.
    let now = gridmap_service::incidents::now();
    super::synth::generate_into(&demo_db, args.households, args.seed, Some(now), false).await?;
    let (outcome, led) = with_store(&demo_db, OpenMode::Existing, async |store| {
        let outcome = partition::partition(
            store.as_ref(),
            &Caller::Operator,
            &Scope::All,
            &demo_sizes_with(args.levels),
            true,
        )
        .await?;
        // Nested grids get their leaders (网格长) as `gridmap staff assign --apply` gives
        // them: a partition run staffs micro-grids only.
        let mut led = 0;
        if outcome.comprehensive_report.is_some() {
            let plan = staffing::propose(store.as_ref(), &Caller::Operator, &Scope::All).await?;
            led = plan.changes().count();
            staffing::apply(store.as_ref(), &Caller::Operator, &plan).await?;
        }
        Ok((outcome, led))
    })
    .await?;
    if let Some(top) = &outcome.comprehensive_report {
        outln!("comprehensive grids (综治网格)\n{top}\nmicro-grids (微网格)")?;
    }
    outln!("{}", outcome.report)?;
    if led > 0 {
        outln!(
            "staff: {led} grids given to the nearest staff of their village (gridmap staff assign)"
        )?;
    }
    if args.no_serve {
        return Ok(Outcome::Clean);
    }
    outln!("local-only demo: an account `demo` (admin of the demo county) is made; sign in with the password below")?;
    let serve = ServeArgs {
        bind: args.bind,
        public_url: None,
        web_dir: None,
        basemap_style: None,
        cache_mb: 256,
        taxonomy: None,
        calendar: None,
        store_tiles: None,
        local_demo: true,
        http: Default::default(),
    };
    super::serve::run(&demo_db, serve).await
}

/// The demo's grids: 30–50 households, institutions as their own vertical grids.
pub(crate) fn demo_sizes() -> SizeRequest {
    demo_sizes_with(None)
}

/// [`demo_sizes`], or the micro sizes of `levels` and its comprehensive grids.
fn demo_sizes_with(levels: Option<gridmap_service::partition::LevelsSpec>) -> SizeRequest {
    let micro = levels.map_or(gridmap_core::partition::LevelSizes::new(30, 50), |l| {
        l.micro
    });
    SizeRequest {
        min: Some(micro.min),
        max: Some(micro.max),
        target: Some(micro.target),
        institution_grids: Some(true),
        comprehensive: Some(levels.and_then(|l| l.comprehensive)),
        ..SizeRequest::default()
    }
}
