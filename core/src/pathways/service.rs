//! The catalogue, recommendations, pathways and their progress, on the
//! database. The ranking itself is the pure `model::recommend`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    Statement, TransactionSession, TransactionTrait,
};

use super::catalogue;
use super::model::{
    CatalogueImport, Coverage, Gap, MentorCandidate, MyLearning, PathwayView, ProgressRow,
    Resource, ResourceInput, RoleChoice, RoleNeeds, StepAction, StepSkill, StepStatus, StepView,
    TeamLearning, UptakeRow, gains_text, gaps, mentoring_reason, mentoring_topic, read_step_skills,
    recommend, suggest_mentors, validate_resource,
};
use crate::audit::model::Action;
use crate::entities::{
    assessment, job_role, learning_resource, mentor, pathway, pathway_step, person, resource_skill,
};
use crate::error::AppError;
use crate::framework::model::{FrameworkView, MAX_LEVEL};
use crate::framework::read as framework;
use crate::import::model::Problem;
use crate::kernel::audit;
use crate::kernel::audit::Actor;
use crate::kernel::db::placeholders;
use crate::kernel::table::Table;
use crate::people::model::full_name;
use crate::profile::service::requirements;

/// The longest weekly time budget accepted: a full working week.
pub const MAX_WEEKLY_MINUTES: u32 = 37 * 60 + 30;

// ---------------------------------------------------------------------------
// The catalogue.

fn to_resource(r: learning_resource::Model, covers: Vec<Coverage>) -> Resource {
    Resource {
        id: r.id,
        code: r.code,
        title: r.title,
        provider: r.provider,
        url: r.url,
        format: r.format,
        minutes: r.minutes.max(0) as u32,
        cost_pence: r.cost_pence.max(0) as u32,
        description: r.description,
        covers,
        retired: r.retired,
    }
}

async fn covers_of(
    db: &impl ConnectionTrait,
    ids: Option<Vec<i32>>,
) -> Result<HashMap<i32, Vec<Coverage>>, AppError> {
    let mut query = resource_skill::Entity::find()
        .order_by_asc(resource_skill::Column::ResourceId)
        .order_by_asc(resource_skill::Column::SkillCode);
    if let Some(ids) = ids {
        query = query.filter(resource_skill::Column::ResourceId.is_in(ids));
    }
    let mut covers: HashMap<i32, Vec<Coverage>> = HashMap::new();
    for s in query.all(db).await? {
        covers.entry(s.resource_id).or_default().push(Coverage {
            skill_code: s.skill_code,
            from: s.from_level.clamp(0, 4) as u8,
            to: s.to_level.clamp(0, 4) as u8,
        });
    }
    Ok(covers)
}

/// Every resource with the skills it develops, by code; retired ones only
/// when asked for.
pub async fn resources(
    db: &impl ConnectionTrait,
    with_retired: bool,
) -> Result<Vec<Resource>, AppError> {
    let mut query = learning_resource::Entity::find().order_by_asc(learning_resource::Column::Code);
    if !with_retired {
        query = query.filter(learning_resource::Column::Retired.eq(false));
    }
    let rows = query.all(db).await?;
    let mut covers = covers_of(db, None).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = covers.remove(&r.id).unwrap_or_default();
            to_resource(r, c)
        })
        .collect())
}

/// One resource.
pub async fn resource(db: &impl ConnectionTrait, id: i32) -> Result<Resource, AppError> {
    let row = learning_resource::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That learning resource".into()))?;
    let covers = covers_of(db, Some(vec![id]))
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(to_resource(row, covers))
}

async fn skill_set(db: &impl ConnectionTrait) -> Result<HashSet<String>, AppError> {
    Ok(framework::skill_codes(db).await?.into_iter().collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Created,
    Updated,
    Unchanged,
}

fn same(a: &Resource, b: &Resource) -> bool {
    a.code == b.code
        && a.title == b.title
        && a.provider == b.provider
        && a.url == b.url
        && a.format == b.format
        && a.minutes == b.minutes
        && a.cost_pence == b.cost_pence
        && a.description == b.description
        && a.covers == b.covers
        && a.retired == b.retired
}

/// Writes a resource (new, or over `existing`) with its skills. Writing a
/// retired resource brings it back.
async fn write(
    db: &impl ConnectionTrait,
    r: &Resource,
    existing: Option<&Resource>,
) -> Result<(i32, Written), AppError> {
    let now = Utc::now();
    let (id, written) = match existing {
        Some(e) if same(r, e) => return Ok((e.id, Written::Unchanged)),
        Some(e) => {
            learning_resource::ActiveModel {
                id: Set(e.id),
                code: Set(r.code.clone()),
                title: Set(r.title.clone()),
                provider: Set(r.provider.clone()),
                url: Set(r.url.clone()),
                format: Set(r.format.clone()),
                minutes: Set(r.minutes as i32),
                cost_pence: Set(r.cost_pence as i32),
                description: Set(r.description.clone()),
                retired: Set(false),
                updated_at: Set(now),
            }
            .update(db)
            .await?;
            resource_skill::Entity::delete_many()
                .filter(resource_skill::Column::ResourceId.eq(e.id))
                .exec(db)
                .await?;
            (e.id, Written::Updated)
        }
        None => {
            let row = learning_resource::ActiveModel {
                code: Set(r.code.clone()),
                title: Set(r.title.clone()),
                provider: Set(r.provider.clone()),
                url: Set(r.url.clone()),
                format: Set(r.format.clone()),
                minutes: Set(r.minutes as i32),
                cost_pence: Set(r.cost_pence as i32),
                description: Set(r.description.clone()),
                retired: Set(false),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            (row.id, Written::Created)
        }
    };
    if !r.covers.is_empty() {
        resource_skill::Entity::insert_many(r.covers.iter().map(|c| resource_skill::ActiveModel {
            resource_id: Set(id),
            skill_code: Set(c.skill_code.clone()),
            from_level: Set(i16::from(c.from)),
            to_level: Set(i16::from(c.to)),
        }))
        .exec(db)
        .await?;
    }
    Ok((id, written))
}

/// Adds a resource (`id` empty) or changes one, from the form.
pub async fn save_resource(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    id: Option<i32>,
    input: &ResourceInput,
) -> Result<i32, AppError> {
    let skills = skill_set(db).await?;
    let r = validate_resource(input, &skills).map_err(AppError::Validation)?;
    let txn = crate::kernel::begin_write(db).await?;
    let existing = match id {
        Some(id) => Some(resource(&txn, id).await?),
        None => None,
    };
    if let Some(other) = learning_resource::Entity::find()
        .filter(learning_resource::Column::Code.eq(&r.code))
        .one(&txn)
        .await?
        && Some(other.id) != id
    {
        return Err(AppError::validation(
            "code",
            format!(
                "{} is already the code of \u{201c}{}\u{201d}. Choose another code.",
                r.code, other.title
            ),
        ));
    }
    let (saved, written) = write(&txn, &r, existing.as_ref()).await?;
    let detail = match written {
        Written::Created => "created",
        Written::Updated => "changed",
        Written::Unchanged => "unchanged",
    };
    let target = Some(("resource", saved));
    audit::record(&txn, by, Action::ResourceSaved, target, detail).await?;
    txn.commit().await?;
    Ok(saved)
}

/// What removing a resource did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Removed {
    Deleted,
    /// Someone's pathway uses it: kept for them, no longer recommended.
    Retired,
}

pub async fn remove_resource(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    id: i32,
) -> Result<Removed, AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let row = learning_resource::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("That learning resource".into()))?;
    let used = pathway_step::Entity::find()
        .filter(pathway_step::Column::ResourceId.eq(id))
        .one(&txn)
        .await?
        .is_some();
    let removed = if used {
        learning_resource::ActiveModel {
            id: Set(row.id),
            retired: Set(true),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        Removed::Retired
    } else {
        resource_skill::Entity::delete_many()
            .filter(resource_skill::Column::ResourceId.eq(id))
            .exec(&txn)
            .await?;
        learning_resource::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        Removed::Deleted
    };
    let detail = match removed {
        Removed::Deleted => "deleted",
        Removed::Retired => "retired: a pathway uses it",
    };
    audit::record(
        &txn,
        by,
        Action::ResourceRemoved,
        Some(("resource", id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(removed)
}

/// Imports a catalogue file: every row checked first; then all of it in one
/// transaction, matched by code. `Ok(Err(problems))` changed nothing.
pub async fn import_catalogue(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    table: &Table,
) -> Result<Result<CatalogueImport, Vec<Problem>>, AppError> {
    let skills = skill_set(db).await?;
    let rows = match catalogue::check(table, &skills) {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(problems)),
    };
    let txn = crate::kernel::begin_write(db).await?;
    let existing: HashMap<String, Resource> = resources(&txn, true)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let mut outcome = CatalogueImport::default();
    for (_, r) in &rows {
        match write(&txn, r, existing.get(&r.code)).await?.1 {
            Written::Created => outcome.created += 1,
            Written::Updated => outcome.updated += 1,
            Written::Unchanged => outcome.unchanged += 1,
        }
    }
    let detail = format!(
        "{} created, {} updated, {} unchanged",
        outcome.created, outcome.updated, outcome.unchanged
    );
    audit::record(&txn, by, Action::CatalogueImported, None, detail).await?;
    txn.commit().await?;
    Ok(Ok(outcome))
}

/// Loads the starter catalogue. Skills the framework in use does not have
/// are left out (and a resource with none of its skills left is skipped),
/// so it also loads into a trust's own framework.
pub async fn load_starter(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<CatalogueImport, AppError> {
    let mut table = crate::kernel::table::read(
        catalogue::STARTER.as_bytes(),
        "starter_catalogue.csv",
        Default::default(),
    )
    .map_err(|p| {
        tracing::error!(problem = %p.describe(), "the starter catalogue does not read");
        AppError::Internal
    })?;
    let skills = skill_set(db).await?;
    if let Some(col) = table
        .headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("skills"))
    {
        for (_, cells) in table.rows.iter_mut() {
            if let Some(cell) = cells.get_mut(col) {
                *cell = cell
                    .split(';')
                    .map(str::trim)
                    .filter(|item| {
                        item.split_whitespace()
                            .next()
                            .is_some_and(|code| skills.contains(code))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
            }
        }
        table
            .rows
            .retain(|(_, cells)| cells.get(col).is_some_and(|c| !c.trim().is_empty()));
    }
    if table.rows.is_empty() {
        return Ok(CatalogueImport::default());
    }
    import_catalogue(db, Actor::system(), &table)
        .await?
        .map_err(|problems| {
            for p in problems {
                tracing::error!(problem = %p.describe(), "the starter catalogue does not load");
            }
            AppError::Internal
        })
}

// ---------------------------------------------------------------------------
// Recommendations.

fn framework_skills(fw: &FrameworkView) -> Vec<(String, String)> {
    fw.skills()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect()
}

/// Colleagues of organisation `org` who offer mentoring and have an
/// agreed Expert level in one of these gaps' skills.
async fn mentor_candidates(
    db: &impl ConnectionTrait,
    org: i32,
    gaps: &[Gap],
    my_unit: i32,
) -> Result<Vec<MentorCandidate>, AppError> {
    if gaps.is_empty() {
        return Ok(Vec::new());
    }
    // Subqueries, not id lists: an organisation may have more mentors and
    // experts than a statement may carry parameters (SQLite's 32,766).
    let own_people = Query::select()
        .column(person::Column::Id)
        .from(person::Entity)
        .and_where(person::Column::OrganisationId.eq(org))
        .to_owned();
    let mentors_here = Query::select()
        .column(mentor::Column::PersonId)
        .from(mentor::Entity)
        .and_where(mentor::Column::PersonId.in_subquery(own_people))
        .to_owned();
    let codes: Vec<String> = gaps.iter().map(|g| g.skill_code.clone()).collect();
    let experts = assessment::Entity::find()
        .filter(assessment::Column::PersonId.in_subquery(mentors_here.clone()))
        .filter(assessment::Column::SkillCode.is_in(codes.clone()))
        .filter(assessment::Column::AgreedLevel.eq(i16::from(MAX_LEVEL)))
        .all(db)
        .await?;
    if experts.is_empty() {
        return Ok(Vec::new());
    }
    let expert_people = Query::select()
        .column(assessment::Column::PersonId)
        .from(assessment::Entity)
        .and_where(assessment::Column::PersonId.in_subquery(mentors_here))
        .and_where(assessment::Column::SkillCode.is_in(codes))
        .and_where(assessment::Column::AgreedLevel.eq(i16::from(MAX_LEVEL)))
        .to_owned();
    let people: HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.in_subquery(expert_people))
        .filter(person::Column::OrganisationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let titles = role_titles(db, org).await?;
    Ok(experts
        .into_iter()
        .filter_map(|a| {
            let p = people.get(&a.person_id)?;
            Some(MentorCandidate {
                person_id: p.id,
                name: full_name(&p.given_name, &p.family_name),
                job_title: p.job_role_id.and_then(|r| titles.get(&r).cloned()),
                skill_code: a.skill_code,
                same_unit: p.org_unit_id == my_unit,
            })
        })
        .collect())
}

/// The titles of organisation `org`'s job roles, by id.
async fn role_titles(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<HashMap<i32, String>, AppError> {
    Ok(job_role::Entity::find()
        .filter(job_role::Column::OrganisationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect())
}

/// The level that counts for a pathway: agreed, else the person's own.
fn counted(a: &assessment::Model) -> u8 {
    a.agreed_level.unwrap_or(a.self_level).clamp(0, 4) as u8
}

/// Everything "My learning" shows: the gaps against the person's role (and
/// the role they aim for, one of their organisation's), the recommended
/// pathway, mentors (of their organisation), and the pathway they
/// accepted.
pub async fn my_learning(
    db: &impl ConnectionTrait,
    person_id: i32,
    aspiration: Option<i32>,
    weekly_minutes: Option<u32>,
) -> Result<MyLearning, AppError> {
    let weekly = weekly_minutes.filter(|w| *w > 0);
    if weekly.is_some_and(|w| w > MAX_WEEKLY_MINUTES) {
        return Err(AppError::validation(
            "weekly",
            "Choose a weekly time of a working week or less",
        ));
    }
    let me = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    // Gaps in the organisation's own skills count too.
    let fw = framework::current_for(db, me.organisation_id).await?;
    let skills = framework_skills(&fw);
    let role = match me.job_role_id {
        Some(id) => job_role::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let role_needs = requirements(db, me.job_role_id).await?;
    // Another organisation's role is refused as one that does not exist.
    let aim = match aspiration {
        Some(id) => Some(
            job_role::Entity::find_by_id(id)
                .filter(job_role::Column::OrganisationId.eq(me.organisation_id))
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::validation("aspiration", "Choose a job role from the list")
                })?,
        ),
        None => None,
    };
    let aim_needs = requirements(db, aim.as_ref().map(|r| r.id)).await?;
    let rows = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .all(db)
        .await?;
    let levels: HashMap<String, u8> = rows
        .iter()
        .map(|a| (a.skill_code.clone(), counted(a)))
        .collect();
    let names: HashMap<&str, &str> = skills
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let expert_in: Vec<String> = skills
        .iter()
        .filter(|(code, _)| {
            rows.iter()
                .any(|a| &a.skill_code == code && a.agreed_level == Some(i16::from(MAX_LEVEL)))
        })
        .map(|(_, name)| name.clone())
        .collect();
    let mut gaps = gaps(
        &skills,
        &levels,
        role.as_ref().map(|r| RoleNeeds {
            title: &r.title,
            needs: &role_needs,
        }),
        aim.as_ref().map(|r| RoleNeeds {
            title: &r.title,
            needs: &aim_needs,
        }),
    );
    super::model::mark_interests(
        &mut gaps,
        &crate::expertise::service::develop_interests(db, person_id).await?,
    );
    let pathway = pathway_view(db, person_id, &names).await?;
    // A resource already done is not recommended again.
    let done: HashSet<i32> = done_resources(db, person_id).await?;
    let catalogue: Vec<Resource> = resources(db, false)
        .await?
        .into_iter()
        .filter(|r| !done.contains(&r.id))
        .collect();
    let plan = recommend(&gaps, &catalogue, weekly);
    let mentors = suggest_mentors(
        &gaps,
        &mentor_candidates(db, me.organisation_id, &gaps, me.org_unit_id).await?,
        person_id,
    );
    let roles = job_role::Entity::find()
        .filter(job_role::Column::OrganisationId.eq(me.organisation_id))
        .order_by_asc(job_role::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RoleChoice {
            id: r.id,
            title: r.title,
        })
        .collect();
    let is_mentor = mentor::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .is_some();
    Ok(MyLearning {
        role_title: role.map(|r| r.title),
        aspiration: aim.map(|r| r.id),
        weekly_minutes: weekly,
        roles,
        gaps,
        plan,
        mentors,
        catalogue_size: catalogue.len(),
        pathway,
        is_mentor,
        expert_in,
    })
}

async fn done_resources(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<HashSet<i32>, AppError> {
    let Some(p) = pathway_of(db, person_id).await? else {
        return Ok(HashSet::new());
    };
    Ok(pathway_step::Entity::find()
        .filter(pathway_step::Column::PathwayId.eq(p.id))
        .filter(pathway_step::Column::Status.eq(StepStatus::Done.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.resource_id)
        .collect())
}

async fn pathway_of(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<pathway::Model>, AppError> {
    Ok(pathway::Entity::find()
        .filter(pathway::Column::PersonId.eq(person_id))
        .one(db)
        .await?)
}

/// The person's accepted pathway, its steps in order.
pub async fn pathway_view(
    db: &impl ConnectionTrait,
    person_id: i32,
    skill_names: &HashMap<&str, &str>,
) -> Result<Option<PathwayView>, AppError> {
    let Some(p) = pathway_of(db, person_id).await? else {
        return Ok(None);
    };
    let steps = pathway_step::Entity::find()
        .filter(pathway_step::Column::PathwayId.eq(p.id))
        .order_by_asc(pathway_step::Column::Position)
        .order_by_asc(pathway_step::Column::Id)
        .all(db)
        .await?;
    let resources: HashMap<i32, learning_resource::Model> = learning_resource::Entity::find()
        .filter(
            learning_resource::Column::Id.is_in(
                steps
                    .iter()
                    .filter_map(|s| s.resource_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mentors: HashMap<i32, person::Model> = person::Entity::find()
        .filter(
            person::Column::Id.is_in(steps.iter().filter_map(|s| s.mentor_id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let aspiration = match p.aspiration_role_id {
        Some(id) => job_role::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| r.title),
        None => None,
    };
    let steps = steps
        .into_iter()
        .map(|s| {
            let skills = read_step_skills(&s.skills)
                .into_iter()
                .map(|(code, from, to)| StepSkill {
                    name: skill_names
                        .get(code.as_str())
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| code.clone()),
                    code,
                    from,
                    to,
                })
                .collect();
            let status = StepStatus::parse(&s.status);
            match s.resource_id.and_then(|id| resources.get(&id)) {
                Some(r) => StepView {
                    id: s.id,
                    title: r.title.clone(),
                    provider: r.provider.clone(),
                    url: r.url.clone(),
                    format: r.format.clone(),
                    minutes: r.minutes.max(0) as u32,
                    cost_pence: r.cost_pence.max(0) as u32,
                    skills,
                    reason: s.reason,
                    status,
                    mentor_id: None,
                },
                None => {
                    // Named as they are now: the step keeps only the id.
                    let mentor = s
                        .mentor_id
                        .and_then(|id| mentors.get(&id))
                        .map(|m| full_name(&m.given_name, &m.family_name));
                    StepView {
                        id: s.id,
                        title: match &mentor {
                            Some(name) => format!("Mentoring with {name}"),
                            None => "Mentoring (the colleague is no longer here)".into(),
                        },
                        provider: "A colleague".into(),
                        url: None,
                        format: "mentoring".into(),
                        minutes: MENTOR_MINUTES,
                        cost_pence: 0,
                        reason: mentoring_reason(mentor.as_deref(), &skills),
                        skills,
                        status,
                        mentor_id: s.mentor_id,
                    }
                }
            }
        })
        .collect();
    Ok(Some(PathwayView { aspiration, steps }))
}

/// A mentoring conversation, for planning.
pub const MENTOR_MINUTES: u32 = 60;

/// Creates the person's pathway, or notes the choices it now follows.
async fn ensure_pathway(
    db: &impl ConnectionTrait,
    person_id: i32,
    choices: Option<(Option<i32>, Option<u32>)>,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    match pathway_of(db, person_id).await? {
        Some(p) => {
            let mut row = pathway::ActiveModel {
                id: Set(p.id),
                updated_at: Set(now),
                ..Default::default()
            };
            if let Some((aspiration, weekly)) = choices {
                row.aspiration_role_id = Set(aspiration);
                row.weekly_minutes = Set(weekly.map(|w| w as i32));
            }
            row.update(db).await?;
            Ok(p.id)
        }
        None => {
            let (aspiration, weekly) = choices.unwrap_or_default();
            Ok(pathway::ActiveModel {
                person_id: Set(person_id),
                aspiration_role_id: Set(aspiration),
                weekly_minutes: Set(weekly.map(|w| w as i32)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id)
        }
    }
}

async fn next_position(db: &impl ConnectionTrait, pathway_id: i32) -> Result<i32, AppError> {
    Ok(pathway_step::Entity::find()
        .filter(pathway_step::Column::PathwayId.eq(pathway_id))
        .order_by_desc(pathway_step::Column::Position)
        .one(db)
        .await?
        .map(|s| s.position + 1)
        .unwrap_or(1))
}

/// Accepts the recommended pathway the person saw (`fingerprint`: its
/// resources in order). Steps not yet done are replaced; done ones stay.
pub async fn accept(
    db: &(impl ConnectionTrait + TransactionTrait),
    person_id: i32,
    aspiration: Option<i32>,
    weekly_minutes: Option<u32>,
    fingerprint: &str,
) -> Result<usize, AppError> {
    let mine = my_learning(db, person_id, aspiration, weekly_minutes).await?;
    if mine.plan.steps.is_empty() {
        return Err(AppError::Conflict(
            "There is nothing to accept: no resource in the catalogue closes your gaps now.".into(),
        ));
    }
    if mine.plan.fingerprint() != fingerprint.trim() {
        return Err(AppError::Conflict(
            "Your recommended pathway changed after you opened the page (the catalogue or your levels changed). Look at the new pathway, then accept it again.".into(),
        ));
    }
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    let pid = ensure_pathway(
        &txn,
        person_id,
        Some((mine.aspiration, mine.weekly_minutes)),
        now,
    )
    .await?;
    pathway_step::Entity::delete_many()
        .filter(pathway_step::Column::PathwayId.eq(pid))
        .filter(pathway_step::Column::Status.ne(StepStatus::Done.as_str()))
        .exec(&txn)
        .await?;
    let first = next_position(&txn, pid).await?;
    let count = mine.plan.steps.len();
    pathway_step::Entity::insert_many(mine.plan.steps.iter().enumerate().map(|(i, s)| {
        pathway_step::ActiveModel {
            pathway_id: Set(pid),
            position: Set(first + i as i32),
            resource_id: Set(Some(s.resource.id)),
            mentor_id: Set(None),
            skills: Set(gains_text(&s.gains)),
            reason: Set(s.reason.clone()),
            status: Set(StepStatus::NotStarted.as_str().into()),
            started_at: Set(None),
            done_at: Set(None),
            ..Default::default()
        }
    }))
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(count)
}

/// Adds a mentoring step with a colleague of the person's organisation who
/// offers mentoring and has an agreed Expert level in the skill. Someone of
/// another organisation is refused exactly as an id that does not exist.
pub async fn add_mentor(
    db: &(impl ConnectionTrait + TransactionTrait),
    person_id: i32,
    mentor_id: i32,
    skill_code: &str,
) -> Result<(), AppError> {
    if mentor_id == person_id {
        return Err(AppError::validation(
            "mentor",
            "You cannot be your own mentor",
        ));
    }
    let me = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let fw = framework::current_for(db, me.organisation_id).await?;
    let skill_name = fw
        .skill(skill_code)
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            AppError::validation(
                "skill_code",
                format!("There is no skill {skill_code:?} in the framework"),
            )
        })?;
    let offers = mentor::Entity::find_by_id(mentor_id)
        .one(db)
        .await?
        .is_some();
    let expert = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(mentor_id))
        .filter(assessment::Column::SkillCode.eq(skill_code))
        .filter(assessment::Column::AgreedLevel.eq(i16::from(MAX_LEVEL)))
        .one(db)
        .await?
        .is_some();
    let Some(m) = person::Entity::find_by_id(mentor_id)
        .filter(person::Column::OrganisationId.eq(me.organisation_id))
        .one(db)
        .await?
    else {
        return Err(AppError::validation(
            "mentor",
            "Choose a mentor from the list",
        ));
    };
    if !(offers && expert) {
        return Err(AppError::validation(
            "mentor",
            format!(
                "That colleague does not offer mentoring in {skill_name}. Choose a mentor from the list"
            ),
        ));
    }
    let name = full_name(&m.given_name, &m.family_name);
    let now_level = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::SkillCode.eq(skill_code))
        .one(db)
        .await?
        .map(|a| counted(&a))
        .unwrap_or(0);
    if now_level >= MAX_LEVEL {
        return Err(AppError::validation(
            "mentor",
            format!("You are already at Expert in {skill_name}"),
        ));
    }
    let need = requirements(db, me.job_role_id)
        .await?
        .get(skill_code)
        .map(|r| r.level)
        .unwrap_or(0);
    let target = if need > now_level {
        need
    } else {
        now_level + 1
    };
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    let pid = ensure_pathway(&txn, person_id, None, now).await?;
    let duplicate = pathway_step::Entity::find()
        .filter(pathway_step::Column::PathwayId.eq(pid))
        .filter(pathway_step::Column::MentorId.eq(mentor_id))
        .filter(pathway_step::Column::Status.ne(StepStatus::Done.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .any(|s| {
            read_step_skills(&s.skills)
                .iter()
                .any(|(c, _, _)| c == skill_code)
        });
    if duplicate {
        return Err(AppError::Conflict(format!(
            "Mentoring with {name} in {skill_name} is already in your pathway."
        )));
    }
    let position = next_position(&txn, pid).await?;
    pathway_step::ActiveModel {
        pathway_id: Set(pid),
        position: Set(position),
        resource_id: Set(None),
        mentor_id: Set(Some(mentor_id)),
        skills: Set(format!("{skill_code} {now_level}-{target}")),
        // Told from `mentor_id` when shown (`mentoring_reason`): no copy
        // of the mentor's name to outlive them.
        reason: Set(String::new()),
        status: Set(StepStatus::NotStarted.as_str().into()),
        started_at: Set(None),
        done_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    {
        use crate::notifications::{model::Kind, service as notices};
        notices::notify_person(
            &txn,
            mentor_id,
            notices::NewNotice::new(
                Kind::MentorChosen,
                format!(
                    "{} chose you as their mentor for {skill_name}",
                    full_name(&me.given_name, &me.family_name)
                ),
                "You offer mentoring, and they added mentoring with you to their learning pathway. Get in touch to agree how you will work together.",
                "/learning",
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Starts, finishes, resets, removes or moves one of the person's own
/// steps. Anyone else's step is "not found".
pub async fn update_step(
    db: &(impl ConnectionTrait + TransactionTrait),
    person_id: i32,
    step_id: i32,
    action: StepAction,
) -> Result<(), AppError> {
    let not_found = || AppError::NotFound("That pathway step".into());
    let txn = crate::kernel::begin_write(db).await?;
    let step = pathway_step::Entity::find_by_id(step_id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let owner = pathway::Entity::find_by_id(step.pathway_id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if owner.person_id != person_id {
        return Err(not_found());
    }
    let now = Utc::now();
    let mut row = pathway_step::ActiveModel {
        id: Set(step.id),
        ..Default::default()
    };
    match action {
        StepAction::Start => {
            row.status = Set(StepStatus::Started.as_str().into());
            row.started_at = Set(Some(step.started_at.unwrap_or(now)));
            row.done_at = Set(None);
            row.update(&txn).await?;
        }
        StepAction::Done => {
            row.status = Set(StepStatus::Done.as_str().into());
            row.started_at = Set(Some(step.started_at.unwrap_or(now)));
            row.done_at = Set(Some(step.done_at.unwrap_or(now)));
            row.update(&txn).await?;
        }
        StepAction::Reset => {
            row.status = Set(StepStatus::NotStarted.as_str().into());
            row.started_at = Set(None);
            row.done_at = Set(None);
            row.update(&txn).await?;
        }
        StepAction::Remove => {
            pathway_step::Entity::delete_by_id(step.id)
                .exec(&txn)
                .await?;
        }
        StepAction::Up | StepAction::Down => {
            let mut order: Vec<pathway_step::Model> = pathway_step::Entity::find()
                .filter(pathway_step::Column::PathwayId.eq(owner.id))
                .order_by_asc(pathway_step::Column::Position)
                .order_by_asc(pathway_step::Column::Id)
                .all(&txn)
                .await?;
            let i = order
                .iter()
                .position(|s| s.id == step.id)
                .ok_or_else(not_found)?;
            let j = if action == StepAction::Up {
                i.checked_sub(1)
            } else {
                (i + 1 < order.len()).then_some(i + 1)
            };
            if let Some(j) = j {
                order.swap(i, j);
                // Renumber, so positions stay 1..n whatever came before.
                for (k, s) in order.iter().enumerate() {
                    let want = k as i32 + 1;
                    if s.position != want {
                        pathway_step::ActiveModel {
                            id: Set(s.id),
                            position: Set(want),
                            ..Default::default()
                        }
                        .update(&txn)
                        .await?;
                    }
                }
            }
        }
    }
    // The last step done completes the pathway: a badge for it. A
    // mentoring step is listed by its skills, not by its mentor.
    if action == StepAction::Done {
        let fw = framework::current(&txn).await?;
        let skills = framework_skills(&fw);
        let names: HashMap<&str, &str> = skills
            .iter()
            .map(|(c, n)| (c.as_str(), n.as_str()))
            .collect();
        if let Some(path) = pathway_view(&txn, person_id, &names).await?
            && path.steps.iter().all(|s| s.status == StepStatus::Done)
        {
            let steps: Vec<(i32, String)> = path
                .steps
                .into_iter()
                .map(|s| {
                    let title = if s.mentor_id.is_some() {
                        mentoring_topic(&s.skills)
                    } else {
                        s.title
                    };
                    (s.id, title)
                })
                .collect();
            crate::recognition::service::award_for_pathway(&txn, person_id, &steps).await?;
        }
    }
    pathway::ActiveModel {
        id: Set(owner.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The person offers (or stops offering) mentoring.
pub async fn set_mentoring(
    db: &impl ConnectionTrait,
    person_id: i32,
    offer: bool,
) -> Result<(), AppError> {
    let exists = mentor::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .is_some();
    match (offer, exists) {
        (true, false) => {
            mentor::ActiveModel {
                person_id: Set(person_id),
                since: Set(Utc::now()),
            }
            .insert(db)
            .await?;
        }
        (false, true) => {
            mentor::Entity::delete_by_id(person_id).exec(db).await?;
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Progress for managers and HR.

/// A manager's direct reports and their pathway progress.
pub async fn team_progress(
    db: &impl ConnectionTrait,
    manager_id: i32,
) -> Result<TeamLearning, AppError> {
    let manager = person::Entity::find_by_id(manager_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That manager".into()))?;
    let people = person::Entity::find()
        .filter(person::Column::LineManagerId.eq(manager_id))
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .all(db)
        .await?;
    let ids: Vec<i32> = people.iter().map(|p| p.id).collect();
    let pathways: HashMap<i32, pathway::Model> = pathway::Entity::find()
        .filter(pathway::Column::PersonId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let steps = pathway_step::Entity::find()
        .filter(pathway_step::Column::PathwayId.is_in(pathways.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(pathway_step::Column::Position)
        .order_by_asc(pathway_step::Column::Id)
        .all(db)
        .await?;
    let titles: HashMap<i32, String> = learning_resource::Entity::find()
        .filter(
            learning_resource::Column::Id.is_in(
                steps
                    .iter()
                    .filter_map(|s| s.resource_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect();
    let mut by_person: HashMap<i32, Vec<&pathway_step::Model>> = HashMap::new();
    let mut updated: HashMap<i32, DateTime<Utc>> = HashMap::new();
    for p in pathways.values() {
        updated.insert(p.person_id, p.updated_at);
    }
    for s in &steps {
        if let Some(p) = pathways.get(&s.pathway_id) {
            by_person.entry(p.person_id).or_default().push(s);
        }
    }
    // The manager's reports are of the manager's organisation.
    let role_titles = role_titles(db, manager.organisation_id).await?;
    let rows = people
        .into_iter()
        .map(|p| {
            let steps = by_person.remove(&p.id).unwrap_or_default();
            let done = steps
                .iter()
                .filter(|s| StepStatus::parse(&s.status) == StepStatus::Done)
                .count();
            let started = steps
                .iter()
                .filter(|s| StepStatus::parse(&s.status) == StepStatus::Started)
                .count();
            let next_step = steps
                .iter()
                .find(|s| StepStatus::parse(&s.status) != StepStatus::Done)
                .map(|s| match s.resource_id.and_then(|id| titles.get(&id)) {
                    Some(t) => t.clone(),
                    None => "Mentoring".into(),
                });
            ProgressRow {
                person_id: p.id,
                name: full_name(&p.given_name, &p.family_name),
                job_title: p.job_role_id.and_then(|r| role_titles.get(&r).cloned()),
                steps: steps.len(),
                done,
                started,
                next_step,
                last_activity: updated
                    .get(&p.id)
                    .map(|t| t.format("%-d %B %Y").to_string()),
            }
        })
        .collect();
    Ok(TeamLearning {
        manager_id,
        manager_name: full_name(&manager.given_name, &manager.family_name),
        rows,
    })
}

/// Pathway uptake by org unit of organisation `org` (each unit's own
/// members), for HR.
pub async fn uptake(db: &impl ConnectionTrait, org: i32) -> Result<Vec<UptakeRow>, AppError> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT u.id AS id, u.name AS name, COUNT(DISTINCT p.id) AS staff, \
                 COUNT(DISTINCT pw.id) AS with_pathway, COUNT(s.id) AS steps, \
                 COALESCE(SUM(CASE WHEN s.status = 'done' THEN 1 ELSE 0 END), 0) AS done \
                 FROM org_unit u JOIN person p ON p.org_unit_id = u.id \
                 LEFT JOIN pathway pw ON pw.person_id = p.id \
                 LEFT JOIN pathway_step s ON s.pathway_id = pw.id \
                 WHERE u.organisation_id = ? \
                 GROUP BY u.id, u.name ORDER BY u.name",
            ),
            [org.into()],
        ))
        .await?;
    let completed: HashMap<i32, i64> = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT p.org_unit_id AS id, COUNT(*) AS n FROM pathway pw \
                 JOIN person p ON p.id = pw.person_id \
                 WHERE p.organisation_id = ? \
                 AND EXISTS (SELECT 1 FROM pathway_step s WHERE s.pathway_id = pw.id) \
                 AND NOT EXISTS (SELECT 1 FROM pathway_step s WHERE s.pathway_id = pw.id AND s.status <> 'done') \
                 GROUP BY p.org_unit_id",
            ),
            [org.into()],
        ))
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get::<i32>("", "id")?, r.try_get::<i64>("", "n")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    rows.into_iter()
        .map(|r| {
            let id: i32 = r.try_get("", "id")?;
            let n = |k: &str| -> Result<u32, sea_orm::DbErr> {
                Ok(r.try_get::<i64>("", k)?.max(0) as u32)
            };
            Ok(UptakeRow {
                unit_id: id,
                unit_name: r.try_get("", "name")?,
                staff: n("staff")?,
                with_pathway: n("with_pathway")?,
                steps: n("steps")?,
                done: n("done")?,
                completed: completed.get(&id).copied().unwrap_or(0).max(0) as u32,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Role;
    use crate::kernel::testing::{ORG, agree, assess, role_id, user};
    use crate::kernel::testing::{test_db, tiny_org};
    use crate::roles::service as roles;

    async fn starter(db: &sea_orm::DatabaseConnection) {
        crate::framework::service::ensure_default(db).await.unwrap();
        let loaded = load_starter(db).await.unwrap();
        assert!(loaded.created >= 35, "{loaded:?}");
    }

    fn csv_table(text: &str) -> Table {
        crate::kernel::table::read(text.as_bytes(), "c.csv", Default::default()).unwrap()
    }

    #[tokio::test]
    async fn catalogue_import_is_all_or_nothing_and_idempotent() {
        let t = test_db().await;
        starter(&t.db).await;
        let before = resources(&t.db, true).await.unwrap();
        // The same file again changes nothing.
        let again = load_starter(&t.db).await.unwrap();
        assert_eq!(again.created + again.updated, 0, "{again:?}");
        assert_eq!(again.unchanged, before.len());
        // One bad row: nothing changes, and the problem names the row.
        let text = "Code,Title,Provider,Link,Format,Minutes,Skills\n\
                    LR-001,Renamed,NHS,https://example.org,video,10,DAT-VIS 1-2\n\
                    LR-900,New,NHS,https://example.org,video,10,DAT-NOPE 1-2\n";
        let problems = import_catalogue(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &csv_table(text),
        )
        .await
        .unwrap()
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, Some(3));
        assert_eq!(problems[0].column, "Skills");
        assert_eq!(resources(&t.db, true).await.unwrap(), before);
        // Fixed: one change, one new.
        let fixed = text.replace("DAT-NOPE", "DAT-ANA");
        let done = import_catalogue(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &csv_table(&fixed),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((done.created, done.updated, done.unchanged), (1, 1, 0));
        let all = resources(&t.db, true).await.unwrap();
        assert_eq!(all.len(), before.len() + 1);
        let renamed = all.iter().find(|r| r.code == "LR-001").unwrap();
        assert_eq!(renamed.title, "Renamed");
        assert_eq!(renamed.covers.len(), 1);
    }

    #[tokio::test]
    async fn saving_a_resource_checks_codes_and_fields() {
        let t = test_db().await;
        starter(&t.db).await;
        let input = ResourceInput {
            code: "LR-001".into(),
            title: "Duplicate".into(),
            provider: "NHS".into(),
            url: "https://example.org".into(),
            format: "video".into(),
            minutes: "5".into(),
            cost: "0".into(),
            description: String::new(),
            skills: "DAT-VIS 1-2".into(),
        };
        let err = save_resource(&t.db, crate::kernel::audit::Actor::system(), None, &input)
            .await
            .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "code");
        let id = save_resource(
            &t.db,
            crate::kernel::audit::Actor::system(),
            None,
            &ResourceInput {
                code: "LR-500".into(),
                ..input.clone()
            },
        )
        .await
        .unwrap();
        let r = resource(&t.db, id).await.unwrap();
        assert_eq!(r.title, "Duplicate");
        let bad = save_resource(
            &t.db,
            crate::kernel::audit::Actor::system(),
            Some(id),
            &ResourceInput {
                code: "LR-500".into(),
                minutes: "soon".into(),
                ..input
            },
        )
        .await
        .unwrap_err();
        assert_eq!(bad.field_errors()[0].field, "minutes");
        assert!(matches!(
            save_resource(
                &t.db,
                crate::kernel::audit::Actor::system(),
                Some(99_999),
                &ResourceInput::default()
            )
            .await,
            Err(AppError::Validation(_))
        ));
    }

    #[tokio::test]
    async fn a_person_accepts_works_through_and_reorders_a_pathway() {
        let t = test_db().await;
        starter(&t.db).await;
        let o = tiny_org(&t.db).await;
        let role = role_id(&t.db).await;
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DAT-VIS",
            Some(3),
            true,
        )
        .await
        .unwrap();
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            role,
            "DIG-CYBER",
            Some(2),
            false,
        )
        .await
        .unwrap();
        assess(&t.db, o.b, "DAT-VIS", 1).await;

        let mine = my_learning(&t.db, o.b, None, None).await.unwrap();
        assert_eq!(
            mine.gaps
                .iter()
                .map(|g| g.skill_code.as_str())
                .collect::<Vec<_>>(),
            vec!["DAT-VIS", "DIG-CYBER"]
        );
        assert!(mine.pathway.is_none());
        let plan = &mine.plan;
        assert!(plan.steps.len() >= 2, "{plan:?}");
        assert!(plan.open.is_empty(), "{:?}", plan.open);
        assert!(
            plan.steps[0]
                .reason
                .contains("Your role (Staff Nurse) needs")
        );

        // A stale recommendation is refused.
        assert!(matches!(
            accept(&t.db, o.b, None, None, "1,2,3").await,
            Err(AppError::Conflict(_))
        ));
        let n = accept(&t.db, o.b, None, None, &plan.fingerprint())
            .await
            .unwrap();
        assert_eq!(n, plan.steps.len());
        let names: HashMap<&str, &str> = HashMap::new();
        let path = pathway_view(&t.db, o.b, &names).await.unwrap().unwrap();
        assert_eq!(path.steps.len(), n);
        assert_eq!(path.steps[0].title, plan.steps[0].resource.title);
        let (first, second) = (path.steps[0].id, path.steps[1].id);

        // Someone else's step is "not found" to them.
        assert!(matches!(
            update_step(&t.db, o.c, first, StepAction::Done).await,
            Err(AppError::NotFound(_))
        ));
        update_step(&t.db, o.b, first, StepAction::Start)
            .await
            .unwrap();
        update_step(&t.db, o.b, first, StepAction::Done)
            .await
            .unwrap();
        update_step(&t.db, o.b, second, StepAction::Up)
            .await
            .unwrap();
        let path = pathway_view(&t.db, o.b, &names).await.unwrap().unwrap();
        assert_eq!(path.steps[0].id, second);
        assert_eq!(path.steps[1].id, first);
        assert_eq!(path.steps[1].status, StepStatus::Done);
        assert_eq!(path.done(), 1);

        // Accepting again keeps the finished step and never recommends it again.
        let again = my_learning(&t.db, o.b, None, None).await.unwrap();
        let done_resource = plan.steps[0].resource.id;
        assert!(
            again
                .plan
                .steps
                .iter()
                .all(|s| s.resource.id != done_resource)
        );
        accept(&t.db, o.b, None, None, &again.plan.fingerprint())
            .await
            .unwrap();
        let path = pathway_view(&t.db, o.b, &names).await.unwrap().unwrap();
        assert_eq!(path.steps[0].id, first, "done steps stay first");
        assert_eq!(path.done(), 1);
        assert_eq!(path.steps.len(), 1 + again.plan.steps.len());

        // Remove a step; the manager sees the progress, HR the uptake.
        let last = path.steps.last().unwrap().id;
        update_step(&t.db, o.b, last, StepAction::Remove)
            .await
            .unwrap();
        let team = team_progress(&t.db, o.a).await.unwrap();
        assert_eq!(team.rows.len(), 1);
        assert_eq!(team.rows[0].done, 1);
        assert_eq!(team.rows[0].steps, path.steps.len() - 1);
        let up = uptake(&t.db, ORG).await.unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!((up[0].staff, up[0].with_pathway, up[0].done), (4, 1, 1));
        assert_eq!(up[0].completed, 0);

        // A resource in a pathway is retired, not deleted; an unused one goes.
        assert_eq!(
            remove_resource(&t.db, crate::kernel::audit::Actor::system(), done_resource)
                .await
                .unwrap(),
            Removed::Retired
        );
        assert!(resource(&t.db, done_resource).await.unwrap().retired);
        let unused = resources(&t.db, false)
            .await
            .unwrap()
            .into_iter()
            .find(|r| !path.steps.iter().any(|s| s.title == r.title))
            .unwrap();
        assert_eq!(
            remove_resource(&t.db, crate::kernel::audit::Actor::system(), unused.id)
                .await
                .unwrap(),
            Removed::Deleted
        );
        assert!(matches!(
            resource(&t.db, unused.id).await,
            Err(AppError::NotFound(_))
        ));

        // Finishing the last step earns one badge for the pathway; undoing
        // and redoing a step earns no second one.
        let pathway_badges = async || {
            crate::recognition::service::badges(&t.db, o.b, &user(o.b, Role::Staff))
                .await
                .unwrap()
                .badges
                .into_iter()
                .filter(|b| b.source == crate::recognition::model::SOURCE_PATHWAY)
                .count()
        };
        let path = pathway_view(&t.db, o.b, &names).await.unwrap().unwrap();
        let open: Vec<i32> = path
            .steps
            .iter()
            .filter(|s| s.status != StepStatus::Done)
            .map(|s| s.id)
            .collect();
        assert!(!open.is_empty());
        for (i, id) in open.iter().enumerate() {
            assert_eq!(
                pathway_badges().await,
                0,
                "not before step {i} of {}",
                open.len()
            );
            update_step(&t.db, o.b, *id, StepAction::Done)
                .await
                .unwrap();
        }
        assert_eq!(pathway_badges().await, 1);
        update_step(&t.db, o.b, open[0], StepAction::Reset)
            .await
            .unwrap();
        update_step(&t.db, o.b, open[0], StepAction::Done)
            .await
            .unwrap();
        assert_eq!(pathway_badges().await, 1);
        let b = crate::recognition::service::badges(&t.db, o.b, &user(o.b, Role::Staff))
            .await
            .unwrap()
            .badges
            .remove(0);
        assert_eq!(b.title(), "Learning pathway completed");
    }

    #[tokio::test]
    async fn aspiration_and_mentors() {
        let t = test_db().await;
        starter(&t.db).await;
        let o = tiny_org(&t.db).await;
        // An aspiration role needing data analysis at Practitioner.
        let aim = roles::save(
            &t.db,
            crate::kernel::audit::Actor::system(),
            ORG,
            None,
            &crate::roles::model::JobRoleInput {
                code: "DATA-LEAD".into(),
                title: "Data Lead".into(),
                staff_group: "Administrative and Clerical".into(),
                band: "Band 7".into(),
            },
        )
        .await
        .unwrap();
        roles::set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            aim,
            "DAT-ANA",
            Some(3),
            true,
        )
        .await
        .unwrap();
        let mine = my_learning(&t.db, o.b, Some(aim), Some(60)).await.unwrap();
        assert_eq!(mine.gaps.len(), 1);
        assert!(
            mine.gaps[0]
                .need_text()
                .starts_with("Data Lead, the role you are aiming for,")
        );
        assert!(mine.plan.steps.iter().all(|s| s.week.is_some()));
        assert!(mine.mentors.is_empty());
        assert!(matches!(
            my_learning(&t.db, o.b, Some(99_999), None).await,
            Err(AppError::Validation(_))
        ));

        // `a` is agreed at Expert in DAT-ANA by their manager `m`, and offers mentoring.
        assess(&t.db, o.a, "DAT-ANA", 4).await;
        agree(&t.db, o.m, o.a, "DAT-ANA").await;
        assert!(matches!(
            add_mentor(&t.db, o.b, o.a, "DAT-ANA").await,
            Err(AppError::Validation(_))
        ));
        set_mentoring(&t.db, o.a, true).await.unwrap();
        let mine = my_learning(&t.db, o.b, Some(aim), None).await.unwrap();
        assert_eq!(mine.mentors.len(), 1);
        assert_eq!(mine.mentors[0].person_id, o.a);
        let a_view = my_learning(&t.db, o.a, None, None).await.unwrap();
        assert!(a_view.is_mentor);
        assert_eq!(a_view.expert_in, vec!["Data analysis".to_string()]);
        // Not oneself, not twice.
        assert!(add_mentor(&t.db, o.a, o.a, "DAT-ANA").await.is_err());
        add_mentor(&t.db, o.b, o.a, "DAT-ANA").await.unwrap();
        assert!(matches!(
            add_mentor(&t.db, o.b, o.a, "DAT-ANA").await,
            Err(AppError::Conflict(_))
        ));
        let names: HashMap<&str, &str> = HashMap::new();
        let path = pathway_view(&t.db, o.b, &names).await.unwrap().unwrap();
        assert_eq!(path.steps.len(), 1);
        assert_eq!(path.steps[0].title, "Mentoring with a Test");
        assert_eq!(path.steps[0].mentor_id, Some(o.a));
        // The mentor is named when shown, not in the stored step.
        assert_eq!(
            path.steps[0].reason,
            "a Test has an agreed Expert level in DAT-ANA and offers mentoring."
        );
        let stored = pathway_step::Entity::find()
            .filter(pathway_step::Column::Id.eq(path.steps[0].id))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.reason.contains("a Test"), "{}", stored.reason);
        // Stopping mentoring takes them out of suggestions.
        set_mentoring(&t.db, o.a, false).await.unwrap();
        let mine = my_learning(&t.db, o.b, Some(aim), None).await.unwrap();
        assert!(mine.mentors.is_empty());
    }

    #[tokio::test]
    async fn roles_and_mentors_of_another_organisation_are_out_of_reach() {
        let t = test_db().await;
        starter(&t.db).await;
        let o = tiny_org(&t.db).await;
        let crate::kernel::testing::Other {
            org: other,
            unit: their_unit,
        } = crate::kernel::testing::other_org(&t.db).await;
        let by = crate::kernel::audit::Actor::system;
        let role = |code: &str, title: &str| crate::roles::model::JobRoleInput {
            code: code.into(),
            title: title.into(),
            staff_group: "Administrative and Clerical".into(),
            band: "Band 7".into(),
        };
        let aim = roles::save(&t.db, by(), ORG, None, &role("DATA-LEAD", "Data Lead"))
            .await
            .unwrap();
        roles::set_requirement(&t.db, by(), aim, "DAT-ANA", Some(3), true)
            .await
            .unwrap();
        let theirs = roles::save(&t.db, by(), other, None, &role("THEIR-LEAD", "Their Lead"))
            .await
            .unwrap();

        // Their roles are neither offered nor accepted as an aim.
        let mine = my_learning(&t.db, o.b, None, None).await.unwrap();
        assert!(mine.roles.iter().all(|r| r.id != theirs));
        assert!(mine.roles.iter().any(|r| r.id == aim));
        assert!(matches!(
            my_learning(&t.db, o.b, Some(theirs), None).await,
            Err(AppError::Validation(_))
        ));

        // `a` mentors in DAT-ANA; once in the other organisation, they are
        // neither suggested nor accepted, as if they did not exist.
        assess(&t.db, o.a, "DAT-ANA", 4).await;
        agree(&t.db, o.m, o.a, "DAT-ANA").await;
        set_mentoring(&t.db, o.a, true).await.unwrap();
        let mine = my_learning(&t.db, o.b, Some(aim), None).await.unwrap();
        assert_eq!(mine.mentors.len(), 1);
        person::ActiveModel {
            id: Set(o.a),
            organisation_id: Set(other),
            org_unit_id: Set(their_unit),
            ..Default::default()
        }
        .update(&t.db)
        .await
        .unwrap();
        let mine = my_learning(&t.db, o.b, Some(aim), None).await.unwrap();
        assert!(mine.mentors.is_empty());
        let refused = add_mentor(&t.db, o.b, o.a, "DAT-ANA").await.unwrap_err();
        let missing = add_mentor(&t.db, o.b, 999_999, "DAT-ANA")
            .await
            .unwrap_err();
        assert_eq!(refused, missing);

        // HR's uptake: their unit is theirs alone.
        let up = uptake(&t.db, ORG).await.unwrap();
        assert!(up.iter().all(|u| u.unit_id != their_unit));
        assert_eq!(up.iter().map(|u| u.staff).sum::<u32>(), 3);
        let up = uptake(&t.db, other).await.unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!((up[0].unit_id, up[0].staff), (their_unit, 1));
    }
}
