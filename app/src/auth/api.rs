//! Server functions for signing in and out and for managing accounts.

use leptos::prelude::*;

use super::model::{AccountRow, CurrentUser, SignInOptions};
use crate::error::AppError;

/// Signs in and starts a fresh session (any session the browser arrived with
/// is ended, so the id is renewed at log-in), then goes to `next`.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    // public_endpoint: signing in is what anonymous visitors do; it is rate
    // limited per client address inside `service::login`.
    use crate::platform::{self, guard, session};
    let state = platform::state()?;
    let client = guard::client_ip(state.settings.trusted_proxies);
    let token = platform::reply(
        super::service::login(
            &state.db,
            &state.settings,
            &state.login_limiter,
            client,
            &email,
            &password,
        )
        .await,
    )?;
    if let Some(old) = guard::session() {
        platform::reply(
            session::destroy(&state.db, &old.session_id)
                .await
                .map_err(Into::into),
        )?;
    }
    set_cookie(&session::cookie(&token, &state.settings));
    leptos_axum::redirect(&super::model::safe_next(next.as_deref()));
    Ok(())
}

/// Ends the session on the server and clears the cookie.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::platform::{self, guard, session};
    platform::require_user()?;
    let state = platform::state()?;
    let mut then = None;
    if let Some(current) = guard::session() {
        // A session begun at a provider ends there too (RP-initiated
        // logout), where the provider offers it.
        let origin = platform::reply(
            session::sso_origin(&state.db, &current.session_id)
                .await
                .map_err(Into::into),
        )?;
        platform::reply(
            super::service::sign_out(&state.db, crate::platform::actor(), &current).await,
        )?;
        if let Some((provider, id_token)) = origin {
            then = super::sso::logout::end_session_url(
                &state.sso,
                &state.settings,
                &provider,
                id_token.as_deref(),
            )
            .await;
        }
    }
    set_cookie(&session::clear_cookie(&state.settings));
    leptos_axum::redirect(then.as_deref().unwrap_or("/login?signed_out=1"));
    Ok(())
}

/// What the sign-in page offers: the single sign-on providers, and
/// whether password sign-in is open to everyone: of the caller's
/// organisation when signed in (their administrator's page, HR's import;
/// the providers too are those that serve it), else open unless every
/// organisation has closed it.
#[server(endpoint = "auth/sign_in_choices")]
pub async fn sign_in_choices() -> Result<SignInOptions, AppError> {
    // public_endpoint: the sign-in page shows it to anonymous visitors; it
    // names only the configured providers and one setting.
    use crate::platform;
    let state = platform::state()?;
    let user = platform::current_user();
    let org = user.as_ref().and_then(|u| u.organisation_id);
    let password_for_everyone =
        platform::reply(super::sso::policy::password_for_everyone(&state.db, org).await)?;
    // Signed in: the providers that sign in the caller's organisation's
    // people (a trust's own provider serves that trust alone).
    let providers = match user {
        Some(_) => {
            let code = super::sso::policy::code_of(&state.db, org).await;
            let code = platform::reply(code.map_err(AppError::from))?;
            state.sso.buttons_for(code.as_deref())
        }
        None => state.sso.buttons(),
    };
    Ok(SignInOptions {
        providers,
        password_for_everyone,
    })
}

/// Opens password sign-in to everyone of the caller's organisation, or
/// closes it to all but its break-glass administrators.
#[server(endpoint = "admin/set_password_sign_in")]
pub async fn set_password_sign_in(everyone: bool) -> Result<bool, AppError> {
    use super::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    platform::reply(
        super::sso::policy::set_password_for_everyone(
            &state.db,
            platform::actor(),
            org,
            everyone,
            &state.settings.sso,
        )
        .await,
    )
}

/// Marks an administrator of the caller's organisation as break-glass (may
/// use a password when password sign-in is off for everyone else), or not.
/// Another organisation's account is not found.
#[server(endpoint = "admin/set_break_glass")]
pub async fn set_break_glass(account_id: i32, on: bool) -> Result<(), AppError> {
    use super::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(
        super::sso::policy::set_break_glass(&db, platform::actor(), org, account_id, on).await,
    )
}

/// Removes an account's link to a provider identity (and ends the sessions
/// begun with it): the next sign-in there matches the person afresh. A
/// link of another organisation's account is not found.
#[server(endpoint = "admin/remove_sso_link")]
pub async fn remove_sso_link(link_id: i32) -> Result<(), AppError> {
    use super::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::sso::policy::remove_link(&db, platform::actor(), org, link_id).await)
}

/// Who is signed in, if anyone: pages use it to choose what to show.
#[server(endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    // public_endpoint: answers "nobody" to anonymous callers and reveals
    // nothing but the caller's own identity.
    Ok(crate::platform::current_user())
}

/// The accounts of the administrator's organisation, optionally filtered.
#[server(endpoint = "admin/accounts")]
pub async fn list_accounts(query: Option<String>) -> Result<Vec<AccountRow>, AppError> {
    use super::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    let mut rows = platform::reply(
        super::service::list_accounts(&state.db, org, query.as_deref().unwrap_or_default()).await,
    )?;
    for link in rows.iter_mut().flat_map(|r| r.sso_links.iter_mut()) {
        link.provider_label = state.sso.label(&link.provider);
    }
    Ok(rows)
}

/// Disables (ending its sessions at once) or re-enables an account of the
/// administrator's organisation; another organisation's is not found.
#[server(endpoint = "admin/set_account_disabled")]
pub async fn set_account_disabled(account_id: i32, disabled: bool) -> Result<AccountRow, AppError> {
    use super::model::Role;
    use crate::platform;
    let admin = platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    platform::reply(
        super::service::set_disabled(&db, crate::platform::actor(), &admin, account_id, disabled)
            .await,
    )
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    use http::{HeaderValue, header::SET_COOKIE};
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        res.append_header(SET_COOKIE, v);
    }
}

/// Sets a password from a set-password link (sent by HR after an import).
/// A plain form post goes on to the sign-in page.
#[server(endpoint = "auth/set_password")]
pub async fn set_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    // public_endpoint: the one-time token in the link is the authorization;
    // a wrong, used or expired token is refused before anything changes.
    use crate::platform;
    let db = platform::db()?;
    let email = platform::reply(
        super::links::set_password(&db, platform::actor().ip, &token, &password, &confirm).await,
    )?;
    tracing::info!(account = %email, "password set from a link");
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/login?password_set=1");
    }
    Ok(())
}
