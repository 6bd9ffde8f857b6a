//! The `skillmap` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use skillmap::{Application, demo};
use skillmap_core::auth::model::Role;
use skillmap_core::kernel::Settings;

/// mimalloc rather than glibc's malloc: see server/Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "skillmap",
    version,
    about = "Skillmap: workforce digital capability for the NHS"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default). Migrations run first.
    Serve {
        /// Load the demo organisation into an empty database and print its log-ins.
        #[arg(long)]
        demo: bool,
        /// Size of the demo organisation.
        #[arg(long, default_value_t = 800)]
        demo_staff: usize,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create an account. The password comes from SKILLMAP_PASSWORD, or a
    /// random one is generated and printed once.
    CreateUser {
        #[arg(long)]
        email: String,
        /// staff, manager, hr, admin, or lead (the integrated care
        /// system's workforce lead: no person, no organisation)
        #[arg(long)]
        role: String,
        /// Link the account to this person (their employee number).
        #[arg(long)]
        employee_number: Option<String>,
        /// The organisation the account works in (its code). Needed only
        /// when the deployment has several and no employee number says.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Add an organisation (a trust, a primary care network) to the
    /// deployment: its HR then imports its units, roles and staff.
    CreateOrganisation {
        /// A short code, unique in the deployment (an ODS code, say).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// Load the demo organisation into an empty database.
    SeedDemo {
        #[arg(long, default_value_t = 800)]
        staff: usize,
        /// Build an integrated care system of this many organisations
        /// (1 to 5) sharing the staff: an acute trust, a community trust,
        /// a mental-health trust and two primary care networks.
        #[arg(long, default_value_t = 1)]
        organisations: usize,
        /// Everyone assesses every skill of the framework, not only their
        /// role's (the reports benchmark uses this).
        #[arg(long)]
        all_skills: bool,
    },
    /// Check a CSV or XLSX file and import it in one transaction (all of it
    /// or none of it). Prints what would change and every problem found.
    Import {
        /// What the file holds: org, roles or staff.
        kind: String,
        file: std::path::PathBuf,
        /// The organisation whose data the file is (its code). Needed only
        /// when the deployment has several.
        #[arg(long)]
        organisation: Option<String>,
        /// Check and report only; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write every problem to this CSV file.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
    /// List every server function's method and path.
    ServerFns,
    /// List every route besides the pages: server functions and the plain
    /// routes (downloads, credentials, uploads), as METHOD /path.
    Routes,
    /// Copy the SQLite database to FILE while Skillmap runs (a consistent
    /// snapshot; writers carry on). Prints each table's rows and checksum.
    /// PostgreSQL: use pg_dump (see docs/operations.md).
    Backup { file: std::path::PathBuf },
    /// Restore a backup FILE as the (empty) database DATABASE_URL names.
    /// Prints each table's rows and checksum, to compare with the backup's.
    Restore { file: std::path::PathBuf },
    /// Check the database: SQLite's integrity and foreign keys, and each
    /// table's rows and checksum. Exits non-zero if the checks fail.
    Check,
    /// Send the daily summary emails now, to everyone who chose one and has
    /// notifications waiting (a running Skillmap sends them).
    SendDigests,
    /// Write the skills review reminders due on a day (today by default):
    /// to catch up after downtime, or to see what a day would send. Each
    /// reminder goes once, however often this runs.
    SendReminders {
        /// The day, as YYYY-MM-DD.
        #[arg(long)]
        today: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("skillmap: {e}");
            return ExitCode::FAILURE;
        }
    };
    let nice = settings.worker_nice;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || lower_priority(nice))
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("skillmap: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Lowers this thread's priority by `nice` (`SKILLMAP_WORKER_NICE`; Linux
/// sets it per thread): the runtime's threads (the request workers,
/// rendering pages, and the blocking pool) ask less of the CPU than the
/// database's. SQLite's writes go one at a time, each a few round trips
/// between the write lane and a connection's thread; with the workers busy
/// rendering, each hand-off waited for a core, so the turn everyone waits
/// for took twice its work. Niced workers let those threads in at once;
/// they still get every core the database's threads leave idle.
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), nice) {
        tracing::warn!("could not lower a worker thread's priority: {e}");
    }
}

async fn run(cli: Cli, settings: Settings) -> Result<(), String> {
    // Notices written by any command (an import's welcomes, reminders) are
    // emailed by a running Skillmap when a mail server is set.
    skillmap_core::notifications::service::configure(settings.smtp.is_some(), settings.jobs.batch);
    match cli.command.unwrap_or(Command::Serve {
        demo: false,
        demo_staff: 800,
    }) {
        Command::Serve { demo, demo_staff } => serve(settings, demo, demo_staff).await,
        Command::Migrate => {
            let db = skillmap::connect(&settings)
                .await
                .map_err(|e| e.to_string())?;
            skillmap::migrate(&db).await.map_err(|e| e.to_string())?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateUser {
            email,
            role,
            employee_number,
            organisation,
        } => {
            create_user(
                settings,
                &email,
                &role,
                employee_number.as_deref(),
                organisation.as_deref(),
            )
            .await
        }
        Command::CreateOrganisation { code, name } => {
            let db = open(&settings).await?;
            let made = skillmap_core::kernel::tenant::create(&db, &code, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!("Added organisation {} ({}).", made.code, made.name);
            Ok(())
        }
        Command::SeedDemo {
            staff,
            organisations,
            all_skills,
        } => {
            let db = open(&settings).await?;
            let summary = demo::seed_system(&db, staff, all_skills, organisations)
                .await
                .map_err(|e| e.to_string())?;
            if organisations == 1 {
                println!(
                    "Loaded the demo organisation: {} directorates, {} teams, {} people, {} job roles.",
                    summary.directorates, summary.teams, summary.people, summary.job_roles
                );
            } else {
                println!(
                    "Loaded a demo system of {organisations} organisations: {} directorates, {} teams, {} people, {} job roles.",
                    summary.directorates, summary.teams, summary.people, summary.job_roles
                );
            }
            print_demo_logins(organisations);
            Ok(())
        }
        Command::Import {
            kind,
            file,
            organisation,
            dry_run,
            report,
        } => {
            let db = open(&settings).await?;
            skillmap::import_cli::run(
                &settings,
                &db,
                &kind,
                &file,
                organisation.as_deref(),
                dry_run,
                report.as_deref(),
            )
            .await
        }
        Command::ServerFns => {
            for path in skillmap::server_fn_paths() {
                println!("{path}");
            }
            Ok(())
        }
        Command::Routes => {
            for route in skillmap::api_routes() {
                println!("{route}");
            }
            Ok(())
        }
        Command::Backup { file } => {
            // No migrations: a backup copies the database as it is.
            let db = skillmap::connect(&settings)
                .await
                .map_err(|e| e.to_string())?;
            let summary = skillmap::backup::backup(&db, &file).await?;
            println!("Backed up to {}.", file.display());
            print!("{}", summary.render());
            Ok(())
        }
        Command::Restore { file } => {
            let summary = skillmap::backup::restore(&settings.database_url, &file).await?;
            println!("Restored {}. Start Skillmap as usual.", file.display());
            print!("{}", summary.render());
            Ok(())
        }
        Command::SendDigests => {
            let db = open(&settings).await?;
            let n = skillmap_core::jobs::queue_digests(&db, chrono::Utc::now())
                .await
                .map_err(|e| format!("{e:?}"))?;
            println!("{n} summary emails queued; a running Skillmap sends them.");
            Ok(())
        }
        Command::SendReminders { today } => {
            let today = match today {
                Some(d) => skillmap_core::profile::cycle::parse_date(&d)
                    .map_err(|e| format!("--today: {e}"))?,
                None => chrono::Utc::now().date_naive(),
            };
            let db = open(&settings).await?;
            let (people, managers) = skillmap_core::profile::reviews::send_reminders(&db, today)
                .await
                .map_err(|e| format!("{e:?}"))?;
            println!(
                "Reminders for {today}: {people} people, {managers} managers; a running Skillmap emails them."
            );
            Ok(())
        }
        Command::Check => {
            let db = skillmap::connect(&settings)
                .await
                .map_err(|e| e.to_string())?;
            let summary = skillmap::backup::summary(&db).await?;
            print!("{}", summary.render());
            if summary.integrity == "ok" {
                Ok(())
            } else {
                Err(format!(
                    "the database failed its checks: {}",
                    summary.integrity
                ))
            }
        }
    }
}

async fn open(settings: &Settings) -> Result<sea_orm::DatabaseConnection, String> {
    let db = skillmap::connect(settings)
        .await
        .map_err(|e| e.to_string())?;
    let migrated = skillmap::migrate(&db).await.map_err(|e| e.to_string())?;
    // A database from before the capability summaries existed got them.
    if migrated.built_summaries {
        println!("Built the capability summaries for the reports.");
    }
    Ok(db)
}

async fn serve(settings: Settings, with_demo: bool, demo_staff: usize) -> Result<(), String> {
    // Links and credentials name the public URL; without one they would
    // have to trust the Host a request sent. Only the demo runs without.
    if settings.public_url.is_none() && !with_demo {
        return Err(
            "set SKILLMAP_PUBLIC_URL to the address people use to reach Skillmap \
                    (like https://skillmap.example.nhs.uk): every set-password link and \
                    badge credential names it. Only `serve --demo` runs without it."
                .into(),
        );
    }
    let db = open(&settings).await?;
    let mut show_logins = false;
    if with_demo {
        if demo::is_empty(&db).await.map_err(|e| e.to_string())? {
            println!("First run: loading the demo organisation ({demo_staff} staff)...");
            let s = demo::seed(&db, demo_staff, false)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Loaded {} directorates, {} teams, {} people, {} job roles.",
                s.directorates, s.teams, s.people, s.job_roles
            );
        }
        show_logins = demo::has_demo_accounts(&db)
            .await
            .map_err(|e| e.to_string())?;
    }
    let app = Application::build_with(settings, db)
        .await
        .map_err(|e| e.to_string())?;
    println!("Skillmap listening on http://{}", app.addr());
    if show_logins {
        print_demo_logins(1);
    }
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

fn print_demo_logins(organisations: usize) {
    println!(
        "\nDemo log-ins (password for all: {}):",
        demo::DEMO_PASSWORD
    );
    for (email, role, who) in demo::DEMO_ACCOUNTS {
        println!("  {:<8} {email:<28} {who}", role.as_str());
    }
    if organisations > 1 {
        let (email, who) = demo::DEMO_LEAD;
        println!("  {:<8} {email:<28} {who}", Role::Lead.as_str());
    }
    for index in 1..organisations {
        println!("  {}:", demo::ORGANISATIONS[index].1);
        for (_, role, _) in demo::DEMO_ACCOUNTS {
            println!("    {:<8} {}", role.as_str(), demo::demo_login(index, role));
        }
    }
    println!();
}

async fn create_user(
    settings: Settings,
    email: &str,
    role: &str,
    employee_number: Option<&str>,
    organisation: Option<&str>,
) -> Result<(), String> {
    let role = Role::parse(role).ok_or_else(|| {
        format!("--role must be one of staff, manager, hr, admin, lead (got {role:?})")
    })?;
    if role == Role::Lead && (employee_number.is_some() || organisation.is_some()) {
        return Err(
            "a workforce lead (--role lead) works across the system: give no --employee-number or --organisation"
                .into(),
        );
    }
    let db = open(&settings).await?;
    let person_id = match employee_number {
        Some(n) => Some(
            skillmap_core::people::service::id_by_employee_number(&db, n)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no person has employee number {n:?}"))?,
        ),
        None => None,
    };
    // A person's account works in the person's organisation; otherwise the
    // one named, or the only one.
    use skillmap_core::kernel::tenant;
    let organisation_id = match person_id {
        _ if role == Role::Lead => None,
        Some(p) => {
            let of_person = tenant::organisation_of(&db, tenant::Owned::Person, p)
                .await
                .map_err(|e| e.to_string())?
                .flatten()
                .ok_or("that person has no organisation")?;
            if let Some(code) = organisation
                && tenant::chosen(&db, Some(code)).await? != of_person
            {
                return Err(format!(
                    "the person with employee number {:?} is not in organisation {code:?}",
                    employee_number.unwrap_or_default()
                ));
            }
            Some(of_person)
        }
        None => Some(tenant::chosen(&db, organisation).await?),
    };
    let (password, generated) = match std::env::var("SKILLMAP_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (
            skillmap_core::kernel::session::new_token()[..20].to_string(),
            true,
        ),
    };
    let account = skillmap_core::auth::service::create_account(
        &db,
        email,
        role,
        &password,
        person_id,
        organisation_id,
    )
    .await
    .map_err(|e| match e {
        skillmap_core::error::AppError::Validation(errors) => errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    println!("Created {} account {}.", role.as_str(), account.email);
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(())
}
