//! `gridmap partition` and `gridmap grids validate`.

use super::{size_request, with_store, Outcome};
use crate::cli::{PartitionArgs, ValidateArgs, VillagesArgs};
use anyhow::Context;
use gridmap_core::{AdminLevel, DivisionCode};
use gridmap_service::{partition, Caller, Scope};
use gridmap_store::OpenMode;

fn parse_code(flag: &str, code: &str) -> anyhow::Result<DivisionCode> {
    code.parse().with_context(|| format!("{flag} {code:?}"))
}

/// The villages `args` name.
pub(crate) fn scope(args: &VillagesArgs) -> anyhow::Result<Scope> {
    Ok(match (&args.village, &args.township) {
        (Some(v), _) => Scope::Village(parse_code("--village", v)?),
        (None, Some(t)) => {
            let code = parse_code("--township", t)?;
            if code.level() != AdminLevel::Township {
                anyhow::bail!(
                    "--township {t} is not a township code (it must end in 000 but not 000000)"
                );
            }
            Scope::Township(code)
        }
        (None, None) => Scope::All,
    })
}

pub(crate) async fn run(db: &str, args: &PartitionArgs) -> anyhow::Result<Outcome> {
    let scope = scope(&args.villages)?;
    let sizes = size_request(&args.size);
    let bar = crate::progress::bar("partition", None);
    bar.set_message("partitioning");
    let outcome = with_store(db, OpenMode::Existing, async |store| {
        Ok(partition::partition(
            store.as_ref(),
            &Caller::Operator,
            &scope,
            &sizes,
            args.fresh,
        )
        .await?)
    })
    .await;
    bar.finish_and_clear();
    let outcome = outcome?;
    let p = &outcome.params;
    let sizes = match (&outcome.comprehensive_report, &p.comprehensive) {
        (Some(top), Some(c)) => {
            outln!("comprehensive grids (综治网格)\n{top}")?;
            outln!("micro-grids (微网格)\n{}", outcome.report)?;
            format!(
                "levels comprehensive:{}-{}@{},micro:{}-{}@{}",
                c.min, c.max, c.target, p.min, p.max, p.target
            )
        }
        _ => {
            outln!("{}", outcome.report)?;
            format!("sizes {}–{} (target {})", p.min, p.max, p.target)
        }
    };
    outln!(
        "{sizes} stored; change {} (gridmap undo {} reverts it)",
        outcome.change,
        outcome.change
    )?;
    let outside = outcome.outside_villages;
    if outside > 0 {
        outln!("{outside} buildings lie outside every village and belong to no grid")?;
    }
    for f in outcome.flags.iter().take(20) {
        outln!("flag: {f}")?;
    }
    if outcome.flags.len() > 20 {
        outln!("… and {} more flags", outcome.flags.len() - 20)?;
    }
    for (v, e) in &outcome.failures {
        eprintln!("village {v}: {e}");
    }
    if let Some(path) = &args.report_json {
        let json = serde_json::json!({
            "report": outcome.report,
            "comprehensive_report": outcome.comprehensive_report,
            "params": outcome.params,
            "change": outcome.change,
            "flags": outcome.flags,
            "failures": outcome.failures.iter().map(|(v, e)| serde_json::json!({"village": v, "error": e})).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_vec_pretty(&json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if outcome.failures.is_empty() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}

pub(crate) async fn validate(db: &str, args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let found = with_store(db, OpenMode::Existing, async |store| {
        Ok(partition::validate(store.as_ref(), &Caller::Operator).await?)
    })
    .await?;
    for v in &found.unpartitioned {
        outln!("{v}: village has buildings but no grids (run gridmap partition)")?;
    }
    for v in &found.violations {
        outln!("{v}")?;
    }
    for s in &found.staff_overloaded {
        outln!(
            "staff member {} ({}) serves {} households in {} grids, above the limit of {} (--max-staff-households)",
            s.id, s.name, s.households, s.grids, s.limit
        )?;
    }
    outln!(
        "{} grids checked, {} violations, {} staff members over the household limit",
        found.grids,
        found.violations.len(),
        found.staff_overloaded.len()
    )?;
    if let Some(path) = &args.report_json {
        let report = serde_json::json!({
            "violations": found.violations,
            "staff_overloaded": found.staff_overloaded,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(
        if found.violations.is_empty() && found.staff_overloaded.is_empty() {
            Outcome::Clean
        } else {
            Outcome::WithProblems
        },
    )
}
