//! Framework versions: load, publish (import), export, compare.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::model::{FrameworkDoc, ImportPreview, diff, validate_doc};
use super::read::{current, default_doc, load, to_doc};
use crate::audit::model::Action;
use crate::entities::{domain, framework, framework_draft, skill, skill_descriptor};
use crate::error::AppError;
use crate::kernel::audit;
use crate::kernel::audit::Actor;

/// Loads the default framework into a database that has none.
pub async fn ensure_default(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<(), AppError> {
    if framework::Entity::find().one(db).await?.is_none() {
        publish(db, Actor::system(), &default_doc()).await?;
    }
    Ok(())
}

/// Publishes a document as the next version of its framework, in one
/// transaction. Earlier versions stay, so assessments made against them
/// stay readable; skills keep their identity by code.
pub(crate) async fn publish(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    doc: &FrameworkDoc,
) -> Result<framework::Model, AppError> {
    let errors = validate_doc(doc);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = crate::kernel::begin_write(db).await?;
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
    // Domains and foundation skills may have changed.
    crate::team::summary::rebuild(&txn).await?;
    let detail = format!("{} version {version}, {position} skills", doc.code);
    let target = Some(("framework", f.id));
    audit::record(&txn, by, Action::FrameworkPublished, target, detail).await?;
    txn.commit().await?;
    Ok(f)
}

/// Checks an uploaded file (JSON or CSV) completely and keeps it as a
/// draft to preview. A bad file is refused with every problem named, and
/// changes nothing.
pub async fn create_draft(
    db: &impl ConnectionTrait,
    account_id: i32,
    source_name: &str,
    text: &str,
) -> Result<i32, AppError> {
    let current = match current(db).await {
        Ok(view) => Some(to_doc(&view)),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let doc = super::exchange::parse(text, current.as_ref())?;
    let errors = validate_doc(&doc);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let source = source_name.trim();
    let draft = framework_draft::ActiveModel {
        document: Set(serde_json::to_string(&doc).map_err(|_| AppError::Internal)?),
        source_name: Set(if source.is_empty() {
            "pasted file".into()
        } else {
            source.chars().take(200).collect()
        }),
        created_by: Set(account_id),
        created_at: Set(Utc::now()),
        published_version: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(draft.id)
}

async fn draft(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<(framework_draft::Model, FrameworkDoc), AppError> {
    let d = framework_draft::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That import".into()))?;
    let doc: FrameworkDoc = serde_json::from_str(&d.document).map_err(|_| AppError::Internal)?;
    Ok((d, doc))
}

/// What publishing a draft would change.
pub async fn preview(db: &impl ConnectionTrait, draft_id: i32) -> Result<ImportPreview, AppError> {
    let (d, doc) = draft(db, draft_id).await?;
    let current = framework::Entity::find()
        .filter(framework::Column::Code.eq(&doc.code))
        .order_by_desc(framework::Column::Version)
        .one(db)
        .await?;
    let (current_version, current_doc) = match current {
        Some(f) => (Some(f.version), Some(to_doc(&load(db, f).await?))),
        None => (None, None),
    };
    let (added, changed, removed, unchanged) = diff(current_doc.as_ref(), &doc);
    Ok(ImportPreview {
        draft_id: d.id,
        source_name: d.source_name,
        code: doc.code,
        name: doc.name,
        current_version,
        next_version: current_version.map(|v| v + 1).unwrap_or(1),
        added,
        changed,
        removed,
        unchanged,
        published_version: d.published_version,
    })
}

/// Publishes a draft as the next version; a draft is published once.
pub async fn publish_draft(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    draft_id: i32,
) -> Result<i32, AppError> {
    let (d, doc) = draft(db, draft_id).await?;
    if let Some(v) = d.published_version {
        return Err(AppError::Conflict(format!(
            "This file was already published as version {v}"
        )));
    }
    let f = publish(db, by, &doc).await?;
    let mut active: framework_draft::ActiveModel = d.into();
    active.published_version = Set(Some(f.version));
    active.update(db).await?;
    Ok(f.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::model::{DomainView, FrameworkView, SkillView};
    use crate::kernel::testing::test_db;

    #[tokio::test]
    async fn import_previews_then_publishes_once() {
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        let mut doc = default_doc();
        doc.domains[2].skills.pop();
        doc.domains[0].skills[1].description = "Changed".into();
        let text = serde_json::to_string(&doc).unwrap();
        let id = create_draft(&t.db, 1, "v2.json", &text).await.unwrap();
        let p = preview(&t.db, id).await.unwrap();
        assert_eq!((p.current_version, p.next_version), (Some(1), 2));
        assert_eq!(p.changed.len(), 1);
        assert_eq!(p.removed.len(), 1);
        assert!(p.added.is_empty());
        assert_eq!(
            current(&t.db).await.unwrap().version,
            1,
            "nothing published yet"
        );
        assert_eq!(
            publish_draft(&t.db, crate::kernel::audit::Actor::system(), id)
                .await
                .unwrap(),
            2
        );
        assert!(matches!(
            publish_draft(&t.db, crate::kernel::audit::Actor::system(), id).await,
            Err(AppError::Conflict(_))
        ));
        assert_eq!(current(&t.db).await.unwrap().skills().count(), 26);
        // A bad file is refused and stores nothing.
        assert!(
            create_draft(&t.db, 1, "bad.csv", "nonsense,only\n1,2")
                .await
                .is_err()
        );
        assert_eq!(
            framework_draft::Entity::find()
                .all(&t.db)
                .await
                .unwrap()
                .len(),
            1
        );
    }

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
        let v2 = publish(&t.db, crate::kernel::audit::Actor::system(), &doc)
            .await
            .unwrap();
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
            publish(&t.db, crate::kernel::audit::Actor::system(), &doc).await,
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
