//! `gridmap staff assign`, `gridmap staff report` and `gridmap staff photos`.

use super::{with_store, Outcome};
use crate::cli::{StaffAssignArgs, StaffCommand, StaffPhotosArgs, StaffReportArgs};
use anyhow::Context;
use gridmap_service::{photos, staffing, Caller};
use gridmap_store::OpenMode;
use std::path::Path;

pub(crate) async fn run(db: &str, cmd: StaffCommand) -> anyhow::Result<Outcome> {
    match cmd {
        StaffCommand::Assign(args) => assign(db, &args).await,
        StaffCommand::Report(args) => report(db, &args).await,
        StaffCommand::Photos(args) => photos(db, &args).await,
    }
}

/// The photo files of `dir` (JPEG or PNG by extension), by name.
fn photo_files(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png")) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        anyhow::bail!(
            "{} holds no .jpg, .jpeg or .png file: name each photo by staff id or name (S001.jpg, 王芳.jpg)",
            dir.display()
        );
    }
    Ok(files)
}

async fn photos(db: &str, args: &StaffPhotosArgs) -> anyhow::Result<Outcome> {
    let files = photo_files(&args.dir)?;
    let (put, problems, without) = with_store(db, OpenMode::Existing, async |store| {
        let snap = store.load_snapshot().await?;
        let (mut put, mut problems) = (Vec::new(), Vec::new());
        for file in &files {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let name = file.display();
            let staff = match photos::staff_for_file(&snap, stem) {
                Ok(s) => s,
                Err(why) => {
                    problems.push(format!("{name}: {why}"));
                    continue;
                }
            };
            let bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
            match photos::set_staff_photo(
                store.as_ref(),
                &snap,
                &Caller::Operator,
                &staff.id,
                &bytes,
            )
            .await
            {
                Ok(_) => put.push(format!("{} ({}) ← {name}", staff.name, staff.id)),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        let with_photos = store.staff_with_photos().await?;
        let without: Vec<String> = (snap.staff.iter())
            .filter(|s| !with_photos.contains(&s.id))
            .map(|s| format!("{} ({})", s.name, s.id))
            .collect();
        Ok((put, problems, without))
    })
    .await?;
    for line in &put {
        outln!("photo: {line}")?;
    }
    for line in &problems {
        outln!("skipped {line}")?;
    }
    outln!(
        "{} photos put on staff, {} files skipped; {} staff without a photo{}",
        put.len(),
        problems.len(),
        without.len(),
        if without.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                without
                    .iter()
                    .take(20)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    )?;
    Ok(if problems.is_empty() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}

async fn assign(db: &str, args: &StaffAssignArgs) -> anyhow::Result<Outcome> {
    let scope = super::partition::scope(&args.villages)?;
    let (plan, change) = with_store(db, OpenMode::Existing, async |store| {
        let plan = staffing::propose(store.as_ref(), &Caller::Operator, &scope).await?;
        let change = if args.apply {
            staffing::apply(store.as_ref(), &Caller::Operator, &plan).await?
        } else {
            None
        };
        Ok((plan, change))
    })
    .await?;
    let name = |id: &Option<String>| match id {
        Some(id) => format!("{} ({id})", plan.names.get(id).map_or("?", String::as_str)),
        None => "nobody".to_owned(),
    };
    let changes: Vec<_> = plan.changes().collect();
    for p in changes.iter().take(50) {
        let level = if p.comprehensive {
            "综治网格"
        } else {
            "网格"
        };
        let distance = p.distance_m.map_or_else(
            || "home unknown".to_owned(),
            |d| format!("{:.0} m from home", d),
        );
        outln!(
            "{level} {}: {} → {} ({distance})",
            p.grid,
            name(&p.current),
            name(&p.proposed)
        )?;
    }
    if changes.len() > 50 {
        outln!("… and {} more", changes.len() - 50)?;
    }
    let without = plan
        .proposals
        .iter()
        .filter(|p| p.proposed.is_none())
        .count();
    let median = |distances: Vec<f64>| {
        let mut d = distances;
        d.sort_by(f64::total_cmp);
        let m = d
            .get(d.len() / 2)
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.0} m"));
        (m, d.len())
    };
    let (proposed, known) = median(plan.proposals.iter().filter_map(|p| p.distance_m).collect());
    let (now, _) = median(
        plan.proposals
            .iter()
            .filter_map(|p| p.current_distance_m)
            .collect(),
    );
    outln!(
        "{} grids: {} would change hands, {} have no staff member whose area holds them; median distance from home {proposed} (now {now}; {known} of {} homes known)",
        plan.proposals.len(),
        changes.len(),
        without,
        plan.proposals.len() - without,
    )?;
    match change {
        Some(id) => outln!("written as change {id} (gridmap undo {id} reverts it)")?,
        None if args.apply => outln!("nothing to write")?,
        None if !changes.is_empty() => outln!("gridmap staff assign --apply writes it")?,
        None => {}
    }
    if let Some(path) = &args.json {
        let rows: Vec<_> = plan
            .proposals
            .iter()
            .map(|p| {
                serde_json::json!({
                    "grid": p.grid,
                    "comprehensive": p.comprehensive,
                    "households": p.households,
                    "current": p.current,
                    "proposed": p.proposed,
                    "distance_m": p.distance_m.map(f64::round),
                    "current_distance_m": p.current_distance_m.map(f64::round),
                })
            })
            .collect();
        write_json(
            path,
            &serde_json::json!({ "proposals": rows, "change": change }),
        )?;
    }
    Ok(if without == 0 {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}

async fn report(db: &str, args: &StaffReportArgs) -> anyhow::Result<Outcome> {
    let report = with_store(db, OpenMode::Existing, async |store| {
        Ok(staffing::report(
            store.as_ref(),
            &Caller::Operator,
            args.max_households,
            args.max_leader_households,
        )
        .await?)
    })
    .await?;
    for g in report.unstaffed.iter().take(50) {
        let what = if g.comprehensive {
            "comprehensive grid without a leader (网格长)"
        } else {
            "grid without a worker (网格员)"
        };
        outln!("{}: {what}, {} households", g.code, g.households)?;
    }
    if report.unstaffed.len() > 50 {
        outln!(
            "… and {} more grids without staff",
            report.unstaffed.len() - 50
        )?;
    }
    for s in &report.overloaded {
        outln!(
            "{} ({}) serves {} households in {} grids, above {}",
            s.name,
            s.id,
            s.households,
            s.grids,
            s.limit
        )?;
    }
    outln!(
        "{} grids without staff; {} staff over their load (workers {} households, leaders {}); {} staff without a grid",
        report.unstaffed.len(),
        report.overloaded.len(),
        report.limits.worker,
        report.limits.leader,
        report.idle.len()
    )?;
    if let Some(path) = &args.json {
        write_json(path, &serde_json::to_value(&report)?)?;
    }
    Ok(if report.is_clean() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}
