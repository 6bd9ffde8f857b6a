//! Database helpers every service uses: write transactions that wait their
//! turn on SQLite, and SQL written once for both engines.

/// Begins a transaction that will write. On SQLite this is `BEGIN
/// IMMEDIATE`: the write lock is taken at the start, so a second writer
/// waits its turn (up to the busy timeout). A plain `BEGIN` reads first
/// and asks for the lock at its first write; if another writer committed
/// in between, SQLite refuses at once with "database is locked" and does
/// not wait, so concurrent saves failed. Inside a transaction already it
/// is a savepoint, covered by the outer transaction's lock.
pub async fn begin_write<C>(db: &C) -> Result<C::Transaction, sea_orm::DbErr>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{DbBackend, SqliteTransactionMode, TransactionOptions};
    if db.get_database_backend() != DbBackend::Sqlite {
        return db.begin().await;
    }
    let immediate = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    match db.begin_with_options(immediate).await {
        // sqlx refuses a custom BEGIN inside a transaction (a savepoint).
        Err(e) if e.to_string().contains("non-zero transaction depth") => db.begin().await,
        other => other,
    }
}

/// `?` placeholders become `$n` on PostgreSQL.
pub fn placeholders(backend: sea_orm::DatabaseBackend, sql: &str) -> String {
    if backend != sea_orm::DatabaseBackend::Postgres {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// `col IN (1,2,3)` for a list of ids (written into the SQL: they are
/// integers), `1 = 1` for all (`None`), `1 = 0` for none. Callers chunk
/// long lists (500 at a time) to stay within the engines' limits.
pub fn id_filter(col: &str, ids: Option<&[i32]>) -> String {
    match ids {
        None => "1 = 1".into(),
        Some([]) => "1 = 0".into(),
        Some(ids) => format!(
            "{col} IN ({})",
            ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
        ),
    }
}
