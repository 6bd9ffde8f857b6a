//! Reads for the team heatmap and the organisation view, and who may see
//! which.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};

use super::model::{
    Cell, Choice, GroupRow, HeatQuery, HeatRow, HeatSkill, Heatmap, OrgReport, PIPELINE_PEOPLE_MAX,
    PipelineGroup, PipelinePeople, PipelinePerson, Share, SkillStat, StatCell, TrendPoint, UnitRef,
    UnitRow, current_level, highlight_highest, is_clinical,
};
use super::suppression::{GroupPlan, Heads, Plan, Sizes};
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{
    job_role, org_unit, person, role_requirement, skill_interest, unit_head_count, unit_skill_stat,
};
use crate::error::AppError;
use crate::framework::model::FrameworkView;
use crate::framework::read as framework;
use crate::kernel::db::placeholders;
use crate::kernel::tenant::{Owned, ensure_in};
use crate::people::model::full_name;
use crate::people::service::manages;

/// The root of the whole system in the workforce lead's tree: not a stored
/// unit (ids start at 1), its children every organisation's top unit.
pub const SYSTEM: i32 = 0;
const SYSTEM_NAME: &str = "All organisations in the system";

/// HR and administrators see all of their own organisation (never another's:
/// every read below is of the caller's organisation's units and people).
fn sees_all(user: &CurrentUser) -> bool {
    user.is_one_of(&[Role::Hr, Role::Admin])
}

/// The manager whose team `user` asks to see: themself by default; HR and
/// administrators any manager of their organisation; a manager anyone they
/// manage. Anything else is refused, so changing the id in the address
/// shows no one else's team; a manager of another organisation is not
/// found, as one that does not exist.
pub async fn heatmap_access(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    manager: Option<i32>,
) -> Result<i32, AppError> {
    let org = user.organisation()?;
    let target = match (manager, user.person_id) {
        (Some(m), _) => m,
        (None, Some(me)) => me,
        (None, None) => {
            return Err(AppError::NotFound(
                "Your account is not linked to a person, so you have no team; choose a manager"
                    .into(),
            ));
        }
    };
    if user.person_id != Some(target) {
        ensure_in(db, org, Owned::Person, target).await?;
    }
    if sees_all(user) || user.person_id == Some(target) {
        return Ok(target);
    }
    match user.person_id {
        Some(me) if manages(db, me, target).await? => Ok(target),
        _ => Err(AppError::Forbidden),
    }
}

fn skills_of(fw: &FrameworkView) -> Vec<HeatSkill> {
    fw.all_domains()
        .flat_map(|d| {
            d.skills.iter().map(|s| HeatSkill {
                code: s.code.clone(),
                name: s.name.clone(),
                domain_code: d.code.clone(),
                domain_name: d.name.clone(),
            })
        })
        .collect()
}

fn domains_of(fw: &FrameworkView) -> Vec<Choice> {
    fw.all_domains()
        .map(|d| Choice {
            code: d.code.clone(),
            label: d.name.clone(),
        })
        .collect()
}

/// The columns of a team query: one row per person, with their assessments
/// packed into one text column, kept by `summary::write_cells` in
/// `team_cells` as each save commits. Gathering them per page view instead
/// (27 entries of the assessment index a person, concatenated) was most of
/// the heatmap's cost: 7 to 11 ms of SQLite's time, and 11 ms of a core all
/// told, for a 500-person team; reading the packed rows takes about 1.
const TEAM_COLUMNS: &str = "SELECT p.id AS id, p.given_name AS given, p.family_name AS family, \
     p.job_role_id AS role, c.cells AS cells";

/// A manager's direct reports: a plain indexed filter (PostgreSQL plans a
/// recursive query for one level several times slower).
fn direct_sql() -> String {
    format!(
        "{TEAM_COLUMNS} FROM person p LEFT JOIN team_cells c ON c.person_id = p.id \
         WHERE p.line_manager_id = ? ORDER BY p.id"
    )
}

/// Everyone below a manager, through the line-management tree (bounded, and
/// UNION stops a corrupt cycle).
fn subtree_sql() -> String {
    format!(
        "WITH RECURSIVE team(id, depth) AS ( \
         SELECT id, 1 FROM person WHERE line_manager_id = ? \
         UNION SELECT p.id, t.depth + 1 FROM person p JOIN team t ON p.line_manager_id = t.id \
         WHERE t.depth < 64 ) \
         {TEAM_COLUMNS} FROM team t JOIN person p ON p.id = t.id \
         LEFT JOIN team_cells c ON c.person_id = p.id ORDER BY p.id"
    )
}

/// One packed assessment from a team query: skill code, own level, agreed
/// level, status.
fn unpack(cell: &str) -> Option<(&str, i32, Option<i32>, &str)> {
    let mut chars = cell.chars();
    let own = chars.next()?.to_digit(10)? as i32;
    let agreed = match chars.next()? {
        '-' => None,
        c => Some(c.to_digit(10)? as i32),
    };
    let rest = chars.as_str();
    let split = rest.find(|c: char| !c.is_ascii_lowercase())?;
    let (status, code) = rest.split_at(split);
    if status.is_empty() {
        return None;
    }
    Some((code, own, agreed, status))
}

/// A manager's team against the framework, unfiltered and unsorted.
pub async fn heatmap(
    db: &impl ConnectionTrait,
    manager: i32,
    all: bool,
) -> Result<Heatmap, AppError> {
    let boss = person::Entity::find_by_id(manager)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That manager".into()))?;
    // The team's organisation's own skills are columns too (a line never
    // crosses organisations).
    let fw = framework::current_for(db, boss.organisation_id).await?;
    let skills = skills_of(&fw);
    let column: HashMap<&str, usize> = skills
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i))
        .collect();
    let backend = db.get_database_backend();
    let sql = if all { subtree_sql() } else { direct_sql() };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, &sql),
            [Value::from(manager)],
        ))
        .await?;
    let mut people: Vec<HeatRow> = Vec::new();
    let mut roles_of: Vec<Option<i32>> = Vec::new();
    let mut seen: HashSet<i32> = HashSet::new();
    for r in rows {
        let id: i32 = r.try_get("", "id")?;
        if !seen.insert(id) {
            continue; // a corrupt cycle met twice
        }
        let mut row = HeatRow {
            person_id: id,
            name: full_name(
                &r.try_get::<String>("", "given")?,
                &r.try_get::<String>("", "family")?,
            ),
            role_code: None,
            role_title: None,
            cells: vec![Cell::default(); skills.len()],
        };
        roles_of.push(r.try_get("", "role")?);
        let packed: Option<String> = r.try_get("", "cells")?;
        for cell in packed.as_deref().unwrap_or("").split(',') {
            let Some((skill, own, agreed_level, status)) = unpack(cell) else {
                continue; // no assessments
            };
            let Some(i) = column.get(skill) else {
                continue; // a retired skill
            };
            let agreed = status == "agreed";
            row.cells[*i].level = Some(current_level(
                own.clamp(0, 4) as u8,
                agreed_level.map(|l| l.clamp(0, 4) as u8),
                agreed,
            ));
            row.cells[*i].agreed = agreed;
        }
        people.push(row);
    }
    let role_ids: Vec<i32> = roles_of
        .iter()
        .flatten()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let roles: HashMap<i32, job_role::Model> = job_role::Entity::find()
        .filter(job_role::Column::Id.is_in(role_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut reqs: HashMap<i32, Vec<role_requirement::Model>> = HashMap::new();
    for r in role_requirement::Entity::find()
        .filter(role_requirement::Column::JobRoleId.is_in(role_ids))
        .all(db)
        .await?
    {
        reqs.entry(r.job_role_id).or_default().push(r);
    }
    for (row, role) in people.iter_mut().zip(&roles_of) {
        let Some(role) = role else { continue };
        if let Some(r) = roles.get(role) {
            row.role_code = Some(r.code.clone());
            row.role_title = Some(r.title.clone());
        }
        for req in reqs.get(role).into_iter().flatten() {
            if let Some(i) = column.get(req.skill_code.as_str()) {
                row.cells[*i].required = Some(req.level.clamp(0, 4) as u8);
                row.cells[*i].essential = req.essential;
            }
        }
    }
    let mut role_choices: Vec<Choice> = roles
        .values()
        .map(|r| Choice {
            code: r.code.clone(),
            label: r.title.clone(),
        })
        .collect();
    role_choices.sort_by(|a, b| a.label.cmp(&b.label).then(a.code.cmp(&b.code)));
    Ok(Heatmap {
        manager_id: manager,
        manager_name: full_name(&boss.given_name, &boss.family_name),
        query: HeatQuery::default(),
        team_size: people.len(),
        paging: super::model::HeatPaging::default(),
        skills,
        rows: people,
        domains: domains_of(&fw),
        roles: role_choices,
        interested: None,
    })
}

/// Reads who in the heatmap would like to develop `skill_code`, for the
/// "interested in this skill" filter (`Heatmap::shaped` applies it).
pub async fn with_interest(
    db: &impl ConnectionTrait,
    mut map: Heatmap,
    skill_code: Option<&str>,
) -> Result<Heatmap, AppError> {
    let Some(skill) = skill_code.filter(|s| !s.is_empty()) else {
        return Ok(map);
    };
    let ids: Vec<i32> = map.rows.iter().map(|r| r.person_id).collect();
    let mut keep = HashSet::new();
    for chunk in ids.chunks(500) {
        keep.extend(
            skill_interest::Entity::find()
                .filter(skill_interest::Column::SkillCode.eq(skill))
                .filter(skill_interest::Column::Develop.eq(true))
                .filter(skill_interest::Column::PersonId.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|i| i.person_id),
        );
    }
    map.interested = Some(keep);
    Ok(map)
}

/// Everyone in organisation `org` who manages someone, for HR's team
/// picker: (id, "Name, Team").
pub async fn managers(db: &impl ConnectionTrait, org: i32) -> Result<Vec<Choice>, AppError> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT m.id AS id, m.given_name AS given, m.family_name AS family, u.name AS unit \
                 FROM person m JOIN org_unit u ON u.id = m.org_unit_id \
                 WHERE u.organisation_id = ? AND m.id IN (SELECT DISTINCT line_manager_id \
                 FROM person WHERE organisation_id = ? AND line_manager_id IS NOT NULL) \
                 ORDER BY u.name, m.family_name, m.given_name",
            ),
            [Value::from(org), Value::from(org)],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Choice {
                code: r.try_get::<i32>("", "id")?.to_string(),
                label: format!(
                    "{} ({})",
                    full_name(
                        &r.try_get::<String>("", "given")?,
                        &r.try_get::<String>("", "family")?
                    ),
                    r.try_get::<String>("", "unit")?
                ),
            })
        })
        .collect()
}

/// One organisation's unit tree, loaded once per report (units are few).
/// A unit of another organisation is not in it, so every lookup by id
/// below finds it no more than a unit that does not exist.
struct Tree {
    units: HashMap<i32, org_unit::Model>,
    children: HashMap<i32, Vec<i32>>,
}

impl Tree {
    async fn load(db: &impl ConnectionTrait, org: i32) -> Result<Tree, AppError> {
        let units: HashMap<i32, org_unit::Model> = org_unit::Entity::find()
            .filter(org_unit::Column::OrganisationId.eq(org))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for u in units.values() {
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(u.id);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| units[a].code.cmp(&units[b].code));
        }
        Ok(Tree { units, children })
    }

    /// Every organisation's units under one root of the whole system
    /// (`SYSTEM`, not a stored unit), each organisation's top unit its
    /// child: the workforce lead's tree.
    async fn load_system(db: &impl ConnectionTrait) -> Result<Tree, AppError> {
        let mut units: HashMap<i32, org_unit::Model> = org_unit::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        for u in units.values_mut() {
            if u.parent_id.is_none() {
                u.parent_id = Some(SYSTEM);
            }
        }
        units.insert(
            SYSTEM,
            org_unit::Model {
                id: SYSTEM,
                organisation_id: 0,
                parent_id: None,
                code: String::new(),
                name: SYSTEM_NAME.into(),
                kind: "system".into(),
            },
        );
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for u in units.values() {
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(u.id);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| units[a].code.cmp(&units[b].code));
        }
        Ok(Tree { units, children })
    }

    /// The tree `user` reads: the system's for the workforce lead, else
    /// their organisation's.
    async fn of(db: &impl ConnectionTrait, user: &CurrentUser) -> Result<Tree, AppError> {
        if user.role == Role::Lead {
            Tree::load_system(db).await
        } else {
            Tree::load(db, user.organisation()?).await
        }
    }

    /// The organisation's top unit (the first by code, should it have
    /// several).
    fn root(&self) -> Option<i32> {
        let mut roots: Vec<&org_unit::Model> = self
            .units
            .values()
            .filter(|u| u.parent_id.is_none())
            .collect();
        roots.sort_by(|a, b| a.code.cmp(&b.code));
        roots.first().map(|u| u.id)
    }

    fn path(&self, unit: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut current = self.units.get(&unit).and_then(|u| u.parent_id);
        while let Some(id) = current {
            if out.contains(&id) || out.len() > 64 {
                break;
            }
            out.push(id);
            current = self.units.get(&id).and_then(|u| u.parent_id);
        }
        out.reverse();
        out
    }

    /// For every unit in `top`'s subtree, the child of `top` it lies under
    /// (or `top` itself for its own members).
    fn branches(&self, top: i32) -> HashMap<i32, i32> {
        let mut out = HashMap::from([(top, top)]);
        let mut stack: Vec<(i32, i32)> = self
            .children
            .get(&top)
            .into_iter()
            .flatten()
            .map(|c| (*c, *c))
            .collect();
        while let Some((unit, branch)) = stack.pop() {
            if out.insert(unit, branch).is_some() {
                continue; // a cycle
            }
            for c in self.children.get(&unit).into_iter().flatten() {
                stack.push((*c, branch));
            }
        }
        out
    }

    fn unit_ref(&self, id: i32) -> UnitRef {
        let u = &self.units[&id];
        UnitRef {
            id,
            code: u.code.clone(),
            name: u.name.clone(),
        }
    }
}

/// The unit a person leads: their own unit, when they manage someone and
/// their own manager (if any) is outside it.
pub async fn led_unit(db: &impl ConnectionTrait, person_id: i32) -> Result<Option<i32>, AppError> {
    // The person's unit, whether they manage anyone and their own manager's
    // unit, in one statement (it was three, on every organisation view).
    let backend = db.get_database_backend();
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT p.org_unit_id AS unit, \
                 CASE WHEN EXISTS (SELECT 1 FROM person r WHERE r.line_manager_id = p.id) \
                 THEN 1 ELSE 0 END AS manages, \
                 (SELECT b.org_unit_id FROM person b WHERE b.id = p.line_manager_id) AS boss_unit \
                 FROM person p WHERE p.id = ?",
            ),
            [Value::from(person_id)],
        ))
        .await?
    else {
        return Ok(None);
    };
    if row.try_get::<i32>("", "manages")? == 0 {
        return Ok(None);
    }
    let unit: i32 = row.try_get("", "unit")?;
    let boss_unit: Option<i32> = row.try_get("", "boss_unit")?;
    Ok((boss_unit != Some(unit)).then_some(unit))
}

/// Which unit's report `user` asks for, if they may see it: HR and
/// administrators any unit of their organisation (its top by default); a
/// manager who leads a unit that unit and the units below it. A unit of
/// another organisation is not found, as one that does not exist.
pub async fn report_access(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: Option<i32>,
) -> Result<i32, AppError> {
    access_in(db, user, unit, &Tree::of(db, user).await?).await
}

/// `report_access` against the user's organisation's tree, already loaded.
async fn access_in(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: Option<i32>,
    tree: &Tree,
) -> Result<i32, AppError> {
    if let Some(u) = unit
        && !tree.units.contains_key(&u)
    {
        return Err(AppError::NotFound("That part of the organisation".into()));
    }
    if user.role == Role::Lead {
        // Any part of any organisation, the whole system by default.
        return Ok(unit.unwrap_or(SYSTEM));
    }
    if sees_all(user) {
        return match unit.or_else(|| tree.root()) {
            Some(u) if tree.units.contains_key(&u) => Ok(u),
            _ => Err(AppError::NotFound("That part of the organisation".into())),
        };
    }
    let led = match user.person_id {
        Some(me) => led_unit(db, me).await?,
        None => None,
    };
    let Some(led) = led else {
        return Err(AppError::Forbidden);
    };
    let target = unit.unwrap_or(led);
    if target == led || tree.path(target).contains(&led) {
        Ok(target)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The leader of a unit (see `led_unit`), if any: the first member who
/// manages someone and whose own manager is outside the unit. One indexed
/// query; loading the members to decide took 1,000 rows for a large team.
async fn leader_of(db: &impl ConnectionTrait, unit: i32) -> Result<Option<i32>, AppError> {
    // The system (the workforce lead's view of every organisation) is no
    // unit: no one works in it, so there is nothing to ask. Asked, the
    // query matched no one, and PostgreSQL answered it by walking every
    // person in id order (14 ms of the 100,000-staff system view's 41).
    if unit == SYSTEM {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let found = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT p.id AS id FROM person p WHERE p.org_unit_id = ? \
                 AND EXISTS (SELECT 1 FROM person r WHERE r.line_manager_id = p.id) \
                 AND NOT EXISTS (SELECT 1 FROM person b WHERE b.id = p.line_manager_id \
                 AND b.org_unit_id = p.org_unit_id) ORDER BY p.id LIMIT 1",
            ),
            [Value::from(unit)],
        ))
        .await?;
    Ok(match found {
        Some(r) => Some(r.try_get("", "id")?),
        None => None,
    })
}

/// `unit` and every unit below it, for other capabilities' filters (the
/// expertise directory's "in this part of the organisation"). `None` when
/// there is no such unit in organisation `org`.
pub async fn units_below(
    db: &impl ConnectionTrait,
    org: i32,
    unit: i32,
) -> Result<Option<Vec<i32>>, AppError> {
    let tree = Tree::load(db, org).await?;
    if !tree.units.contains_key(&unit) {
        return Ok(None);
    }
    let mut ids: Vec<i32> = tree.branches(unit).into_keys().collect();
    ids.sort_unstable();
    Ok(Some(ids))
}

/// The people behind one of the pipeline's figures for `unit` and every
/// unit below it, by family name. The caller checked `report_access`
/// (HR, administrators, and the unit's leader or a leader above it, who
/// see these people's agreed levels on their heatmap already); a unit
/// outside organisation `org` is not found all the same.
pub async fn pipeline_people(
    db: &impl ConnectionTrait,
    org: i32,
    unit: i32,
    group: PipelineGroup,
) -> Result<PipelinePeople, AppError> {
    let tree = Tree::load(db, org).await?;
    if !tree.units.contains_key(&unit) {
        return Err(AppError::NotFound("That part of the organisation".into()));
    }
    let domains = framework::current(db).await?.domains.len() as i32;
    let mut people = Vec::new();
    if domains > 0 {
        let subtree: Vec<String> = tree.branches(unit).keys().map(i32::to_string).collect();
        // Integers only are inlined (unit ids and the domain count).
        let which = match group {
            PipelineGroup::Leaders => format!("c.lead_domains >= {domains}"),
            PipelineGroup::Near => format!("c.lead_domains = {}", domains - 1),
            PipelineGroup::Interested => {
                format!("c.lead_domains = {} AND c.interest_short", domains - 1)
            }
        };
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT p.id AS id, p.given_name AS given, p.family_name AS family, \
                     r.title AS title, u.name AS team, CAST(c.lead_domains AS INTEGER) AS lead, \
                     c.interest_short AS keen \
                     FROM person_capability c JOIN person p ON p.id = c.person_id \
                     JOIN org_unit u ON u.id = p.org_unit_id \
                     LEFT JOIN job_role r ON r.id = p.job_role_id \
                     WHERE c.org_unit_id IN ({}) AND {which} \
                     ORDER BY p.family_name, p.given_name, p.id LIMIT {PIPELINE_PEOPLE_MAX}",
                    subtree.join(",")
                ),
            ))
            .await?;
        for r in rows {
            people.push(PipelinePerson {
                id: r.try_get("", "id")?,
                name: full_name(
                    &r.try_get::<String>("", "given")?,
                    &r.try_get::<String>("", "family")?,
                ),
                job_title: r.try_get("", "title")?,
                team: r.try_get("", "team")?,
                lead_domains: r.try_get::<i32>("", "lead")?.max(0) as u32,
                interested: r.try_get("", "keen")?,
            });
        }
    }
    Ok(PipelinePeople {
        unit: tree.unit_ref(unit),
        group,
        domains: domains as u32,
        people,
    })
}

/// The organisation view of `unit` and everything below it, for a caller
/// that has checked access itself; its `reviews` are left empty (all zero,
/// not hidden): the page's call is `organisation`, which fills them. A
/// unit outside the user's organisation is not found.
pub async fn org_report(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: i32,
    domain: Option<String>,
) -> Result<OrgReport, AppError> {
    let tree = Tree::of(db, user).await?;
    report_in(db, user, unit, domain, &tree).await
}

/// The organisation view's page in one go: who may see which unit (`asked`,
/// or the viewer's own), its report and how many of its profiles are up to
/// date, reading the unit tree (of the viewer's organisation) once for all
/// three (it was read four times when the page asked for the report and
/// the review counts apart).
pub async fn organisation(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    asked: Option<i32>,
    domain: Option<String>,
    today: chrono::NaiveDate,
) -> Result<OrgReport, AppError> {
    let tree = Tree::of(db, user).await?;
    let unit = access_in(db, user, asked, &tree).await?;
    let mut report = report_in(db, user, unit, domain, &tree).await?;
    let counts =
        crate::profile::reviews::counts_with_units(db, tree.units.values(), unit, today).await?;
    report.reviews = crate::profile::reviews::shown_to(user, counts);
    // A unit withheld from this viewer withholds its reviews too.
    if report.total.hidden {
        report.reviews = crate::profile::model::ReviewCounts {
            hidden: true,
            off: report.reviews.off,
            ..Default::default()
        };
    }
    Ok(report)
}

async fn report_in(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: i32,
    domain: Option<String>,
    tree: &Tree,
) -> Result<OrgReport, AppError> {
    let all = sees_all(user);
    if !tree.units.contains_key(&unit) {
        return Err(AppError::NotFound("That part of the organisation".into()));
    }
    // An organisation's own skills are its view's too: their domains are
    // tabs after the shared framework's (`unit_skill_stat` counts them as
    // it counts the shared skills). The system's view compares
    // organisations, so it has the shared framework alone.
    let fw = match tree.units[&unit].organisation_id {
        0 => framework::current(db).await?,
        org => framework::current_for(db, org).await?,
    };
    let columns = report_columns(&fw, domain);
    let scope = report_scope(tree, unit);
    // Suppression is planned from the top of what the viewer may open,
    // over every unit below it (which holds this report's): each unit's
    // own skill counts are read once, for both.
    let top = if all {
        None
    } else {
        Some(suppression_top(db, user, unit).await?)
    };
    let plan_units: Option<Vec<i32>> = top
        .filter(|t| *t == unit || tree.path(unit).contains(t))
        .map(|t| {
            tree.branches(t)
                .into_keys()
                .filter(|u| *u != SYSTEM)
                .collect()
        });
    let read_units = plan_units.as_deref().unwrap_or(&scope.subtree);
    let own = unit_skill_stats(db, read_units, &columns.skills).await?;
    let stats = skill_counts(&scope, &own, columns.skills.len());
    let own_heads = unit_heads(db, read_units).await?;
    let heads = head_counts(&scope, &own_heads);
    let (plan, groups) = match (top, plan_units) {
        (None, _) => (Plan::default(), GroupPlan::default()),
        (Some(top), Some(_)) => {
            suppression_plan(tree, unit, top, &own_heads, own, columns.skills.len())
        }
        // Not below the viewer's top (access_in refuses that): withhold.
        (Some(_), None) => (
            Plan {
                unit_hidden: true,
                columns_hidden: vec![true; columns.skills.len()],
                own_hidden: true,
                children: HashMap::new(),
            },
            GroupPlan::withheld(),
        ),
    };
    let pipeline = integrative_pipeline(tree, &scope, &heads, all, &plan, &groups);
    let inclusion = digital_inclusion(tree, &scope, &heads, all, &plan, &groups);
    let mut rows = unit_rows(tree, &scope, &stats, &heads, columns.skills.len(), all);
    apply_to_rows(&plan, unit, &mut rows);
    let hide_trend = super::model::suppress(heads.total_people, all) || plan.unit_hidden;
    // A series per domain of the view, its organisation's own after the
    // shared (`unit_domain_month` keeps both).
    let trend = domain_trend(db, &scope.subtree, &columns.domains, hide_trend).await?;
    let leader_heatmap = leader_heatmap_of(db, user, unit, all).await?;
    Ok(OrgReport {
        unit: tree.unit_ref(unit),
        path: tree
            .path(unit)
            .into_iter()
            .map(|u| tree.unit_ref(u))
            .collect(),
        sees_all: all,
        domains: columns.domains,
        domain: columns.domain,
        skills: columns.skills,
        total: rows.total,
        children: rows.children,
        pipeline_units: pipeline.units,
        pipeline_groups: pipeline.groups,
        inclusion_units: inclusion.units,
        inclusion_bands: inclusion.bands,
        inclusion_groups: inclusion.groups,
        trend,
        leader_heatmap,
        reviews: Default::default(),
        names: user.role != Role::Lead,
        system: unit == SYSTEM && user.role == Role::Lead,
    })
}

/// The report's columns: the framework's domains to choose from, the chosen
/// one and its skills.
struct Columns {
    domains: Vec<Choice>,
    domain: String,
    skills: Vec<HeatSkill>,
}

/// One domain at a time, its skills the columns. A domain the framework no
/// longer has (an old link, a hand-edited address) falls back to the first,
/// so the page always shows something.
fn report_columns(fw: &FrameworkView, asked: Option<String>) -> Columns {
    let domains = domains_of(fw);
    let domain = asked
        .filter(|d| domains.iter().any(|c| &c.code == d))
        .or_else(|| domains.first().map(|d| d.code.clone()))
        .unwrap_or_default();
    let skills: Vec<HeatSkill> = skills_of(fw)
        .into_iter()
        .filter(|s| s.domain_code == domain)
        .collect();
    Columns {
        domains,
        domain,
        skills,
    }
}

/// The part of the tree a report covers.
struct Scope {
    unit: i32,
    /// Every unit in `unit`'s subtree -> the branch it is counted under.
    branches: HashMap<i32, i32>,
    /// Every unit in `unit`'s subtree.
    subtree: Vec<i32>,
    /// `unit`, then its children: the branches, in the order shown.
    order: Vec<i32>,
}

/// The unit tree below `unit`, each unit tied to the branch it counts
/// under, so every figure is read for these units only and summed per row.
fn report_scope(tree: &Tree, unit: i32) -> Scope {
    let branches = tree.branches(unit);
    let subtree: Vec<i32> = branches.keys().copied().collect();
    let mut order: Vec<i32> = tree.children.get(&unit).cloned().unwrap_or_default();
    order.insert(0, unit);
    Scope {
        unit,
        branches,
        subtree,
        order,
    }
}

/// Each unit's own skill counts (its own members, not those below), for
/// these skills. They come from `unit_skill_stat`, kept up to date as
/// assessments, people and roles change, so the report reads a few rows per
/// unit instead of every assessment; units go 500 at a time to keep each
/// `IN` list short.
async fn unit_skill_stats(
    db: &impl ConnectionTrait,
    units: &[i32],
    skills: &[HeatSkill],
) -> Result<HashMap<i32, Vec<SkillStat>>, AppError> {
    let column: HashMap<&str, usize> = skills
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i))
        .collect();
    let mut stats: HashMap<i32, Vec<SkillStat>> = HashMap::new();
    for chunk in units.chunks(500) {
        for s in unit_skill_stat::Entity::find()
            .filter(unit_skill_stat::Column::OrgUnitId.is_in(chunk.to_vec()))
            .filter(unit_skill_stat::Column::SkillCode.is_in(column.keys().copied()))
            .all(db)
            .await?
        {
            let Some(i) = column.get(s.skill_code.as_str()) else {
                continue;
            };
            let stat = SkillStat {
                levels: [s.l0, s.l1, s.l2, s.l3, s.l4].map(|n| n.max(0) as u32),
                agreed: s.agreed.max(0) as u32,
                required: s.required.max(0) as u32,
                meeting: s.meeting.max(0) as u32,
            };
            stats
                .entry(s.org_unit_id)
                .or_insert_with(|| vec![SkillStat::default(); skills.len()])[*i]
                .add(&stat);
        }
    }
    Ok(stats)
}

/// Skill counts per branch of the report (the unit itself = its own
/// members), summed from each unit's own.
fn skill_counts(
    scope: &Scope,
    own: &HashMap<i32, Vec<SkillStat>>,
    skills: usize,
) -> HashMap<i32, Vec<SkillStat>> {
    let mut stats: HashMap<i32, Vec<SkillStat>> = scope
        .order
        .iter()
        .map(|b| (*b, vec![SkillStat::default(); skills]))
        .collect();
    for u in &scope.subtree {
        let (Some(row), Some(b)) = (own.get(u), scope.branches.get(u)) else {
            continue;
        };
        if let Some(v) = stats.get_mut(b) {
            for (sum, stat) in v.iter_mut().zip(row) {
                sum.add(stat);
            }
        }
    }
    stats
}

/// People in one group, and how many of them are integrative leaders, one
/// domain short of it, below Working or at Working on the foundation skills.
#[derive(Default, Clone, Copy)]
struct Group {
    people: u32,
    leaders: u32,
    near: u32,
    /// Near, and interested in developing the domain they are short in.
    interested: u32,
    below: u32,
    working: u32,
}

impl Group {
    fn add(&mut self, other: &Group) {
        self.people += other.people;
        self.leaders += other.leaders;
        self.near += other.near;
        self.interested += other.interested;
        self.below += other.below;
        self.working += other.working;
    }
}

/// The groups the pipeline and inclusion figures are given for.
#[derive(Default)]
struct HeadCounts {
    by_branch: HashMap<i32, Group>,
    by_clinical: BTreeMap<bool, Group>,
    by_band: BTreeMap<String, Group>,
    by_group: BTreeMap<String, Group>,
    total_people: u32,
}

impl HeadCounts {
    /// Counts into every grouping at once, so they always add up alike.
    fn add(&mut self, branch: i32, staff_group: String, band: String, count: impl Fn(&mut Group)) {
        count(self.by_branch.entry(branch).or_default());
        count(
            self.by_clinical
                .entry(is_clinical(&staff_group))
                .or_default(),
        );
        count(self.by_band.entry(band).or_default());
        count(self.by_group.entry(staff_group).or_default());
    }
}

/// Each unit's own head counts by staff group and band (its own members,
/// not those below), from `unit_head_count`, kept up to date with people's
/// capability, so no one's assessments or records are read here; units go
/// 500 at a time to keep each `IN` list short.
async fn unit_heads(
    db: &impl ConnectionTrait,
    units: &[i32],
) -> Result<HashMap<i32, Vec<(String, String, Group)>>, AppError> {
    let mut heads: HashMap<i32, Vec<(String, String, Group)>> = HashMap::new();
    let count = |n: i32| n.max(0) as u32;
    for chunk in units.chunks(500) {
        for h in unit_head_count::Entity::find()
            .filter(unit_head_count::Column::OrgUnitId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            heads.entry(h.org_unit_id).or_default().push((
                h.staff_group,
                h.band,
                Group {
                    people: count(h.people),
                    leaders: count(h.leaders),
                    near: count(h.near),
                    interested: count(h.interested),
                    below: count(h.below),
                    working: count(h.working),
                },
            ));
        }
    }
    Ok(heads)
}

/// Head counts per branch, staff group and band, over the units shown
/// only (a team's view counts its own people, not the whole trust's).
fn head_counts(scope: &Scope, own: &HashMap<i32, Vec<(String, String, Group)>>) -> HeadCounts {
    let mut heads = HeadCounts::default();
    for u in &scope.subtree {
        let (Some(rows), Some(b)) = (own.get(u), scope.branches.get(u)) else {
            continue;
        };
        for (sg, band, g) in rows {
            heads.total_people += g.people;
            heads.add(*b, sg.clone(), band.clone(), |sum| sum.add(g));
        }
    }
    heads
}

/// The branches with their counts. The unit's own row is left out when no
/// one works in it directly (a directorate whose staff are all in its
/// teams); its children are always shown.
fn branch_rows(scope: &Scope, heads: &HeadCounts) -> Vec<(i32, Group)> {
    scope
        .order
        .iter()
        .filter(|b| **b != scope.unit || heads.by_branch.get(b).is_some_and(|g| g.people > 0))
        .map(|b| (*b, heads.by_branch.get(b).copied().unwrap_or_default()))
        .collect()
}

/// The unit's own row says so: it counts only the people directly in it,
/// while a child's row counts that child's whole subtree.
fn branch_label(tree: &Tree, unit: i32, b: i32) -> String {
    if b == unit {
        format!("{} (its own staff)", tree.units[&b].name)
    } else {
        tree.units[&b].name.clone()
    }
}

/// Integrative leaders (first) and near (second) of everyone in the group.
fn pipeline_row(label: String, g: Group, unit: Option<i32>, all: bool, hide: bool) -> GroupRow {
    if hide {
        return hidden_row(label, Some(Share::hidden()), unit);
    }
    GroupRow {
        label,
        people: if super::model::suppress(g.people, all) {
            0
        } else {
            g.people
        },
        first: Share::new(g.leaders, g.people, g.people, all),
        second: Share::new(g.near, g.people, g.people, all),
        third: Some(Share::new(g.interested, g.people, g.people, all)),
        unit,
        highlight: false,
    }
}

/// Below Working (first) of those assessed, and assessed (second) of
/// everyone in the group.
/// A row withheld whole (see `suppression`).
fn hidden_row(label: String, third: Option<Share>, unit: Option<i32>) -> GroupRow {
    GroupRow {
        label,
        people: 0,
        first: Share::hidden(),
        second: Share::hidden(),
        third,
        unit,
        highlight: false,
    }
}

fn inclusion_row(label: String, g: Group, all: bool, hide: bool) -> GroupRow {
    if hide {
        return hidden_row(label, None, None);
    }
    let assessed = g.below + g.working;
    GroupRow {
        label,
        people: if super::model::suppress(g.people, all) {
            0
        } else {
            g.people
        },
        first: Share::new(g.below, assessed, assessed, all),
        second: Share::new(assessed, g.people, g.people, all),
        third: None,
        unit: None,
        highlight: false,
    }
}

/// The integrative-leader pipeline rows, by unit and by clinical or not.
struct Pipeline {
    units: Vec<GroupRow>,
    groups: Vec<GroupRow>,
}

/// The pipeline of integrative leaders, by branch and by clinical or not
/// (clinical first), so the view shows where the next leaders are coming
/// from and where they are not.
fn integrative_pipeline(
    tree: &Tree,
    scope: &Scope,
    heads: &HeadCounts,
    all: bool,
    plan: &Plan,
    hidden: &GroupPlan,
) -> Pipeline {
    let units = branch_rows(scope, heads)
        .into_iter()
        .map(|(b, g)| {
            // A unit's own row counts only its own staff; its drill-down
            // would list the subtree, so only child rows link through.
            // The system's rows are whole organisations: no one's names.
            let unit = (b != scope.unit && scope.unit != SYSTEM).then_some(b);
            let hide = !all && plan.branch_hidden(scope.unit, b);
            pipeline_row(branch_label(tree, scope.unit, b), g, unit, all, hide)
        })
        .collect();
    let groups = heads
        .by_clinical
        .iter()
        .rev()
        .map(|(clinical, g)| {
            let hide = hidden.clinical(*clinical);
            pipeline_row(
                if *clinical {
                    "Clinical"
                } else {
                    "Non-clinical"
                }
                .into(),
                *g,
                None,
                all,
                hide,
            )
        })
        .collect();
    Pipeline { units, groups }
}

/// The digital-inclusion rows, by unit, band and staff group.
struct Inclusion {
    units: Vec<GroupRow>,
    bands: Vec<GroupRow>,
    groups: Vec<GroupRow>,
}

/// Digital inclusion by branch, band and staff group, the groups with the
/// highest share below Working highlighted, so support goes where it is
/// most needed.
fn digital_inclusion(
    tree: &Tree,
    scope: &Scope,
    heads: &HeadCounts,
    all: bool,
    plan: &Plan,
    hidden: &GroupPlan,
) -> Inclusion {
    let mut units: Vec<GroupRow> = branch_rows(scope, heads)
        .iter()
        .map(|(b, g)| {
            let hide = !all && plan.branch_hidden(scope.unit, *b);
            let mut row = inclusion_row(branch_label(tree, scope.unit, *b), *g, all, hide);
            if hidden.branch_first(*b) {
                row.first = Share::hidden();
            }
            row
        })
        .collect();
    let row = |label: &String, g: &Group, (hide, first): (bool, bool)| {
        let mut row = inclusion_row(label.clone(), *g, all, hide);
        if first {
            row.first = Share::hidden();
        }
        row
    };
    let mut bands: Vec<GroupRow> = heads
        .by_band
        .iter()
        .map(|(band, g)| row(band, g, hidden.band(band)))
        .collect();
    let mut groups: Vec<GroupRow> = heads
        .by_group
        .iter()
        .map(|(sg, g)| row(sg, g, hidden.staff_group(sg)))
        .collect();
    for rows in [&mut units, &mut bands, &mut groups] {
        highlight_highest(rows);
    }
    Inclusion {
        units,
        bands,
        groups,
    }
}

/// The unit's row and one per child.
struct UnitRows {
    total: UnitRow,
    children: Vec<UnitRow>,
}

/// Unit rows: the whole subtree, then each branch. The total is summed from
/// every branch (its own members included), so it covers everyone below the
/// unit however deep.
fn unit_rows(
    tree: &Tree,
    scope: &Scope,
    stats: &HashMap<i32, Vec<SkillStat>>,
    heads: &HeadCounts,
    skill_count: usize,
    all: bool,
) -> UnitRows {
    let mut total_stats = vec![SkillStat::default(); skill_count];
    for v in stats.values() {
        for (t, s) in total_stats.iter_mut().zip(v) {
            t.add(s);
        }
    }
    let row = |b: i32, people: u32, v: &[SkillStat]| UnitRow {
        unit: tree.unit_ref(b),
        people: if super::model::suppress(people, all) {
            0
        } else {
            people
        },
        hidden: super::model::suppress(people, all),
        has_children: tree.children.get(&b).is_some_and(|c| !c.is_empty()),
        cells: v.iter().map(|s| StatCell::new(s, all)).collect(),
    };
    let total = row(scope.unit, heads.total_people, &total_stats);
    let children = scope
        .order
        .iter()
        .filter(|b| **b != scope.unit)
        .map(|b| {
            row(
                *b,
                heads.by_branch.get(b).map(|g| g.people).unwrap_or(0),
                &stats[b],
            )
        })
        .collect();
    UnitRows { total, children }
}

/// Withholds what the plan says in the unit table: the total and each
/// child's row and cells.
fn apply_to_rows(plan: &Plan, unit: i32, rows: &mut UnitRows) {
    let hide_row = |row: &mut UnitRow| {
        row.people = 0;
        row.hidden = true;
        for cell in &mut row.cells {
            *cell = StatCell::hidden();
        }
    };
    if plan.unit_hidden {
        hide_row(&mut rows.total);
    }
    for (j, cell) in rows.total.cells.iter_mut().enumerate() {
        if plan.columns_hidden.get(j).copied().unwrap_or(false) {
            *cell = StatCell::hidden();
        }
    }
    for row in &mut rows.children {
        let b = row.unit.id;
        if plan.branch_hidden(unit, b) {
            hide_row(row);
        }
        for (j, cell) in row.cells.iter_mut().enumerate() {
            if plan.cell_hidden(b, j) {
                *cell = StatCell::hidden();
            }
        }
    }
}

/// Where suppression is decided from for this viewer: the top of what they
/// may open (the whole system for the workforce lead, a manager's own
/// unit).
async fn suppression_top(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: i32,
) -> Result<i32, AppError> {
    Ok(if user.role == Role::Lead {
        SYSTEM
    } else {
        match user.person_id {
            Some(me) => led_unit(db, me).await?.unwrap_or(unit),
            None => unit,
        }
    })
}

/// What the viewer may not see of `unit`'s view (see `suppression`),
/// decided from `top` (`suppression_top`) down to it: `own_heads`
/// (`unit_heads`) and `own_stats` (`unit_skill_stats`) are every unit's
/// below `top`, its own members counted.
fn suppression_plan(
    tree: &Tree,
    unit: i32,
    top: i32,
    own_heads: &HashMap<i32, Vec<(String, String, Group)>>,
    own_stats: HashMap<i32, Vec<SkillStat>>,
    skills: usize,
) -> (Plan, GroupPlan) {
    let mut path: Vec<i32> = tree.path(unit);
    path.push(unit);
    let from = path.iter().position(|u| *u == top).unwrap_or(0);
    let path = &path[from..];
    let own: HashMap<i32, u32> = own_heads
        .iter()
        .map(|(u, rows)| (*u, rows.iter().map(|(_, _, g)| g.people).sum()))
        .collect();
    let sizes = Sizes::summed(top, &tree.children, own, own_stats, skills);
    let groups: HashMap<i32, Vec<Heads>> = own_heads
        .iter()
        .map(|(u, rows)| {
            let heads = rows
                .iter()
                .map(|(staff_group, band, g)| Heads {
                    staff_group,
                    band,
                    people: g.people,
                    assessed: g.below + g.working,
                })
                .collect();
            (*u, heads)
        })
        .collect();
    (
        super::suppression::plan(path, &tree.children, &sizes, skills),
        super::suppression::group_plan(path, &tree.children, &sizes, &groups),
    )
}

/// Trend: carry each unit's latest month forward, sum per domain, over the
/// last 12 months. A unit has rows only for the months its figures were
/// written, so without carrying forward a quiet unit would drop out of the
/// months it had none. `hide` hides every share, for a subtree too small to
/// show this viewer.
async fn domain_trend(
    db: &impl ConnectionTrait,
    subtree: &[i32],
    domains: &[Choice],
    hide: bool,
) -> Result<Vec<TrendPoint>, AppError> {
    let domain_index: HashMap<&str, usize> = domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.code.as_str(), i))
        .collect();
    // Carrying each unit's latest month forward and summing is the same as
    // summing, month by month, each row's change from the unit's month
    // before: SQL gives those changes per month and domain (a window over
    // each unit's rows), so the report reads a few rows per month, not one
    // per unit and month.
    let backend = db.get_database_backend();
    let mut changes: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for chunk in subtree.chunks(500) {
        let ids = chunk
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT month, domain_code AS d, \
                     CAST(SUM(required - COALESCE(pr, 0)) AS BIGINT) AS dr, \
                     CAST(SUM(meeting - COALESCE(pm, 0)) AS BIGINT) AS dm \
                     FROM (SELECT month, domain_code, required, meeting, \
                     LAG(required) OVER w AS pr, LAG(meeting) OVER w AS pm \
                     FROM unit_domain_month WHERE org_unit_id IN ({ids}) \
                     WINDOW w AS (PARTITION BY org_unit_id, domain_code ORDER BY month)) t \
                     GROUP BY month, domain_code"
                ),
            ))
            .await?;
        for r in rows {
            let month: String = r.try_get("", "month")?;
            let d: String = r.try_get("", "d")?;
            let entry = changes
                .entry(month)
                .or_insert_with(|| vec![(0, 0); domains.len()]);
            if let Some(i) = domain_index.get(d.as_str()) {
                entry[*i].0 += r.try_get::<i64>("", "dr")?;
                entry[*i].1 += r.try_get::<i64>("", "dm")?;
            }
        }
    }
    let mut sums = vec![(0i64, 0i64); domains.len()];
    let mut trend = Vec::new();
    for (month, change) in changes {
        for (sum, (dr, dm)) in sums.iter_mut().zip(change) {
            sum.0 += dr;
            sum.1 += dm;
        }
        trend.push(TrendPoint {
            month,
            shares: sums
                .iter()
                .map(|&(required, meeting)| {
                    if hide {
                        Share::hidden()
                    } else {
                        let (required, meeting) = (required.max(0) as u32, meeting.max(0) as u32);
                        Share::new(meeting, required, required, true)
                    }
                })
                .collect(),
        });
    }
    let keep_from = trend.len().saturating_sub(12);
    Ok(trend.split_off(keep_from))
}

/// The unit leader's team heatmap, offered only to those who may open it
/// (HR and administrators, the leader, or someone above them), so the link
/// never leads to a refusal.
async fn leader_heatmap_of(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    unit: i32,
    all: bool,
) -> Result<Option<i32>, AppError> {
    let leader = leader_of(db, unit).await?;
    let heatmap = match (leader, user.person_id) {
        (Some(l), _) if all => Some(l),
        (Some(l), Some(me)) if l == me || manages(db, me, l).await? => Some(l),
        _ => None,
    };
    Ok(heatmap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{agree, assess, role_id, user};
    use crate::kernel::testing::{test_db, tiny_org};

    /// The trend carries each unit's latest month forward: a unit quiet in
    /// a month still counts with its month before, a unit not yet written
    /// counts nothing, and domains not shown are left out.
    #[tokio::test]
    async fn the_trend_carries_each_units_latest_month_forward() {
        use crate::entities::unit_domain_month;
        use sea_orm::ActiveModelTrait;
        let t = test_db().await;
        let o = tiny_org(&t.db).await;
        let second = org_unit::ActiveModel {
            organisation_id: sea_orm::Set(crate::kernel::testing::ORG),
            parent_id: sea_orm::Set(None),
            code: sea_orm::Set("T2".into()),
            name: sea_orm::Set("Second".into()),
            kind: sea_orm::Set("team".into()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap()
        .id;
        let first = crate::kernel::testing::unit_of(&t.db, o.a).await;
        let rows = [
            (first, "2026-01", "DIG", 4, 1),
            (first, "2026-03", "DIG", 4, 3),
            (first, "2026-01", "DAT", 2, 2),
            (second, "2026-02", "DIG", 6, 2),
            (second, "2026-03", "DIG", 5, 5),
            (second, "2026-02", "LEAD", 9, 9),
        ];
        for (unit, month, domain, required, meeting) in rows {
            unit_domain_month::ActiveModel {
                org_unit_id: sea_orm::Set(unit),
                month: sea_orm::Set(month.into()),
                domain_code: sea_orm::Set(domain.into()),
                required: sea_orm::Set(required),
                meeting: sea_orm::Set(meeting),
            }
            .insert(&t.db)
            .await
            .unwrap();
        }
        let domains = ["DIG", "DAT"].map(|c| Choice {
            code: c.into(),
            label: c.into(),
        });
        let trend = domain_trend(&t.db, &[first, second], &domains, false)
            .await
            .unwrap();
        let got: Vec<(&str, Vec<(u32, u32)>)> = trend
            .iter()
            .map(|p| {
                (
                    p.month.as_str(),
                    p.shares.iter().map(|s| (s.count, s.of)).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01", vec![(1, 4), (2, 2)]),
                // The first unit's January carried; the second's first month.
                ("2026-02", vec![(1 + 2, 4 + 6), (2, 2)]),
                ("2026-03", vec![(3 + 5, 4 + 5), (2, 2)]),
            ]
        );
        // Only the second unit: nothing before its first month.
        let alone = domain_trend(&t.db, &[second], &domains, false)
            .await
            .unwrap();
        assert_eq!(alone[0].month, "2026-02");
        assert_eq!((alone[0].shares[0].count, alone[0].shares[0].of), (2, 6));
        assert_eq!(alone[0].shares[1].of, 0);
    }

    #[test]
    fn packed_cells_unpack() {
        assert_eq!(
            unpack("32agreedDAT-VIS"),
            Some(("DAT-VIS", 3, Some(2), "agreed"))
        );
        assert_eq!(
            unpack("1-pending9DIG_1"),
            Some(("9DIG_1", 1, None, "pending"))
        );
        assert_eq!(unpack(""), None, "a person with no assessments");
        assert_eq!(unpack("y-pendingX"), None, "a level is a digit");
        assert_eq!(unpack("1-DIG"), None, "no status");
        assert_eq!(unpack("1-pending"), None, "no code");
    }

    #[tokio::test]
    async fn managers_see_their_own_team_only() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let m = user(o.m, Role::Manager);
        assert_eq!(heatmap_access(&t.db, &m, None).await.unwrap(), o.m);
        assert_eq!(
            heatmap_access(&t.db, &m, Some(o.a)).await.unwrap(),
            o.a,
            "a sub-team"
        );
        let a = user(o.a, Role::Manager);
        assert!(matches!(
            heatmap_access(&t.db, &a, Some(o.m)).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            heatmap_access(&t.db, &user(o.c, Role::Manager), Some(o.a)).await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(
            heatmap_access(&t.db, &user(o.c, Role::Hr), Some(o.a))
                .await
                .unwrap(),
            o.a
        );

        crate::roles::service::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role_id(&t.db).await,
            "DIG-FOUND",
            Some(3),
            true,
        )
        .await
        .unwrap();
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        agree(&t.db, o.m, o.a, "DIG-FOUND").await;
        assess(&t.db, o.b, "DIG-FOUND", 3).await;
        let direct = heatmap(&t.db, o.m, false).await.unwrap();
        let ids: Vec<i32> = direct.rows.iter().map(|r| r.person_id).collect();
        assert_eq!(ids, [o.a]);
        let col = direct
            .skills
            .iter()
            .position(|s| s.code == "DIG-FOUND")
            .unwrap();
        let cell = direct.rows[0].cells[col];
        assert_eq!(
            (cell.level, cell.agreed, cell.required),
            (Some(2), true, Some(3))
        );
        let all = heatmap(&t.db, o.m, true).await.unwrap();
        let mut ids: Vec<i32> = all.rows.iter().map(|r| r.person_id).collect();
        ids.sort();
        assert_eq!(ids, [o.a, o.b]);
        let b = all.rows.iter().find(|r| r.person_id == o.b).unwrap().cells[col];
        assert_eq!((b.level, b.agreed), (Some(3), false));
    }

    #[tokio::test]
    async fn reports_hide_small_groups_from_all_but_hr() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        crate::roles::service::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role_id(&t.db).await,
            "DIG-FOUND",
            Some(2),
            true,
        )
        .await
        .unwrap();
        assess(&t.db, o.a, "DIG-FOUND", 1).await;
        assess(&t.db, o.b, "DIG-FOUND", 3).await;
        // m leads the team (manages someone, no manager); a does not.
        let m = user(o.m, Role::Manager);
        let unit = report_access(&t.db, &m, None).await.unwrap();
        assert!(matches!(
            report_access(&t.db, &user(o.a, Role::Manager), None).await,
            Err(AppError::Forbidden)
        ));
        let hidden = org_report(&t.db, &m, unit, Some("DIG".into()))
            .await
            .unwrap();
        assert!(hidden.total.hidden && hidden.total.people == 0);
        assert!(
            hidden
                .total
                .cells
                .iter()
                .all(|c| c.assessed == 0 && c.median.is_none())
        );
        assert!(hidden.total.cells[0].suppressed);
        assert!(hidden.inclusion_units.iter().all(|r| r.first.suppressed));
        assert_eq!(hidden.leader_heatmap, Some(o.m));

        let hr = user(o.c, Role::Hr);
        let all = org_report(&t.db, &hr, unit, Some("DIG".into()))
            .await
            .unwrap();
        assert_eq!(all.total.people, 4);
        let found = &all.total.cells[0];
        assert_eq!(
            (found.assessed, found.meeting.count, found.meeting.of),
            (2, 1, 4)
        );
        assert_eq!(found.median, Some(1));
        let inclusion = &all.inclusion_units[0];
        // a is below Working, b is not; m and c have not assessed.
        assert_eq!((inclusion.first.count, inclusion.first.of), (1, 2));
        assert_eq!((inclusion.second.count, inclusion.second.of), (2, 4));
        assert_eq!(all.trend.last().unwrap().shares[0].count, 1);
    }

    /// A second organisation, whose top unit's code sorts before the
    /// first's: HR of the first finds neither its manager nor its unit
    /// (not found, as ids that do not exist), its managers are not in the
    /// first's picker, and each organisation's HR opens their own top unit.
    #[tokio::test]
    async fn another_organisation_is_not_found() {
        use crate::kernel::testing::{ORG, unit_of};
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let other = crate::kernel::testing::other_org(&t.db).await;
        let boss = other.person(&t.db, "x", None).await;
        other.person(&t.db, "y", Some(boss)).await;
        let not_found = |r: Result<i32, AppError>| matches!(r, Err(AppError::NotFound(_)));

        let hr = user(o.c, Role::Hr);
        assert!(not_found(heatmap_access(&t.db, &hr, Some(boss)).await));
        assert!(not_found(report_access(&t.db, &hr, Some(other.unit)).await));
        assert!(not_found(
            report_access(&t.db, &user(o.m, Role::Manager), Some(other.unit)).await
        ));
        assert!(matches!(
            org_report(&t.db, &hr, other.unit, None).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            pipeline_people(&t.db, ORG, other.unit, PipelineGroup::Leaders).await,
            Err(AppError::NotFound(_))
        ));
        assert_eq!(units_below(&t.db, ORG, other.unit).await.unwrap(), None);
        let picker = managers(&t.db, ORG).await.unwrap();
        assert!(
            picker.iter().all(|c| c.code != boss.to_string()),
            "{picker:?}"
        );
        assert!(
            picker.iter().any(|c| c.code == o.m.to_string()),
            "{picker:?}"
        );
        assert_eq!(
            report_access(&t.db, &hr, None).await.unwrap(),
            unit_of(&t.db, o.m).await,
            "the first organisation's top unit, though the other's code sorts first"
        );

        let their_hr = CurrentUser {
            organisation_id: Some(other.org),
            ..user(boss, Role::Hr)
        };
        assert_eq!(
            report_access(&t.db, &their_hr, None).await.unwrap(),
            other.unit
        );
        assert!(not_found(heatmap_access(&t.db, &their_hr, Some(o.m)).await));
        assert_eq!(
            heatmap_access(&t.db, &their_hr, Some(boss)).await.unwrap(),
            boss
        );
    }
}
