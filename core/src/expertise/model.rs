//! The expertise directory's wire types and rules: the search as it
//! travels in a URL, what a search finds, and the interests page.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::framework::model::{MAX_LEVEL, level_name};
use crate::team::model::encode;

/// Skills one search may ask for at once.
pub const MAX_SKILLS: usize = 5;
/// People shown on one page of results.
pub const PAGE_SIZE: usize = 25;
/// The level a search asks for unless told: Practitioner, someone who
/// can do the work unaided and could show others.
pub const DEFAULT_LEVEL: u8 = 3;
/// The lowest agreed level at which a person may offer to help others
/// with a skill (Practitioner).
pub const HELP_LEVEL: u8 = 3;
/// Characters in "how to contact me".
pub const CONTACT_MAX: usize = 200;

/// A search of the directory. It travels in the page's URL
/// (`/find?skill=DAT-ANA&skill=DAT-VIS&level=3&unit=12&help=on`), so every
/// search is a link that can be shared, and works without JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindQuery {
    /// Skill codes: a person must be at `level` or above in every one.
    pub skills: Vec<String>,
    /// The lowest level that counts, 1 to 4.
    pub level: u8,
    /// Only people in this unit or below it.
    pub unit: Option<i32>,
    /// Only people who would help others (with a skill searched for, or
    /// with any skill when none is).
    pub help: bool,
    /// Which page of results, from 1.
    pub page: usize,
}

impl Default for FindQuery {
    fn default() -> Self {
        FindQuery {
            skills: Vec::new(),
            level: DEFAULT_LEVEL,
            unit: None,
            help: false,
            page: 1,
        }
    }
}

impl FindQuery {
    /// From a URL's query pairs (repeated `skill`, `level`, `unit`, `help`,
    /// `page`), keeping what it can read and naming what it cannot. Blank
    /// values (an unchosen select) are ignored.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (FindQuery, Vec<FieldError>) {
        let mut q = FindQuery::default();
        let mut errors = Vec::new();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key {
                "skill" | "skill[]" => {
                    for code in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                        if !q.skills.iter().any(|s| s == code) {
                            q.skills.push(code.to_string());
                        }
                    }
                }
                "level" => match value.parse::<u8>() {
                    Ok(l) if (1..=MAX_LEVEL).contains(&l) => q.level = l,
                    _ => errors.push(FieldError::new(
                        "level",
                        format!("Choose a level from 1 to {MAX_LEVEL}"),
                    )),
                },
                "unit" => match value.parse::<i32>() {
                    Ok(u) => q.unit = Some(u),
                    Err(_) => errors.push(FieldError::new(
                        "unit",
                        "Choose a part of the organisation from the list",
                    )),
                },
                "help" => q.help = matches!(value, "on" | "true" | "1" | "yes"),
                "page" => q.page = value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1),
                _ => {}
            }
        }
        if q.skills.len() > MAX_SKILLS {
            errors.push(FieldError::new(
                "skill",
                format!(
                    "Choose up to {MAX_SKILLS} skills (there are {})",
                    q.skills.len()
                ),
            ));
        }
        (q, errors)
    }

    /// The query string for this search with `change` applied.
    pub fn href(&self, change: impl FnOnce(&mut FindQuery)) -> String {
        let mut q = self.clone();
        change(&mut q);
        let mut parts: Vec<String> = q
            .skills
            .iter()
            .map(|s| format!("skill={}", encode(s)))
            .collect();
        if q.level != DEFAULT_LEVEL {
            parts.push(format!("level={}", q.level));
        }
        if let Some(u) = q.unit {
            parts.push(format!("unit={u}"));
        }
        if q.help {
            parts.push("help=on".into());
        }
        if q.page > 1 {
            parts.push(format!("page={}", q.page));
        }
        if parts.is_empty() {
            "/find".into()
        } else {
            format!("/find?{}", parts.join("&"))
        }
    }

    /// The same search as a CSV download (every match, no pages).
    pub fn csv_href(&self) -> String {
        let page = self.href(|q| q.page = 1);
        match page.split_once('?') {
            Some((_, query)) => format!("/find.csv?{query}"),
            None => "/find.csv".into(),
        }
    }

    /// "Practitioner or above in Data analysis and Data visualisation".
    pub fn describe(&self, skill_name: impl Fn(&str) -> String) -> String {
        if self.skills.is_empty() {
            return if self.help {
                "Everyone in the directory who would help others".into()
            } else {
                "Everyone in the directory".into()
            };
        }
        let names: Vec<String> = self.skills.iter().map(|c| skill_name(c)).collect();
        let list = match names.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        let mut text = format!("{} or above in {list}", level_name(self.level));
        if self.help {
            text.push_str(", and would help others");
        }
        text
    }
}

/// One skill's level of a person found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundLevel {
    pub skill_code: String,
    pub skill_name: String,
    pub level: u8,
    /// Agreed with their manager; otherwise self-assessed (shown only
    /// because the person chose to).
    pub agreed: bool,
    /// They would help others with it.
    pub help: bool,
}

impl FoundLevel {
    /// "Data analysis: Practitioner (agreed)".
    pub fn text(&self) -> String {
        format!(
            "{}: {} ({})",
            self.skill_name,
            level_name(self.level),
            if self.agreed {
                "agreed"
            } else {
                "self-assessed"
            }
        )
    }
}

/// A person found in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub team: String,
    pub email: Option<String>,
    /// How they would like to be contacted, in their words.
    pub contact: String,
    /// Their levels in the skills searched for.
    pub levels: Vec<FoundLevel>,
    /// Skills they would help others with (all of them, by name).
    pub helps_with: Vec<String>,
    /// The person searching.
    pub is_me: bool,
}

/// A skill or unit to choose in the search form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub value: String,
    pub label: String,
}

/// What a search found, and what the form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindResults {
    pub query: FindQuery,
    /// What the query asks, in words.
    pub described: String,
    pub skills: Vec<Pick>,
    pub units: Vec<Pick>,
    pub people: Vec<Found>,
    /// People matching, on every page.
    pub matching: usize,
    pub pages: usize,
    /// People in the directory in all.
    pub listed: usize,
    /// Whether the person searching is listed.
    pub me_listed: bool,
    /// Whether they may download the results (HR and administrators).
    pub can_download: bool,
}

/// The person's directory listing, as they set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub listed: bool,
    pub show_self_assessed: bool,
    pub contact: String,
}

/// Checks a listing before it is stored.
pub fn check_listing(contact: &str) -> Vec<FieldError> {
    let len = contact.trim().chars().count();
    if len > CONTACT_MAX {
        vec![FieldError::new(
            "contact",
            format!("Keep how to contact you to {CONTACT_MAX} characters or fewer (it has {len})"),
        )]
    } else {
        Vec::new()
    }
}

/// One skill on the interests page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestSkill {
    pub code: String,
    pub name: String,
    pub domain: String,
    /// The agreed level, if any.
    pub agreed: Option<u8>,
    pub develop: bool,
    pub help: bool,
    /// The agreed level is at HELP_LEVEL or above, so they may offer help.
    pub can_help: bool,
}

/// The interests page: every skill of the framework, and the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interests {
    pub skills: Vec<InterestSkill>,
    pub listing: Listing,
}

/// Checks the skills a person ticked: known codes only, and help only
/// where their agreed level allows it. `agreed` gives each known skill's
/// agreed level. Names each skill at fault.
pub fn check_interests(
    develop: &[String],
    help: &[String],
    agreed: impl Fn(&str) -> Option<Option<u8>>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for code in develop {
        if agreed(code).is_none() {
            errors.push(FieldError::new(
                format!("develop[{code}]"),
                format!("{code} is not a skill of the current framework"),
            ));
        }
    }
    for code in help {
        match agreed(code) {
            None => errors.push(FieldError::new(
                format!("help[{code}]"),
                format!("{code} is not a skill of the current framework"),
            )),
            Some(level) if level.unwrap_or(0) < HELP_LEVEL => errors.push(FieldError::new(
                format!("help[{code}]"),
                format!(
                    "You can offer help with {code} once your level in it is agreed at {} or above",
                    level_name(HELP_LEVEL)
                ),
            )),
            Some(_) => {}
        }
    }
    errors
}

/// A search's people as CSV for HR: name, job title, team, email, how to
/// contact them, their levels in the skills searched for, and what they
/// would help with. Every value passes the formula-injection escape.
#[cfg(feature = "server")]
pub fn to_csv(query: &FindQuery, skill_name: impl Fn(&str) -> String, people: &[Found]) -> String {
    let mut out = crate::kernel::csv::SafeCsv::default();
    let mut header = vec![
        "Name".to_string(),
        "Job title".into(),
        "Team".into(),
        "Email".into(),
        "How to contact".into(),
    ];
    for code in &query.skills {
        header.push(format!("{} ({code})", skill_name(code)));
    }
    header.push("Would help with".into());
    out.row(&header);
    for p in people {
        let mut record = vec![
            p.name.clone(),
            p.job_title.clone().unwrap_or_default(),
            p.team.clone(),
            p.email.clone().unwrap_or_default(),
            p.contact.clone(),
        ];
        for code in &query.skills {
            record.push(
                p.levels
                    .iter()
                    .find(|l| &l.skill_code == code)
                    .map(|l| {
                        format!(
                            "{} ({})",
                            level_name(l.level),
                            if l.agreed { "agreed" } else { "self-assessed" }
                        )
                    })
                    .unwrap_or_default(),
            );
        }
        record.push(p.helps_with.join("; "));
        out.row(&record);
    }
    out.finish()
}

/// Pages needed for `matching` results.
pub fn pages(matching: usize) -> usize {
    matching.div_ceil(PAGE_SIZE).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_reads_from_its_url_and_back() {
        let (q, errors) = FindQuery::from_pairs([
            ("skill", "DAT-ANA"),
            ("skill", "DAT-VIS"),
            ("skill", "DAT-ANA"),
            ("level", "4"),
            ("unit", "12"),
            ("help", "on"),
            ("page", "2"),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(q.skills, ["DAT-ANA", "DAT-VIS"]);
        assert_eq!((q.level, q.unit, q.help, q.page), (4, Some(12), true, 2));
        assert_eq!(
            q.href(|_| {}),
            "/find?skill=DAT-ANA&skill=DAT-VIS&level=4&unit=12&help=on&page=2"
        );
        assert_eq!(
            q.csv_href(),
            "/find.csv?skill=DAT-ANA&skill=DAT-VIS&level=4&unit=12&help=on"
        );
        let (again, _) = FindQuery::from_pairs([
            ("skill", "DAT-ANA"),
            ("skill", "DAT-VIS"),
            ("level", "4"),
            ("unit", "12"),
            ("help", "on"),
            ("page", "2"),
        ]);
        assert_eq!(again, q);
    }

    #[test]
    fn bad_values_are_named_and_blanks_ignored() {
        let (q, errors) =
            FindQuery::from_pairs([("level", "9"), ("unit", "x"), ("skill", ""), ("page", "0")]);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["level", "unit"]);
        assert_eq!(q, FindQuery::default());
        let many: Vec<(&str, &str)> = ["A", "B", "C", "D", "E", "F"]
            .iter()
            .map(|c| ("skill", *c))
            .collect();
        let (_, errors) = FindQuery::from_pairs(many);
        assert_eq!(errors[0].field, "skill");
    }

    #[test]
    fn a_search_says_what_it_asks() {
        let (q, _) = FindQuery::from_pairs([("skill", "A"), ("skill", "B"), ("help", "on")]);
        let text = q.describe(|c| format!("Skill {c}"));
        assert_eq!(
            text,
            "Practitioner or above in Skill A and Skill B, and would help others"
        );
        assert_eq!(
            FindQuery::default().describe(|c| c.into()),
            "Everyone in the directory"
        );
    }

    #[test]
    fn help_needs_an_agreed_practitioner_level() {
        let agreed = |c: &str| match c {
            "A" => Some(Some(3)),
            "B" => Some(Some(2)),
            "C" => Some(None),
            _ => None,
        };
        let errors = check_interests(
            &["A".into(), "Z".into()],
            &["A".into(), "B".into(), "C".into()],
            agreed,
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["develop[Z]", "help[B]", "help[C]"]);
        assert!(check_listing(&"x".repeat(CONTACT_MAX)).is_empty());
        assert_eq!(
            check_listing(&"x".repeat(CONTACT_MAX + 1))[0].field,
            "contact"
        );
    }

    #[test]
    fn pages_round_up() {
        assert_eq!((pages(0), pages(25), pages(26)), (1, 1, 2));
    }
}
