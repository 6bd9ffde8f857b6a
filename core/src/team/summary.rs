//! Keeps the capability summaries (see the capability_summary migration) up
//! to date. Every write that changes an assessment, a person's unit or role,
//! or a role's requirements calls one of these in its own transaction, so a
//! summary is never out of step with what it summarises.
//!
//! - `refresh_assessment`: one person and one skill (a save or an
//!   agreement): that unit and skill only.
//! - `refresh_units`: every skill of some units (role requirement edits).
//! - `unit_head_count` moves with `person_capability`: a save that changes
//!   someone's standing moves their counts (`apply_change`), and every
//!   recount of people's capability recounts their units' heads.
//! - `rebuild`: everything but the past months of the trend (imports,
//!   framework publishing, start-up on a database without summaries).
//! - `backfill_trend`: replays the assessment history into the monthly
//!   trend, once, when it is empty.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryTrait, Set, Statement, Value,
};

use super::model::{Digital, LEADER_LEVEL, Stage, stage};
use crate::entities::{
    assessment, org_unit, person, person_capability, role_requirement, unit_domain_month,
    unit_head_count, unit_skill_stat,
};
use crate::error::AppError;
use crate::framework::model::FrameworkView;
use crate::framework::read as framework;
use crate::kernel::db::{Deferred, id_filter};

/// Moves one assessment's counts in its unit's row (`apply_change`).
const MOVE_STAT: &str = "UPDATE unit_skill_stat SET assessed = assessed + ?, agreed = agreed + ?, \
                         meeting = meeting + ?, l0 = l0 + ?, l1 = l1 + ?, l2 = l2 + ?, \
                         l3 = l3 + ?, l4 = l4 + ? WHERE org_unit_id = ? AND skill_code = ?";

/// The level that counts, as SQL (see `model::current_level`).
const CURRENT: &str = "(CASE WHEN a.status = 'agreed' AND a.agreed_level IS NOT NULL \
                       THEN a.agreed_level ELSE a.self_level END)";
/// How far back the trend replays history.
const TREND_MONTHS: i32 = 24;

fn stmt(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(
        backend,
        crate::kernel::db::placeholders(backend, sql),
        values,
    )
}

fn month_of(at: chrono::DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// The current month, as the trend table keys it.
pub fn this_month() -> String {
    month_of(Utc::now())
}

/// Inserts rows 500 at a time (within the bind-parameter limits of both
/// engines).
async fn insert_chunks<A>(db: &impl ConnectionTrait, rows: &[A]) -> Result<(), AppError>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
{
    for chunk in rows.chunks(500) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Ids 500 at a time (each chunk one `IN` list within both engines'
/// limits), or one pass over everyone for `None`.
fn in_chunks(ids: Option<&[i32]>) -> Vec<Option<&[i32]>> {
    match ids {
        Some(ids) => ids.chunks(500).map(Some).collect(),
        None => vec![None],
    }
}

/// Counts per (unit, skill) over the units' own members.
async fn unit_stats(
    db: &impl ConnectionTrait,
    units: Option<&[i32]>,
    skill: Option<&str>,
) -> Result<Vec<unit_skill_stat::ActiveModel>, AppError> {
    let backend = db.get_database_backend();
    let skill_filter = if skill.is_some() {
        "a.skill_code = ?"
    } else {
        "1 = 1"
    };
    let values: Vec<Value> = skill.map(|s| s.into()).into_iter().collect();
    let assessed = db
        .query_all_raw(stmt(
            backend,
            &format!(
                "SELECT p.org_unit_id AS unit, a.skill_code AS skill, \
                 CAST({CURRENT} AS INTEGER) AS level, \
                 CAST(SUM(CASE WHEN a.status = 'agreed' THEN 1 ELSE 0 END) AS INTEGER) AS agreed, \
                 CAST(COUNT(*) AS INTEGER) AS n \
                 FROM assessment a JOIN person p ON p.id = a.person_id \
                 WHERE {} AND {skill_filter} \
                 GROUP BY p.org_unit_id, a.skill_code, {CURRENT}",
                id_filter("p.org_unit_id", units)
            ),
            values.clone(),
        ))
        .await?;
    let skill_filter = skill_filter.replace("a.skill_code", "r.skill_code");
    let required = db
        .query_all_raw(stmt(
            backend,
            &format!(
                "SELECT p.org_unit_id AS unit, r.skill_code AS skill, \
                 CAST(COUNT(*) AS INTEGER) AS required, \
                 CAST(SUM(CASE WHEN {CURRENT} >= r.level THEN 1 ELSE 0 END) AS INTEGER) AS meeting \
                 FROM person p JOIN role_requirement r ON r.job_role_id = p.job_role_id \
                 LEFT JOIN assessment a ON a.person_id = p.id AND a.skill_code = r.skill_code \
                 WHERE r.level > 0 AND {} AND {skill_filter} \
                 GROUP BY p.org_unit_id, r.skill_code",
                id_filter("p.org_unit_id", units)
            ),
            values,
        ))
        .await?;
    #[derive(Default)]
    struct Acc {
        levels: [i32; 5],
        agreed: i32,
        required: i32,
        meeting: i32,
    }
    let mut acc: BTreeMap<(i32, String), Acc> = BTreeMap::new();
    for r in assessed {
        let unit: i32 = r.try_get("", "unit")?;
        let skill: String = r.try_get("", "skill")?;
        let level: i32 = r.try_get("", "level")?;
        let agreed: i32 = r.try_get("", "agreed")?;
        let n: i32 = r.try_get("", "n")?;
        let row = acc.entry((unit, skill)).or_default();
        row.agreed += agreed;
        row.levels[level.clamp(0, 4) as usize] += n;
    }
    for r in required {
        let unit: i32 = r.try_get("", "unit")?;
        let skill: String = r.try_get("", "skill")?;
        let row = acc.entry((unit, skill)).or_default();
        row.required = r.try_get("", "required")?;
        row.meeting = r.try_get::<Option<i32>>("", "meeting")?.unwrap_or(0);
    }
    let out = acc
        .into_iter()
        .map(|((unit, skill), a)| unit_skill_stat::ActiveModel {
            org_unit_id: Set(unit),
            skill_code: Set(skill),
            assessed: Set(a.levels.iter().sum()),
            agreed: Set(a.agreed),
            required: Set(a.required),
            meeting: Set(a.meeting),
            l0: Set(a.levels[0]),
            l1: Set(a.levels[1]),
            l2: Set(a.levels[2]),
            l3: Set(a.levels[3]),
            l4: Set(a.levels[4]),
        })
        .collect();
    Ok(out)
}

async fn write_stats(
    db: &impl ConnectionTrait,
    units: Option<&[i32]>,
    skill: Option<&str>,
) -> Result<(), AppError> {
    let rows = unit_stats(db, units, skill).await?;
    let mut delete = unit_skill_stat::Entity::delete_many();
    if let Some(units) = units {
        delete = delete.filter(unit_skill_stat::Column::OrgUnitId.is_in(units.to_vec()));
    }
    if let Some(skill) = skill {
        delete = delete.filter(unit_skill_stat::Column::SkillCode.eq(skill));
    }
    delete.exec(db).await?;
    insert_chunks(db, &rows).await?;
    Ok(())
}

/// One assessment packed as `<own><agreed><status><code>`, e.g.
/// `32agreedDAT-VIS` or `1-pendingDIG-FOUND` (levels are one digit,
/// statuses lower case, codes upper case, digits, `-` and `_`, and none
/// holds a comma), joined by commas: a person's row in `team_cells`, which
/// `team::service::unpack` reads back. Returns the statement that inserts
/// the rows of the people `filter` (on `a`, the assessment) selects.
fn insert_cells(backend: DatabaseBackend, filter: &str) -> String {
    let packed = match backend {
        DatabaseBackend::Postgres => {
            "string_agg(CAST(a.self_level AS TEXT) || \
             COALESCE(CAST(a.agreed_level AS TEXT), '-') || a.status || a.skill_code, ',')"
        }
        // SQLite turns the numbers into text itself.
        _ => {
            "group_concat(a.self_level || IFNULL(a.agreed_level, '-') || a.status || a.skill_code)"
        }
    };
    format!(
        "INSERT INTO team_cells (person_id, cells) SELECT a.person_id, {packed} \
         FROM assessment a WHERE {filter} GROUP BY a.person_id"
    )
}

/// Repacks these people's assessments into `team_cells` (everyone's when
/// `None`). For one person it reads their 27 entries of the covering
/// assessment index.
async fn write_cells(db: &impl ConnectionTrait, people: Option<&[i32]>) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let chunks = in_chunks(people);
    for chunk in chunks {
        db.execute_raw(stmt(
            backend,
            &format!(
                "DELETE FROM team_cells WHERE {}",
                id_filter("person_id", chunk)
            ),
            vec![],
        ))
        .await?;
        db.execute_raw(stmt(
            backend,
            &insert_cells(backend, &id_filter("a.person_id", chunk)),
            vec![],
        ))
        .await?;
    }
    Ok(())
}

/// Recomputes the pipeline and inclusion inputs of these people (all when
/// `None`).
async fn write_capability(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    people: Option<&[i32]>,
) -> Result<(), AppError> {
    match people {
        Some(ids) => {
            for chunk in ids.chunks(500) {
                person_capability::Entity::delete_many()
                    .filter(person_capability::Column::PersonId.is_in(chunk.to_vec()))
                    .exec(db)
                    .await?;
            }
        }
        None => {
            person_capability::Entity::delete_many().exec(db).await?;
        }
    }
    let chunks = in_chunks(people);
    for chunk in chunks {
        let models = capability_of(db, fw, chunk).await?;
        insert_chunks(db, &models).await?;
    }
    Ok(())
}

/// The pipeline and inclusion inputs of these people (all when `None`), as
/// `person_capability` rows, computed from their assessments and interests.
async fn capability_of(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    chunk: Option<&[i32]>,
) -> Result<Vec<person_capability::ActiveModel>, AppError> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(stmt(
            backend,
            &format!(
                "SELECT a.person_id AS person, s.domain_id AS domain, \
                 CAST(MAX(CASE WHEN a.status = 'agreed' AND a.agreed_level IS NOT NULL \
                 THEN a.agreed_level ELSE 0 END) AS INTEGER) AS best, \
                 CAST(MIN(CASE WHEN s.foundation THEN {CURRENT} ELSE NULL END) AS INTEGER) AS lowest, \
                 p.org_unit_id AS unit, p.staff_group AS staff_group, p.band AS band \
                 FROM assessment a JOIN skill s ON s.code = a.skill_code AND s.framework_id = ? \
                 JOIN person p ON p.id = a.person_id \
                 WHERE {} GROUP BY a.person_id, s.domain_id, p.org_unit_id, p.staff_group, p.band",
                id_filter("a.person_id", chunk)
            ),
            vec![fw.id.into()],
        ))
        .await?;
    // person -> (domains led, lowest foundation level)
    let mut folded: BTreeMap<i32, (i16, Option<i32>)> = BTreeMap::new();
    // person -> (unit, staff group, band)
    let mut who: HashMap<i32, (i32, String, String)> = HashMap::new();
    let mut led: BTreeSet<(i32, i32)> = BTreeSet::new();
    for r in rows {
        let person: i32 = r.try_get("", "person")?;
        let domain: i32 = r.try_get("", "domain")?;
        let best: i32 = r.try_get("", "best")?;
        let lowest: Option<i32> = r.try_get("", "lowest")?;
        if let std::collections::hash_map::Entry::Vacant(e) = who.entry(person) {
            e.insert((
                r.try_get("", "unit")?,
                r.try_get("", "staff_group")?,
                r.try_get("", "band")?,
            ));
        }
        let entry = folded.entry(person).or_insert((0, None));
        if best >= i32::from(LEADER_LEVEL) {
            entry.0 += 1;
            led.insert((person, domain));
        }
        entry.1 = match (entry.1, lowest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    // One domain short, and wanting to develop a skill of a domain
    // they do not lead yet.
    let domains = fw.domains.len() as i16;
    let mut interest_short: BTreeSet<i32> = BTreeSet::new();
    if domains > 0 && folded.values().any(|(lead, _)| *lead + 1 == domains) {
        let wants = db
            .query_all_raw(stmt(
                backend,
                &format!(
                    "SELECT i.person_id AS person, s.domain_id AS domain \
                     FROM skill_interest i JOIN skill s ON s.code = i.skill_code \
                     AND s.framework_id = ? WHERE i.develop AND {}",
                    id_filter("i.person_id", chunk)
                ),
                vec![fw.id.into()],
            ))
            .await?;
        for r in wants {
            let person: i32 = r.try_get("", "person")?;
            let domain: i32 = r.try_get("", "domain")?;
            if folded
                .get(&person)
                .is_some_and(|(lead, _)| *lead + 1 == domains)
                && !led.contains(&(person, domain))
            {
                interest_short.insert(person);
            }
        }
    }
    Ok(folded
        .into_iter()
        .map(|(person, (lead, lowest))| {
            let (unit, staff_group, band) = who.remove(&person).unwrap_or_default();
            person_capability::ActiveModel {
                person_id: Set(person),
                org_unit_id: Set(unit),
                staff_group: Set(staff_group),
                band: Set(band),
                lead_domains: Set(lead),
                digital: Set(Digital::from_lowest(lowest.map(|l| l.clamp(0, 4) as u8))
                    .as_str()
                    .into()),
                interest_short: Set(interest_short.contains(&person)),
            }
        })
        .collect())
}

/// Where a person with this capability row stands in their unit's head
/// counts: leaders, near, interested (near, and wanting to develop the
/// domain they are short in), below Working and at Working on the
/// foundation skills; each 0 or 1.
fn standing(lead_domains: i16, digital: &str, interest_short: bool, domains: usize) -> [i32; 5] {
    let st = stage(lead_domains.max(0) as u32, domains as u32);
    let digital = Digital::parse(digital);
    [
        i32::from(st == Stage::Leader),
        i32::from(st == Stage::Near),
        i32::from(st == Stage::Near && interest_short),
        i32::from(digital == Digital::Below),
        i32::from(digital == Digital::Working),
    ]
}

/// Recounts what is kept per unit of its people (all units when `None`):
/// the head counts and the review days. Who is in a unit changes both, so
/// every path that moves, adds or removes people recounts them together.
async fn recount_units(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    units: Option<&[i32]>,
) -> Result<(), AppError> {
    write_review_days(db, units).await?;
    write_heads(db, fw, units).await
}

/// Recounts the head counts of these units (all when `None`) from their
/// people and their capability rows, 500 units at a time.
async fn write_heads(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    units: Option<&[i32]>,
) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let chunks = in_chunks(units);
    for chunk in chunks {
        let which = id_filter("org_unit_id", chunk);
        db.execute_raw(stmt(
            backend,
            &format!("DELETE FROM unit_head_count WHERE {which}"),
            vec![],
        ))
        .await?;
        // (unit, staff group, band) -> people, then the five standings.
        let mut acc: BTreeMap<(i32, String, String), [i32; 6]> = BTreeMap::new();
        for r in db
            .query_all_raw(stmt(
                backend,
                &format!(
                    "SELECT org_unit_id AS unit, staff_group AS sg, band AS band, \
                     CAST(COUNT(*) AS INTEGER) AS n FROM person WHERE {which} \
                     GROUP BY org_unit_id, staff_group, band"
                ),
                vec![],
            ))
            .await?
        {
            let key = (
                r.try_get("", "unit")?,
                r.try_get("", "sg")?,
                r.try_get("", "band")?,
            );
            acc.entry(key).or_default()[0] += r.try_get::<i32>("", "n")?;
        }
        for r in db
            .query_all_raw(stmt(
                backend,
                &format!(
                    "SELECT org_unit_id AS unit, staff_group AS sg, band AS band, \
                     CAST(lead_domains AS INTEGER) AS lead, digital AS digital, \
                     CAST(SUM(CASE WHEN interest_short THEN 1 ELSE 0 END) AS INTEGER) AS keen, \
                     CAST(COUNT(*) AS INTEGER) AS n FROM person_capability WHERE {which} \
                     GROUP BY org_unit_id, staff_group, band, lead_domains, digital"
                ),
                vec![],
            ))
            .await?
        {
            let key = (
                r.try_get("", "unit")?,
                r.try_get("", "sg")?,
                r.try_get("", "band")?,
            );
            let n: i32 = r.try_get("", "n")?;
            let keen: i32 = r.try_get("", "keen")?;
            let lead: i32 = r.try_get("", "lead")?;
            let digital: String = r.try_get("", "digital")?;
            // Each standing counts the whole group; "interested" (near and
            // keen), only its keen ones.
            let [leaders, near, _, below, working] =
                standing(lead as i16, &digital, false, fw.domains.len());
            let row = acc.entry(key).or_default();
            for (sum, count) in row[1..].iter_mut().zip([
                n * leaders,
                n * near,
                keen * near,
                n * below,
                n * working,
            ]) {
                *sum += count;
            }
        }
        let rows: Vec<unit_head_count::ActiveModel> = acc
            .into_iter()
            .map(|((unit, sg, band), c)| unit_head_count::ActiveModel {
                org_unit_id: Set(unit),
                staff_group: Set(sg),
                band: Set(band),
                people: Set(c[0]),
                leaders: Set(c[1]),
                near: Set(c[2]),
                interested: Set(c[3]),
                below: Set(c[4]),
                working: Set(c[5]),
            })
            .collect();
        insert_chunks(db, &rows).await?;
    }
    Ok(())
}

/// Moves one person's head counts from the standing of their old
/// capability row (`None`: they had none) to their new one's: the
/// statement, to be sent after the rows it moves were seen to exist.
fn move_heads(
    backend: DatabaseBackend,
    fw: &FrameworkView,
    old: Option<&person_capability::Model>,
    new: Option<&person_capability::ActiveModel>,
    at: (i32, &str, &str),
) -> Option<Statement> {
    let domains = fw.domains.len();
    let before = old.map_or([0; 5], |c| {
        standing(c.lead_domains, &c.digital, c.interest_short, domains)
    });
    let after = new.map_or([0; 5], |c| {
        standing(
            *c.lead_domains.as_ref(),
            c.digital.as_ref(),
            *c.interest_short.as_ref(),
            domains,
        )
    });
    if before == after {
        return None;
    }
    let mut values: Vec<Value> = after
        .iter()
        .zip(before)
        .map(|(a, b)| Value::from(a - b))
        .collect();
    values.extend([at.0.into(), at.1.into(), at.2.into()]);
    Some(stmt(
        backend,
        "UPDATE unit_head_count SET leaders = leaders + ?, near = near + ?, \
         interested = interested + ?, below = below + ?, working = working + ? \
         WHERE org_unit_id = ? AND staff_group = ? AND band = ?",
        values,
    ))
}

/// The trend's domains: the shared framework's, then each organisation's
/// own (for that organisation's units alone), with the domain of every
/// skill of either (an own skill's code names one skill across the system,
/// so one map serves every unit).
struct TrendDomains {
    shared: Vec<String>,
    own: HashMap<i32, Vec<String>>,
    skill_domain: HashMap<String, String>,
}

impl TrendDomains {
    async fn load(db: &impl ConnectionTrait, fw: &FrameworkView) -> Result<Self, AppError> {
        let mut t = TrendDomains {
            shared: Vec::new(),
            own: HashMap::new(),
            skill_domain: HashMap::new(),
        };
        for d in &fw.domains {
            t.shared.push(d.code.clone());
            t.map(d);
        }
        for org in framework::organisations_with_own(db).await? {
            let view = framework::current_for(db, org).await?;
            for d in view.own.iter().flat_map(|o| &o.domains) {
                t.own.entry(org).or_default().push(d.code.clone());
                t.map(d);
            }
        }
        Ok(t)
    }

    fn map(&mut self, d: &crate::framework::model::DomainView) {
        for s in &d.skills {
            self.skill_domain.insert(s.code.clone(), d.code.clone());
        }
    }

    /// A unit's domains, its organisation's own after the shared.
    fn of(&self, org: i32) -> impl Iterator<Item = &String> {
        self.shared
            .iter()
            .chain(self.own.get(&org).into_iter().flatten())
    }

    /// Every domain, shared first.
    fn all(&self) -> Vec<String> {
        let mut orgs: Vec<&i32> = self.own.keys().collect();
        orgs.sort();
        let mut seen = HashSet::new();
        self.shared
            .iter()
            .chain(orgs.into_iter().flat_map(|o| &self.own[o]))
            .filter(|d| seen.insert(*d))
            .cloned()
            .collect()
    }
}

/// Writes this month's trend rows for these units (all when `None`) from
/// their skill counts.
async fn write_this_month(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    units: Option<&[i32]>,
) -> Result<(), AppError> {
    let month = this_month();
    let domains = TrendDomains::load(db, fw).await?;
    let mut find = unit_skill_stat::Entity::find();
    let mut delete = unit_domain_month::Entity::delete_many()
        .filter(unit_domain_month::Column::Month.eq(&month));
    // Each unit with its organisation (whose own domains it has rows for).
    let units: Vec<(i32, i32)> = match units {
        Some(units) => {
            find = find.filter(unit_skill_stat::Column::OrgUnitId.is_in(units.to_vec()));
            delete = delete.filter(unit_domain_month::Column::OrgUnitId.is_in(units.to_vec()));
            if domains.own.is_empty() {
                units.iter().map(|u| (*u, 0)).collect()
            } else {
                let mut found = Vec::new();
                for chunk in units.chunks(500) {
                    found.extend(
                        org_unit::Entity::find()
                            .filter(org_unit::Column::Id.is_in(chunk.to_vec()))
                            .all(db)
                            .await?
                            .into_iter()
                            .map(|u| (u.id, u.organisation_id)),
                    );
                }
                found
            }
        }
        None => org_unit::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.organisation_id))
            .collect(),
    };
    let mut sums: BTreeMap<(i32, &str), (i32, i32)> = BTreeMap::new();
    for (unit, org) in &units {
        for d in domains.of(*org) {
            sums.insert((*unit, d.as_str()), (0, 0));
        }
    }
    let stats = find.all(db).await?;
    for s in &stats {
        if let Some(d) = domains.skill_domain.get(&s.skill_code)
            && let Some(sum) = sums.get_mut(&(s.org_unit_id, d.as_str()))
        {
            sum.0 += s.required;
            sum.1 += s.meeting;
        }
    }
    delete.exec(db).await?;
    let rows: Vec<unit_domain_month::ActiveModel> = sums
        .into_iter()
        .map(
            |((unit, domain), (required, meeting))| unit_domain_month::ActiveModel {
                org_unit_id: Set(unit),
                month: Set(month.clone()),
                domain_code: Set(domain.to_string()),
                required: Set(required),
                meeting: Set(meeting),
            },
        )
        .collect();
    insert_chunks(db, &rows).await?;
    Ok(())
}

/// How a transaction holds its units' summary rows (PostgreSQL).
#[derive(Clone, Copy, PartialEq)]
enum Hold {
    /// It moves counts in rows that exist (`UPDATE ... SET n = n + 1`):
    /// any number of writers at once, each row's update waiting only for
    /// another update of that same row.
    Share,
    /// It rewrites the rows (delete, then insert): alone, and no one moving
    /// counts meanwhile.
    Exclusive,
}

/// Takes the units' summary rows in turn with other writers, for the rest
/// of the transaction. A recount rewrites the summaries (delete, then
/// insert), and on PostgreSQL two transactions recounting one unit at once
/// could both insert (the second's delete cannot see the first's new
/// rows), and a count moved meanwhile would be lost under the recount.
/// Locking the units' rows (in id order, so two writers cannot deadlock)
/// makes a recount wait for, and hold up, every other writer of the unit:
/// `FOR NO KEY UPDATE` (people being added to a unit do not wait). Moving
/// counts takes `FOR SHARE`, which holds up a recount but not another
/// save: before, every save of a unit took the unit whole, so the people
/// of one team saving at once went one at a time (each holding the unit
/// through its commit). SQLite needs nothing: its writers already take
/// turns (`kernel::begin_write`).
/// The day (UTC, `YYYY-MM-DD`) a person's review cycle starts, as SQL over
/// `review_base b`: their last review, or else their first assessment (as
/// `review_base::base_of` reads one row); NULL for neither. SQLite keeps
/// the times as RFC 3339 text in UTC (every writer binds a
/// `DateTime<Utc>`: `note_base`, and the rebuild copying the history's
/// times), so the day is its first ten characters.
fn base_day_sql(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => {
            "to_char(COALESCE(b.last_review_at, b.first_assessed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        _ => "substr(COALESCE(b.last_review_at, b.first_assessed_at), 1, 10)",
    }
}

/// Recounts `unit_review_day` for these units (all when `None`): their
/// people by the day their review cycle starts ('' for not started).
pub(crate) async fn write_review_days(
    db: &impl ConnectionTrait,
    units: Option<&[i32]>,
) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let day = base_day_sql(backend);
    for chunk in in_chunks(units) {
        db.execute_raw(stmt(
            backend,
            &format!(
                "DELETE FROM unit_review_day WHERE {}",
                id_filter("org_unit_id", chunk)
            ),
            vec![],
        ))
        .await?;
        db.execute_raw(stmt(
            backend,
            &format!(
                "INSERT INTO unit_review_day (org_unit_id, day, n) \
                 SELECT p.org_unit_id, COALESCE({day}, ''), COUNT(*) \
                 FROM person p LEFT JOIN review_base b ON b.person_id = p.id WHERE {} \
                 GROUP BY p.org_unit_id, COALESCE({day}, '')",
                id_filter("p.org_unit_id", chunk)
            ),
            vec![],
        ))
        .await?;
    }
    Ok(())
}

/// After a person's review cycle start moved from `from` to `to` (None: not
/// started), in the same transaction: moves them between their unit's day
/// rows, or recounts the unit where the row they leave is missing.
pub(crate) async fn move_review_day(
    db: &impl ConnectionTrait,
    person_id: i32,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(), AppError> {
    if from == to {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let day = |d: Option<chrono::NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let (from, to) = (day(from), day(to));
    let Some(row) = db
        .query_one_raw(stmt(
            backend,
            "SELECT p.org_unit_id AS unit, \
             (SELECT COUNT(*) FROM unit_review_day d WHERE d.org_unit_id = p.org_unit_id \
              AND d.day = ? AND d.n > 0) AS seen \
             FROM person p WHERE p.id = ?",
            vec![from.clone().into(), person_id.into()],
        ))
        .await?
    else {
        return Ok(());
    };
    let unit: i32 = row.try_get("", "unit")?;
    let seen: i64 = row.try_get("", "seen")?;
    let units = [unit];
    if seen == 0 {
        // Not counted where they were: recount the unit, alone.
        lock_units(db, Some(&units), Hold::Exclusive).await?;
        return write_review_days(db, Some(&units)).await;
    }
    lock_units(db, Some(&units), Hold::Share).await?;
    for (sql, values) in [
        (
            "UPDATE unit_review_day SET n = n - 1 WHERE org_unit_id = ? AND day = ?",
            vec![unit.into(), from.clone().into()],
        ),
        (
            "DELETE FROM unit_review_day WHERE org_unit_id = ? AND day = ? AND n <= 0",
            vec![unit.into(), from.into()],
        ),
        (
            "INSERT INTO unit_review_day (org_unit_id, day, n) VALUES (?, ?, 1) \
             ON CONFLICT (org_unit_id, day) DO UPDATE SET n = unit_review_day.n + 1",
            vec![unit.into(), to.into()],
        ),
    ] {
        db.execute_raw(stmt(backend, sql, values)).await?;
    }
    Ok(())
}

async fn lock_units(
    db: &impl ConnectionTrait,
    units: Option<&[i32]>,
    hold: Hold,
) -> Result<(), AppError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    if units.is_some_and(|u| u.is_empty()) {
        return Ok(());
    }
    let which = id_filter("id", units);
    let mode = match hold {
        Hold::Share => "SHARE",
        Hold::Exclusive => "NO KEY UPDATE",
    };
    db.query_all_raw(Statement::from_string(
        DatabaseBackend::Postgres,
        format!("SELECT id FROM org_unit WHERE {which} ORDER BY id FOR {mode}"),
    ))
    .await?;
    Ok(())
}

/// One assessment as the summaries count it.
#[derive(Clone, Copy, PartialEq)]
struct Counted {
    /// The level that counts (`CURRENT`).
    level: i32,
    /// Status "agreed" (`unit_skill_stat.agreed`).
    agreed: bool,
    /// The agreed level once agreed, else 0 (`person_capability`'s leaders).
    best: i32,
}

impl Counted {
    fn of(a: &assessment::Model) -> Self {
        let agreed = a.status == "agreed";
        let agreed_level = a.agreed_level.filter(|_| agreed).map(i32::from);
        Counted {
            level: agreed_level.unwrap_or(i32::from(a.self_level)),
            agreed,
            best: agreed_level.unwrap_or(0),
        }
    }

    fn bucket(self) -> usize {
        self.level.clamp(0, 4) as usize
    }
}

/// After one person's assessment of one skill changed from `old` (`None`
/// when it is new) to `new`, in the same transaction. Instead of recounting
/// the unit (`refresh_assessment`), it moves this one assessment's counts:
/// a save costs a few single-row updates. Where a row it would move does
/// not exist yet (the unit's first assessment of the skill, the month's
/// first write), it recounts that unit as before.
///
/// The writes whose answers it does not read go in `batch` (on SQLite,
/// sent together by the caller's `flush`, after anything else it writes):
/// the rows kept per person, and on SQLite the unit's counts, whose rows
/// it has just seen in this same turn (SQLite has one writer), so that a
/// save's turn is five round trips to the database rather than twelve.
pub(crate) async fn apply_change<C: ConnectionTrait>(
    batch: &mut Deferred<'_, C>,
    fw: &FrameworkView,
    old: Option<&assessment::Model>,
    new: &assessment::Model,
) -> Result<(), AppError> {
    let db = batch.db();
    let backend = db.get_database_backend();
    // The person's organisation's own domains too (`fw` is theirs).
    let domain = fw
        .domains
        .iter()
        .chain(fw.own.iter().flat_map(|o| &o.domains))
        .find(|d| d.skills.iter().any(|s| s.code == new.skill_code))
        .map(|d| d.code.clone());
    let month = this_month();
    // The person's row is locked (PostgreSQL) so that two saves of one
    // person's skills take turns over the rows kept per person; the unit's
    // rows are counted to know whether this save can move counts or must
    // recount.
    let lock_person = if backend == DatabaseBackend::Postgres {
        " FOR NO KEY UPDATE OF p"
    } else {
        ""
    };
    let Some(row) = db
        .query_one_raw(stmt(
            backend,
            &format!(
                "SELECT p.org_unit_id AS unit, p.staff_group AS sg, p.band AS band, \
                 (SELECT CAST(MAX(r.level) AS INTEGER) FROM role_requirement r \
                  WHERE r.job_role_id = p.job_role_id AND r.skill_code = ? AND r.level > 0) AS required, \
                 (SELECT COUNT(*) FROM unit_skill_stat st \
                  WHERE st.org_unit_id = p.org_unit_id AND st.skill_code = ?) AS stats, \
                 (SELECT COUNT(*) FROM unit_domain_month m WHERE m.org_unit_id = p.org_unit_id \
                  AND m.month = ? AND m.domain_code = ?) AS months, \
                 (SELECT COUNT(*) FROM unit_head_count h WHERE h.org_unit_id = p.org_unit_id \
                  AND h.staff_group = p.staff_group AND h.band = p.band) AS heads \
                 FROM person p WHERE p.id = ?{lock_person}"
            ),
            vec![
                new.skill_code.clone().into(),
                new.skill_code.clone().into(),
                month.clone().into(),
                domain.clone().unwrap_or_default().into(),
                new.person_id.into(),
            ],
        ))
        .await?
    else {
        return Ok(());
    };
    let unit: i32 = row.try_get("", "unit")?;
    let required: Option<i32> = row.try_get("", "required")?;
    let stats: i64 = row.try_get("", "stats")?;
    let months: i64 = row.try_get("", "months")?;
    let heads: i64 = row.try_get("", "heads")?;
    let staff_group: String = row.try_get("", "sg")?;
    let band: String = row.try_get("", "band")?;
    let units = [unit];
    // Counts can move where the rows to move exist; otherwise this save
    // recounts the unit and takes it alone from the start (taking it alone
    // later, while other savers share it, could deadlock two such saves).
    let moving = stats > 0 && (domain.is_none() || months > 0) && heads > 0;
    let hold = if moving { Hold::Share } else { Hold::Exclusive };
    lock_units(db, Some(&units), hold).await?;
    if heads == 0 {
        // Counted as they stood before this save; the save's own change
        // moves their counts below, like any other.
        recount_units(db, fw, Some(&units)).await?;
    }

    let before = old.map(Counted::of);
    let after = Counted::of(new);
    // The rows kept per person first: the unit's counts, which other
    // savers of the unit update too, last, so that their rows are held
    // for as short a time as can be (until the commit).
    let skill = fw.skill(&new.skill_code);
    // The person's leadership and digital inclusion move only when an
    // agreed level or a foundation skill's level does.
    let foundation = skill.is_some_and(|s| s.foundation);
    let touches_person = match before {
        None => true,
        Some(b) => b.best != after.best || (foundation && b.level != after.level),
    };
    if touches_person {
        let person = [new.person_id];
        let was = person_capability::Entity::find_by_id(new.person_id)
            .one(db)
            .await?;
        let rows = capability_of(db, fw, Some(&person)).await?;
        let heads_move = move_heads(
            backend,
            fw,
            was.as_ref(),
            rows.first(),
            (unit, &staff_group, &band),
        );
        batch
            .push(
                person_capability::Entity::delete_many()
                    .filter(person_capability::Column::PersonId.eq(new.person_id))
                    .build(backend),
            )
            .await?;
        if !rows.is_empty() {
            batch
                .push(person_capability::Entity::insert_many(rows).build(backend))
                .await?;
        }
        let heads_moved = match heads_move {
            // The row was seen in this turn (SQLite has one writer).
            Some(s) if backend == DatabaseBackend::Sqlite => {
                batch.push(s).await?;
                true
            }
            Some(s) => db.execute_raw(s).await?.rows_affected() > 0,
            None => true,
        };
        if !heads_moved {
            // Gone since it was seen: recount, alone (the new capability
            // row is written: PostgreSQL sent it).
            lock_units(db, Some(&units), Hold::Exclusive).await?;
            recount_units(db, fw, Some(&units)).await?;
        }
    }
    for s in directory_level_of(backend, new.person_id, &new.skill_code) {
        batch.push(s).await?;
    }
    batch.push(repack_person(backend, new.person_id)).await?;

    let mut levels = [0i32; 5];
    if let Some(b) = before {
        levels[b.bucket()] -= 1;
    }
    levels[after.bucket()] += 1;
    let agreed = i32::from(after.agreed) - before.map_or(0, |b| i32::from(b.agreed));
    let meets = |c: Option<Counted>| match (required, c) {
        (Some(r), Some(c)) => i32::from(c.level >= r),
        _ => 0,
    };
    let meeting = meets(Some(after)) - meets(before);
    let mut values: Vec<Value> = vec![
        i32::from(before.is_none()).into(),
        agreed.into(),
        meeting.into(),
    ];
    values.extend(levels.iter().map(|l| Value::from(*l)));
    values.extend([unit.into(), new.skill_code.clone().into()]);
    let month_moves = domain.clone().filter(|_| meeting != 0).map(|domain| {
        stmt(
            backend,
            "UPDATE unit_domain_month SET meeting = meeting + ? \
             WHERE org_unit_id = ? AND month = ? AND domain_code = ?",
            vec![
                meeting.into(),
                unit.into(),
                month.clone().into(),
                domain.into(),
            ],
        )
    });
    if moving && backend == DatabaseBackend::Sqlite {
        // The rows were counted in this turn: the updates will find them.
        batch.push(stmt(backend, MOVE_STAT, values)).await?;
        if let Some(s) = month_moves {
            batch.push(s).await?;
        }
        return Ok(());
    }
    let moved = if moving {
        db.execute_raw(stmt(backend, MOVE_STAT, values))
            .await?
            .rows_affected()
    } else {
        0
    };
    if moved == 0 {
        // (Sharing, a row gone since it was counted, dropped by a recount
        // between the count and the lock: recount after all, alone.)
        if hold == Hold::Share {
            lock_units(db, Some(&units), Hold::Exclusive).await?;
        }
        write_stats(db, Some(&units), Some(&new.skill_code)).await?;
        write_this_month(db, fw, Some(&units)).await?;
    } else if let Some(month_moves) = month_moves {
        // (Nothing to move when the person meets their role's level as
        // much as before: the month's row was there when counted.)
        let moved = db.execute_raw(month_moves).await?.rows_affected();
        if moved == 0 {
            if hold == Hold::Share {
                lock_units(db, Some(&units), Hold::Exclusive).await?;
            }
            write_this_month(db, fw, Some(&units)).await?;
        }
    }
    Ok(())
}

/// Repacks one person's `team_cells` row after a change to one of their
/// assessments, in one statement: an upsert from their entries of the
/// covering assessment index. (They have at least the changed one, so the
/// row is never left stale; `write_cells` is for bulk changes, which may
/// leave someone with none.)
fn repack_person(backend: DatabaseBackend, person_id: i32) -> Statement {
    stmt(
        backend,
        &format!(
            "{} ON CONFLICT (person_id) DO UPDATE SET cells = excluded.cells",
            insert_cells(backend, "a.person_id = ?")
        ),
        vec![person_id.into()],
    )
}

/// After one person's assessment of one skill changed: recounts that unit
/// and skill from scratch. Saves use `apply_change`; the reports bench
/// measures this against it.
pub async fn refresh_assessment(
    db: &impl ConnectionTrait,
    person_id: i32,
    skill_code: &str,
) -> Result<(), AppError> {
    let Some(p) = person::Entity::find_by_id(person_id).one(db).await? else {
        return Ok(());
    };
    let units = [p.org_unit_id];
    lock_units(db, Some(&units), Hold::Exclusive).await?;
    write_stats(db, Some(&units), Some(skill_code)).await?;
    // One framework load per save, shared by both.
    let fw = framework::current(db).await?;
    write_capability(db, &fw, Some(&[person_id])).await?;
    recount_units(db, &fw, Some(&units)).await?;
    write_cells(db, Some(&[person_id])).await?;
    write_directory_levels(db, Some(&[person_id])).await?;
    write_this_month(db, &fw, Some(&units)).await
}

/// The directory's levels of the people `filter` picks: for each
/// assessed skill, the level that counts (agreed, else self-assessed where
/// they chose to show it). A SELECT ending in its WHERE clause.
fn directory_levels_of(filter: &str) -> String {
    format!(
        "SELECT a.person_id, a.skill_code, \
         CASE WHEN a.status = 'agreed' AND a.agreed_level IS NOT NULL \
         THEN a.agreed_level ELSE a.self_level END, \
         CASE WHEN a.status = 'agreed' AND a.agreed_level IS NOT NULL \
         THEN TRUE ELSE FALSE END \
         FROM assessment a JOIN directory_entry d ON d.person_id = a.person_id \
         WHERE ((a.status = 'agreed' AND a.agreed_level IS NOT NULL) \
         OR d.show_self_assessed) AND {filter}"
    )
}

/// Rewrites the directory's levels of these people (all when `None`): for
/// each listed person and assessed skill, the level that counts (agreed,
/// else self-assessed where they chose to show it). People not listed have
/// none (the table's rows go with their listing). Two statements.
async fn write_directory_levels(
    db: &impl ConnectionTrait,
    people: Option<&[i32]>,
) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let chunks = in_chunks(people);
    for chunk in chunks {
        db.execute_raw(stmt(
            backend,
            &format!(
                "DELETE FROM directory_level WHERE {}",
                id_filter("person_id", chunk)
            ),
            vec![],
        ))
        .await?;
        db.execute_raw(stmt(
            backend,
            &format!(
                "INSERT INTO directory_level (person_id, skill_code, level, agreed) {}",
                directory_levels_of(&id_filter("a.person_id", chunk))
            ),
            vec![],
        ))
        .await?;
    }
    Ok(())
}

/// The statements that rewrite the directory's level of one person's one
/// skill, after that assessment changed (`write_directory_levels` for one
/// row, rather than rewriting all of the person's).
fn directory_level_of(
    backend: DatabaseBackend,
    person_id: i32,
    skill_code: &str,
) -> [Statement; 2] {
    [
        stmt(
            backend,
            "DELETE FROM directory_level WHERE person_id = ? AND skill_code = ?",
            vec![person_id.into(), skill_code.into()],
        ),
        stmt(
            backend,
            &format!(
                "INSERT INTO directory_level (person_id, skill_code, level, agreed) {} \
                 AND a.skill_code = ?",
                directory_levels_of("a.person_id = ?")
            ),
            vec![person_id.into(), skill_code.into()],
        ),
    ]
}

/// After a person joined the directory, left it or changed what it shows.
pub async fn refresh_directory(db: &impl ConnectionTrait, person_id: i32) -> Result<(), AppError> {
    write_directory_levels(db, Some(&[person_id])).await
}

/// After a person's skill interests changed: their place in the
/// integrative-leader pipeline ("interested, one domain short"), and their
/// unit's head counts, recounted with the unit held.
pub async fn refresh_interests(db: &impl ConnectionTrait, person_id: i32) -> Result<(), AppError> {
    let Some(p) = person::Entity::find_by_id(person_id).one(db).await? else {
        return Ok(());
    };
    let units = [p.org_unit_id];
    lock_units(db, Some(&units), Hold::Exclusive).await?;
    let fw = framework::current(db).await?;
    write_capability(db, &fw, Some(&[person_id])).await?;
    recount_units(db, &fw, Some(&units)).await
}

/// After changes that touch every skill of some units' people (role
/// requirements, people leaving).
pub async fn refresh_units(db: &impl ConnectionTrait, units: &[i32]) -> Result<(), AppError> {
    let units = restat_units(db, units).await?;
    let fw = framework::current(db).await?;
    recount_units(db, &fw, Some(&units)).await?;
    write_this_month(db, &fw, Some(&units)).await
}

/// Locks these units (each once, in order) and recounts their skill
/// counts; returns them as locked, for the month's figures after.
async fn restat_units(db: &impl ConnectionTrait, units: &[i32]) -> Result<Vec<i32>, AppError> {
    let units: Vec<i32> = units
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    lock_units(db, Some(&units), Hold::Exclusive).await?;
    write_stats(db, Some(&units), None).await?;
    Ok(units)
}

/// After a person moved unit (between organisations, say): their own
/// summaries (capability, team cells) and both units' counts.
pub async fn refresh_moved(
    db: &impl ConnectionTrait,
    person_id: i32,
    units: &[i32],
) -> Result<(), AppError> {
    let units = restat_units(db, units).await?;
    let fw = framework::current(db).await?;
    write_capability(db, &fw, Some(&[person_id])).await?;
    recount_units(db, &fw, Some(&units)).await?;
    write_cells(db, Some(&[person_id])).await?;
    write_this_month(db, &fw, Some(&units)).await
}

/// The units with people in this job role.
pub async fn units_with_role(
    db: &impl ConnectionTrait,
    role_id: i32,
) -> Result<Vec<i32>, AppError> {
    let units: BTreeSet<i32> = person::Entity::find()
        .filter(person::Column::JobRoleId.eq(role_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.org_unit_id)
        .collect();
    Ok(units.into_iter().collect())
}

/// Recomputes every summary but the past months of the trend.
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<(), AppError> {
    lock_units(db, None, Hold::Exclusive).await?;
    write_stats(db, None, None).await?;
    let fw = framework::current(db).await?;
    write_capability(db, &fw, None).await?;
    recount_units(db, &fw, None).await?;
    write_cells(db, None).await?;
    write_directory_levels(db, None).await?;
    write_this_month(db, &fw, None).await
}

/// Builds the summaries of a database that has none (one made before they
/// existed, or a new one): a no-op when they exist or there is no one. A
/// database from before `team_cells` or `unit_head_count` gets those
/// alone.
pub async fn ensure(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    if person::Entity::find().count(db).await? == 0 {
        return Ok(false);
    }
    if unit_domain_month::Entity::find().count(db).await? > 0 {
        let backend = db.get_database_backend();
        let exists = |table: &str| {
            db.query_one_raw(stmt(
                backend,
                &format!("SELECT 1 AS one FROM {table} LIMIT 1"),
                vec![],
            ))
        };
        let mut built = false;
        if exists("team_cells").await?.is_none() && exists("assessment").await?.is_some() {
            write_cells(db, None).await?;
            built = true;
        }
        if exists("unit_head_count").await?.is_none() {
            lock_units(db, None, Hold::Exclusive).await?;
            recount_units(db, &framework::current(db).await?, None).await?;
            built = true;
        } else if exists("unit_review_day").await?.is_none() {
            lock_units(db, None, Hold::Exclusive).await?;
            write_review_days(db, None).await?;
            built = true;
        }
        return Ok(built);
    }
    rebuild(db).await?;
    backfill_trend(db).await?;
    Ok(true)
}

/// Replays the assessment history into the monthly trend: for each of the
/// last months, each unit's required and meeting counts as they stood at
/// the end of the month. It uses today's units, roles and requirements (the
/// history of those is not kept). Past months are written once, here; from
/// then on only the current month changes.
pub async fn backfill_trend(db: &impl ConnectionTrait) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let fw = framework::current(db).await?;
    let trend = TrendDomains::load(db, &fw).await?;
    let (domains, skill_domain) = (trend.all(), &trend.skill_domain);
    let domain_index: HashMap<&str, usize> = domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    // Requirements as (skill index, level) per role.
    let mut skills: Vec<String> = Vec::new();
    let mut skill_index: HashMap<String, usize> = HashMap::new();
    let mut index_of = |code: &str| -> usize {
        if let Some(i) = skill_index.get(code) {
            return *i;
        }
        skills.push(code.to_string());
        skill_index.insert(code.to_string(), skills.len() - 1);
        skills.len() - 1
    };
    let mut reqs: HashMap<i32, Vec<(usize, i16)>> = HashMap::new();
    for r in role_requirement::Entity::find().all(db).await? {
        if r.level > 0 && skill_domain.contains_key(&r.skill_code) {
            reqs.entry(r.job_role_id)
                .or_default()
                .push((index_of(&r.skill_code), r.level));
        }
    }
    let people: Vec<(i32, i32, i32)> = person::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| p.job_role_id.map(|role| (p.id, p.org_unit_id, role)))
        .filter(|(_, _, role)| reqs.contains_key(role))
        .collect();
    let events = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT person_id, skill_code, to_level, at FROM assessment_event ORDER BY at, id",
        ))
        .await?;
    let now = Utc::now();
    let first = events
        .first()
        .map(|r| r.try_get::<chrono::DateTime<Utc>>("", "at"))
        .transpose()?
        .unwrap_or(now);
    let earliest = (now.year() * 12 + now.month0() as i32) - (TREND_MONTHS - 1);
    let start = (first.year() * 12 + first.month0() as i32).max(earliest);
    let months = super::model::months_between(
        (start / 12, (start % 12) as u32 + 1),
        (now.year(), now.month()),
    );
    // (person, skill index) -> the level that counts (see `CURRENT`): a
    // self-assessment counts until agreed, an agreement until the next one.
    let mut state: HashMap<(i32, usize), i16> = HashMap::new();
    let mut events = events.into_iter().peekable();
    let current = this_month();
    let mut rows: Vec<unit_domain_month::ActiveModel> = Vec::new();
    for month in &months {
        if *month == current {
            // The current month comes from the live counts, like every
            // later write.
            break;
        }
        while let Some(r) = events.peek() {
            let at: chrono::DateTime<Utc> = r.try_get("", "at")?;
            if month_of(at).as_str() > month.as_str() {
                break;
            }
            let person: i32 = r.try_get("", "person_id")?;
            let code: String = r.try_get("", "skill_code")?;
            let level: i16 = r.try_get::<i16>("", "to_level").or_else(|_| {
                r.try_get::<i32>("", "to_level")
                    .map(|l| l.clamp(0, 4) as i16)
            })?;
            if let Some(i) = skill_index.get(&code) {
                // A self-assessment, an agreement or a changed level: each
                // sets the level that counts from then on.
                state.insert((person, *i), level);
            }
            events.next();
        }
        let mut sums: BTreeMap<(i32, usize), (i32, i32)> = BTreeMap::new();
        for (person, unit, role) in &people {
            for (skill, required) in &reqs[role] {
                let Some(d) = domain_index.get(skill_domain[&skills[*skill]].as_str()) else {
                    continue;
                };
                let sum = sums.entry((*unit, *d)).or_insert((0, 0));
                sum.0 += 1;
                if state
                    .get(&(*person, *skill))
                    .is_some_and(|l| *l >= *required)
                {
                    sum.1 += 1;
                }
            }
        }
        for ((unit, d), (required, meeting)) in sums {
            rows.push(unit_domain_month::ActiveModel {
                org_unit_id: Set(unit),
                month: Set(month.clone()),
                domain_code: Set(domains[d].clone()),
                required: Set(required),
                meeting: Set(meeting),
            });
        }
    }
    unit_domain_month::Entity::delete_many()
        .filter(unit_domain_month::Column::Month.ne(&current))
        .exec(db)
        .await?;
    insert_chunks(db, &rows).await?;
    write_this_month(db, &fw, None).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Role;
    use crate::kernel::testing::{agree, assess, role_id, test_db, tiny_org, unit_of, user};
    use crate::profile::model::Decision;
    use crate::profile::service as profile;
    use sea_orm::{DatabaseConnection, QueryOrder};

    async fn snapshot(db: &DatabaseConnection) -> String {
        let stats = unit_skill_stat::Entity::find()
            .order_by_asc(unit_skill_stat::Column::OrgUnitId)
            .order_by_asc(unit_skill_stat::Column::SkillCode)
            .all(db)
            .await
            .unwrap();
        let caps = person_capability::Entity::find()
            .order_by_asc(person_capability::Column::PersonId)
            .all(db)
            .await
            .unwrap();
        let months = unit_domain_month::Entity::find()
            .order_by_asc(unit_domain_month::Column::OrgUnitId)
            .order_by_asc(unit_domain_month::Column::Month)
            .order_by_asc(unit_domain_month::Column::DomainCode)
            .all(db)
            .await
            .unwrap();
        // Rows with nothing in them are the same as no row.
        let stats: Vec<_> = stats
            .into_iter()
            .filter(|s| s.assessed + s.required > 0)
            .collect();
        let cells: Vec<(i32, Vec<String>)> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT person_id, cells FROM team_cells ORDER BY person_id",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let cells: String = r.try_get("", "cells").unwrap();
                let mut cells: Vec<String> = cells.split(',').map(str::to_string).collect();
                cells.sort();
                (r.try_get("", "person_id").unwrap(), cells)
            })
            .collect();
        let heads = unit_head_count::Entity::find()
            .order_by_asc(unit_head_count::Column::OrgUnitId)
            .order_by_asc(unit_head_count::Column::StaffGroup)
            .order_by_asc(unit_head_count::Column::Band)
            .all(db)
            .await
            .unwrap();
        let days: Vec<(i32, String, i32)> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT org_unit_id, day, n FROM unit_review_day WHERE n > 0 \
                 ORDER BY org_unit_id, day",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.try_get("", "org_unit_id").unwrap(),
                    r.try_get("", "day").unwrap(),
                    r.try_get("", "n").unwrap(),
                )
            })
            .collect();
        format!("{stats:?}\n{caps:?}\n{months:?}\n{cells:?}\n{heads:?}\n{days:?}")
    }

    #[tokio::test]
    async fn every_write_keeps_the_summaries_equal_to_a_rebuild() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let role = role_id(&t.db).await;
        use crate::roles::service as roles;
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DIG-FOUND",
            Some(2),
            true,
        )
        .await
        .unwrap();
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DAT-LIT",
            Some(3),
            true,
        )
        .await
        .unwrap();
        assess(&t.db, o.a, "DIG-FOUND", 1).await;
        assess(&t.db, o.b, "DIG-FOUND", 2).await;
        assess(&t.db, o.c, "DIG-FOUND", 4).await;
        for skill in ["DIG-FOUND", "DAT-LIT", "LEAD-CHANGE"] {
            assess(&t.db, o.m, skill, 3).await;
        }
        assess(&t.db, o.a, "DAT-LIT", 3).await;
        agree(&t.db, o.m, o.a, "DAT-LIT").await;
        // A changed self-assessment awaits agreement again.
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "LEAD-CHANGE",
            Some(3),
            false,
        )
        .await
        .unwrap();
        roles::remove_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DAT-LIT",
        )
        .await
        .unwrap();
        // A completed review starts the next cycle (a later day than the
        // first assessment's, so the person moves between day counts).
        crate::profile::reviews::complete(
            &t.db,
            o.b,
            &user(o.b, Role::Staff),
            &[(
                "DIG-FOUND".to_string(),
                crate::profile::reviews::Answer::Keep,
            )],
            Utc::now() + chrono::Duration::days(40),
        )
        .await
        .unwrap();

        let live = snapshot(&t.db).await;
        rebuild(&t.db).await.unwrap();
        assert_eq!(live, snapshot(&t.db).await, "incremental == rebuild");

        let unit = unit_of(&t.db, o.a).await;
        let dig = unit_skill_stat::Entity::find_by_id((unit, "DIG-FOUND".to_string()))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        // a 2 (pending), b 2, c 4, m 3: all four meet Working.
        assert_eq!((dig.assessed, dig.required, dig.meeting), (4, 4, 4));
        assert_eq!((dig.l2, dig.l3, dig.l4, dig.agreed), (2, 1, 1, 0));
        let lead = unit_skill_stat::Entity::find_by_id((unit, "LEAD-CHANGE".to_string()))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((lead.assessed, lead.required, lead.meeting), (1, 4, 1));
        assert!(
            unit_skill_stat::Entity::find_by_id((unit, "DAT-LIT".to_string()))
                .one(&t.db)
                .await
                .unwrap()
                .is_some_and(|s| s.required == 0 && s.assessed == 2),
            "a removed requirement stops counting"
        );
        // Only a's Data skill is agreed: not a leader, a has one domain.
        let a = person_capability::Entity::find_by_id(o.a)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.lead_domains, a.digital.as_str()), (1, "working"));
        let c = person_capability::Entity::find_by_id(o.c)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.digital, "working");
        let month = unit_domain_month::Entity::find_by_id((unit, this_month(), "DIG".to_string()))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((month.required, month.meeting), (4, 4));
    }

    /// Saves, agreements and changed levels in a scrambled order, with a
    /// month turning over in the middle: the moved counts must end where a
    /// recount does.
    #[tokio::test]
    async fn moved_counts_match_a_recount_after_many_writes() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let role = role_id(&t.db).await;
        use crate::roles::service as roles;
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DIG-FOUND",
            Some(2),
            true,
        )
        .await
        .unwrap();
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DAT-LIT",
            Some(3),
            true,
        )
        .await
        .unwrap();
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "LEAD-CHANGE",
            Some(1),
            false,
        )
        .await
        .unwrap();
        let people = [o.m, o.a, o.b, o.c];
        let skills = ["DIG-FOUND", "DAT-LIT", "LEAD-CHANGE", "DAT-VIS"];
        let mut x: u32 = 2026;
        let mut reviews = 0;
        for step in 0..160 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let who = people[(x >> 8) as usize % people.len()];
            let skill = skills[(x >> 12) as usize % skills.len()];
            let level = ((x >> 16) % 5) as u8;
            let current = profile::profile(&t.db, who, &user(who, Role::Staff))
                .await
                .unwrap()
                .items
                .into_iter()
                .find(|i| i.skill.code == skill)
                .and_then(|i| i.assessment);
            match (step % 3, current) {
                (1, Some(a)) => {
                    let (decision, changed) = if x & 1 == 0 {
                        (Decision::Agree, None)
                    } else {
                        (Decision::Change, Some(level))
                    };
                    profile::review(
                        &t.db,
                        crate::kernel::audit::Actor::system(),
                        who,
                        &user(o.m, Role::Manager),
                        skill,
                        decision,
                        changed,
                        "Seen on the ward",
                        a.revision,
                    )
                    .await
                    .unwrap();
                    reviews += 1;
                }
                _ => assess(&t.db, who, skill, level).await,
            }
            if step == 80 {
                // A new month: its rows do not exist until the next write.
                unit_domain_month::Entity::delete_many()
                    .filter(unit_domain_month::Column::Month.eq(this_month()))
                    .exec(&t.db)
                    .await
                    .unwrap();
                // Head counts not there yet (written before they were
                // kept): the next save that moves someone counts the unit.
                unit_head_count::Entity::delete_many()
                    .exec(&t.db)
                    .await
                    .unwrap();
            }
        }
        assert!(reviews > 20, "the mix reviews as well as saves: {reviews}");
        let live = snapshot(&t.db).await;
        rebuild(&t.db).await.unwrap();
        assert_eq!(live, snapshot(&t.db).await, "moved counts == recount");
        // A database from before `team_cells` gets them at its next start,
        // once.
        t.db.execute_unprepared("DELETE FROM team_cells")
            .await
            .unwrap();
        assert!(ensure(&t.db).await.unwrap());
        assert_eq!(live, snapshot(&t.db).await, "cells rebuilt at start-up");
        assert!(!ensure(&t.db).await.unwrap(), "only when they are missing");
        // So do head counts, for a database from before them.
        unit_head_count::Entity::delete_many()
            .exec(&t.db)
            .await
            .unwrap();
        assert!(ensure(&t.db).await.unwrap());
        assert_eq!(
            live,
            snapshot(&t.db).await,
            "head counts rebuilt at start-up"
        );
        let people: i32 = unit_head_count::Entity::find()
            .all(&t.db)
            .await
            .unwrap()
            .iter()
            .map(|h| h.people)
            .sum();
        assert_eq!(people, 4, "everyone counted, assessed or not");
    }

    /// On PostgreSQL, two people of one team saving skills of different
    /// domains at once do not wait for each other: a save moving the unit's
    /// counts shares the unit with other such saves, and the rows it moves
    /// are that skill's and that domain's (before, each save took the unit
    /// whole until it committed, so a team saving together went one at a
    /// time). The counts still end where a recount does. (SQLite's writers
    /// take turns by design.)
    #[tokio::test]
    async fn saves_in_one_unit_do_not_wait_for_each_other_on_postgres() {
        let t = test_db().await;
        if t.db.get_database_backend() != DatabaseBackend::Postgres {
            return;
        }
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        // The unit's rows for the skill and the month exist.
        assess(&t.db, o.a, "DIG-FOUND", 1).await;
        assess(&t.db, o.b, "LEAD-CHANGE", 1).await;
        let fw = framework::current(&t.db).await.unwrap();
        let old = assessment::Entity::find()
            .filter(assessment::Column::PersonId.eq(o.a))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        let new = assessment::Model {
            self_level: 3,
            revision: old.revision + 1,
            ..old.clone()
        };
        // a's save is under way: it has moved the unit's counts and not
        // yet committed.
        let first = crate::kernel::begin_write(&t.db).await.unwrap();
        assessment::Entity::update(assessment::ActiveModel {
            id: Set(old.id),
            self_level: Set(3),
            revision: Set(new.revision),
            ..Default::default()
        })
        .exec(&first)
        .await
        .unwrap();
        let mut writes = Deferred::new(&first);
        apply_change(&mut writes, &fw, Some(&old), &new)
            .await
            .unwrap();
        writes.flush().await.unwrap();
        // b saves meanwhile.
        let db = t.db.clone();
        let second = tokio::spawn(async move { assess(&db, o.b, "LEAD-CHANGE", 4).await });
        let waited = tokio::time::timeout(std::time::Duration::from_secs(20), second).await;
        use sea_orm::TransactionSession;
        first.commit().await.unwrap();
        assert!(
            waited.is_ok_and(|joined| joined.is_ok()),
            "b's save waited for a's to commit"
        );
        let live = snapshot(&t.db).await;
        rebuild(&t.db).await.unwrap();
        assert_eq!(live, snapshot(&t.db).await, "moved counts == recount");
    }

    #[tokio::test]
    async fn the_trend_replays_history_by_month() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let role = role_id(&t.db).await;
        crate::roles::service::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DIG-FOUND",
            Some(2),
            true,
        )
        .await
        .unwrap();
        assess(&t.db, o.a, "DIG-FOUND", 1).await;
        assess(&t.db, o.a, "DIG-FOUND", 3).await;
        // Move the first event back three months and the second back one.
        let backend = t.db.get_database_backend();
        let events = crate::entities::assessment_event::Entity::find()
            .order_by_asc(crate::entities::assessment_event::Column::Id)
            .all(&t.db)
            .await
            .unwrap();
        let now = Utc::now();
        let month_start = |back: i32| {
            use chrono::TimeZone;
            let idx = now.year() * 12 + now.month0() as i32 - back;
            Utc.with_ymd_and_hms(idx / 12, (idx % 12) as u32 + 1, 1, 12, 0, 0)
                .unwrap()
        };
        for (e, months) in events.iter().zip([3, 1]) {
            let at = month_start(months);
            t.db.execute_raw(stmt(
                backend,
                "UPDATE assessment_event SET at = ? WHERE id = ?",
                vec![at.into(), e.id.into()],
            ))
            .await
            .unwrap();
        }
        unit_domain_month::Entity::delete_many()
            .exec(&t.db)
            .await
            .unwrap();
        backfill_trend(&t.db).await.unwrap();
        let rows = unit_domain_month::Entity::find()
            .filter(unit_domain_month::Column::DomainCode.eq("DIG"))
            .order_by_asc(unit_domain_month::Column::Month)
            .all(&t.db)
            .await
            .unwrap();
        let got: Vec<(i32, i32)> = rows.iter().map(|r| (r.required, r.meeting)).collect();
        // Three months ago: below; one month ago and now: meets.
        assert_eq!(got.len(), 4, "{rows:?}");
        assert_eq!(got, [(4, 0), (4, 0), (4, 1), (4, 1)], "{rows:?}");
        assert_eq!(rows.last().unwrap().month, this_month());
    }
}
