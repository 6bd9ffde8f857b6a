//! Framework versions: load, publish (import), export, compare.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::model::{
    DescriptorDoc, DomainDoc, DomainView, FrameworkDoc, FrameworkView, SCHEMA, SkillDoc, SkillView,
    validate_doc,
};
use crate::entities::{domain, framework, skill, skill_descriptor};
use crate::error::AppError;

/// The framework Skillmap ships with.
pub fn default_doc() -> FrameworkDoc {
    serde_json::from_str(include_str!("default_framework.json"))
        .expect("the shipped framework parses (checked by a unit test)")
}

/// Loads the default framework into a database that has none.
pub async fn ensure_default(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<(), AppError> {
    if framework::Entity::find().one(db).await?.is_none() {
        publish(db, &default_doc()).await?;
    }
    Ok(())
}

/// The framework in use: the most recently published version.
pub async fn current_model(db: &impl ConnectionTrait) -> Result<framework::Model, AppError> {
    framework::Entity::find()
        .order_by_desc(framework::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The skills framework".into()))
}

pub async fn current(db: &impl ConnectionTrait) -> Result<FrameworkView, AppError> {
    let f = current_model(db).await?;
    load(db, f).await
}

pub async fn load(
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
    })
}

/// Publishes a document as the next version of its framework, in one
/// transaction. Earlier versions stay, so assessments made against them
/// stay readable; skills keep their identity by code.
pub async fn publish(
    db: &(impl ConnectionTrait + TransactionTrait),
    doc: &FrameworkDoc,
) -> Result<framework::Model, AppError> {
    let errors = validate_doc(doc);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = db.begin().await?;
    let version = framework::Entity::find()
        .filter(framework::Column::Code.eq(&doc.code))
        .order_by_desc(framework::Column::Version)
        .one(&txn)
        .await?
        .map(|f| f.version + 1)
        .unwrap_or(1);
    let f = framework::ActiveModel {
        code: Set(doc.code.clone()),
        name: Set(doc.name.trim().to_string()),
        description: Set(doc.description.trim().to_string()),
        version: Set(version),
        published_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut position = 0;
    for (d_pos, d) in doc.domains.iter().enumerate() {
        let dm = domain::ActiveModel {
            framework_id: Set(f.id),
            code: Set(d.code.clone()),
            name: Set(d.name.trim().to_string()),
            description: Set(d.description.trim().to_string()),
            position: Set(d_pos as i32),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for s in &d.skills {
            position += 1;
            let sm = skill::ActiveModel {
                framework_id: Set(f.id),
                domain_id: Set(dm.id),
                code: Set(s.code.clone()),
                name: Set(s.name.trim().to_string()),
                description: Set(s.description.trim().to_string()),
                foundation: Set(s.foundation),
                position: Set(position),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let rows: Vec<skill_descriptor::ActiveModel> = s
                .descriptors
                .iter()
                .map(|desc| skill_descriptor::ActiveModel {
                    skill_id: Set(sm.id),
                    level: Set(i16::from(desc.level)),
                    text: Set(desc.text.trim().to_string()),
                    ..Default::default()
                })
                .collect();
            skill_descriptor::Entity::insert_many(rows)
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(f)
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

/// Codes of the skills in the current framework (to check input against).
pub async fn skill_codes(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    let f = current_model(db).await?;
    Ok(skill::Entity::find()
        .filter(skill::Column::FrameworkId.eq(f.id))
        .order_by_asc(skill::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::testing::test_db;

    #[tokio::test]
    async fn default_framework_loads_once_and_round_trips() {
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        ensure_default(&t.db).await.unwrap();
        let view = current(&t.db).await.unwrap();
        assert_eq!(view.version, 1);
        assert_eq!(view.domains.len(), 3);
        assert!(view.skills().all(|s| s.descriptors.len() == 4));
        assert_eq!(
            to_doc(&view),
            FrameworkDoc {
                version: 1,
                ..default_doc()
            }
        );
    }

    #[tokio::test]
    async fn a_new_version_keeps_the_old_and_becomes_current() {
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        let mut doc = default_doc();
        doc.domains[0].skills[0].name = "Renamed skill".into();
        let v2 = publish(&t.db, &doc).await.unwrap();
        assert_eq!(v2.version, 2);
        let now = current(&t.db).await.unwrap();
        assert_eq!(now.version, 2);
        assert_eq!(now.domains[0].skills[0].name, "Renamed skill");
        let v1 = framework::Entity::find()
            .filter(framework::Column::Version.eq(1))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        let old = load(&t.db, v1).await.unwrap();
        assert_ne!(old.domains[0].skills[0].name, "Renamed skill");
    }

    #[tokio::test]
    async fn a_bad_document_changes_nothing() {
        let t = test_db().await;
        let mut doc = default_doc();
        doc.domains[1].skills[0].descriptors.clear();
        assert!(matches!(
            publish(&t.db, &doc).await,
            Err(AppError::Validation(_))
        ));
        assert!(
            framework::Entity::find()
                .one(&t.db)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn search_keeps_only_matching_skills() {
        let view = FrameworkView {
            id: 1,
            code: "F".into(),
            name: "F".into(),
            version: 1,
            description: String::new(),
            published: String::new(),
            domains: vec![DomainView {
                code: "D".into(),
                name: "Data".into(),
                description: String::new(),
                skills: vec![
                    SkillView {
                        code: "DAT-IG".into(),
                        name: "Information governance".into(),
                        description: String::new(),
                        foundation: true,
                        domain: "Data".into(),
                        descriptors: vec!["Knows Caldicott principles".into()],
                    },
                    SkillView {
                        code: "DAT-VIS".into(),
                        name: "Visualisation".into(),
                        description: String::new(),
                        foundation: false,
                        domain: "Data".into(),
                        descriptors: vec![],
                    },
                ],
            }],
        };
        let found = view.clone().filtered("caldicott");
        assert_eq!(found.skills().count(), 1);
        assert!(
            view.clone()
                .filtered("nothing matches this")
                .domains
                .is_empty()
        );
        assert_eq!(view.filtered("  ").skills().count(), 2);
    }
}
