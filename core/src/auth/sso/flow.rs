//! Signing in through a provider: the authorization code flow with PKCE,
//! `state` and `nonce` bound to the browser, the token exchange with the
//! configured client authentication, the ID token checked (signature
//! against the provider's keys, issuer, audience, expiry, issue time,
//! nonce, algorithm allow-list, `acr`), then the person found: by the
//! link made at their first sign-in, else by a claim matched against what
//! HR imported. Roles come from Skillmap, never from the token.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, CsrfToken, LoginHint,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionSession,
};
use serde_json::{Map, Value};

use super::config::{MatchTo, ProviderConfig};
use super::provider::{Provider, Registry, chain};
use crate::audit::model::Action;
use crate::auth::model::{normalise_email, safe_next};
use crate::entities::{account, person, sso_link, sso_login};
use crate::kernel::{Settings, audit, session};

/// How long the browser has to come back from the provider.
pub const LOGIN_MINUTES: i64 = 10;
/// How far the provider's clock may be from ours.
const SKEW_SECS: i64 = 300;

/// The browser-binding cookie's name (`__Host-` over https, as the
/// session cookie).
pub fn binding_cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-skillmap_sso"
    } else {
        "skillmap_sso"
    }
}

fn binding_cookie(value: &str, max_age: i64, settings: &Settings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let name = binding_cookie_name(settings);
    // Lax: the provider sends the browser back with a top-level GET.
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Where a provider sends the browser back to.
pub fn redirect_uri(settings: &Settings, provider: &str) -> String {
    format!("{}/auth/sso/{provider}/callback", settings.public_base())
}

/// Where a provider returns the browser after signing out there.
pub fn post_logout_uri(settings: &Settings) -> String {
    format!("{}/login?signed_out=1", settings.public_base())
}

/// Why single sign-on stopped: words for the person (shown on the sign-in
/// page), and the reason for the audit trail and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub reason: String,
}

impl Refused {
    fn new(message: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            reason: reason.into(),
        }
    }
}

/// A database failure: logged, and the person told only that it failed.
fn database(e: sea_orm::DbErr) -> Refused {
    tracing::error!(error = %e, "single sign-on: database");
    Refused::new(crate::error::AppError::Internal.to_string(), "database")
}

fn unreachable(label: &str, why: String) -> Refused {
    Refused::new(
        format!(
            "We could not reach the service behind \u{201c}{label}\u{201d}. Try again in a few minutes; if it keeps happening, tell your Skillmap administrator."
        ),
        format!("provider unreachable: {why}"),
    )
}

fn start_again(reason: impl Into<String>) -> Refused {
    Refused::new(
        "This sign-in could not be finished: it was started in another browser or window, took longer than 10 minutes, or was already used. Start again.",
        reason,
    )
}

fn untrusted(label: &str, reason: impl Into<String>) -> Refused {
    Refused::new(
        format!(
            "The answer from \u{201c}{label}\u{201d} could not be trusted, so you have not been signed in. Start again; if it keeps happening, tell your Skillmap administrator."
        ),
        reason,
    )
}

/// A sign-in sent on its way: where to send the browser, and the cookie
/// that binds the sign-in to it.
#[derive(Debug, Clone)]
pub struct Started {
    pub location: String,
    pub set_cookie: String,
}

/// Starts signing in with `provider_id`: records the state, nonce and PKCE
/// verifier, and returns the provider's authorization URL. `binding` is the
/// browser-binding cookie the browser sent, if any.
pub async fn start(
    db: &DatabaseConnection,
    registry: &Registry,
    settings: &Settings,
    provider_id: &str,
    login_hint: Option<&str>,
    next: Option<&str>,
    binding: Option<&str>,
) -> Result<Started, Refused> {
    let provider = find(registry, provider_id)?;
    let label = &provider.config.label;
    let metadata = provider
        .metadata(&registry.http)
        .await
        .map_err(|e| unreachable(label, e.0))?;
    let client = provider
        .client(metadata, &redirect_uri(settings, provider_id))
        .map_err(|e| unreachable(label, e.0))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in provider.config.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    for acr in &provider.config.acr_values {
        request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
    }
    if let Some(hint) = login_hint
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.len() <= 256)
    {
        request = request.set_login_hint(LoginHint::new(hint.to_string()));
    }
    let (url, state, nonce) = request.url();
    // The browser's binding value, kept if it has one, so that sign-ins
    // begun in two tabs can both finish.
    let binding = binding
        .filter(|b| b.len() == 64 && b.bytes().all(|c| c.is_ascii_hexdigit()))
        .map_or_else(session::new_token, str::to_string);
    let now = Utc::now();
    let stored = async {
        // Sign-ins abandoned at the provider go at the next start.
        sso_login::Entity::delete_many()
            .filter(sso_login::Column::ExpiresAt.lt(now))
            .exec(db)
            .await?;
        sso_login::ActiveModel {
            id: Set(session::token_id(state.secret())),
            provider: Set(provider_id.to_string()),
            browser: Set(session::token_id(&binding)),
            nonce: Set(nonce.secret().clone()),
            pkce_verifier: Set(verifier.secret().clone()),
            next: Set(safe_next(next)),
            created_at: Set(now),
            expires_at: Set(now + Duration::minutes(LOGIN_MINUTES)),
        }
        .insert(db)
        .await
    };
    stored.await.map_err(database)?;
    Ok(Started {
        location: url.to_string(),
        set_cookie: binding_cookie(&binding, LOGIN_MINUTES * 60, settings),
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Signed in: the session token for the cookie, and where to go.
#[derive(Debug, Clone)]
pub struct Finished {
    pub session_token: String,
    pub next: String,
}

/// The cookie value that ends the browser binding.
pub fn clear_binding_cookie(settings: &Settings) -> String {
    binding_cookie("", 0, settings)
}

/// Finishes a sign-in the provider sent back. Every refusal is recorded
/// in the audit trail with its reason, and changes nothing else.
pub async fn finish(
    db: &DatabaseConnection,
    registry: &Registry,
    settings: &Settings,
    provider_id: &str,
    callback: Callback,
    binding: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Result<Finished, Refused> {
    // A provider that is not configured is no sign-in at all: nothing to
    // record, and the path is the caller's to write.
    let provider = find(registry, provider_id)?;
    let outcome = finish_inner(
        db, registry, settings, provider, callback, binding, client_ip,
    )
    .await;
    if let Err((refused, account)) = &outcome {
        tracing::warn!(provider = provider_id, reason = %refused.reason, "single sign-on refused");
        // A refusal for a known account is that account's organisation's.
        let organisation = match account {
            Some(id) => crate::kernel::tenant::organisation_of(
                db,
                crate::kernel::tenant::Owned::Account,
                *id,
            )
            .await
            .ok()
            .flatten()
            .flatten(),
            None => None,
        };
        let by = audit::Actor::new(*account, client_ip).in_organisation(organisation);
        let target = account.map(|id| ("account", id));
        let detail = format!("{provider_id}: {}", refused.reason);
        if let Err(e) = audit::record_repeat(db, by, Action::SsoRefused, target, detail).await {
            tracing::error!(error = %e, "could not record a single sign-on refusal");
        }
    }
    outcome.map_err(|(refused, _)| refused)
}

type Outcome<T> = Result<T, (Refused, Option<i32>)>;

fn anon<T>(r: Result<T, Refused>) -> Outcome<T> {
    r.map_err(|e| (e, None))
}

fn find<'r>(registry: &'r Registry, id: &str) -> Result<&'r Provider, Refused> {
    registry.get(id).ok_or_else(|| {
        Refused::new("There is no such sign-in service here. Go back to the sign-in page and choose one of those it lists.",
            format!("no provider {id:?}"),
        )
    })
}

async fn finish_inner(
    db: &DatabaseConnection,
    registry: &Registry,
    settings: &Settings,
    provider: &Provider,
    callback: Callback,
    binding: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Outcome<Finished> {
    let provider_id = provider.config.id.as_str();
    let config = &provider.config;
    let login = anon(take_login(db, provider_id, &callback, binding).await)?;
    if let Some(error) = &callback.error {
        return Err((provider_said_no(&config.label, error), None));
    }
    let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
        return Err((start_again("no code in the callback"), None));
    };
    let redirect = redirect_uri(settings, provider_id);
    let (client, tokens) = anon(exchange(registry, provider, &redirect, code, &login).await)?;
    let Some(id_token) = tokens.id_token() else {
        return Err((
            untrusted(&config.label, "no ID token in the token response"),
            None,
        ));
    };
    let nonce = Nonce::new(login.nonce.clone());
    let subject =
        anon(checked_subject(registry, provider, &redirect, &client, id_token, &nonce).await)?;
    let raw = id_token.to_string();
    let mut claims = payload(&raw).unwrap_or_default();
    let sid = claims.get("sid").and_then(Value::as_str).map(String::from);
    if !claims.contains_key(&config.claim)
        && let Some(url) = client.user_info_url()
    {
        // The claim is not in the ID token: ask the userinfo endpoint, and
        // take its answer only about the same subject.
        let access = tokens.access_token().secret();
        let info = anon(
            userinfo(registry, url.url().as_str(), access)
                .await
                .map_err(|e| unreachable(&config.label, format!("userinfo: {e}"))),
        )?;
        if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err((
                untrusted(&config.label, "userinfo is about another subject"),
                None,
            ));
        }
        for (k, v) in info {
            claims.entry(k).or_insert(v);
        }
    }
    let account = match_account(db, config, &subject, &claims).await?;
    let origin = session::SsoOrigin {
        provider: config.id.clone(),
        subject,
        sid,
        id_token: raw,
    };
    let session_token = sign_in(db, settings, config, account, origin, client_ip).await?;
    Ok(Finished {
        session_token,
        next: login.next,
    })
}

/// The provider sent the browser back with an error instead of a code.
/// Only its error code is kept (for the audit trail), and only if it looks
/// like one: the URL is the browser's to write, so nothing in it reaches
/// the page.
fn provider_said_no(label: &str, error: &str) -> Refused {
    let code: String = error
        .chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .take(40)
        .collect();
    Refused::new(
        format!(
            "\u{201c}{label}\u{201d} did not sign you in: you may have cancelled, or it refused. Start again, or ask your IT service desk if you cannot sign in there."
        ),
        format!("the provider answered {code}"),
    )
}

/// Exchanges the code at the token endpoint, authenticating as configured
/// and proving the PKCE verifier. Returns the client and the tokens.
async fn exchange(
    registry: &Registry,
    provider: &Provider,
    redirect: &str,
    code: String,
    login: &sso_login::Model,
) -> Result<
    (
        super::provider::Client,
        openidconnect::core::CoreTokenResponse,
    ),
    Refused,
> {
    let config = &provider.config;
    let label = config.label.as_str();
    let metadata = provider
        .metadata(&registry.http)
        .await
        .map_err(|e| unreachable(label, e.0))?;
    let token_endpoint = metadata
        .token_endpoint()
        .map(|t| t.url().to_string())
        .unwrap_or_default();
    let client = provider
        .client(metadata, redirect)
        .map_err(|e| unreachable(label, e.0))?;
    let assertion = super::assertion::client_assertion(
        &config.auth,
        &config.client_id,
        &token_endpoint,
        Utc::now().timestamp(),
    )
    .map_err(|e| unreachable(label, format!("client assertion: {e}")))?;
    let mut request = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| unreachable(label, format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()));
    if let Some(assertion) = assertion {
        request = request
            .add_extra_param("client_assertion_type", super::assertion::ASSERTION_TYPE)
            .add_extra_param("client_assertion", assertion);
    }
    let tokens = match request.request_async(&registry.http).await {
        Ok(tokens) => tokens,
        Err(RequestTokenError::ServerResponse(e)) => {
            return Err(Refused::new(
                format!(
                    "\u{201c}{label}\u{201d} did not accept this sign-in (it may have been used already, or taken too long). Start again."
                ),
                format!("token endpoint refused: {}", e.error()),
            ));
        }
        Err(e) => return Err(unreachable(label, format!("token endpoint: {}", chain(&e)))),
    };
    Ok((client, tokens))
}

/// Checks the ID token and returns its subject. A token signed with a key
/// we have not seen makes us fetch the provider's keys again (it may have
/// rotated them) and check once more.
async fn checked_subject(
    registry: &Registry,
    provider: &Provider,
    redirect: &str,
    client: &super::provider::Client,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &Nonce,
) -> Result<String, Refused> {
    let label = provider.config.label.as_str();
    let checked = match verify(provider, client, id_token, nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            let metadata = provider
                .refresh_keys(&registry.http, true)
                .await
                .map_err(|e| unreachable(label, e.0))?;
            let client = provider
                .client(metadata, redirect)
                .map_err(|e| unreachable(label, e.0))?;
            verify(provider, &client, id_token, nonce)
        }
        other => other,
    };
    checked.map_err(|e| match e {
        ClaimsVerificationError::InvalidAuthContext(why) => Refused::new(format!(
                "Skillmap needs a stronger sign-in than the one you used (for example your smartcard or a security key). Choose \u{201c}{label}\u{201d} again and sign in with it."
            ),
            format!("acr too low: {why}"),
        ),
        e => untrusted(label, format!("ID token refused: {e}")),
    })
}

/// Takes (deletes) the sign-in this callback finishes: it must exist, be
/// for this provider, be unexpired, and have begun in this browser.
async fn take_login(
    db: &DatabaseConnection,
    provider_id: &str,
    callback: &Callback,
    binding: Option<&str>,
) -> Result<sso_login::Model, Refused> {
    let Some(state) = callback.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(start_again("no state in the callback"));
    };
    let id = session::token_id(state);
    let Some(login) = sso_login::Entity::find_by_id(id.clone())
        .one(db)
        .await
        .map_err(database)?
    else {
        return Err(start_again("unknown or used state"));
    };
    // Used once: whoever deletes it finishes it.
    let taken = sso_login::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map_err(database)?;
    if taken.rows_affected != 1 {
        return Err(start_again("state used at the same moment"));
    }
    if login.provider != provider_id {
        return Err(start_again("state began with another provider"));
    }
    if login.expires_at <= Utc::now() {
        return Err(start_again("state expired"));
    }
    if binding.map(session::token_id).as_deref() != Some(login.browser.as_str()) {
        return Err(start_again("state began in another browser"));
    }
    Ok(login)
}

/// Checks the ID token; returns its subject.
fn verify(
    provider: &Provider,
    client: &super::provider::Client,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &Nonce,
) -> Result<String, ClaimsVerificationError> {
    let config = &provider.config;
    let algs: Vec<CoreJwsSigningAlgorithm> = config
        .algs
        .iter()
        .filter_map(|a| serde_json::from_value(Value::String(a.clone())).ok())
        .collect();
    let accepted = config.acr_values.clone();
    let mut verifier = client
        .id_token_verifier()
        .set_allowed_algs(algs)
        .set_issue_time_verifier_fn(|iat| {
            let now = Utc::now();
            if iat > now + Duration::seconds(SKEW_SECS) {
                Err(format!("issued in the future ({iat})"))
            } else if iat < now - Duration::minutes(LOGIN_MINUTES) - Duration::seconds(SKEW_SECS) {
                Err(format!("issued too long ago ({iat})"))
            } else {
                Ok(())
            }
        });
    if !accepted.is_empty() {
        verifier = verifier.set_auth_context_verifier_fn(move |acr| match acr {
            Some(acr) if accepted.iter().any(|a| a == acr.as_str()) => Ok(()),
            Some(acr) => Err(format!(
                "{} is not one of {}",
                acr.as_str(),
                accepted.join(", ")
            )),
            None => Err("no acr claim".into()),
        });
    }
    let claims = id_token.claims(&verifier, nonce)?;
    // The library leaves `azp` alone; other audiences are refused already,
    // so a present `azp` must be us.
    if let Some(azp) = claims.authorized_party()
        && azp.as_str() != config.client_id
    {
        return Err(ClaimsVerificationError::InvalidAudience(format!(
            "authorized party {} is not this client",
            azp.as_str()
        )));
    }
    Ok(claims.subject().as_str().to_string())
}

/// The claims of a token already verified, as JSON.
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let body = jwt.split('.').nth(1)?;
    serde_json::from_slice(&B64.decode(body).ok()?).ok()
}

async fn userinfo(
    registry: &Registry,
    url: &str,
    access_token: &str,
) -> Result<Map<String, Value>, String> {
    let res = registry
        .http
        .get(url)
        .bearer_auth(access_token)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| chain(&e))?;
    if !res.status().is_success() {
        return Err(format!("status {}", res.status()));
    }
    let body = res.bytes().await.map_err(|e| chain(&e))?;
    serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
}

/// The account this person signs in to: the one linked to their subject
/// at this provider, else the one HR imported with the configured claim.
async fn match_account(
    db: &DatabaseConnection,
    config: &ProviderConfig,
    subject: &str,
    claims: &Map<String, Value>,
) -> Outcome<(account::Model, bool)> {
    let internal = |e| (database(e), None);
    let label = config.label.as_str();
    let linked = sso_link::Entity::find()
        .filter(sso_link::Column::Provider.eq(&config.id))
        .filter(sso_link::Column::Subject.eq(subject))
        .one(db)
        .await
        .map_err(internal)?;
    if let Some(link) = linked {
        let acc = account::Entity::find_by_id(link.account_id)
            .one(db)
            .await
            .map_err(internal)?
            .ok_or_else(|| (start_again("linked account gone"), None))?;
        // Linked before the provider was limited, or the person has moved
        // organisation since.
        if !serves(db, config, &acc).await.map_err(internal)? {
            return Err((
                Refused::new(
                    format!(
                        "\u{201c}{label}\u{201d} does not sign in people of your organisation to Skillmap. Sign in the way your organisation uses, or ask your Skillmap administrator."
                    ),
                    "linked account of an organisation the provider does not serve",
                ),
                Some(acc.id),
            ));
        }
        return Ok((acc, false));
    }
    let value = claims
        .get(&config.claim)
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty());
    let Some(value) = value else {
        return Err((
            Refused::new(
                format!(
                    "\u{201c}{label}\u{201d} did not tell Skillmap who you are (it sent no {}). Tell your Skillmap administrator.",
                    config.claim
                ),
                format!("no {} claim", config.claim),
            ),
            None,
        ));
    };
    if config.claim == "email"
        && config.require_verified_email
        && claims.get("email_verified").and_then(Value::as_bool) != Some(true)
    {
        return Err((
            Refused::new(
                format!(
                    "\u{201c}{label}\u{201d} has not confirmed your email address, so Skillmap cannot match it to your record. Ask your IT service desk to confirm it, or your HR team to check your record."
                ),
                "email not verified",
            ),
            None,
        ));
    }
    let (found, what) = match config.match_to {
        MatchTo::Email => (
            account::Entity::find()
                .filter(account::Column::Email.eq(normalise_email(&value)))
                .one(db)
                .await
                .map_err(internal)?,
            "email address",
        ),
        MatchTo::EmployeeNumber => {
            let person = person::Entity::find()
                .filter(person::Column::EmployeeNumber.eq(&value))
                .one(db)
                .await
                .map_err(internal)?;
            let acc = match person {
                Some(p) => account::Entity::find()
                    .filter(account::Column::PersonId.eq(p.id))
                    .one(db)
                    .await
                    .map_err(internal)?,
                None => None,
            };
            (acc, "employee number")
        }
    };
    // The value itself stays out of the message: it travels in the
    // sign-in page's address (logs, history).
    let no_match = || {
        format!(
            "Skillmap has no record that matches the {what} you use with \u{201c}{label}\u{201d}. Your HR team adds people to Skillmap: ask them to check that your record holds that {what}. Nothing has been created."
        )
    };
    let Some(acc) = found else {
        return Err((
            Refused::new(
                no_match(),
                format!("no account matches the {}", config.claim),
            ),
            None,
        ));
    };
    // A provider limited to some organisations (a trust's own tenant)
    // vouches for their people alone: another organisation's account is
    // not matched, and the page says what it says of no match at all (no
    // word that the address is someone's elsewhere). The attempt goes in
    // that organisation's audit trail.
    if !serves(db, config, &acc).await.map_err(internal)? {
        return Err((
            Refused::new(
                no_match(),
                format!(
                    "the {} matches an account of an organisation the provider does not serve",
                    config.claim
                ),
            ),
            Some(acc.id),
        ));
    }
    let other = sso_link::Entity::find()
        .filter(sso_link::Column::Provider.eq(&config.id))
        .filter(sso_link::Column::AccountId.eq(acc.id))
        .one(db)
        .await
        .map_err(internal)?;
    if other.is_some() {
        // The address now belongs to someone else at the provider, or the
        // identity was replaced: an administrator must remove the old link.
        return Err((
            Refused::new(
                format!(
                    "Your Skillmap account is already linked to a different \u{201c}{label}\u{201d} identity. Ask your Skillmap administrator to remove the old link."
                ),
                "account linked to another subject",
            ),
            Some(acc.id),
        ));
    }
    Ok((acc, true))
}

/// Does `config`'s provider sign in `acc`'s organisation's people?
async fn serves(
    db: &DatabaseConnection,
    config: &ProviderConfig,
    acc: &account::Model,
) -> Result<bool, sea_orm::DbErr> {
    if config.organisations.is_empty() {
        return Ok(true);
    }
    let code = super::policy::code_of(db, acc.organisation_id).await?;
    Ok(config.serves(code.as_deref()))
}

/// Starts the session (making the link the first time), in one
/// transaction with its audit events; returns the session's token.
async fn sign_in(
    db: &DatabaseConnection,
    settings: &Settings,
    config: &ProviderConfig,
    (acc, new_link): (account::Model, bool),
    origin: session::SsoOrigin,
    client_ip: Option<IpAddr>,
) -> Outcome<String> {
    let account_id = acc.id;
    if acc.disabled {
        return Err((
            Refused::new(
                "Your Skillmap account is disabled. Ask your Skillmap administrator if you need it back.",
                "account disabled",
            ),
            Some(account_id),
        ));
    }
    let internal = |e| (database(e), Some(account_id));
    let now = Utc::now();
    // The sign-in joins the account's organisation's trail.
    let by = audit::Actor::new(Some(account_id), client_ip).in_organisation(acc.organisation_id);
    let target = Some(("account", account_id));
    let txn = crate::kernel::begin_write(db).await.map_err(internal)?;
    if new_link {
        sso_link::ActiveModel {
            account_id: Set(account_id),
            provider: Set(config.id.clone()),
            subject: Set(origin.subject.clone()),
            created_at: Set(now),
            last_used_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        let detail = format!("{} (matched by {})", config.id, config.claim);
        audit::record(&txn, by, Action::SsoLinked, target, detail)
            .await
            .map_err(internal)?;
    } else {
        let touched = sso_link::Entity::update_many()
            .col_expr(
                sso_link::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(sso_link::Column::Provider.eq(&config.id))
            .filter(sso_link::Column::Subject.eq(&origin.subject))
            .filter(sso_link::Column::AccountId.eq(account_id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if touched.rows_affected != 1 {
            // An administrator removed the link while this sign-in was on
            // its way: it no longer says who this is.
            return Err((start_again("link removed during sign-in"), Some(account_id)));
        }
    }
    let token = session::create_with(&txn, account_id, settings, now, Some(origin))
        .await
        .map_err(internal)?;
    audit::record(
        &txn,
        by,
        Action::SignIn,
        target,
        format!("single sign-on: {}", config.id),
    )
    .await
    .map_err(internal)?;
    let mut active: account::ActiveModel = acc.into();
    active.last_login_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(token)
}
