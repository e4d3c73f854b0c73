//! Bulk writes: rows go into a temporary staging table through binary `COPY` (no SQL
//! text per row, no parsing of numbers or geometry text), then one statement merges
//! them into the table: an upsert, a plain insert or an insert that skips stored keys.
//! A large load into an empty table (a county's first import) has nothing to merge
//! with: it is copied straight into the table.
//! Geometries travel as extended WKB (with their SRID), which both ways take as is.

use super::table_is_empty;
use crate::error::{DbStep, StoreError, StoreResult};
use crate::wkb;
use rayon::prelude::*;
use sqlx::PgConnection;
use std::collections::HashMap;

/// A column's type, which decides its binary `COPY` encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Int,
    Real,
    Flag,
    /// Extended WKB (with its SRID, [`crate::wkb::encode_with_srid`]) in the staging
    /// table, `geometry` in the table.
    Geometry,
}

impl Kind {
    fn staged_type(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int => "bigint",
            Kind::Real => "double precision",
            Kind::Flag => "boolean",
            Kind::Geometry => "bytea",
        }
    }
}

/// How one table is written in bulk.
pub(super) struct Table {
    pub name: &'static str,
    /// The conflict key (one or more columns).
    pub key: &'static [&'static str],
    /// Every column in the order rows are encoded.
    pub columns: &'static [(&'static str, Kind)],
    /// `(column, expression)` overrides for the `DO UPDATE SET` list.
    pub update: &'static [(&'static str, &'static str)],
    /// What a failure was doing, for the error message.
    pub step: &'static str,
}

/// How the merge treats a key that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Merge {
    /// Updates the stored row (the last of repeated keys wins).
    Upsert,
    /// Fails: the caller knows every key is new.
    InsertNew,
    /// Keeps the stored row and skips the new one.
    InsertOrIgnore,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// Bytes of encoded rows sent to the server at a time.
const SEND_AT: usize = 4 << 20;

/// One row of binary `COPY` data: each value as its length and its bytes in network
/// order, `None` as length −1. A value that cannot be encoded is written as `None` and
/// its error kept, for the write to report.
pub(super) struct Row<'b> {
    bytes: &'b mut Vec<u8>,
    error: &'b mut Option<StoreError>,
}

impl Row<'_> {
    fn field(&mut self, bytes: Option<&[u8]>) -> &mut Self {
        match bytes {
            Some(b) => {
                let length = i32::try_from(b.len()).expect("a value under 2 GiB");
                self.bytes.extend_from_slice(&length.to_be_bytes());
                self.bytes.extend_from_slice(b);
            }
            None => self.bytes.extend_from_slice(&(-1i32).to_be_bytes()),
        }
        self
    }
    pub fn text(&mut self, v: &str) -> &mut Self {
        self.field(Some(v.as_bytes()))
    }
    pub fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        self.field(v.map(str::as_bytes))
    }
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.field(Some(&v.to_be_bytes()))
    }
    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        self.field(v.map(i64::to_be_bytes).as_ref().map(|b| &b[..]))
    }
    pub fn real(&mut self, v: f64) -> &mut Self {
        self.field(Some(&v.to_be_bytes()))
    }
    pub fn opt_real(&mut self, v: Option<f64>) -> &mut Self {
        self.field(v.map(f64::to_be_bytes).as_ref().map(|b| &b[..]))
    }
    pub fn flag(&mut self, v: bool) -> &mut Self {
        self.field(Some(&[u8::from(v)]))
    }
    /// A geometry as extended WKB in `srid` ([`wkb::append_ewkb`], written in place);
    /// `what` names it if it cannot be encoded.
    pub fn geometry<'s>(
        &mut self,
        shape: impl Into<wkb::Shape<'s>>,
        srid: i32,
        what: impl FnOnce() -> String,
    ) -> &mut Self {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&0i32.to_be_bytes());
        match wkb::append_ewkb(shape.into(), srid, self.bytes, what) {
            Ok(()) => {
                let length = i32::try_from(self.bytes.len() - at - 4).expect("a value under 2 GiB");
                self.bytes[at..at + 4].copy_from_slice(&length.to_be_bytes());
            }
            Err(e) => {
                self.bytes.truncate(at);
                self.field(None);
                self.error.get_or_insert(e);
            }
        }
        self
    }
}

impl Table {
    fn staging(&self) -> String {
        format!("stage_{}", self.name)
    }

    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The merge statement; it returns how many rows were new.
    fn merge_sql(&self, how: Merge) -> String {
        let values: Vec<String> = self
            .columns
            .iter()
            .map(|(c, kind)| match kind {
                Kind::Geometry => format!("ST_GeomFromEWKB({c})"),
                _ => (*c).to_owned(),
            })
            .collect();
        let key = self.key.join(", ");
        let conflict = match how {
            Merge::InsertNew => String::new(),
            Merge::InsertOrIgnore => format!(" ON CONFLICT ({key}) DO NOTHING"),
            Merge::Upsert => {
                let sets: Vec<String> = self
                    .columns
                    .iter()
                    .map(|(c, _)| *c)
                    .filter(|c| !self.key.contains(c))
                    .map(|c| match self.update.iter().find(|(col, _)| *col == c) {
                        Some((_, expr)) => format!("{c} = {expr}"),
                        None => format!("{c} = EXCLUDED.{c}"),
                    })
                    .collect();
                if sets.is_empty() {
                    format!(" ON CONFLICT ({key}) DO NOTHING")
                } else {
                    format!(" ON CONFLICT ({key}) DO UPDATE SET {}", sets.join(", "))
                }
            }
        };
        // Rows arrive one per key (see `write_rows`): an upsert may not touch a row twice.
        format!(
            "WITH merged AS (
                INSERT INTO {table} ({columns})
                SELECT {values} FROM {staging}
                {conflict}
                RETURNING (xmax = 0) AS inserted
            ) SELECT COUNT(*) FILTER (WHERE inserted) FROM merged",
            table = self.name,
            columns = self.column_list(),
            values = values.join(", "),
            staging = self.staging(),
        )
    }
}

/// Writes `rows` into `table` as `how` says and returns how many were new; `encode`
/// writes one row's values in the order of `table.columns`, the key columns first. Of
/// rows repeating a key only the last is written, as a row-by-row upsert would leave it
/// (found here by the key's encoded bytes, so the database sorts nothing).
pub(super) async fn write_rows<T: Sync>(
    conn: &mut PgConnection,
    table: &Table,
    rows: &[T],
    how: Merge,
    encode: impl Fn(&mut Row<'_>, &T) + Sync,
) -> StoreResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let encoded = Encoded::new(table, encode_chunks(table, rows, &encode)?);
    if rows.len() >= DIRECT_ROWS && is_empty_for_load(conn, table).await? {
        let rebuild = if rows.len() >= BULK_ROWS {
            drop_secondary_indexes(conn, table, rows.len()).await?
        } else {
            Vec::new()
        };
        // In key order, the primary key's B-tree grows at its right edge instead of
        // taking every row at a random leaf.
        let copied = copy_rows(conn, table, table.name, encoded.kept_by_key()).await?;
        rebuild_indexes(conn, table, &rebuild).await?;
        tracing::debug!(
            table = table.name,
            rows = rows.len(),
            seconds = started.elapsed().as_secs_f64(),
            "bulk write straight into an empty table"
        );
        return Ok(copied);
    }

    let staging = table.staging();
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|(c, kind)| format!("{c} {}", kind.staged_type()))
        .collect();
    sqlx::query(&format!("DROP TABLE IF EXISTS pg_temp.{staging}"))
        .execute(&mut *conn)
        .await
        .step(table.step)?;
    sqlx::query(&format!(
        "CREATE TEMP TABLE {staging} ({}) ON COMMIT DROP",
        columns.join(", ")
    ))
    .execute(&mut *conn)
    .await
    .step(table.step)?;
    copy_rows(conn, table, &staging, encoded.kept()).await?;
    let copied = started.elapsed();

    // A load that is large against the table merges faster without the table's
    // secondary indexes (the GiST index above all), rebuilt once afterwards: PostgreSQL
    // builds an index from sorted input far faster than it inserts a million entries.
    // The drop and rebuild are part of the transaction; readers of the table wait for it.
    let rebuild = if rows.len() >= BULK_ROWS {
        drop_secondary_indexes(conn, table, rows.len()).await?
    } else {
        Vec::new()
    };
    let inserted: i64 = sqlx::query_scalar(&table.merge_sql(how))
        .fetch_one(&mut *conn)
        .await
        .step(table.step)?;
    rebuild_indexes(conn, table, &rebuild).await?;
    sqlx::query(&format!("DROP TABLE pg_temp.{staging}"))
        .execute(&mut *conn)
        .await
        .step(table.step)?;
    tracing::debug!(
        table = table.name,
        rows = rows.len(),
        copy_s = copied.as_secs_f64(),
        merge_s = (started.elapsed() - copied).as_secs_f64(),
        "bulk write"
    );
    Ok(inserted.max(0) as u64)
}

/// Rows from which a write into an empty table skips the staging table. Below it the
/// lock and the look cost more than the merge they save.
const DIRECT_ROWS: usize = 1_000;

/// Whether `table` holds no row. A table with rows is told at once, without a lock, so
/// a re-import keeps other writers going; an empty one is asked again under a lock that
/// keeps other writers out until the transaction ends (readers go on), so rows copied
/// straight in cannot meet a key another writer stored in between.
async fn is_empty_for_load(conn: &mut PgConnection, table: &Table) -> StoreResult<bool> {
    if !table_is_empty(conn, table.name, table.step).await? {
        return Ok(false);
    }
    sqlx::query(&format!(
        "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
        table.name
    ))
    .execute(&mut *conn)
    .await
    .step(table.step)?;
    table_is_empty(conn, table.name, table.step).await
}

/// Sends the encoded rows into `target` (the table or its staging table) by binary
/// `COPY`, in batches of about [`SEND_AT`] bytes; returns how many the server took.
async fn copy_rows<'r>(
    conn: &mut PgConnection,
    table: &Table,
    target: &str,
    rows: impl Iterator<Item = &'r [u8]>,
) -> StoreResult<u64> {
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {target} ({}) FROM STDIN (FORMAT binary)",
            table.column_list()
        ))
        .await
        .step(table.step)?;
    let mut buf = Vec::with_capacity(SEND_AT + (1 << 16));
    buf.extend_from_slice(SIGNATURE);
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    for bytes in rows {
        // A whole chunk goes out as it is (the connection copies it into its own
        // buffer); single rows are gathered first.
        let send = if bytes.len() >= SEND_AT / 4 {
            let gathered = std::mem::take(&mut buf);
            match copy.send(gathered).await {
                Ok(_) => copy.send(bytes).await.map(|_| ()),
                Err(e) => Err(e),
            }
        } else {
            buf.extend_from_slice(bytes);
            if buf.len() >= SEND_AT {
                copy.send(std::mem::take(&mut buf)).await.map(|_| ())
            } else {
                Ok(())
            }
        };
        if let Err(e) = send {
            let _ = copy.abort("gridmap stopped the copy").await;
            return Err(e).step(table.step);
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    copy.send(buf).await.step(table.step)?;
    copy.finish().await.step(table.step)
}

async fn rebuild_indexes(
    conn: &mut PgConnection,
    table: &Table,
    definitions: &[String],
) -> StoreResult<()> {
    for definition in definitions {
        sqlx::query(definition)
            .execute(&mut *conn)
            .await
            .step(table.step)?;
    }
    Ok(())
}

/// Rows from which a write considers rebuilding the table's secondary indexes.
const BULK_ROWS: usize = 50_000;

/// Drops the non-unique indexes of `table` when `rows` new rows are at least as many as
/// it holds, and returns the statements that make them again (none dropped: empty).
async fn drop_secondary_indexes(
    conn: &mut PgConnection,
    table: &Table,
    rows: usize,
) -> StoreResult<Vec<String>> {
    let held: f32 = sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = $1::regclass")
        .bind(table.name)
        .fetch_one(&mut *conn)
        .await
        .step(table.step)?;
    // reltuples is −1 before the first ANALYZE: an estimate, which is all this needs.
    if held.max(0.0) > rows as f32 {
        return Ok(Vec::new());
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary",
    )
    .bind(table.name)
    .fetch_all(&mut *conn)
    .await
    .step(table.step)?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await
            .step(table.step)?;
    }
    Ok(indexes
        .into_iter()
        .map(|(_, definition)| definition)
        .collect())
}

/// Rows encoded by one task.
const CHUNK_ROWS: usize = 4_096;

/// Encoded rows: their bytes and where each row ends in them.
type Chunk = (Vec<u8>, Vec<usize>);

/// Encodes `rows` for binary `COPY`, a chunk of [`CHUNK_ROWS`] per task on every core,
/// in order; the first value that could not be encoded is the error.
fn encode_chunks<T: Sync>(
    table: &Table,
    rows: &[T],
    encode: &(impl Fn(&mut Row<'_>, &T) + Sync),
) -> StoreResult<Vec<Chunk>> {
    debug_assert!(table
        .key
        .iter()
        .zip(table.columns)
        .all(|(k, (c, _))| k == c));
    let fields = i16::try_from(table.columns.len()).expect("a table of few columns");
    rows.par_chunks(CHUNK_ROWS)
        .map(|chunk| {
            let mut bytes = Vec::new();
            let mut ends = Vec::with_capacity(chunk.len());
            let mut error = None;
            for (i, item) in chunk.iter().enumerate() {
                if i == 1 {
                    // Rows of one table are alike: room for the chunk, from the first.
                    bytes.reserve(bytes.len() * (chunk.len() + chunk.len() / 8));
                }
                bytes.extend_from_slice(&fields.to_be_bytes());
                encode(
                    &mut Row {
                        bytes: &mut bytes,
                        error: &mut error,
                    },
                    item,
                );
                ends.push(bytes.len());
            }
            match error {
                Some(e) => Err(e),
                None => Ok((bytes, ends)),
            }
        })
        .collect()
}

/// Encoded rows and which of them to send: of rows repeating a key only the last.
struct Encoded {
    chunks: Vec<Chunk>,
    /// How many fields the key has.
    key_fields: usize,
}

impl Encoded {
    fn new(table: &Table, chunks: Vec<Chunk>) -> Self {
        Encoded {
            chunks,
            key_fields: table.key.len(),
        }
    }

    /// Every row's bytes, in order.
    fn rows(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks.iter().flat_map(|(bytes, ends)| {
            let starts = std::iter::once(0).chain(ends.iter().copied());
            starts
                .zip(ends.iter().copied())
                .map(move |(a, b)| &bytes[a..b])
        })
    }

    fn key<'r>(&self, row: &'r [u8]) -> &'r [u8] {
        key_bytes(&row[2..], self.key_fields)
    }

    /// Per row in order: whether it is the last with its key.
    fn last(&self) -> Vec<bool> {
        let rows: usize = self.chunks.iter().map(|(_, ends)| ends.len()).sum();
        let mut last_at: HashMap<&[u8], usize> = HashMap::with_capacity(rows);
        for (i, row) in self.rows().enumerate() {
            last_at.insert(self.key(row), i);
        }
        let mut last = vec![false; rows];
        for i in last_at.into_values() {
            last[i] = true;
        }
        last
    }

    /// The rows to send, one by one in the order the key's index keeps (see
    /// [`key_values`]); of rows repeating a key only the last, found by the sort.
    fn kept_by_key(&self) -> impl Iterator<Item = &[u8]> {
        let mut rows: Vec<(&[u8], &[u8])> = self.rows().map(|row| (self.key(row), row)).collect();
        // Stable: rows repeating a key stay in file order, the last one last.
        rows.par_sort_by(|a, b| key_values(a.0).cmp(key_values(b.0)));
        let last_of_its_key = |i: usize| rows.get(i + 1).is_none_or(|(next, _)| *next != rows[i].0);
        let kept: Vec<&[u8]> = (0..rows.len())
            .filter(|&i| last_of_its_key(i))
            .map(|i| rows[i].1)
            .collect();
        kept.into_iter()
    }

    /// The bytes to send: whole chunks where no row repeats a later key.
    fn kept(&self) -> impl Iterator<Item = &[u8]> {
        let last = self.last();
        let mut at = 0;
        self.chunks.iter().flat_map(move |(bytes, ends)| {
            let last = &last[at..at + ends.len()];
            at += ends.len();
            let pieces: Vec<&[u8]> = if last.iter().all(|l| *l) {
                vec![&bytes[..]]
            } else {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                starts
                    .zip(ends.iter().copied())
                    .zip(last)
                    .filter(|(_, keep)| **keep)
                    .map(|((a, b), _)| &bytes[a..b])
                    .collect()
            };
            pieces
        })
    }
}

/// Each field's bytes of an encoded key without their lengths, compared as the index
/// orders them: text in the "C" collation, byte by byte. Integers are big-endian, so
/// negative ones sort after the others: only the copy's speed depends on the order,
/// since any order puts rows repeating a key next to each other.
fn key_values(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let length = i32::from_be_bytes(key.get(at..at + 4)?.try_into().ok()?);
        let length = usize::try_from(length).unwrap_or(0);
        let value = key.get(at + 4..at + 4 + length);
        at += 4 + length;
        value
    })
}

/// The first `fields` encoded fields of a row (each a length, then that many bytes).
fn key_bytes(row: &[u8], fields: usize) -> &[u8] {
    let mut at = 0;
    for _ in 0..fields {
        let length = i32::from_be_bytes(row[at..at + 4].try_into().expect("a length"));
        at += 4 + usize::try_from(length).unwrap_or(0);
    }
    &row[..at]
}

/// [`write_rows`] as an upsert that says how many rows were new and how many updated
/// (repeats of one key within `rows` count as updates, as in the embedded store).
pub(super) async fn upsert_counted<T: Sync>(
    conn: &mut PgConnection,
    table: &Table,
    rows: &[T],
    encode: impl Fn(&mut Row<'_>, &T) + Sync,
) -> StoreResult<crate::UpsertCounts> {
    let inserted = write_rows(conn, table, rows, Merge::Upsert, encode).await?;
    Ok(crate::UpsertCounts {
        inserted,
        updated: rows.len() as u64 - inserted,
    })
}

#[cfg(test)]
mod tests {
    use super::{encode_chunks, Encoded, Kind, Row, Table, CHUNK_ROWS};

    const PAIRS: Table = Table {
        name: "pairs",
        key: &["a", "b"],
        columns: &[("a", Kind::Text), ("b", Kind::Int), ("v", Kind::Text)],
        update: &[],
        step: "test",
    };

    fn pair(row: &mut Row<'_>, (a, b, v): &(&str, i64, &str)) {
        row.text(a).int(*b).text(v);
    }

    /// What `kept` sends, decoded back to each row's `v`.
    fn sent_values(encoded: &Encoded) -> Vec<String> {
        let bytes: Vec<u8> = encoded.kept().flatten().copied().collect();
        values_of(&bytes)
    }

    /// Each encoded row's `v`.
    fn values_of(bytes: &[u8]) -> Vec<String> {
        let mut values = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            at += 2; // the field count
            let mut field = Vec::new();
            for _ in 0..3 {
                let n = i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
                field = bytes[at + 4..at + 4 + n].to_vec();
                at += 4 + n;
            }
            values.push(String::from_utf8(field).unwrap());
        }
        values
    }

    #[test]
    fn of_rows_repeating_a_key_only_the_last_is_written() {
        let rows = [
            ("x", 1, "first"),
            ("x", 2, "other"),
            ("x", 1, "second"),
            ("xx", 1, ""),
        ];
        let encoded = Encoded::new(&PAIRS, encode_chunks(&PAIRS, &rows, &pair).unwrap());
        // ("x", 1) twice: the second wins; "xx" is not "x" followed by more bytes.
        assert_eq!(encoded.last(), vec![false, true, true, true]);
        assert_eq!(sent_values(&encoded), ["other", "second", ""]);
    }

    #[test]
    fn rows_copied_into_an_empty_table_go_in_the_order_the_index_keeps() {
        let rows = [
            ("b", 1, "b1"),
            ("aa", 1, "aa1"),
            ("a", 2, "a2-first"),
            ("a", 1, "a1"),
            ("a", 2, "a2"),
        ];
        let encoded = Encoded::new(&PAIRS, encode_chunks(&PAIRS, &rows, &pair).unwrap());
        let sent: Vec<u8> = encoded.kept_by_key().flatten().copied().collect();
        // By text first ("aa" before "b", though longer), then number; a repeated key
        // sends its last row.
        assert_eq!(values_of(&sent), ["a1", "a2", "aa1", "b1"]);
    }

    #[test]
    fn a_key_repeated_in_a_later_chunk_sends_only_the_later_row() {
        let names: Vec<String> = (0..CHUNK_ROWS + 500).map(|i| i.to_string()).collect();
        let rows: Vec<(&str, i64, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, v)| ("k", (i % CHUNK_ROWS) as i64, v.as_str()))
            .collect();
        let sent = sent_values(&Encoded::new(
            &PAIRS,
            encode_chunks(&PAIRS, &rows, &pair).unwrap(),
        ));
        let expected: Vec<String> = (500..CHUNK_ROWS + 500).map(|i| i.to_string()).collect();
        assert_eq!(sent, expected);
    }
}
