//! `bench-queue`: emails a second through the job queue, on SQLite and
//! (with --postgres) PostgreSQL, against the same letters sent straight to
//! the same SMTP server by the same mailer in the same run.
//!
//! The SMTP server is the tests' (`aiosmtpd`, tests/smtp/sink.py), which
//! syncs each message to disk before accepting it, as a real mail server
//! does; both sides pay that. The queue's side is everything else a real
//! email costs: the notice and its job written in a transaction, a claim
//! (`FOR UPDATE SKIP LOCKED` / `BEGIN IMMEDIATE`), reading the notice and
//! its recipient, rendering the letter, marking it sent, completing the job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, TransactionTrait};
use skillmap_core::auth::model::Role;
use skillmap_core::jobs::Workers;
use skillmap_core::kernel::Settings;
use skillmap_core::kernel::queue;
use skillmap_core::kernel::settings::{JobSettings, SmtpSettings, SmtpTls};
use skillmap_core::notifications::mail::{self, Item, Mailer};
use skillmap_core::notifications::model::Kind;
use skillmap_core::notifications::service::{self as notices, NewNotice};
use skillmap_tests::smtp::SmtpSink;

const WORKERS: usize = 2;

pub async fn run(jobs: usize, postgres: Option<&str>) -> Result<(), String> {
    let sink = SmtpSink::start();
    let dir = std::env::temp_dir().join(format!("skillmap-bench-queue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sqlite = format!("sqlite://{}?mode=rwc", dir.join("queue.db").display());
    println!(
        "bench-queue: {jobs} emails, {WORKERS} workers, to a local aiosmtpd that syncs each message to disk"
    );
    let mut engines = vec![("SQLite".to_string(), sqlite)];
    if let Some(admin_url) = postgres {
        let admin = sea_orm::Database::connect(admin_url)
            .await
            .map_err(|e| e.to_string())?;
        let url = crate::bench_import::recreate_database(&admin, admin_url, "skillmap_bench_queue")
            .await?;
        engines.push(("PostgreSQL".to_string(), url));
    }
    for (name, url) in engines {
        let (direct, queued, enqueue) = measure(&url, &sink, jobs).await?;
        println!(
            "{name:<10} straight to SMTP {direct:>7.0}/s | through the queue {queued:>7.0}/s \
             (ratio {:.2}) | writing {jobs} notices with their jobs: {enqueue:.0}/s",
            queued / direct
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn settings(url: &str, sink: &SmtpSink) -> Settings {
    Settings {
        database_url: url.to_string(),
        public_url: Some("http://127.0.0.1:3000".into()),
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Skillmap <skillmap@trust.example>".into(),
        }),
        jobs: JobSettings {
            workers: WORKERS,
            poll: Duration::from_millis(10),
            ..JobSettings::default()
        },
        ..Settings::default()
    }
}

async fn open(settings: &Settings) -> Result<DatabaseConnection, String> {
    let db = skillmap::connect(settings)
        .await
        .map_err(|e| e.to_string())?;
    skillmap::migrate(&db).await.map_err(|e| e.to_string())?;
    Ok(db)
}

/// (straight to SMTP per second, through the queue per second, notices
/// written per second).
async fn measure(url: &str, sink: &SmtpSink, jobs: usize) -> Result<(f64, f64, f64), String> {
    let settings = settings(url, sink);
    let db = open(&settings).await?;
    let organisation = skillmap_core::kernel::tenant::chosen(&db, None).await?;
    let account = skillmap_core::auth::service::create_account(
        &db,
        &format!("bench.{}@trust.example", rand::random::<u32>()),
        Role::Staff,
        "a long bench passphrase",
        None,
        Some(organisation),
    )
    .await
    .map_err(|e| format!("{e:?}"))?;
    let smtp = settings.smtp.clone().ok_or("no SMTP")?;
    let mailer = Mailer::new(&smtp)?;

    // Baseline: the same letter, rendered once, sent by as many tasks as
    // there are workers.
    let item = Item {
        title: "Sam Jones endorsed you for Data visualisation".into(),
        body: "They wrote: \u{201c}Thank you for the dashboard.\u{201d}".into(),
        link: "/recognition".into(),
    };
    let letter = Arc::new(mail::letter(
        "http://127.0.0.1:3000",
        "Alex Smith",
        &item,
        None,
    ));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (mailer, letter, to) = (mailer.clone(), letter.clone(), account.email.clone());
        let share = jobs / WORKERS + usize::from(w < jobs % WORKERS);
        tasks.push(tokio::spawn(async move {
            for i in 0..share {
                mailer
                    .send(&to, "Alex Smith", &letter, &format!("direct-{w}-{i}"))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let direct = jobs as f64 / started.elapsed().as_secs_f64();

    // The queue: notices written (each with its job) in one transaction,
    // then the workers started and timed until every job is done.
    let workers = Workers::new(db.clone(), Arc::new(settings.clone()), Arc::default())?;
    let started = Instant::now();
    let txn = db.begin().await.map_err(|e| e.to_string())?;
    for i in 0..jobs {
        notices::notify(
            &txn,
            account.id,
            NewNotice::new(
                Kind::Recognised,
                format!("{} ({i})", item.title),
                item.body.clone(),
                &item.link,
            ),
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    }
    txn.commit().await.map_err(|e| e.to_string())?;
    let enqueue = jobs as f64 / started.elapsed().as_secs_f64();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let handles = workers.spawn(stopped).await;
    // Until every notice's email is sent (the daily jobs the workers also
    // schedule may be due later).
    loop {
        let waiting = notices::outbox_waiting(&db)
            .await
            .map_err(|e| format!("{e:?}"))?;
        if waiting == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("the queue did not drain: {waiting} emails waiting"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let queued = jobs as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    for h in handles {
        let _ = h.await;
    }
    let c = queue::counts(&db).await.map_err(|e| e.to_string())?;
    if c.dead > 0 {
        return Err(format!("{} emails failed: {c:?}", c.dead));
    }
    db.close().await.map_err(|e| e.to_string())?;
    Ok((direct, queued, enqueue))
}
