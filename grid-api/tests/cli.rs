//! The `gridmap` command as a user runs it: imports of the committed samples, the
//! bad-input corpus leaving the store unchanged, and a crash mid-import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gridmap")
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn gridmap(db: &Path, args: &[&str]) -> Output {
    gridmap_to(db, &[], args, std::process::Stdio::piped())
}

fn gridmap_with_env(db: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    gridmap_to(db, env, args, std::process::Stdio::piped())
}

/// Runs gridmap with the environment `env` and standard output on `stdout`, capturing
/// stderr (and stdout when piped).
fn gridmap_to(
    db: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdout: std::process::Stdio,
) -> Output {
    Command::new(bin())
        .envs(env.iter().copied())
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("gridmap runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stats(db: &Path) -> serde_json::Value {
    let o = gridmap(db, &["stats", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("stats JSON")
}

#[test]
fn importing_kotka_twice_updates_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let kotka = repo().join("data/osm/kotka.osm.pbf");
    let first = gridmap(&db, &["import", "osm", kotka.to_str().unwrap()]);
    // Kotka has invalid footprints: they are reported (exit 1) and the rest imported.
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert!(
        text(&first).contains("rejected: kotka.osm.pbf"),
        "{}",
        text(&first)
    );
    let after_first = stats(&db);
    assert!(
        after_first["buildings"].as_u64().unwrap() > 2000,
        "{after_first}"
    );
    assert!(after_first["households_estimated"].as_u64().unwrap() > 0);
    let second = gridmap(&db, &["import", "osm", kotka.to_str().unwrap()]);
    assert!(text(&second).contains(" 0 new"), "{}", text(&second));
    assert_eq!(stats(&db), after_first);
}

#[test]
fn bad_input_is_reported_with_file_and_reason_and_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let seed = gridmap(&db, &["synth", "--households", "600", "--seed", "5"]);
    assert!(seed.status.success(), "{}", text(&seed));
    let before = stats(&db);
    let corpus = repo().join("tests/corpus");
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["import", "buildings"],
            "self_intersection.geojson",
            "self-intersect",
        ),
        (
            &["import", "buildings"],
            "wrong_field_type.geojson",
            "levels",
        ),
        (
            &["import", "buildings"],
            "out_of_range.geojson",
            "out of range",
        ),
        (
            &["import", "villages"],
            "village_without_code.geojson",
            "12 digits",
        ),
        (
            &["import", "buildings"],
            "truncated.geojson",
            "truncated.geojson",
        ),
        (&["import", "osm"], "truncated.osm.pbf", "truncated.osm.pbf"),
        (&["import", "households"], "latin1.csv", "latin1.csv"),
    ];
    for (command, file, needle) in cases {
        let path = corpus.join(file);
        // --strict: one bad record and nothing is imported.
        let mut args: Vec<&str> = command.to_vec();
        args.push(path.to_str().unwrap());
        args.push("--strict");
        let o = gridmap(&db, &args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{file} should fail under --strict: {}",
            text(&o)
        );
        let out = text(&o);
        assert!(
            out.contains(file),
            "{file}: output does not name the file:\n{out}"
        );
        assert!(
            out.to_lowercase().contains(&needle.to_lowercase()),
            "{file}: output should mention {needle:?}:\n{out}"
        );
        assert_eq!(
            stats(&db),
            before,
            "{file} changed the store under --strict"
        );
    }
    // Without --strict the valid records go in and only they: the store grows by exactly
    // what the report says was imported.
    let path = corpus.join("wrong_field_type.geojson");
    let o = gridmap(&db, &["import", "buildings", path.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "rejections give exit code 1: {}",
        text(&o)
    );
    let out = text(&o);
    let imported: u64 = out
        .split("imported ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no 'imported N' in {out}"));
    let after = stats(&db);
    assert_eq!(
        after["buildings"].as_u64().unwrap(),
        before["buildings"].as_u64().unwrap() + imported
    );
}

/// Runs `gridmap` with the fault-injection point `failpoint` armed: the process aborts
/// there as `kill -9` would stop it.
fn gridmap_killed_at(db: &Path, failpoint: &str, args: &[&str]) -> Output {
    gridmap_with_env(db, &[("GRIDMAP_FAILPOINT", failpoint)], args)
}

/// Runs `args` killed at `import:written` (every row written, nothing committed) and
/// asserts the failpoint fired and the store still has the statistics `as_it_was`.
fn assert_killed_before_commit(db: &Path, args: &[&str], as_it_was: &serde_json::Value) {
    let killed = gridmap_killed_at(db, "import:written", args);
    assert!(
        !killed.status.success(),
        "the failpoint fired: {}",
        text(&killed)
    );
    assert!(
        text(&killed).contains("failpoint import:written"),
        "{}",
        text(&killed)
    );
    assert_eq!(
        &stats(db),
        as_it_was,
        "a kill before the commit changed the store"
    );
}

#[test]
fn a_killed_import_leaves_the_store_as_it_was_or_complete_never_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let seed = ["synth", "--households", "500", "--seed", "1"];
    let more = ["synth", "--households", "3000", "--seed", "2"];
    // What a completed second import gives, in a store of its own.
    let reference = dir.path().join("ref.db");
    for args in [&seed, &more] {
        let o = gridmap(&reference, args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let complete = stats(&reference);

    let db = dir.path().join("c.db");
    assert!(gridmap(&db, &seed).status.success());
    let before = stats(&db);
    assert_ne!(before, complete);
    // Killed with every row written but nothing committed: the store is as it was.
    assert_killed_before_commit(&db, &more, &before);
    // Killed right after the commit, before the log is checkpointed: complete.
    let killed = gridmap_killed_at(&db, "import:committed", &more);
    assert!(!killed.status.success(), "{}", text(&killed));
    assert_eq!(
        stats(&db),
        complete,
        "a kill after the commit lost the import"
    );
}

#[test]
fn a_store_file_holds_every_commit_when_the_command_has_exited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let o = gridmap(&db, &["synth", "--households", "500"]);
    assert!(o.status.success(), "{}", text(&o));
    let wal = dir.path().join("w.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "committed data left in {}", wal.display());
    assert!(std::fs::metadata(&db).unwrap().len() > 100_000);
    // A consistent copy of a store, through the store.
    let copy = dir.path().join("copy.db");
    let o = gridmap(&db, &["backup", "-o", copy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stats(&copy), stats(&db));
    let again = gridmap(&db, &["backup", "-o", copy.to_str().unwrap()]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "a backup never overwrites: {}",
        text(&again)
    );
}

#[test]
fn read_commands_refuse_a_store_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("gridmpa.db");
    for args in [
        &["stats"][..],
        &["export", "grids", "-o", "/dev/null"],
        &["grids", "validate"],
    ] {
        let o = gridmap(&typo, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("there is no store"), "{}", text(&o));
        assert!(!typo.exists(), "{args:?} created an empty store");
    }
}

#[test]
fn synth_partition_validate_and_export_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    assert!(
        gridmap(&db, &["synth", "--households", "2000", "--seed", "9"])
            .status
            .success()
    );
    let report = dir.path().join("report.json");
    let p = gridmap(
        &db,
        &[
            "partition",
            "--all",
            "--max-staff-households",
            "90",
            "--report-json",
            report.to_str().unwrap(),
        ],
    );
    assert!(p.status.success(), "{}", text(&p));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    // The staff limit is stored with the sizes.
    assert_eq!(json["params"]["max_staff_households"], 90, "{json}");
    let grids = json["report"]["grids"].as_u64().unwrap();
    assert!(grids >= 2000 / 50, "{json}");
    assert_eq!(stats(&db)["grids"].as_u64(), Some(grids));
    let v = gridmap(&db, &["grids", "validate"]);
    assert!(
        v.status.success(),
        "violations on a fresh partition:\n{}",
        text(&v)
    );
    // A limit below every grid's size: each staff member with a grid is over it, a soft
    // rule the validator lists (and exits 1 for, as for any violation).
    let low = gridmap(&db, &["partition", "--all", "--max-staff-households", "20"]);
    assert!(low.status.success(), "{}", text(&low));
    let report = dir.path().join("validate.json");
    let v = gridmap(
        &db,
        &[
            "grids",
            "validate",
            "--report-json",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("above the limit of 20"), "{}", text(&v));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let over = json["staff_overloaded"].as_array().unwrap();
    assert!(!over.is_empty(), "{json}");
    assert!(
        over.iter().all(|s| s["households"].as_u64().unwrap() > 20),
        "{json}"
    );
    assert!(json["violations"].as_array().unwrap().is_empty(), "{json}");
    let back = gridmap(&db, &["partition", "--all", "--max-staff-households", "90"]);
    assert!(back.status.success(), "{}", text(&back));
    let out = dir.path().join("grids.geojson");
    let e = gridmap(&db, &["export", "grids", "-o", out.to_str().unwrap()]);
    assert!(e.status.success(), "{}", text(&e));
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, grids);
    let props = &features[0]["properties"];
    for key in [
        "code",
        "village",
        "village_name",
        "households",
        "buildings",
        "staff_id",
        "staff_name",
    ] {
        assert!(props.get(key).is_some(), "{key} missing in {props}");
    }
    assert!(!String::from_utf8_lossy(&std::fs::read(&out).unwrap()).contains("phone"));
    // The other formats, chosen by the extension; one village; the roster.
    let first_village = features[0]["properties"]["village"].as_str().unwrap();
    let in_village = features
        .iter()
        .filter(|f| f["properties"]["village"] == first_village)
        .count();
    let fgb = dir.path().join("grids.fgb");
    let e = gridmap(&db, &["export", "grids", "-o", fgb.to_str().unwrap()]);
    assert!(e.status.success(), "{}", text(&e));
    assert!(std::fs::read(&fgb).unwrap().starts_with(b"fgb\x03"));
    let shp = dir.path().join("one.shp");
    let args = [
        "export",
        "grids",
        "-o",
        shp.to_str().unwrap(),
        "--encoding",
        "gbk",
    ];
    let e = gridmap(&db, &[&args[..], &["--village", first_village]].concat());
    assert!(e.status.success(), "{}", text(&e));
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        assert!(shp.with_extension(ext).exists(), "no .{ext}");
    }
    assert_eq!(
        std::fs::read_to_string(shp.with_extension("cpg")).unwrap(),
        "936"
    );
    assert!(
        text(&e).contains(&format!("wrote {in_village} grids")),
        "{}",
        text(&e)
    );
    let roster = dir.path().join("roster.csv");
    let e = gridmap(&db, &["export", "roster", "-o", roster.to_str().unwrap()]);
    assert!(e.status.success(), "{}", text(&e));
    let rows = std::fs::read_to_string(&roster).unwrap().lines().count();
    assert_eq!(rows as u64, grids + 1, "a header and one row per grid");
    let kml = dir.path().join("grids.kml");
    let e = gridmap(&db, &["export", "grids", "-o", kml.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
    assert!(
        text(&e).contains(".fgb") && text(&e).contains("--format"),
        "{}",
        text(&e)
    );
    // Re-running one village keeps every other village's grids as they were.
    let village = &features[0]["properties"]["village"]
        .as_str()
        .unwrap()
        .to_owned();
    let others_before: Vec<_> = features
        .iter()
        .filter(|f| f["properties"]["village"] != *village)
        .cloned()
        .collect();
    let r = gridmap(&db, &["partition", "--village", village]);
    assert!(r.status.success(), "{}", text(&r));
    assert!(
        gridmap(&db, &["export", "grids", "-o", out.to_str().unwrap()])
            .status
            .success()
    );
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let others_after: Vec<_> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["village"] != *village)
        .cloned()
        .collect();
    assert_eq!(others_before, others_after);
}

#[test]
fn errors_tell_the_user_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let o = gridmap(&db, &["import", "osm", "/nonexistent/file.osm.pbf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("/nonexistent/file.osm.pbf"),
        "{}",
        text(&o)
    );
    let o = gridmap(&db, &["partition", "--all"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("create one with gridmap import or gridmap synth"),
        "{}",
        text(&o)
    );
    let o = gridmap(
        &db,
        &[
            "import",
            "staff",
            repo().join("tests/corpus/latin1.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let csv = dir.path().join("staff.csv");
    std::fs::write(
        &csv,
        "id,name,phone,role,area,grids\ns1,张伟,13800000000,grid_staff,,\n",
    )
    .unwrap();
    let o = gridmap(&db, &["import", "staff", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = gridmap(&db, &["partition", "--all"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("import village boundaries first"),
        "{}",
        text(&o)
    );
    let o = gridmap(&db, &["partition", "--min", "60", "--max", "50"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--min 60"), "{}", text(&o));
    let o = gridmap(&db, &["partition", "--max-staff-households", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--max-staff-households must be at least 1"),
        "{}",
        text(&o)
    );
}

#[test]
fn output_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipe.db");
    assert!(gridmap(&db, &["synth", "--households", "200"])
        .status
        .success());
    for args in [&["stats", "--json"][..], &["stats"][..]] {
        // The read end is closed before gridmap starts: its first write gets EPIPE,
        // whatever the timing, as in `gridmap stats --json | true`.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = gridmap_to(&db, &[], args, writer.into());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.is_empty(),
            "{args:?}: a closed pipe is no error: {stderr}"
        );
    }
}

#[test]
fn output_onto_a_full_disk_is_an_error_naming_what_was_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("full.db");
    let seed = gridmap(&db, &["synth", "--households", "300", "--seed", "3"]);
    assert!(seed.status.success(), "{}", text(&seed));
    for (args, command) in [
        (&["partition", "--all"][..], "gridmap partition"),
        (&["stats", "--json"][..], "gridmap stats"),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let o = gridmap_to(&db, &[], args, full.into());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(command) && stderr.contains("standard output"),
            "{args:?}: the error should name the output of {command}: {stderr}"
        );
    }
}

/// A FeatureCollection of `n` square buildings in a row; `id(i)` gives the feature `id`
/// member (none when `None`) and `levels(i)` the floors.
fn buildings_geojson(
    n: usize,
    id: impl Fn(usize) -> Option<String>,
    levels: impl Fn(usize) -> u32,
) -> String {
    let features: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (x, y, s) = (114.6 + i as f64 * 3e-4, 33.8, 1e-4);
            let mut f = serde_json::json!({
                "type": "Feature",
                "properties": {"levels": levels(i)},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]},
            });
            if let Some(id) = id(i) {
                f["id"] = id.into();
            }
            f
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

#[test]
fn reimporting_buildings_under_another_file_name_does_not_duplicate_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let import = |name: &str, body: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let mut args = vec!["import", "buildings", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        gridmap(&db, &args)
    };
    let buildings = |db: &Path| stats(db)["buildings"].as_u64().unwrap();

    // With feature ids: the update under another name updates by id.
    let with_ids = |levels: u32| {
        buildings_geojson(
            10,
            |i| Some(format!("bldg-{i}")),
            move |i| if i == 3 { levels } else { 2 },
        )
    };
    let a = import("a.geojson", &with_ids(2), &[]);
    assert!(a.status.success(), "{}", text(&a));
    assert_eq!(buildings(&db), 10);
    let b = import("b.geojson", &with_ids(5), &[]);
    assert!(b.status.success(), "{}", text(&b));
    assert!(text(&b).contains(" 0 new"), "{}", text(&b));
    assert_eq!(buildings(&db), 10, "{}", text(&b));

    // Without ids the source ids are `<file>#<index>`: the same footprints under another
    // name are refused, naming the ways out …
    let no_ids = buildings_geojson(8, |_| None, |_| 3);
    let db = dir.path().join("s.db");
    let import = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, &no_ids).unwrap();
        let mut args = vec!["import", "buildings", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        gridmap(&db, &args)
    };
    assert!(import("first.geojson", &[]).status.success());
    assert_eq!(buildings(&db), 8);
    let again = import("second.geojson", &[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        text(&again).contains("--id-field") && text(&again).contains("--replace"),
        "{}",
        text(&again)
    );
    assert_eq!(buildings(&db), 8, "a refused import changes nothing");
    // … and with --replace the new file's buildings take the place of the stored ones.
    let replaced = import("second.geojson", &["--replace"]);
    assert!(replaced.status.success(), "{}", text(&replaced));
    assert_eq!(buildings(&db), 8, "{}", text(&replaced));
    let export = dir.path().join("buildings.geojson");
    let e = gridmap(
        &db,
        &["export", "buildings", "-o", export.to_str().unwrap()],
    );
    assert!(e.status.success(), "{}", text(&e));
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(
        exported.contains("second.geojson#0") && !exported.contains("first.geojson#"),
        "the stored buildings are the replacing ones"
    );
}

/// Every building's household count and where it came from, by id.
fn household_counts(db: &Path) -> std::collections::BTreeMap<String, (u32, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = gridmap_store::open(db.to_str().unwrap(), gridmap_store::OpenMode::Existing)
            .await
            .unwrap();
        store
            .buildings()
            .await
            .unwrap()
            .into_iter()
            .map(|b| {
                let source = b.households.source.as_str().to_owned();
                (b.source_id, (b.households.count, source))
            })
            .collect()
    })
}

#[test]
fn exported_buildings_imported_again_keep_their_household_counts_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.db");
    let synth = gridmap(&first, &["synth", "--households", "300", "--seed", "5"]);
    assert!(synth.status.success(), "{}", text(&synth));
    // Footprints without counts, estimated on import.
    let surveyed = dir.path().join("surveyed.geojson");
    let body = buildings_geojson(4, |i| Some(format!("survey/{i}")), |i| 1 + i as u32);
    std::fs::write(&surveyed, body).unwrap();
    let s = gridmap(&first, &["import", "buildings", surveyed.to_str().unwrap()]);
    assert!(s.status.success(), "{}", text(&s));
    let export = dir.path().join("buildings.geojson");
    let e = gridmap(
        &first,
        &["export", "buildings", "-o", export.to_str().unwrap()],
    );
    assert!(e.status.success(), "{}", text(&e));
    let again = dir.path().join("again.db");
    let i = gridmap(&again, &["import", "buildings", export.to_str().unwrap()]);
    assert!(i.status.success(), "{}", text(&i));

    let before = household_counts(&first);
    let after = household_counts(&again);
    let sources: std::collections::BTreeSet<&str> =
        before.values().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        sources,
        ["estimated", "none", "registered"].into(),
        "the county has counts of every kind"
    );
    // The register is not in the file: its counts come back as given, the estimates as
    // estimates and buildings without a count without one.
    assert_eq!(before.len(), after.len());
    let changed: Vec<_> = before
        .iter()
        .filter(|(id, counted)| after.get(*id) != Some(counted))
        .map(|(id, counted)| (id, counted, after.get(id)))
        .collect();
    assert!(
        changed.is_empty(),
        "{} changed, e.g. {:?}",
        changed.len(),
        &changed[..changed.len().min(3)]
    );
}

#[test]
fn history_lists_changes_newest_first_and_undo_reverts_a_partition_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    assert!(
        gridmap(&db, &["synth", "--households", "800", "--seed", "4"])
            .status
            .success()
    );
    assert!(gridmap(&db, &["partition", "--all"]).status.success());
    let grids_before = stats(&db)["grids"].clone();
    let run = gridmap(
        &db,
        &[
            "partition",
            "--all",
            "--min",
            "15",
            "--max",
            "25",
            "--target",
            "20",
        ],
    );
    assert!(run.status.success(), "{}", text(&run));
    assert_ne!(
        stats(&db)["grids"],
        grids_before,
        "smaller grids, more of them"
    );

    let history = gridmap(&db, &["history", "--limit", "4"]);
    assert!(history.status.success(), "{}", text(&history));
    let out = String::from_utf8_lossy(&history.stdout).to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    // Newest first: the second run, the first run, the synth's cameras and its import
    // (synth buildings know their village, so no assignment was logged).
    assert!(lines[0].contains("partition all villages"), "{out}");
    assert!(lines[1].contains("partition all villages"), "{out}");
    assert!(lines[2].contains("import cameras"), "{out}");
    assert!(lines[3].contains("import synth"), "{out}");
    let id = lines[0].split_whitespace().next().unwrap();
    let undo = gridmap(&db, &["undo", id]);
    assert!(undo.status.success(), "{}", text(&undo));
    assert_eq!(
        stats(&db)["grids"],
        grids_before,
        "the earlier grids are back"
    );
    // ... with the sizes they were made with: the validator finds nothing.
    let v = gridmap(&db, &["grids", "validate"]);
    assert!(v.status.success(), "{}", text(&v));
    let again = gridmap(&db, &["undo", id]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        text(&again).contains("undo the later changes first"),
        "{}",
        text(&again)
    );
}

#[test]
fn incidents_import_through_a_category_map_and_a_bad_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let csv = dir.path().join("inc.csv");
    let map = dir.path().join("map.csv");
    std::fs::write(
        &csv,
        "id,time,category,lon,lat\nA1,2026-04-01 09:00,乱扔垃圾,114.6,33.8\nA2,2026-04-01 10:00,外星人,114.6,33.8\nA3,2026-04-01 11:00,消防隐患,114.6,33.8\nA4,yesterday,消防隐患,114.6,33.8\n",
    )
    .unwrap();
    std::fs::write(&map, "source,type\n乱扔垃圾,environment.garbage\n").unwrap();
    let out = gridmap(
        &db,
        &[
            "import",
            "incidents",
            csv.to_str().unwrap(),
            "--category-map",
            map.to_str().unwrap(),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("A2") && t.contains("外星人"), "{t}");
    assert!(t.contains("A4") && t.contains("yesterday"), "{t}");
    assert!(t.contains("2 new"), "{t}");
    let bad_map = dir.path().join("bad.csv");
    std::fs::write(&bad_map, "乱扔垃圾,environment.nothing\n").unwrap();
    let out = gridmap(
        &db,
        &[
            "import",
            "incidents",
            csv.to_str().unwrap(),
            "--category-map",
            bad_map.to_str().unwrap(),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("line 1") && t.contains("environment.nothing"),
        "{t}"
    );
}

#[test]
fn incidents_import_from_geojson_points_and_a_bad_feature_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let file = dir.path().join("hotline.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","id":"H1","properties":{"time":"2026-04-01 09:00","category":"消防隐患","description":"楼道堆物"},"geometry":{"type":"Point","coordinates":[114.6,33.8]}},
  {"type":"Feature","id":"H2","properties":{"time":1775000000,"category":"environment.garbage"},"geometry":{"type":"Point","coordinates":[114.61,33.81]}},
  {"type":"Feature","id":"H3","properties":{"time":"2026-04-01 09:00","category":"消防隐患"},"geometry":{"type":"LineString","coordinates":[[114.6,33.8],[114.7,33.9]]}}]}"#,
    )
    .unwrap();
    let out = gridmap(&db, &["import", "incidents", file.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("H3") && t.contains("not a Point"), "{t}");
    assert!(t.contains("2 new"), "{t}");
}

/// A scratch PostGIS database for one test (dropped when the guard goes).
fn scratch_database() -> gridmap_store::scratch::ScratchDatabase {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(gridmap_store::scratch::ScratchDatabase::create())
        .expect("a PostgreSQL server with PostGIS for the tests (GRIDMAP_TEST_POSTGRES)")
}

#[test]
fn the_commands_work_on_a_postgis_database_as_on_a_file() {
    let scratch = scratch_database();
    let pg = Path::new(&scratch.url);
    // An empty database is not read as an empty store; `migrate` sets it up.
    let o = gridmap(pg, &["stats"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("gridmap migrate"), "{}", text(&o));
    let o = gridmap(pg, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("schema up to date"), "{}", text(&o));
    let empty = stats(pg);

    // Killed with every row of a first import copied straight into the empty tables and
    // nothing committed: the store is as empty as it was.
    let first = ["synth", "--households", "1500", "--seed", "9"];
    assert_killed_before_commit(pg, &first, &empty);

    // The same county and partition on both stores give the same counts.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("same.db");
    for db in [pg, file.as_path()] {
        for args in [&first[..], &["partition", "--all"][..]] {
            let o = gridmap(db, args);
            assert!(o.status.success(), "{}: {}", db.display(), text(&o));
        }
    }
    let counted = stats(pg);
    assert_eq!(counted, stats(&file));
    assert!(counted["grids"].as_u64().unwrap() >= 1500 / 50, "{counted}");
    let v = gridmap(pg, &["grids", "validate"]);
    assert!(v.status.success(), "{}", text(&v));

    // Killed with every row written and nothing committed: the store is as it was.
    let more = ["synth", "--households", "600", "--seed", "2"];
    assert_killed_before_commit(pg, &more, &counted);

    // History and undo: the undone partition leaves no grids.
    let history = gridmap(pg, &["history", "--limit", "1"]);
    let out = String::from_utf8_lossy(&history.stdout).to_string();
    assert!(out.contains("partition all villages"), "{out}");
    let id = out.split_whitespace().next().unwrap();
    let undo = gridmap(pg, &["undo", id]);
    assert!(undo.status.success(), "{}", text(&undo));
    assert_eq!(stats(pg)["grids"], 0);

    // A read replica must be a PostGIS database too.
    let o = gridmap(pg, &["--db-read", file.to_str().unwrap(), "stats"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("replicas are for the PostGIS store"),
        "{}",
        text(&o)
    );

    // A backup is pg_dump's custom format; it never overwrites.
    let copy = dir.path().join("county.dump");
    let o = gridmap(pg, &["backup", "-o", copy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&copy).unwrap().starts_with(b"PGDMP"));
    let again = gridmap(pg, &["backup", "-o", copy.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

#[test]
fn a_postgres_url_that_cannot_be_used_says_why_and_what_to_do() {
    let scratch = scratch_database();
    let missing = format!("{}_missing", scratch.url);
    let cases = [
        (
            "postgres://postgres@127.0.0.1:1/gridmap".to_owned(),
            "nothing accepts connections at that host and port: start PostgreSQL",
        ),
        (missing, "does not exist: create it (createdb NAME)"),
        (
            "postgres://postgres@[bad/gridmap".to_owned(),
            "the URL is not valid",
        ),
    ];
    for (url, says) in cases {
        let o = gridmap(Path::new(&url), &["stats"]);
        assert_eq!(o.status.code(), Some(2), "{url}: {}", text(&o));
        let message = text(&o);
        assert!(message.contains(says), "{url}: {message}");
        // Each cause once: database drivers repeat their source in their own text.
        let last = message.trim().rsplit(": ").next().unwrap();
        assert_eq!(message.matches(last).count(), 1, "{message}");
    }
}

#[test]
fn a_connection_lost_in_the_middle_of_an_import_leaves_the_store_as_it_was() {
    let scratch = scratch_database();
    let pg = Path::new(&scratch.url);
    let o = gridmap(pg, &["synth", "--households", "600", "--seed", "4"]);
    assert!(o.status.success(), "{}", text(&o));
    let counted = stats(pg);

    // A second import, whose connection the server ends once the write transaction has
    // written something (the database restarting, a DBA's pg_terminate_backend).
    let import = Command::new(bin())
        .args([
            "--db",
            &scratch.url,
            "--quiet",
            "synth",
            "--households",
            "6000",
            "--seed",
            "5",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let database = scratch.url.rsplit('/').next().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let terminated = runtime.block_on(async {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&scratch.url)
            .await
            .unwrap();
        // Waits for the write, however fast or slow the machine; the import cannot end
        // before it, as it commits only after writing.
        loop {
            let ended: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1 AND application_name = 'gridmap' AND backend_xid IS NOT NULL",
            )
            .bind(&database)
            .fetch_all(&mut admin)
            .await
            .unwrap();
            if ended.contains(&true) {
                break true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    });
    assert!(terminated);
    let o = import.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let message = text(&o);
    assert!(
        message.contains("the connection to the database was lost")
            && message.contains("rolled back"),
        "the message says the connection ended and nothing was kept: {message}"
    );
    assert_eq!(stats(pg), counted, "nothing of the lost import was kept");
}

#[test]
fn accounts_are_managed_from_the_command_line_and_every_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let made = gridmap(&db, &["synth", "--households", "300", "--seed", "3"]);
    assert!(made.status.success(), "{}", text(&made));

    let add = gridmap(
        &db,
        &[
            "user",
            "add",
            "wang",
            "--role",
            "staff",
            "--scope",
            "411622101",
        ],
    );
    assert!(add.status.success(), "{}", text(&add));
    let out = String::from_utf8_lossy(&add.stdout).to_string();
    let password = out.lines().last().unwrap().trim().to_owned();
    assert_eq!(password.len(), 16, "a made password is shown once: {out}");
    assert!(!text(&add).contains("$argon2"), "never the hash");

    let again = gridmap(
        &db,
        &[
            "user", "add", "wang", "--role", "staff", "--scope", "411622",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("choose another"), "{}", text(&again));
    let bad_scope = gridmap(
        &db,
        &["user", "add", "li", "--role", "staff", "--scope", "4116"],
    );
    assert!(
        bad_scope.status.success(),
        "a city prefix is a scope: {}",
        text(&bad_scope)
    );
    let bad_scope = gridmap(
        &db,
        &["user", "add", "zhou", "--role", "staff", "--scope", "41162"],
    );
    assert_eq!(bad_scope.status.code(), Some(2));
    assert!(
        text(&bad_scope).contains("grids:CODE"),
        "{}",
        text(&bad_scope)
    );
    let short = Command::new(bin())
        .args([
            "--db",
            db.to_str().unwrap(),
            "user",
            "passwd",
            "wang",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"short\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    assert!(
        text(&short).contains("at least 10 characters"),
        "{}",
        text(&short)
    );

    let token = gridmap(
        &db,
        &[
            "user",
            "token",
            "wang",
            "--label",
            "phone",
            "--expires-days",
            "7",
        ],
    );
    assert!(token.status.success(), "{}", text(&token));
    let secret = String::from_utf8_lossy(&token.stdout)
        .lines()
        .find(|l| l.starts_with("gm_"))
        .expect("the token is printed")
        .to_owned();
    let tokens = gridmap(&db, &["user", "tokens", "wang"]);
    let listed = String::from_utf8_lossy(&tokens.stdout).to_string();
    assert!(
        listed.contains("valid") && listed.contains("phone"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "a token is shown only when made");
    let id = listed.split_whitespace().next().unwrap().to_owned();
    let revoke = gridmap(&db, &["user", "revoke", "wang", &id]);
    assert!(revoke.status.success(), "{}", text(&revoke));
    let listed =
        String::from_utf8_lossy(&gridmap(&db, &["user", "tokens", "wang"]).stdout).to_string();
    assert!(listed.contains("revoked"), "{listed}");

    let disable = gridmap(&db, &["user", "disable", "wang"]);
    assert!(disable.status.success(), "{}", text(&disable));
    let list = String::from_utf8_lossy(&gridmap(&db, &["user", "list"]).stdout).to_string();
    assert!(
        list.lines()
            .any(|l| l.starts_with("wang") && l.contains("disabled")),
        "{list}"
    );

    let audit = gridmap(&db, &["audit", "--actor", "cli", "--json"]);
    assert!(audit.status.success(), "{}", text(&audit));
    let actions: Vec<String> = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        actions,
        [
            "change account",
            "revoke credential",
            "issue token",
            "add account",
            "add account",
            "write",
            "write"
        ],
        "newest first: the disable, the revocation, the token, two accounts, the synth's cameras and import"
    );
    let audit_text = String::from_utf8_lossy(&audit.stdout);
    assert!(!audit_text.contains(&password) && !audit_text.contains(&secret));
}

/// A FeatureCollection of one village whose boundary is a circle of `vertices` vertices.
fn round_village_geojson(vertices: usize) -> String {
    let ring: Vec<[f64; 2]> = (0..=vertices)
        .map(|i| {
            let a = (i % vertices) as f64 / vertices as f64 * std::f64::consts::TAU;
            [114.6 + 0.01 * a.cos(), 33.8 + 0.01 * a.sin()]
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "round",
        "properties": {"code": "411622101201", "name": "圆村"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }]})
    .to_string()
}

#[test]
fn a_polygon_of_100k_vertices_imports_and_one_above_max_vertices_is_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let file = dir.path().join("round.geojson");
    std::fs::write(&file, round_village_geojson(100_000)).unwrap();
    let file = file.to_str().unwrap();

    let limited = gridmap(&db, &["import", "villages", file, "--max-vertices", "1000"]);
    let t = text(&limited);
    assert_eq!(limited.status.code(), Some(1), "{t}");
    assert!(
        t.contains(
            "round.geojson: round (feature 0): 100001 vertices, more than the limit of 1000"
        ) && t.contains("--max-vertices"),
        "{t}"
    );

    let imported = gridmap(&db, &["import", "villages", file]);
    assert!(imported.status.success(), "{}", text(&imported));
    assert_eq!(stats(&db)["villages"], 1);
}

#[test]
fn import_help_says_what_max_vertices_is_for() {
    for command in ["villages", "buildings", "osm"] {
        let o = Command::new(bin())
            .args(["import", command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(
            help.contains("--max-vertices <N>") && help.contains("absurd or corrupt geometries"),
            "{command}: {help}"
        );
    }
}

#[test]
fn an_empty_file_is_refused_naming_it_for_every_importer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    let cases: [(&str, &str, &[u8]); 10] = [
        ("households", "register.csv", b""),
        ("households", "blank.csv", b"\n\n"),
        ("households", "register.xlsx", b""),
        ("staff", "staff.csv", b""),
        ("incidents", "incidents.csv", b""),
        ("incidents", "hotline.geojson", b""),
        ("villages", "villages.geojson", b""),
        ("buildings", "buildings.geojsonl", b""),
        ("buildings", "buildings.geojson", b""),
        ("osm", "county.osm.pbf", b""),
    ];
    for (command, name, body) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        let o = gridmap(&db, &["import", command, file.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{command} {name}: {t}");
        assert!(
            t.contains(name) && t.contains("the file is empty"),
            "{command} {name}: {t}"
        );
        assert!(
            !db.exists(),
            "{command} {name}: a refused file writes nothing"
        );
    }
}

#[test]
fn a_gbk_shapefile_is_imported_and_a_file_of_another_kind_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let county = dir.path().join("county.db");
    for args in [
        &["synth", "--households", "1500", "--seed", "4"][..],
        &["partition", "--all"],
    ] {
        let o = gridmap(&county, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
    // The grids as a GBK Shapefile (.cpg 936), as ArcGIS in a Chinese locale writes it,
    // read back as footprints into another store.
    let shp = dir.path().join("grids.shp");
    let o = gridmap(
        &county,
        &[
            "export",
            "grids",
            "-o",
            shp.to_str().unwrap(),
            "--encoding",
            "gbk",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let db = dir.path().join("from-shapefile.db");
    let o = gridmap(&db, &["import", "buildings", shp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stats(&db)["buildings"], stats(&county)["grids"]);

    let never = dir.path().join("never.db");
    let workbook = dir.path().join("村界.xlsx");
    std::fs::write(&workbook, b"PK\x03\x04 a workbook").unwrap();
    let cases = [
        ("villages", workbook.clone(), "ZIP archive"),
        (
            "buildings",
            shp.with_extension("dbf"),
            "part of a Shapefile",
        ),
    ];
    for (command, file, named) in cases {
        let o = gridmap(&never, &["import", command, file.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert!(t.contains(named) && !t.contains("invalid GeoJSON"), "{t}");
    }
    let o = gridmap(
        &never,
        &[
            "import",
            "villages",
            workbook.to_str().unwrap(),
            "--format",
            "shapefile",
        ],
    );
    assert!(text(&o).contains("--format shapefile, but"), "{}", text(&o));
    assert!(!never.exists(), "a refused file writes nothing");
}

#[test]
fn a_column_or_property_the_file_does_not_have_is_refused_listing_what_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    let register = dir.path().join("register.csv");
    std::fs::write(&register, "id,building,户主\nH1,b/1,张伟\n").unwrap();
    let register = register.to_str().unwrap();
    let staff = dir.path().join("staff.csv");
    std::fs::write(&staff, "id,name\nS1,王芳\n").unwrap();
    let staff = staff.to_str().unwrap();
    let incidents = dir.path().join("incidents.csv");
    std::fs::write(
        &incidents,
        "id,time,category,lon,lat\nE1,1775000000,x,114.6,33.8\n",
    )
    .unwrap();
    let incidents = incidents.to_str().unwrap();
    let villages = dir.path().join("villages.geojson");
    std::fs::write(&villages, round_village_geojson(16)).unwrap();
    let villages = villages.to_str().unwrap();
    let buildings = dir.path().join("buildings.geojson");
    std::fs::write(&buildings, buildings_geojson(2, |_| None, |_| 2)).unwrap();
    let buildings = buildings.to_str().unwrap();

    let cases: [(&[&str], &[&str]); 9] = [
        (
            &["households", register, "--column", "head=户主X"],
            &["head=户主X", "id,building,户主"],
        ),
        (
            &["households", register, "--column", "hed=户主"],
            &["\"hed\"", "head"],
        ),
        (
            &["staff", staff, "--column", "phone=电话"],
            &["phone=电话", "id,name"],
        ),
        (
            &["incidents", incidents, "--column", "grid=网格"],
            &["grid=网格", "id,time,category,lon,lat"],
        ),
        (
            &["villages", villages, "--code-field", "CODE"],
            &["--code-field", "\"CODE\"", "code, name"],
        ),
        (
            &["villages", villages, "--name-field", "NAME"],
            &["--name-field", "\"NAME\""],
        ),
        (
            &["buildings", buildings, "--levels-field", "floors"],
            &["--levels-field", "\"floors\"", "levels"],
        ),
        (
            &["buildings", buildings, "--households-field", "hh"],
            &["--households-field", "\"hh\""],
        ),
        (
            &["buildings", buildings, "--id-field", "fid"],
            &["--id-field", "\"fid\""],
        ),
    ];
    for (args, needles) in cases {
        let mut full = vec!["import"];
        full.extend_from_slice(args);
        let o = gridmap(&db, &full);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        for needle in needles {
            assert!(t.contains(needle), "{args:?}: no {needle:?} in {t}");
        }
        assert!(!db.exists(), "{args:?}: a refused file writes nothing");
    }
    // Named properties that exist are read; one named for the other kind is not checked.
    let o = gridmap(
        &db,
        &[
            "import",
            "buildings",
            buildings,
            "--levels-field",
            "levels",
            "--code-field",
            "X",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn an_import_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let corpus = repo().join("tests/corpus");
    for (command, file, message) in [
        ("osm", "truncated.osm.pbf", "invalid OpenStreetMap PBF file"),
        ("households", "latin1.csv", "is not valid UTF-8"),
        ("buildings", "truncated.geojson", "invalid GeoJSON"),
    ] {
        let path = corpus.join(file);
        let o = gridmap(&db, &["import", command, path.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{t}");
        assert_eq!(t.matches(message).count(), 1, "{file}: {t}");
    }
}

#[test]
fn register_rows_naming_unknown_buildings_are_counted_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    let buildings = dir.path().join("b.geojson");
    std::fs::write(
        &buildings,
        buildings_geojson(2, |i| Some(format!("b{i}")), |_| 2),
    )
    .unwrap();
    let o = gridmap(&db, &["import", "buildings", buildings.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let register = dir.path().join("register.csv");
    std::fs::write(
        &register,
        "id,building,head,phone\nH1,b0,张伟,13800000001\nH2,nowhere,李娜,13800000002\nH3,b1,王芳,13800000003\nH4,gone,刘洋,13800000004\n",
    )
    .unwrap();
    let o = gridmap(&db, &["import", "households", register.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains(
            "warning: 2 register rows name a building that is not in the store (households H2, H4)"
        ),
        "{t}"
    );
    for personal in ["李娜", "刘洋", "13800000002", "13800000004"] {
        assert!(!t.contains(personal), "personal data {personal:?} in {t}");
    }
    assert_eq!(stats(&db)["register_rows"], 4, "the rows are kept");
}

/// Runs gridmap without `--quiet` unless `quiet`, with `GRIDMAP_LOG` unset.
fn gridmap_logging(db: &Path, quiet: bool, args: &[&str]) -> Output {
    let mut command = Command::new(bin());
    command.env_remove("GRIDMAP_LOG").arg("--db").arg(db);
    if quiet {
        command.arg("-q");
    }
    command.args(args).output().expect("gridmap runs")
}

#[test]
fn quiet_leaves_only_warnings_and_logs_into_a_pipe_have_no_colours() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let staff = dir.path().join("staff.csv");
    std::fs::write(&staff, "id,name\nS1,王芳\n").unwrap();
    let staff = staff.to_str().unwrap();
    let loud = gridmap_logging(&db, false, &["import", "staff", staff]);
    let stderr = String::from_utf8_lossy(&loud.stderr);
    assert!(loud.status.success(), "{stderr}");
    assert!(
        stderr.contains("INFO"),
        "without -q INFO lines show: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes in a pipe: {stderr:?}"
    );
    let quiet = gridmap_logging(&db, true, &["import", "staff", staff]);
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success(), "{stderr}");
    assert!(!stderr.contains("INFO"), "-q hides INFO lines: {stderr}");
}

#[test]
fn the_demo_refuses_to_serve_beyond_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = gridmap(&db, &["demo", "--households", "200", "--bind", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("only this machine"), "{}", text(&out));
    assert!(!db.exists(), "refused before writing anything");
}

#[test]
fn staff_report_lists_unled_comprehensive_grids_until_staff_assign_applies_a_proposal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(
        gridmap(&db, &["synth", "--households", "2000", "--seed", "9"])
            .status
            .success()
    );
    let p = gridmap(
        &db,
        &["partition", "--levels", "comprehensive:300-500,micro:30-50"],
    );
    assert!(p.status.success(), "{}", text(&p));
    let report = |name: &str| {
        let path = dir.path().join(name);
        let o = gridmap(&db, &["staff", "report", "--json", path.to_str().unwrap()]);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        (o, json)
    };
    // A partition run staffs micro-grids only: every comprehensive grid lacks a leader.
    let (o, before) = report("before.json");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let unstaffed = before["unstaffed"].as_array().unwrap();
    assert!(!unstaffed.is_empty(), "{before}");
    assert!(
        unstaffed.iter().all(|g| g["comprehensive"] == true),
        "{before}"
    );
    assert!(text(&o).contains("without a leader"), "{}", text(&o));

    // Without --apply the proposal is only printed.
    let dry = gridmap(&db, &["staff", "assign"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("--apply writes it"), "{}", text(&dry));
    assert_eq!(report("again.json").1["unstaffed"], before["unstaffed"]);

    let proposal = dir.path().join("proposal.json");
    let apply = gridmap(
        &db,
        &[
            "staff",
            "assign",
            "--apply",
            "--json",
            proposal.to_str().unwrap(),
        ],
    );
    assert!(apply.status.success(), "{}", text(&apply));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proposal).unwrap()).unwrap();
    assert!(json["change"].as_i64().is_some(), "{json}");
    let rows = json["proposals"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["proposed"].is_string() && r["distance_m"].is_number()),
        "{json}"
    );
    let (o, after) = report("after.json");
    assert_eq!(after["unstaffed"], serde_json::json!([]), "{after}");
    let clean = after["overloaded"].as_array().unwrap().is_empty();
    assert_eq!(o.status.success(), clean, "{}", text(&o));
    // Personal data stays out: no staff home or phone in the proposal or the report.
    for shown in [json.to_string(), after.to_string(), text(&apply)] {
        assert!(
            !shown.contains("home\"") && !shown.contains("phone"),
            "{shown}"
        );
    }
}

#[test]
fn cameras_import_report_coverage_per_grid_and_undo_as_one_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let synth = gridmap(&db, &["synth", "--households", "2000", "--seed", "9"]);
    assert!(synth.status.success(), "{}", text(&synth));
    assert!(text(&synth).contains(" cameras in "), "{}", text(&synth));
    assert!(gridmap(&db, &["partition", "--all"]).status.success());
    let report = |name: &str| {
        let path = dir.path().join(name);
        let o = gridmap(
            &db,
            &["cameras", "report", "--json", path.to_str().unwrap()],
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        (o, json)
    };
    let uncovered = |json: &serde_json::Value| {
        json["grids"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["buildings_seen"] == 0 && g["seen_m2"].as_f64() == Some(0.0))
            .count()
    };
    let (o, synthetic) = report("synth.json");
    let grids = synthetic["grids"].as_array().unwrap().len();
    assert!(grids > 30, "{synthetic}");
    assert_eq!(
        synthetic["uncovered"],
        uncovered(&synthetic),
        "{}",
        text(&o)
    );
    assert!(synthetic["cameras"].as_u64().unwrap() > 10, "{synthetic}");
    assert!(text(&o).contains("obstacles are ignored"), "{}", text(&o));

    // One offline dome over the whole county as the only camera: nothing is covered,
    // every grid is listed and the command says so by its exit code.
    let list = dir.path().join("cameras.csv");
    std::fs::write(
        &list,
        "设备编号,点位名称,经度,纬度,方向,视角,监控距离,设备状态\n\
         D1,县城广场,114.6,33.8,,,1000,离线\n\
         D2,坏数据,114.6,33.8,90,60,5000,在线\n",
    )
    .unwrap();
    let import = gridmap(
        &db,
        &["import", "cameras", list.to_str().unwrap(), "--replace-all"],
    );
    assert_eq!(import.status.code(), Some(1), "{}", text(&import));
    assert!(text(&import).contains("range 5000 m"), "{}", text(&import));
    assert!(text(&import).contains("removed"), "{}", text(&import));
    let (o, dark) = report("dark.json");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(dark["uncovered"], grids, "{dark}");
    assert_eq!(dark["cameras"], 1);
    assert!(dark["grids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["cameras_down"] == 1));

    // Online, the dome covers the grids within 1 km of the county centre.
    std::fs::write(
        &list,
        "id,name,lon,lat,range\nD1,县城广场,114.6,33.8,1000\n",
    )
    .unwrap();
    let import = gridmap(&db, &["import", "cameras", list.to_str().unwrap()]);
    assert!(import.status.success(), "{}", text(&import));
    let (_, lit) = report("lit.json");
    let lit_uncovered = lit["uncovered"].as_u64().unwrap() as usize;
    assert!(lit_uncovered < grids, "{lit}");

    // Undo the last import: the offline dome is back; undo the one before: the
    // synthetic cameras are back, with the report as at first.
    let history = gridmap(&db, &["history", "--limit", "2"]);
    let ids: Vec<String> = text(&history)
        .lines()
        .filter(|l| l.contains("import cameras"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 2, "{}", text(&history));
    for id in &ids {
        let undo = gridmap(&db, &["undo", id]);
        assert!(undo.status.success(), "{}", text(&undo));
    }
    let (_, back) = report("back.json");
    assert_eq!(back, synthetic);

    let empty = dir.path().join("none.csv");
    std::fs::write(&empty, "id,lon,lat\nX,114.6,95\n").unwrap();
    let refused = gridmap(&db, &["import", "cameras", empty.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("no camera could be read"),
        "{}",
        text(&refused)
    );
}

#[test]
fn print_writes_the_village_map_and_names_a_bad_option() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    assert!(
        gridmap(&db, &["synth", "--households", "1500", "--seed", "3"])
            .status
            .success()
    );
    assert!(gridmap(&db, &["partition", "--all"]).status.success());
    let village = "411622100001";
    let pdf = dir.path().join("map.pdf");
    let out = gridmap(
        &db,
        &["print", "village", village, "-o", pdf.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("font"), "{}", text(&out));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let info = Command::new("pdfinfo")
        .arg(&pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let pages = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().to_owned()));
    assert_eq!(pages.as_deref(), Some("1"));

    // Photos from a folder named by staff id: the boards print them; a file that names
    // nobody is listed and makes the exit code 1.
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let png = include_bytes!("fixtures/red-8x6.png").to_vec();
    std::fs::write(photos.join(format!("S{village}-001.png")), &png).unwrap();
    std::fs::write(photos.join("nobody.png"), &png).unwrap();
    std::fs::write(photos.join("notes.txt"), "not a photo").unwrap();
    let put = gridmap(&db, &["staff", "photos", photos.to_str().unwrap()]);
    assert_eq!(put.status.code(), Some(1), "{}", text(&put));
    assert!(
        text(&put).contains("1 photos put on staff, 1 files skipped"),
        "{}",
        text(&put)
    );
    assert!(
        text(&put).contains("nobody.png: no staff member"),
        "{}",
        text(&put)
    );
    let boards = dir.path().join("boards.pdf");
    let out = gridmap(
        &db,
        &[
            "print",
            "village",
            village,
            "--what",
            "boards",
            "-o",
            boards.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let list = Command::new("pdfimages")
        .arg("-list")
        .arg(&boards)
        .output()
        .expect("pdfimages (poppler-utils)");
    let images = String::from_utf8_lossy(&list.stdout)
        .lines()
        .skip(2)
        .count();
    assert!(images >= 1, "the photo on the person's boards");

    let bad = gridmap(
        &db,
        &[
            "print",
            "grid",
            &format!("{village}-001"),
            "--what",
            "cards",
            "--supervision",
            "no phone",
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("office=phone"), "{}", text(&bad));
    let missing = gridmap_with_env(
        &db,
        &[("GRIDMAP_PRINT_FONT", "/no/such/font.ttf")],
        &["print", "village", village, "-o", pdf.to_str().unwrap()],
    );
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("/no/such/font.ttf"),
        "{}",
        text(&missing)
    );
}
