//! Reading the framework: the shipped default, the version in use (kept in
//! memory while it stays the newest) and its skill codes, and a version as
//! an exchange document. Writing it (publishing, drafts) is `service`,
//! which rebuilds the summaries that read it from here.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{
    DescriptorDoc, DomainDoc, DomainView, FrameworkDoc, FrameworkView, OwnSkills, SCHEMA, SkillDoc,
    SkillView,
};
use crate::entities::{domain, framework, skill, skill_descriptor};
use crate::error::AppError;

/// The framework Skillmap ships with.
pub fn default_doc() -> FrameworkDoc {
    serde_json::from_str(include_str!("default_framework.json"))
        .expect("the shipped framework parses (checked by a unit test)")
}

/// The shared framework in use: its most recently published version.
pub(crate) async fn current_model(db: &impl ConnectionTrait) -> Result<framework::Model, AppError> {
    framework::Entity::find()
        .filter(framework::Column::OrganisationId.is_null())
        .order_by_desc(framework::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The skills framework".into()))
}

/// The last framework loaded, with the row it was loaded for. A published
/// version never changes (the next version is a new row), so the view is
/// good for as long as the newest row is that same row; comparing the whole
/// row (its publication time to the nanosecond included) keeps a version
/// whose transaction rolled back, and whose id came round again, from
/// being mistaken for it. Every save and every profile page needs the
/// framework, and this spares them three queries and 170 rows.
static LOADED: std::sync::Mutex<Option<(framework::Model, FrameworkView)>> =
    std::sync::Mutex::new(None);

pub async fn current(db: &impl ConnectionTrait) -> Result<FrameworkView, AppError> {
    let f = current_model(db).await?;
    let kept = |f: &framework::Model| {
        let guard = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(row, _)| row == f)
            .map(|(_, view)| view.clone())
    };
    if let Some(view) = kept(&f) {
        return Ok(view);
    }
    let view = load(db, f.clone()).await?;
    *LOADED.lock().unwrap_or_else(|e| e.into_inner()) = Some((f, view.clone()));
    Ok(view)
}

/// The organisations that have own skills (a version of them, current or
/// not).
pub(crate) async fn organisations_with_own(
    db: &impl ConnectionTrait,
) -> Result<Vec<i32>, AppError> {
    let mut orgs: Vec<i32> = framework::Entity::find()
        .filter(framework::Column::OrganisationId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|f| f.organisation_id)
        .collect();
    orgs.sort_unstable();
    orgs.dedup();
    Ok(orgs)
}

/// The newest version of organisation `org`'s own skills, if it has any.
pub(crate) async fn own_model(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<Option<framework::Model>, AppError> {
    Ok(framework::Entity::find()
        .filter(framework::Column::OrganisationId.eq(org))
        .order_by_desc(framework::Column::Id)
        .one(db)
        .await?)
}

/// The last own skills loaded per organisation, kept as `LOADED` is.
static OWN_LOADED: std::sync::Mutex<Option<HashMap<i32, (framework::Model, OwnSkills)>>> =
    std::sync::Mutex::new(None);

/// What a person of organisation `org` assesses: the shared framework in
/// use with the organisation's own skills after it (`FrameworkView::own`).
/// The figures that compare organisations read `current`, the shared
/// framework alone.
pub async fn current_for(db: &impl ConnectionTrait, org: i32) -> Result<FrameworkView, AppError> {
    let mut view = current(db).await?;
    let Some(f) = own_model(db, org).await? else {
        return Ok(view);
    };
    let kept = {
        let guard = OWN_LOADED.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .and_then(|m| m.get(&org))
            .filter(|(row, _)| *row == f)
            .map(|(_, own)| own.clone())
    };
    let own = match kept {
        Some(own) => own,
        None => {
            let loaded = load(db, f.clone()).await?;
            let own = OwnSkills {
                id: loaded.id,
                code: loaded.code,
                name: loaded.name,
                version: loaded.version,
                description: loaded.description,
                published: loaded.published,
                domains: loaded.domains,
            };
            OWN_LOADED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(HashMap::new)
                .insert(org, (f, own.clone()));
            own
        }
    };
    view.own = Some(own);
    Ok(view)
}

/// Organisation `org`'s own skills alone, as a framework (to download and
/// edit): None when it has none.
pub async fn own_view(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<Option<FrameworkView>, AppError> {
    match own_model(db, org).await? {
        Some(f) => Ok(Some(load(db, f).await?)),
        None => Ok(None),
    }
}

/// `current_for` the organisation of person `person_id` (the shared
/// framework alone for a person of none, which the schema does not allow).
pub async fn current_for_person(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<FrameworkView, AppError> {
    use crate::kernel::tenant::{Owned, organisation_of};
    match organisation_of(db, Owned::Person, person_id).await? {
        Some(Some(org)) => current_for(db, org).await,
        _ => current(db).await,
    }
}

pub(crate) async fn load(
    db: &impl ConnectionTrait,
    f: framework::Model,
) -> Result<FrameworkView, AppError> {
    let domains = domain::Entity::find()
        .filter(domain::Column::FrameworkId.eq(f.id))
        .order_by_asc(domain::Column::Position)
        .all(db)
        .await?;
    let skills = skill::Entity::find()
        .filter(skill::Column::FrameworkId.eq(f.id))
        .order_by_asc(skill::Column::Position)
        .all(db)
        .await?;
    let skill_ids: Vec<i32> = skills.iter().map(|s| s.id).collect();
    let mut descriptors: HashMap<i32, Vec<(i16, String)>> = HashMap::new();
    for d in skill_descriptor::Entity::find()
        .filter(skill_descriptor::Column::SkillId.is_in(skill_ids))
        .all(db)
        .await?
    {
        descriptors
            .entry(d.skill_id)
            .or_default()
            .push((d.level, d.text));
    }
    let domain_names: HashMap<i32, String> =
        domains.iter().map(|d| (d.id, d.name.clone())).collect();
    let mut by_domain: HashMap<i32, Vec<SkillView>> = HashMap::new();
    for s in skills {
        let mut texts = descriptors.remove(&s.id).unwrap_or_default();
        texts.sort_by_key(|(level, _)| *level);
        by_domain.entry(s.domain_id).or_default().push(SkillView {
            code: s.code,
            name: s.name,
            description: s.description,
            foundation: s.foundation,
            domain: domain_names.get(&s.domain_id).cloned().unwrap_or_default(),
            descriptors: texts.into_iter().map(|(_, t)| t).collect(),
        });
    }
    Ok(FrameworkView {
        id: f.id,
        code: f.code,
        name: f.name,
        version: f.version,
        description: f.description,
        published: f.published_at.format("%-d %B %Y").to_string(),
        domains: domains
            .into_iter()
            .map(|d| DomainView {
                skills: by_domain.remove(&d.id).unwrap_or_default(),
                code: d.code,
                name: d.name,
                description: d.description,
            })
            .collect(),
        own: None,
    })
}

/// A framework version as an exchange document.
pub fn to_doc(view: &FrameworkView) -> FrameworkDoc {
    FrameworkDoc {
        schema: SCHEMA.into(),
        code: view.code.clone(),
        name: view.name.clone(),
        version: view.version,
        description: view.description.clone(),
        domains: view
            .domains
            .iter()
            .map(|d| DomainDoc {
                code: d.code.clone(),
                name: d.name.clone(),
                description: d.description.clone(),
                skills: d
                    .skills
                    .iter()
                    .map(|s| SkillDoc {
                        code: s.code.clone(),
                        name: s.name.clone(),
                        description: s.description.clone(),
                        foundation: s.foundation,
                        descriptors: s
                            .descriptors
                            .iter()
                            .enumerate()
                            .map(|(i, t)| DescriptorDoc {
                                level: i as u8 + 1,
                                text: t.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Codes of the skills in the current shared framework.
pub async fn skill_codes(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    Ok(current(db)
        .await?
        .skills()
        .map(|s| s.code.clone())
        .collect())
}

/// Codes of the skills organisation `org`'s people assess: the shared
/// framework's and its own (to check input against).
pub async fn skill_codes_for(db: &impl ConnectionTrait, org: i32) -> Result<Vec<String>, AppError> {
    Ok(current_for(db, org)
        .await?
        .skills()
        .map(|s| s.code.clone())
        .collect())
}
