//! `gridmap partition` and `gridmap grids validate`.

use super::{open_store, partition_params, Outcome};
use crate::cli::{PartitionArgs, ValidateArgs};
use crate::pipeline::{self, Scope};
use anyhow::Context;
use gridmap_core::partition::validate_grids;
use gridmap_core::{AdminLevel, DivisionCode};
use std::collections::HashMap;

fn parse_code(flag: &str, code: &str) -> anyhow::Result<DivisionCode> {
    code.parse().with_context(|| format!("{flag} {code:?}"))
}

pub(crate) async fn run(db: &str, args: &PartitionArgs) -> anyhow::Result<Outcome> {
    let params = partition_params(&args.size)?;
    let scope = match (&args.village, &args.township) {
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
    };
    let store = open_store(db).await?;
    let outcome = pipeline::partition(&store, &scope, &params, args.fresh).await?;
    outln!("{}", outcome.report)?;
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
    let params = partition_params(&args.size)?;
    let store = open_store(db).await?;
    let units = store.admin_units().await?;
    let buildings = store.buildings().await?;
    let grids = store.grids().await?;
    let mut b_by_v: HashMap<&DivisionCode, Vec<_>> = HashMap::new();
    for b in &buildings {
        if let Some(v) = &b.village {
            b_by_v.entry(v).or_default().push(b);
        }
    }
    let mut g_by_v: HashMap<&DivisionCode, Vec<_>> = HashMap::new();
    for g in &grids {
        g_by_v.entry(&g.village).or_default().push(g.clone());
    }
    let mut violations = Vec::new();
    for v in units.iter().filter(|u| u.level == AdminLevel::Village) {
        let bs = b_by_v.get(&v.code).cloned().unwrap_or_default();
        let gs = g_by_v.get(&v.code).cloned().unwrap_or_default();
        if gs.is_empty() && !bs.is_empty() {
            outln!(
                "{}: village has buildings but no grids (run gridmap partition)",
                v.code
            )?;
        }
        violations.extend(validate_grids(v, &bs, &gs, &params));
    }
    for v in &violations {
        outln!("{v}")?;
    }
    outln!(
        "{} grids checked, {} violations",
        grids.len(),
        violations.len()
    )?;
    if let Some(path) = &args.report_json {
        std::fs::write(path, serde_json::to_vec_pretty(&violations)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if violations.is_empty() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}
