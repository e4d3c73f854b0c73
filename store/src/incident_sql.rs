//! Incident lists and counts as SQL, the same text for both backends: the filter's
//! `WHERE` clause and the grouped counts (`COUNT(*) FILTER (WHERE …)`, which SQLite and
//! PostgreSQL both read), built with the backend's own placeholders.

use crate::decode::Cells;
use crate::{CountBy, IncidentCounts, IncidentFilter};
use gridmap_core::AccessScope;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// An incident still open.
pub(crate) const OPEN: &str = "status NOT IN ('closed', 'evaluated', 'voided')";
/// An incident verified and closed.
pub(crate) const CLOSED: &str = "status IN ('closed', 'evaluated')";

/// Appends `WHERE …` for `f` (always at least `WHERE TRUE`).
pub(crate) fn push_filter<'a, DB>(q: &mut QueryBuilder<'a, DB>, f: &IncidentFilter)
where
    DB: Database,
    f64: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
{
    q.push(" WHERE TRUE");
    if let Some([a, b, c, d]) = f.bbox {
        q.push(" AND lon BETWEEN ")
            .push_bind(a)
            .push(" AND ")
            .push_bind(c);
        q.push(" AND lat BETWEEN ")
            .push_bind(b)
            .push(" AND ")
            .push_bind(d);
    }
    if let Some(from) = f.from {
        q.push(" AND time >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND time < ").push_bind(to);
    }
    if !f.categories.is_empty() {
        for col in [" AND (category IN (", ") OR subcategory IN ("] {
            q.push(col);
            let mut list = q.separated(", ");
            for c in &f.categories {
                list.push_bind(c.clone());
            }
        }
        q.push("))");
    }
    if !f.statuses.is_empty() {
        q.push(" AND status IN (");
        let mut list = q.separated(", ");
        for s in &f.statuses {
            list.push_bind(s.as_str().to_owned());
        }
        q.push(")");
    }
    if let Some(now) = f.overdue_at {
        q.push(format!(" AND {OPEN} AND paused = 0 AND due < "))
            .push_bind(now);
    }
    if let Some(grid) = &f.grid {
        q.push(" AND grid = ").push_bind(grid.as_str().to_owned());
    }
    // Villages and townships through the grid index: a grid code starts with its
    // village's code and a dash, and the village code with its township's prefix.
    if let Some(village) = &f.village {
        let v = village.as_str();
        push_area(q, "village", v, format!("{v}-"), format!("{v}."));
    }
    if let Some(township) = &f.township {
        let t = township.prefix();
        // ':' sorts right after '9': every code below the township goes on with a digit.
        push_area(
            q,
            "township",
            township.as_str(),
            t.to_owned(),
            format!("{t}:"),
        );
    }
    if let Some(assignee) = &f.assignee {
        q.push(" AND assignee = ").push_bind(assignee.clone());
    }
    match &f.scope {
        None | Some(AccessScope::All) => {}
        // Through the grid index as for a township, the village for incidents in no grid.
        Some(AccessScope::Area(prefix)) => {
            let (from, to) = (prefix.clone(), format!("{prefix}:"));
            q.push(" AND ((grid >= ")
                .push_bind(from.clone())
                .push(" AND grid < ")
                .push_bind(to.clone())
                .push(") OR (grid IS NULL AND village >= ")
                .push_bind(from)
                .push(" AND village < ")
                .push_bind(to)
                .push("))");
        }
        Some(AccessScope::Grids(grids)) if grids.is_empty() => {
            q.push(" AND FALSE");
        }
        Some(AccessScope::Grids(grids)) => {
            q.push(" AND grid IN (");
            let mut list = q.separated(", ");
            for g in grids {
                list.push_bind(g.as_str().to_owned());
            }
            q.push(")");
        }
    }
}

/// ` AND (grid in [from, to) OR (grid IS NULL AND column = code))`.
fn push_area<'a, DB>(
    q: &mut QueryBuilder<'a, DB>,
    column: &str,
    code: &str,
    from: String,
    to: String,
) where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
{
    q.push(" AND ((grid >= ")
        .push_bind(from)
        .push(" AND grid < ")
        .push_bind(to)
        .push(format!(") OR (grid IS NULL AND {column} = "))
        .push_bind(code.to_owned())
        .push("))");
}

/// The grouped counts of the incidents passing `filter` (`now` decides what is
/// overdue), one row per key in key order; [`counts_from_row`] reads a row.
pub(crate) fn counts_query<'a, DB>(
    filter: &IncidentFilter,
    by: CountBy,
    now: i64,
) -> QueryBuilder<'a, DB>
where
    DB: Database,
    f64: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
{
    let key = match by {
        CountBy::Status => "status",
        CountBy::Category => "category",
        CountBy::Township => "township",
        CountBy::Village => "village",
        CountBy::Grid => "grid",
        CountBy::Assignee => "assignee",
    };
    let mut q = QueryBuilder::<DB>::new(format!(
        "SELECT {key}, COUNT(*), COUNT(*) FILTER (WHERE {OPEN}), COUNT(*) FILTER (WHERE {CLOSED}),
            COUNT(*) FILTER (WHERE {CLOSED} AND late_stages = 0),
            COUNT(*) FILTER (WHERE ({OPEN} AND paused = 0 AND due < "
    ));
    q.push_bind(now);
    q.push(format!(
        ") OR ({CLOSED} AND late_stages > 0)), COUNT(*) FILTER (WHERE status = 'voided'),
            COUNT(rating), CAST(COALESCE(SUM(rating), 0) AS BIGINT) FROM incidents"
    ));
    push_filter(&mut q, filter);
    q.push(format!(" GROUP BY {key} ORDER BY {key} NULLS FIRST"));
    q
}

/// One row of [`counts_query`].
pub(crate) fn counts_from_row(row: &impl Cells) -> IncidentCounts {
    let n = |i: usize| -> u64 { row.opt_int(i).unwrap_or(0).max(0) as u64 };
    IncidentCounts {
        key: row.opt_text(0),
        received: n(1),
        open: n(2),
        closed: n(3),
        closed_on_time: n(4),
        overdue: n(5),
        voided: n(6),
        rated: n(7),
        rating_sum: n(8),
    }
}
