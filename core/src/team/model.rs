//! The team heatmap and the organisation view as data, and their rules:
//! gap classes, sorting and filtering, aggregation, small-number
//! suppression, the integrative-leader pipeline and digital inclusion. All
//! pure, so the rules are unit-tested without a database.

use serde::{Deserialize, Serialize};

use crate::framework::model::level_name;

/// Aggregates over fewer people than this are hidden from anyone but HR and
/// administrators, so no one can read an individual's levels from a report.
pub const MIN_GROUP: u32 = 5;
/// The level the integrative-leader pipeline asks for in every domain.
pub const LEADER_LEVEL: u8 = 3;
/// Below this on a foundation skill, a person needs digital support.
pub const WORKING: u8 = 2;

/// "Pr" for Practitioner: short enough for a heatmap cell.
pub fn level_abbr(level: u8) -> &'static str {
    match level {
        0 => "No",
        1 => "Aw",
        2 => "Wo",
        3 => "Pr",
        4 => "Ex",
        _ => "?",
    }
}

/// The level that counts in reports: the agreed level once agreed,
/// otherwise the person's own (awaiting agreement).
pub fn current_level(self_level: u8, agreed_level: Option<u8>, agreed: bool) -> u8 {
    match (agreed, agreed_level) {
        (true, Some(l)) => l,
        _ => self_level,
    }
}

/// How a person's level stands against their role's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gap {
    Meets,
    OneShort,
    TwoOrMoreShort,
    NotRequired,
}

impl Gap {
    pub fn classify(required: Option<u8>, level: Option<u8>) -> Gap {
        match required {
            None | Some(0) => Gap::NotRequired,
            Some(r) => match r.saturating_sub(level.unwrap_or(0)) {
                0 => Gap::Meets,
                1 => Gap::OneShort,
                _ => Gap::TwoOrMoreShort,
            },
        }
    }

    /// The CSS class; the meaning is always carried by text too.
    pub fn class(self) -> &'static str {
        match self {
            Gap::Meets => "skillmap-gap--meets",
            Gap::OneShort => "skillmap-gap--one",
            Gap::TwoOrMoreShort => "skillmap-gap--two",
            Gap::NotRequired => "skillmap-gap--none",
        }
    }

    /// The symbol shown in the cell beside the level.
    pub fn symbol(self) -> &'static str {
        match self {
            Gap::Meets => "\u{2713}",
            Gap::OneShort => "\u{25bd}",
            Gap::TwoOrMoreShort => "\u{25bc}",
            Gap::NotRequired => "",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gap::Meets => "meets or exceeds the requirement",
            Gap::OneShort => "one level short",
            Gap::TwoOrMoreShort => "two or more levels short",
            Gap::NotRequired => "not required for the role",
        }
    }
}

/// One person's standing in one skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Cell {
    /// None when not assessed.
    pub level: Option<u8>,
    /// True once the manager agreed the level.
    pub agreed: bool,
    /// The role's required level, if the role requires the skill.
    pub required: Option<u8>,
    pub essential: bool,
}

impl Cell {
    pub fn gap(&self) -> Gap {
        Gap::classify(self.required, self.level)
    }

    /// Levels short of the requirement (0 when met or not required).
    pub fn shortfall(&self) -> u8 {
        self.required
            .unwrap_or(0)
            .saturating_sub(self.level.unwrap_or(0))
    }

    /// The cell's visible text: "Pr*" for a self-assessed Practitioner level
    /// not yet agreed, "-" when not assessed.
    pub fn text(&self) -> String {
        match self.level {
            None => "\u{2013}".into(),
            Some(l) if self.agreed => level_abbr(l).into(),
            Some(l) => format!("{}*", level_abbr(l)),
        }
    }

    /// The cell's classes: its gap, and a dashed border when not agreed.
    /// Written out in full so a page of cells allocates nothing; the test
    /// `cell_classes_are_the_gap_classes` keeps them equal to `Gap::class`.
    pub fn class(&self) -> &'static str {
        let unagreed = self.level.is_some() && !self.agreed;
        match (self.gap(), unagreed) {
            (Gap::Meets, false) => "skillmap-cell skillmap-gap--meets",
            (Gap::OneShort, false) => "skillmap-cell skillmap-gap--one",
            (Gap::TwoOrMoreShort, false) => "skillmap-cell skillmap-gap--two",
            (Gap::NotRequired, false) => "skillmap-cell skillmap-gap--none",
            (Gap::Meets, true) => "skillmap-cell skillmap-gap--meets skillmap-cell--unagreed",
            (Gap::OneShort, true) => "skillmap-cell skillmap-gap--one skillmap-cell--unagreed",
            (Gap::TwoOrMoreShort, true) => {
                "skillmap-cell skillmap-gap--two skillmap-cell--unagreed"
            }
            (Gap::NotRequired, true) => "skillmap-cell skillmap-gap--none skillmap-cell--unagreed",
        }
    }

    /// What a screen reader says after the row and column headers.
    pub fn spoken(&self) -> String {
        let level = match self.level {
            None => "not assessed".to_string(),
            Some(l) if self.agreed => format!("{}, agreed", level_name(l)),
            Some(l) => format!("{}, self-assessed, not yet agreed", level_name(l)),
        };
        match self.required {
            Some(r) if r > 0 => format!(
                "{level}; {} needs {}: {}",
                if self.essential {
                    "role essentially"
                } else {
                    "role desirably"
                },
                level_name(r),
                self.gap().label()
            ),
            _ => format!("{level}; not required"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatSkill {
    pub code: String,
    pub name: String,
    pub domain_code: String,
    pub domain_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatRow {
    pub person_id: i32,
    pub name: String,
    pub role_code: Option<String>,
    pub role_title: Option<String>,
    /// One per skill, in the order of `Heatmap::skills`.
    pub cells: Vec<Cell>,
}

impl HeatRow {
    /// The sum of shortfalls over the skills shown.
    pub fn total_gap(&self) -> u32 {
        self.cells.iter().map(|c| u32::from(c.shortfall())).sum()
    }
}

/// Whose team, and how to show it. Travels in the page's query string, so
/// every view of the heatmap has a link and works without JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HeatQuery {
    /// The manager whose team is shown; the viewer when empty.
    pub manager: Option<i32>,
    /// The whole line-management subtree, not just direct reports.
    pub all: bool,
    /// "name" (default), "gap", or a skill code.
    pub sort: Option<String>,
    /// A domain code.
    pub domain: Option<String>,
    /// A job role code.
    pub role: Option<String>,
    /// Only skills that someone shown is required to have.
    pub required: bool,
    /// Only people who would like to develop this skill (a code).
    pub interest: Option<String>,
    /// Which page of people (the first when empty).
    pub page: Option<usize>,
}

impl HeatQuery {
    /// The query string for this view with `change` applied.
    pub fn href(&self, base: &str, change: impl FnOnce(&mut HeatQuery)) -> String {
        let mut q = self.clone();
        change(&mut q);
        let mut parts = Vec::new();
        if let Some(m) = q.manager {
            parts.push(format!("manager={m}"));
        }
        if q.all {
            parts.push("all=true".into());
        }
        for (key, value) in [
            ("sort", &q.sort),
            ("domain", &q.domain),
            ("role", &q.role),
            ("interest", &q.interest),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{key}={}", encode(v)));
            }
        }
        if q.required {
            parts.push("required=true".into());
        }
        if let Some(page) = q.page.filter(|p| *p > 1) {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value (codes are plain, but never trust that).
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// A manager's team against the framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heatmap {
    pub manager_id: i32,
    pub manager_name: String,
    pub query: HeatQuery,
    pub skills: Vec<HeatSkill>,
    pub rows: Vec<HeatRow>,
    /// All domains and the job roles in the team, for the filters.
    pub domains: Vec<Choice>,
    pub roles: Vec<Choice>,
    /// People in the team before the role filter.
    pub team_size: usize,
    /// Which of the people matching the filters `rows` holds.
    #[serde(default)]
    pub paging: HeatPaging,
    /// The people who would like to develop the skill of the query's
    /// `interest` filter, when it has one (read by `shaped`).
    #[serde(skip)]
    pub interested: Option<std::collections::HashSet<i32>>,
}

/// People shown on one page of the heatmap: enough to take in at a glance
/// and to render quickly; the CSV always has everyone.
pub const HEAT_PAGE_SIZE: usize = 50;

/// Where a heatmap's rows sit among everyone matching its filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HeatPaging {
    /// People matching the filters, on every page.
    pub matching: usize,
    /// The page shown, from 1, of `pages`.
    pub page: usize,
    pub pages: usize,
    /// How many matching people come before this page.
    pub before: usize,
    /// Per skill shown, over everyone matching (not only this page).
    pub summary: Vec<SkillSummary>,
}

/// Per skill shown: how many people meet the requirement, of those whose
/// role requires it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillSummary {
    pub meeting: u32,
    pub required: u32,
}

impl Heatmap {
    /// Applies the query's filters and sort to the full matrix.
    pub fn shaped(mut self, query: HeatQuery) -> Heatmap {
        self.team_size = self.rows.len();
        if let Some(role) = query.role.as_deref().filter(|r| !r.is_empty()) {
            self.rows.retain(|r| r.role_code.as_deref() == Some(role));
        }
        if query.interest.as_deref().is_some_and(|i| !i.is_empty()) {
            let keep = self.interested.take().unwrap_or_default();
            self.rows.retain(|r| keep.contains(&r.person_id));
        }
        let keep: Vec<bool> = self
            .skills
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let in_domain = query
                    .domain
                    .as_deref()
                    .filter(|d| !d.is_empty())
                    .is_none_or(|d| s.domain_code == d);
                let required = !query.required
                    || self
                        .rows
                        .iter()
                        .any(|r| r.cells[i].required.is_some_and(|l| l > 0));
                in_domain && required
            })
            .collect();
        fn kept<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
            v.into_iter()
                .zip(keep)
                .filter_map(|(x, k)| k.then_some(x))
                .collect()
        }
        self.skills = kept(self.skills, &keep);
        for row in &mut self.rows {
            row.cells = kept(std::mem::take(&mut row.cells), &keep);
        }
        // Each name is lower-cased once, not at every comparison (that was
        // 9,000 allocations for a team of 500).
        let name = |r: &HeatRow| (r.name.to_lowercase(), r.person_id);
        match query.sort.as_deref() {
            Some("gap") => self
                .rows
                .sort_by_cached_key(|r| (std::cmp::Reverse(r.total_gap()), name(r))),
            Some(code) if code != "name" => {
                match self.skills.iter().position(|s| s.code == code) {
                    // Highest level first; not assessed last.
                    Some(i) => self.rows.sort_by_cached_key(|r| {
                        let level = r.cells[i].level.map(i16::from).unwrap_or(-1);
                        (std::cmp::Reverse(level), name(r))
                    }),
                    None => self.rows.sort_by_cached_key(name),
                }
            }
            _ => self.rows.sort_by_cached_key(name),
        }
        self.paging = HeatPaging {
            matching: self.rows.len(),
            page: 1,
            pages: 1,
            before: 0,
            summary: self.summary(),
        };
        self.query = query;
        self
    }

    /// Keeps only the query's page of `size` people (the last page when it
    /// asks for one past the end); the counts and the summary stay those of
    /// everyone matching.
    pub fn one_page(mut self, size: usize) -> Heatmap {
        let size = size.max(1);
        let pages = self.rows.len().div_ceil(size).max(1);
        let page = self.query.page.unwrap_or(1).clamp(1, pages);
        let before = (page - 1) * size;
        self.rows = self.rows.into_iter().skip(before).take(size).collect();
        self.paging.page = page;
        self.paging.pages = pages;
        self.paging.before = before;
        self
    }

    pub fn summary(&self) -> Vec<SkillSummary> {
        (0..self.skills.len())
            .map(|i| {
                let mut s = SkillSummary {
                    meeting: 0,
                    required: 0,
                };
                for row in &self.rows {
                    let c = &row.cells[i];
                    if c.required.is_some_and(|l| l > 0) {
                        s.required += 1;
                        if c.gap() == Gap::Meets {
                            s.meeting += 1;
                        }
                    }
                }
                s
            })
            .collect()
    }

    #[cfg(feature = "server")]
    /// The matrix as CSV: a row per person, a column per skill with the
    /// level, the requirement and the gap in words. Names pass through the
    /// formula-injection escape.
    pub fn to_csv(&self) -> String {
        let mut out = crate::kernel::csv::SafeCsv::default();
        let mut header = vec!["Name".to_string(), "Job role".into(), "Total gap".into()];
        for s in &self.skills {
            header.push(format!("{} ({})", s.name, s.code));
            header.push(format!("{} required", s.code));
            header.push(format!("{} gap", s.code));
        }
        out.row(&header);
        for row in &self.rows {
            let mut record = vec![
                row.name.clone(),
                row.role_title.clone().unwrap_or_default(),
                row.total_gap().to_string(),
            ];
            for c in &row.cells {
                record.push(match c.level {
                    None => String::new(),
                    Some(l) if c.agreed => format!("{l} {} (agreed)", level_name(l)),
                    Some(l) => format!("{l} {} (self-assessed)", level_name(l)),
                });
                record.push(
                    c.required
                        .filter(|l| *l > 0)
                        .map(|l| {
                            format!(
                                "{l} {}{}",
                                level_name(l),
                                if c.essential { "" } else { " (desirable)" }
                            )
                        })
                        .unwrap_or_default(),
                );
                record.push(c.gap().label().to_string());
            }
            out.row(&record);
        }
        let summary = self.summary();
        let mut record = vec![
            "Meeting the requirement".to_string(),
            String::new(),
            String::new(),
        ];
        for s in summary {
            record.push(format!("{} of {}", s.meeting, s.required));
            record.push(String::new());
            record.push(String::new());
        }
        out.row(&record);
        out.finish()
    }
}

// ---------------------------------------------------------------------------
// Organisation view

/// Counts for one skill over a set of people: the assessed by level, and the
/// people whose role requires it, of whom `meeting` meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SkillStat {
    pub levels: [u32; 5],
    pub agreed: u32,
    pub required: u32,
    pub meeting: u32,
}

impl SkillStat {
    pub fn assessed(&self) -> u32 {
        self.levels.iter().sum()
    }

    pub fn add(&mut self, other: &SkillStat) {
        for (a, b) in self.levels.iter_mut().zip(other.levels) {
            *a += b;
        }
        self.agreed += other.agreed;
        self.required += other.required;
        self.meeting += other.meeting;
    }

    /// The median level of those assessed (the lower middle for an even
    /// count), from the level counts.
    pub fn median(&self) -> Option<u8> {
        let n = self.assessed();
        if n == 0 {
            return None;
        }
        let middle = n.div_ceil(2);
        let mut seen = 0;
        for (level, count) in self.levels.iter().enumerate() {
            seen += count;
            if seen >= middle {
                return Some(level as u8);
            }
        }
        None
    }
}

/// A share, possibly hidden. `of` and `count` are 0 when suppressed, so a
/// hidden figure never reaches the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Share {
    pub count: u32,
    pub of: u32,
    pub suppressed: bool,
}

impl Share {
    /// `count` of `of`, suppressed when `group` (the people the figure is
    /// about) is between 1 and MIN_GROUP - 1 and the viewer does not see all.
    pub fn new(count: u32, of: u32, group: u32, sees_all: bool) -> Share {
        if suppress(group, sees_all) {
            Share::hidden()
        } else {
            Share {
                count,
                of,
                suppressed: false,
            }
        }
    }

    pub fn hidden() -> Share {
        Share {
            count: 0,
            of: 0,
            suppressed: true,
        }
    }

    pub fn percent(&self) -> Option<u32> {
        (!self.suppressed && self.of > 0)
            .then(|| ((f64::from(self.count) * 100.0 / f64::from(self.of)).round()) as u32)
    }

    /// "62% (31 of 50)", "fewer than 5", or "none required".
    pub fn text(&self) -> String {
        match self.percent() {
            _ if self.suppressed => format!("fewer than {MIN_GROUP}"),
            Some(p) => format!("{p}% ({} of {})", self.count, self.of),
            None => "\u{2013}".into(),
        }
    }
}

/// True when a figure about `n` people must be hidden from this viewer.
pub fn suppress(n: u32, sees_all: bool) -> bool {
    !sees_all && n > 0 && n < MIN_GROUP
}

/// Secondary suppression. A figure hidden because its group is small
/// (`suppress`) could still be worked out by subtraction: a unit of 19
/// shows two bands of 9 and 6, so the hidden bands hold 4, and every
/// figure about them follows from the unit's less the shown ones. So when
/// the parts a reader cannot see hold, together, between 1 and
/// MIN_GROUP - 1 people (the total less the parts shown), the smallest
/// part still shown is hidden too, and so on, until what the hidden parts
/// hold is none or at least MIN_GROUP (as NHS statistical publications
/// do).
///
/// `total` is what the parts add up to as a reader can know it: a total
/// shown, or the same people counted another way. It may exceed the sum of
/// `sizes` (people counted in no part: a unit's own staff where only its
/// branches are rows); they count as hidden. `hidden` comes in with the
/// parts already hidden and goes out with those hidden as well.
pub fn suppress_secondary(total: u32, sizes: &[u32], hidden: &mut [bool]) {
    debug_assert_eq!(sizes.len(), hidden.len());
    loop {
        let shown: u32 = sizes
            .iter()
            .zip(hidden.iter())
            .filter(|(_, h)| !**h)
            .map(|(s, _)| *s)
            .sum();
        let recoverable = total.saturating_sub(shown);
        if recoverable == 0 || recoverable >= MIN_GROUP {
            return;
        }
        // The smallest part still shown (the first of equals, so the
        // choice is the same every time).
        let next = sizes
            .iter()
            .zip(hidden.iter())
            .enumerate()
            .filter(|(_, (s, h))| !**h && **s > 0)
            .min_by_key(|(i, (s, _))| (**s, *i))
            .map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            // Nothing left to hide: everything is hidden but the total,
            // which is itself at least MIN_GROUP or hidden by its size.
            None => return,
        }
    }
}

/// One unit and one skill as a report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatCell {
    /// 0 when suppressed.
    pub assessed: u32,
    pub meeting: Share,
    pub median: Option<u8>,
    pub suppressed: bool,
}

impl StatCell {
    /// A cell withheld whole.
    pub fn hidden() -> StatCell {
        StatCell {
            assessed: 0,
            meeting: Share::hidden(),
            median: None,
            suppressed: true,
        }
    }

    pub fn new(stat: &SkillStat, sees_all: bool) -> StatCell {
        let assessed = stat.assessed();
        // Hidden when either group it describes is small.
        let suppressed = suppress(assessed, sees_all) || suppress(stat.required, sees_all);
        StatCell {
            assessed: if suppressed { 0 } else { assessed },
            meeting: if suppressed {
                Share::hidden()
            } else {
                Share::new(stat.meeting, stat.required, stat.required, sees_all)
            },
            median: if suppressed { None } else { stat.median() },
            suppressed,
        }
    }
}

/// Where a person stands in the integrative-leader pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Agreed Practitioner or above in at least one skill in every domain.
    Leader,
    /// One domain short of that.
    Near,
    Other,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Leader => "leader",
            Stage::Near => "near",
            Stage::Other => "other",
        }
    }
}

/// Which of the pipeline's groups a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PipelineGroup {
    Leaders,
    Near,
    /// One domain short, and interested in developing that domain.
    Interested,
}

impl PipelineGroup {
    pub fn parse(s: &str) -> Option<PipelineGroup> {
        match s {
            "leaders" => Some(PipelineGroup::Leaders),
            "near" => Some(PipelineGroup::Near),
            "interested" => Some(PipelineGroup::Interested),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PipelineGroup::Leaders => "leaders",
            PipelineGroup::Near => "near",
            PipelineGroup::Interested => "interested",
        }
    }

    /// "Integrative leaders", for headings.
    pub fn title(self) -> &'static str {
        match self {
            PipelineGroup::Leaders => "Integrative leaders",
            PipelineGroup::Near => "One domain short",
            PipelineGroup::Interested => "Interested, one domain short",
        }
    }
}

/// At most this many people are listed behind one pipeline figure.
pub const PIPELINE_PEOPLE_MAX: usize = 1000;

/// One person behind a pipeline figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelinePerson {
    pub id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub team: String,
    /// Domains with an agreed Practitioner level or above.
    pub lead_domains: u32,
    /// Interested in developing a domain they do not lead yet.
    pub interested: bool,
}

/// The people behind one pipeline figure of a unit (and its subtree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelinePeople {
    pub unit: UnitRef,
    pub group: PipelineGroup,
    pub domains: u32,
    pub people: Vec<PipelinePerson>,
}

/// `lead_domains`: domains with an agreed Practitioner level or above;
/// `domains`: the number of domains in the framework.
pub fn stage(lead_domains: u32, domains: u32) -> Stage {
    if domains == 0 {
        Stage::Other
    } else if lead_domains >= domains {
        Stage::Leader
    } else if lead_domains + 1 == domains {
        Stage::Near
    } else {
        Stage::Other
    }
}

/// A person's standing on the framework's foundation skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Digital {
    /// Below Working on at least one foundation skill they assessed.
    Below,
    /// Working or above on every foundation skill they assessed.
    Working,
    /// No foundation skill assessed yet.
    Unassessed,
}

impl Digital {
    /// From the lowest current level over the foundation skills assessed.
    pub fn from_lowest(lowest: Option<u8>) -> Digital {
        match lowest {
            None => Digital::Unassessed,
            Some(l) if l < WORKING => Digital::Below,
            Some(_) => Digital::Working,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Digital::Below => "below",
            Digital::Working => "working",
            Digital::Unassessed => "unassessed",
        }
    }

    pub fn parse(s: &str) -> Digital {
        match s {
            "below" => Digital::Below,
            "working" => Digital::Working,
            _ => Digital::Unassessed,
        }
    }
}

/// NHS staff groups that are clinical (the rest are not).
pub fn is_clinical(staff_group: &str) -> bool {
    let g = staff_group.to_ascii_lowercase();
    [
        "nursing",
        "midwi",
        "medical",
        "dental",
        "allied health",
        "additional clinical",
        "scientist",
        "scientific",
    ]
    .iter()
    .any(|k| g.contains(k))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// One unit (with its subtree) in the organisation view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    pub unit: UnitRef,
    /// 0 when hidden.
    pub people: u32,
    /// True when the head count is hidden (fewer than MIN_GROUP).
    pub hidden: bool,
    /// True when it has units below it to drill into.
    pub has_children: bool,
    /// One per skill of `OrgReport::skills`.
    pub cells: Vec<StatCell>,
}

/// The pipeline or inclusion figures for one group of people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    pub label: String,
    /// 0 when suppressed.
    pub people: u32,
    pub first: Share,
    pub second: Share,
    /// The pipeline's third figure: one domain short and interested in
    /// developing a skill of that domain (a part of `second`).
    #[serde(default)]
    pub third: Option<Share>,
    /// The unit (with its subtree) behind the row, for drilling down to
    /// the people in the pipeline.
    #[serde(default)]
    pub unit: Option<i32>,
    /// Marks the groups where support is most needed.
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// "2026-11".
    pub month: String,
    /// One per domain of `OrgReport::domains` (an organisation's own too).
    pub shares: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgReport {
    pub unit: UnitRef,
    /// From the top of the organisation down to `unit`'s parent.
    pub path: Vec<UnitRef>,
    pub sees_all: bool,
    pub domains: Vec<Choice>,
    pub domain: String,
    pub skills: Vec<HeatSkill>,
    /// The unit itself (everyone in its subtree), then each unit below it.
    pub total: UnitRow,
    pub children: Vec<UnitRow>,
    /// Integrative leaders (first) and near (second), by unit and by staff
    /// group.
    pub pipeline_units: Vec<GroupRow>,
    pub pipeline_groups: Vec<GroupRow>,
    /// Below Working on foundation skills (first) of those assessed, and
    /// assessed of everyone (second), by unit, band and staff group.
    pub inclusion_units: Vec<GroupRow>,
    pub inclusion_bands: Vec<GroupRow>,
    pub inclusion_groups: Vec<GroupRow>,
    pub trend: Vec<TrendPoint>,
    /// The team heatmap of the unit's leader, when the viewer may open it.
    pub leader_heatmap: Option<i32>,
    /// How many of the unit's profiles are up to date (withheld below the
    /// small-number rule for a viewer who does not see everything); filled
    /// by `service::organisation`, the page's one call.
    #[serde(default)]
    pub reviews: crate::profile::model::ReviewCounts,
    /// The viewer may open the people behind the pipeline's figures (not
    /// the system's workforce lead, who sees no individual).
    #[serde(default)]
    pub names: bool,
    /// The view of the whole system (the workforce lead's top), its rows
    /// organisations.
    #[serde(default)]
    pub system: bool,
}

/// Marks the rows whose first share is highest (at least 1 in 5 and the top
/// three), so the page can point at where support is most needed.
pub fn highlight_highest(rows: &mut [GroupRow]) {
    let mut shares: Vec<(usize, u32)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.first.percent().map(|p| (i, p)))
        .filter(|(_, p)| *p >= 20)
        .collect();
    shares.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in shares.into_iter().take(3) {
        rows[i].highlight = true;
    }
}

/// Month labels from `first` to `last` inclusive ("2026-01").
pub fn months_between(first: (i32, u32), last: (i32, u32)) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last && out.len() < 600 {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(level: Option<u8>, required: Option<u8>) -> Cell {
        Cell {
            level,
            agreed: true,
            required,
            essential: true,
        }
    }

    /// `Cell::class` spells its eight class lists out so a page of cells
    /// allocates none; they must stay `Gap::class` plus the cell classes.
    #[test]
    fn cell_classes_are_the_gap_classes() {
        for level in [None, Some(0), Some(1), Some(2), Some(3), Some(4)] {
            for required in [None, Some(0), Some(1), Some(3), Some(4)] {
                for agreed in [false, true] {
                    let c = Cell {
                        agreed,
                        ..cell(level, required)
                    };
                    let unagreed = if level.is_some() && !agreed {
                        " skillmap-cell--unagreed"
                    } else {
                        ""
                    };
                    let expected = format!("skillmap-cell {}{unagreed}", c.gap().class());
                    assert_eq!(c.class(), expected, "{c:?}");
                }
            }
        }
    }

    #[test]
    fn gaps_are_classified_against_the_requirement() {
        let cases = [
            (None, None, Gap::NotRequired),
            (Some(0), Some(3), Gap::NotRequired),
            (Some(3), Some(3), Gap::Meets),
            (Some(3), Some(4), Gap::Meets),
            (Some(3), Some(2), Gap::OneShort),
            (Some(3), Some(1), Gap::TwoOrMoreShort),
            (Some(2), None, Gap::TwoOrMoreShort),
            (Some(1), None, Gap::OneShort),
            (None, Some(4), Gap::NotRequired),
        ];
        for (required, level, want) in cases {
            assert_eq!(
                Gap::classify(required, level),
                want,
                "{required:?} {level:?}"
            );
        }
    }

    #[test]
    fn cells_say_their_meaning_in_text() {
        let c = Cell {
            level: Some(3),
            agreed: false,
            required: Some(4),
            essential: true,
        };
        assert_eq!(c.text(), "Pr*");
        assert_eq!(c.shortfall(), 1);
        assert!(
            c.spoken()
                .contains("Practitioner, self-assessed, not yet agreed")
        );
        assert!(c.spoken().contains("one level short"));
        assert_eq!(cell(None, Some(2)).text(), "\u{2013}");
        assert_eq!(
            cell(Some(2), None).spoken(),
            "Working, agreed; not required"
        );
        for g in [Gap::Meets, Gap::OneShort, Gap::TwoOrMoreShort] {
            assert!(!g.symbol().is_empty(), "never colour alone");
        }
        assert_eq!(
            c.class(),
            "skillmap-cell skillmap-gap--one skillmap-cell--unagreed"
        );
        assert_eq!(
            cell(Some(2), Some(2)).class(),
            "skillmap-cell skillmap-gap--meets"
        );
        // Not assessed is not "awaiting agreement".
        assert_eq!(
            Cell {
                agreed: false,
                ..cell(None, Some(2))
            }
            .class(),
            "skillmap-cell skillmap-gap--two"
        );
    }

    #[test]
    fn current_level_is_agreed_once_agreed() {
        assert_eq!(current_level(2, Some(3), true), 3);
        assert_eq!(current_level(2, Some(3), false), 2, "re-assessed, pending");
        assert_eq!(current_level(2, None, false), 2);
    }

    fn skill(code: &str, domain: &str) -> HeatSkill {
        HeatSkill {
            code: code.into(),
            name: code.into(),
            domain_code: domain.into(),
            domain_name: domain.into(),
        }
    }

    fn row(id: i32, name: &str, role: &str, cells: Vec<Cell>) -> HeatRow {
        HeatRow {
            person_id: id,
            name: name.into(),
            role_code: Some(role.into()),
            role_title: Some(role.into()),
            cells,
        }
    }

    fn map() -> Heatmap {
        Heatmap {
            manager_id: 1,
            manager_name: "M".into(),
            query: HeatQuery::default(),
            skills: vec![
                skill("DIG-A", "DIG"),
                skill("DAT-A", "DAT"),
                skill("DAT-B", "DAT"),
            ],
            rows: vec![
                row(
                    2,
                    "Zed Adams",
                    "NUR",
                    vec![
                        cell(Some(1), Some(3)),
                        cell(Some(2), Some(2)),
                        cell(None, None),
                    ],
                ),
                row(
                    3,
                    "amy Brown",
                    "ADM",
                    vec![
                        cell(Some(4), Some(2)),
                        cell(None, Some(1)),
                        cell(Some(3), None),
                    ],
                ),
                row(
                    4,
                    "Bob Cole",
                    "NUR",
                    vec![
                        cell(Some(2), Some(2)),
                        cell(Some(2), Some(2)),
                        cell(None, None),
                    ],
                ),
            ],
            domains: vec![],
            roles: vec![],
            interested: None,
            team_size: 3,
            paging: HeatPaging::default(),
        }
    }

    fn names(m: &Heatmap) -> Vec<&str> {
        m.rows.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn sorting_by_name_gap_and_skill() {
        let by_name = map().shaped(HeatQuery::default());
        assert_eq!(names(&by_name), ["amy Brown", "Bob Cole", "Zed Adams"]);
        let by_gap = map().shaped(HeatQuery {
            sort: Some("gap".into()),
            ..Default::default()
        });
        // Zed: 2 short; Amy: 1 short (DAT-A not assessed); Bob: 0.
        assert_eq!(names(&by_gap), ["Zed Adams", "amy Brown", "Bob Cole"]);
        let by_skill = map().shaped(HeatQuery {
            sort: Some("DAT-A".into()),
            ..Default::default()
        });
        assert_eq!(names(&by_skill), ["Bob Cole", "Zed Adams", "amy Brown"]);
        let unknown = map().shaped(HeatQuery {
            sort: Some("NOPE".into()),
            ..Default::default()
        });
        assert_eq!(names(&unknown), names(&by_name));
    }

    #[test]
    fn filters_by_domain_role_and_requirement() {
        let data = map().shaped(HeatQuery {
            domain: Some("DAT".into()),
            ..Default::default()
        });
        assert_eq!(data.skills.len(), 2);
        assert!(data.rows.iter().all(|r| r.cells.len() == 2));
        let nurses = map().shaped(HeatQuery {
            role: Some("NUR".into()),
            required: true,
            ..Default::default()
        });
        assert_eq!(names(&nurses), ["Bob Cole", "Zed Adams"]);
        assert_eq!(nurses.team_size, 3);
        // DAT-B is not required of any nurse.
        let codes: Vec<_> = nurses.skills.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["DIG-A", "DAT-A"]);
    }

    #[test]
    fn summary_counts_who_meets_each_requirement() {
        let s = map().shaped(HeatQuery::default()).summary();
        assert_eq!(
            s,
            vec![
                SkillSummary {
                    meeting: 2,
                    required: 3
                },
                SkillSummary {
                    meeting: 2,
                    required: 3
                },
                SkillSummary {
                    meeting: 0,
                    required: 0
                },
            ]
        );
    }

    #[test]
    fn pages_keep_the_order_and_the_whole_summary() {
        let all = map().shaped(HeatQuery {
            sort: Some("gap".into()),
            ..Default::default()
        });
        let page = |n: Option<usize>| {
            map()
                .shaped(HeatQuery {
                    sort: Some("gap".into()),
                    page: n,
                    ..Default::default()
                })
                .one_page(2)
        };
        let first = page(None);
        assert_eq!(names(&first), ["Zed Adams", "amy Brown"]);
        assert_eq!((first.paging.page, first.paging.pages), (1, 2));
        assert_eq!(first.paging.matching, 3);
        assert_eq!(
            first.paging.summary,
            all.summary(),
            "everyone, not the page"
        );
        let second = page(Some(2));
        assert_eq!(names(&second), ["Bob Cole"]);
        assert_eq!(second.paging.before, 2);
        assert_eq!(
            names(&page(Some(9))),
            ["Bob Cole"],
            "past the end: the last page"
        );
        assert_eq!(names(&page(Some(0))), names(&first));
        assert_eq!(
            HeatQuery {
                page: Some(3),
                ..Default::default()
            }
            .href("/team", |_| {}),
            "/team?page=3"
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn csv_has_the_same_matrix_and_escapes_formulas() {
        let mut m = map();
        m.rows[0].name = "=HYPERLINK(\"x\")".into();
        let csv = m.shaped(HeatQuery::default()).to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5, "{csv}");
        assert!(lines[0].starts_with("Name,Job role,Total gap,DIG-A (DIG-A)"));
        assert!(csv.contains("'=HYPERLINK"), "{csv}");
        assert!(lines[4].starts_with("Meeting the requirement,,,2 of 3"));
    }

    #[test]
    fn query_links_keep_the_view() {
        let q = HeatQuery {
            manager: Some(7),
            domain: Some("DAT".into()),
            ..Default::default()
        };
        assert_eq!(
            q.href("/team", |q| q.sort = Some("gap".into())),
            "/team?manager=7&sort=gap&domain=DAT"
        );
        assert_eq!(HeatQuery::default().href("/team", |_| {}), "/team");
        assert_eq!(
            HeatQuery::default().href("/team", |q| q.role = Some("A&B".into())),
            "/team?role=A%26B"
        );
    }

    #[test]
    fn medians_come_from_level_counts() {
        let s = |levels| SkillStat {
            levels,
            ..Default::default()
        };
        assert_eq!(s([0, 0, 0, 0, 0]).median(), None);
        assert_eq!(s([0, 1, 0, 0, 0]).median(), Some(1));
        assert_eq!(s([1, 1, 1, 1, 0]).median(), Some(1), "lower middle");
        assert_eq!(s([0, 0, 5, 1, 1]).median(), Some(2));
        assert_eq!(s([0, 0, 0, 1, 4]).median(), Some(4));
        let mut a = s([1, 2, 0, 0, 0]);
        a.required = 3;
        a.meeting = 1;
        a.add(&SkillStat {
            levels: [0, 0, 0, 3, 0],
            agreed: 2,
            required: 3,
            meeting: 3,
        });
        assert_eq!(a.assessed(), 6);
        assert_eq!((a.required, a.meeting, a.agreed), (6, 4, 2));
        assert_eq!(a.median(), Some(1));
    }

    #[test]
    fn small_groups_are_suppressed_for_all_but_hr() {
        assert!(suppress(4, false));
        assert!(!suppress(5, false));
        assert!(!suppress(0, false), "nothing to hide");
        assert!(!suppress(1, true), "HR and admin see all");
        let hidden = Share::new(3, 4, 4, false);
        assert_eq!((hidden.count, hidden.of), (0, 0), "never sent");
        assert_eq!(hidden.text(), "fewer than 5");
        assert_eq!(Share::new(3, 4, 4, true).text(), "75% (3 of 4)");
        let stat = SkillStat {
            levels: [0, 1, 1, 1, 0],
            agreed: 3,
            required: 3,
            meeting: 2,
        };
        let c = StatCell::new(&stat, false);
        assert!(c.suppressed && c.meeting.suppressed && c.median.is_none() && c.assessed == 0);
        let c = StatCell::new(&stat, true);
        assert_eq!(
            (c.assessed, c.median, c.meeting.percent()),
            (3, Some(2), Some(67))
        );
    }

    #[test]
    fn pipeline_needs_practitioner_in_every_domain() {
        assert_eq!(stage(3, 3), Stage::Leader);
        assert_eq!(stage(2, 3), Stage::Near);
        assert_eq!(stage(1, 3), Stage::Other);
        assert_eq!(stage(0, 0), Stage::Other);
        assert_eq!(stage(0, 1), Stage::Near);
    }

    #[test]
    fn digital_inclusion_from_the_lowest_foundation_level() {
        assert_eq!(Digital::from_lowest(None), Digital::Unassessed);
        assert_eq!(Digital::from_lowest(Some(0)), Digital::Below);
        assert_eq!(Digital::from_lowest(Some(1)), Digital::Below);
        assert_eq!(Digital::from_lowest(Some(2)), Digital::Working);
        for d in [Digital::Below, Digital::Working, Digital::Unassessed] {
            assert_eq!(Digital::parse(d.as_str()), d);
        }
    }

    #[test]
    fn staff_groups_split_into_clinical_and_not() {
        assert!(is_clinical("Nursing and Midwifery Registered"));
        assert!(is_clinical("Medical and Dental"));
        assert!(is_clinical("Add Prof Scientific and Technic"));
        assert!(!is_clinical("Administrative and Clerical"));
        assert!(!is_clinical("Estates and Ancillary"));
    }

    #[test]
    fn the_highest_shares_are_highlighted() {
        let g = |count, of| GroupRow {
            label: String::new(),
            people: of,
            first: Share::new(count, of, of, true),
            second: Share::default(),
            third: None,
            unit: None,
            highlight: false,
        };
        let mut rows = vec![g(1, 10), g(5, 10), g(3, 10), g(9, 10), g(4, 10)];
        highlight_highest(&mut rows);
        let marked: Vec<bool> = rows.iter().map(|r| r.highlight).collect();
        assert_eq!(marked, [false, true, false, true, true]);
    }

    #[test]
    fn months_run_across_years() {
        assert_eq!(
            months_between((2025, 11), (2026, 2)),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert!(months_between((2026, 3), (2026, 2)).is_empty());
    }
}

#[cfg(test)]
mod secondary_tests {
    use super::*;

    /// Every way a reader could subtract: the total less the shown parts.
    fn recoverable(total: u32, sizes: &[u32], hidden: &[bool]) -> u32 {
        total
            - sizes
                .iter()
                .zip(hidden)
                .filter(|(_, h)| !**h)
                .map(|(s, _)| s)
                .sum::<u32>()
    }

    #[test]
    fn the_issues_example_hides_the_next_smallest_band() {
        // A team of 19: bands of 9, 6, 3 and 1; the last two are small.
        let sizes = [9, 6, 3, 1];
        let mut hidden = sizes.map(|s| suppress(s, false));
        assert_eq!(recoverable(19, &sizes, &hidden), 4, "the hole before");
        suppress_secondary(19, &sizes, &mut hidden);
        assert_eq!(hidden, [false, true, true, true]);
        assert_eq!(recoverable(19, &sizes, &hidden), 10);
    }

    #[test]
    fn own_staff_counted_in_no_part_are_protected_too() {
        // A trust's chief executive (1) above three directorates.
        let sizes = [40, 12, 30];
        let mut hidden = [false; 3];
        suppress_secondary(83, &sizes, &mut hidden);
        assert_eq!(hidden, [false, true, false]);
    }

    #[test]
    fn nothing_changes_when_nothing_can_be_worked_out() {
        let sizes = [9, 6, 0, 5];
        let mut hidden = [false; 4];
        suppress_secondary(20, &sizes, &mut hidden);
        assert_eq!(hidden, [false; 4]);
        // Two hidden parts holding 6 together: safe as they are.
        let sizes = [9, 5, 3, 3];
        let mut hidden = sizes.map(|s| suppress(s, false));
        suppress_secondary(20, &sizes, &mut hidden);
        assert_eq!(hidden, [false, false, true, true]);
    }

    #[test]
    fn every_small_hole_is_closed() {
        // Exhaustively over small tables: after secondary suppression no
        // subtraction gives a figure about 1 to 4 people.
        for a in 0..8u32 {
            for b in 0..8u32 {
                for c in 0..8u32 {
                    for own in 0..3u32 {
                        let sizes = [a, b, c];
                        let total = a + b + c + own;
                        let mut hidden = sizes.map(|s| suppress(s, false));
                        suppress_secondary(total, &sizes, &mut hidden);
                        let r = recoverable(total, &sizes, &hidden);
                        // A total under MIN_GROUP is itself hidden.
                        assert!(
                            r == 0 || r >= MIN_GROUP || total < MIN_GROUP,
                            "{sizes:?} own {own}: {hidden:?} leaves {r}"
                        );
                    }
                }
            }
        }
    }
}
