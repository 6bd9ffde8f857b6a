//! Accounts and sign-in, against any connection (a pool or a transaction).

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

use super::model::{AccountRow, CurrentUser, Role, normalise_email, validate_login};
use super::sso::policy::LinksOf;
use crate::audit::model::Action;
use crate::entities::{account, person};
use crate::error::AppError;
use crate::kernel::{LoginLimiter, Settings, audit, backoff, password, session};

/// Checks the credentials and starts a session. Returns the cookie token.
///
/// Three things slow guessing before any password is hashed: the limit per
/// client network (`LoginLimiter`), the back-off per email address from
/// anywhere (`backoff`), and the bound on hashes running at once
/// (`password`), so that no flood of attempts can exhaust memory.
pub async fn login(
    db: &DatabaseConnection,
    settings: &Settings,
    limiter: &LoginLimiter,
    client: Option<IpAddr>,
    email: &str,
    password: &str,
) -> Result<String, AppError> {
    if let Some(ip) = client
        && !limiter.allow(ip)
    {
        tracing::warn!(%ip, "log-in rate limit reached");
        return Err(AppError::TooManyRequests(
            "There have been too many sign-in attempts from your network. Wait a minute, then try again."
                .into(),
        ));
    }
    validate_login(email, password)?;
    let email = normalise_email(email);
    let rules = backoff::Rules::from_settings(settings);
    let attempt = match backoff::claim(db, rules, &email, Utc::now()).await? {
        backoff::Claim::Go(attempt) => attempt,
        backoff::Claim::Wait(wait) => {
            // Unknown addresses wait alike: this says nothing about accounts.
            tracing::warn!("log-in delayed: repeated failures with one email address");
            let secs = backoff::whole_seconds(wait);
            let unit = if secs == 1 { "second" } else { "seconds" };
            return Err(AppError::TooManyRequests(format!(
                "There have been too many attempts to sign in with this email address. Try again in {secs} {unit}."
            )));
        }
    };
    let found = account::Entity::find()
        .filter(account::Column::Email.eq(&email))
        .one(db)
        .await?;
    let stored = found.as_ref().map(|a| a.password_hash.clone());
    let verified = match password::verify_password(password.to_string(), stored).await {
        Ok(verified) => verified,
        Err(busy) => {
            // Never checked, so not a failure of this person's.
            backoff::not_checked(db, attempt).await?;
            return Err(busy);
        }
    };
    // With password sign-in closed, a right password for an account that
    // is not break-glass fails like a wrong one: the page says who may use
    // a password, and no answer tells a guesser which passwords are right.
    let closed_to = match &found {
        Some(acc) if verified && !acc.disabled => {
            !super::sso::policy::may_use_password(
                db,
                &settings.sso,
                acc.break_glass,
                &acc.role,
                acc.organisation_id,
            )
            .await?
        }
        _ => false,
    };
    let acc = match found {
        Some(acc) if verified && !acc.disabled && !closed_to => acc,
        other => {
            tracing::info!("log-in refused");
            // The typed email is not kept: people type passwords into it.
            // A known account's failures join its organisation's trail; an
            // unknown email's are the deployment's.
            let (actor, why) = match &other {
                None => (None, "no account has that email"),
                Some(a) if a.disabled => (Some(a.id), "account disabled"),
                Some(a) if closed_to => (Some(a.id), "password sign-in is off for this account"),
                Some(a) => (Some(a.id), "wrong password"),
            };
            let organisation = other.as_ref().and_then(|a| a.organisation_id);
            let target = actor.map(|id| ("account", id));
            let by = audit::Actor::new(actor, client).in_organisation(organisation);
            // Repeats from one network within a minute are one row, counted.
            audit::record_repeat(db, by, Action::SignInFailed, target, why).await?;
            return Err(AppError::LoginFailed);
        }
    };
    backoff::succeeded(db, attempt).await?;
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    let token = session::create(&txn, acc.id, settings, now).await?;
    let target = Some(("account", acc.id));
    let by = audit::Actor::new(Some(acc.id), client).in_organisation(acc.organisation_id);
    audit::record(&txn, by, Action::SignIn, target, "").await?;
    let mut active: account::ActiveModel = acc.into();
    active.last_login_at = Set(Some(now));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(token)
}

/// Ends this session, and records that its user signed out.
pub async fn sign_out(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    current: &session::SessionContext,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    session::destroy(&txn, &current.session_id).await?;
    let account = current.user.account_id;
    audit::record(&txn, by, Action::SignOut, Some(("account", account)), "").await?;
    txn.commit().await?;
    Ok(())
}

/// An account just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub id: i32,
    pub email: String,
}

/// Creates an account (the CLI's `create-user` and the demo data use this)
/// working in organisation `organisation_id` (None: the deployment itself,
/// a system-level account). A person's account works in the person's
/// organisation: any other is refused.
pub async fn create_account(
    db: &impl ConnectionTrait,
    email: &str,
    role: Role,
    password: &str,
    person_id: Option<i32>,
    organisation_id: Option<i32>,
) -> Result<NewAccount, AppError> {
    super::model::validate_new_password(password)?;
    let email = normalise_email(email);
    if !super::model::looks_like_email(&email) {
        return Err(AppError::validation(
            "email",
            "Enter an email address in the correct format, like name@nhs.net",
        ));
    }
    // The workforce lead is the system's alone; everyone else works in an
    // organisation.
    if (role == Role::Lead) != organisation_id.is_none()
        || (role == Role::Lead && person_id.is_some())
    {
        return Err(AppError::Conflict(
            "A workforce lead belongs to no organisation and no person; every other account belongs to an organisation".into(),
        ));
    }
    if let Some(p) = person_id {
        use crate::kernel::tenant::{Owned, organisation_of};
        match organisation_of(db, Owned::Person, p).await? {
            None => return Err(AppError::NotFound("That person".into())),
            Some(of_person) if of_person != organisation_id => {
                return Err(AppError::Conflict(
                    "A person's account must be in the person's organisation".into(),
                ));
            }
            Some(_) => {}
        }
    }
    // The unique email answers a clash, even between two requests at once.
    let hash = password::hash_password(password.to_string()).await?;
    let model = account::ActiveModel {
        organisation_id: Set(organisation_id),
        email: Set(email.clone()),
        password_hash: Set(hash),
        role: Set(role.as_str().to_string()),
        disabled: Set(false),
        person_id: Set(person_id),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
        break_glass: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match crate::error::broken_unique(&e).as_deref() {
        Some("account.email") => {
            AppError::Conflict(format!("An account for {email} already exists"))
        }
        _ => e.into(),
    })?;
    Ok(NewAccount {
        id: model.id,
        email: model.email,
    })
}

/// Disables or re-enables an account of the acting administrator's
/// organisation (another's is not found, as a missing one is not).
/// Disabling ends its sessions at once.
pub async fn set_disabled(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    acting: &CurrentUser,
    account_id: i32,
    disabled: bool,
) -> Result<AccountRow, AppError> {
    if disabled && acting.account_id == account_id {
        return Err(AppError::Conflict(
            "You cannot disable your own account".into(),
        ));
    }
    let org = acting.organisation()?;
    let txn = crate::kernel::begin_write(db).await?;
    let acc = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .filter(|a| a.organisation_id == Some(org))
        .ok_or_else(|| AppError::NotFound("The account".into()))?;
    let mut active: account::ActiveModel = acc.into();
    active.disabled = Set(disabled);
    active.disabled_at = Set(disabled.then(Utc::now));
    let acc = active.update(&txn).await?;
    if disabled {
        super::sso::policy::keep_a_way_in(
            &txn,
            Some(org),
            "This is the last break-glass administrator while password sign-in is off: mark another administrator, or open password sign-in, first.",
        )
        .await?;
        session::destroy_all_for(&txn, account_id).await?;
    }
    let action = if disabled {
        Action::AccountDisabled
    } else {
        Action::AccountEnabled
    };
    audit::record(&txn, by, action, Some(("account", account_id)), "").await?;
    txn.commit().await?;
    tracing::info!(
        account = account_id,
        disabled,
        by = acting.account_id,
        "account status changed"
    );
    let name = person_name(db, acc.person_id).await?;
    let links = super::sso::policy::links_by_account(db, LinksOf::Account(acc.id))
        .await?
        .remove(&acc.id)
        .unwrap_or_default();
    Ok(row(acc, name, links))
}

/// Organisation `org`'s accounts whose email or person's name contains
/// `query` (all of them when empty), each with its single sign-on links.
pub async fn list_accounts(
    db: &impl ConnectionTrait,
    org: i32,
    query: &str,
) -> Result<Vec<AccountRow>, AppError> {
    let accounts = account::Entity::find()
        .filter(account::Column::OrganisationId.eq(org))
        .order_by_asc(account::Column::Email)
        .all(db)
        .await?;
    let person_ids: Vec<i32> = accounts.iter().filter_map(|a| a.person_id).collect();
    let people: std::collections::HashMap<i32, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(person_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} {}", p.given_name, p.family_name)))
        .collect();
    let needle = query.trim().to_lowercase();
    let mut links = super::sso::policy::links_by_account(db, LinksOf::Organisation(org)).await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let name = a.person_id.and_then(|id| people.get(&id).cloned());
            let account_links = links.remove(&a.id).unwrap_or_default();
            row(a, name, account_links)
        })
        .filter(|r| {
            needle.is_empty()
                || r.email.contains(&needle)
                || r.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
        })
        .collect())
}

async fn person_name(
    db: &impl ConnectionTrait,
    person_id: Option<i32>,
) -> Result<Option<String>, AppError> {
    let Some(id) = person_id else { return Ok(None) };
    Ok(person::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|p| format!("{} {}", p.given_name, p.family_name)))
}

fn row(
    a: account::Model,
    name: Option<String>,
    sso_links: Vec<super::model::SsoLinkRow>,
) -> AccountRow {
    AccountRow {
        break_glass: a.break_glass,
        sso_links,
        id: a.id,
        email: a.email,
        name,
        role: Role::parse(&a.role).unwrap_or(Role::Staff),
        disabled: a.disabled,
        has_password: !a.password_hash.is_empty(),
        last_login: a
            .last_login_at
            .map(|t| t.format("%-d %b %Y %H:%M").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::kernel::testing::{ORG, test_db, tiny_org};
    use crate::kernel::{Settings, session};

    const PW: &str = "a long enough passphrase";

    /// What the app's state holds for signing in.
    struct AppState {
        db: sea_orm::DatabaseConnection,
        settings: Settings,
        login_limiter: LoginLimiter,
    }

    impl AppState {
        fn new(db: sea_orm::DatabaseConnection, settings: Settings) -> Self {
            password::limit_concurrency(settings.max_concurrent_hashes);
            Self {
                login_limiter: LoginLimiter::new(settings.login_burst, settings.login_per_minute),
                db,
                settings,
            }
        }
    }

    async fn login(
        st: &AppState,
        client: Option<IpAddr>,
        email: &str,
        password: &str,
    ) -> Result<String, AppError> {
        super::login(
            &st.db,
            &st.settings,
            &st.login_limiter,
            client,
            email,
            password,
        )
        .await
    }

    fn state(db: sea_orm::DatabaseConnection, burst: u32) -> AppState {
        let settings = Settings {
            login_burst: burst,
            login_per_minute: 1,
            ..Settings::default()
        };
        AppState::new(db, settings)
    }

    #[tokio::test]
    async fn login_starts_a_session_that_resolves_to_the_user() {
        let t = test_db().await;
        let o = tiny_org(&t.db).await;
        create_account(
            &t.db,
            "Nurse@Trust.nhs.uk",
            Role::Staff,
            PW,
            Some(o.a),
            Some(ORG),
        )
        .await
        .unwrap();
        let st = state(t.db.clone(), 10);
        let ip = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let token = login(&st, ip, " nurse@trust.NHS.uk ", PW).await.unwrap();
        let ctx = session::resolve(&st.db, &token, &st.settings, Utc::now())
            .await
            .unwrap()
            .expect("live session");
        assert_eq!(ctx.user.email, "nurse@trust.nhs.uk");
        assert_eq!(ctx.user.person_id, Some(o.a));
        assert_eq!(ctx.user.display_name, "a Test");
        assert_eq!(
            login(&st, ip, "nurse@trust.nhs.uk", "wrong password").await,
            Err(AppError::LoginFailed)
        );
        assert_eq!(
            login(&st, ip, "who@trust.nhs.uk", PW).await,
            Err(AppError::LoginFailed)
        );
    }

    #[tokio::test]
    async fn idle_sessions_expire_and_are_deleted() {
        let t = test_db().await;
        let acc = create_account(&t.db, "a@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        let s = Settings::default();
        let start = Utc::now();
        let token = session::create(&t.db, acc.id, &s, start).await.unwrap();
        let later = start + chrono::Duration::minutes(31);
        assert!(
            session::resolve(&t.db, &token, &s, later)
                .await
                .unwrap()
                .is_none()
        );
        // Gone for good, even if the clock were turned back.
        assert!(
            session::resolve(&t.db, &token, &s, start)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn disabling_ends_sessions_and_blocks_login() {
        let t = test_db().await;
        let admin = create_account(
            &t.db,
            "admin@trust.nhs.uk",
            Role::Admin,
            PW,
            None,
            Some(ORG),
        )
        .await
        .unwrap();
        let acc = create_account(&t.db, "b@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        let st = state(t.db.clone(), 10);
        let token = login(&st, None, "b@trust.nhs.uk", PW).await.unwrap();
        let acting = CurrentUser {
            account_id: admin.id,
            person_id: None,
            email: admin.email.clone(),
            display_name: "Admin".into(),
            role: Role::Admin,
            organisation_id: Some(ORG),
        };
        let row = set_disabled(
            &t.db,
            crate::kernel::audit::Actor::system(),
            &acting,
            acc.id,
            true,
        )
        .await
        .unwrap();
        assert!(row.disabled);
        assert!(
            session::resolve(&t.db, &token, &st.settings, Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            login(&st, None, "b@trust.nhs.uk", PW).await,
            Err(AppError::LoginFailed)
        );
        assert!(matches!(
            set_disabled(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &acting,
                admin.id,
                true
            )
            .await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            set_disabled(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &acting,
                4242,
                true
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        // Another organisation's account is not found either, and stays
        // as it was.
        let other = crate::kernel::tenant::create(&t.db, "RYY", "Other Trust")
            .await
            .unwrap()
            .id;
        let theirs = create_account(&t.db, "y@other.nhs.uk", Role::Staff, PW, None, Some(other))
            .await
            .unwrap();
        assert_eq!(
            set_disabled(
                &t.db,
                crate::kernel::audit::Actor::system(),
                &acting,
                theirs.id,
                true
            )
            .await,
            Err(AppError::NotFound("The account".into()))
        );
        assert!(login(&st, None, "y@other.nhs.uk", PW).await.is_ok());
        // The administrator's list is their organisation's accounts only.
        let listed: Vec<String> = list_accounts(&t.db, ORG, "")
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.email)
            .collect();
        assert_eq!(listed, ["admin@trust.nhs.uk", "b@trust.nhs.uk"]);
    }

    /// Two requests creating the same account at once: the unique email
    /// answers the one that lost with a conflict, not an internal error.
    #[tokio::test]
    async fn racing_account_creations_get_a_conflict() {
        let t = test_db().await;
        let (a, b) = tokio::join!(
            create_account(&t.db, "twin@trust.nhs.uk", Role::Staff, PW, None, Some(ORG)),
            create_account(&t.db, "Twin@Trust.nhs.uk", Role::Staff, PW, None, Some(ORG)),
        );
        let mut results = [a.map(|m| m.email), b.map(|m| m.email)];
        results.sort_by_key(Result::is_err);
        assert_eq!(results[0], Ok("twin@trust.nhs.uk".to_string()));
        assert_eq!(
            results[1],
            Err(AppError::Conflict(
                "An account for twin@trust.nhs.uk already exists".into()
            ))
        );
    }

    #[tokio::test]
    async fn login_attempts_are_limited_per_address() {
        let t = test_db().await;
        create_account(&t.db, "c@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        let st = state(t.db.clone(), 2);
        let here = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        let there = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        for _ in 0..2 {
            assert_eq!(
                login(&st, here, "c@trust.nhs.uk", "nope nope").await,
                Err(AppError::LoginFailed)
            );
        }
        assert!(matches!(
            login(&st, here, "c@trust.nhs.uk", PW).await,
            Err(AppError::TooManyRequests(_))
        ));
        assert!(
            login(&st, there, "c@trust.nhs.uk", PW).await.is_ok(),
            "other addresses unaffected"
        );
    }

    /// Guessing one account's password from many addresses: after a few
    /// failures each attempt must wait, and is refused unchecked even with
    /// the right password; unknown emails are treated alike (the back-off
    /// says nothing about which accounts exist); a success starts again.
    #[tokio::test]
    async fn one_email_is_slowed_after_failures_from_any_address() {
        let t = test_db().await;
        create_account(&t.db, "e@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        let settings = Settings {
            login_burst: 100,
            account_failures_before_delay: 5,
            ..Settings::default()
        };
        let st = AppState::new(t.db.clone(), settings);
        let from = |i: u8| Some(IpAddr::V4(Ipv4Addr::new(10, 1, 0, i)));
        for email in ["e@trust.nhs.uk", "nobody@trust.nhs.uk"] {
            for i in 0..5 {
                assert_eq!(
                    login(&st, from(i), email, "nope nope").await,
                    Err(AppError::LoginFailed),
                    "{email} attempt {i}"
                );
            }
            match login(&st, from(99), email, PW).await {
                Err(AppError::TooManyRequests(message)) => {
                    assert!(message.contains("this email address"), "{message}");
                }
                other => panic!("{email}: {other:?}"),
            }
        }
        // The fifth failure earned a one-second wait; after it the right
        // password goes through, and the count starts again.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        login(&st, from(100), "e@trust.nhs.uk", PW).await.unwrap();
        for i in 0..4 {
            assert_eq!(
                login(&st, from(i), "e@trust.nhs.uk", "nope nope").await,
                Err(AppError::LoginFailed)
            );
        }
    }

    /// Failed sign-ins from one network within a minute are one audit row
    /// with their count, showing the first address, in the account's
    /// organisation's trail.
    #[tokio::test]
    async fn failed_sign_ins_from_one_network_are_one_audit_row() {
        use chrono::Timelike;
        use std::net::Ipv6Addr;
        let t = test_db().await;
        create_account(&t.db, "who@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        let st = state(t.db.clone(), 100);
        let second = Utc::now().second();
        if second >= 50 {
            let next_minute = u64::from(61 - second);
            tokio::time::sleep(std::time::Duration::from_secs(next_minute)).await;
        }
        for i in 1..=4u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 5, 6, 0, 0, 0, i));
            assert_eq!(
                login(&st, Some(ip), "who@trust.nhs.uk", "nope nope").await,
                Err(AppError::LoginFailed)
            );
        }
        let rows = crate::audit::service::search(&t.db, ORG, &Default::default(), 10)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].action, "sign_in_failed");
        assert_eq!(rows[0].count, 4);
        assert_eq!(rows[0].ip.as_deref(), Some("2001:db8:5:6::1"));
    }

    #[tokio::test]
    async fn duplicate_emails_conflict_case_insensitively() {
        let t = test_db().await;
        create_account(&t.db, "d@trust.nhs.uk", Role::Staff, PW, None, Some(ORG))
            .await
            .unwrap();
        assert!(matches!(
            create_account(&t.db, "D@TRUST.nhs.uk", Role::Hr, PW, None, Some(ORG)).await,
            Err(AppError::Conflict(_))
        ));
        let list = list_accounts(&t.db, ORG, "D@").await.unwrap();
        assert_eq!(list.len(), 1);
        assert!(
            list_accounts(&t.db, ORG, "nobody")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
