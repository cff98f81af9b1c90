//! The database: embedded SQLite by default, PostgreSQL for several
//! instances, chosen by `DATABASE_URL`. Everything that differs between the
//! two lives here: connecting, migrations, starting a write, and telling
//! other processes that credentials changed. The feature data modules write
//! portable SQL (`$N` placeholders, which SQLite accepts too) against one
//! pool type.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyTypeInfo, AnyTypeInfoKind};
use sqlx::{Any, Decode, Executor, Type, ValueRef};

pub type Db = sqlx::AnyPool;
pub type Conn = sqlx::AnyConnection;
pub type Tx = sqlx::Transaction<'static, Any>;

/// The advisory lock that makes PostgreSQL writes that read first (the
/// last-admin check, the playground cap) one at a time, as SQLite's
/// `BEGIN IMMEDIATE` does.
const WRITE_LOCK: i64 = 0x4c65_6164_6c69_6e65; // "Leadline"

/// How long a request waits for a PostgreSQL connection before it is told
/// the database is unavailable (503): a stopped server is answered within
/// this, and requests succeed again as soon as it is back.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(format!(
                "DATABASE_URL must start with sqlite: or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            ))
        }
    }

    /// The backend of a pool, from the URL it was opened with.
    pub fn of_pool(db: &Db) -> Self {
        Self::of(db.connect_options().database_url.as_str()).unwrap_or(Self::Sqlite)
    }

    pub fn of_connection(conn: &Conn) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    match Backend::of(url).map_err(|message| sqlx::Error::Configuration(message.into()))? {
        Backend::Sqlite => {
            if let Some(dir) = database_path(url).and_then(|p| p.parent().map(|d| d.to_path_buf()))
            {
                let _ = std::fs::create_dir_all(dir);
            }
            let url = if url.contains("mode=") || database_path(url).is_none() {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // A commit acknowledged is a commit kept, even on
                        // power loss; writers wait for each other.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
        }
        Backend::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                // A database that is away is answered at once (503), not waited out.
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await
        }
    }
}

pub async fn migrate(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = db.acquire().await?;
    let backend = Backend::of_connection(&conn);
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&mut *conn).await,
        Backend::Postgres => {
            sqlx::migrate!("./migrations/postgres")
                .run(&mut *conn)
                .await
        }
    }
}

/// Starts a read-then-write transaction, one at a time across every
/// process. SQLite: `BEGIN IMMEDIATE` takes the write lock up front (a
/// deferred transaction that upgrades later fails at once with
/// SQLITE_BUSY). PostgreSQL: a transaction-scoped advisory lock.
pub async fn begin_write(db: &Db) -> Result<Tx, sqlx::Error> {
    match Backend::of_pool(db) {
        Backend::Sqlite => db.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// Escapes LIKE wildcards so user input matches literally (with
/// `ESCAPE '\\'`).
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A boolean as SQL gives it: PostgreSQL sends a boolean, SQLite an integer.
/// sqlx's `Any` driver decodes neither SQLite integers as `bool` nor SQLite
/// `BOOLEAN` columns at all (launchbadge/sqlx#2778), so queries select
/// boolean columns as `CAST(col AS INTEGER)` and row types read them
/// through this: `#[sqlx(try_from = "SqlBool")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SqlBool(pub bool);

impl From<SqlBool> for bool {
    fn from(value: SqlBool) -> Self {
        value.0
    }
}

impl Type<Any> for SqlBool {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Any> for SqlBool {
    fn decode(
        value: <Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        if value.type_info().kind() == AnyTypeInfoKind::Bool {
            <bool as Decode<Any>>::decode(value).map(SqlBool)
        } else {
            <i64 as Decode<Any>>::decode(value).map(|n| SqlBool(n != 0))
        }
    }
}

/// Appends many rows at once on PostgreSQL: `COPY … FROM STDIN` in CSV, on
/// a connection of its own, since sqlx's `Any` driver has no COPY. The
/// server takes about half the CPU per row that a multi-row `INSERT` costs
/// it, which matters for the request log, written while the API is busiest
/// (docs/benchmarks.md). SQLite has no COPY; its writers insert.
#[derive(Clone)]
pub struct Copier(sqlx::PgPool);

impl Copier {
    /// A copier for `db`'s database when it is PostgreSQL. It connects when
    /// first used, and waits for the database no longer than a request does.
    pub fn for_pool(db: &Db) -> Option<Self> {
        if Backend::of_pool(db) != Backend::Postgres {
            return None;
        }
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(db.connect_options().database_url.as_str())
            .ok()
            .map(Self)
    }

    /// Runs `statement` (`COPY table (columns) FROM STDIN (FORMAT csv)`)
    /// with `csv` as its rows, in one transaction of its own: every row is
    /// written or none is. Returns how many were.
    pub async fn copy(&self, statement: &str, csv: &str) -> Result<u64, sqlx::Error> {
        use sqlx::postgres::PgPoolCopyExt;
        let mut copy = self.0.copy_in_raw(statement).await?;
        if let Err(error) = copy.send(csv.as_bytes()).await {
            let _ = copy.abort(error.to_string()).await;
            return Err(error);
        }
        copy.finish().await
    }
}

/// Appends `value` to a CSV row for [`Copier::copy`] as a quoted field, so
/// that an empty text stays empty (an unquoted empty field is NULL) and
/// commas, quotes and line breaks in it stay text.
pub fn csv_text(row: &mut String, value: &str) {
    row.push('"');
    let mut parts = value.split('"');
    if let Some(first) = parts.next() {
        row.push_str(first);
    }
    for part in parts {
        row.push_str("\"\"");
        row.push_str(part);
    }
    row.push('"');
}

/// The placeholders of a multi-row `VALUES` list, `rows` rows of `per_row`
/// values, numbered from 1: `($1, $2), ($3, $4)` on PostgreSQL, and
/// anonymous `(?, ?), (?, ?)` on SQLite, which finds a named placeholder by
/// a linear scan for every value bound: a statement of 3,000 named values
/// costs millions of steps to bind (the request log's writes, measured).
pub fn row_placeholders(backend: Backend, rows: usize, per_row: usize) -> String {
    let mut sql = String::with_capacity(rows * per_row * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..per_row {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * per_row + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// A query whose conditions depend on which filters are present: each
/// condition is added with its value, which gets the next `$N` placeholder
/// (sqlx's `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL
/// does not read). Only the conditions present reach the planner, so each
/// combination can use its index, where `($1 IS NULL OR col = $1)` would
/// defeat it.
#[derive(Default)]
pub struct Filtered {
    sql: String,
    values: Vec<Value>,
    plan_each_time: bool,
}

/// A value bound to a `Filtered` query.
#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl Filtered {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            values: Vec::new(),
            plan_each_time: false,
        }
    }

    /// Appends SQL text as it is.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self.sql.push_str(&format!("${}", self.values.len()));
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The placeholder the next bound value will get (`$N`'s N), for SQL
    /// that names one value more than once (`push_with`).
    pub fn next_placeholder(&self) -> usize {
        self.values.len() + 1
    }

    /// Appends `sql`, which names the next placeholder (from
    /// `next_placeholder`) any number of times, and binds `value` to it.
    pub fn push_with(&mut self, sql: &str, value: impl Into<Value>) -> &mut Self {
        self.sql.push_str(sql);
        self.values.push(value.into());
        self
    }

    /// Not kept as a prepared statement, so that PostgreSQL plans it for
    /// its values on every call: after five calls it may otherwise settle on
    /// a generic plan, which cannot use an index for `LIKE $1`.
    pub fn plan_each_time(&mut self) -> &mut Self {
        self.plan_each_time = true;
        self
    }

    /// The same query after `prefix` (`EXPLAIN QUERY PLAN `, for the plan
    /// tests).
    pub fn prefixed(&self, prefix: &str) -> Self {
        Self {
            sql: format!("{prefix}{}", self.sql),
            values: self.values.clone(),
            plan_each_time: self.plan_each_time,
        }
    }

    /// The statement with its values bound, to execute.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        self.values
            .iter()
            .fold(sqlx::query(&self.sql), |query, value| match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
            })
            .persistent(!self.plan_each_time)
    }

    /// The query with its values bound, to fetch rows of `O`.
    pub fn query_as<'q, O>(
        &'q self,
    ) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.values
            .iter()
            .fold(sqlx::query_as(&self.sql), |query, value| match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
            })
            .persistent(!self.plan_each_time)
    }
}

/// Keyset pagination: callers fetch `limit + 1` rows; if the extra row came,
/// it is dropped and the last kept row gives the cursor for the next page.
pub fn next_cursor<T, C>(rows: &mut Vec<T>, limit: i64, cursor: impl Fn(&T) -> C) -> Option<C> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    }
}

/// The file behind a `sqlite:` URL; `None` for an in-memory database or
/// another backend.
pub fn database_path(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::{csv_text, row_placeholders, Backend};

    #[test]
    fn csv_text_is_quoted_with_its_quotes_doubled() {
        let mut row = String::new();
        for value in ["", "plain", "say \"hi\", twice\n", "\"", "é\\t"] {
            csv_text(&mut row, value);
            row.push(',');
        }
        assert_eq!(
            row,
            "\"\",\"plain\",\"say \"\"hi\"\", twice\n\",\"\"\"\",\"é\\t\","
        );
    }

    #[test]
    fn rows_of_values_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(
            row_placeholders(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(row_placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(row_placeholders(Backend::Sqlite, 0, 2), "");
    }
}
