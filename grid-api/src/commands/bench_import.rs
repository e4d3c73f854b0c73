//! `gridmap bench import`: importing a building file the way a county office does
//! (`gridmap import buildings` on a GeoJSONSeq export, households estimated in the same
//! pass), timed as a whole process, against `ogr2ogr -f GPKG` on the same file when
//! gdal-bin is installed; then the same buildings as a Shapefile, a FlatGeobuf and a
//! GeoPackage (converted by ogr2ogr), each against GeoJSONSeq per feature and against ogr2ogr.
//! Each figure is the median of `--runs` runs into a fresh store.

use super::Outcome;
use crate::cli::BenchImportArgs;
use anyhow::Context;
use gridmap_synth::{synth_county, SynthParams};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Writes the buildings of a synthetic county as GeoJSONSeq with `id`, `levels`, `use`
/// and `height`; returns how many.
pub(crate) fn write_buildings(households: u32, path: &Path) -> anyhow::Result<usize> {
    let county = synth_county(&SynthParams::new(households, 1));
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for b in &county.buildings {
        // Written member by member so `type` comes first, as exporters write it (GDAL
        // sniffs a GeoJSONSeq file by its first bytes).
        let properties = serde_json::json!({ "levels": b.levels, "use": b.building_use.as_str(), "height": b.height });
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&b.footprint));
        write!(
            out,
            r#"{{"type":"Feature","id":{},"properties":{properties},"geometry":{}}}"#,
            serde_json::to_string(&b.source_id)?,
            serde_json::to_string(&geometry)?
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(county.buildings.len())
}

/// Seconds `command` takes to succeed.
pub(crate) fn timed(mut command: Command, what: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running {what}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        anyhow::bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(seconds)
}

/// The median of `runs` timings of `run(i)`.
fn median_of(
    runs: usize,
    mut run: impl FnMut(usize) -> anyhow::Result<f64>,
) -> anyhow::Result<f64> {
    let mut times = (0..runs.max(1))
        .map(&mut run)
        .collect::<anyhow::Result<Vec<f64>>>()?;
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Whether ogr2ogr (the reference importer) is installed; says how to install it if not.
pub(crate) fn has_ogr2ogr() -> anyhow::Result<bool> {
    let found = Command::new("ogr2ogr")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        outln!("ogr2ogr not found: install gdal-bin (apt-get install gdal-bin) to compare")?;
    }
    Ok(found)
}

pub(crate) fn run(args: &BenchImportArgs) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let file = dir.path().join("buildings.geojsonl");
    let n = write_buildings(args.households, &file)?;
    let mb = std::fs::metadata(&file)?.len() as f64 / 1_048_576.0;
    outln!(
        "{n} buildings as GeoJSONSeq ({mb:.0} MB); medians of {} runs",
        args.runs
    )?;

    let exe = std::env::current_exe().context("finding the gridmap executable")?;
    let ours = time_import(&exe, &file, args.runs, dir.path())?;
    outln!(
        "gridmap import buildings   {ours:6.2} s  ({:.0} buildings/s, households estimated)",
        n as f64 / ours
    )?;

    if !has_ogr2ogr()? {
        return Ok(Outcome::Clean);
    }
    let ogr = time_ogr2ogr(&file, args.runs, dir.path(), n)?;
    print_against_ogr2ogr("ogr2ogr -f GPKG", ogr, ours, n, Some(0.5))?;

    // The same buildings as the files offices send, converted by ogr2ogr: each read by
    // gridmap against GeoJSONSeq per feature, and against ogr2ogr reading it.
    for (format, extension) in [
        ("ESRI Shapefile", "shp"),
        ("FlatGeobuf", "fgb"),
        ("GPKG", "gpkg"),
    ] {
        let converted = dir.path().join(format!("buildings.{extension}"));
        let mut c = Command::new("ogr2ogr");
        c.args(["-f", format]).arg(&converted).arg(&file);
        timed(c, &format!("ogr2ogr -f {format:?}"))?;
        let ours_there = time_import(&exe, &converted, args.runs, dir.path())?;
        outln!(
            "gridmap import buildings .{extension:<3} {ours_there:6.2} s  ({:.0} buildings/s; {:.2}× the GeoJSONSeq time per feature, target ≤ 1)",
            n as f64 / ours_there,
            ours_there / ours
        )?;
        let ogr_there = time_ogr2ogr(&converted, args.runs, dir.path(), n)?;
        print_against_ogr2ogr(
            &format!("ogr2ogr -f GPKG (.{extension})"),
            ogr_there,
            ours_there,
            n,
            None,
        )?;
    }
    Ok(Outcome::Clean)
}

/// The median time of `gridmap import buildings FILE` into a fresh store.
fn time_import(exe: &Path, file: &Path, runs: usize, dir: &Path) -> anyhow::Result<f64> {
    median_of(runs, |i| {
        let db = dir.join(format!("run{i}.db"));
        let _ = std::fs::remove_file(&db);
        let mut c = Command::new(exe);
        c.arg("--db")
            .arg(&db)
            .args(["--quiet", "import", "buildings"])
            .arg(file);
        timed(c, "gridmap import buildings")
    })
}

/// The median time of `ogr2ogr -f GPKG` of `file`, checked to have written all `n`
/// features (a comparison only counts when it did).
fn time_ogr2ogr(file: &Path, runs: usize, dir: &Path, n: usize) -> anyhow::Result<f64> {
    let ogr = median_of(runs, |i| {
        let gpkg = dir.join(format!("run{i}.gpkg"));
        let _ = std::fs::remove_file(&gpkg);
        let mut c = Command::new("ogr2ogr");
        c.args(["-f", "GPKG"]).arg(&gpkg).arg(file);
        timed(c, "ogr2ogr -f GPKG")
    })?;
    let gpkg = dir.join("run0.gpkg");
    let info = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&gpkg)
        .output()?;
    let info = String::from_utf8_lossy(&info.stdout);
    let written: Option<usize> = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count:"))
        .and_then(|n| n.trim().parse().ok());
    if written != Some(n) {
        anyhow::bail!("ogr2ogr wrote {written:?} features of {n}: the comparison does not hold");
    }
    Ok(ogr)
}

/// Prints ogr2ogr's time for `n` features (as `label`) and gridmap's ratio to it, with
/// the issue's target when there is one.
pub(crate) fn print_against_ogr2ogr(
    label: &str,
    ogr: f64,
    ours: f64,
    n: usize,
    target: Option<f64>,
) -> anyhow::Result<()> {
    outln!(
        "{label:<29} {ogr:6.2} s  ({:.0} features/s)",
        n as f64 / ogr
    )?;
    let target = target.map_or_else(
        || "for reference".to_owned(),
        |t| format!("target ≤ {t:.2}"),
    );
    outln!(
        "ratio gridmap / ogr2ogr       {:6.2}  ({target})",
        ours / ogr
    )?;
    Ok(())
}
