//! `skillmap-dev`: the tools that measure and shake Skillmap, kept out of
//! the server binary. Each prints ratios against a baseline measured in the
//! same run (these machines are noisy); none is a test. See
//! docs/performance.md for what each measures and the figures so far.

mod bench_find;
mod bench_import;
mod bench_pages;
mod bench_queue;
mod bench_reports;
mod fuzz;
mod load;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "skillmap-dev",
    about = "Skillmap's benchmarks, fuzzer and load generator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmark the staff import against the fastest plain way to put the
    /// same rows into the same schema (SQLite; PostgreSQL against COPY with
    /// --postgres). Prints ratios.
    BenchImport {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// A PostgreSQL server to compare on too, e.g.
        /// postgres://postgres@127.0.0.1:5432/postgres
        #[arg(long)]
        postgres: Option<String>,
        /// Internal: run one measured phase in this process.
        #[arg(long, hide = true)]
        phase: Option<String>,
        #[arg(long, hide = true)]
        database: Option<String>,
    },
    /// Benchmark the team heatmap against a hand-written query, and the
    /// organisation view, on a seeded trust where everyone assessed every
    /// skill (SQLite; PostgreSQL too with --postgres). Prints ratios.
    BenchReports {
        #[arg(long, default_value_t = 20_000)]
        staff: usize,
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// Demo organisations of one system (1 to 5); with more than one,
        /// the workforce lead's system view is measured too.
        #[arg(long, default_value_t = 1)]
        organisations: usize,
        #[arg(long)]
        postgres: Option<String>,
        /// Keep the seeded databases (SQLite in this folder, PostgreSQL as
        /// a database named for the size) and reuse them on a later run.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
        /// With --postgres, measure PostgreSQL alone (to seed it beside a
        /// SQLite run of the same size, say: at 100,000 staff each seed
        /// takes most of an hour).
        #[arg(long, requires = "postgres")]
        postgres_only: bool,
    },
    /// Benchmark the expertise directory's search (four searches, as HR)
    /// against one hand-written query each returning the same people, on a
    /// seeded trust with a third of the staff listed (SQLite; PostgreSQL
    /// too with --postgres). Prints ratios, p50/p95 and the 20 ms goal.
    BenchFind {
        #[arg(long, default_value_t = 20_000)]
        staff: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Requests a second of the five busiest pages, server-rendered (GET),
    /// against the server functions each page's view loads its data with,
    /// posted as the browser does, flat out and interleaved, on a seeded
    /// trust against the release server binary (SQLite; PostgreSQL too
    /// with --postgres). Prints ratios; the goal is 0.8 or more.
    BenchPages {
        #[arg(long, default_value_t = 20_000)]
        staff: usize,
        /// Seconds per measurement (each page and its data are measured
        /// twice).
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Requests in flight at once (a closed loop).
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long)]
        postgres: Option<String>,
        /// The Accept-Encoding requests send: by default gzip and br, as
        /// browsers do; `gzip` or `br` for one only, `identity` for none.
        #[arg(long, default_value = "gzip, br")]
        accept_encoding: String,
    },
    /// Emails a second through the job queue against the same letters sent
    /// straight to the same SMTP server (aiosmtpd), on SQLite (PostgreSQL
    /// too with --postgres). Prints ratios.
    BenchQueue {
        #[arg(long, default_value_t = 2_000)]
        jobs: usize,
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Fuzz the upload parsers (import, catalogue, framework) for a fixed
    /// time. Prints executions, panics and peak memory; exits non-zero on a
    /// panic, saving the input to replay.
    Fuzz {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Seed files (the import corpus).
        #[arg(long, default_value = "tests/import-corpus")]
        corpus: std::path::PathBuf,
        /// Where inputs that panicked are saved.
        #[arg(long, default_value = "target/fuzz-findings")]
        findings: std::path::PathBuf,
    },
    /// The Monday-morning rush against the release server binary:
    /// --staff N --users N --seconds N --rate N --postgres URL.
    Load {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        match cli.command {
            Command::BenchImport {
                rows,
                postgres,
                phase,
                database,
            } => match (phase, database) {
                (Some(phase), Some(database)) => bench_import::phase(&phase, &database, rows).await,
                _ => bench_import::run(rows, postgres.as_deref()).await,
            },
            Command::BenchReports {
                staff,
                runs,
                organisations,
                postgres,
                keep,
                postgres_only,
            } => {
                bench_reports::run(
                    staff,
                    runs,
                    organisations,
                    postgres.as_deref(),
                    keep.as_deref(),
                    postgres_only,
                )
                .await
            }
            Command::BenchFind {
                staff,
                runs,
                postgres,
            } => bench_find::run(staff, runs, postgres.as_deref()).await,
            Command::BenchPages {
                staff,
                seconds,
                connections,
                postgres,
                accept_encoding,
            } => {
                bench_pages::run(&bench_pages::Options {
                    staff,
                    seconds,
                    connections,
                    postgres,
                    accept_encoding,
                })
                .await
            }
            Command::BenchQueue { jobs, postgres } => {
                bench_queue::run(jobs, postgres.as_deref()).await
            }
            Command::Fuzz {
                seconds,
                seed,
                corpus,
                findings,
            } => fuzz::run(seconds, seed, &corpus, &findings),
            Command::Load { args } => return load::main_with(args).await,
        }
        .map(|()| ExitCode::SUCCESS)
        .unwrap_or_else(|e| {
            eprintln!("skillmap-dev: {e}");
            ExitCode::FAILURE
        })
    })
}
