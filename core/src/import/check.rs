//! The import rules, as pure functions: turn a table into typed rows, check
//! every row and the whole file against the file itself plus what the
//! database holds (a `Snapshot`), and decide for each row whether it creates,
//! updates or leaves a record unchanged. Nothing here touches the database.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{Counts, Kind, Problem};
use crate::auth::model::{Role, looks_like_email};
use crate::framework::model::{LEVELS, MAX_LEVEL};
use crate::kernel::table::{Column, Mapping, Table, normalise_header};
use crate::roles::model::{BANDS, STAFF_GROUPS};

pub const MAX_CODE: usize = 32;
pub const MAX_NAME: usize = 100;
pub const MAX_TITLE: usize = 200;
pub const MAX_EMAIL: usize = 254;

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

/// Both roles and staff files carry these, as NHS HR systems name them.
const STAFF_GROUP: Column = col("staff_group", "Staff group", &["Staff grp"], true);
const BAND: Column = col(
    "band",
    "Band",
    &["Pay band", "Grade", "Pay grade", "AfC band"],
    true,
);

pub const ORG_COLUMNS: [Column; 4] = [
    col(
        "code",
        "Code",
        &[
            "Org code",
            "Unit code",
            "Organisation code",
            "Department code",
            "Cost centre",
        ],
        true,
    ),
    col(
        "name",
        "Name",
        &[
            "Unit name",
            "Organisation name",
            "Department name",
            "Org unit",
        ],
        true,
    ),
    col(
        "parent",
        "Parent code",
        &[
            "Parent",
            "Parent unit code",
            "Parent org code",
            "Reports to",
        ],
        false,
    ),
    col("kind", "Kind", &["Type", "Unit type", "Level"], false),
];

pub const ROLE_COLUMNS: [Column; 7] = [
    col(
        "code",
        "Role code",
        &["Job role code", "Position code", "Code"],
        true,
    ),
    col(
        "title",
        "Title",
        &["Job title", "Position title", "Role title", "Job role"],
        true,
    ),
    STAFF_GROUP,
    BAND,
    col("skill", "Skill code", &["Skill"], false),
    col("level", "Required level", &["Level"], false),
    col(
        "importance",
        "Essential or desirable",
        &["Essential/desirable", "Essential", "Importance", "Priority"],
        false,
    ),
];

pub const STAFF_COLUMNS: [Column; 11] = [
    col(
        "employee_number",
        "Employee number",
        &[
            "Assignment number",
            "Employee no",
            "Staff number",
            "Person number",
            "Payroll number",
        ],
        true,
    ),
    col(
        "given_name",
        "First name",
        &["Forename", "Forenames", "Given name", "First names"],
        false,
    ),
    col(
        "family_name",
        "Last name",
        &["Surname", "Family name"],
        false,
    ),
    col(
        "full_name",
        "Full name",
        &["Name", "Employee name", "Person name"],
        false,
    ),
    col(
        "email",
        "Email",
        &["Email address", "Work email", "E-mail", "Primary email"],
        false,
    ),
    col(
        "org",
        "Org unit code",
        &[
            "Organisation code",
            "Org code",
            "Unit code",
            "Team code",
            "Department code",
            "Cost centre",
        ],
        true,
    ),
    col(
        "role",
        "Job role code",
        &["Position code", "Role code", "Job role", "Position title"],
        false,
    ),
    col(
        "manager",
        "Line manager employee number",
        &[
            "Line manager",
            "Manager employee number",
            "Manager assignment number",
            "Supervisor assignment number",
            "Supervisor employee number",
        ],
        false,
    ),
    STAFF_GROUP,
    BAND,
    col(
        "app_role",
        "Skillmap role",
        &["App role", "Access", "Access level"],
        false,
    ),
];

pub fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Org => &ORG_COLUMNS,
        Kind::Roles => &ROLE_COLUMNS,
        Kind::Staff => &STAFF_COLUMNS,
    }
}

/// The downloadable template: the header row and one example row.
pub fn template(kind: Kind) -> String {
    let (headers, example): (Vec<&str>, &str) = match kind {
        Kind::Org => (
            ORG_COLUMNS.iter().map(|c| c.label).collect(),
            "RXX-D1-T01,Ward 1 (Acute Medicine),RXX-D1,team",
        ),
        Kind::Roles => (
            ROLE_COLUMNS.iter().map(|c| c.label).collect(),
            "NUR-RN5,Staff Nurse,Nursing and Midwifery Registered,Band 5,DIG-FOUND,2,essential",
        ),
        Kind::Staff => (
            STAFF_COLUMNS
                .iter()
                .filter(|c| c.key != "full_name")
                .map(|c| c.label)
                .collect(),
            "00012345,Asha,Patel,asha.patel@example.nhs.uk,RXX-D1-T01,NUR-RN5,00010001,Nursing and Midwifery Registered,Band 5,staff",
        ),
    };
    format!("{}\r\n{example}\r\n", headers.join(","))
}

// ---------------------------------------------------------------------------
// What the database holds, as the checks need it.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: i32,
    pub name: String,
    pub parent: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    pub id: i32,
    pub title: String,
    pub staff_group: String,
    pub band: String,
    /// Skill code -> (level, essential).
    pub requirements: BTreeMap<String, (u8, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: i32,
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: i32,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub org: String,
    pub role: Option<String>,
    pub manager: Option<String>,
    pub staff_group: String,
    pub band: String,
    pub account: Option<AccountRecord>,
}

/// The importing organisation's units, roles and people: a file names
/// them by code and employee number, and those resolve within it only.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// By code.
    pub orgs: HashMap<String, OrgRecord>,
    /// By code.
    pub roles: HashMap<String, RoleRecord>,
    pub skills: HashSet<String>,
    /// By employee number.
    pub people: HashMap<String, PersonRecord>,
    /// Every account's email in the system (an email signs one account in,
    /// whatever its organisation) -> the employee number of its person,
    /// when that person is this organisation's.
    pub account_emails: HashMap<String, Option<String>>,
    /// Unit codes, role codes and employee numbers other organisations
    /// use. They are unique in the whole system, so a new unit, role or
    /// person may not take one; the file is told so, and nothing more.
    pub units_elsewhere: HashSet<String>,
    pub roles_elsewhere: HashSet<String>,
    pub numbers_elsewhere: HashSet<String>,
}

// ---------------------------------------------------------------------------
// Typed rows and the plan.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub row: usize,
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub row: usize,
    pub code: String,
    pub title: String,
    pub staff_group: String,
    pub band: String,
    /// `None` when the file says nothing about requirements (left as they are).
    pub requirements: Option<BTreeMap<String, (u8, bool)>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub row: usize,
    pub employee_number: String,
    pub given_name: String,
    pub family_name: String,
    /// Lower-cased; `None` leaves the email (and account) as they are.
    pub email: Option<String>,
    pub org: String,
    pub role: Option<String>,
    pub manager: Option<String>,
    pub staff_group: String,
    pub band: String,
    /// `None` keeps an existing account's role (new accounts: staff).
    pub app_role: Option<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    Org(Vec<(Action, OrgRow)>),
    Roles(Vec<(Action, RoleRow)>),
    Staff(Vec<(Action, StaffRow)>),
}

/// The outcome of checking a file: the rows with what each would do, the
/// counts, and every problem (errors and warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub rows: Rows,
    pub counts: Counts,
    pub problems: Vec<Problem>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.counts.errors > 0
    }
}

/// Who is importing: only administrators may hand out the HR and
/// administrator roles (or take them away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Importer {
    pub is_admin: bool,
}

/// Checks a whole table of the given kind against the snapshot.
pub fn check(kind: Kind, table: &Table, snapshot: &Snapshot, importer: Importer) -> Plan {
    let cols = columns(kind);
    let mapping = Mapping::new(&table.headers, cols);
    let mut problems = mapping.missing(cols, &table.headers);
    let mut extra_missing = Vec::new();
    if kind == Kind::Staff
        && !mapping.has("full_name")
        && !(mapping.has("given_name") && mapping.has("family_name"))
    {
        extra_missing.push(Problem {
            column: "First name".into(),
            ..Problem::file(
                "The file needs \u{201c}First name\u{201d} and \u{201c}Last name\u{201d} columns (or one \u{201c}Full name\u{201d} column).",
            )
        });
    }
    problems.extend(extra_missing);
    // In a wide roles file, skill codes are columns, not unknown ones.
    let wide_skills: Vec<(usize, String)> = if kind == Kind::Roles && !mapping.has("skill") {
        mapping
            .unknown
            .iter()
            .filter_map(|(i, h)| skill_for_header(h, snapshot).map(|code| (*i, code)))
            .collect()
    } else {
        Vec::new()
    };
    let mut warnings: Vec<Problem> = mapping
        .unknown
        .iter()
        .filter(|(i, _)| !wide_skills.iter().any(|(w, _)| w == i))
        .map(|(_, h)| {
            Problem::warning(
                h.clone(),
                format!(
                    "Unknown column \u{201c}{h}\u{201d} is ignored. Known columns: {}.",
                    cols.iter().map(|c| c.label).collect::<Vec<_>>().join(", ")
                ),
            )
        })
        .collect();
    if kind == Kind::Roles && mapping.has("skill") != mapping.has("level") {
        problems.push(Problem::file(
            "A long-format roles file needs both \u{201c}Skill code\u{201d} and \u{201c}Required level\u{201d} columns.",
        ));
    }
    if !problems.is_empty() {
        return finish(
            Rows::Org(Vec::new()),
            Counts::default(),
            problems,
            warnings,
            table,
        );
    }
    let (rows, counts) = match kind {
        Kind::Org => {
            let (rows, counts) = check_org(table, &mapping, snapshot, &mut problems);
            (Rows::Org(rows), counts)
        }
        Kind::Roles => {
            let (rows, counts) =
                check_roles(table, &mapping, &wide_skills, snapshot, &mut problems);
            (Rows::Roles(rows), counts)
        }
        Kind::Staff => {
            let (rows, counts) = check_staff(table, &mapping, snapshot, importer, &mut problems);
            (Rows::Staff(rows), counts)
        }
    };
    warnings.sort_by(|a, b| a.column.cmp(&b.column));
    finish(rows, counts, problems, warnings, table)
}

fn finish(
    rows: Rows,
    mut counts: Counts,
    mut problems: Vec<Problem>,
    warnings: Vec<Problem>,
    table: &Table,
) -> Plan {
    problems.sort_by_key(|p| p.row.unwrap_or(0));
    counts.rows = table.rows.len();
    counts.errors = problems.len();
    counts.warnings = warnings.len();
    problems.extend(warnings);
    Plan {
        rows,
        counts,
        problems,
    }
}

fn skill_for_header(header: &str, snapshot: &Snapshot) -> Option<String> {
    let n = normalise_header(header);
    snapshot
        .skills
        .iter()
        .find(|s| normalise_header(s) == n)
        .cloned()
}

fn label(key: &str) -> &'static str {
    ORG_COLUMNS
        .iter()
        .chain(ROLE_COLUMNS.iter())
        .chain(STAFF_COLUMNS.iter())
        .find(|c| c.key == key)
        .map(|c| c.label)
        .unwrap_or("")
}

/// Cell checks shared by the kinds; each pushes a problem and returns None.
struct Cells<'a> {
    row: usize,
    cells: &'a [String],
    mapping: &'a Mapping,
    problems: &'a mut Vec<Problem>,
    kind: Kind,
}

impl Cells<'_> {
    fn raw(&self, key: &str) -> &str {
        self.mapping.get(self.cells, key)
    }

    fn column(&self, key: &str) -> &'static str {
        // The same key can mean different columns in different kinds.
        let cols = columns(self.kind);
        cols.iter()
            .find(|c| c.key == key)
            .map(|c| c.label)
            .unwrap_or_else(|| label(key))
    }

    fn bad(&mut self, key: &str, message: impl Into<String>) {
        let value = self.raw(key).to_string();
        let column = self.column(key);
        self.problems
            .push(Problem::cell(self.row, column, value, message));
    }

    fn code(&mut self, key: &str, required: bool) -> Option<String> {
        let v = self.raw(key).to_uppercase();
        if v.is_empty() {
            if required {
                let column = self.column(key);
                self.bad(key, format!("Enter the {}", column.to_lowercase()));
            }
            return None;
        }
        if v.chars().count() > MAX_CODE
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        {
            self.bad(
                key,
                format!("Codes are up to {MAX_CODE} letters, digits, - _ . or /"),
            );
            return None;
        }
        Some(v)
    }

    fn text(&mut self, key: &str, max: usize) -> Option<String> {
        let v = self.raw(key).to_string();
        if v.is_empty() {
            let column = self.column(key);
            self.bad(key, format!("Enter the {}", column.to_lowercase()));
            return None;
        }
        if v.chars().count() > max {
            self.bad(key, format!("Must be {max} characters or fewer"));
            return None;
        }
        if v.chars().any(|c| c.is_control()) {
            self.bad(key, "Must not contain line breaks or control characters");
            return None;
        }
        Some(v)
    }

    fn staff_group(&mut self) -> Option<String> {
        let v = self.raw("staff_group");
        match STAFF_GROUPS.iter().find(|g| g.eq_ignore_ascii_case(v)) {
            Some(g) => Some(g.to_string()),
            None => {
                self.bad(
                    "staff_group",
                    format!(
                        "Use one of the NHS staff groups: {}",
                        STAFF_GROUPS.join("; ")
                    ),
                );
                None
            }
        }
    }

    fn band(&mut self) -> Option<String> {
        match normalise_band(self.raw("band")) {
            Some(b) => Some(b.to_string()),
            None => {
                self.bad("band", format!("Use a band or grade: {}", BANDS.join(", ")));
                None
            }
        }
    }
}

/// "5", "b5", "AfC Band 8A" -> "Band 5", "Band 8a"; grades by name.
pub fn normalise_band(s: &str) -> Option<&'static str> {
    let key = |s: &str| {
        let n = normalise_header(s);
        let n = n.strip_prefix("afc").unwrap_or(&n).to_string();
        let n = n.strip_prefix("band").unwrap_or(&n).to_string();
        n.strip_prefix('b')
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_string)
            .unwrap_or(n)
    };
    let want = key(s);
    if want.is_empty() {
        return None;
    }
    BANDS.iter().find(|b| key(b) == want).copied()
}

/// "3", "Practitioner", "pr" -> 3.
pub fn parse_level(s: &str) -> Option<u8> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u8>() {
        return (1..=MAX_LEVEL).contains(&n).then_some(n);
    }
    let lower = s.to_lowercase();
    if lower.len() < 2 {
        return None;
    }
    LEVELS
        .iter()
        .skip(1)
        .find(|(_, name)| name.to_lowercase().starts_with(&lower))
        .map(|(l, _)| *l)
}

fn parse_importance(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "e" | "essential" | "yes" | "y" | "true" | "required" => Some(true),
        "d" | "desirable" | "no" | "n" | "false" | "optional" => Some(false),
        _ => None,
    }
}

/// A wide-format cell: "3" (essential), "3d", "3 (desirable)", "Working".
fn parse_wide_cell(s: &str) -> Option<(u8, bool)> {
    let lower = s.trim().to_lowercase();
    let (level, essential) = if let Some(rest) = lower
        .strip_suffix("(desirable)")
        .or_else(|| lower.strip_suffix("desirable"))
    {
        (rest.trim(), false)
    } else if let Some(rest) = lower
        .strip_suffix('d')
        .filter(|r| r.trim().parse::<u8>().is_ok())
    {
        (rest.trim(), false)
    } else if let Some(rest) = lower
        .strip_suffix("(essential)")
        .or_else(|| lower.strip_suffix("essential"))
    {
        (rest.trim(), true)
    } else if let Some(rest) = lower
        .strip_suffix('e')
        .filter(|r| r.trim().parse::<u8>().is_ok())
    {
        (rest.trim(), true)
    } else {
        (lower.as_str(), true)
    };
    parse_level(level).map(|l| (l, essential))
}

fn level_problem() -> String {
    format!(
        "Use a level from 1 to {MAX_LEVEL} ({})",
        LEVELS
            .iter()
            .skip(1)
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

// ---------------------------------------------------------------------------
// Organisation units.

fn check_org(
    table: &Table,
    mapping: &Mapping,
    snapshot: &Snapshot,
    problems: &mut Vec<Problem>,
) -> (Vec<(Action, OrgRow)>, Counts) {
    let has_kind = mapping.has("kind");
    let mut rows: Vec<OrgRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let mut c = Cells {
            row: *row,
            cells,
            mapping,
            problems,
            kind: Kind::Org,
        };
        let code = c.code("code", true);
        let name = c.text("name", MAX_TITLE);
        let parent = c.code("parent", false);
        let kind = match c.raw("kind").to_lowercase().as_str() {
            "" => None,
            k @ ("trust" | "directorate" | "team") => Some(k.to_string()),
            _ => {
                c.bad("kind", "Use trust, directorate or team (or leave it empty)");
                None
            }
        };
        let (Some(code), Some(name)) = (code, name) else {
            continue;
        };
        if let Some(first) = seen.get(&code) {
            c.bad(
                "code",
                format!("Code {code} is already used on row {first}; each unit appears once"),
            );
            continue;
        }
        seen.insert(code.clone(), *row);
        if !snapshot.orgs.contains_key(&code) && snapshot.units_elsewhere.contains(&code) {
            c.bad("code", elsewhere("Unit code", &code));
            continue;
        }
        if parent.as_deref() == Some(code.as_str()) {
            c.bad("parent", "A unit cannot be its own parent");
            continue;
        }
        rows.push(OrgRow {
            row: *row,
            code,
            name,
            parent,
            kind: kind.unwrap_or_default(),
        });
    }
    // Parents: in the file or already in Skillmap, and no loops.
    let in_file: HashMap<&str, &OrgRow> = rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let parent_of = |code: &str| -> Option<String> {
        match in_file.get(code) {
            Some(r) => r.parent.clone(),
            None => snapshot.orgs.get(code).and_then(|o| o.parent.clone()),
        }
    };
    let mut bad_rows = HashSet::new();
    for r in &rows {
        if let Some(p) = &r.parent
            && !in_file.contains_key(p.as_str())
            && !snapshot.orgs.contains_key(p)
        {
            problems.push(Problem::cell(
                r.row,
                "Parent code",
                p.clone(),
                format!("No unit has code {p}, in this file or in Skillmap"),
            ));
            bad_rows.insert(r.row);
        } else if let Some(cycle) = find_loop(&r.code, |c| parent_of(c)) {
            problems.push(Problem::cell(
                r.row,
                "Parent code",
                r.parent.clone().unwrap_or_default(),
                format!("Parent codes form a loop: {}", cycle.join(" \u{2192} ")),
            ));
            bad_rows.insert(r.row);
        }
    }
    // Kinds: from the file, else kept, else by depth (trust, directorate, team).
    let depth = |code: &str| {
        let mut d = 0;
        let mut at = parent_of(code);
        while let Some(p) = at {
            d += 1;
            if d > 64 {
                break;
            }
            at = parent_of(&p);
        }
        d
    };
    let depths: HashMap<String, usize> = rows
        .iter()
        .map(|r| (r.code.clone(), depth(&r.code)))
        .collect();
    let mut counts = Counts::default();
    let mut out = Vec::new();
    for mut r in rows {
        if bad_rows.contains(&r.row) {
            continue;
        }
        let existing = snapshot.orgs.get(&r.code);
        if !has_kind || r.kind.is_empty() {
            r.kind = match existing {
                Some(e) if !has_kind => e.kind.clone(),
                _ => match depths[&r.code] {
                    0 => "trust",
                    1 => "directorate",
                    _ => "team",
                }
                .to_string(),
            };
        }
        let action = match existing {
            None => Action::Create,
            Some(e) if e.name == r.name && e.parent == r.parent && e.kind == r.kind => {
                Action::Unchanged
            }
            Some(_) => Action::Update,
        };
        tally(&mut counts, action);
        out.push((action, r));
    }
    (out, counts)
}

/// A code or number another organisation already uses: that it is taken,
/// never whose it is.
fn elsewhere(what: &str, value: &str) -> String {
    format!("{what} {value} is already used by another organisation in this system")
}

fn tally(counts: &mut Counts, action: Action) {
    match action {
        Action::Create => counts.create += 1,
        Action::Update => counts.update += 1,
        Action::Unchanged => counts.unchanged += 1,
    }
}

/// Follows `next` from `start`; returns the loop if it comes back round.
fn find_loop(start: &str, next: impl Fn(&str) -> Option<String>) -> Option<Vec<String>> {
    let mut path = vec![start.to_string()];
    let mut at = next(start);
    let mut steps = 0;
    while let Some(n) = at {
        steps += 1;
        if n == start {
            path.push(n);
            return Some(path);
        }
        if path.contains(&n) || steps > 10_000 {
            // A loop further up, reported on its own rows.
            return None;
        }
        path.push(n.clone());
        at = next(&n);
    }
    None
}

// ---------------------------------------------------------------------------
// Job roles and requirements.

fn check_roles(
    table: &Table,
    mapping: &Mapping,
    wide_skills: &[(usize, String)],
    snapshot: &Snapshot,
    problems: &mut Vec<Problem>,
) -> (Vec<(Action, RoleRow)>, Counts) {
    let long = mapping.has("skill");
    let wide = !wide_skills.is_empty();
    let mut roles: Vec<RoleRow> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut bad_roles: HashSet<String> = HashSet::new();
    for (row, cells) in &table.rows {
        let mut c = Cells {
            row: *row,
            cells,
            mapping,
            problems,
            kind: Kind::Roles,
        };
        let code = c.code("code", true);
        let title = c.text("title", MAX_TITLE);
        let group = c.staff_group();
        let band = c.band();
        let mut requirements = BTreeMap::new();
        let mut ok = true;
        if long {
            let skill = c.raw("skill").to_uppercase();
            if !skill.is_empty() {
                let level = parse_level(c.raw("level"));
                let importance = parse_importance(c.raw("importance"));
                if !snapshot.skills.contains(&skill) {
                    c.bad(
                        "skill",
                        format!("No skill has code {skill} in the current framework"),
                    );
                    ok = false;
                }
                if level.is_none() {
                    c.bad("level", level_problem());
                    ok = false;
                }
                if importance.is_none() {
                    c.bad("importance", "Use essential or desirable");
                    ok = false;
                }
                if let (Some(l), Some(e)) = (level, importance) {
                    requirements.insert(skill, (l, e));
                }
            } else if !c.raw("level").is_empty() {
                c.bad("level", "A level needs a skill code on the same row");
                ok = false;
            }
        } else if wide {
            for (i, skill) in wide_skills {
                let v = cells.get(*i).map(|s| s.trim()).unwrap_or("");
                if v.is_empty() {
                    continue;
                }
                match parse_wide_cell(v) {
                    Some(req) => {
                        requirements.insert(skill.clone(), req);
                    }
                    None => {
                        c.problems.push(Problem::cell(
                            *row,
                            skill.clone(),
                            v,
                            format!("{}; add d for desirable, as in 3d", level_problem()),
                        ));
                        ok = false;
                    }
                }
            }
        }
        let (Some(code), Some(title), Some(group), Some(band)) = (code, title, group, band) else {
            continue;
        };
        if !ok {
            bad_roles.insert(code.clone());
        }
        match index.get(&code) {
            None => {
                // Reported on the role's first row; its other rows join it
                // and are left out with it.
                if !snapshot.roles.contains_key(&code) && snapshot.roles_elsewhere.contains(&code) {
                    c.bad("code", elsewhere("Role code", &code));
                    bad_roles.insert(code.clone());
                }
                index.insert(code.clone(), roles.len());
                roles.push(RoleRow {
                    row: *row,
                    code,
                    title,
                    staff_group: group,
                    band,
                    requirements: (long || wide).then_some(requirements),
                });
            }
            Some(&i) if !long => {
                let first = roles[i].row;
                c.bad(
                    "code",
                    format!("Role {code} is already on row {first}; each role appears once"),
                );
                bad_roles.insert(code);
            }
            Some(&i) => {
                let first = &mut roles[i];
                let mut differs = |key: &str, a: &str, b: &str| {
                    if a != b {
                        let column = c.column(key);
                        c.bad(
                            key,
                            format!(
                                "Role {} has {} \u{201c}{b}\u{201d} on row {}; every row of a role must agree",
                                first.code,
                                column.to_lowercase(),
                                first.row
                            ),
                        );
                        true
                    } else {
                        false
                    }
                };
                let mut conflict = differs("title", &title, &first.title);
                conflict |= differs("staff_group", &group, &first.staff_group);
                conflict |= differs("band", &band, &first.band);
                let reqs = first.requirements.get_or_insert_with(BTreeMap::new);
                for (skill, req) in requirements {
                    match reqs.entry(skill) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            c.bad(
                                "skill",
                                format!(
                                    "Skill {} is listed twice for role {}",
                                    e.key(),
                                    first.code
                                ),
                            );
                            conflict = true;
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(req);
                        }
                    }
                }
                if conflict {
                    bad_roles.insert(first.code.clone());
                }
            }
        }
    }
    let mut counts = Counts::default();
    let mut out = Vec::new();
    for r in roles {
        if bad_roles.contains(&r.code) {
            continue;
        }
        let action = match snapshot.roles.get(&r.code) {
            None => Action::Create,
            Some(e)
                if e.title == r.title
                    && e.staff_group == r.staff_group
                    && e.band == r.band
                    && r.requirements.as_ref().is_none_or(|q| *q == e.requirements) =>
            {
                Action::Unchanged
            }
            Some(_) => Action::Update,
        };
        tally(&mut counts, action);
        out.push((action, r));
    }
    (out, counts)
}

// ---------------------------------------------------------------------------
// Staff.

fn check_staff(
    table: &Table,
    mapping: &Mapping,
    snapshot: &Snapshot,
    importer: Importer,
    problems: &mut Vec<Problem>,
) -> (Vec<(Action, StaffRow)>, Counts) {
    let rows = read_staff_rows(table, mapping, snapshot, importer, problems);
    let bad = check_line_managers(&rows, snapshot, problems);
    plan_staff(rows, &bad, snapshot)
}

/// What the rows are checked against that the snapshot does not hold
/// ready: job roles by title, since people's roles may be given by code or
/// by their exact title, and the unit codes.
struct StaffLookups<'a> {
    by_title: HashMap<String, Vec<&'a str>>,
    orgs: HashSet<&'a str>,
}

/// Built once per file, not once per row.
fn staff_lookups(snapshot: &Snapshot) -> StaffLookups<'_> {
    let mut by_title: HashMap<String, Vec<&str>> = HashMap::new();
    for (code, r) in &snapshot.roles {
        by_title
            .entry(r.title.to_lowercase())
            .or_default()
            .push(code.as_str());
    }
    let orgs: HashSet<&str> = snapshot.orgs.keys().map(String::as_str).collect();
    StaffLookups { by_title, orgs }
}

/// The employee numbers and emails met so far, each with the row it was
/// first on.
struct StaffSeen {
    numbers: HashMap<String, usize>,
    emails: HashMap<String, usize>,
}

/// Every row checked on its own and against the rows before it; a row with
/// any problem is left out, so the later checks and the plan see only
/// well-formed people.
fn read_staff_rows(
    table: &Table,
    mapping: &Mapping,
    snapshot: &Snapshot,
    importer: Importer,
    problems: &mut Vec<Problem>,
) -> Vec<StaffRow> {
    let lookups = staff_lookups(snapshot);
    let mut rows: Vec<StaffRow> = Vec::with_capacity(table.rows.len());
    let mut seen = StaffSeen {
        numbers: HashMap::with_capacity(table.rows.len()),
        emails: HashMap::new(),
    };
    for (row, cells) in &table.rows {
        let mut c = Cells {
            row: *row,
            cells,
            mapping,
            problems,
            kind: Kind::Staff,
        };
        if let Some(r) = check_staff_row(&mut c, &lookups, snapshot, importer, &mut seen) {
            rows.push(r);
        }
    }
    rows
}

/// One row's cells, each read and checked on its own; `None` where the cell
/// is empty (and may be) or had a problem.
struct StaffFields {
    /// As written, even with a problem: it is what the other checks match on.
    number: String,
    given: Option<String>,
    family: Option<String>,
    email: Option<String>,
    org: Option<String>,
    role: Option<String>,
    manager: Option<String>,
    group: Option<String>,
    band: Option<String>,
    app_role: Option<Role>,
}

/// One row: its cells, then the checks against earlier rows and the
/// database, in the order their problems are reported. `None` when the row
/// had any problem, so no half-checked person is planned.
fn check_staff_row(
    c: &mut Cells<'_>,
    lookups: &StaffLookups<'_>,
    snapshot: &Snapshot,
    importer: Importer,
    seen: &mut StaffSeen,
) -> Option<StaffRow> {
    let before = c.problems.len();
    let f = read_staff_fields(c, lookups, snapshot);
    check_repeated_number(c, &f.number, &mut seen.numbers);
    if !f.number.is_empty()
        && !snapshot.people.contains_key(&f.number)
        && snapshot.numbers_elsewhere.contains(&f.number)
    {
        c.bad("employee_number", elsewhere("Employee number", &f.number));
    }
    if f.manager.as_deref() == Some(f.number.as_str()) && !f.number.is_empty() {
        c.bad("manager", "A person cannot be their own line manager");
    }
    check_repeated_email(c, &f, &mut seen.emails, snapshot);
    check_admin_rights(c, &f, snapshot.people.get(&f.number), importer);
    if c.problems.len() > before {
        return None;
    }
    let (Some(given), Some(family), Some(org), Some(group), Some(band)) =
        (f.given, f.family, f.org, f.group, f.band)
    else {
        return None;
    };
    Some(StaffRow {
        row: c.row,
        employee_number: f.number,
        given_name: given,
        family_name: family,
        email: f.email,
        org,
        role: f.role,
        manager: f.manager,
        staff_group: group,
        band,
        app_role: f.app_role,
    })
}

/// The cells in column order, so a row's problems read left to right.
fn read_staff_fields(
    c: &mut Cells<'_>,
    lookups: &StaffLookups<'_>,
    snapshot: &Snapshot,
) -> StaffFields {
    let number = staff_number(c);
    let (given, family) = staff_names(c);
    let email = staff_email(c);
    let org = staff_org(c, &lookups.orgs);
    let role = staff_role(c, snapshot, &lookups.by_title);
    let manager = c.raw("manager");
    let manager = (!manager.is_empty()).then(|| manager.to_string());
    let group = c.staff_group();
    let band = c.band();
    let app_role = staff_app_role(c);
    StaffFields {
        number,
        given,
        family,
        email,
        org,
        role,
        manager,
        group,
        band,
        app_role,
    }
}

/// The employee number is kept as written even when it has a problem: the
/// repeat and own-manager checks on the same row still compare it.
fn staff_number(c: &mut Cells<'_>) -> String {
    let number = c.raw("employee_number").to_string();
    if number.is_empty() {
        c.bad("employee_number", "Enter the employee number");
    } else if number.chars().count() > MAX_CODE
        || !number
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '/'))
    {
        c.bad(
            "employee_number",
            format!("Employee numbers are up to {MAX_CODE} letters, digits, - _ or /"),
        );
    }
    number
}

/// First and last name from their own columns or, when a file has only
/// one name column, split from the full name.
fn staff_names(c: &mut Cells<'_>) -> (Option<String>, Option<String>) {
    if c.mapping.has("given_name") && c.mapping.has("family_name") {
        (
            c.text("given_name", MAX_NAME),
            c.text("family_name", MAX_NAME),
        )
    } else {
        match c.text("full_name", MAX_NAME * 2) {
            Some(full) => match split_name(&full) {
                Some((g, f)) => (Some(g), Some(f)),
                None => {
                    c.bad("full_name", "Enter both a first and a last name");
                    (None, None)
                }
            },
            None => (None, None),
        }
    }
}

/// Lower-cased, so one address in different capitals is one email; empty
/// leaves the email (and account) as they are.
fn staff_email(c: &mut Cells<'_>) -> Option<String> {
    match c.raw("email").to_lowercase() {
        e if e.is_empty() => None,
        e if e.len() > MAX_EMAIL || !looks_like_email(&e) => {
            c.bad("email", "Enter an email address like name@example.nhs.uk");
            None
        }
        e => Some(e),
    }
}

/// Units are imported before people, so an unknown code is an error here.
fn staff_org(c: &mut Cells<'_>, orgs: &HashSet<&str>) -> Option<String> {
    let org = c.code("org", true);
    if let Some(o) = &org
        && !orgs.contains(o.as_str())
    {
        c.bad(
            "org",
            format!("No organisation unit has code {o}; import it first"),
        );
    }
    org
}

/// Job roles may be given by code or by their exact title; a title two
/// roles share is refused rather than guessed.
fn staff_role(
    c: &mut Cells<'_>,
    snapshot: &Snapshot,
    by_title: &HashMap<String, Vec<&str>>,
) -> Option<String> {
    let role_raw = c.raw("role").to_string();
    if role_raw.is_empty() {
        None
    } else if snapshot.roles.contains_key(&role_raw.to_uppercase()) {
        Some(role_raw.to_uppercase())
    } else {
        match by_title.get(&role_raw.to_lowercase()).map(Vec::as_slice) {
            Some([one]) => Some(one.to_string()),
            Some(_) => {
                c.bad(
                    "role",
                    "More than one job role has this title; use the role code",
                );
                None
            }
            None => {
                c.bad(
                    "role",
                    format!("No job role has code or title \u{201c}{role_raw}\u{201d}; import the roles first"),
                );
                None
            }
        }
    }
}

/// Empty keeps an existing account's role (new accounts: staff).
fn staff_app_role(c: &mut Cells<'_>) -> Option<Role> {
    match c.raw("app_role") {
        "" => None,
        // The workforce lead is the system's, not an organisation's: it is
        // made on the command line, never imported.
        r => match Role::parse(r).filter(|role| *role != Role::Lead) {
            Some(role) => Some(role),
            None => {
                c.bad("app_role", "Use staff, manager, hr or admin");
                None
            }
        },
    }
}

/// Each person appears once: a second row for the same number would make
/// the import's outcome depend on row order.
fn check_repeated_number(c: &mut Cells<'_>, number: &str, seen: &mut HashMap<String, usize>) {
    if !number.is_empty() {
        if let Some(first) = seen.get(number) {
            c.bad(
                "employee_number",
                format!(
                    "Employee number {number} is already on row {first}; each person appears once"
                ),
            );
        } else {
            seen.insert(number.to_string(), c.row);
        }
    }
}

/// An email signs someone in, so it belongs to one person: not repeated in
/// the file, and not another person's account already.
fn check_repeated_email(
    c: &mut Cells<'_>,
    f: &StaffFields,
    emails: &mut HashMap<String, usize>,
    snapshot: &Snapshot,
) {
    if let Some(e) = &f.email {
        if let Some(first) = emails.get(e) {
            c.bad(
                "email",
                format!("Email {e} is already on row {first}; each person needs their own"),
            );
        } else {
            emails.insert(e.clone(), c.row);
            match snapshot.account_emails.get(e) {
                Some(owner) if owner.as_deref() != Some(f.number.as_str()) => {
                    c.bad("email", "Another account already uses this email address");
                }
                _ => {}
            }
        }
    }
}

/// Only administrators hand out (or take away) HR and admin rights: without
/// this, an HR import could make anyone, its author included, an
/// administrator.
fn check_admin_rights(
    c: &mut Cells<'_>,
    f: &StaffFields,
    existing: Option<&PersonRecord>,
    importer: Importer,
) {
    if importer.is_admin {
        return;
    }
    let old = existing.and_then(|p| p.account.as_ref()).map(|a| a.role);
    let powerful = |r: Option<Role>| matches!(r, Some(Role::Hr | Role::Admin));
    if (powerful(f.app_role) && f.app_role != old)
        || (powerful(old) && f.app_role.is_some() && f.app_role != old)
    {
        c.bad(
            "app_role",
            "Only an administrator can give or remove the HR or administrator role",
        );
    }
    // A new sign-in email is a way into the account (and locks its
    // owner out), so HR and admin accounts' emails are an admin's.
    if powerful(old)
        && let (Some(new), Some(account)) = (&f.email, existing.and_then(|p| p.account.as_ref()))
        && *new != account.email
    {
        c.bad(
            "email",
            "Only an administrator can change the sign-in email of an HR or administrator account",
        );
    }
}

/// Line managers: in the file or in Skillmap, and no loops, since people are
/// created managers first and a loop has no first. Returns the rows to
/// leave out.
fn check_line_managers(
    rows: &[StaffRow],
    snapshot: &Snapshot,
    problems: &mut Vec<Problem>,
) -> HashSet<usize> {
    let in_file: HashMap<&str, &StaffRow> = rows
        .iter()
        .map(|r| (r.employee_number.as_str(), r))
        .collect();
    let manager_of = |n: &str| -> Option<String> {
        match in_file.get(n) {
            Some(r) => r.manager.clone(),
            None => snapshot.people.get(n).and_then(|p| p.manager.clone()),
        }
    };
    let mut bad = HashSet::new();
    let mut acyclic: HashSet<String> = HashSet::new();
    for r in rows {
        let Some(m) = &r.manager else { continue };
        if !in_file.contains_key(m.as_str()) && !snapshot.people.contains_key(m) {
            problems.push(Problem::cell(
                r.row,
                label("manager"),
                m.clone(),
                format!("No person has employee number {m}, in this file or in Skillmap"),
            ));
            bad.insert(r.row);
            continue;
        }
        let (path, looped) = walk_up(&r.employee_number, m, &acyclic, &manager_of);
        match looped {
            Some(cycle) => {
                problems.push(Problem::cell(
                    r.row,
                    label("manager"),
                    m.clone(),
                    format!("Line managers form a loop: {}", cycle.join(" \u{2192} ")),
                ));
                bad.insert(r.row);
            }
            None if at_top(&path, &manager_of) => {
                acyclic.extend(path);
            }
            None => {}
        }
    }
    bad
}

/// Walks up the line managers from `start` (whose manager is `manager`);
/// returns the path walked and, if it came back to `start`, the loop. It
/// stops at anyone already known to lead to the top, so a long chain is
/// walked once, not once per person on it.
fn walk_up(
    start: &str,
    manager: &str,
    acyclic: &HashSet<String>,
    manager_of: &impl Fn(&str) -> Option<String>,
) -> (Vec<String>, Option<Vec<String>>) {
    let mut path = vec![start.to_string()];
    let mut at = Some(manager.to_string());
    let mut looped = None;
    while let Some(n) = at {
        if acyclic.contains(&n) {
            break;
        }
        if let Some(pos) = path.iter().position(|p| *p == n) {
            if pos == 0 {
                let mut cycle = path.clone();
                cycle.push(n);
                looped = Some(cycle);
            }
            break;
        }
        if path.len() > 100_000 {
            break;
        }
        path.push(n.clone());
        at = manager_of(&n);
    }
    (path, looped)
}

/// Whether each good row creates, updates or leaves its person as they are,
/// with the counts (new accounts included) the confirmation page shows.
fn plan_staff(
    rows: Vec<StaffRow>,
    bad: &HashSet<usize>,
    snapshot: &Snapshot,
) -> (Vec<(Action, StaffRow)>, Counts) {
    let mut counts = Counts::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if bad.contains(&r.row) {
            continue;
        }
        let action = match snapshot.people.get(&r.employee_number) {
            None => {
                if r.email.is_some() {
                    counts.new_accounts += 1;
                }
                Action::Create
            }
            Some(e) => {
                if r.email.is_some() && e.account.is_none() {
                    counts.new_accounts += 1;
                }
                if same_person(e, &r) {
                    Action::Unchanged
                } else {
                    Action::Update
                }
            }
        };
        tally(&mut counts, action);
        out.push((action, r));
    }
    (out, counts)
}

/// True when importing `r` would change nothing about `e`: an empty email
/// or app role in the file keeps what is there, so it is no change.
fn same_person(e: &PersonRecord, r: &StaffRow) -> bool {
    let account_same = match (&r.email, &e.account) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(em), Some(a)) => *em == a.email && r.app_role.is_none_or(|x| x == a.role),
    };
    e.given_name == r.given_name
        && e.family_name == r.family_name
        && r.email.as_ref().is_none_or(|m| e.email.as_ref() == Some(m))
        && e.org == r.org
        && e.role == r.role
        && e.manager == r.manager
        && e.staff_group == r.staff_group
        && e.band == r.band
        && account_same
}

/// True when the walk ended at someone with no manager (not cut short).
fn at_top(path: &[String], manager_of: &impl Fn(&str) -> Option<String>) -> bool {
    path.last().is_some_and(|last| manager_of(last).is_none())
}

/// "Patel, Asha" or "Asha Patel" -> ("Asha", "Patel").
pub fn split_name(full: &str) -> Option<(String, String)> {
    if let Some((family, given)) = full.split_once(',') {
        let (g, f) = (given.trim(), family.trim());
        return (!g.is_empty() && !f.is_empty()).then(|| (g.to_string(), f.to_string()));
    }
    let full = full.trim();
    let (given, family) = full.rsplit_once(char::is_whitespace)?;
    let (g, f) = (given.trim(), family.trim());
    (!g.is_empty() && !f.is_empty()).then(|| (g.to_string(), f.to_string()))
}

/// New people in an order where everyone's line manager comes first.
pub fn managers_first<'a>(rows: &[&'a StaffRow], snapshot: &Snapshot) -> Vec<&'a StaffRow> {
    let in_file: HashMap<&str, &StaffRow> = rows
        .iter()
        .map(|r| (r.employee_number.as_str(), *r))
        .collect();
    let mut depth: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for r in rows {
        let mut chain = vec![r.employee_number.as_str()];
        let mut base = 0;
        while let Some(last) = chain.last().copied() {
            if let Some(d) = depth.get(last) {
                base = *d + 1;
                chain.pop();
                break;
            }
            match in_file.get(last).and_then(|p| p.manager.as_deref()) {
                Some(m) if in_file.contains_key(m) && !snapshot.people.contains_key(m) => {
                    if chain.contains(&m) {
                        break;
                    }
                    chain.push(m);
                }
                _ => break,
            }
        }
        for (i, n) in chain.iter().rev().enumerate() {
            depth.insert(n, base + i);
        }
    }
    let mut out: Vec<&StaffRow> = rows.to_vec();
    out.sort_by_key(|r| depth.get(r.employee_number.as_str()).copied().unwrap_or(0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        crate::kernel::table::read(text.as_bytes(), "t.csv", Default::default()).unwrap()
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.orgs.insert(
            "TRUST".into(),
            OrgRecord {
                id: 1,
                name: "The Trust".into(),
                parent: None,
                kind: "trust".into(),
            },
        );
        s.orgs.insert(
            "T1".into(),
            OrgRecord {
                id: 2,
                name: "Ward 1".into(),
                parent: Some("TRUST".into()),
                kind: "team".into(),
            },
        );
        for code in ["DIG-FOUND", "DAT-VIS"] {
            s.skills.insert(code.into());
        }
        s.roles.insert(
            "NUR-RN5".into(),
            RoleRecord {
                id: 1,
                title: "Staff Nurse".into(),
                staff_group: "Nursing and Midwifery Registered".into(),
                band: "Band 5".into(),
                requirements: BTreeMap::from([("DIG-FOUND".to_string(), (2, true))]),
            },
        );
        s.people.insert(
            "100".into(),
            PersonRecord {
                id: 1,
                given_name: "Ann".into(),
                family_name: "Lead".into(),
                email: Some("ann@x.nhs.uk".into()),
                org: "T1".into(),
                role: None,
                manager: None,
                staff_group: "Administrative and Clerical".into(),
                band: "Band 8a".into(),
                account: Some(AccountRecord {
                    id: 1,
                    email: "ann@x.nhs.uk".into(),
                    role: Role::Manager,
                }),
            },
        );
        s.account_emails
            .insert("ann@x.nhs.uk".into(), Some("100".into()));
        s.account_emails.insert("admin@x.nhs.uk".into(), None);
        s
    }

    const HR: Importer = Importer { is_admin: false };
    const STAFF_HEAD: &str = "Assignment Number,Forename,Surname,Email,Org unit code,Job role,Line manager,Staff group,Pay band,Skillmap role\n";

    fn staff(rows: &str) -> Plan {
        check(
            Kind::Staff,
            &table(&format!("{STAFF_HEAD}{rows}")),
            &snapshot(),
            HR,
        )
    }

    fn messages(plan: &Plan) -> Vec<String> {
        plan.problems.iter().map(Problem::describe).collect()
    }

    #[test]
    fn staff_rows_create_update_or_stay() {
        let plan = staff(
            "100,Ann,Lead,ann@x.nhs.uk,t1,,,Administrative and Clerical,8a,\n\
             101,Bob,Nurse,BOB@x.nhs.uk,T1,Staff Nurse,100,nursing and midwifery registered,5,staff\n\
             102,Cy,Nurse,,T1,NUR-RN5,101,Nursing and Midwifery Registered,Band 5,\n",
        );
        assert!(!plan.has_errors(), "{:?}", messages(&plan));
        assert_eq!(
            (
                plan.counts.create,
                plan.counts.update,
                plan.counts.unchanged
            ),
            (2, 0, 1)
        );
        assert_eq!(plan.counts.new_accounts, 1);
        let Rows::Staff(rows) = &plan.rows else {
            panic!()
        };
        assert_eq!(rows[1].1.email.as_deref(), Some("bob@x.nhs.uk"));
        assert_eq!(rows[1].1.role.as_deref(), Some("NUR-RN5"));
        let news: Vec<&StaffRow> = rows.iter().rev().map(|(_, r)| r).collect();
        let order: Vec<&str> = managers_first(&news, &snapshot())
            .iter()
            .map(|r| r.employee_number.as_str())
            .collect();
        // 102 reports to 101, a new person: 101 is written first.
        assert_eq!(order, ["101", "100", "102"]);
        let plan = staff("100,Ann,Leader,,T1,,,Administrative and Clerical,8a,\n");
        assert_eq!(plan.counts.update, 1);
    }

    #[test]
    fn staff_problems_name_row_column_and_value() {
        let plan = staff(
            "200,Di,One,di@x,T1,,,Administrative and Clerical,Band 5,\n\
             200,Ed,Two,ann@x.nhs.uk,T9,NOPE,999,Nurses,Band 10,boss\n\
             201,Flo,Three,,T1,,201,Administrative and Clerical,5,admin\n",
        );
        let m = messages(&plan);
        let expect = [
            "Row 2, Email \u{201c}di@x\u{201d}: Enter an email address",
            "Row 3, Org unit code \u{201c}T9\u{201d}: No organisation unit has code T9",
            "Row 3, Job role code \u{201c}NOPE\u{201d}: No job role has code or title",
            "Row 3, Staff group \u{201c}Nurses\u{201d}: Use one of the NHS staff groups",
            "Row 3, Band \u{201c}Band 10\u{201d}: Use a band or grade",
            "Row 3, Skillmap role \u{201c}boss\u{201d}: Use staff, manager, hr or admin",
            "Row 3, Employee number \u{201c}200\u{201d}: Employee number 200 is already on row 2",
            "Row 3, Email \u{201c}ann@x.nhs.uk\u{201d}: Another account already uses this email",
            "Row 4, Line manager employee number \u{201c}201\u{201d}: A person cannot be their own line manager",
            "Row 4, Skillmap role \u{201c}admin\u{201d}: Only an administrator can give",
        ];
        for e in expect {
            assert!(
                m.iter().any(|x| x.starts_with(e)),
                "missing {e:?} in {m:#?}"
            );
        }
        assert_eq!(plan.counts.errors, expect.len(), "{m:#?}");
    }

    #[test]
    fn manager_loops_through_the_file_and_the_database() {
        let plan = staff(
            "300,A,A,,T1,,301,Administrative and Clerical,5,\n\
             301,B,B,,T1,,302,Administrative and Clerical,5,\n\
             302,C,C,,T1,,300,Administrative and Clerical,5,\n\
             303,D,D,,T1,,404,Administrative and Clerical,5,\n\
             100,Ann,Lead,,T1,,303,Administrative and Clerical,8a,\n",
        );
        let m = messages(&plan);
        assert!(
            m.iter()
                .any(|x| x.contains("loop: 300 \u{2192} 301 \u{2192} 302 \u{2192} 300")),
            "{m:#?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("No person has employee number 404"))
        );
        assert_eq!(plan.counts.errors, 4, "{m:#?}");
    }

    #[test]
    fn missing_and_unknown_columns() {
        let plan = check(
            Kind::Staff,
            &table("Employee number,Shoe size\n1,9\n"),
            &snapshot(),
            HR,
        );
        let m = messages(&plan);
        assert!(
            m.iter()
                .any(|x| x.contains("no \u{201c}Org unit code\u{201d} column"))
        );
        assert!(m.iter().any(|x| x.contains("First name")));
        let warning = plan.problems.iter().find(|p| p.warning).unwrap();
        assert!(warning.message.contains("Shoe size"));
        assert_eq!(plan.counts.warnings, 1);
    }

    #[test]
    fn org_tree_rules() {
        let plan = check(
            Kind::Org,
            &table(
                "Code,Name,Parent code\n\
                 d1,Medicine,TRUST\n\
                 D1-T1,Ward A,D1\n\
                 T1,Ward 1,TRUST\n\
                 X1,Loop A,X2\n\
                 X2,Loop B,X1\n\
                 Y1,Orphan,NOWHERE\n\
                 D1,Again,TRUST\n",
            ),
            &snapshot(),
            HR,
        );
        let m = messages(&plan);
        assert!(
            m.iter()
                .any(|x| x.contains("loop: X1 \u{2192} X2 \u{2192} X1")),
            "{m:#?}"
        );
        assert!(m.iter().any(|x| x.contains("No unit has code NOWHERE")));
        assert!(m.iter().any(|x| {
            x.starts_with("Row 8, Code \u{201c}D1\u{201d}: Code D1 is already used on row 2")
        }));
        let Rows::Org(rows) = &plan.rows else {
            panic!()
        };
        let kinds: Vec<(&str, &str, Action)> = rows
            .iter()
            .map(|(a, r)| (r.code.as_str(), r.kind.as_str(), *a))
            .collect();
        assert_eq!(
            kinds,
            [
                ("D1", "directorate", Action::Create),
                ("D1-T1", "team", Action::Create),
                ("T1", "team", Action::Unchanged),
            ]
        );
    }

    #[test]
    fn roles_long_and_wide() {
        let long = check(
            Kind::Roles,
            &table(
                "Role code,Position Title,Staff group,Pay band,Skill code,Required level,Essential or desirable\n\
                 NUR-RN5,Staff Nurse,Nursing and Midwifery Registered,Band 5,DIG-FOUND,2,essential\n\
                 ana-1,Analyst,Administrative and Clerical,6,DIG-FOUND,Working,\n\
                 ANA-1,Analyst,Administrative and Clerical,6,dat-vis,3,desirable\n\
                 ANA-2,Analyst,Administrative and Clerical,6,DAT-VIS,5,\n\
                 ANA-3,Analyst,Administrative and Clerical,6,NOPE,1,\n",
            ),
            &snapshot(),
            HR,
        );
        let m = messages(&long);
        assert_eq!(long.counts.errors, 2, "{m:#?}");
        assert!(m.iter().any(|x| {
            x.starts_with("Row 5, Required level \u{201c}5\u{201d}: Use a level from 1 to 4")
        }));
        assert!(m.iter().any(|x| x.contains("No skill has code NOPE")));
        let Rows::Roles(rows) = &long.rows else {
            panic!()
        };
        assert_eq!(rows[0].0, Action::Unchanged);
        assert_eq!(
            rows[1].1.requirements,
            Some(BTreeMap::from([
                ("DIG-FOUND".to_string(), (2, true)),
                ("DAT-VIS".to_string(), (3, false))
            ]))
        );
        let wide = check(
            Kind::Roles,
            &table(
                "Role code,Title,Staff group,Band,DIG-FOUND,DAT-VIS\n\
                 NUR-RN5,Staff Nurse,Nursing and Midwifery Registered,Band 5,3,2d\n\
                 ANA-1,Analyst,Administrative and Clerical,Band 6,,9\n",
            ),
            &snapshot(),
            HR,
        );
        let m = messages(&wide);
        assert_eq!(wide.counts.errors, 1, "{m:#?}");
        assert!(
            m[0].starts_with("Row 3, DAT-VIS \u{201c}9\u{201d}"),
            "{m:#?}"
        );
        let Rows::Roles(rows) = &wide.rows else {
            panic!()
        };
        assert_eq!(rows[0].0, Action::Update);
        assert_eq!(
            rows[0].1.requirements,
            Some(BTreeMap::from([
                ("DIG-FOUND".to_string(), (3, true)),
                ("DAT-VIS".to_string(), (2, false))
            ]))
        );
    }

    /// Codes and employee numbers are unique in the whole system: a row
    /// that would create one another organisation uses is an error on that
    /// row and field, which says it is taken and nothing of whose it is.
    #[test]
    fn codes_and_numbers_of_other_organisations_are_refused() {
        let mut s = snapshot();
        s.units_elsewhere.insert("RXX-D1".into());
        s.roles_elsewhere.insert("RXX-R1".into());
        s.numbers_elsewhere.insert("900".into());
        // Another organisation's person's account: the email is taken.
        s.account_emails.insert("zed@other.nhs.uk".into(), None);
        let org = check(
            Kind::Org,
            &table("Code,Name,Parent code\nrxx-d1,Medicine,TRUST\nD2,Surgery,TRUST\n"),
            &s,
            HR,
        );
        assert_eq!(
            messages(&org),
            [
                "Row 2, Code \u{201c}rxx-d1\u{201d}: Unit code RXX-D1 is already used by another organisation in this system"
            ]
        );
        let roles = check(
            Kind::Roles,
            &table(
                "Role code,Position Title,Staff group,Pay band,Skill code,Required level,Essential or desirable\n\
                 RXX-R1,Analyst,Administrative and Clerical,6,DIG-FOUND,2,essential\n\
                 RXX-R1,Analyst,Administrative and Clerical,6,DAT-VIS,3,desirable\n",
            ),
            &s,
            HR,
        );
        let m = messages(&roles);
        assert_eq!(roles.counts.errors, 1, "{m:#?}");
        assert!(
            m[0].starts_with(
                "Row 2, Role code \u{201c}RXX-R1\u{201d}: Role code RXX-R1 is already used by another organisation"
            ),
            "{m:#?}"
        );
        let Rows::Roles(rows) = &roles.rows else {
            panic!()
        };
        assert!(rows.is_empty(), "{rows:?}");
        let people = check(
            Kind::Staff,
            &table(&format!(
                "{STAFF_HEAD}900,Yan,New,,T1,,,Administrative and Clerical,5,\n\
                 901,Zed,New,zed@other.nhs.uk,T1,,,Administrative and Clerical,5,\n"
            )),
            &s,
            HR,
        );
        let m = messages(&people);
        assert_eq!(
            m,
            [
                "Row 2, Employee number \u{201c}900\u{201d}: Employee number 900 is already used by another organisation in this system",
                "Row 3, Email \u{201c}zed@other.nhs.uk\u{201d}: Another account already uses this email address",
            ]
        );
    }

    #[test]
    fn small_parsers() {
        assert_eq!(normalise_band("8A"), Some("Band 8a"));
        assert_eq!(normalise_band("AfC Band 5"), Some("Band 5"));
        assert_eq!(normalise_band("b7"), Some("Band 7"));
        assert_eq!(normalise_band("consultant"), Some("Consultant"));
        assert_eq!(normalise_band("Band 10"), None);
        assert_eq!(parse_level("Pr"), Some(3));
        assert_eq!(parse_level("0"), None);
        assert_eq!(parse_wide_cell("3 (desirable)"), Some((3, false)));
        assert_eq!(parse_wide_cell("2D"), Some((2, false)));
        assert_eq!(parse_wide_cell("Expert"), Some((4, true)));
        assert_eq!(
            split_name("Patel, Asha"),
            Some(("Asha".into(), "Patel".into()))
        );
        assert_eq!(
            split_name("Mary Ann Smith"),
            Some(("Mary Ann".into(), "Smith".into()))
        );
        assert_eq!(split_name("Cher"), None);
        assert!(template(Kind::Staff).starts_with("Employee number,First name,Last name,Email"));
    }
}
