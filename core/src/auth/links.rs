//! Set-password links: how people whose accounts an HR import created (with
//! no password) choose their own. A link is a one-time 256-bit token, valid
//! for `LINK_DAYS`; only its SHA-256 is stored. Issuing new links replaces
//! a person's unused ones.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use crate::audit::model::Action;
use crate::auth::model::Role;
use crate::entities::{account, audit_event, password_token, person, session};
use crate::error::AppError;
use crate::kernel::{audit, password, session as sessions};

pub const LINK_DAYS: i64 = 14;

/// One link to send: who to, and the token for `/set-password?token=`.
pub struct Link {
    pub email: String,
    pub name: String,
    pub token: String,
}

/// New links for every enabled account of organisation `org` that has no
/// password yet, issued by `by`, whose role is `issuer`. A link is the
/// account: whoever holds it signs in as its owner. So only an
/// administrator is given links for HR and administrator accounts; HR gets
/// links for staff and managers only; and nobody is ever given links for
/// another organisation's accounts. Each link is recorded in the
/// organisation's audit trail with the account it is for.
pub async fn issue_for_accounts_without_password(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    org: i32,
    issuer: Role,
) -> Result<Vec<Link>, AppError> {
    let by = by.in_organisation(Some(org));
    if !super::sso::policy::password_for_everyone(db, Some(org)).await? {
        return Err(AppError::Conflict(
            "Password sign-in is off: people sign in with single sign-on, so no set-password link is needed.".into(),
        ));
    }
    let mut query = account::Entity::find()
        .filter(account::Column::OrganisationId.eq(org))
        .filter(account::Column::PasswordHash.eq(""))
        .filter(account::Column::Disabled.eq(false));
    if !may_issue_for(issuer, Role::Admin) {
        let allowed: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| may_issue_for(issuer, *r))
            .map(Role::as_str)
            .collect();
        query = query.filter(account::Column::Role.is_in(allowed));
    }
    let accounts = query.all(db).await?;
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    let mut links = Vec::with_capacity(accounts.len());
    for chunk in accounts.chunks(500) {
        let ids: Vec<i32> = chunk.iter().map(|a| a.id).collect();
        password_token::Entity::delete_many()
            .filter(password_token::Column::AccountId.is_in(ids.clone()))
            .filter(password_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let people: std::collections::HashMap<i32, String> = person::Entity::find()
            .filter(
                person::Column::Id
                    .is_in(chunk.iter().filter_map(|a| a.person_id).collect::<Vec<_>>()),
            )
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    crate::people::model::full_name(&p.given_name, &p.family_name),
                )
            })
            .collect();
        let mut rows = Vec::with_capacity(chunk.len());
        for a in chunk {
            let token = sessions::new_token();
            rows.push(password_token::ActiveModel {
                token_hash: Set(sessions::token_id(&token)),
                account_id: Set(a.id),
                created_at: Set(now),
                expires_at: Set(now + Duration::days(LINK_DAYS)),
                used_at: Set(None),
                issuer_role: Set(Some(issuer.as_str().to_string())),
                ..Default::default()
            });
            links.push(Link {
                email: a.email.clone(),
                name: a
                    .person_id
                    .and_then(|p| people.get(&p).cloned())
                    .unwrap_or_default(),
                token,
            });
        }
        password_token::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        audit_event::Entity::insert_many(chunk.iter().map(|a| audit_event::ActiveModel {
            organisation_id: Set(Some(org)),
            at: Set(now),
            actor_id: Set(by.account_id),
            action: Set(Action::LinkIssued.code().to_string()),
            target_kind: Set(Some("account".to_string())),
            target_id: Set(Some(a.id)),
            // The account is the target; no email in the append-only trail.
            detail: Set(format!("{} account", a.role)),
            ip: Set(by.ip.map(|ip| ip.to_string())),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        by,
        Action::LinksIssued,
        None,
        format!("{} set-password links", links.len()),
    )
    .await?;
    txn.commit().await?;
    Ok(links)
}

/// Whether a user with role `issuer` may be given a set-password link for an
/// account with role `owner` (or change that account's sign-in email): a
/// link or an email change is a way into the account, so HR and
/// administrator accounts are an administrator's alone.
pub fn may_issue_for(issuer: Role, owner: Role) -> bool {
    match owner {
        Role::Staff | Role::Manager => matches!(issuer, Role::Hr | Role::Admin),
        Role::Hr | Role::Admin => issuer == Role::Admin,
        // A system account: made on the command line, never by a link.
        Role::Lead => false,
    }
}

/// Sets the password of the link's account; the link is then used up.
/// Returns the account's email. `from` is where the request came from: the
/// audit records the account itself as the actor, from there.
pub async fn set_password(
    db: &(impl ConnectionTrait + TransactionTrait),
    from: Option<std::net::IpAddr>,
    token: &str,
    new_password: &str,
    confirm: &str,
) -> Result<String, AppError> {
    let invalid = || {
        AppError::validation(
            "password",
            "This link has expired or has already been used. Ask your HR team for a new one.",
        )
    };
    let now = Utc::now();
    let found = password_token::Entity::find()
        .filter(password_token::Column::TokenHash.eq(sessions::token_id(token.trim())))
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > now)
        .ok_or_else(invalid)?;
    super::model::validate_new_password(new_password)?;
    if new_password != confirm {
        return Err(AppError::validation(
            "confirm",
            "The passwords do not match",
        ));
    }
    let hash = password::hash_password(new_password.to_string()).await?;
    let txn = crate::kernel::begin_write(db).await?;
    // Use the link up first: of two racing requests, one wins.
    let used = password_token::Entity::update_many()
        .col_expr(password_token::Column::UsedAt, Expr::value(now))
        .filter(password_token::Column::Id.eq(found.id))
        .filter(password_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(invalid());
    }
    // The account's role now, not when the link was issued: an HR-issued
    // link never opens an account that has since become HR or admin.
    let issuer = found
        .issuer_role
        .as_deref()
        .and_then(Role::parse)
        .unwrap_or(Role::Hr);
    let account = account::Entity::find_by_id(found.account_id)
        .one(&txn)
        .await?
        .filter(|a| !a.disabled)
        .filter(|a| Role::parse(&a.role).is_some_and(|owner| may_issue_for(issuer, owner)))
        .ok_or_else(invalid)?;
    let email = account.email.clone();
    let account_id = account.id;
    let organisation = account.organisation_id;
    let mut m: account::ActiveModel = account.into();
    m.password_hash = Set(hash);
    m.update(&txn).await?;
    audit::record(
        &txn,
        audit::Actor::new(Some(account_id), from).in_organisation(organisation),
        Action::PasswordSet,
        Some(("account", account_id)),
        "from a set-password link",
    )
    .await?;
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(found.account_id))
        .exec(&txn)
        .await?;
    // The account's other links (an older welcome email, HR's) stop now:
    // a link left in a mailbox must not reset the password later.
    password_token::Entity::delete_many()
        .filter(password_token::Column::AccountId.eq(found.account_id))
        .filter(password_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(email)
}

/// A set-password link for one new account, made as its welcome email is
/// sent (the token exists only in that email; its hash is stored), unless
/// it may not use a password (single sign-on only) or has one already.
/// Earlier links stay valid until one is used (then all stop): if the
/// email was sent before and Skillmap stopped before recording it, the
/// copy already delivered still works. Recorded in the account's
/// organisation's audit trail as issued by the system. Run by the job
/// queue for the accounts an import (of that organisation) made, never for
/// an id from a request.
pub async fn issue_welcome(
    db: &(impl ConnectionTrait + TransactionTrait),
    account_id: i32,
    providers: &[super::sso::config::ProviderConfig],
) -> Result<Option<String>, AppError> {
    let Some(a) = account::Entity::find_by_id(account_id).one(db).await? else {
        return Ok(None);
    };
    if a.disabled
        || !a.password_hash.is_empty()
        || !super::sso::policy::may_use_password(
            db,
            providers,
            a.break_glass,
            &a.role,
            a.organisation_id,
        )
        .await?
    {
        return Ok(None);
    }
    let now = Utc::now();
    let token = sessions::new_token();
    let txn = crate::kernel::begin_write(db).await?;
    password_token::ActiveModel {
        token_hash: Set(sessions::token_id(&token)),
        account_id: Set(account_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(LINK_DAYS)),
        used_at: Set(None),
        // The least issuer that may open the account as it is now: should
        // it become HR or admin before the link is used, the link stops.
        issuer_role: Set(Some(
            match Role::parse(&a.role) {
                Some(Role::Staff | Role::Manager) => Role::Hr,
                _ => Role::Admin,
            }
            .as_str()
            .to_string(),
        )),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Actor::system().in_organisation(a.organisation_id),
        Action::LinkIssued,
        Some(("account", account_id)),
        format!("{} account, by welcome email", a.role),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::test_db;

    /// A welcome email sent twice (its job ran again) leaves two links;
    /// using either ends the other, so a link left in a mailbox cannot
    /// reset the password later.
    #[tokio::test]
    async fn using_one_link_ends_the_accounts_other_links() {
        let t = test_db().await;
        let db = &t.db;
        let id = account::ActiveModel {
            organisation_id: Set(Some(crate::kernel::testing::ORG)),
            email: Set("new.starter@example.nhs.uk".into()),
            password_hash: Set(String::new()),
            role: Set("staff".into()),
            disabled: Set(false),
            person_id: Set(None),
            created_at: Set(Utc::now()),
            last_login_at: Set(None),
            break_glass: Set(false),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap()
        .id;
        let first = issue_welcome(db, id, &[]).await.unwrap().unwrap();
        let second = issue_welcome(db, id, &[]).await.unwrap().unwrap();
        assert_ne!(first, second);
        let pass = "a long enough passphrase";
        set_password(db, None, &second, pass, pass).await.unwrap();
        let stale = set_password(
            db,
            None,
            &first,
            "another passphrase here",
            "another passphrase here",
        )
        .await;
        assert!(stale.is_err(), "the earlier link stopped when one was used");
        // With a password, no further welcome link is made.
        assert_eq!(issue_welcome(db, id, &[]).await.unwrap(), None);
    }

    /// Set-password links are the accounts they open: HR and
    /// administrators get links for their own organisation's accounts
    /// only, never another's, and the trail that records them is theirs.
    #[tokio::test]
    async fn links_are_issued_for_the_organisations_accounts_only() {
        use crate::kernel::testing::ORG;
        use sea_orm::PaginatorTrait;
        let t = test_db().await;
        let db = &t.db;
        let other = crate::kernel::tenant::create(db, "RYY", "Other Trust")
            .await
            .unwrap()
            .id;
        let new_account = async |org: i32, email: &str, role: Role| {
            account::ActiveModel {
                organisation_id: Set(Some(org)),
                email: Set(email.into()),
                password_hash: Set(String::new()),
                role: Set(role.as_str().into()),
                disabled: Set(false),
                person_id: Set(None),
                created_at: Set(Utc::now()),
                last_login_at: Set(None),
                break_glass: Set(false),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap()
            .id
        };
        new_account(ORG, "ours@trust.nhs.uk", Role::Staff).await;
        new_account(ORG, "our.hr@trust.nhs.uk", Role::Hr).await;
        let theirs = new_account(other, "theirs@other.nhs.uk", Role::Staff).await;
        let by = audit::Actor::new(None, None);
        let emails = |links: Vec<Link>| -> Vec<String> {
            let mut e: Vec<String> = links.into_iter().map(|l| l.email).collect();
            e.sort();
            e
        };
        let hr = issue_for_accounts_without_password(db, by, ORG, Role::Hr)
            .await
            .unwrap();
        assert_eq!(emails(hr), ["ours@trust.nhs.uk"]);
        let admin = issue_for_accounts_without_password(db, by, ORG, Role::Admin)
            .await
            .unwrap();
        assert_eq!(emails(admin), ["our.hr@trust.nhs.uk", "ours@trust.nhs.uk"]);
        let tokens = password_token::Entity::find()
            .filter(password_token::Column::AccountId.eq(theirs))
            .count(db)
            .await
            .unwrap();
        assert_eq!(
            tokens, 0,
            "no link ever opens another organisation's account"
        );
        let all = audit_event::Entity::find().count(db).await.unwrap();
        let ours = audit_event::Entity::find()
            .filter(audit_event::Column::OrganisationId.eq(ORG))
            .count(db)
            .await
            .unwrap();
        assert_eq!(ours, all, "every event is in the organisation's trail");
        let theirs_issued = issue_for_accounts_without_password(db, by, other, Role::Hr)
            .await
            .unwrap();
        assert_eq!(emails(theirs_issued), ["theirs@other.nhs.uk"]);
    }
}
