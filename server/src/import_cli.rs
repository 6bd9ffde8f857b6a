//! `skillmap import <org|roles|staff> FILE [--organisation CODE] [--dry-run]`:
//! the same checks and the same one-transaction import as the browser, with
//! a progress bar on a terminal (and plain progress lines when output is not
//! a terminal). The file is one organisation's data: the one whose code is
//! given, or the deployment's only one.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use skillmap_core::import::check::Plan;
use skillmap_core::import::model::{Kind, Problem, Progress};
use skillmap_core::import::service::{self, NewJob};
use skillmap_core::kernel::Settings;

/// Problems printed; `--report` writes all of them.
const PRINTED: usize = 50;

pub async fn run(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
    kind: &str,
    path: &Path,
    organisation: Option<&str>,
    dry_run: bool,
    report: Option<&Path>,
) -> Result<(), String> {
    let kind = Kind::parse(kind)
        .ok_or_else(|| format!("the kind must be org, roles or staff (got {kind:?})"))?;
    // Before the file is read: a wrong or missing organisation is the
    // first thing to say.
    let organisation_id = skillmap_core::kernel::tenant::chosen(db, organisation).await?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message("Importing");
        Some(bar)
    } else {
        None
    };
    let last_line = AtomicUsize::new(0);
    let progress = |p: Progress| match &bar {
        Some(bar) => {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
        None => {
            // One line per step for logs (and the kill test), not per row.
            if p.done != last_line.swap(p.done, Ordering::Relaxed) {
                eprintln!("progress: {}/{}", p.done, p.total);
            }
        }
    };
    let plan = service::import_file(
        db,
        NewJob {
            organisation_id,
            kind,
            file_name: &file_name,
            actor: "command line",
            created_by: None,
        },
        &bytes,
        settings.import_limits,
        dry_run,
        &progress,
    )
    .await
    .map_err(|e| e.to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    print_plan(kind, &file_name, &plan);
    if let Some(report) = report {
        let csv = service::problems_csv(&plan.problems).map_err(|e| e.to_string())?;
        std::fs::write(report, csv)
            .map_err(|e| format!("cannot write {}: {e}", report.display()))?;
        println!("All problems written to {}.", report.display());
    }
    if plan.has_errors() {
        return Err(format!(
            "nothing was imported: the file has {} error{}",
            plan.counts.errors,
            if plan.counts.errors == 1 { "" } else { "s" }
        ));
    }
    if dry_run {
        println!("Dry run: nothing was imported.");
    } else {
        println!("Imported.");
    }
    Ok(())
}

fn print_plan(kind: Kind, file_name: &str, plan: &Plan) {
    let c = plan.counts;
    println!("{} file {file_name}: {} rows", kind.label(), c.rows);
    println!("  create:       {}", c.create);
    println!("  update:       {}", c.update);
    println!("  unchanged:    {}", c.unchanged);
    if kind == Kind::Staff {
        println!("  new accounts: {}", c.new_accounts);
    }
    println!("  errors:       {}", c.errors);
    println!("  warnings:     {}", c.warnings);
    let list = |title: &str, items: Vec<&Problem>| {
        if items.is_empty() {
            return;
        }
        println!("{title}:");
        for p in items.iter().take(PRINTED) {
            println!("  {}", p.describe());
        }
        if items.len() > PRINTED {
            println!(
                "  ... and {} more (use --report FILE for all of them)",
                items.len() - PRINTED
            );
        }
    };
    list(
        "Errors",
        plan.problems.iter().filter(|p| !p.warning).collect(),
    );
    list(
        "Warnings",
        plan.problems.iter().filter(|p| p.warning).collect(),
    );
}
