//! Reading and writing framework files: JSON (the exchange format) and CSV
//! (one row per skill). Errors name the line and field.

use super::model::{DescriptorDoc, DomainDoc, FrameworkDoc, MAX_LEVEL, SCHEMA, SkillDoc};
use crate::error::{AppError, FieldError};
use crate::kernel::csv::SafeCsv;

pub const CSV_HEADERS: [&str; 10] = [
    "domain_code",
    "domain_name",
    "skill_code",
    "skill_name",
    "description",
    "foundation",
    "level_1_awareness",
    "level_2_working",
    "level_3_practitioner",
    "level_4_expert",
];

/// Parses a file: JSON when it starts with `{`, CSV otherwise. A CSV file
/// carries skills only; the framework's code, name and description come
/// from `current` (the framework it will be the next version of).
pub fn parse(text: &str, current: Option<&FrameworkDoc>) -> Result<FrameworkDoc, AppError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(AppError::validation("document", "The file is empty"));
    }
    if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| {
            AppError::validation(
                format!("line {}, column {}", e.line(), e.column()),
                format!("this is not a valid framework file: {e}"),
            )
        })
    } else {
        from_csv(trimmed, current)
    }
}

pub fn from_csv(text: &str, current: Option<&FrameworkDoc>) -> Result<FrameworkDoc, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::validation("line 1", format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = CSV_HEADERS
        .iter()
        .filter(|h| !headers.iter().any(|x| x == *h))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(AppError::validation(
            "line 1",
            format!(
                "the header row is missing the column(s) {}",
                missing.join(", ")
            ),
        ));
    }
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .expect("checked above")
    };
    let mut errors = Vec::new();
    let mut domains: Vec<DomainDoc> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(format!("line {line}"), e.to_string()));
                continue;
            }
        };
        let get = |name: &str| record.get(col(name)).unwrap_or_default().trim().to_string();
        let foundation = match get("foundation").to_lowercase().as_str() {
            "yes" | "true" | "y" | "1" => true,
            "" | "no" | "false" | "n" | "0" => false,
            other => {
                errors.push(FieldError::new(
                    format!("line {line}, foundation"),
                    format!("must be yes or no, not {other:?}"),
                ));
                false
            }
        };
        let descriptors = (1..=MAX_LEVEL)
            .map(|level| DescriptorDoc {
                level,
                text: get(CSV_HEADERS[5 + usize::from(level)]),
            })
            .filter(|d| !d.text.is_empty())
            .collect();
        let skill = SkillDoc {
            code: get("skill_code"),
            name: get("skill_name"),
            description: get("description"),
            foundation,
            descriptors,
        };
        let domain_code = get("domain_code");
        match domains.iter_mut().find(|d| d.code == domain_code) {
            Some(d) => d.skills.push(skill),
            None => domains.push(DomainDoc {
                name: get("domain_name"),
                description: current
                    .and_then(|c| c.domains.iter().find(|d| d.code == domain_code))
                    .map(|d| d.description.clone())
                    .unwrap_or_default(),
                code: domain_code,
                skills: vec![skill],
            }),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(FrameworkDoc {
        schema: SCHEMA.into(),
        code: current
            .map(|c| c.code.clone())
            .unwrap_or_else(|| "DDIL".into()),
        name: current
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "Imported framework".into()),
        version: 0,
        description: current.map(|c| c.description.clone()).unwrap_or_default(),
        domains,
    })
}

pub fn to_csv(doc: &FrameworkDoc) -> String {
    let mut writer = SafeCsv::default();
    writer.row(CSV_HEADERS);
    for d in &doc.domains {
        for s in &d.skills {
            let level = |l: u8| {
                s.descriptors
                    .iter()
                    .find(|x| x.level == l)
                    .map(|x| x.text.as_str())
                    .unwrap_or_default()
            };
            writer.row([
                d.code.as_str(),
                &d.name,
                &s.code,
                &s.name,
                &s.description,
                if s.foundation { "yes" } else { "no" },
                level(1),
                level(2),
                level(3),
                level(4),
            ]);
        }
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::model::validate_doc;
    use crate::framework::read::default_doc;

    #[test]
    fn csv_round_trips_the_shipped_framework() {
        let doc = default_doc();
        let csv = to_csv(&doc);
        assert_eq!(csv.lines().count(), 28, "header and 27 skills");
        let back = parse(&csv, Some(&doc)).unwrap();
        assert!(validate_doc(&back).is_empty());
        assert_eq!(back.domains.len(), 3);
        assert_eq!(back.domains[0].skills, doc.domains[0].skills);
    }

    #[test]
    fn bad_files_name_the_line() {
        let err = parse("{\n  \"schema\": 3,\n}", None).unwrap_err();
        assert!(err.field_errors()[0].field.starts_with("line 2"), "{err:?}");
        let err = parse("domain_code,skill_code\nD,S", None).unwrap_err();
        assert!(
            err.field_errors()[0].message.contains("skill_name"),
            "{err:?}"
        );
        let csv = format!(
            "{}\nD,Data,D-A,Name,,maybe,a,b,c,d\n",
            CSV_HEADERS.join(",")
        );
        let err = parse(&csv, None).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "line 2, foundation");
        assert!(parse("   ", None).is_err());
    }
}
