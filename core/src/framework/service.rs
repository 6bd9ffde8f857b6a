//! Framework versions: load, publish (import), export, compare.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use std::collections::{HashMap, HashSet};

use super::model::{FrameworkAdmin, FrameworkDoc, ImportPreview, diff, validate_doc};
use super::read::{current, current_for, current_model, default_doc, load, own_model, to_doc};
use crate::audit::model::Action;
use crate::entities::{domain, framework, framework_draft, organisation, skill, skill_descriptor};
use crate::error::{AppError, FieldError};
use crate::kernel::audit;
use crate::kernel::audit::Actor;

/// Loads the default framework into a database that has none.
pub async fn ensure_default(
    db: &(impl ConnectionTrait + TransactionTrait),
) -> Result<(), AppError> {
    if framework::Entity::find()
        .filter(framework::Column::OrganisationId.is_null())
        .one(db)
        .await?
        .is_none()
    {
        publish(db, Actor::system(), &default_doc()).await?;
    }
    Ok(())
}

/// What an account may publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Publisher {
    /// Its organisation, whose own skills it may publish.
    pub organisation: Option<i32>,
    /// Whether it may publish the shared framework: every organisation's
    /// figures are counted against it, so in a system of several
    /// organisations the workforce lead looks after it, not any one
    /// organisation's administrators.
    pub shared: bool,
}

/// What `user` may publish; Forbidden for anyone but an administrator or
/// the workforce lead.
pub async fn publisher(
    db: &impl ConnectionTrait,
    user: &crate::auth::model::CurrentUser,
) -> Result<Publisher, AppError> {
    use crate::auth::model::Role;
    match user.role {
        Role::Lead => Ok(Publisher {
            organisation: None,
            shared: true,
        }),
        Role::Admin => {
            let organisation = user.organisation()?;
            let organisations = organisation::Entity::find().count(db).await?;
            Ok(Publisher {
                organisation: Some(organisation),
                shared: organisations == 1,
            })
        }
        _ => Err(AppError::Forbidden),
    }
}

/// The administrators' page: the framework in use (with the account's
/// organisation's own skills) and what the account may publish.
pub async fn admin_view(
    db: &impl ConnectionTrait,
    user: &crate::auth::model::CurrentUser,
) -> Result<FrameworkAdmin, AppError> {
    let p = publisher(db, user).await?;
    let (framework, organisation) = match p.organisation {
        Some(org) => (
            current_for(db, org).await?,
            Some(organisation_name(db, org).await?),
        ),
        None => (current(db).await?, None),
    };
    Ok(FrameworkAdmin {
        framework,
        organisation,
        shared: p.shared,
    })
}

async fn organisation_name(db: &impl ConnectionTrait, org: i32) -> Result<String, AppError> {
    Ok(organisation::Entity::find_by_id(org)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That organisation".into()))?
        .name)
}

/// Publishes a document as the next version of the shared framework, in
/// one transaction. Earlier versions stay, so assessments made against
/// them stay readable; skills keep their identity by code.
pub(crate) async fn publish(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    doc: &FrameworkDoc,
) -> Result<framework::Model, AppError> {
    publish_into(db, by, None, doc).await
}

/// Publishes a document as the next version of the shared framework
/// (`scope` None) or of organisation `scope`'s own skills.
async fn publish_into(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    scope: Option<i32>,
    doc: &FrameworkDoc,
) -> Result<framework::Model, AppError> {
    let mut errors = validate_doc(doc);
    if errors.is_empty() {
        errors = clashes(db, scope, doc).await?;
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let scoped = match scope {
        Some(org) => framework::Column::OrganisationId.eq(org),
        None => framework::Column::OrganisationId.is_null(),
    };
    let version = framework::Entity::find()
        .filter(framework::Column::Code.eq(&doc.code))
        .filter(scoped)
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
        organisation_id: Set(scope),
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
    // Domains and foundation skills may have changed. An organisation's
    // own skills change neither: the summaries that read domains count the
    // shared framework's.
    if scope.is_none() {
        crate::team::summary::rebuild(&txn).await?;
    }
    let detail = match scope {
        None => format!("{} version {version}, {position} skills", doc.code),
        Some(_) => format!(
            "{} (own skills) version {version}, {position} skills",
            doc.code
        ),
    };
    let target = Some(("framework", f.id));
    audit::record(&txn, by, Action::FrameworkPublished, target, detail).await?;
    txn.commit().await?;
    Ok(f)
}

/// What keeps a document from becoming the next version of the shared
/// framework (`scope` None) or of organisation `scope`'s own skills, beyond
/// its own checks: a skill code means one skill across the system (an
/// assessment names its skill by code alone, and goes with a person who
/// moves), so no code may be both shared and an organisation's own, or two
/// organisations' own, in any version: a code retired from one may not come
/// back as another's. An organisation's own skills add domains of their
/// own, and none is a foundation skill (the digital inclusion figures
/// count the shared foundation skills, so that organisations compare).
async fn clashes(
    db: &impl ConnectionTrait,
    scope: Option<i32>,
    doc: &FrameworkDoc,
) -> Result<Vec<FieldError>, AppError> {
    // Every version of every other framework (the shared one, each
    // organisation's own), retired ones too: an old assessment names a
    // retired skill by its code, and would read as a new skill given it.
    let others: Vec<framework::Model> = framework::Entity::find()
        .order_by_asc(framework::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|f| f.organisation_id != scope)
        .collect();
    let mut errors = Vec::new();
    let shared_code = others
        .iter()
        .any(|f| f.organisation_id.is_none() && f.code == doc.code);
    let own_code = others
        .iter()
        .any(|f| f.organisation_id.is_some() && f.code == doc.code);
    if shared_code {
        errors.push(FieldError::new(
            "code",
            "is the shared framework's code: give your own skills another",
        ));
    } else if own_code {
        errors.push(FieldError::new(
            "code",
            "is another organisation's own skills' code",
        ));
    }
    let owner: HashMap<i32, Option<i32>> =
        others.iter().map(|f| (f.id, f.organisation_id)).collect();
    // Skill code -> whose (None: the shared framework's); shared wins
    // where a code was ever both.
    let mut skills: HashMap<String, Option<i32>> = HashMap::new();
    for s in skill::Entity::find()
        .filter(skill::Column::FrameworkId.is_in(owner.keys().copied()))
        .all(db)
        .await?
    {
        let org = owner.get(&s.framework_id).copied().flatten();
        let kept = skills.entry(s.code).or_insert(org);
        if org.is_none() {
            *kept = None;
        }
    }
    let shared_domains: HashSet<String> =
        match others.iter().rev().find(|f| f.organisation_id.is_none()) {
            Some(f) => domain::Entity::find()
                .filter(domain::Column::FrameworkId.eq(f.id))
                .all(db)
                .await?
                .into_iter()
                .map(|d| d.code)
                .collect(),
            None => HashSet::new(),
        };
    for d in &doc.domains {
        if scope.is_some() && shared_domains.contains(&d.code) {
            errors.push(FieldError::new(
                format!("domain {}: code", d.code),
                "is a domain of the shared framework: your own skills go in domains of their own",
            ));
        }
        for s in &d.skills {
            let at = format!("skill {}: code", s.code);
            match skills.get(&s.code) {
                Some(None) => errors.push(FieldError::new(
                    at,
                    "is a skill of the shared framework: give your own skill another code",
                )),
                Some(Some(_)) if scope.is_some() => errors.push(FieldError::new(
                    at,
                    "is one of another organisation's own skills: give yours another code",
                )),
                Some(Some(_)) => errors.push(FieldError::new(
                    at,
                    "is one of an organisation's own skills: give the shared skill another code",
                )),
                None => {}
            }
            if scope.is_some() && s.foundation {
                errors.push(FieldError::new(
                    format!("skill {}: foundation", s.code),
                    "only the shared framework has foundation skills (the digital inclusion figures count them): say no",
                ));
            }
        }
    }
    Ok(errors)
}

/// Checks an uploaded file (JSON or CSV) completely and keeps it as a
/// draft to preview, as the next version of the shared framework (`scope`
/// None) or of organisation `scope`'s own skills. A bad file is refused
/// with every problem named, and changes nothing.
pub async fn create_draft(
    db: &impl ConnectionTrait,
    account_id: i32,
    scope: Option<i32>,
    source_name: &str,
    text: &str,
) -> Result<i32, AppError> {
    let current = match scope {
        None => match current(db).await {
            Ok(view) => Some(to_doc(&view)),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        // A CSV file of an organisation's first own skills takes its code
        // and name from the organisation.
        Some(org) => Some(match own_model(db, org).await? {
            Some(f) => to_doc(&load(db, f).await?),
            None => {
                let o = organisation::Entity::find_by_id(org)
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::NotFound("That organisation".into()))?;
                FrameworkDoc {
                    schema: super::model::SCHEMA.into(),
                    code: format!("{}-OWN", o.code),
                    name: super::model::own_skills_name(&o.name),
                    version: 0,
                    description: String::new(),
                    domains: Vec::new(),
                }
            }
        }),
    };
    let doc = super::exchange::parse(text, current.as_ref())?;
    let mut errors = validate_doc(&doc);
    if errors.is_empty() {
        errors = clashes(db, scope, &doc).await?;
    }
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
        organisation_id: Set(scope),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(draft.id)
}

/// A draft `by` may see: one of its organisation's own skills, or one of
/// the shared framework if it may publish that. Any other is not found.
async fn draft(
    db: &impl ConnectionTrait,
    by: Publisher,
    id: i32,
) -> Result<(framework_draft::Model, FrameworkDoc), AppError> {
    let d = framework_draft::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| match d.organisation_id {
            Some(org) => by.organisation == Some(org),
            None => by.shared,
        })
        .ok_or_else(|| AppError::NotFound("That import".into()))?;
    let doc: FrameworkDoc = serde_json::from_str(&d.document).map_err(|_| AppError::Internal)?;
    Ok((d, doc))
}

/// What publishing a draft would change.
pub async fn preview(
    db: &impl ConnectionTrait,
    by: Publisher,
    draft_id: i32,
) -> Result<ImportPreview, AppError> {
    let (d, doc) = draft(db, by, draft_id).await?;
    let current = match d.organisation_id {
        Some(org) => own_model(db, org).await?,
        None => current_model(db).await.ok(),
    };
    let (current_version, current_doc) = match current.filter(|f| f.code == doc.code) {
        Some(f) => (Some(f.version), Some(to_doc(&load(db, f).await?))),
        None => (None, None),
    };
    let (added, changed, removed, unchanged) = diff(current_doc.as_ref(), &doc);
    let organisation = match d.organisation_id {
        Some(org) => Some(organisation_name(db, org).await?),
        None => None,
    };
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
        organisation,
    })
}

/// What publishing a draft made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    pub version: i32,
    /// An organisation's own skills (not the shared framework).
    pub own: bool,
}

/// Publishes a draft as the next version; a draft is published once.
pub async fn publish_draft(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    publisher: Publisher,
    draft_id: i32,
) -> Result<Published, AppError> {
    let (d, doc) = draft(db, publisher, draft_id).await?;
    if let Some(v) = d.published_version {
        return Err(AppError::Conflict(format!(
            "This file was already published as version {v}"
        )));
    }
    let f = publish_into(db, by, d.organisation_id, &doc).await?;
    let mut active: framework_draft::ActiveModel = d.into();
    active.published_version = Set(Some(f.version));
    active.update(db).await?;
    Ok(Published {
        version: f.version,
        own: f.organisation_id.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::model::{DomainView, FrameworkView, SkillView};
    use crate::kernel::testing::test_db;

    const SHARED: Publisher = Publisher {
        organisation: None,
        shared: true,
    };

    #[tokio::test]
    async fn import_previews_then_publishes_once() {
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        let mut doc = default_doc();
        doc.domains[2].skills.pop();
        doc.domains[0].skills[1].description = "Changed".into();
        let text = serde_json::to_string(&doc).unwrap();
        let id = create_draft(&t.db, 1, None, "v2.json", &text)
            .await
            .unwrap();
        let p = preview(&t.db, SHARED, id).await.unwrap();
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
            publish_draft(&t.db, crate::kernel::audit::Actor::system(), SHARED, id)
                .await
                .unwrap()
                .version,
            2
        );
        assert!(matches!(
            publish_draft(&t.db, crate::kernel::audit::Actor::system(), SHARED, id).await,
            Err(AppError::Conflict(_))
        ));
        assert_eq!(current(&t.db).await.unwrap().skills().count(), 26);
        // A bad file is refused and stores nothing.
        assert!(
            create_draft(&t.db, 1, None, "bad.csv", "nonsense,only\n1,2")
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
            own: None,
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

    /// A refusal kept nothing: there is no draft.
    async fn assert_no_drafts(db: &sea_orm::DatabaseConnection) {
        assert!(
            framework_draft::Entity::find()
                .all(db)
                .await
                .unwrap()
                .is_empty()
        );
    }

    /// The field errors of a refused draft (a panic for anything else).
    fn refused(r: Result<i32, AppError>) -> Vec<crate::error::FieldError> {
        match r {
            Err(AppError::Validation(errors)) => errors,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// An organisation's own skills: one domain, one skill.
    fn own_csv(code: &str, foundation: &str) -> String {
        format!(
            "{}\nLOCAL,Our own skills,{code},Electronic patient record super-user,\
             Helps colleagues with the EPR.,{foundation},Knows who the super-users are,\
             Answers everyday questions,Trains a ward in new releases,Shapes how the EPR is set up\n",
            super::super::exchange::CSV_HEADERS.join(",")
        )
    }

    /// Rows of the summaries that compare organisations, to compare a
    /// live database with a rebuild.
    async fn summaries(db: &sea_orm::DatabaseConnection) -> String {
        use crate::entities::{person_capability, unit_head_count, unit_skill_stat};
        let mut out = format!(
            "{:?}",
            unit_skill_stat::Entity::find()
                .order_by_asc(unit_skill_stat::Column::OrgUnitId)
                .order_by_asc(unit_skill_stat::Column::SkillCode)
                .all(db)
                .await
                .unwrap()
        );
        out += &format!(
            "{:?}",
            person_capability::Entity::find()
                .order_by_asc(person_capability::Column::PersonId)
                .all(db)
                .await
                .unwrap()
        );
        let mut heads: Vec<String> = unit_head_count::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|h| format!("{h:?}"))
            .collect();
        heads.sort();
        out + &heads.join("")
    }

    #[tokio::test]
    async fn an_organisations_own_skills_are_its_people_alone() {
        use crate::auth::model::Role;
        use crate::entities::assessment;
        use crate::kernel::testing::{ORG, agree, assess, tiny_org, user};
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        let o = tiny_org(&t.db).await;
        let fixture = crate::kernel::testing::other_org(&t.db).await;
        let other = fixture.org;
        let x = fixture.person(&t.db, "X1", None).await;
        // Counted, as the people services would.
        crate::team::summary::rebuild(&t.db).await.unwrap();

        // With two organisations, an administrator publishes their own
        // skills only; the workforce lead, the shared framework only.
        let admin = user(o.m, Role::Admin);
        let mine = publisher(&t.db, &admin).await.unwrap();
        assert_eq!(
            mine,
            Publisher {
                organisation: Some(ORG),
                shared: false
            }
        );
        let theirs = Publisher {
            organisation: Some(other),
            shared: false,
        };
        let lead = crate::kernel::testing::lead();
        assert_eq!(publisher(&t.db, &lead).await.unwrap(), SHARED);
        assert!(matches!(
            publisher(&t.db, &user(o.a, Role::Hr)).await,
            Err(AppError::Forbidden)
        ));

        // A skill of the shared framework, or a foundation skill, is
        // refused as one of their own, by field; nothing is kept.
        let errors =
            refused(create_draft(&t.db, 1, Some(ORG), "own.csv", &own_csv("DAT-VIS", "no")).await);
        assert_eq!(errors[0].field, "skill DAT-VIS: code", "{errors:?}");
        assert!(errors[0].message.contains("shared framework"), "{errors:?}");
        let errors = refused(
            create_draft(&t.db, 1, Some(ORG), "own.csv", &own_csv("LOCAL-EPR", "yes")).await,
        );
        assert_eq!(errors[0].field, "skill LOCAL-EPR: foundation", "{errors:?}");
        assert_no_drafts(&t.db).await;

        // Their own file: previewed and published by them alone, twice.
        let mut version = 0;
        for _ in 0..2 {
            let id = create_draft(&t.db, 1, Some(ORG), "own.csv", &own_csv("LOCAL-EPR", "no"))
                .await
                .unwrap();
            for stranger in [theirs, SHARED] {
                assert!(matches!(
                    preview(&t.db, stranger, id).await,
                    Err(AppError::NotFound(_))
                ));
                assert!(matches!(
                    publish_draft(&t.db, crate::kernel::audit::Actor::system(), stranger, id).await,
                    Err(AppError::NotFound(_))
                ));
            }
            let p = preview(&t.db, mine, id).await.unwrap();
            assert_eq!(p.organisation.as_deref(), Some("Organisation"));
            assert_eq!(p.code, "ORG-OWN");
            version = publish_draft(&t.db, crate::kernel::audit::Actor::system(), mine, id)
                .await
                .unwrap()
                .version;
        }
        assert_eq!(version, 2);
        let shared = current(&t.db).await.unwrap();
        assert!(shared.own.is_none() && shared.skill("LOCAL-EPR").is_none());
        assert_eq!(shared.version, 1, "the shared framework is untouched");
        let ours = current_for(&t.db, ORG).await.unwrap();
        assert_eq!(ours.own.as_ref().map(|o| o.version), Some(2));
        assert_eq!(ours.domains.len(), 3, "the shared domains stay three");
        assert!(ours.skill("LOCAL-EPR").is_some());
        assert!(current_for(&t.db, other).await.unwrap().own.is_none());

        // The other organisation may not reuse the code; the shared
        // framework may not take it either.
        let errors = refused(
            create_draft(
                &t.db,
                1,
                Some(other),
                "own.csv",
                &own_csv("LOCAL-EPR", "no"),
            )
            .await,
        );
        assert!(
            errors[0].message.contains("another organisation"),
            "{errors:?}"
        );
        let mut doc = default_doc();
        doc.domains[0].skills[0].code = "LOCAL-EPR".into();
        let errors = refused(
            create_draft(
                &t.db,
                1,
                None,
                "v2.json",
                &serde_json::to_string(&doc).unwrap(),
            )
            .await,
        );
        assert_eq!(errors[0].field, "skill LOCAL-EPR: code", "{errors:?}");

        // Their people assess it (against their own version) and their
        // managers agree it; the team heatmap has its column. Someone of the
        // other organisation cannot assess it.
        let before = summaries(&t.db).await;
        assess(&t.db, o.b, "LOCAL-EPR", 3).await;
        assess(&t.db, o.b, "DAT-VIS", 2).await;
        agree(&t.db, o.a, o.b, "LOCAL-EPR").await;
        let row = assessment::Entity::find()
            .filter(assessment::Column::PersonId.eq(o.b))
            .filter(assessment::Column::SkillCode.eq("LOCAL-EPR"))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.framework_version, row.agreed_level), (2, Some(3)));
        let map = crate::team::service::heatmap(&t.db, o.m, true)
            .await
            .unwrap();
        let column = map
            .skills
            .iter()
            .position(|s| s.code == "LOCAL-EPR")
            .expect("a column for their own skill");
        let b = map.rows.iter().find(|r| r.person_id == o.b).unwrap();
        assert_eq!(
            (b.cells[column].level, b.cells[column].agreed),
            (Some(3), true)
        );
        // The organisation view has their own domain as a tab after the
        // shared ones, its skill counted, and a series in the trend. The
        // other organisation's view and the system's have neither.
        let codes = |r: &crate::team::model::OrgReport| -> Vec<String> {
            r.domains.iter().map(|d| d.code.clone()).collect()
        };
        let unit = crate::kernel::testing::unit_of(&t.db, o.b).await;
        let view = crate::team::service::org_report(
            &t.db,
            &user(o.m, Role::Hr),
            unit,
            Some("LOCAL".into()),
        )
        .await
        .unwrap();
        assert_eq!(codes(&view).last().map(String::as_str), Some("LOCAL"));
        assert_eq!(view.domain, "LOCAL");
        assert_eq!(view.skills.len(), 1);
        assert_eq!(view.skills[0].code, "LOCAL-EPR");
        assert_eq!(view.total.cells[0].assessed, 1, "b's level, counted");
        assert!(view.trend.iter().all(|p| p.shares.len() == 4));
        // The trend has their own domain's series too: once their role
        // requires the skill at Working, b (agreed at Practitioner) is one
        // of the four who meet it this month.
        let role = crate::entities::person::Entity::find_by_id(o.b)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap()
            .job_role_id
            .unwrap();
        crate::entities::role_requirement::ActiveModel {
            job_role_id: Set(role),
            skill_code: Set("LOCAL-EPR".into()),
            level: Set(2),
            essential: Set(true),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        crate::team::summary::refresh_units(&t.db, &[unit])
            .await
            .unwrap();
        let view = crate::team::service::org_report(&t.db, &user(o.m, Role::Hr), unit, None)
            .await
            .unwrap();
        let now = view.trend.last().expect("this month's point");
        assert_eq!(now.shares.len(), 4);
        assert_eq!((now.shares[3].count, now.shares[3].of), (1, 4));
        let their_hr = crate::auth::model::CurrentUser {
            organisation_id: Some(other),
            ..user(x, Role::Hr)
        };
        let theirs = crate::team::service::org_report(&t.db, &their_hr, fixture.unit, None)
            .await
            .unwrap();
        assert!(!codes(&theirs).contains(&"LOCAL".to_string()));
        assert!(theirs.trend.iter().all(|p| p.shares.len() == 3));
        let system = crate::team::service::organisation(
            &t.db,
            &lead,
            None,
            None,
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
        assert!(system.system && !codes(&system).contains(&"LOCAL".to_string()));
        assert!(system.trend.iter().all(|p| p.shares.len() == 3));

        let input = crate::profile::model::SelfAssessmentInput {
            skill_code: "LOCAL-EPR".into(),
            level: Some(2),
            confidence: None,
            evidence: String::new(),
            evidence_url: String::new(),
            revision: 0,
        };
        let stranger = crate::auth::model::CurrentUser {
            organisation_id: Some(other),
            ..user(x, Role::Staff)
        };
        assert!(matches!(
            crate::profile::service::save_self(&t.db, x, &stranger, &input).await,
            Err(AppError::Validation(_))
        ));

        // The summaries the saves kept are what a rebuild makes.
        let live = summaries(&t.db).await;
        assert_ne!(live, before);
        crate::team::summary::rebuild(&t.db).await.unwrap();
        assert_eq!(summaries(&t.db).await, live);
    }

    /// A code the shared framework has retired stays the shared one's: an
    /// organisation's own skill may not take it (old assessments name it
    /// and would read as the new skill).
    #[tokio::test]
    async fn a_retired_shared_code_is_not_reused_as_an_own_skill() {
        use crate::kernel::testing::ORG;
        let t = test_db().await;
        ensure_default(&t.db).await.unwrap();
        let mut doc = default_doc();
        let retired = doc.domains[1].skills.remove(0).code;
        publish(&t.db, Actor::system(), &doc).await.unwrap();
        assert!(current(&t.db).await.unwrap().skill(&retired).is_none());
        let errors =
            refused(create_draft(&t.db, 1, Some(ORG), "own.csv", &own_csv(&retired, "no")).await);
        assert_eq!(errors[0].field, format!("skill {retired}: code"));
        assert!(errors[0].message.contains("shared framework"), "{errors:?}");
        assert_no_drafts(&t.db).await;
    }
}
