//! A person moves to another organisation of the integrated care system,
//! and their skills record moves with them: HR of their organisation moves
//! them; their agreed levels (with who agreed them and when), assessment
//! history, badges (still issued by whoever issued them, so they keep
//! verifying), recognition received, pathway and review dates stay theirs.
//! The new organisation's HR is told, and places them in a unit and job
//! role (an import with the same employee number does that, as for
//! anyone of theirs).
//!
//! What cannot move is left behind: their job role (job roles are each
//! organisation's own), their line manager and the people who report to
//! them (both in the old organisation), and an HR or administrator role on
//! their account (roles are given by the organisation they work for).

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use super::model::{MovePreview, full_name};
use crate::audit::model::Action;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{account, assessment, badge, org_unit, pathway, person, person_move};
use crate::error::{AppError, FieldError};
use crate::kernel::audit::{self, Actor};
use crate::kernel::tenant::{self, Owned, ensure_in};

/// What moving `person_id` (of organisation `org`) would do. Another
/// organisation's person is not found.
pub async fn move_preview(
    db: &impl ConnectionTrait,
    org: i32,
    person_id: i32,
) -> Result<MovePreview, AppError> {
    ensure_in(db, org, Owned::Person, person_id).await?;
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("Person".into()))?;
    let all = tenant::all(db).await?;
    let from = all
        .iter()
        .find(|o| o.id == org)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let mut destinations: Vec<(String, String)> = all
        .into_iter()
        .filter(|o| o.id != org)
        .map(|o| (o.code, o.name))
        .collect();
    destinations.sort_by(|a, b| a.1.cmp(&b.1));
    let agreed_levels = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::Status.eq("agreed"))
        .count(db)
        .await?;
    let badges = badge::Entity::find()
        .filter(badge::Column::PersonId.eq(person_id))
        .count(db)
        .await?;
    let direct_reports = person::Entity::find()
        .filter(person::Column::LineManagerId.eq(person_id))
        .count(db)
        .await?;
    let elevated_role = account::Entity::find()
        .filter(account::Column::PersonId.eq(person_id))
        .one(db)
        .await?
        .and_then(|a| Role::parse(&a.role))
        .filter(|r| elevated(*r))
        .map(|r| r.label().to_string());
    Ok(MovePreview {
        person_id,
        name: full_name(&p.given_name, &p.family_name),
        employee_number: p.employee_number,
        from,
        destinations,
        agreed_levels,
        badges,
        direct_reports,
        elevated_role,
    })
}

/// A role one organisation gives and another need not: it does not move.
fn elevated(role: Role) -> bool {
    matches!(role, Role::Hr | Role::Admin)
}

/// Moves `person_id` from `acting`'s organisation to the one with code
/// `to`, once `confirm` is their employee number. In one transaction: the
/// person, their account and what hangs on them move; both organisations'
/// trails record it; the new organisation's HR is told. Returns the new
/// organisation's name.
pub async fn move_person(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    acting: &CurrentUser,
    person_id: i32,
    to: &str,
    confirm: &str,
) -> Result<String, AppError> {
    let org = acting.organisation()?;
    if acting.person_id == Some(person_id) {
        return Err(AppError::Conflict(
            "You cannot move your own record. Ask an HR colleague.".into(),
        ));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let preview = move_preview(&txn, org, person_id).await?;
    let mut errors = Vec::new();
    let dest = preview
        .destinations
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(to.trim()))
        .cloned();
    if dest.is_none() {
        errors.push(FieldError::new(
            "to",
            "Choose the organisation they are moving to",
        ));
    }
    if let Err(e) = crate::privacy::model::check_confirm(confirm, &preview.employee_number) {
        errors.push(e);
    }
    let Some((code, dest_name)) = dest.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    // Both organisations, from one read of them all (a handful of rows).
    let organisations = tenant::all(&txn).await?;
    let of = |pick: &dyn Fn(&tenant::Organisation) -> bool| {
        organisations
            .iter()
            .find(|o| pick(o))
            .ok_or(AppError::Internal)
    };
    let dest = of(&|o| o.code == code)?;
    let from_code = of(&|o| o.id == org)?.code.clone();
    // Placed at the top of the new organisation until its HR places them.
    let Some(top) = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(dest.id))
        .filter(org_unit::Column::ParentId.is_null())
        .order_by_asc(org_unit::Column::Id)
        .one(&txn)
        .await?
    else {
        return Err(AppError::Conflict(format!(
            "{dest_name} has no organisation structure yet, so there is nowhere to place them. Ask its HR team to import it first."
        )));
    };
    let p = person::Entity::find_by_id(person_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let old_unit = p.org_unit_id;

    // Their reports stay, with no line manager recorded until one is set.
    super::service::release_reports(&txn, person_id).await?;
    person::ActiveModel {
        id: Set(person_id),
        organisation_id: Set(dest.id),
        org_unit_id: Set(top.id),
        job_role_id: Set(None),
        line_manager_id: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if let Some(a) = account::Entity::find()
        .filter(account::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?
    {
        let role = match Role::parse(&a.role) {
            Some(r) if elevated(r) => Role::Staff,
            Some(r) => r,
            None => Role::Staff,
        };
        account::ActiveModel {
            id: Set(a.id),
            organisation_id: Set(Some(dest.id)),
            role: Set(role.as_str().to_string()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    // The role they aspired to was one of the old organisation's roles.
    pathway::Entity::update_many()
        .col_expr(
            pathway::Column::AspirationRoleId,
            Expr::value(Option::<i32>::None),
        )
        .filter(pathway::Column::PersonId.eq(person_id))
        .exec(&txn)
        .await?;
    person_move::ActiveModel {
        person_id: Set(person_id),
        from_organisation_id: Set(org),
        to_organisation_id: Set(dest.id),
        moved_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::team::summary::refresh_moved(&txn, person_id, &[old_unit, top.id]).await?;

    let target = Some(("person", person_id));
    audit::record(
        &txn,
        by.in_organisation(Some(org)),
        Action::PersonMoved,
        target,
        format!("to {code}"),
    )
    .await?;
    audit::record(
        &txn,
        by.in_organisation(Some(dest.id)),
        Action::PersonMoved,
        target,
        format!("from {from_code}"),
    )
    .await?;
    tell_hr(&txn, dest.id, person_id, &preview.name, &preview.from).await?;
    txn.commit().await?;
    Ok(dest_name)
}

/// The new organisation's HR accounts hear who joined, to place them.
async fn tell_hr(
    db: &impl ConnectionTrait,
    org: i32,
    person_id: i32,
    name: &str,
    from: &str,
) -> Result<(), AppError> {
    use crate::notifications::{model::Kind, service as notices};
    let hr = account::Entity::find()
        .filter(account::Column::OrganisationId.eq(org))
        .filter(account::Column::Role.eq(Role::Hr.as_str()))
        .filter(account::Column::Disabled.eq(false))
        .all(db)
        .await?;
    for a in hr {
        notices::notify(
            db,
            a.id,
            notices::NewNotice::new(
                Kind::PersonJoined,
                format!("{name} has moved here from {from}"),
                "Their agreed skill levels and badges came with them. Place them in a unit and job role: import them with their employee number, as anyone of yours.",
                &format!("/people/{person_id}"),
            ),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, agree, assess, test_db, tiny_org, user};
    use crate::recognition::model::Outcome;
    use crate::recognition::service as badges;

    const BASE: &str = "https://skillmap.example";

    #[tokio::test]
    async fn a_person_moves_with_their_agreed_levels_and_badges_which_keep_verifying() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        person::ActiveModel {
            id: Set(o.b),
            email: Set(Some("b@example.org".into())),
            ..Default::default()
        }
        .update(&t.db)
        .await
        .unwrap();
        assess(&t.db, o.b, "DAT-VIS", 3).await;
        agree(&t.db, o.a, o.b, "DAT-VIS").await;
        let badge_id = badge::Entity::find().one(&t.db).await.unwrap().unwrap().id;
        let before = badges::signed_credential(&t.db, BASE.into(), o.b, badge_id)
            .await
            .unwrap();

        let other = tenant::create(&t.db, "OTH", "Other Trust").await.unwrap();
        let hr = user(o.m, Role::Hr);
        // Bad input names each field and changes nothing.
        let Err(AppError::Validation(errors)) =
            move_person(&t.db, Actor::system(), &hr, o.b, "NOPE", "wrong").await
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["to", "confirm"]);
        // Nowhere to place them yet: refused, nothing changed.
        assert!(matches!(
            move_person(&t.db, Actor::system(), &hr, o.b, "OTH", "b").await,
            Err(AppError::Conflict(_))
        ));
        ensure_in(&t.db, ORG, Owned::Person, o.b).await.unwrap();
        assert!(matches!(
            move_person(
                &t.db,
                Actor::system(),
                &user(o.b, Role::Hr),
                o.b,
                "OTH",
                "b"
            )
            .await,
            Err(AppError::Conflict(_))
        ));

        let top = org_unit::ActiveModel {
            organisation_id: Set(other.id),
            parent_id: Set(None),
            code: Set("OTH".into()),
            name: Set("Other Trust".into()),
            kind: Set("trust".into()),
            ..Default::default()
        }
        .insert(&t.db)
        .await
        .unwrap();
        let preview = move_preview(&t.db, ORG, o.b).await.unwrap();
        assert_eq!(
            (
                preview.agreed_levels,
                preview.badges,
                preview.direct_reports
            ),
            (1, 1, 0)
        );
        assert_eq!(
            preview.destinations,
            [("OTH".to_string(), "Other Trust".to_string())]
        );
        let to = move_person(&t.db, Actor::system(), &hr, o.b, "oth", " b ")
            .await
            .unwrap();
        assert_eq!(to, "Other Trust");

        // Now theirs, not ours: placed at the top, no role or manager.
        let p = person::Entity::find_by_id(o.b)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                p.organisation_id,
                p.org_unit_id,
                p.job_role_id,
                p.line_manager_id
            ),
            (other.id, top.id, None, None)
        );
        assert!(ensure_in(&t.db, ORG, Owned::Person, o.b).await.is_err());
        assert!(move_preview(&t.db, ORG, o.b).await.is_err());
        // The agreed level, and who agreed it, came with them.
        let theirs = crate::profile::service::profile(&t.db, o.b, &user(o.b, Role::Staff))
            .await
            .unwrap();
        let vis = theirs
            .items
            .iter()
            .find(|i| i.skill.code == "DAT-VIS")
            .and_then(|i| i.assessment.clone())
            .unwrap();
        assert_eq!(vis.agreed_level, Some(3));
        assert_eq!(vis.reviewed_by.as_deref(), Some("a Test"));
        let moves = super::super::service::moves_of(&t.db, o.b).await.unwrap();
        assert_eq!(moves.len(), 1);
        assert_eq!(
            (moves[0].from.as_str(), moves[0].to.as_str()),
            ("Organisation", "Other Trust")
        );

        // The badge is still the first organisation's, and both the
        // credential downloaded before and one downloaded now verify
        // against its issuer.
        let shown = badges::badges(&t.db, o.b, &user(o.b, Role::Staff))
            .await
            .unwrap();
        assert_eq!(shown.badges[0].issued_by, "Organisation");
        let after = badges::signed_credential(&t.db, BASE.into(), o.b, badge_id)
            .await
            .unwrap();
        for jwt in [&before, &after] {
            let v = badges::verify(&t.db, BASE, jwt, Some("b@example.org"))
                .await
                .unwrap();
            assert_eq!(v.outcome, Outcome::Valid, "{}", v.message);
            assert_eq!(v.issuer.as_deref(), Some("Organisation"));
            assert_eq!(v.email_matches, Some(true));
        }
        assert_eq!(
            crate::recognition::credential::claimed_issuer(&after).as_deref(),
            Some("https://skillmap.example/issuer/ORG")
        );
        // The same credential made to name the other organisation as its
        // issuer is checked against that organisation's keys, and fails.
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = after.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
            .unwrap()
            .replace("/issuer/ORG", "/issuer/OTH");
        let claimed = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload),
            parts[2]
        );
        crate::recognition::keys::ensure(&t.db).await.unwrap();
        let v = badges::verify(&t.db, BASE, &claimed, None).await.unwrap();
        assert_eq!(v.outcome, Outcome::Invalid, "{}", v.message);
    }
}
