//! `gridmap print village|grid CODE -o FILE.pdf`: the printouts of `gridmap_print`, made
//! by the service as the operator.

use super::{with_store, Outcome};
use crate::cli::{PrintArgs, PrintCommand};
use anyhow::Context;
use gridmap_print::{Paper, PrintFont, Supervision};
use gridmap_service::print::{PrintArea, PrintRequest, Printout};
use gridmap_service::Caller;
use gridmap_store::OpenMode;

pub(crate) async fn run(db: &str, cmd: PrintCommand) -> anyhow::Result<Outcome> {
    let (area, args) = match cmd {
        PrintCommand::Village(args) => {
            let code = args
                .code
                .parse()
                .map_err(|e| anyhow::anyhow!("village {:?}: {e}", args.code))?;
            (PrintArea::Village(code), args)
        }
        PrintCommand::Grid(args) => (
            PrintArea::Grid(gridmap_service::lookup::parse_grid_code(&args.code)?),
            args,
        ),
    };
    let request = request(area, &args)?;
    let font = PrintFont::find(args.font.as_deref())?;
    let pdf =
        with_store(db, OpenMode::Existing, async |store| {
            let snap = store.load_snapshot().await?;
            Ok(gridmap_service::print::print(
                store.as_ref(),
                &snap,
                &Caller::Operator,
                &font,
                &request,
            )
            .await?)
        })
        .await?;
    std::fs::write(&args.output, &pdf)
        .with_context(|| format!("writing {}", args.output.display()))?;
    outln!(
        "{} of {} written to {} ({} KB, font {})",
        request.what.as_str(),
        request.area,
        args.output.display(),
        pdf.len().div_ceil(1024),
        font.path().display()
    )?;
    Ok(Outcome::Clean)
}

/// The request the arguments describe, refused with the argument at fault.
pub(crate) fn request(area: PrintArea, args: &PrintArgs) -> anyhow::Result<PrintRequest> {
    let what: Printout = args
        .what
        .parse()
        .map_err(|e| anyhow::anyhow!("--what: {e}"))?;
    let paper: Paper = args
        .paper
        .parse()
        .map_err(|e| anyhow::anyhow!("--paper: {e}"))?;
    let supervision = args
        .supervision
        .iter()
        .map(|s| s.parse::<Supervision>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--supervision: {e}"))?;
    let now = gridmap_service::incidents::now();
    Ok(PrintRequest {
        area,
        what,
        paper,
        supervision,
        date: gridmap_core::time::rfc3339(now)[..10].to_owned(),
    })
}
