//! Command-line interface: every command has the same shape
//! `gridmap [--db PATH|URL] COMMAND [ARGS]`, prints a human summary on stdout and
//! reports errors with their whole cause chain on stderr.
//!
//! Exit codes: 0 success, 1 finished but with rejected records or violations, 2 error.

use crate::commands;
use crate::output::StdoutError;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// gridmap — grid-based community management (网格化管理): import village and building
/// boundaries and the household register, partition every village into grids of 30–50
/// households, and serve them as vector tiles and a web map.
#[derive(Debug, Parser)]
#[command(name = "gridmap", version, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
    /// The store: a file path for the embedded SQLite store, or a `postgres://` URL for
    /// the shared PostGIS store (a database that exists; `migrate` sets up its schema).
    /// Imports, `synth`, `demo` and `migrate` create the store; every other command
    /// refuses one that does not exist.
    #[arg(
        long,
        global = true,
        env = "GRIDMAP_DB",
        default_value = "gridmap.db",
        value_name = "PATH|URL"
    )]
    pub db: String,

    /// A streaming replica of the PostGIS store (`postgres://` URL) for reads: loading
    /// the county, lookups, lists. Writes and the change log stay on --db; a read waits
    /// for the replica to replay every change this instance has seen, else asks --db.
    #[arg(long, global = true, env = "GRIDMAP_DB_READ", value_name = "URL")]
    pub db_read: Option<String>,

    /// No progress bars, and only warnings and errors on standard error (no INFO lines;
    /// GRIDMAP_LOG, when set, still chooses the log level).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  gridmap demo                                   # synthetic county → grids → map on http://127.0.0.1:8080
  gridmap synth --households 300000 --seed 1     # generate a county into gridmap.db
  gridmap import osm data/osm/kotka.osm.pbf      # buildings, boundaries and roads from OpenStreetMap
  gridmap import villages villages.geojson --code-field CODE --name-field NAME
  gridmap partition --all --report-json report.json
  gridmap export grids -o grids.geojson          # check the result in QGIS
  gridmap serve --bind 0.0.0.0:8080";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a file into the store (one transaction: all or nothing).
    ///
    /// Invalid features are repaired where unambiguous (ring closure, orientation,
    /// duplicate points) or rejected with file, feature and reason; the rest is imported.
    /// Re-importing a file updates records by their source id instead of duplicating them.
    #[command(subcommand)]
    Import(ImportCommand),

    /// Generate a reproducible synthetic county (townships, villages, buildings, register,
    /// staff, a year of incidents) into the store.
    ///
    /// Example: gridmap synth --households 300000 --seed 1
    Synth(SynthArgs),

    /// Cut villages into grids of --min..--max households and store them. The sizes are
    /// stored with the data: later runs, `grids validate` and `serve` use them.
    ///
    /// Example: gridmap partition --all --min 30 --max 50 --report-json report.json
    Partition(PartitionArgs),

    /// Grid checks.
    #[command(subcommand)]
    Grids(GridsCommand),

    /// Who serves which grid: proposals from homes and even loads, and the load report.
    ///
    /// Examples: gridmap staff assign --village 411622101201;
    /// gridmap staff assign --apply; gridmap staff report --max-households 120
    #[command(subcommand)]
    Staff(StaffCommand),

    /// Camera coverage: which share of each grid's buildings and area the working
    /// cameras see (obstacles ignored).
    ///
    /// Example: gridmap cameras report --township 411622101000 --json coverage.json
    #[command(subcommand)]
    Cameras(CamerasCommand),

    /// Printouts as PDF, made without a browser, Chinese font embedded: the village grid
    /// map (网格化管理示意图), a notice board per grid (网格员公示牌), a contact card
    /// per household (便民服务联系卡, 8 to an A4 page with cut marks).
    ///
    /// Examples: gridmap print village 411622101201 -o map.pdf;
    /// gridmap print grid 411622101201-007 --what cards --supervision 城关镇=0394-7654321 -o cards.pdf
    #[command(subcommand)]
    Print(PrintCommand),

    /// Print counts per layer and administrative level.
    Stats(StatsArgs),

    /// Export a layer as a GeoJSON FeatureCollection, grids as FlatGeobuf or a Shapefile,
    /// the grid roster as CSV/XLSX, or tiles as PMTiles.
    ///
    /// Examples: gridmap export grids -o grids.fgb;
    /// gridmap export grids -o grids.shp --encoding gbk --village 411622101201;
    /// gridmap export roster -o roster.xlsx
    Export(ExportArgs),

    /// Serve the vector tiles, the API and the web map.
    ///
    /// Example: gridmap serve --bind 127.0.0.1:8080
    Serve(ServeArgs),

    /// Generate a synthetic county into a fresh store, partition it and serve the map.
    ///
    /// Example: gridmap demo --households 20000
    Demo(DemoArgs),

    /// Manage accounts: who may sign in, with which role and over which area.
    ///
    /// Roles: admin (everything in scope, accounts, audit), planner (redraws grids, sees
    /// the register), staff (sees the register, works incidents), viewer (maps and counts,
    /// no personal data), wall (a command-centre display). Scope: `all`, an
    /// administrative code prefix (county 6 digits, township 9, village 12), or
    /// `grids:CODE,CODE`.
    ///
    /// Examples: gridmap user add wang --role staff --scope 411622101201;
    /// gridmap user token wall-hall2 --label "hall 2" --expires-days 365
    #[command(subcommand)]
    User(UserCommand),

    /// Query the audit log: every read of household personal data, every write, every
    /// sign-in (who, when, what, from where), newest first.
    ///
    /// Example: gridmap audit --actor wang --since 2026-12-01
    Audit(AuditArgs),

    /// List the newest changes of the change log: id, time, who, what.
    ///
    /// Example: gridmap history --limit 20
    History(HistoryArgs),

    /// Undo one change of the change log (grid edits and partition runs): its grids
    /// and staff lists come back. The undo is itself a change, so undoing it redoes.
    ///
    /// Example: gridmap undo 42
    Undo(UndoArgs),

    /// Write a consistent copy of the store, also while it is being served or written
    /// (a PostGIS store is copied with pg_dump, in its custom format).
    ///
    /// Example: gridmap backup -o gridmap-2026-12-01.db
    Backup(BackupArgs),

    /// Bring the store's schema up to date (every command does this on opening; run it
    /// once when setting up a PostGIS database, or before starting several servers).
    ///
    /// Example: gridmap --db postgres://gridmap@db/county migrate
    Migrate,

    /// Benchmarks that print their figures (medians and ratios).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Village (or township) boundaries with 12-digit division codes, from GeoJSON/GeoJSONSeq.
    ///
    /// Example: gridmap import villages villages.geojson --code-field CODE --name-field NAME
    Villages(FeatureImportArgs),
    /// Building footprints from GeoJSON/GeoJSONSeq.
    ///
    /// Example: gridmap import buildings buildings.geojson --levels-field floors
    Buildings(FeatureImportArgs),
    /// Buildings, admin boundaries and roads/rivers/railways from an OpenStreetMap PBF, in one pass.
    ///
    /// Example: gridmap import osm data/osm/kotka.osm.pbf --admin-level 10
    Osm(OsmImportArgs),
    /// The household register (CSV). Personal data: kept in the store, never in tiles or logs.
    ///
    /// Example: gridmap import households register.csv
    Households(CsvImportArgs),
    /// The staff roster (CSV: id,name,phone,role,area,grids).
    Staff(CsvImportArgs),
    /// Incidents (CSV/XLSX, or GeoJSON Point features with the same properties): categories
    /// through --category-map and the taxonomy, grid, village and township found from the
    /// position, deadlines started for open orders.
    Incidents(IncidentImportArgs),
    /// Video cameras (雪亮工程 points; CSV/XLSX, or GeoJSON Point features with the same
    /// properties): id, name, lon/lat, direction (compass bearing; empty for a dome), fov
    /// (degrees), range (metres), status (online/在线, offline/离线, fault/故障).
    /// Re-importing updates cameras by id; --replace-all also removes the stored cameras
    /// the file does not list. One change: gridmap undo takes it back.
    ///
    /// Example: gridmap import cameras cameras.csv --replace-all
    Cameras(CameraImportArgs),
}

#[derive(Debug, Args)]
pub struct CameraImportArgs {
    #[command(flatten)]
    pub csv: CsvImportArgs,
    /// The file is the whole camera list: stored cameras it does not list are removed.
    #[arg(long)]
    pub replace_all: bool,
}

/// Input file formats for feature imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeatureFormat {
    Geojson,
    Geojsonseq,
    /// An ESRI Shapefile (the .shp, with its .shx, .dbf, .prj and .cpg beside it).
    Shapefile,
    /// FlatGeobuf (.fgb).
    Flatgeobuf,
    /// GeoPackage (.gpkg): its first feature table.
    Geopackage,
}

#[derive(Debug, Args)]
pub struct FeatureImportArgs {
    /// The file to read: GeoJSON (.geojson, .json), GeoJSONSeq (.geojsonl, .geojsons),
    /// a Shapefile's .shp, FlatGeobuf (.fgb) or GeoPackage (.gpkg, its first feature
    /// table), told by its first bytes.
    pub file: PathBuf,
    /// The format, when neither the extension nor the first bytes tell.
    #[arg(long, value_enum)]
    pub format: Option<FeatureFormat>,
    /// Property holding the 12-digit division code (villages; default `code`). A property
    /// named by this or another --…-field option that no feature has refuses the file.
    #[arg(long, value_name = "NAME")]
    pub code_field: Option<String>,
    /// Property holding the name (villages; default `name`).
    #[arg(long, value_name = "NAME")]
    pub name_field: Option<String>,
    /// Property holding the number of floors (buildings; default `levels`).
    #[arg(long, value_name = "NAME")]
    pub levels_field: Option<String>,
    /// Property holding a registered household count (buildings; default `households`).
    #[arg(long, value_name = "NAME")]
    pub households_field: Option<String>,
    /// Property holding the building use (residential, institution, other, or an OSM
    /// building value; buildings; default `use`).
    #[arg(long, value_name = "NAME")]
    pub use_field: Option<String>,
    /// Property holding the height in metres (buildings; default `height`).
    #[arg(long, value_name = "NAME")]
    pub height_field: Option<String>,
    /// Property holding a stable feature id (re-imports update by it). Default: the
    /// feature's `id` member, else a property `id`, `Id`, `ID`, `osm_id` or `fid`.
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// Buildings: incoming footprints replace the stored buildings they coincide with
    /// (same outline under another id, e.g. the file re-exported without stable ids).
    #[arg(long)]
    pub replace: bool,
    /// Coordinate system of the file: EPSG:4326 (the default, unless the file names another:
    /// a Shapefile's .prj, a GeoJSON "crs" member, a GeoPackage's or FlatGeobuf's own),
    /// EPSG:4490, GCJ02, BD09, or any EPSG code PROJ knows (CGCS2000 Gauss–Krüger zones
    /// EPSG:4491–4554, Xi'an 1980, Beijing 1954, UTM…); `auto` guesses the Gauss–Krüger
    /// zone of a file that names none from its eastings' zone number.
    #[arg(long)]
    pub crs: Option<String>,
    /// The feature table of a GeoPackage to read (default the first).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Text encoding of a Shapefile's attributes (utf8, gbk) when its .cpg does not say
    /// or says wrong.
    #[arg(long)]
    pub encoding: Option<String>,
    #[command(flatten)]
    pub geometry: GeometryArgs,
    #[command(flatten)]
    pub estimate: EstimateArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Limits on the geometries of an import: shared by the polygon imports.
#[derive(Debug, Args)]
pub struct GeometryArgs {
    /// Reject any feature with more vertices than N (all rings together), naming it: a
    /// guard against absurd or corrupt geometries, which would hold the import for
    /// minutes or exhaust memory. Real village boundaries have tens of thousands at most.
    #[arg(long, value_name = "N", default_value_t = gridmap_importers::repair::DEFAULT_MAX_VERTICES)]
    pub max_vertices: usize,
}

/// How an import writes: shared by every import command.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Report what would be imported without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import nothing when any record is rejected (default: import the valid ones).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Floor area of one dwelling, for estimating households of residential buildings.
    #[arg(long, default_value_t = 90.0, value_name = "M2")]
    pub dwelling_m2: f64,
    /// Floors assumed when a building has neither levels nor height.
    #[arg(long, default_value_t = 1)]
    pub default_levels: u16,
}

#[derive(Debug, Args)]
pub struct OsmImportArgs {
    /// The .osm.pbf file.
    pub file: PathBuf,
    /// OSM admin_level of the boundaries that become villages (10: quarters/villages).
    #[arg(long, default_value_t = 10)]
    pub admin_level: u8,
    /// 6-digit county code given to OSM boundaries (they carry no Chinese division code).
    #[arg(long, default_value = "990000")]
    pub county_code: String,
    #[command(flatten)]
    pub geometry: GeometryArgs,
    #[command(flatten)]
    pub estimate: EstimateArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Text encodings accepted for CSV files and written to Shapefile attribute tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvEncoding {
    #[value(alias = "utf-8")]
    Utf8,
    #[value(alias = "cp936")]
    Gbk,
}

impl From<CsvEncoding> for gridmap_importers::TextEncoding {
    fn from(e: CsvEncoding) -> Self {
        match e {
            CsvEncoding::Utf8 => gridmap_importers::TextEncoding::Utf8,
            CsvEncoding::Gbk => gridmap_importers::TextEncoding::Gbk,
        }
    }
}

#[derive(Debug, Args)]
pub struct CsvImportArgs {
    /// The CSV file or workbook (.xlsx, .xls, .ods). The header row is found among the
    /// first rows (title rows above it are skipped); Chinese headers (户号, 楼栋, 单元,
    /// 楼层, 房号, 地址, 户主, 电话/手机, 人数, 姓名/网格员, 网格…) are recognised.
    pub file: PathBuf,
    /// Text encoding of the file: UTF-8 (with or without BOM), or GBK, which is detected
    /// when the file is not UTF-8; `gbk` forces it.
    #[arg(long, value_enum, default_value = "utf8")]
    pub encoding: CsvEncoding,
    /// Map a column: --column field=HEADER (e.g. --column head=户主 --column phone=电话). Repeatable.
    #[arg(long = "column", value_name = "FIELD=HEADER")]
    pub columns: Vec<String>,
    /// The worksheet of a workbook to read, by name or number (default the first).
    #[arg(long, value_name = "NAME|N")]
    pub sheet: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct IncidentImportArgs {
    #[command(flatten)]
    pub csv: CsvImportArgs,
    /// Two-column CSV `source,type` mapping the file's category names to taxonomy types.
    #[arg(long, value_name = "FILE")]
    pub category_map: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Households in the county (buildings ≈ 3.3 × households).
    #[arg(long, default_value_t = 20_000)]
    pub households: u32,
    /// Seed: the same seed always gives the same county.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Generate and report without writing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GridSizeArgs {
    /// Fewest households in a grid (default: the store's setting, 30 at first).
    #[arg(long)]
    pub min: Option<u32>,
    /// Most households in a grid (default: the store's setting, 50 at first).
    #[arg(long)]
    pub max: Option<u32>,
    /// Preferred households per grid (default: the store's setting, 40 at first).
    #[arg(long)]
    pub target: Option<u32>,
    /// Institutions (schools, hospitals, enterprises…) become separate "vertical" grids
    /// (kept in the store's settings until --no-institution-grids).
    #[arg(long, overrides_with = "no_institution_grids")]
    pub institution_grids: bool,
    /// Institutions are ordinary grid members again.
    #[arg(long)]
    pub no_institution_grids: bool,
    /// Most households one staff member should serve across all their grids; the
    /// planner flags staff above it (default: the store's setting, 100 at first).
    #[arg(long)]
    pub max_staff_households: Option<u32>,
    /// Grid levels: `comprehensive:300-500,micro:30-50` cuts every village into
    /// comprehensive grids (综治网格) and each of those into micro-grids (微网格);
    /// `micro:30-50` goes back to one level. `@TARGET` after a range sets its target
    /// (default the midpoint). Kept in the store's settings.
    #[arg(long, value_name = "LEVELS", conflicts_with_all = ["min", "max", "target"])]
    pub levels: Option<gridmap_service::partition::LevelsSpec>,
}

#[derive(Debug, Args)]
pub struct PartitionArgs {
    /// Which villages to re-run (a village keeps its locked grids).
    #[command(flatten)]
    pub villages: VillagesArgs,
    #[command(flatten)]
    pub size: GridSizeArgs,
    /// Start over instead of repairing the previous grids.
    #[arg(long)]
    pub fresh: bool,
    /// Also write the quality report as JSON.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
}

/// Which villages a command covers.
#[derive(Debug, Args)]
pub struct VillagesArgs {
    /// One village (12-digit code).
    #[arg(long, conflicts_with_all = ["township", "all"])]
    pub village: Option<String>,
    /// Every village of one township (12-digit code ending in 000).
    #[arg(long, conflicts_with = "all")]
    pub township: Option<String>,
    /// Every village (the default when nothing is chosen).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum PrintCommand {
    /// A whole village: its map, the boards of all its grids, or the cards of all its
    /// households.
    Village(PrintArgs),
    /// One grid (a comprehensive grid with its micro-grids).
    Grid(PrintArgs),
}

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The village's 12-digit code, or the grid's code.
    pub code: String,
    /// What to print: map, boards or cards.
    #[arg(long, default_value = "map")]
    pub what: String,
    /// The PDF to write.
    #[arg(short, long, value_name = "FILE.pdf")]
    pub output: PathBuf,
    /// a4 or a3 (the map is landscape, boards portrait, cards 8 to an A4 sheet).
    #[arg(long, default_value = "a4")]
    pub paper: String,
    /// A supervision office and its phone for boards and cards, as OFFICE=PHONE
    /// (repeat it: --supervision 县综治中心=0394-1234567 --supervision 城关镇=0394-7654321).
    #[arg(long, value_name = "OFFICE=PHONE")]
    pub supervision: Vec<String>,
    /// The TrueType/OpenType font with Chinese characters to embed (default: the first of
    /// WenQuanYi Micro Hei, WenQuanYi Zen Hei, Noto Sans CJK found).
    #[arg(long, env = "GRIDMAP_PRINT_FONT", value_name = "FILE")]
    pub font: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CamerasCommand {
    /// List the grids no online camera sees any of (exit code 1 when there are any),
    /// with the share of buildings and area seen per grid in --json. A building counts
    /// as seen when its centre lies in a camera's sector; walls and buildings in the way
    /// are ignored, so the shares are upper bounds.
    Report(CameraReportArgs),
}

#[derive(Debug, Args)]
pub struct CameraReportArgs {
    #[command(flatten)]
    pub villages: VillagesArgs,
    /// Also list grids whose share of buildings seen is below this (0–1).
    #[arg(long, value_name = "SHARE")]
    pub below: Option<f64>,
    /// Also write every grid's coverage as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Propose a staff member for every grid: grid workers (网格员) for micro-grids,
    /// leaders (网格长, levels 3–4) for comprehensive grids, each from the staff whose
    /// area holds the grid's village, nearest home first (the roster's lon/lat), with
    /// loads even (everyone ⌊n/m⌋ or ⌈n/m⌉ grids). Prints what would change; --apply
    /// writes it as one change (gridmap undo reverts it).
    Assign(StaffAssignArgs),
    /// List grids without staff, staff over their household load, and staff without a
    /// grid (exit code 1 when a grid lacks staff or someone is over the load).
    Report(StaffReportArgs),
    /// Put photos on the staff for the notice boards (gridmap print … --what boards): every
    /// JPEG or PNG in DIR named by a staff id (S001.jpg) or by a name the roster holds once
    /// (王芳.jpg). Each replaces the person's earlier photo; their metadata is removed.
    /// Lists the files that name nobody and the staff left without a photo.
    Photos(StaffPhotosArgs),
}

#[derive(Debug, Args)]
pub struct StaffPhotosArgs {
    /// The folder of photos.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct StaffAssignArgs {
    #[command(flatten)]
    pub villages: VillagesArgs,
    /// Write the proposal instead of only printing it.
    #[arg(long)]
    pub apply: bool,
    /// Also write every grid's proposal as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StaffReportArgs {
    /// Most households a grid worker should serve (default: the stored
    /// --max-staff-households).
    #[arg(long, value_name = "N")]
    pub max_households: Option<u32>,
    /// Most households a grid leader should lead (default: the comprehensive grids'
    /// maximum, i.e. one full comprehensive grid).
    #[arg(long, value_name = "N")]
    pub max_leader_households: Option<u32>,
    /// Also write the report as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum GridsCommand {
    /// List every violation: size out of range, non-contiguous, outside the village,
    /// overlaps, gaps, households in no grid or in two, staff members over the household
    /// limit.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Write the violations as JSON: `{"violations": […], "staff_overloaded": […]}`.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; without --password-stdin a random password is made and shown
    /// once.
    Add(UserAddArgs),
    /// List the accounts: login, role, scope, whether disabled.
    List,
    /// Refuse every sign-in, session and token of an account from now on.
    Disable(UserLoginArg),
    /// Allow a disabled account again (its revoked tokens stay revoked).
    Enable(UserLoginArg),
    /// Set a new password (read from standard input, or made at random and shown once).
    Passwd(UserPasswdArgs),
    /// Issue a bearer token for an API client or a wall display; shown once.
    Token(UserTokenArgs),
    /// List an account's sessions and tokens.
    Tokens(UserLoginArg),
    /// Revoke one session or token of an account (its id from `user tokens`).
    Revoke(UserRevokeArgs),
    /// Link an account to the roster's staff member who signs in with it (their phone's
    /// to-do list shows the work orders dispatched to them); "" unlinks.
    Link(UserLinkArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    pub login: String,
    /// admin, planner, staff, viewer or wall.
    #[arg(long)]
    pub role: String,
    /// `all`, a code prefix (county 6 digits, township 9, village 12) or `grids:CODE,…`.
    #[arg(long)]
    pub scope: String,
    /// Read the password from the first line of standard input instead of making one.
    #[arg(long)]
    pub password_stdin: bool,
    /// The roster's staff id of the person (a grid worker): the phone page's to-do list
    /// holds the work orders dispatched to that staff member.
    #[arg(long, value_name = "STAFF_ID")]
    pub staff: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserLinkArgs {
    pub login: String,
    /// The roster's staff id; "" unlinks.
    pub staff: String,
}

#[derive(Debug, Args)]
pub struct UserLoginArg {
    pub login: String,
}

#[derive(Debug, Args)]
pub struct UserPasswdArgs {
    pub login: String,
    /// Read the password from the first line of standard input instead of making one.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserTokenArgs {
    pub login: String,
    /// What the token is for, shown by `user tokens` ("wall display, hall 2").
    #[arg(long, default_value = "api")]
    pub label: String,
    /// Days until the token expires.
    #[arg(long, default_value_t = 90)]
    pub expires_days: i64,
}

#[derive(Debug, Args)]
pub struct UserRevokeArgs {
    pub login: String,
    /// The id of the session or token.
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries by this login (`cli` for the command line).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action: `read households`, `write`, `login`, `login refused`, …
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries whose target starts with this (a building id, a grid or village code).
    #[arg(long)]
    pub target: Option<String>,
    /// Only entries at or after this time (RFC 3339 or a date: 2026-12-01).
    #[arg(long)]
    pub since: Option<String>,
    /// How many entries, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many changes, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The change id (printed by each write; `gridmap partition` prints its own).
    pub change: i64,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to write (must not exist).
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Layers that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportLayer {
    Villages,
    Buildings,
    /// Grids as GeoJSON, FlatGeobuf or a Shapefile (by the extension or --format).
    Grids,
    /// One row per grid: code, village, households, staff and the staff's phone (CSV/XLSX).
    Roster,
    Pmtiles,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub layer: ExportLayer,
    /// Output file. Its extension names the format: grids .geojson, .fgb, .shp (writes
    /// .shp/.shx/.dbf/.prj/.cpg next to each other) or .zip (those five zipped); roster
    /// .csv or .xlsx.
    #[arg(long, short)]
    pub output: PathBuf,
    /// The format, when the extension does not say: geojson, fgb, shp (grids); csv, xlsx (roster).
    #[arg(long)]
    pub format: Option<String>,
    /// Shapefile: the text encoding of the attribute table (gbk for desktop GIS in a
    /// Chinese Windows locale).
    #[arg(long, value_enum, default_value = "utf8")]
    pub encoding: CsvEncoding,
    /// Grids and roster: only this village (12-digit code).
    #[arg(long)]
    pub village: Option<String>,
    /// PMTiles: the layers to put in the archive.
    #[arg(long, default_value = "townships,villages,grids,grid_labels,buildings")]
    pub layers: String,
    /// PMTiles: lowest zoom.
    #[arg(long, default_value_t = 8)]
    pub minzoom: u8,
    /// PMTiles: highest zoom.
    #[arg(long, default_value_t = 16)]
    pub maxzoom: u8,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Public base URL used in TileJSON and the style (behind a reverse proxy, with its
    /// path prefix, e.g. https://maps.example.org/gridmap). Default: http://<bind>.
    #[arg(long, env = "GRIDMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve the web map from this directory (index.html, node_modules/maplibre-gl,
    /// glyphs/) instead of the files built into the binary: for working on the web map.
    #[arg(long, env = "GRIDMAP_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Optional basemap style URL shown under our layers (none by default: fully offline).
    #[arg(long)]
    pub basemap_style: Option<String>,
    /// Tile cache size in megabytes.
    #[arg(long, default_value_t = 256)]
    pub cache_mb: usize,
    /// Incident taxonomy (JSON, the shape of core/data/taxonomy-zh-CN.json) instead of the shipped one.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// Working calendar for incident deadlines (JSON, the shape of core/data/calendar-cn-2026.json).
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Layers the PostGIS store draws tile by tile (ST_AsMVT) instead of this instance
    /// drawing them from memory: `buildings`. Memory is faster while the county fits
    /// (`gridmap bench store`); this path is for footprints shared by many instances.
    #[arg(long, value_name = "LAYERS", env = "GRIDMAP_STORE_TILES")]
    pub store_tiles: Option<String>,
    /// Set by `gridmap demo`: a local-only server with a demo account.
    #[arg(skip)]
    pub local_demo: bool,
    #[command(flatten)]
    pub http: HttpServerArgs,
}

/// How `serve` treats connections and browsers of other sites.
#[derive(Debug, Args, Clone)]
pub struct HttpServerArgs {
    /// Seconds a client has to send a request's headers (also the most a kept-alive
    /// connection waits for its next request); slower connections are closed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::http::ServerLimits::DEFAULT.header_read_timeout.as_secs())]
    pub header_read_timeout: u64,
    /// Seconds a connection may stay silent (nothing read or written, no request being
    /// answered) before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::http::ServerLimits::DEFAULT.idle_timeout.as_secs())]
    pub idle_timeout: u64,
    /// Connections open at once; more wait until one closes. Keep it below the process's
    /// open-file limit (`ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = crate::http::ServerLimits::DEFAULT.max_connections)]
    pub max_connections: usize,
    /// Seconds the requests in flight get to finish when the server is stopped (Ctrl-C,
    /// SIGTERM); connections still open after that are closed unfinished.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::http::ServerLimits::DEFAULT.drain_timeout.as_secs())]
    pub drain_seconds: u64,
    /// An origin (`https://host[:port]`) whose pages may call this server from the
    /// browser (CORS); repeat for several. None by default: only our own pages may.
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
}

impl HttpServerArgs {
    /// The limits these flags ask for.
    pub fn limits(&self) -> crate::http::ServerLimits {
        crate::http::ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout.max(1)),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            drain_timeout: std::time::Duration::from_secs(self.drain_seconds),
        }
    }
}

impl Default for HttpServerArgs {
    fn default() -> HttpServerArgs {
        let limits = crate::http::ServerLimits::DEFAULT;
        HttpServerArgs {
            header_read_timeout: limits.header_read_timeout.as_secs(),
            idle_timeout: limits.idle_timeout.as_secs(),
            max_connections: limits.max_connections,
            drain_seconds: limits.drain_timeout.as_secs(),
            cors_origin: Vec::new(),
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Households in the synthetic county.
    #[arg(long, default_value_t = 20_000)]
    pub households: u32,
    /// Seed of the synthetic county.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Build everything, print the URL and exit instead of serving (for scripts).
    #[arg(long)]
    pub no_serve: bool,
    /// Nested grids, as `gridmap partition --levels`: `comprehensive:300-500,micro:30-50`
    /// (default: one level of 30–50).
    #[arg(long, value_name = "LEVELS")]
    pub levels: Option<gridmap_service::partition::LevelsSpec>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Partition timings and quality on synthetic counties (and the store's data, if any).
    Partition(BenchPartitionArgs),
    /// Tile rendering and HTTP serving: tiles/s and latency percentiles, cached and uncached.
    Tiles(BenchTilesArgs),
    /// Point lookups (/api/lookup): latency percentiles.
    Lookup(BenchTilesArgs),
    /// Importing a building file as a user does (`gridmap import buildings` on GeoJSONSeq),
    /// against `ogr2ogr -f GPKG` on the same file when gdal-bin is installed.
    Import(BenchImportArgs),
    /// A year of incidents in the synthetic county: ingest rate, heat tile latency at z8,
    /// z12 and z15 (uncached, 30-day window, against grids tiles), live delivery on
    /// /api/stream at a steady report rate.
    Incidents(BenchIncidentsArgs),
    /// A planner's edits in the synthetic county: moving 20 buildings between two grids
    /// of a village of about 3,000 households, timed at the service (p50/p95).
    Edits(BenchEditsArgs),
    /// The PostGIS store on the server `--db postgres://…` names (scratch databases,
    /// dropped afterwards): import against ogr2ogr, building tiles drawn by PostGIS and
    /// from memory against the query Martin runs, lookups, an edit's round trip.
    Store(BenchStoreArgs),
    /// The household-status map in the synthetic county, timed at the service: the
    /// floor diagram of the tallest tower, its grid by situation, and the situation
    /// shares of the buildings in a 600 m view.
    Floors(BenchFloorsArgs),
    /// The printouts in the synthetic county, timed at the service: the grid map and the
    /// notice boards of the village with the most grids, and the contact cards of its
    /// largest grid.
    Print(BenchPrintArgs),
}

#[derive(Debug, Args)]
pub struct BenchPrintArgs {
    /// Households of the synthetic county.
    #[arg(long, default_value_t = 20_000)]
    pub households: u32,
    /// Repetitions of each printout (median and p95 are reported).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// A TrueType/OpenType font with Chinese glyphs (default: the first one installed).
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchFloorsArgs {
    /// Households of the synthetic county (its tallest tower has about 47 floors from
    /// 20,000 up).
    #[arg(long, default_value_t = 20_000)]
    pub households: u32,
    /// Repetitions of each measurement (median and p95 are reported).
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
}

#[derive(Debug, Args)]
pub struct BenchStoreArgs {
    /// Households of the synthetic county (about 3.3 buildings each: 93,000 gives about
    /// the 307,600 footprints of the reference figures).
    #[arg(long, default_value_t = 93_000)]
    pub households: u32,
    /// Repetitions of each import (the median is reported) and rounds of the two tile
    /// statements taking turns.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Concurrent tile requests.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
}

#[derive(Debug, Args)]
pub struct BenchEditsArgs {
    /// Households of the synthetic county.
    #[arg(long, default_value_t = 300_000)]
    pub households: u32,
    /// The edited village is the one closest to this many households.
    #[arg(long, default_value_t = 3_000)]
    pub village_households: u64,
    /// Edits timed.
    #[arg(long, default_value_t = 40)]
    pub edits: usize,
    /// Rebalances of the village timed.
    #[arg(long, default_value_t = 5)]
    pub rebalances: usize,
}

#[derive(Debug, Args)]
pub struct BenchIncidentsArgs {
    /// Households of the synthetic county.
    #[arg(long, default_value_t = 300_000)]
    pub households: u32,
    /// Incidents over the last year.
    #[arg(long, default_value_t = 1_000_000)]
    pub incidents: u32,
    /// Tile requests per zoom.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Incidents reported per second while the stream is read.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds of reporting.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

#[derive(Debug, Args)]
pub struct BenchPartitionArgs {
    /// Households of the large synthetic county.
    #[arg(long, default_value_t = 300_000)]
    pub households: u32,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The urban case instead: a synthetic city district (towers, mid-rise blocks), its
    /// moved share after a 1% change over `--seeds` seeds, and the Shijiazhuang
    /// footprints when `--real` names their GeoJSON file.
    #[arg(long)]
    pub urban: bool,
    /// Seeds of the urban stability measurement.
    #[arg(long, default_value_t = 100)]
    pub seeds: u64,
    /// A GeoJSON file of real footprints with `height` (metres) for the urban case;
    /// households are estimated at 90 m² per flat and 3 m per floor.
    #[arg(long)]
    pub real: Option<std::path::PathBuf>,
    /// Also partition the large county at two levels (`comprehensive:300-500,micro:30-50`)
    /// and compare its runtime with the one-level run.
    #[arg(long, value_name = "LEVELS")]
    pub levels: Option<gridmap_service::partition::LevelsSpec>,
    /// Lay a straight road west to east across the middle of every village of the large
    /// county, so barriers cut each village into zones as roads through villages do in
    /// real data (the county's own roads run along village boundaries).
    #[arg(long)]
    pub roads_across: bool,
}

#[derive(Debug, Args)]
pub struct BenchTilesArgs {
    /// Households of the synthetic county served.
    #[arg(long, default_value_t = 100_000)]
    pub households: u32,
    /// Seconds per measured pass.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// Households of the synthetic county (about 3.3 buildings per household).
    #[arg(long, default_value_t = 100_000)]
    pub households: u32,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// Runs the command line and maps the outcome to an exit code (0 ok, 1 with problems, 2 error).
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    crate::progress::set_quiet(cli.quiet);
    init_logging(cli.quiet);
    match commands::run(cli) {
        Ok(commands::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(commands::Outcome::WithProblems) => ExitCode::from(1),
        Err(err) => {
            // The reader of our output went away (`gridmap stats | head -1`): it has what it
            // wanted, so exit quietly like a Unix tool killed by SIGPIPE would, but with 0.
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            if err.chain().any(|e| e.is::<StdoutError>()) {
                eprintln!(
                    "error: could not write the output of `gridmap {}` to standard output ({}): \
                     free space on the disk it goes to or send it elsewhere",
                    command_path(&matches),
                    err.root_cause()
                );
            } else {
                eprintln!("error: {}", error_chain(&err));
            }
            ExitCode::from(2)
        }
    }
}

/// The subcommands named on the command line, e.g. `import buildings`.
fn command_path(matches: &clap::ArgMatches) -> String {
    let mut names = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        names.push(name);
        m = sub;
    }
    names.join(" ")
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// An error and its causes, joined by ": ", leaving out a cause whose text the message
/// before it already ends with (database drivers repeat their source in their own text).
fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Logs go to standard error at the level GRIDMAP_LOG names, else INFO for gridmap's own
/// crates (WARN with `--quiet`). Colours only on a terminal: in a log file or a pipe the
/// escape codes are noise.
fn init_logging(quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        "gridmap=info,tower_http=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRIDMAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_says_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("error returned from database: {0}")]
        struct Driver(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("role \"nobody\" does not exist")]
        struct Inner;
        let err = anyhow::Error::new(Driver(Inner)).context("opening the store");
        assert_eq!(
            error_chain(&err),
            "opening the store: error returned from database: role \"nobody\" does not exist"
        );
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn db_flag_is_accepted_after_the_command() {
        let cli = Cli::try_parse_from(["gridmap", "stats", "--db", "x.db"]).unwrap();
        assert_eq!(cli.db, "x.db");
    }

    #[test]
    fn village_and_all_cannot_be_combined() {
        assert!(Cli::try_parse_from([
            "gridmap",
            "partition",
            "--village",
            "411622101201",
            "--all"
        ])
        .is_err());
    }
}
