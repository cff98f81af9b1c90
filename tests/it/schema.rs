//! The two migration folders make one schema. Both are migrated from empty
//! and compared: tables, columns, types (mapped: SQLite's INTEGER and
//! PostgreSQL's bigint are one integer), nullability, defaults, and indexes
//! with their columns. What is by design one backend's own (the search
//! index: FTS5 on SQLite, trigram GIN on PostgreSQL) is named below. Runs in
//! the PostgreSQL pass of `make test`; CONTRIBUTING.md says how a migration
//! is added to both folders.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use crate::common::{fresh_database, test_postgres};

/// Objects one backend has by design, with why.
const OWN: &[(&str, &str)] = &[
    ("leads_search", "SQLite's FTS5 search table"),
    (
        "leads_search_",
        "FTS5's shadow tables and PostgreSQL's trigram indexes",
    ),
    ("_sqlx_migrations", "each backend's migration ledger"),
    (
        "api_rate_windows",
        "PostgreSQL's rate-limit windows shared by instances; one SQLite process counts in memory",
    ),
    ("sqlite_", "SQLite's own tables"),
];

fn own(name: &str) -> bool {
    OWN.iter()
        .any(|(prefix, _)| name == *prefix || name.starts_with(prefix))
}

#[derive(Debug, PartialEq, Eq, Clone)]
struct Column {
    kind: &'static str,
    nullable: bool,
    default: Option<String>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    /// table → column → shape
    tables: BTreeMap<String, BTreeMap<String, Column>>,
    /// index → (table, columns)
    indexes: BTreeMap<String, (String, Vec<String>)>,
}

fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else {
        "other"
    }
}

/// A default as both backends mean it: without PostgreSQL's casts, quotes
/// and case, and with SQLite's 0/1 booleans as false/true.
fn default(raw: Option<String>, kind: &str) -> Option<String> {
    let raw = raw?;
    if raw.starts_with("nextval(") || raw.contains("GENERATED") {
        return None;
    }
    let value = raw
        .split("::")
        .next()
        .unwrap_or(&raw)
        .trim()
        .to_ascii_lowercase();
    let value = value.trim_matches('(').trim_matches(')').to_owned();
    Some(match (kind, value.as_str()) {
        ("boolean", "0") => "false".to_owned(),
        ("boolean", "1") => "true".to_owned(),
        _ => value,
    })
}

async fn sqlite_schema(db: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(db)
            .await
            .unwrap();
    for (table,) in tables.into_iter().filter(|(t,)| !own(t)) {
        let mut columns = BTreeMap::new();
        let rows = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(db)
        .await
        .unwrap();
        for row in rows {
            let name: String = row.get(0);
            let declared: String = row.get(1);
            let not_null: i64 = row.get(2);
            let dflt: Option<String> = row.get(3);
            let pk: i64 = row.get(4);
            let kind = kind(&declared);
            columns.insert(
                name,
                Column {
                    kind,
                    // A primary key is never null, whatever it says.
                    nullable: not_null == 0 && pk == 0,
                    default: default(dflt, kind),
                },
            );
        }
        let indexes: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c'"
        ))
        .fetch_all(db)
        .await
        .unwrap();
        for (index,) in indexes.into_iter().filter(|(i,)| !own(i)) {
            let cols: Vec<(String,)> = sqlx::query_as(&format!(
                "SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"
            ))
            .fetch_all(db)
            .await
            .unwrap();
            schema.indexes.insert(
                index,
                (table.clone(), cols.into_iter().map(|(c,)| c).collect()),
            );
        }
        schema.tables.insert(table, columns);
    }
    schema
}

async fn postgres_schema(db: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    let rows = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text,
                c.column_default::text, c.is_identity::text
         FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    for row in rows {
        let table: String = row.get(0);
        if own(&table) {
            continue;
        }
        let data_type: String = row.get(2);
        let nullable: String = row.get(3);
        let dflt: Option<String> = row.get(4);
        let identity: String = row.get(5);
        let kind = kind(&data_type);
        schema.tables.entry(table).or_default().insert(
            row.get(1),
            Column {
                kind,
                nullable: nullable == "YES",
                default: if identity == "YES" {
                    None
                } else {
                    default(dflt, kind)
                },
            },
        );
    }
    // Indexes made by CREATE INDEX (not by a key or UNIQUE constraint, as
    // SQLite's `origin = 'c'` above).
    let indexes = sqlx::query(
        "SELECT i.relname::text, t.relname::text,
                array_to_string(ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
                                      ORDER BY k.o), ',')
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(db)
    .await
    .unwrap();
    for row in indexes {
        let index: String = row.get(0);
        if own(&index) {
            continue;
        }
        let columns: String = row.get(2);
        schema.indexes.insert(
            index,
            (row.get(1), columns.split(',').map(str::to_owned).collect()),
        );
    }
    schema
}

async fn migrated(url: &str) -> AnyPool {
    let db = leadline::platform::db::connect(url).await.unwrap();
    leadline::platform::db::migrate(&db).await.unwrap();
    db
}

#[tokio::test]
async fn both_migration_folders_make_the_same_schema() {
    if test_postgres().is_none() {
        // The PostgreSQL pass runs it.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = migrated(&format!(
        "sqlite://{}",
        dir.path().join("parity.db").display()
    ))
    .await;
    let postgres = migrated(&fresh_database(dir.path(), "parity").await).await;
    let (lite, pg) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );
    assert!(lite.tables.len() > 10, "{:?}", lite.tables.keys());
    let tables = |s: &Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(tables(&lite), tables(&pg), "the same tables");
    for (table, columns) in &lite.tables {
        assert_eq!(columns, &pg.tables[table], "the columns of {table}");
    }
    assert_eq!(lite.indexes, pg.indexes, "the same indexes");
}

/// The check itself: a column one folder has and the other lacks fails it.
#[tokio::test]
async fn a_column_in_one_folder_only_is_caught() {
    if test_postgres().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = migrated(&format!(
        "sqlite://{}",
        dir.path().join("drift.db").display()
    ))
    .await;
    let postgres = migrated(&fresh_database(dir.path(), "drift").await).await;
    sqlx::query("ALTER TABLE leads ADD COLUMN score INTEGER")
        .execute(&sqlite)
        .await
        .unwrap();
    let (lite, pg) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );
    assert_ne!(lite.tables["leads"], pg.tables["leads"]);
}
