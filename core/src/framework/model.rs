use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The level scale (the level names of the UK government's Digital and Data
/// capability framework, with 0 for "not yet").
pub const LEVELS: [(u8, &str); 5] = [
    (0, "Not yet"),
    (1, "Awareness"),
    (2, "Working"),
    (3, "Practitioner"),
    (4, "Expert"),
];
pub const MAX_LEVEL: u8 = 4;

pub fn level_name(level: u8) -> &'static str {
    LEVELS
        .get(usize::from(level))
        .map(|(_, n)| *n)
        .unwrap_or("Unknown")
}

/// "2 Working".
pub fn level_label(level: u8) -> String {
    format!("{level} {}", level_name(level))
}

pub const SCHEMA: &str = "skillmap-framework/1";
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 2000;

/// A framework as exchanged in files (see docs/framework-format.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkDoc {
    pub schema: String,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub description: String,
    pub domains: Vec<DomainDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDoc {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub skills: Vec<SkillDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillDoc {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub foundation: bool,
    pub descriptors: Vec<DescriptorDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorDoc {
    pub level: u8,
    pub text: String,
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Every problem in a framework document, each naming where it is.
pub fn validate_doc(doc: &FrameworkDoc) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: String, message: String| errors.push(FieldError::new(field, message));
    if doc.schema != SCHEMA {
        err("schema".into(), format!("must be \"{SCHEMA}\""));
    }
    if !valid_code(&doc.code) {
        err(
            "code".into(),
            "must be 1-32 capital letters, digits, - or _".into(),
        );
    }
    if doc.name.trim().is_empty() || doc.name.len() > MAX_NAME {
        err("name".into(), format!("must be 1-{MAX_NAME} characters"));
    }
    if doc.domains.is_empty() {
        err("domains".into(), "must list at least one domain".into());
    }
    let mut domain_codes = std::collections::HashSet::new();
    let mut skill_codes = std::collections::HashSet::new();
    for (d_index, d) in doc.domains.iter().enumerate() {
        let at = format!("domain {} ({})", d_index + 1, d.code);
        if !valid_code(&d.code) {
            err(
                format!("{at}: code"),
                "must be 1-32 capital letters, digits, - or _".into(),
            );
        } else if !domain_codes.insert(d.code.as_str()) {
            err(format!("{at}: code"), "is used by another domain".into());
        }
        if d.name.trim().is_empty() || d.name.len() > MAX_NAME {
            err(
                format!("{at}: name"),
                format!("must be 1-{MAX_NAME} characters"),
            );
        }
        if d.skills.is_empty() {
            err(
                format!("{at}: skills"),
                "must list at least one skill".into(),
            );
        }
        for s in &d.skills {
            let at = format!("skill {}", s.code);
            if !valid_code(&s.code) {
                err(
                    format!("{at}: code"),
                    "must be 1-32 capital letters, digits, - or _".into(),
                );
            } else if !skill_codes.insert(s.code.as_str()) {
                err(format!("{at}: code"), "is used by another skill".into());
            }
            if s.name.trim().is_empty() || s.name.len() > MAX_NAME {
                err(
                    format!("{at}: name"),
                    format!("must be 1-{MAX_NAME} characters"),
                );
            }
            if s.description.len() > MAX_TEXT {
                err(
                    format!("{at}: description"),
                    format!("must be {MAX_TEXT} characters or fewer"),
                );
            }
            let mut seen = [false; MAX_LEVEL as usize + 1];
            for desc in &s.descriptors {
                if desc.level == 0 || desc.level > MAX_LEVEL {
                    err(
                        format!("{at}: descriptors"),
                        format!("level {} is outside the scale 1-{MAX_LEVEL}", desc.level),
                    );
                    continue;
                }
                if std::mem::replace(&mut seen[usize::from(desc.level)], true) {
                    err(
                        format!("{at}: descriptors"),
                        format!("level {} is described twice", desc.level),
                    );
                }
                if desc.text.trim().is_empty() || desc.text.len() > MAX_TEXT {
                    err(
                        format!("{at}: level {}", desc.level),
                        format!("descriptor must be 1-{MAX_TEXT} characters"),
                    );
                }
            }
            let missing: Vec<String> = (1..=MAX_LEVEL)
                .filter(|l| !seen[usize::from(*l)])
                .map(|l| l.to_string())
                .collect();
            if !missing.is_empty() {
                err(
                    format!("{at}: descriptors"),
                    format!("missing a descriptor for level {}", missing.join(", ")),
                );
            }
        }
    }
    errors
}

/// What publishing a checked file would change, by skill code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub draft_id: i32,
    pub source_name: String,
    pub code: String,
    pub name: String,
    pub current_version: Option<i32>,
    pub next_version: i32,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    pub published_version: Option<i32>,
    /// The organisation whose own skills this file would become the next
    /// version of; None for the shared framework.
    #[serde(default)]
    pub organisation: Option<String>,
}

/// The administrators' framework page: what is in use, and what this
/// account may publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkAdmin {
    /// The shared framework, with the account's organisation's own skills.
    pub framework: FrameworkView,
    /// The account's organisation, whose own skills it may publish (none
    /// for the workforce lead).
    pub organisation: Option<String>,
    /// Whether it may publish the shared framework: the workforce lead, or
    /// the administrators of a deployment of one organisation.
    pub shared: bool,
}

/// The default name of an organisation's own skills.
pub fn own_skills_name(organisation: &str) -> String {
    format!("{organisation}: own skills")
}

/// Skills added, changed and removed going from `old` to `new` (as "CODE
/// name"), and how many stayed the same.
pub fn diff(
    old: Option<&FrameworkDoc>,
    new: &FrameworkDoc,
) -> (Vec<String>, Vec<String>, Vec<String>, usize) {
    let flat = |d: &FrameworkDoc| -> Vec<(String, String, SkillDoc)> {
        d.domains
            .iter()
            .flat_map(|dom| {
                dom.skills
                    .iter()
                    .map(move |s| (s.code.clone(), dom.code.clone(), s.clone()))
            })
            .collect()
    };
    let old_skills = old.map(flat).unwrap_or_default();
    let new_skills = flat(new);
    let label = |s: &SkillDoc| format!("{} {}", s.code, s.name);
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for (code, domain, skill) in &new_skills {
        match old_skills.iter().find(|(c, _, _)| c == code) {
            None => added.push(label(skill)),
            Some((_, old_domain, old_skill)) if old_domain != domain || old_skill != skill => {
                changed.push(label(skill))
            }
            Some(_) => unchanged += 1,
        }
    }
    let removed = old_skills
        .iter()
        .filter(|(c, _, _)| !new_skills.iter().any(|(n, _, _)| n == c))
        .map(|(_, _, s)| label(s))
        .collect();
    (added, changed, removed, unchanged)
}

/// A framework version as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub version: i32,
    pub description: String,
    pub published: String,
    pub domains: Vec<DomainView>,
    /// The viewer's organisation's own skills, shown after the shared
    /// domains (none when it has none, and in every view of the shared
    /// framework alone). Kept apart from `domains` because the figures
    /// that compare organisations (integrative leaders, the foundation
    /// skills, the trend per domain) count the shared domains only.
    #[serde(default)]
    pub own: Option<OwnSkills>,
}

/// An organisation's own skills: its own framework, versioned like the
/// shared one, that adds domains for its people only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnSkills {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub version: i32,
    pub description: String,
    pub published: String,
    pub domains: Vec<DomainView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub code: String,
    pub name: String,
    pub description: String,
    pub skills: Vec<SkillView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillView {
    pub code: String,
    pub name: String,
    pub description: String,
    pub foundation: bool,
    pub domain: String,
    /// Descriptors for levels 1..=4, in order.
    pub descriptors: Vec<String>,
}

impl FrameworkView {
    /// The shared domains, then the organisation's own.
    pub fn all_domains(&self) -> impl Iterator<Item = &DomainView> {
        self.domains
            .iter()
            .chain(self.own.iter().flat_map(|o| o.domains.iter()))
    }

    /// Every skill a person may assess: the shared framework's, then their
    /// organisation's own.
    pub fn skills(&self) -> impl Iterator<Item = &SkillView> {
        self.all_domains().flat_map(|d| d.skills.iter())
    }

    /// Whether `code` is one of the organisation's own skills.
    pub fn is_own(&self, code: &str) -> bool {
        self.own
            .iter()
            .flat_map(|o| o.domains.iter())
            .any(|d| d.skills.iter().any(|s| s.code == code))
    }

    /// The version an assessment of `code` is made against: its own
    /// framework's for an organisation's own skill.
    pub fn version_of(&self, code: &str) -> i32 {
        match &self.own {
            Some(o) if self.is_own(code) => o.version,
            _ => self.version,
        }
    }

    pub fn skill(&self, code: &str) -> Option<&SkillView> {
        self.skills().find(|s| s.code == code)
    }

    /// Only the skills whose code, name, description or descriptors contain
    /// every word of `query` (case-insensitive); empty domains dropped.
    pub fn filtered(mut self, query: &str) -> Self {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return self;
        }
        let own = self.own.iter_mut().flat_map(|o| o.domains.iter_mut());
        for d in self.domains.iter_mut().chain(own) {
            d.skills.retain(|s| {
                let hay = format!(
                    "{} {} {} {} {}",
                    s.code,
                    s.name,
                    s.description,
                    d.name,
                    s.descriptors.join(" ")
                )
                .to_lowercase();
                words.iter().all(|w| hay.contains(w))
            });
        }
        self.domains.retain(|d| !d.skills.is_empty());
        if let Some(o) = &mut self.own {
            o.domains.retain(|d| !d.skills.is_empty());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(code: &str) -> SkillDoc {
        SkillDoc {
            code: code.into(),
            name: "A skill".into(),
            description: String::new(),
            foundation: false,
            descriptors: (1..=4)
                .map(|level| DescriptorDoc {
                    level,
                    text: format!("Level {level}"),
                })
                .collect(),
        }
    }

    fn doc() -> FrameworkDoc {
        FrameworkDoc {
            schema: SCHEMA.into(),
            code: "F".into(),
            name: "F".into(),
            version: 1,
            description: String::new(),
            domains: vec![DomainDoc {
                code: "D".into(),
                name: "D".into(),
                description: String::new(),
                skills: vec![skill("D-A"), skill("D-B")],
            }],
        }
    }

    #[test]
    fn a_good_document_has_no_errors() {
        assert!(validate_doc(&doc()).is_empty());
    }

    #[test]
    fn errors_name_the_skill_and_field() {
        let mut d = doc();
        d.domains[0].skills[1].code = "D-A".into();
        d.domains[0].skills[0].descriptors.pop();
        d.domains[0].skills[0].descriptors.push(DescriptorDoc {
            level: 7,
            text: "x".into(),
        });
        let errors = validate_doc(&d);
        let text: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert!(
            text.iter()
                .any(|t| t == "skill D-A: code: is used by another skill"),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("level 7 is outside the scale")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("missing a descriptor for level 4")),
            "{text:?}"
        );
    }

    #[test]
    fn diff_by_code() {
        let old = doc();
        let mut new = doc();
        new.domains[0].skills[0].name = "Renamed".into();
        new.domains[0].skills.remove(1);
        new.domains[0].skills.push(skill("D-C"));
        let (added, changed, removed, same) = diff(Some(&old), &new);
        assert_eq!(added, ["D-C A skill"]);
        assert_eq!(changed, ["D-A Renamed"]);
        assert_eq!(removed, ["D-B A skill"]);
        assert_eq!(same, 0);
        let (added, _, _, _) = diff(None, &old);
        assert_eq!(added.len(), 2);
    }

    #[test]
    fn level_names() {
        assert_eq!(level_name(0), "Not yet");
        assert_eq!(level_name(4), "Expert");
        assert_eq!(level_label(2), "2 Working");
        assert_eq!(level_name(9), "Unknown");
    }

    #[test]
    fn the_shipped_framework_is_valid() {
        let doc: FrameworkDoc =
            serde_json::from_str(include_str!("default_framework.json")).expect("parses");
        assert_eq!(validate_doc(&doc), vec![]);
        assert_eq!(doc.domains.len(), 3);
        for d in &doc.domains {
            assert!(
                (8..=12).contains(&d.skills.len()),
                "{} has {}",
                d.code,
                d.skills.len()
            );
        }
        assert!(
            doc.domains
                .iter()
                .flat_map(|d| &d.skills)
                .filter(|s| s.foundation)
                .count()
                >= 3
        );
    }
}
