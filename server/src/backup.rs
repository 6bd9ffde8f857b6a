//! `skillmap backup`, `skillmap restore` and `skillmap check`: a consistent
//! online copy of the SQLite database, restoring one into an empty
//! database, and a summary (integrity, and every table's rows and checksum)
//! that shows two databases hold the same data.
//!
//! PostgreSQL has its own tools for this (`pg_dump -Fc` while running,
//! `pg_restore` into an empty database; see docs/operations.md); `check` works on
//! both engines.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use sha2::{Digest, Sha256};

/// One table: its rows and a checksum of their contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// "ok", or what SQLite's integrity and foreign-key checks reported.
    pub integrity: String,
    pub tables: Vec<TableSum>,
}

impl Summary {
    pub fn render(&self) -> String {
        let mut out = format!("integrity: {}\n", self.integrity);
        for t in &self.tables {
            let _ = writeln!(out, "{:<24} {:>9} rows  {}", t.table, t.rows, t.checksum);
        }
        out
    }
}

fn sql(db: &DatabaseConnection, text: &str) -> Statement {
    Statement::from_string(db.get_database_backend(), text)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn strings(db: &DatabaseConnection, text: &str) -> Result<Vec<String>, String> {
    let rows = db
        .query_all_raw(sql(db, text))
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).map_err(|e| e.to_string()))
        .collect()
}

/// Integrity (SQLite) and each table's row count and checksum. Rows are
/// written out as text (SQLite's `quote()` of each column; PostgreSQL's row
/// text), sorted, and hashed: the same data gives the same checksum
/// whatever order or page layout it is stored in.
pub async fn summary(db: &DatabaseConnection) -> Result<Summary, String> {
    let sqlite = db.get_database_backend() == DatabaseBackend::Sqlite;
    let (integrity, tables) = if sqlite {
        let mut found = strings(db, "PRAGMA integrity_check").await?;
        let fk = db
            .query_all_raw(sql(db, "PRAGMA foreign_key_check"))
            .await
            .map_err(|e| e.to_string())?;
        if !fk.is_empty() {
            found.push(format!("{} rows break a foreign key", fk.len()));
        }
        let tables = strings(
            db,
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .await?;
        (found.join("; "), tables)
    } else {
        let tables = strings(
            db,
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY tablename",
        )
        .await?;
        ("ok".to_string(), tables)
    };
    let mut sums = Vec::with_capacity(tables.len());
    for table in tables {
        let row_text = if sqlite {
            let columns = strings(
                db,
                &format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    table.replace('\'', "''")
                ),
            )
            .await?;
            let parts: Vec<String> = columns
                .iter()
                .map(|c| format!("quote({})", quote_ident(c)))
                .collect();
            format!(
                "SELECT {} FROM {} ORDER BY 1",
                parts.join(" || ',' || "),
                quote_ident(&table)
            )
        } else {
            format!(
                "SELECT t::text FROM {} AS t ORDER BY 1",
                quote_ident(&table)
            )
        };
        let rows = strings(db, &row_text).await?;
        let mut hash = Sha256::new();
        for r in &rows {
            hash.update(r.as_bytes());
            hash.update(b"\n");
        }
        sums.push(TableSum {
            table,
            rows: rows.len() as u64,
            checksum: hex::encode(&hash.finalize()[..8]),
        });
    }
    Ok(Summary {
        integrity,
        tables: sums,
    })
}

/// The file a `sqlite:` URL names.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn sqlite_only(db: &DatabaseConnection, what: &str) -> Result<(), String> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        Ok(())
    } else {
        Err(format!(
            "{what} is for the embedded SQLite database. For PostgreSQL use its own tools: \
             pg_dump -Fc (consistent while Skillmap runs) and pg_restore into an empty \
             database; see docs/operations.md."
        ))
    }
}

/// Writes a consistent copy of the running database to `file` with
/// `VACUUM INTO`: one read transaction, so writers carry on (WAL) and the
/// copy is the database as it was at one instant. Never overwrites.
///
/// The copy holds password hashes, the badge-signing key and everyone's
/// personal data, so it is readable by its owner only (0600), whatever the
/// umask: the file is created empty with that mode before SQLite fills it.
pub async fn backup(db: &DatabaseConnection, file: &Path) -> Result<Summary, String> {
    sqlite_only(db, "skillmap backup")?;
    if file.exists() {
        return Err(format!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            file.display()
        ));
    }
    let name = file
        .to_str()
        .ok_or("the backup file's name must be valid UTF-8")?;
    create_private(file).map_err(|e| format!("could not create {}: {e}", file.display()))?;
    let written = db
        .execute_unprepared(&format!("VACUUM INTO '{}'", name.replace('\'', "''")))
        .await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(file);
        return Err(format!("could not write {}: {e}", file.display()));
    }
    let copy = open_sqlite(file, true).await?;
    let found = summary(&copy).await;
    copy.close().await.ok();
    found
}

/// A new, empty file only its owner can read and write (SQLite's
/// `VACUUM INTO` accepts an empty file).
fn create_private(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file).map(drop)
}

async fn open_sqlite(file: &Path, read_only: bool) -> Result<DatabaseConnection, String> {
    let mode = if read_only { "ro" } else { "rwc" };
    let url = format!("sqlite://{}?mode={mode}", file.display());
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(1).sqlx_logging(false);
    sea_orm::Database::connect(options)
        .await
        .map_err(|e| format!("could not open {}: {e}", file.display()))
}

/// Restores a backup as the database `database_url` names, which must be
/// empty (no file, an empty file, or no tables). The backup is checked
/// first (integrity, and that it is a Skillmap database), then copied
/// beside the target and renamed into place, so a failure part-way leaves
/// no half-restored database. Returns the restored database's summary.
pub async fn restore(database_url: &str, file: &Path) -> Result<Summary, String> {
    let target = sqlite_path(database_url).ok_or_else(|| {
        "skillmap restore is for the embedded SQLite database (DATABASE_URL=sqlite://...). \
         For PostgreSQL use pg_restore into an empty database; see docs/operations.md."
            .to_string()
    })?;
    if !file.is_file() {
        return Err(format!("{} is not a file", file.display()));
    }
    let unreadable =
        |e: String| format!("{e}: not a readable SQLite database; nothing was restored");
    let source = open_sqlite(file, true).await.map_err(unreadable)?;
    let checked = summary(&source).await;
    source.close().await.ok();
    let checked = checked.map_err(unreadable)?;
    if checked.integrity != "ok" {
        return Err(format!(
            "{} is damaged ({}); nothing was restored",
            file.display(),
            checked.integrity
        ));
    }
    if !checked.tables.iter().any(|t| t.table == "seaql_migrations") {
        return Err(format!(
            "{} is not a Skillmap backup (it has no migrations table); nothing was restored",
            file.display()
        ));
    }
    if target.exists() && std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0) > 0 {
        let existing = open_sqlite(&target, true).await?;
        let tables = strings(
            &existing,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .await;
        existing.close().await.ok();
        if !tables?.is_empty() {
            return Err(format!(
                "{} already holds a database; restore only into an empty one (move it aside first)",
                target.display()
            ));
        }
    }
    if let Some(dir) = target.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let partial = target.with_extension("restoring");
    let _ = std::fs::remove_file(&partial);
    create_private(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::copy(file, &partial).map_err(|e| format!("copying to {}: {e}", partial.display()))?;
    // `copy` gives the file the backup's mode: the database stays private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", partial.display()))?;
    }
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    for stale in ["-wal", "-shm"] {
        let mut p = target.clone().into_os_string();
        p.push(stale);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&partial, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    let restored = open_sqlite(&target, false).await?;
    let found = summary(&restored).await;
    restored.close().await.ok();
    found
}
