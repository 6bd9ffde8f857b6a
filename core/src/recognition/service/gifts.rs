//! Endorsements and awards: a colleague endorses a skill with a short
//! message; a manager (or HR) gives an award of a kind administrators
//! defined, with a citation. The recipient may hide any from others.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::audit::model::Action;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{award_kind, person, recognition};
use crate::error::AppError;
use crate::framework::read as framework;
use crate::kernel::audit;
use crate::kernel::audit::Actor;
use crate::kernel::tenant::{Owned, ensure_in};
use crate::people::model::full_name;
use crate::people::service as people;
use crate::people::service::manages;
use crate::recognition::model::{
    AwardKind, Colleague, Gift, GiveForm, Received, check_award_kind, check_gift,
};
use crate::team::model::Choice;

/// How many colleagues a search shows.
const SEARCH_LIMIT: u64 = 20;

pub(super) fn received(r: recognition::Model) -> Received {
    let gift = Gift::parse(&r.kind).unwrap_or(Gift::Endorsement);
    let title = match gift {
        Gift::Endorsement => r.skill_name.or(r.skill_code).unwrap_or_default(),
        Gift::Award => r.award_name.unwrap_or_default(),
    };
    Received {
        id: r.id,
        gift,
        title,
        message: r.message,
        from: r.given_by_name,
        date: r.created_at.format("%-d %B %Y").to_string(),
        hidden: r.hidden,
    }
}

/// What `person_id` received, newest first; hidden ones only when `all`.
pub async fn received_by(
    db: &impl ConnectionTrait,
    person_id: i32,
    all: bool,
) -> Result<Vec<Received>, AppError> {
    let mut find = recognition::Entity::find().filter(recognition::Column::PersonId.eq(person_id));
    if !all {
        find = find.filter(recognition::Column::Hidden.eq(false));
    }
    Ok(find
        .order_by_desc(recognition::Column::CreatedAt)
        .order_by_desc(recognition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(received)
        .collect())
}

/// The recipient hides an endorsement or award from others, or shows it.
pub async fn set_item_hidden(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    person_id: i32,
    item_id: i32,
    hidden: bool,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let item = recognition::Entity::find_by_id(item_id)
        .one(&txn)
        .await?
        .filter(|r| r.person_id == person_id)
        .ok_or_else(|| AppError::NotFound("That recognition".into()))?;
    recognition::ActiveModel {
        id: Set(item.id),
        hidden: Set(hidden),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let shown = if hidden { "hidden" } else { "shown" };
    let detail = format!("{} {item_id} {shown}", item.kind);
    let target = Some(("person", person_id));
    audit::record(&txn, by, Action::RecognitionHidden, target, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// Colleagues of organisation `org` whose name contains `query` (two
/// letters at least), not the person searching.
pub async fn colleagues(
    db: &impl ConnectionTrait,
    org: i32,
    me: Option<i32>,
    query: &str,
) -> Result<Vec<Colleague>, AppError> {
    let q = query.trim().to_lowercase().replace(['%', '_'], "");
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let lower = |c: person::Column| Expr::expr(Func::lower(Expr::col(c)));
    let pattern = format!("%{q}%");
    let mut any = Condition::any()
        .add(lower(person::Column::GivenName).like(pattern.clone()))
        .add(lower(person::Column::FamilyName).like(pattern));
    if let Some((given, family)) = q.split_once(' ') {
        any = any.add(
            Condition::all()
                .add(lower(person::Column::GivenName).like(format!("{}%", given.trim())))
                .add(lower(person::Column::FamilyName).like(format!("{}%", family.trim()))),
        );
    }
    let mut find = person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .filter(any);
    if let Some(me) = me {
        find = find.filter(person::Column::Id.ne(me));
    }
    let found = find
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .limit(SEARCH_LIMIT)
        .all(db)
        .await?;
    Ok(people::summarise(db, found)
        .await?
        .into_iter()
        .map(Colleague::from)
        .collect())
}

/// Awards are given by the person's managers (anyone above them), HR and
/// administrators.
async fn may_award(
    db: &impl ConnectionTrait,
    giver: &CurrentUser,
    person_id: i32,
) -> Result<bool, AppError> {
    if giver.is_one_of(&[Role::Hr, Role::Admin]) {
        return Ok(true);
    }
    Ok(match giver.person_id {
        Some(me) => manages(db, me, person_id).await?,
        None => false,
    })
}

/// The person `giver` recognises: someone of the giver's organisation; one
/// of another (or a giver of none, a system account) is not found, as a
/// missing one.
async fn recipient(
    db: &impl ConnectionTrait,
    giver: &CurrentUser,
    person_id: i32,
) -> Result<person::Model, AppError> {
    person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .filter(|p| giver.organisation_id == Some(p.organisation_id))
        .ok_or_else(|| AppError::NotFound("That colleague".into()))
}

fn not_yourself(giver: &CurrentUser, person_id: i32) -> Result<(), AppError> {
    if giver.person_id == Some(person_id) {
        return Err(AppError::Conflict(
            "You cannot recognise yourself: a colleague or your manager can.".into(),
        ));
    }
    Ok(())
}

/// The giver's name as the recipient sees it.
async fn giver_name(db: &impl ConnectionTrait, giver: &CurrentUser) -> Result<String, AppError> {
    Ok(match giver.person_id {
        Some(id) => person::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|p| full_name(&p.given_name, &p.family_name))
            .unwrap_or_else(|| giver.display_name.clone()),
        None => giver.display_name.clone(),
    })
}

/// What `giver` has given `person_id`, newest first.
async fn given_by(
    db: &impl ConnectionTrait,
    giver: &CurrentUser,
    person_id: i32,
) -> Result<Vec<recognition::Model>, AppError> {
    // A giver without a staff record is known by their display name, as
    // `giver_name` records it.
    let by = match giver.person_id {
        Some(id) => recognition::Column::GivenById.eq(id),
        None => recognition::Column::GivenByName.eq(giver.display_name.clone()),
    };
    Ok(recognition::Entity::find()
        .filter(recognition::Column::PersonId.eq(person_id))
        .filter(by)
        .order_by_desc(recognition::Column::CreatedAt)
        .order_by_desc(recognition::Column::Id)
        .all(db)
        .await?)
}

/// The "recognise a colleague" form for `person_id`.
pub async fn give_form(
    db: &impl ConnectionTrait,
    giver: &CurrentUser,
    person_id: i32,
) -> Result<GiveForm, AppError> {
    let p = recipient(db, giver, person_id).await?;
    not_yourself(giver, person_id)?;
    let mine = given_by(db, giver, person_id).await?;
    let endorsed: std::collections::HashSet<String> = mine
        .iter()
        .filter(|r| r.kind == Gift::Endorsement.as_str())
        .filter_map(|r| r.skill_code.clone())
        .collect();
    let fw = framework::current(db).await?;
    let skills = fw
        .skills()
        .filter(|s| !endorsed.contains(&s.code))
        .map(|s| Choice {
            code: s.code.clone(),
            label: s.name.clone(),
        })
        .collect();
    let can_award = may_award(db, giver, person_id).await?;
    let award_kinds = if can_award {
        award_kinds(db, p.organisation_id, false).await?
    } else {
        Vec::new()
    };
    Ok(GiveForm {
        person_id,
        person_name: full_name(&p.given_name, &p.family_name),
        skills,
        award_kinds,
        can_award,
        given: mine.into_iter().map(received).collect(),
    })
}

/// Records an endorsement or award. The recipient (one of the giver's
/// organisation) and the input are checked first and nothing is stored
/// unless all of it is right. (The form's five fields, the giver
/// and who is acting: a struct for them would only be taken apart again.)
#[allow(clippy::too_many_arguments)]
pub async fn give(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    giver: &CurrentUser,
    person_id: i32,
    kind: &str,
    skill_code: Option<&str>,
    award_kind_id: Option<i32>,
    message: &str,
) -> Result<Gift, AppError> {
    // Someone of another organisation is not found, whatever was sent.
    recipient(db, giver, person_id).await?;
    let gift =
        check_gift(kind, skill_code, award_kind_id, message).map_err(AppError::Validation)?;
    let txn = crate::kernel::begin_write(db).await?;
    let p = recipient(&txn, giver, person_id).await?;
    not_yourself(giver, person_id)?;
    let mut row = recognition::ActiveModel {
        person_id: Set(p.id),
        kind: Set(gift.as_str().into()),
        message: Set(message.trim().to_string()),
        given_by_id: Set(giver.person_id),
        given_by_name: Set(giver_name(&txn, giver).await?),
        created_at: Set(Utc::now()),
        hidden: Set(false),
        ..Default::default()
    };
    match gift {
        Gift::Endorsement => {
            let code = skill_code.unwrap_or_default().trim();
            let fw = framework::current(&txn).await?;
            let skill = fw.skill(code).ok_or_else(|| {
                AppError::validation("skill_code", "Choose a skill from the framework")
            })?;
            let already = given_by(&txn, giver, person_id)
                .await?
                .into_iter()
                .any(|r| {
                    r.kind == Gift::Endorsement.as_str() && r.skill_code.as_deref() == Some(code)
                });
            if already {
                return Err(AppError::Conflict(format!(
                    "You have already endorsed {} for {}.",
                    full_name(&p.given_name, &p.family_name),
                    skill.name
                )));
            }
            row.skill_code = Set(Some(skill.code.clone()));
            row.skill_name = Set(Some(skill.name.clone()));
        }
        Gift::Award => {
            if !may_award(&txn, giver, person_id).await? {
                return Err(AppError::Forbidden);
            }
            // Only the organisation's own awards are offered.
            let kind = award_kind::Entity::find_by_id(award_kind_id.unwrap_or_default())
                .one(&txn)
                .await?
                .filter(|k| k.active && k.organisation_id == p.organisation_id)
                .ok_or_else(|| {
                    AppError::validation("award_kind_id", "Choose one of the awards offered")
                })?;
            row.award_kind_id = Set(Some(kind.id));
            row.award_name = Set(Some(kind.name));
        }
    }
    let saved = row.insert(&txn).await?;
    let about = saved
        .skill_code
        .or(saved.award_kind_id.map(|k| format!("award kind {k}")))
        .unwrap_or_default();
    let detail = format!("{} {} ({about})", gift.as_str(), saved.id);
    let target = Some(("person", person_id));
    audit::record(&txn, by, Action::RecognitionGiven, target, detail).await?;
    {
        use crate::notifications::{model::Kind, service as notices};
        let from = saved.given_by_name.clone();
        let title = match (&saved.skill_name, &saved.award_name) {
            (Some(skill), _) => format!("{from} endorsed you for {skill}"),
            (None, Some(award)) => format!("{from} gave you an award: {award}"),
            (None, None) => format!("{from} recognised you"),
        };
        let body = match saved.message.trim() {
            "" => "See it on your recognition page.".to_string(),
            message => format!("They wrote: \u{201c}{message}\u{201d}"),
        };
        notices::notify_person(
            &txn,
            p.id,
            notices::NewNotice::new(Kind::Recognised, title, body, "/recognition"),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(gift)
}

/// The award kinds of organisation `org`, with how often each was given;
/// retired ones too when `include_retired`.
pub async fn award_kinds(
    db: &impl ConnectionTrait,
    org: i32,
    include_retired: bool,
) -> Result<Vec<AwardKind>, AppError> {
    let mut find = award_kind::Entity::find().filter(award_kind::Column::OrganisationId.eq(org));
    if !include_retired {
        find = find.filter(award_kind::Column::Active.eq(true));
    }
    let kinds = find.order_by_asc(award_kind::Column::Name).all(db).await?;
    // How often each was given, in one grouped query over the
    // organisation's kinds.
    let own_kinds = Query::select()
        .column(award_kind::Column::Id)
        .from(award_kind::Entity)
        .and_where(award_kind::Column::OrganisationId.eq(org))
        .to_owned();
    let given: HashMap<i32, i64> = recognition::Entity::find()
        .select_only()
        .column(recognition::Column::AwardKindId)
        .column_as(recognition::Column::Id.count(), "n")
        .filter(recognition::Column::AwardKindId.in_subquery(own_kinds))
        .group_by(recognition::Column::AwardKindId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(kinds
        .into_iter()
        .map(|k| AwardKind {
            given: u64::try_from(given.get(&k.id).copied().unwrap_or(0)).unwrap_or(0),
            id: k.id,
            name: k.name,
            description: k.description,
            active: k.active,
        })
        .collect())
}

/// Adds an award kind to organisation `org` (no `id`) or changes one of
/// its kinds (another organisation's id is not found); `active: false`
/// retires it (past awards keep it; nobody can give it).
pub async fn save_award_kind(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    id: Option<i32>,
    name: &str,
    description: &str,
    active: bool,
) -> Result<i32, AppError> {
    if let Some(id) = id {
        ensure_in(db, org, Owned::AwardKind, id).await?;
    }
    let errors = check_award_kind(name, description);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let name = name.trim();
    // Names are unique across the whole deployment (the database's
    // index), so another organisation's name is refused too, in words
    // that say nothing of that organisation.
    let clash = award_kind::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(award_kind::Column::Name))).eq(name.to_lowercase()),
        )
        .one(db)
        .await?
        .filter(|k| Some(k.id) != id);
    if let Some(other) = clash {
        let message = if other.organisation_id == org {
            format!("There is already an award called {name}")
        } else {
            "An award with this name already exists in the system; choose another name".into()
        };
        return Err(AppError::validation("name", message));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let row = match id {
        Some(id) => {
            let k = award_kind::Entity::find_by_id(id)
                .filter(award_kind::Column::OrganisationId.eq(org))
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::NotFound("That award".into()))?;
            award_kind::ActiveModel {
                id: Set(k.id),
                name: Set(name.to_string()),
                description: Set(description.trim().to_string()),
                active: Set(active),
                ..Default::default()
            }
            .update(&txn)
            .await?
        }
        None => {
            award_kind::ActiveModel {
                organisation_id: Set(org),
                name: Set(name.to_string()),
                description: Set(description.trim().to_string()),
                active: Set(active),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let verb = if id.is_some() { "changed" } else { "created" };
    let state = if active { "offered" } else { "retired" };
    let target = Some(("award_kind", row.id));
    audit::record(
        &txn,
        by,
        Action::AwardKindSaved,
        target,
        format!("{verb}, {state}"),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, user};
    use crate::kernel::testing::{test_db, tiny_org};
    use crate::recognition::service::{badges, report, team_recent};
    use sea_orm::PaginatorTrait;

    #[tokio::test]
    async fn endorsements_and_awards_follow_the_rules_and_change_nothing_when_refused() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let (a, b, c) = (
            user(o.a, Role::Manager),
            user(o.b, Role::Staff),
            user(o.c, Role::Staff),
        );
        let count = async || recognition::Entity::find().count(&t.db).await.unwrap();

        // A peer endorses; the form then no longer offers that skill.
        let form = give_form(&t.db, &c, o.b).await.unwrap();
        assert!(!form.can_award, "a peer gives no awards");
        assert!(form.skills.iter().any(|s| s.code == "DAT-ANA"));
        give(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &c,
            o.b,
            "endorsement",
            Some("DAT-ANA"),
            None,
            " Built the ward dashboard ",
        )
        .await
        .unwrap();
        let form = give_form(&t.db, &c, o.b).await.unwrap();
        assert!(!form.skills.iter().any(|s| s.code == "DAT-ANA"));
        assert_eq!(form.given[0].heading(), "Endorsed for Data analysis");
        assert_eq!(form.given[0].message, "Built the ward dashboard");

        // Refused, and nothing stored: twice, yourself, bad input, an award
        // from a peer, an unknown skill or award kind.
        let before = count().await;
        assert!(matches!(
            give(&t.db, crate::kernel::audit::Actor::system(), &c, o.b, "endorsement", Some("DAT-ANA"), None, "Again").await,
            Err(AppError::Conflict(m)) if m.contains("already endorsed")
        ));
        assert!(matches!(
            give(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &b,
                o.b,
                "endorsement",
                Some("DAT-VIS"),
                None,
                "Me"
            )
            .await,
            Err(AppError::Conflict(_))
        ));
        assert!(give_form(&t.db, &b, o.b).await.is_err());
        match give(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &c,
            o.b,
            "endorsement",
            None,
            None,
            "",
        )
        .await
        {
            Err(AppError::Validation(e)) => {
                assert_eq!(
                    e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                    ["skill_code", "message"]
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            give(&t.db, crate::kernel::audit::Actor::system(), &c, o.b, "endorsement", Some("DAT-XXX"), None, "Hi").await,
            Err(AppError::Validation(e)) if e[0].field == "skill_code"
        ));
        let kind = save_award_kind(
            &t.db,
            crate::kernel::audit::Actor::system(),
            ORG,
            None,
            "Data hero",
            "Used data well",
            true,
        )
        .await
        .unwrap();
        assert!(matches!(
            give(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &c,
                o.b,
                "award",
                None,
                Some(kind),
                "Great"
            )
            .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            give(&t.db, crate::kernel::audit::Actor::system(), &a, o.b, "award", None, Some(kind + 99), "Great").await,
            Err(AppError::Validation(e)) if e[0].field == "award_kind_id"
        ));
        assert!(matches!(
            give(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &a,
                999_999,
                "award",
                None,
                Some(kind),
                "Great"
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        assert_eq!(count().await, before);

        // The manager (and their manager) may give awards; a retired kind
        // may not be given, but keeps its name on awards already given.
        let form = give_form(&t.db, &user(o.m, Role::Manager), o.b)
            .await
            .unwrap();
        assert!(form.can_award);
        assert_eq!(form.award_kinds.len(), 1);
        give(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &a,
            o.b,
            "award",
            None,
            Some(kind),
            "Led the data quality drive",
        )
        .await
        .unwrap();
        assert!(matches!(
            save_award_kind(&t.db, crate::kernel::audit::Actor::system(), ORG, None, " data HERO ", "", true).await,
            Err(AppError::Validation(e)) if e[0].field == "name"
        ));
        save_award_kind(
            &t.db,
            crate::kernel::audit::Actor::system(),
            ORG,
            Some(kind),
            "Data hero",
            "Used data well",
            false,
        )
        .await
        .unwrap();
        assert!(award_kinds(&t.db, ORG, false).await.unwrap().is_empty());
        assert_eq!(award_kinds(&t.db, ORG, true).await.unwrap()[0].given, 1);
        assert!(matches!(
            give(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &a,
                o.b,
                "award",
                None,
                Some(kind),
                "Again"
            )
            .await,
            Err(AppError::Validation(_))
        ));

        // The recipient sees both and hides one from others; the manager
        // then sees one; nobody else can hide it.
        let mine = badges(&t.db, o.b, &b).await.unwrap();
        assert_eq!(mine.received.len(), 2);
        assert_eq!(mine.received[0].heading(), "Award: Data hero");
        let endorsement = mine.received[1].id;
        assert!(matches!(
            set_item_hidden(
                &t.db,
                crate::kernel::audit::Actor::system(),
                o.c,
                endorsement,
                true
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        set_item_hidden(
            &t.db,
            crate::kernel::audit::Actor::system(),
            o.b,
            endorsement,
            true,
        )
        .await
        .unwrap();
        let seen = badges(&t.db, o.b, &a).await.unwrap();
        assert_eq!(seen.received.len(), 1);
        assert_eq!(badges(&t.db, o.b, &b).await.unwrap().received.len(), 2);

        // The team page shows what was not hidden, and who had nothing.
        let team = team_recent(&t.db, o.a, Utc::now()).await.unwrap();
        assert_eq!(team.items.len(), 1);
        assert_eq!(team.items[0].what, "Award: Data hero");
        assert!(team.not_recognised.is_empty());
        let top = team_recent(&t.db, o.m, Utc::now()).await.unwrap();
        assert_eq!(top.not_recognised, ["a Test"]);

        // HR's report counts both (hidden too: it counts, it does not show),
        // and lists who in the unit had none.
        let r = report(&t.db, ORG, None, Utc::now()).await.unwrap();
        assert_eq!(r.months.len(), 6);
        assert_eq!(r.total.staff, 4);
        assert_eq!(r.total.per_month[5], 2);
        assert_eq!((r.total.recognised, r.total.percent()), (1, 25));
        let unit = r.rows[0].unit_id;
        let r = report(&t.db, ORG, Some(unit), Utc::now()).await.unwrap();
        let (_, left) = r.unit.unwrap();
        assert_eq!(left.len(), 3);
        assert!(left.iter().all(|p| p.id != o.b));
        assert!(matches!(
            report(&t.db, ORG, Some(999_999), Utc::now()).await,
            Err(AppError::NotFound(_))
        ));

        // Colleagues are found by name, never oneself.
        let found = colleagues(&t.db, ORG, Some(o.b), "test").await.unwrap();
        assert_eq!(found.len(), 3);
        assert!(
            colleagues(&t.db, ORG, Some(o.b), "t")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            colleagues(&t.db, ORG, None, "c test").await.unwrap()[0].id,
            o.c
        );
    }

    #[tokio::test]
    async fn another_organisations_people_units_and_awards_are_out_of_reach() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let fixture = crate::kernel::testing::other_org(&t.db).await;
        let (other, their_unit) = (fixture.org, fixture.unit);
        let theirs = fixture.person(&t.db, "x", None).await;
        let by = crate::kernel::audit::Actor::system;
        let hr = user(o.m, Role::Hr);

        // Not found by name, not to be recognised, even by HR.
        let found = colleagues(&t.db, ORG, Some(o.m), "test").await.unwrap();
        assert!(found.iter().all(|c| c.id != theirs), "{found:?}");
        assert_eq!(found.len(), 3);
        assert!(matches!(
            give_form(&t.db, &hr, theirs).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            give(
                &t.db,
                by(),
                &hr,
                theirs,
                "endorsement",
                Some("DAT-ANA"),
                None,
                "Hi"
            )
            .await,
            Err(AppError::NotFound(_))
        ));

        // Their award kinds are theirs: not listed, not changed, not given;
        // a name they use is refused without a word about them.
        let their_kind = save_award_kind(&t.db, by(), other, None, "Star", "", true)
            .await
            .unwrap();
        assert!(award_kinds(&t.db, ORG, true).await.unwrap().is_empty());
        assert_eq!(award_kinds(&t.db, other, true).await.unwrap().len(), 1);
        assert!(matches!(
            save_award_kind(&t.db, by(), ORG, Some(their_kind), "Ours", "", true).await,
            Err(AppError::NotFound(_))
        ));
        match save_award_kind(&t.db, by(), ORG, None, "star", "", true).await {
            Err(AppError::Validation(e)) => {
                assert_eq!(e[0].field, "name");
                assert!(
                    e[0].message.contains("already exists in the system"),
                    "{e:?}"
                );
            }
            unexpected => panic!("{unexpected:?}"),
        }
        let ours = save_award_kind(&t.db, by(), ORG, None, "Team player", "", true)
            .await
            .unwrap();
        let stored = award_kind::Entity::find_by_id(ours)
            .one(&t.db)
            .await
            .unwrap();
        assert_eq!(stored.map(|k| k.organisation_id), Some(ORG));
        assert!(matches!(
            give(&t.db, by(), &hr, o.b, "award", None, Some(their_kind), "Great").await,
            Err(AppError::Validation(e)) if e[0].field == "award_kind_id"
        ));
        let form = give_form(&t.db, &hr, o.b).await.unwrap();
        let offered: Vec<i32> = form.award_kinds.iter().map(|k| k.id).collect();
        assert_eq!(offered, [ours]);

        // HR's report: their staff are not counted, their unit not found.
        let r = report(&t.db, ORG, None, Utc::now()).await.unwrap();
        assert_eq!(r.total.staff, 4);
        assert!(r.rows.iter().all(|row| row.unit_id != their_unit));
        assert!(matches!(
            report(&t.db, ORG, Some(their_unit), Utc::now()).await,
            Err(AppError::NotFound(_))
        ));
    }
}
