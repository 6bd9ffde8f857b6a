//! `skillmap-dev fuzz`: a bounded mutation fuzzer for the parsers that read what
//! people upload: the import reader and checker (CSV and XLSX, all three
//! kinds), the learning-catalogue check, and the framework exchange (JSON
//! and CSV) with its validation. cargo-fuzz needs a nightly toolchain this
//! project does not use, so this is a plain loop: seeds from the import
//! corpus, the templates and the shipped framework and catalogue, mutated
//! at random (byte flips, CSV and JSON tokens, splices, truncations, long
//! runs), each input run under `catch_unwind`. It reports executions,
//! panics (saved as files to replay) and the peak memory. Not coverage
//! guided; bounded by time and by a 1 MiB input cap.

use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use skillmap_core::import::check::{Importer, Snapshot, check};
use skillmap_core::import::model::Kind;
use skillmap_core::kernel::table::{Limits, read};

const MAX_INPUT: usize = 1024 * 1024;

const TOKENS: &[&str] = &[
    ",",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    ";",
    "\t",
    "\u{feff}",
    "=",
    "+",
    "-",
    "@",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "\\",
    "\u{0}",
    "\u{fffd}",
    "é",
    "0",
    "-1",
    "4",
    "5",
    "99999999999999999999",
    "PK\u{3}\u{4}",
    "level_4_expert",
    "employee_number",
    "line_manager",
    "DIG-FOUND",
    "Band 5",
    "\"a\nb\"",
];

/// One kind of input and what parses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    ImportCsv,
    ImportXlsx,
    Framework,
}

struct Seed {
    target: Target,
    bytes: Vec<u8>,
}

fn seeds(corpus: &Path) -> Result<Vec<Seed>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let target = if path.extension().is_some_and(|e| e == "xlsx") {
            Target::ImportXlsx
        } else {
            Target::ImportCsv
        };
        out.push(Seed { target, bytes });
    }
    for kind in [Kind::Org, Kind::Roles, Kind::Staff] {
        out.push(Seed {
            target: Target::ImportCsv,
            bytes: skillmap_core::import::check::template(kind).into_bytes(),
        });
    }
    out.push(Seed {
        target: Target::ImportCsv,
        bytes: skillmap_core::pathways::catalogue::STARTER
            .as_bytes()
            .to_vec(),
    });
    let doc = skillmap_core::framework::read::default_doc();
    out.push(Seed {
        target: Target::Framework,
        bytes: serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?,
    });
    out.push(Seed {
        target: Target::Framework,
        bytes: skillmap_core::framework::exchange::to_csv(&doc).into_bytes(),
    });
    Ok(out)
}

fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..rng.gen_range(1..=8) {
        let at = if data.is_empty() {
            0
        } else {
            rng.gen_range(0..=data.len())
        };
        match rng.gen_range(0..8) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())].as_bytes();
                data.splice(at..at, t.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + rng.gen_range(1..64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 if !data.is_empty() => {
                let end = (at + rng.gen_range(1..256)).min(data.len());
                let copy = data[at.min(end)..end].to_vec();
                data.splice(at..at, copy);
            }
            4 => data.truncate(at),
            5 if !other.is_empty() => {
                let from = rng.gen_range(0..other.len());
                let end = (from + rng.gen_range(1..512)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            6 => {
                let run = vec![b"a,\"\n9"[rng.gen_range(0..5)]; rng.gen_range(1..20_000)];
                data.splice(at..at, run);
            }
            _ => data.insert(at.min(data.len()), rng.r#gen()),
        }
        data.truncate(MAX_INPUT);
    }
    data
}

/// Runs one input through its parser and everything downstream of it.
fn exercise(target: Target, bytes: &[u8], snapshot: &Snapshot, skills: &HashSet<String>) {
    let limits = Limits::default();
    match target {
        Target::ImportCsv | Target::ImportXlsx => {
            let name = if target == Target::ImportXlsx {
                "fuzz.xlsx"
            } else {
                "fuzz.csv"
            };
            if let Ok(table) = read(bytes, name, limits) {
                for kind in [Kind::Org, Kind::Roles, Kind::Staff] {
                    let _ = check(kind, &table, snapshot, Importer { is_admin: true });
                }
                let _ = skillmap_core::pathways::catalogue::check(&table, skills);
            }
        }
        Target::Framework => {
            let text = String::from_utf8_lossy(bytes);
            let current = skillmap_core::framework::read::default_doc();
            if let Ok(doc) = skillmap_core::framework::exchange::parse(&text, Some(&current)) {
                let _ = skillmap_core::framework::model::validate_doc(&doc);
            }
        }
    }
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

pub fn run(seconds: u64, seed: u64, corpus: &Path, findings: &Path) -> Result<(), String> {
    let seeds = seeds(corpus)?;
    let doc = skillmap_core::framework::read::default_doc();
    let skills: HashSet<String> = doc
        .domains
        .iter()
        .flat_map(|d| d.skills.iter().map(|s| s.code.clone()))
        .collect();
    let snapshot = Snapshot {
        skills: skills.clone(),
        ..Default::default()
    };
    // Panics are caught and counted; keep their messages off the terminal.
    let last_panic: Arc<Mutex<String>> = Arc::default();
    {
        let last_panic = last_panic.clone();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if let Ok(mut p) = last_panic.lock() {
                *p = format!("{at} {info}");
            }
        }));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let budget = Duration::from_secs(seconds);
    let mut runs: BTreeMap<Target, u64> = BTreeMap::new();
    let mut panics: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut largest = 0usize;
    while started.elapsed() < budget {
        let base = &seeds[rng.gen_range(0..seeds.len())];
        let other = &seeds[rng.gen_range(0..seeds.len())].bytes;
        let input = mutate(&mut rng, &base.bytes, other);
        largest = largest.max(input.len());
        *runs.entry(base.target).or_default() += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            exercise(base.target, &input, &snapshot, &skills)
        }));
        if outcome.is_err() {
            let message = last_panic.lock().map(|p| p.clone()).unwrap_or_default();
            let key = message.lines().next().unwrap_or_default().to_string();
            if !panics.contains_key(&key) {
                std::fs::create_dir_all(findings).map_err(|e| e.to_string())?;
                let file = findings.join(format!("panic-{}.bin", panics.len() + 1));
                std::fs::write(&file, &input).map_err(|e| e.to_string())?;
                println!("PANIC {key}\n  input saved to {}", file.display());
                panics.insert(key, file);
            }
        }
    }
    let _ = std::panic::take_hook();
    let total: u64 = runs.values().sum();
    let secs = started.elapsed().as_secs_f64();
    println!("fuzzed for {secs:.0} s, seed {seed}, {} seeds", seeds.len());
    for (target, n) in &runs {
        println!("  {target:?}: {n} executions");
    }
    println!(
        "  {total} executions in all, {:.0} a second; largest input {} KiB",
        total as f64 / secs.max(0.001),
        largest / 1024
    );
    if let Some(kib) = peak_memory_kib() {
        println!("  peak memory (VmHWM) {} MiB", kib / 1024);
    }
    if panics.is_empty() {
        println!("  no panics");
        Ok(())
    } else {
        Err(format!(
            "{} distinct panics (inputs in {})",
            panics.len(),
            findings.display()
        ))
    }
}
