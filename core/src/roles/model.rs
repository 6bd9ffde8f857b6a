use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::framework::model::MAX_LEVEL;

/// Staff groups as NHS HR data records them.
pub const STAFF_GROUPS: [&str; 9] = [
    "Add Prof Scientific and Technic",
    "Additional Clinical Services",
    "Administrative and Clerical",
    "Allied Health Professionals",
    "Estates and Ancillary",
    "Healthcare Scientists",
    "Medical and Dental",
    "Nursing and Midwifery Registered",
    "Students",
];

/// Agenda for Change bands and the common medical grades.
pub const BANDS: [&str; 16] = [
    "Band 1",
    "Band 2",
    "Band 3",
    "Band 4",
    "Band 5",
    "Band 6",
    "Band 7",
    "Band 8a",
    "Band 8b",
    "Band 8c",
    "Band 8d",
    "Band 9",
    "Resident doctor",
    "Specialty doctor",
    "Consultant",
    "Other",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRoleRow {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub staff_group: String,
    pub band: String,
    pub requirements: usize,
    pub people: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementRow {
    pub skill_code: String,
    pub skill_name: String,
    pub domain: String,
    pub level: u8,
    pub essential: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRoleDetail {
    pub role: JobRoleRow,
    pub requirements: Vec<RequirementRow>,
    /// Skills not yet required, for the "add a requirement" list.
    pub other_skills: Vec<(String, String)>,
    /// The viewer may change this role (HR and administrators).
    pub editable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRoleInput {
    pub code: String,
    pub title: String,
    pub staff_group: String,
    pub band: String,
}

impl JobRoleInput {
    /// Checks and tidies the input (codes upper-cased, spaces trimmed).
    pub fn validated(&self) -> Result<JobRoleInput, AppError> {
        let mut errors = Vec::new();
        let code = self.code.trim().to_uppercase();
        if code.is_empty() {
            errors.push(FieldError::new("code", "Enter a code for the job role"));
        } else if code.len() > 32
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errors.push(FieldError::new(
                "code",
                "Code must be up to 32 letters, digits, - or _",
            ));
        }
        let title = self.title.trim().to_string();
        if title.is_empty() {
            errors.push(FieldError::new("title", "Enter the job title"));
        } else if title.chars().count() > 200 {
            errors.push(FieldError::new(
                "title",
                "Job title must be 200 characters or fewer",
            ));
        }
        if !STAFF_GROUPS.contains(&self.staff_group.as_str()) {
            errors.push(FieldError::new("staff_group", "Choose a staff group"));
        }
        if !BANDS.contains(&self.band.as_str()) {
            errors.push(FieldError::new("band", "Choose a band or grade"));
        }
        if errors.is_empty() {
            Ok(JobRoleInput {
                code,
                title,
                staff_group: self.staff_group.clone(),
                band: self.band.clone(),
            })
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

pub fn validate_requirement_level(level: Option<u8>) -> Result<u8, AppError> {
    match level {
        Some(l) if (1..=MAX_LEVEL).contains(&l) => Ok(l),
        _ => Err(AppError::validation(
            "level",
            format!("Choose a required level from 1 to {MAX_LEVEL}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str, group: &str, band: &str) -> JobRoleInput {
        JobRoleInput {
            code: code.into(),
            title: "Ward Nurse".into(),
            staff_group: group.into(),
            band: band.into(),
        }
    }

    #[test]
    fn job_role_rules() {
        let ok = input(" nur-rn5 ", "Nursing and Midwifery Registered", "Band 5")
            .validated()
            .unwrap();
        assert_eq!(ok.code, "NUR-RN5");
        let err = input("", "Nurses", "Band 10").validated().unwrap_err();
        let fields: Vec<String> = err.field_errors().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "staff_group", "band"]);
        assert!(input("a b", STAFF_GROUPS[0], BANDS[0]).validated().is_err());
    }

    #[test]
    fn requirement_levels() {
        assert_eq!(validate_requirement_level(Some(3)), Ok(3));
        assert!(validate_requirement_level(Some(0)).is_err());
        assert!(validate_requirement_level(Some(5)).is_err());
        assert!(validate_requirement_level(None).is_err());
    }
}
