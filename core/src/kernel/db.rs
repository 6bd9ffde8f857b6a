//! Database helpers every service uses: write transactions that wait their
//! turn on SQLite, and SQL written once for both engines.

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, IsolationLevel,
    QueryResult, SqliteTransactionMode, Statement, TransactionError, TransactionOptions,
    TransactionSession, TransactionTrait,
};
use tokio::sync::{Semaphore, SemaphorePermit};

/// This process's writers to SQLite, one at a time, in the order they
/// asked (a fair queue). SQLite has one write lock per file; a writer that
/// finds it taken is left to SQLite's busy handler, which sleeps and tries
/// again (1, 2, 5, 10 ... 100 ms), so under load the lock sat free while
/// the next writer slept, and whoever woke first took it however long the
/// others had waited: saves waited seconds. Waiting here instead, a writer
/// starts the moment the last one commits. Another process writing the
/// same file (the CLI) still meets the busy handler.
static SQLITE_WRITERS: Semaphore = Semaphore::const_new(1);

/// A transaction begun by `begin_write`: used as the transaction itself
/// (it is a connection, and begins savepoints), and on SQLite it holds
/// the process's turn to write until it commits, rolls back or is dropped.
pub struct WriteTxn<T> {
    txn: T,
    _turn: Option<SemaphorePermit<'static>>,
    trace: Option<TurnTrace>,
}

/// What a turn to write did, when its log is on (`RUST_LOG` with
/// `skillmap::write_turn=debug`): how long the writer waited for its turn,
/// how long it held it, and each statement's time inside it, logged at its
/// commit. For finding what holds the other writers up under load.
struct TurnTrace {
    asked: std::time::Instant,
    began: std::time::Instant,
    steps: std::sync::Mutex<Vec<(String, std::time::Duration)>>,
}

impl TurnTrace {
    fn start(asked: std::time::Instant) -> Option<Self> {
        tracing::enabled!(target: "skillmap::write_turn", tracing::Level::DEBUG).then(|| {
            TurnTrace {
                asked,
                began: std::time::Instant::now(),
                steps: Default::default(),
            }
        })
    }

    async fn time<F: Future>(trace: &Option<Self>, label: String, work: F) -> F::Output {
        let Some(trace) = trace else {
            return work.await;
        };
        let at = std::time::Instant::now();
        let out = work.await;
        if let Ok(mut steps) = trace.steps.lock() {
            steps.push((label, at.elapsed()));
        }
        out
    }

    fn log(self) {
        let steps = self.steps.into_inner().unwrap_or_default();
        let steps: Vec<String> = steps
            .iter()
            .map(|(label, took)| format!("{label}: {} us", took.as_micros()))
            .collect();
        tracing::debug!(
            target: "skillmap::write_turn",
            waited_us = (self.began - self.asked).as_micros() as u64,
            held_us = self.began.elapsed().as_micros() as u64,
            statements = steps.len(),
            "{}",
            steps.join("; ")
        );
    }
}

/// Begins a transaction that will write. On SQLite this is `BEGIN
/// IMMEDIATE`: the write lock is taken at the start, so a second writer
/// waits its turn. A plain `BEGIN` reads first and asks for the lock at
/// its first write; if another writer committed in between, SQLite refuses
/// at once with "database is locked" and does not wait, so concurrent
/// saves failed. Writers from the pool queue for their turn first
/// (`SQLITE_WRITERS`). Inside a transaction already it is a savepoint,
/// covered by the outer transaction's lock and turn.
pub async fn begin_write<C>(db: &C) -> Result<WriteTxn<C::Transaction>, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            _turn: None,
            trace: None,
        });
    }
    // Only a writer straight from the pool queues: one inside a
    // transaction may be inside a turn already, and waiting for it again
    // would wait for ever.
    let from_pool = std::any::type_name::<C>() == std::any::type_name::<DatabaseConnection>();
    let asked = std::time::Instant::now();
    let turn = if from_pool {
        Some(
            SQLITE_WRITERS
                .acquire()
                .await
                .expect("the gate is never closed"),
        )
    } else {
        None
    };
    let immediate = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = match db.begin_with_options(immediate).await {
        // sqlx refuses a custom BEGIN inside a transaction (a savepoint).
        Err(e) if e.to_string().contains("non-zero transaction depth") => db.begin().await,
        other => other,
    }?;
    let trace = turn.as_ref().and_then(|_| TurnTrace::start(asked));
    Ok(WriteTxn {
        txn,
        _turn: turn,
        trace,
    })
}

/// SQLite's writes, on a thread of their own. A write turn is several
/// round trips to sqlx's worker thread for the connection; on the server's
/// worker threads each reply waited its turn behind page renders and
/// other requests (tasks woken from another thread go to the back of the
/// queue), so under load a turn of ~0.3 ms of work took 3 ms and every
/// other writer waited for it. On this thread nothing else runs but
/// writes, and a reply is picked up as soon as it comes.
static WRITE_LANE: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();

/// The write lane's own connections to the process's SQLite file
/// (`dedicate_sqlite_writer`), with the file they open.
static SQLITE_WRITER: std::sync::OnceLock<(std::path::PathBuf, DatabaseConnection)> =
    std::sync::OnceLock::new();

/// Gives the write lane connections of its own to `db`'s SQLite file (the
/// server's database; a no-op elsewhere, and for a database in memory, or
/// once one is set). A write's turn began by taking a connection from the
/// pool, and under load the pool's were all busy with pages' reads: the
/// gap between one turn's commit and the next one's `BEGIN` was longer
/// than the turn. Three connections, opened now and kept (no idle or age
/// limit): the turn's, and two for the reads writers make before theirs.
/// Opened from the write lane's thread, so their threads share its
/// priority, not the request workers' (see the server's `worker_nice`).
pub async fn dedicate_sqlite_writer(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::sqlx::sqlite::SqlitePoolOptions;
    if db.get_database_backend() != DbBackend::Sqlite || SQLITE_WRITER.get().is_some() {
        return Ok(());
    }
    let options = (*db.get_sqlite_connection_pool().connect_options()).clone();
    let file = options.get_filename().to_path_buf();
    if !file.is_file() {
        return Ok(());
    }
    let pool = in_write_lane(db.clone(), move |_| async move {
        SqlitePoolOptions::new()
            .max_connections(3)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
    })
    .await
    .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    let writer = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let _ = SQLITE_WRITER.set((file, writer));
    Ok(())
}

/// Runs `work` with `db` (a write: it takes its turn with `begin_write`)
/// on the write lane when `db` is SQLite, else where it is; with the
/// lane's own connections when `db` is the file they open.
pub async fn in_write_lane<W, F>(db: DatabaseConnection, work: W) -> F::Output
where
    W: FnOnce(DatabaseConnection) -> F,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if db.get_database_backend() != DbBackend::Sqlite {
        return work(db).await;
    }
    let db = match SQLITE_WRITER.get() {
        Some((file, writer))
            if db
                .get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                == file =>
        {
            writer.clone()
        }
        _ => db,
    };
    let lane = WRITE_LANE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the write lane's runtime");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("sqlite-writes".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("the write lane's thread");
        handle
    });
    match lane.spawn(work(db)).await {
        Ok(out) => out,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

impl<T> WriteTxn<T> {
    /// A statement's first words, for the turn's log when it is on.
    fn label(&self, stmt: &Statement) -> String {
        match self.trace {
            Some(_) => stmt
                .sql
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            None => String::new(),
        }
    }
}

#[async_trait::async_trait]
impl<T: TransactionSession + Send> TransactionSession for WriteTxn<T> {
    async fn commit(self) -> Result<(), DbErr> {
        let out = TurnTrace::time(&self.trace, "COMMIT".into(), self.txn.commit()).await;
        if let Some(trace) = self.trace {
            trace.log();
        }
        out
    }

    async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl<T: ConnectionTrait + Send> ConnectionTrait for WriteTxn<T> {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let label = self.label(&stmt);
        TurnTrace::time(&self.trace, label, self.txn.execute_raw(stmt)).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let label = self.label(&stmt);
        TurnTrace::time(&self.trace, label, self.txn.query_one_raw(stmt)).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let label = self.label(&stmt);
        TurnTrace::time(&self.trace, label, self.txn.query_all_raw(stmt)).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

#[async_trait::async_trait]
impl<T: TransactionTrait + Send> TransactionTrait for WriteTxn<T> {
    type Transaction = T::Transaction;

    async fn begin(&self) -> Result<T::Transaction, DbErr> {
        self.txn.begin().await
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<T::Transaction, DbErr> {
        self.txn
            .begin_with_config(isolation_level, access_mode)
            .await
    }

    async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<T::Transaction, DbErr> {
        self.txn.begin_with_options(options).await
    }

    async fn transaction<F, R, E>(&self, callback: F) -> Result<R, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c T::Transaction,
            )
                -> std::pin::Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'c>>
            + Send,
        R: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn.transaction(callback).await
    }

    async fn transaction_with_config<F, R, E>(
        &self,
        callback: F,
        isolation_level: Option<IsolationLevel>,
        access_mode: Option<AccessMode>,
    ) -> Result<R, TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c T::Transaction,
            )
                -> std::pin::Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'c>>
            + Send,
        R: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn
            .transaction_with_config(callback, isolation_level, access_mode)
            .await
    }
}

/// Writes inside a write turn whose answers nobody reads (no rows counted,
/// no ids returned), sent together. On SQLite they wait here and go as one
/// multi-statement call when `flush`ed: every statement sent on its own is
/// a hand-off to the connection's sqlx thread and back, and under load each
/// hand-off waited for a core, so a save's fifteen of them made its turn,
/// which every other writer waits for, ten times its work. Elsewhere
/// (PostgreSQL, whose writers do not take turns) each runs when pushed, in
/// the order pushed, as if there were no batch. So a statement read later
/// in the turn must not depend on a pushed one on SQLite: push only what
/// nothing after it in the transaction reads. Dropped unflushed (an error
/// on the way), its statements are never sent: the transaction rolls back.
#[must_use = "pushed statements are sent by flush"]
pub struct Deferred<'c, C> {
    db: &'c C,
    sql: String,
    values: Vec<sea_orm::Value>,
}

impl<'c, C: ConnectionTrait> Deferred<'c, C> {
    pub fn new(db: &'c C) -> Self {
        Deferred {
            db,
            sql: String::new(),
            values: Vec::new(),
        }
    }

    /// The connection (the transaction) it writes to.
    pub fn db(&self) -> &'c C {
        self.db
    }

    /// Sends `stmt` now (PostgreSQL), or keeps it for `flush` (SQLite).
    pub async fn push(&mut self, stmt: Statement) -> Result<(), DbErr> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            self.db.execute_raw(stmt).await?;
            return Ok(());
        }
        // sqlx binds each statement's `?` from where the last one's ended.
        self.sql.push_str(stmt.sql.trim_end().trim_end_matches(';'));
        self.sql.push_str(";\n");
        if let Some(values) = stmt.values {
            self.values.extend(values.0);
        }
        Ok(())
    }

    /// Sends what is kept, in one call.
    pub async fn flush(self) -> Result<(), DbErr> {
        if self.sql.is_empty() {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                self.sql,
                self.values,
            ))
            .await?;
        Ok(())
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
