//! Learning pathways: the catalogue's wire types, and the pure rules that
//! turn a person's gaps and the catalogue into a short, ordered, explained
//! pathway.
//!
//! The ranking, in the words a person and an HR lead can check:
//! 1. A gap is a skill where the level that counts (agreed, else the
//!    person's own) is below what their role needs, or the role they are
//!    aiming for. Essential needs come before desirable ones.
//! 2. Step by step, Skillmap picks the resource that closes the most gap per
//!    hour of learning. A level closed on an essential need counts three
//!    times one on a desirable need, so a resource that covers several gaps
//!    wins over one that covers a single gap.
//! 3. A resource only counts for a skill if it starts at or below the level
//!    the person will have reached by then: Working comes before
//!    Practitioner.
//! 4. Ties go to the resource that closes more gap, then the free one, the
//!    shorter one, and finally the catalogue code.
//! 5. With a weekly time budget, the pathway is planned over 12 weeks and a
//!    resource that would end later is left out; without one, a pathway has
//!    at most 8 steps.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::framework::model::{MAX_LEVEL, level_name};
use crate::profile::model::Requirement;

/// The kinds of learning, as (code, label).
pub const FORMATS: [(&str, &str); 6] = [
    ("e-learning", "E-learning"),
    ("course", "Course"),
    ("video", "Video"),
    ("reading", "Reading"),
    ("mentoring", "Mentoring"),
    ("on-the-job", "On the job"),
];

pub fn format_label(code: &str) -> &'static str {
    FORMATS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Other")
}

/// A level closed on an essential need counts this many desirable ones.
pub const ESSENTIAL_WEIGHT: u32 = 3;
/// The most steps a recommended pathway has.
pub const MAX_STEPS: usize = 8;
/// With a weekly time budget, the pathway is planned over this many weeks.
pub const HORIZON_WEEKS: u32 = 12;
/// Shorter resources count as this long when comparing gap closed per hour,
/// so a five-minute page does not beat everything.
pub const MIN_MINUTES: u32 = 15;
/// Weekly time budgets offered, in minutes.
pub const WEEKLY_BUDGETS: [u32; 5] = [30, 60, 120, 180, 300];
/// Mentors suggested per skill.
pub const MENTORS_PER_SKILL: usize = 3;

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 1000;
pub const MAX_URL: usize = 2000;
pub const MAX_MINUTES: u32 = 100_000;
/// £100,000, in pence.
pub const MAX_COST_PENCE: u32 = 10_000_000;

/// "1 h 30 min", "45 min".
pub fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// "Free", "£12.50".
pub fn cost_text(pence: u32) -> String {
    if pence == 0 {
        "Free".into()
    } else {
        format!("\u{a3}{}", pounds(pence))
    }
}

/// A cost as the catalogue form and file write it: "0" when free, else
/// pounds and pence ("12.50"), which `parse_cost` reads back.
pub fn pounds(pence: u32) -> String {
    if pence == 0 {
        "0".into()
    } else {
        format!("{}.{:02}", pence / 100, pence % 100)
    }
}

/// A skill a resource develops, from one level to a higher one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub skill_code: String,
    pub from: u8,
    pub to: u8,
}

/// "DAT-VIS 2-3; DAT-ANA 1-2": how the catalogue file and form write them.
pub fn coverage_text(covers: &[Coverage]) -> String {
    covers
        .iter()
        .map(|c| format!("{} {}-{}", c.skill_code, c.from, c.to))
        .collect::<Vec<_>>()
        .join("; ")
}

fn parse_level(s: &str) -> Option<u8> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u8>() {
        return (n <= MAX_LEVEL).then_some(n);
    }
    (0..=MAX_LEVEL).find(|l| level_name(*l).eq_ignore_ascii_case(s))
}

/// Reads "DAT-VIS 2-3; DAT-ANA Awareness to Working". Skill codes are
/// checked against `skills` (the framework's codes).
pub fn parse_coverage(text: &str, skills: &HashSet<String>) -> Result<Vec<Coverage>, String> {
    let mut out: Vec<Coverage> = Vec::new();
    for item in text.split([';', ',', '\n']) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (code, range) = item.split_once(char::is_whitespace).ok_or_else(|| {
            format!("\u{201c}{item}\u{201d} needs a skill code and levels, like DAT-VIS 2-3")
        })?;
        let code = code.trim().to_ascii_uppercase();
        if !skills.contains(&code) {
            return Err(format!("There is no skill {code} in the framework"));
        }
        let range = range.replace('\u{2192}', "-").replace(" to ", "-");
        let (from, to) = range
            .split_once('-')
            .and_then(|(a, b)| Some((parse_level(a)?, parse_level(b)?)))
            .ok_or_else(|| {
                format!(
                    "\u{201c}{item}\u{201d}: give the levels as two numbers from 0 to {MAX_LEVEL}, like {code} 2-3"
                )
            })?;
        if from >= to {
            return Err(format!(
                "\u{201c}{item}\u{201d}: the second level must be higher than the first"
            ));
        }
        if out.iter().any(|c| c.skill_code == code) {
            return Err(format!("{code} is listed twice"));
        }
        out.push(Coverage {
            skill_code: code,
            from,
            to,
        });
    }
    if out.is_empty() {
        return Err("List at least one skill the resource develops, like DAT-VIS 2-3".into());
    }
    Ok(out)
}

/// A catalogue resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub provider: String,
    pub url: Option<String>,
    pub format: String,
    pub minutes: u32,
    pub cost_pence: u32,
    pub description: String,
    pub covers: Vec<Coverage>,
    /// Kept for pathways that use it; never recommended.
    pub retired: bool,
}

/// A resource as a form or a file row gives it: text, to check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceInput {
    pub code: String,
    pub title: String,
    pub provider: String,
    pub url: String,
    pub format: String,
    pub minutes: String,
    pub cost: String,
    pub description: String,
    pub skills: String,
}

/// The form fields, with the catalogue file's column names.
pub const FIELDS: [(&str, &str); 9] = [
    ("code", "Code"),
    ("title", "Title"),
    ("provider", "Provider"),
    ("url", "Link"),
    ("format", "Format"),
    ("minutes", "Minutes"),
    ("cost", "Cost (GBP)"),
    ("skills", "Skills"),
    ("description", "Description"),
];

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// "0", "12.5", "£12.50", "free" -> pence.
fn parse_cost(s: &str) -> Option<u32> {
    let s = s.trim().trim_start_matches('\u{a3}').trim();
    if s.is_empty() || s.eq_ignore_ascii_case("free") {
        return Some(0);
    }
    let (pounds, pence) = match s.split_once('.') {
        Some((p, d)) if !d.is_empty() && d.len() <= 2 && d.chars().all(|c| c.is_ascii_digit()) => {
            let n: u32 = d.parse().ok()?;
            (p, if d.len() == 1 { n * 10 } else { n })
        }
        Some(_) => return None,
        None => (s, 0),
    };
    let pounds: u32 = pounds.parse().ok()?;
    pounds.checked_mul(100)?.checked_add(pence)
}

/// Checks a resource; every problem names its field (see `FIELDS`).
pub fn validate_resource(
    input: &ResourceInput,
    skills: &HashSet<String>,
) -> Result<Resource, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = input.code.trim().to_ascii_uppercase();
    if !valid_code(&code) {
        errors.push(FieldError::new(
            "code",
            "Enter a code of up to 32 capital letters, digits and dashes, like LR-101",
        ));
    }
    let mut text = |field: &'static str, value: &str, what: &str, max: usize, required: bool| {
        let v = value.trim().to_string();
        if required && v.is_empty() {
            errors.push(FieldError::new(field, format!("Enter the {what}")));
        } else if v.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("The {what} must be {max} characters or fewer"),
            ));
        }
        v
    };
    let title = text("title", &input.title, "title", MAX_TITLE, true);
    let provider = text("provider", &input.provider, "provider", MAX_TITLE, true);
    let description = text(
        "description",
        &input.description,
        "description",
        MAX_DESCRIPTION,
        false,
    );
    let url = text("url", &input.url, "link", MAX_URL, false);
    let format = input.format.trim().to_ascii_lowercase();
    let format_ok = FORMATS.iter().any(|(c, _)| *c == format);
    if !format_ok {
        errors.push(FieldError::new(
            "format",
            format!(
                "Choose the format: one of {}",
                FORMATS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !url.is_empty() && !web {
        errors.push(FieldError::new(
            "url",
            "Enter a full web address starting with https://",
        ));
    } else if url.is_empty() && format_ok && format != "mentoring" && format != "on-the-job" {
        errors.push(FieldError::new(
            "url",
            "Enter the web address where people find this resource",
        ));
    }
    let minutes = match input.minutes.trim().parse::<u32>() {
        Ok(m) if (1..=MAX_MINUTES).contains(&m) => m,
        _ => {
            errors.push(FieldError::new(
                "minutes",
                format!(
                    "Enter how long it takes in minutes, a whole number from 1 to {MAX_MINUTES}"
                ),
            ));
            0
        }
    };
    let cost_pence = match parse_cost(&input.cost) {
        Some(p) if p <= MAX_COST_PENCE => p,
        _ => {
            errors.push(FieldError::new(
                "cost",
                "Enter the cost in pounds, like 0 for free or 12.50",
            ));
            0
        }
    };
    let covers = match parse_coverage(&input.skills, skills) {
        Ok(mut c) => {
            // Stored by skill code: the same resource always reads the same.
            c.sort_by(|a, b| a.skill_code.cmp(&b.skill_code));
            c
        }
        Err(e) => {
            errors.push(FieldError::new("skills", e));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Resource {
        id: 0,
        code,
        title,
        provider,
        url: (!url.is_empty()).then_some(url),
        format,
        minutes,
        cost_pence,
        description,
        covers,
        retired: false,
    })
}

// ---------------------------------------------------------------------------
// Gaps.

/// Which role a need comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The person's own job role.
    Role,
    /// The role the person is aiming for.
    Aspiration,
}

/// A skill where the person is below what a role needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub skill_code: String,
    pub skill_name: String,
    pub required: u8,
    pub essential: bool,
    /// The level that counts; `None` when not assessed.
    pub current: Option<u8>,
    pub source: Source,
    pub role_title: String,
    /// The person said they would like to develop this skill: it weighs
    /// more in the ranking, and the reason says so.
    #[serde(default)]
    pub interested: bool,
}

/// What an interest adds to a gap's weight (an essential need weighs
/// `ESSENTIAL_WEIGHT`, a desirable one 1).
pub const INTEREST_WEIGHT: u32 = 1;

/// Marks the gaps in skills the person would like to develop, and puts
/// them first after the essential ones (then the largest gap).
pub fn mark_interests(gaps: &mut [Gap], interested: &std::collections::HashSet<String>) {
    for g in gaps.iter_mut() {
        g.interested = interested.contains(&g.skill_code);
    }
    gaps.sort_by_key(|g| (!g.essential, !g.interested, std::cmp::Reverse(g.size())));
}

impl Gap {
    pub fn size(&self) -> u8 {
        self.required.saturating_sub(self.current.unwrap_or(0))
    }

    fn weight(&self) -> u32 {
        let base = if self.essential { ESSENTIAL_WEIGHT } else { 1 };
        if self.interested {
            base + INTEREST_WEIGHT
        } else {
            base
        }
    }

    /// "Your role (Staff Nurse) needs Data analysis at Practitioner (essential)".
    pub fn need_text(&self) -> String {
        let who = match self.source {
            Source::Role => format!("Your role ({})", self.role_title),
            Source::Aspiration => format!("{}, the role you are aiming for,", self.role_title),
        };
        format!(
            "{who} needs {} at {} ({})",
            self.skill_name,
            level_name(self.required),
            if self.essential {
                "essential"
            } else {
                "desirable"
            }
        )
    }

    /// "you are at Working", "you have not assessed it yet".
    pub fn now_text(&self) -> String {
        match self.current {
            None => "you have not assessed it yet".into(),
            Some(0) => "you are not yet at Awareness".into(),
            Some(l) => format!("you are at {}", level_name(l)),
        }
    }
}

/// A role and its needs, by skill code.
pub struct RoleNeeds<'a> {
    pub title: &'a str,
    pub needs: &'a HashMap<String, Requirement>,
}

/// The person's gaps, from their levels (skill code -> the level that
/// counts) against their role and, if they chose one, the role they aim
/// for. Where both need a skill, the higher need counts (the person's own
/// role when equal). Essential first, then the largest gap, then framework
/// order (`skills` is the framework's (code, name) in order).
pub fn gaps(
    skills: &[(String, String)],
    levels: &HashMap<String, u8>,
    role: Option<RoleNeeds<'_>>,
    aspiration: Option<RoleNeeds<'_>>,
) -> Vec<Gap> {
    let mut out: Vec<Gap> = skills
        .iter()
        .filter_map(|(code, name)| {
            let from = |r: &Option<RoleNeeds<'_>>, source: Source| {
                r.as_ref()
                    .and_then(|r| r.needs.get(code).map(|n| (*n, source, r.title.to_string())))
            };
            let need = match (
                from(&role, Source::Role),
                from(&aspiration, Source::Aspiration),
            ) {
                (Some(a), Some(b)) => {
                    if b.0.level > a.0.level {
                        b
                    } else {
                        a
                    }
                }
                (a, b) => a.or(b)?,
            };
            let (req, source, role_title) = need;
            let gap = Gap {
                skill_code: code.clone(),
                skill_name: name.clone(),
                required: req.level,
                essential: req.essential,
                current: levels.get(code).copied(),
                source,
                role_title,
                interested: false,
            };
            (gap.size() > 0).then_some(gap)
        })
        .collect();
    out.sort_by_key(|g| (!g.essential, std::cmp::Reverse(g.size())));
    out
}

// ---------------------------------------------------------------------------
// The ranking.

/// Levels one step develops in one skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gain {
    pub skill_code: String,
    pub skill_name: String,
    pub from: u8,
    pub to: u8,
}

/// "DAT-VIS 2-3; DAT-ANA 1-2", as a step stores what it was planned for.
pub fn gains_text(gains: &[Gain]) -> String {
    gains
        .iter()
        .map(|g| format!("{} {}-{}", g.skill_code, g.from, g.to))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A recommended step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub resource: Resource,
    pub gains: Vec<Gain>,
    /// Why, in plain words.
    pub reason: String,
    /// The week it starts in, with a weekly time budget.
    pub week: Option<u32>,
}

/// A gap the pathway does not close, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenGap {
    pub skill_code: String,
    pub skill_name: String,
    /// The level the pathway reaches.
    pub reached: u8,
    pub required: u8,
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<PlanStep>,
    pub open: Vec<OpenGap>,
    pub total_minutes: u32,
}

impl Plan {
    /// The resources in order: what accepting the plan stores, and the
    /// check that it is still the plan the person saw.
    pub fn fingerprint(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.resource.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Levels a resource would develop in one gap: (gap index, from, to).
type Lift = (usize, u8, u8);

/// What a resource would develop now, for each skill with an open gap that
/// it starts at or below.
fn gains_of(r: &Resource, gaps: &[Gap], level: &[u8]) -> Vec<Lift> {
    r.covers
        .iter()
        .filter_map(|c| {
            let gi = gaps.iter().position(|g| g.skill_code == c.skill_code)?;
            let now = level[gi];
            let target = c.to.min(gaps[gi].required);
            (c.from <= now && target > now).then_some((gi, now, target))
        })
        .collect()
}

fn value(gains: &[Lift], gaps: &[Gap]) -> u32 {
    gains
        .iter()
        .map(|(gi, from, to)| u32::from(to - from) * gaps[*gi].weight())
        .sum()
}

/// Does candidate `a` (with its value) beat `b`?
fn better(a: (&Resource, u32), b: (&Resource, u32)) -> bool {
    let (ra, va) = a;
    let (rb, vb) = b;
    let ma = u64::from(ra.minutes.max(MIN_MINUTES));
    let mb = u64::from(rb.minutes.max(MIN_MINUTES));
    // Gap closed per minute, compared without division.
    let per_time = (u64::from(va) * mb).cmp(&(u64::from(vb) * ma));
    per_time
        .then(va.cmp(&vb))
        .then(rb.cost_pence.cmp(&ra.cost_pence))
        .then(rb.minutes.cmp(&ra.minutes))
        .then(rb.code.cmp(&ra.code))
        .is_gt()
}

/// The recommended pathway for these gaps from this catalogue.
pub fn recommend(gaps: &[Gap], catalogue: &[Resource], weekly_minutes: Option<u32>) -> Plan {
    let weekly = weekly_minutes.filter(|w| *w > 0);
    let budget = weekly.map(|w| w.saturating_mul(HORIZON_WEEKS));
    let mut level: Vec<u8> = gaps.iter().map(|g| g.current.unwrap_or(0)).collect();
    // The step that last raised each gap's planned level.
    let mut raised_by: Vec<Option<usize>> = vec![None; gaps.len()];
    let mut used = vec![false; catalogue.len()];
    let mut spent = 0u32;
    let mut steps: Vec<PlanStep> = Vec::new();
    while steps.len() < MAX_STEPS {
        let mut best: Option<(usize, u32, Vec<Lift>)> = None;
        for (ri, r) in catalogue.iter().enumerate() {
            if used[ri] || r.retired {
                continue;
            }
            if budget.is_some_and(|b| spent.saturating_add(r.minutes) > b) {
                continue;
            }
            let gains = gains_of(r, gaps, &level);
            let v = value(&gains, gaps);
            if v == 0 {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(bi, bv, _)| better((r, v), (&catalogue[*bi], *bv)))
            {
                best = Some((ri, v, gains));
            }
        }
        let Some((ri, _, chosen)) = best else {
            break;
        };
        used[ri] = true;
        let resource = catalogue[ri].clone();
        let week = weekly.map(|w| spent / w + 1);
        spent = spent.saturating_add(resource.minutes);
        let mut sentences: Vec<String> = chosen
            .iter()
            .map(|(gi, from, to)| {
                let g = &gaps[*gi];
                let now = match raised_by[*gi] {
                    Some(k) => format!("step {} takes you to {}", k + 1, level_name(*from)),
                    None => g.now_text(),
                };
                let then = if *to >= g.required {
                    format!("This takes you to {}.", level_name(*to))
                } else {
                    format!("This takes you to {}, on the way.", level_name(*to))
                };
                let keen = if g.interested {
                    " You said you would like to develop this skill."
                } else {
                    ""
                };
                format!("{}; {now}. {then}{keen}", g.need_text())
            })
            .collect();
        if chosen.len() > 1 {
            sentences.push(format!(
                "It works on {} of your gaps at once.",
                chosen.len()
            ));
        }
        let gains = chosen
            .iter()
            .map(|(gi, from, to)| {
                level[*gi] = *to;
                raised_by[*gi] = Some(steps.len());
                Gain {
                    skill_code: gaps[*gi].skill_code.clone(),
                    skill_name: gaps[*gi].skill_name.clone(),
                    from: *from,
                    to: *to,
                }
            })
            .collect();
        steps.push(PlanStep {
            resource,
            gains,
            reason: sentences.join(" "),
            week,
        });
    }
    let open = gaps
        .iter()
        .enumerate()
        .filter(|(gi, g)| level[*gi] < g.required)
        .map(|(gi, g)| {
            let now = level[gi];
            let covering: Vec<&Resource> = catalogue
                .iter()
                .filter(|r| !r.retired && r.covers.iter().any(|c| c.skill_code == g.skill_code))
                .collect();
            let ready = covering.iter().any(|r| {
                r.covers
                    .iter()
                    .any(|c| c.skill_code == g.skill_code && c.from <= now && c.to > now)
            });
            let why = if covering.is_empty() {
                format!(
                    "No resource in the catalogue develops {} yet. Ask your manager, or a mentor.",
                    g.skill_name
                )
            } else if !ready {
                format!(
                    "No resource in the catalogue takes {} on from {} yet. Ask your manager, or a mentor.",
                    g.skill_name,
                    level_name(now)
                )
            } else if budget.is_some() {
                "The resources for it do not fit in 12 weeks of your weekly time budget.".into()
            } else {
                format!(
                    "Your pathway is full at {MAX_STEPS} steps. Come back for more when you have done some of them."
                )
            };
            OpenGap {
                skill_code: g.skill_code.clone(),
                skill_name: g.skill_name.clone(),
                reached: now,
                required: g.required,
                why,
            }
        })
        .collect();
    Plan {
        steps,
        open,
        total_minutes: spent,
    }
}

// ---------------------------------------------------------------------------
// Mentors.

/// A colleague with an agreed Expert level in a skill who offers mentoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorCandidate {
    pub person_id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub skill_code: String,
    pub same_unit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorSuggestion {
    pub person_id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub skill_code: String,
    pub skill_name: String,
}

/// Up to three mentors for each gap, in the gaps' order: colleagues in the
/// person's own unit first, then by name; never the person themself.
pub fn suggest_mentors(
    gaps: &[Gap],
    candidates: &[MentorCandidate],
    me: i32,
) -> Vec<MentorSuggestion> {
    let mut out = Vec::new();
    for g in gaps {
        let mut matching: Vec<&MentorCandidate> = candidates
            .iter()
            .filter(|c| c.skill_code == g.skill_code && c.person_id != me)
            .collect();
        matching.sort_by(|a, b| {
            b.same_unit
                .cmp(&a.same_unit)
                .then(a.name.cmp(&b.name))
                .then(a.person_id.cmp(&b.person_id))
        });
        out.extend(
            matching
                .into_iter()
                .take(MENTORS_PER_SKILL)
                .map(|c| MentorSuggestion {
                    person_id: c.person_id,
                    name: c.name.clone(),
                    job_title: c.job_title.clone(),
                    skill_code: g.skill_code.clone(),
                    skill_name: g.skill_name.clone(),
                }),
        );
    }
    out
}

// ---------------------------------------------------------------------------
// Pathways as stored, and what the pages show.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    NotStarted,
    Started,
    Done,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::NotStarted => "todo",
            StepStatus::Started => "started",
            StepStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> StepStatus {
        match s {
            "started" => StepStatus::Started,
            "done" => StepStatus::Done,
            _ => StepStatus::NotStarted,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepStatus::NotStarted => "Not started",
            StepStatus::Started => "Started",
            StepStatus::Done => "Done",
        }
    }
}

/// What a person does to a step of their pathway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepAction {
    Start,
    Done,
    /// Back to not started.
    Reset,
    Remove,
    Up,
    Down,
}

impl StepAction {
    pub fn parse(s: &str) -> Option<StepAction> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "start" => StepAction::Start,
            "done" => StepAction::Done,
            "reset" => StepAction::Reset,
            "remove" => StepAction::Remove,
            "up" => StepAction::Up,
            "down" => StepAction::Down,
            _ => return None,
        })
    }
}

/// One skill a step develops, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSkill {
    pub code: String,
    pub name: String,
    pub from: u8,
    pub to: u8,
}

/// Reads a step's stored "DAT-VIS 2-3; DAT-ANA 1-2" (names filled by the
/// caller); anything unreadable is skipped.
pub fn read_step_skills(text: &str) -> Vec<(String, u8, u8)> {
    text.split(';')
        .filter_map(|item| {
            let (code, range) = item.trim().split_once(' ')?;
            let (a, b) = range.split_once('-')?;
            Some((
                code.to_string(),
                a.trim().parse().ok()?,
                b.trim().parse().ok()?,
            ))
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: i32,
    pub title: String,
    pub provider: String,
    pub url: Option<String>,
    pub format: String,
    pub minutes: u32,
    pub cost_pence: u32,
    pub skills: Vec<StepSkill>,
    pub reason: String,
    pub status: StepStatus,
    pub mentor_id: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathwayView {
    pub aspiration: Option<String>,
    pub steps: Vec<StepView>,
}

impl PathwayView {
    pub fn done(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count()
    }
}

/// The skills a mentoring step is about, by name: "Data analysis and
/// Visualisation".
fn skill_names(skills: &[StepSkill]) -> String {
    skills
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Why a mentoring step is in a pathway, built when shown from who the
/// mentor is now (`mentor`: their name; none once they are erased), so no
/// pathway keeps a copy of a colleague's name.
pub fn mentoring_reason(mentor: Option<&str>, skills: &[StepSkill]) -> String {
    match mentor {
        Some(name) if !skills.is_empty() => format!(
            "{name} has an agreed Expert level in {} and offers mentoring.",
            skill_names(skills)
        ),
        Some(name) => format!("{name} offers mentoring."),
        None => "A former colleague offered mentoring.".into(),
    }
}

/// A mentoring step as a completed pathway's badge lists it: by its
/// skills, never by the mentor (a credential the holder shares should not
/// carry a colleague's name).
pub fn mentoring_topic(skills: &[StepSkill]) -> String {
    if skills.is_empty() {
        "Mentoring".into()
    } else {
        format!("Mentoring in {}", skill_names(skills))
    }
}

/// A job role to aim for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub id: i32,
    pub title: String,
}

/// Everything the "My learning" page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyLearning {
    pub role_title: Option<String>,
    pub aspiration: Option<i32>,
    pub weekly_minutes: Option<u32>,
    pub roles: Vec<RoleChoice>,
    pub gaps: Vec<Gap>,
    pub plan: Plan,
    pub mentors: Vec<MentorSuggestion>,
    pub catalogue_size: usize,
    pub pathway: Option<PathwayView>,
    /// The person offers mentoring.
    pub is_mentor: bool,
    /// Skills where the person's Expert level is agreed (where they could mentor).
    pub expert_in: Vec<String>,
}

/// One person's pathway progress, for their manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRow {
    pub person_id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub steps: usize,
    pub done: usize,
    pub started: usize,
    /// The first step not yet done.
    pub next_step: Option<String>,
    /// "3 November 2026".
    pub last_activity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamLearning {
    pub manager_id: i32,
    pub manager_name: String,
    pub rows: Vec<ProgressRow>,
}

/// Pathway uptake in one org unit (its own members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UptakeRow {
    pub unit_id: i32,
    pub unit_name: String,
    pub staff: u32,
    pub with_pathway: u32,
    pub steps: u32,
    pub done: u32,
    /// People who have done every step of their pathway.
    pub completed: u32,
}

/// The catalogue page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub resources: Vec<Resource>,
    /// The framework's skills, (code, name), for names and the filter.
    pub skills: Vec<(String, String)>,
    pub total: usize,
    pub editable: bool,
}

/// What a catalogue import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skills() -> HashSet<String> {
        ["DAT-VIS", "DAT-ANA", "DIG-FOUND", "LEAD-CHANGE"]
            .into_iter()
            .map(String::from)
            .collect()
    }

    fn res(id: i32, code: &str, minutes: u32, covers: &[(&str, u8, u8)]) -> Resource {
        Resource {
            id,
            code: code.into(),
            title: format!("Resource {code}"),
            provider: "NHS".into(),
            url: Some("https://example.org".into()),
            format: "e-learning".into(),
            minutes,
            cost_pence: 0,
            description: String::new(),
            covers: covers
                .iter()
                .map(|(s, f, t)| Coverage {
                    skill_code: (*s).into(),
                    from: *f,
                    to: *t,
                })
                .collect(),
            retired: false,
        }
    }

    fn gap(code: &str, required: u8, current: Option<u8>, essential: bool) -> Gap {
        Gap {
            skill_code: code.into(),
            skill_name: format!("Skill {code}"),
            required,
            essential,
            current,
            source: Source::Role,
            role_title: "Staff Nurse".into(),
            interested: false,
        }
    }

    #[test]
    fn an_interest_weighs_more_and_the_reason_says_so() {
        // Two desirable gaps of one level; two resources as good as each
        // other for time. Without an interest the first code wins the tie;
        // with one in the second skill, that skill's resource comes first.
        let mut gaps = vec![
            gap("DAT-ANA", 2, Some(1), false),
            gap("DAT-VIS", 2, Some(1), false),
        ];
        let catalogue = vec![
            res(1, "A", 60, &[("DAT-ANA", 1, 2)]),
            res(2, "B", 60, &[("DAT-VIS", 1, 2)]),
        ];
        let plain = recommend(&gaps, &catalogue, None);
        assert_eq!(plain.steps[0].resource.code, "A");
        assert!(!plain.steps[0].reason.contains("would like to develop"));
        mark_interests(&mut gaps, &["DAT-VIS".to_string()].into_iter().collect());
        assert_eq!(gaps[0].skill_code, "DAT-VIS", "interested gaps come first");
        let keen = recommend(&gaps, &catalogue, None);
        assert_eq!(keen.steps[0].resource.code, "B");
        assert!(
            keen.steps[0]
                .reason
                .ends_with("You said you would like to develop this skill."),
            "{}",
            keen.steps[0].reason
        );
        assert!(!keen.steps[1].reason.contains("would like to develop"));
        // An essential need still outranks an interest.
        let mut mixed = vec![
            gap("DAT-VIS", 2, Some(1), false),
            gap("DAT-ANA", 2, Some(1), true),
        ];
        mark_interests(&mut mixed, &["DAT-VIS".to_string()].into_iter().collect());
        assert_eq!(mixed[0].skill_code, "DAT-ANA");
    }

    fn codes(plan: &Plan) -> Vec<&str> {
        plan.steps
            .iter()
            .map(|s| s.resource.code.as_str())
            .collect()
    }

    #[test]
    fn coverage_reads_numbers_and_level_names() {
        let c = parse_coverage("dat-vis 2-3; DAT-ANA Awareness to Working", &skills()).unwrap();
        assert_eq!(coverage_text(&c), "DAT-VIS 2-3; DAT-ANA 1-2");
        for (text, needle) in [
            ("", "at least one skill"),
            ("DAT-XXX 1-2", "no skill DAT-XXX"),
            ("DAT-VIS", "needs a skill code and levels"),
            ("DAT-VIS 3-2", "higher than the first"),
            ("DAT-VIS 2-2", "higher than the first"),
            ("DAT-VIS 1-7", "two numbers from 0 to 4"),
            ("DAT-VIS 1-2; DAT-VIS 2-3", "listed twice"),
        ] {
            let err = parse_coverage(text, &skills()).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn resource_validation_names_every_field() {
        let errs = validate_resource(
            &ResourceInput {
                code: "bad code!".into(),
                title: " ".into(),
                provider: String::new(),
                url: "ftp://x".into(),
                format: "podcast".into(),
                minutes: "half an hour".into(),
                cost: "-3".into(),
                description: "x".repeat(MAX_DESCRIPTION + 1),
                skills: "DAT-VIS 4-1".into(),
            },
            &skills(),
        )
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "code",
            "title",
            "provider",
            "url",
            "format",
            "minutes",
            "cost",
            "skills",
            "description",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let ok = validate_resource(
            &ResourceInput {
                code: "lr-9".into(),
                title: " Data basics ".into(),
                provider: "NHS England".into(),
                url: String::new(),
                format: "On-the-job".into(),
                minutes: "90".into(),
                cost: "\u{a3}12.5".into(),
                description: String::new(),
                skills: "DAT-VIS 1-2".into(),
            },
            &skills(),
        )
        .unwrap();
        assert_eq!(ok.code, "LR-9");
        assert_eq!(ok.title, "Data basics");
        assert_eq!(ok.url, None);
        assert_eq!(ok.cost_pence, 1250);
        assert_eq!(cost_text(ok.cost_pence), "\u{a3}12.50");
        assert_eq!(duration(90), "1 h 30 min");
        // A web resource needs its link.
        let errs = validate_resource(
            &ResourceInput {
                format: "video".into(),
                ..ResourceInput {
                    code: "LR-1".into(),
                    title: "t".into(),
                    provider: "p".into(),
                    minutes: "5".into(),
                    skills: "DAT-VIS 1-2".into(),
                    ..Default::default()
                }
            },
            &skills(),
        )
        .unwrap_err();
        assert_eq!(errs[0].field, "url");
    }

    #[test]
    fn cost_parsing() {
        for (s, p) in [
            ("", Some(0)),
            ("Free", Some(0)),
            ("0", Some(0)),
            ("12", Some(1200)),
            ("12.5", Some(1250)),
            ("12.05", Some(1205)),
            ("\u{a3}3.99", Some(399)),
            ("1.234", None),
            ("abc", None),
            ("-1", None),
        ] {
            assert_eq!(parse_cost(s), p, "{s:?}");
        }
        // What the form and the file write reads back the same.
        for pence in [0, 5, 399, 1205, 1250, 120_000] {
            assert_eq!(parse_cost(&pounds(pence)), Some(pence), "{pence}");
        }
        assert_eq!(
            (cost_text(0), cost_text(1250)),
            ("Free".into(), "\u{a3}12.50".into())
        );
    }

    #[test]
    fn gaps_take_the_higher_need_and_put_essential_first() {
        let fw: Vec<(String, String)> = ["DIG-FOUND", "DAT-ANA", "DAT-VIS", "LEAD-CHANGE"]
            .iter()
            .map(|c| (c.to_string(), format!("Skill {c}")))
            .collect();
        let req = |l, e| Requirement {
            level: l,
            essential: e,
        };
        let role: HashMap<String, Requirement> = [
            ("DIG-FOUND".to_string(), req(2, true)),
            ("DAT-ANA".to_string(), req(2, false)),
            ("DAT-VIS".to_string(), req(3, true)),
        ]
        .into();
        let aim: HashMap<String, Requirement> = [
            ("DAT-ANA".to_string(), req(4, true)),
            ("DAT-VIS".to_string(), req(2, false)),
            ("LEAD-CHANGE".to_string(), req(1, false)),
        ]
        .into();
        let levels: HashMap<String, u8> =
            [("DIG-FOUND".to_string(), 2), ("DAT-VIS".to_string(), 1)].into();
        let g = gaps(
            &fw,
            &levels,
            Some(RoleNeeds {
                title: "Analyst",
                needs: &role,
            }),
            Some(RoleNeeds {
                title: "Head of Data",
                needs: &aim,
            }),
        );
        let summary: Vec<(&str, u8, bool, Source)> = g
            .iter()
            .map(|g| (g.skill_code.as_str(), g.size(), g.essential, g.source))
            .collect();
        assert_eq!(
            summary,
            vec![
                // Essential, largest gap first: DAT-ANA 0 -> 4 (the aim).
                ("DAT-ANA", 4, true, Source::Aspiration),
                ("DAT-VIS", 2, true, Source::Role),
                ("LEAD-CHANGE", 1, false, Source::Aspiration),
            ]
        );
        // DIG-FOUND is met, so it is no gap.
        assert!(
            g[0].need_text()
                .contains("Head of Data, the role you are aiming for,")
        );
        assert_eq!(g[0].now_text(), "you have not assessed it yet");
        assert!(gaps(&fw, &levels, None, None).is_empty());
    }

    #[test]
    fn ranking_table() {
        struct Case {
            name: &'static str,
            gaps: Vec<Gap>,
            catalogue: Vec<Resource>,
            weekly: Option<u32>,
            expect: Vec<&'static str>,
            open: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "empty catalogue: every gap open",
                gaps: vec![gap("DAT-VIS", 3, Some(1), true)],
                catalogue: vec![],
                weekly: None,
                expect: vec![],
                open: vec!["DAT-VIS"],
            },
            Case {
                name: "no gaps: nothing to do",
                gaps: vec![],
                catalogue: vec![res(1, "A", 60, &[("DAT-VIS", 1, 2)])],
                weekly: None,
                expect: vec![],
                open: vec![],
            },
            Case {
                name: "level order: Working before Practitioner",
                gaps: vec![gap("DAT-VIS", 3, Some(1), true)],
                // The 2-3 resource is shorter, but comes second.
                catalogue: vec![
                    res(1, "B-PRAC", 30, &[("DAT-VIS", 2, 3)]),
                    res(2, "A-WORK", 120, &[("DAT-VIS", 1, 2)]),
                ],
                weekly: None,
                expect: vec!["A-WORK", "B-PRAC"],
                open: vec![],
            },
            Case {
                name: "a resource beyond the person's level is not usable",
                gaps: vec![gap("DAT-VIS", 3, Some(0), true)],
                catalogue: vec![res(1, "PRAC", 30, &[("DAT-VIS", 2, 3)])],
                weekly: None,
                expect: vec![],
                open: vec!["DAT-VIS"],
            },
            Case {
                name: "covering several gaps wins over one at the same time",
                gaps: vec![
                    gap("DAT-VIS", 2, Some(1), true),
                    gap("DAT-ANA", 2, Some(1), true),
                ],
                catalogue: vec![
                    res(1, "A-VIS", 60, &[("DAT-VIS", 1, 2)]),
                    res(2, "B-BOTH", 60, &[("DAT-VIS", 1, 2), ("DAT-ANA", 1, 2)]),
                    res(3, "C-ANA", 60, &[("DAT-ANA", 1, 2)]),
                ],
                weekly: None,
                // After B-BOTH nothing is left to close.
                expect: vec!["B-BOTH"],
                open: vec![],
            },
            Case {
                name: "essential before desirable at the same cost",
                gaps: vec![
                    gap("DAT-VIS", 2, Some(1), false),
                    gap("DAT-ANA", 2, Some(1), true),
                ],
                catalogue: vec![
                    res(1, "A-VIS", 60, &[("DAT-VIS", 1, 2)]),
                    res(2, "B-ANA", 60, &[("DAT-ANA", 1, 2)]),
                ],
                weekly: None,
                expect: vec!["B-ANA", "A-VIS"],
                open: vec![],
            },
            Case {
                name: "ties: free first, then shorter, then code",
                gaps: vec![gap("DAT-VIS", 2, Some(1), true)],
                catalogue: vec![
                    Resource {
                        cost_pence: 500,
                        ..res(1, "A-PAID", 10, &[("DAT-VIS", 1, 2)])
                    },
                    // 10 and 15 minutes both count as 15: the shorter wins.
                    res(2, "C-FREE-15", 15, &[("DAT-VIS", 1, 2)]),
                    res(3, "B-FREE-10", 10, &[("DAT-VIS", 1, 2)]),
                ],
                weekly: None,
                expect: vec!["B-FREE-10"],
                open: vec![],
            },
            Case {
                name: "equal in every way: catalogue code decides",
                gaps: vec![gap("DAT-VIS", 2, Some(1), true)],
                catalogue: vec![
                    res(2, "LR-2", 30, &[("DAT-VIS", 1, 2)]),
                    res(1, "LR-1", 30, &[("DAT-VIS", 1, 2)]),
                ],
                weekly: None,
                expect: vec!["LR-1"],
                open: vec![],
            },
            Case {
                name: "time budget leaves out what does not fit in 12 weeks",
                gaps: vec![
                    gap("DAT-VIS", 2, Some(1), true),
                    gap("DAT-ANA", 2, Some(1), true),
                ],
                catalogue: vec![
                    res(1, "LONG", 800, &[("DAT-VIS", 1, 2)]),
                    res(2, "SHORT", 300, &[("DAT-ANA", 1, 2)]),
                ],
                // 30 min a week: 360 minutes in 12 weeks.
                weekly: Some(30),
                expect: vec!["SHORT"],
                open: vec!["DAT-VIS"],
            },
            Case {
                name: "retired resources are never recommended",
                gaps: vec![gap("DAT-VIS", 2, Some(1), true)],
                catalogue: vec![Resource {
                    retired: true,
                    ..res(1, "OLD", 30, &[("DAT-VIS", 1, 2)])
                }],
                weekly: None,
                expect: vec![],
                open: vec!["DAT-VIS"],
            },
        ];
        for case in cases {
            let plan = recommend(&case.gaps, &case.catalogue, case.weekly);
            assert_eq!(codes(&plan), case.expect, "{}", case.name);
            let open: Vec<&str> = plan.open.iter().map(|o| o.skill_code.as_str()).collect();
            assert_eq!(open, case.open, "{}", case.name);
        }
    }

    #[test]
    fn reasons_are_plain_words() {
        let gaps = vec![gap("DAT-VIS", 3, Some(1), true)];
        let catalogue = vec![
            res(1, "A", 60, &[("DAT-VIS", 1, 2)]),
            res(2, "B", 60, &[("DAT-VIS", 2, 3)]),
        ];
        let plan = recommend(&gaps, &catalogue, Some(60));
        assert_eq!(
            plan.steps[0].reason,
            "Your role (Staff Nurse) needs Skill DAT-VIS at Practitioner (essential); you are at Awareness. This takes you to Working, on the way."
        );
        assert_eq!(
            plan.steps[1].reason,
            "Your role (Staff Nurse) needs Skill DAT-VIS at Practitioner (essential); step 1 takes you to Working. This takes you to Practitioner."
        );
        assert_eq!(plan.steps[0].week, Some(1));
        assert_eq!(plan.steps[1].week, Some(2));
        assert_eq!(plan.total_minutes, 120);
        assert_eq!(plan.fingerprint(), "1,2");
        assert_eq!(gains_text(&plan.steps[1].gains), "DAT-VIS 2-3");
        // A resource reaching past the need only counts up to the need.
        let plan = recommend(
            &[gap("DAT-ANA", 2, None, false)],
            &[res(3, "C", 60, &[("DAT-ANA", 0, 4)])],
            None,
        );
        assert_eq!(plan.steps[0].gains[0].to, 2);
        assert!(
            plan.steps[0]
                .reason
                .contains("you have not assessed it yet")
        );
        assert!(plan.steps[0].reason.contains("(desirable)"));
        let two = recommend(
            &[
                gap("DAT-ANA", 2, Some(1), true),
                gap("DAT-VIS", 2, Some(1), true),
            ],
            &[res(4, "D", 60, &[("DAT-ANA", 1, 2), ("DAT-VIS", 1, 2)])],
            None,
        );
        assert!(
            two.steps[0]
                .reason
                .ends_with("It works on 2 of your gaps at once.")
        );
    }

    #[test]
    fn a_full_pathway_says_so() {
        let gaps: Vec<Gap> = (0..10)
            .map(|i| gap(&format!("S{i}"), 1, Some(0), true))
            .collect();
        let catalogue: Vec<Resource> = (0..10)
            .map(|i| res(i, &format!("R{i}"), 30, &[(&format!("S{i}"), 0, 1)]))
            .collect();
        let plan = recommend(&gaps, &catalogue, None);
        assert_eq!(plan.steps.len(), MAX_STEPS);
        assert_eq!(plan.open.len(), 2);
        assert!(plan.open[0].why.contains("full at 8 steps"));
    }

    #[test]
    fn mentors_exclude_self_and_prefer_own_unit() {
        let gaps = vec![
            gap("DAT-VIS", 3, Some(1), true),
            gap("DAT-ANA", 3, Some(1), true),
        ];
        let cand = |id, name: &str, skill: &str, same| MentorCandidate {
            person_id: id,
            name: name.into(),
            job_title: None,
            skill_code: skill.into(),
            same_unit: same,
        };
        let candidates = vec![
            cand(1, "Zara", "DAT-VIS", true),
            cand(2, "Adam", "DAT-VIS", false),
            cand(3, "Me", "DAT-VIS", true),
            cand(4, "Bea", "DAT-VIS", false),
            cand(5, "Cal", "DAT-VIS", false),
            cand(6, "Dee", "LEAD-CHANGE", true),
        ];
        let got: Vec<(i32, &str)> = suggest_mentors(&gaps, &candidates, 3)
            .iter()
            .map(|m| (m.person_id, ""))
            .map(|(id, _)| (id, if id == 1 { "own unit" } else { "other" }))
            .collect();
        assert_eq!(got, vec![(1, "own unit"), (2, "other"), (4, "other")]);
    }

    #[test]
    fn step_skills_and_actions_read_back() {
        assert_eq!(
            read_step_skills("DAT-VIS 2-3; DAT-ANA 1-2; junk"),
            vec![("DAT-VIS".to_string(), 2, 3), ("DAT-ANA".to_string(), 1, 2)]
        );
        assert_eq!(StepAction::parse(" Done "), Some(StepAction::Done));
        assert_eq!(StepAction::parse("delete"), None);
        for s in [
            StepStatus::NotStarted,
            StepStatus::Started,
            StepStatus::Done,
        ] {
            assert_eq!(StepStatus::parse(s.as_str()), s);
        }
    }

    #[test]
    fn mentoring_is_told_from_the_mentor_as_they_are_now() {
        let skills = vec![
            StepSkill {
                code: "DAT-ANA".into(),
                name: "Data analysis".into(),
                from: 1,
                to: 3,
            },
            StepSkill {
                code: "DAT-VIS".into(),
                name: "Visualisation".into(),
                from: 2,
                to: 3,
            },
        ];
        assert_eq!(
            mentoring_reason(Some("Jo Bloggs"), &skills[..1]),
            "Jo Bloggs has an agreed Expert level in Data analysis and offers mentoring."
        );
        assert_eq!(
            mentoring_reason(None, &skills),
            "A former colleague offered mentoring."
        );
        assert_eq!(
            mentoring_topic(&skills),
            "Mentoring in Data analysis and Visualisation"
        );
        assert_eq!(mentoring_topic(&[]), "Mentoring");
    }
}
