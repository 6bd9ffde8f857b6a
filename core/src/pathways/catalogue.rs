//! The catalogue as a file: CSV or Excel in (read by the import reader),
//! CSV out. Every row is checked before anything changes, and each problem
//! names its row and column.

use std::collections::{HashMap, HashSet};

use super::model::{FIELDS, Resource, ResourceInput, coverage_text, pounds, validate_resource};
use crate::import::model::Problem;
use crate::kernel::csv::SafeCsv;
use crate::kernel::table::{Column, Mapping, Table};

/// The starter catalogue: real, free resources for health and care staff,
/// mapped to the default framework (facts only: titles, providers, links).
pub const STARTER: &str = include_str!("starter_catalogue.csv");

const fn col(
    key: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column {
        key,
        label,
        aliases,
        required,
    }
}

pub const COLUMNS: [Column; 9] = [
    col("code", "Code", &["Resource code", "ID"], true),
    col("title", "Title", &["Name", "Resource"], true),
    col("provider", "Provider", &["Publisher", "Organisation"], true),
    col("url", "Link", &["URL", "Web address", "Address"], false),
    col("format", "Format", &["Type", "Kind"], true),
    col(
        "minutes",
        "Minutes",
        &["Duration", "Duration (minutes)", "Time (minutes)"],
        true,
    ),
    col("cost", "Cost (GBP)", &["Cost", "Price"], false),
    col("skills", "Skills", &["Skill codes", "Develops"], true),
    col("description", "Description", &["Summary", "About"], false),
];

fn label(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// The file's resources, each with its row number, or every problem.
pub fn check(
    table: &Table,
    skills: &HashSet<String>,
) -> Result<Vec<(usize, Resource)>, Vec<Problem>> {
    let mapping = Mapping::new(&table.headers, &COLUMNS);
    let missing = mapping.missing(&COLUMNS, &table.headers);
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let get = |key: &str| mapping.get(cells, key).to_string();
        let input = ResourceInput {
            code: get("code"),
            title: get("title"),
            provider: get("provider"),
            url: get("url"),
            format: get("format"),
            minutes: get("minutes"),
            cost: get("cost"),
            description: get("description"),
            skills: get("skills"),
        };
        match validate_resource(&input, skills) {
            Ok(resource) => {
                if let Some(first) = seen.insert(resource.code.clone(), *row) {
                    problems.push(Problem::cell(
                        *row,
                        "Code",
                        resource.code.clone(),
                        format!(
                            "This code is also on row {first}: each resource needs its own code"
                        ),
                    ));
                } else {
                    out.push((*row, resource));
                }
            }
            Err(errors) => {
                for e in errors {
                    let value = match e.field.as_str() {
                        "code" => input.code.clone(),
                        "title" => input.title.clone(),
                        "provider" => input.provider.clone(),
                        "url" => input.url.clone(),
                        "format" => input.format.clone(),
                        "minutes" => input.minutes.clone(),
                        "cost" => input.cost.clone(),
                        "skills" => input.skills.clone(),
                        _ => String::new(),
                    };
                    problems.push(Problem::cell(*row, label(&e.field), value, e.message));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The catalogue as CSV, in the columns `check` reads.
pub fn to_csv(resources: &[Resource]) -> String {
    let mut w = SafeCsv::default();
    w.row(FIELDS.iter().map(|(_, l)| *l));
    for r in resources {
        w.row([
            r.code.clone(),
            r.title.clone(),
            r.provider.clone(),
            r.url.clone().unwrap_or_default(),
            r.format.clone(),
            r.minutes.to_string(),
            pounds(r.cost_pence),
            coverage_text(&r.covers),
            r.description.clone(),
        ]);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::read::default_doc;
    use crate::kernel::table::{Limits, read};

    fn framework_skills() -> HashSet<String> {
        default_doc()
            .domains
            .iter()
            .flat_map(|d| d.skills.iter().map(|s| s.code.clone()))
            .collect()
    }

    fn table(text: &str) -> Table {
        read(text.as_bytes(), "catalogue.csv", Limits::default()).unwrap()
    }

    #[test]
    fn the_starter_catalogue_is_valid_and_covers_every_skill() {
        let skills = framework_skills();
        let rows = check(&table(STARTER), &skills).unwrap_or_else(|p| {
            panic!(
                "{}",
                p.iter()
                    .map(|p| p.describe())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert!(rows.len() >= 35, "{} resources", rows.len());
        for (_, r) in &rows {
            assert_eq!(r.cost_pence, 0, "{} is not free", r.code);
            assert!(
                r.url.as_deref().is_some_and(|u| u.starts_with("https://")),
                "{} has no https link",
                r.code
            );
        }
        for skill in &skills {
            assert!(
                rows.iter()
                    .any(|(_, r)| r.covers.iter().any(|c| &c.skill_code == skill)),
                "no starter resource develops {skill}"
            );
        }
    }

    #[test]
    fn export_reads_back_the_same() {
        let skills = framework_skills();
        let rows: Vec<Resource> = check(&table(STARTER), &skills)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        let again: Vec<Resource> = check(&table(&to_csv(&rows)), &skills)
            .unwrap()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(rows, again);
    }

    #[test]
    fn problems_name_row_and_column() {
        let skills = framework_skills();
        let text = "Code,Title,Provider,Link,Format,Minutes,Skills\n\
                    LR-1,Good,NHS,https://example.org,video,10,DAT-VIS 1-2\n\
                    LR-1,Again,NHS,https://example.org,video,10,DAT-VIS 1-2\n\
                    LR-3,,NHS,https://example.org,podcast,ten,DAT-XXX 1-2\n";
        let problems = check(&table(text), &skills).unwrap_err();
        let described: Vec<String> = problems.iter().map(|p| p.describe()).collect();
        assert!(
            described
                .iter()
                .any(|d| d.starts_with("Row 3, Code") && d.contains("also on row 2")),
            "{described:?}"
        );
        for col in ["Title", "Format", "Minutes", "Skills"] {
            assert!(
                described
                    .iter()
                    .any(|d| d.starts_with(&format!("Row 4, {col}"))),
                "{col}: {described:?}"
            );
        }
        let missing = check(&table("Code,Title\nLR-1,x\n"), &skills).unwrap_err();
        assert!(
            missing
                .iter()
                .any(|p| p.message.contains("\u{201c}Provider\u{201d}"))
        );
    }

    #[test]
    fn export_escapes_formulas() {
        let r = Resource {
            id: 1,
            code: "LR-1".into(),
            title: "=HYPERLINK(\"x\")".into(),
            provider: "@evil".into(),
            url: Some("https://example.org".into()),
            format: "video".into(),
            minutes: 5,
            cost_pence: 250,
            description: "+1".into(),
            covers: vec![],
            retired: false,
        };
        let csv = to_csv(&[r]);
        assert!(csv.contains("'=HYPERLINK"));
        assert!(csv.contains("'@evil"));
        assert!(csv.contains(",2.50,"));
    }
}
