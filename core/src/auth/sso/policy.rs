//! Who may sign in with a password, and the links administrators manage.
//!
//! With single sign-on in place an administrator can switch password
//! sign-in off for everyone of their organisation except its named
//! break-glass administrators (the way in when the provider is down). The
//! switch is the organisation's (`organisation.password_break_glass_only`),
//! so one trust's choice never locks another's staff out, and every
//! instance reads the same.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};

use super::config::ProviderConfig;
use crate::audit::model::Action;
use crate::auth::model::{Role, SsoLinkRow};
use crate::entities::{account, organisation, sso_link};
use crate::error::AppError;
use crate::kernel::audit;

/// True while anyone of organisation `org` with a password may use it (the
/// default). For `None` (an account of no organisation, the workforce lead,
/// and the sign-in page before anyone is known): true unless every
/// organisation has closed it.
pub async fn password_for_everyone(
    db: &impl ConnectionTrait,
    org: Option<i32>,
) -> Result<bool, AppError> {
    let closed = organisation::Column::PasswordBreakGlassOnly;
    Ok(match org {
        Some(org) => organisation::Entity::find_by_id(org)
            .one(db)
            .await?
            .is_none_or(|o| !o.password_break_glass_only),
        None => {
            organisation::Entity::find()
                .filter(closed.eq(false))
                .one(db)
                .await?
                .is_some()
                || organisation::Entity::find().one(db).await?.is_none()
        }
    })
}

/// Does one of `providers` sign in people of organisation `org` (`None`:
/// an account of no organisation)? A provider may be limited to some
/// organisations (`SKILLMAP_OIDC_<ID>_ORGANISATIONS`).
pub async fn served(
    db: &impl ConnectionTrait,
    providers: &[ProviderConfig],
    org: Option<i32>,
) -> Result<bool, AppError> {
    if providers.iter().any(|p| p.organisations.is_empty()) {
        return Ok(true);
    }
    if providers.is_empty() {
        return Ok(false);
    }
    let code = code_of(db, org).await?;
    Ok(providers.iter().any(|p| p.serves(code.as_deref())))
}

/// The code of organisation `org` (none for `None`, or one not found).
pub async fn code_of(
    db: &impl ConnectionTrait,
    org: Option<i32>,
) -> Result<Option<String>, sea_orm::DbErr> {
    let Some(org) = org else { return Ok(None) };
    Ok(organisation::Entity::find_by_id(org)
        .one(db)
        .await?
        .map(|o| o.code))
}

/// May this account (of organisation `org`) sign in with its password now?
/// With no provider that signs in its organisation's people (any more),
/// passwords are the only way in: open to all of it.
pub async fn may_use_password(
    db: &impl ConnectionTrait,
    providers: &[ProviderConfig],
    break_glass: bool,
    role: &str,
    org: Option<i32>,
) -> Result<bool, AppError> {
    Ok((break_glass && role == Role::Admin.as_str())
        || !served(db, providers, org).await?
        || password_for_everyone(db, org).await?)
}

/// Opens password sign-in to everyone of organisation `org`, or closes it
/// to all but its break-glass administrators. Closing needs a provider to
/// sign in with and at least one enabled break-glass administrator of the
/// organisation with a password, so that a provider outage cannot lock
/// everyone out. Other organisations are untouched.
pub async fn set_password_for_everyone(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    org: i32,
    everyone: bool,
    providers: &[ProviderConfig],
) -> Result<bool, AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    if !everyone {
        if providers.is_empty() {
            return Err(AppError::Conflict(
                "Password sign-in cannot be switched off: no single sign-on provider is configured (SKILLMAP_OIDC_PROVIDERS).".into(),
            ));
        }
        if !served(&txn, providers, Some(org)).await? {
            return Err(AppError::Conflict(
                "Password sign-in cannot be switched off: no single sign-on provider signs in this organisation's people (see each provider's SKILLMAP_OIDC_<ID>_ORGANISATIONS).".into(),
            ));
        }
        if !has_way_in(&txn, Some(org)).await? {
            return Err(AppError::Conflict(
                "Mark at least one administrator with a password as break-glass first: they are the way in if single sign-on fails.".into(),
            ));
        }
    }
    let found = organisation::Entity::update_many()
        .col_expr(
            organisation::Column::PasswordBreakGlassOnly,
            sea_orm::sea_query::Expr::value(!everyone),
        )
        .filter(organisation::Column::Id.eq(org))
        .exec(&txn)
        .await?;
    if found.rows_affected == 0 {
        return Err(AppError::NotFound("The organisation".into()));
    }
    let detail = if everyone {
        "password sign-in open to everyone"
    } else {
        "password sign-in only for break-glass administrators"
    };
    audit::record(&txn, by, Action::SignInPolicyChanged, None, detail).await?;
    txn.commit().await?;
    Ok(everyone)
}

/// Marks an administrator of organisation `org` as break-glass, or not
/// (another organisation's account is not found, as a missing one is not).
/// The rule it serves, that someone can still sign in with a password, is
/// the deployment's.
pub async fn set_break_glass(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    org: i32,
    account_id: i32,
    on: bool,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let acc = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .filter(|a| a.organisation_id == Some(org))
        .ok_or_else(|| AppError::NotFound("The account".into()))?;
    if on && acc.role != Role::Admin.as_str() {
        return Err(AppError::Conflict(
            "Only administrators can be break-glass accounts.".into(),
        ));
    }
    let mut active: account::ActiveModel = acc.into();
    active.break_glass = Set(on);
    active.update(&txn).await?;
    keep_a_way_in(
        &txn,
        Some(org),
        "This is the last break-glass administrator while password sign-in is off: open password sign-in first, or mark another administrator.",
    )
    .await?;
    let detail = if on {
        "break-glass on"
    } else {
        "break-glass off"
    };
    audit::record(
        &txn,
        by,
        Action::BreakGlassSet,
        Some(("account", account_id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Is there an enabled break-glass administrator of organisation `org`
/// with a password: someone who can still sign in there if single sign-on
/// fails?
async fn has_way_in(db: &impl ConnectionTrait, org: Option<i32>) -> Result<bool, AppError> {
    let of = match org {
        Some(org) => account::Column::OrganisationId.eq(org),
        None => account::Column::OrganisationId.is_null(),
    };
    Ok(account::Entity::find()
        .filter(of)
        .filter(account::Column::BreakGlass.eq(true))
        .filter(account::Column::Role.eq(Role::Admin.as_str()))
        .filter(account::Column::Disabled.eq(false))
        .filter(account::Column::PasswordHash.ne(""))
        .one(db)
        .await?
        .is_some())
}

/// Within a transaction that has just changed an account of organisation
/// `org`: while its password sign-in is off, refuse (`refusal`, and the
/// transaction rolls back) if nobody of it could still sign in with a
/// password. Every change that can take the last way in away (unmarking,
/// disabling) runs this.
pub async fn keep_a_way_in(
    db: &impl ConnectionTrait,
    org: Option<i32>,
    refusal: &str,
) -> Result<(), AppError> {
    if password_for_everyone(db, org).await? || has_way_in(db, org).await? {
        Ok(())
    } else {
        Err(AppError::Conflict(refusal.into()))
    }
}

/// Whose links `links_by_account` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinksOf {
    /// One account's.
    Account(i32),
    /// Every account's of an organisation (for its accounts list).
    Organisation(i32),
}

/// The links, by account: an organisation's accounts' (for the accounts
/// list), or one account's.
pub async fn links_by_account(
    db: &impl ConnectionTrait,
    of: LinksOf,
) -> Result<std::collections::HashMap<i32, Vec<SsoLinkRow>>, AppError> {
    let mut out: std::collections::HashMap<i32, Vec<SsoLinkRow>> = Default::default();
    let query = match of {
        LinksOf::Account(id) => sso_link::Entity::find().filter(sso_link::Column::AccountId.eq(id)),
        LinksOf::Organisation(org) => {
            let accounts = sea_orm::sea_query::Query::select()
                .column(account::Column::Id)
                .from(account::Entity)
                .and_where(account::Column::OrganisationId.eq(org))
                .to_owned();
            sso_link::Entity::find().filter(sso_link::Column::AccountId.in_subquery(accounts))
        }
    };
    for l in query.all(db).await? {
        out.entry(l.account_id).or_default().push(SsoLinkRow {
            id: l.id,
            provider_label: l.provider.clone(),
            provider: l.provider,
            linked: l.created_at.format("%-d %b %Y").to_string(),
            last_used: l
                .last_used_at
                .map(|t| t.format("%-d %b %Y %H:%M").to_string()),
        });
    }
    Ok(out)
}

/// Removes a link of an account of organisation `org` (another's is not
/// found, as a missing one is not): the person's next sign-in with that
/// provider matches them afresh. Their sessions from that provider end.
pub async fn remove_link(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    org: i32,
    link_id: i32,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let not_found = || AppError::NotFound("The sign-in link".into());
    let link = sso_link::Entity::find_by_id(link_id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let owner: Option<Option<i32>> = account::Entity::find_by_id(link.account_id)
        .select_only()
        .column(account::Column::OrganisationId)
        .into_tuple()
        .one(&txn)
        .await?;
    if owner != Some(Some(org)) {
        return Err(not_found());
    }
    sso_link::Entity::delete_by_id(link_id).exec(&txn).await?;
    crate::entities::session::Entity::delete_many()
        .filter(crate::entities::session::Column::AccountId.eq(link.account_id))
        .filter(crate::entities::session::Column::SsoProvider.eq(&link.provider))
        .exec(&txn)
        .await?;
    let target = Some(("account", link.account_id));
    audit::record(&txn, by, Action::SsoUnlinked, target, link.provider.clone()).await?;
    txn.commit().await?;
    Ok(())
}
