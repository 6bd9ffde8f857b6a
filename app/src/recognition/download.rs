//! Badges outside the pages: the issuer's public profile and keys (what a
//! verifier fetches), a holder's badge as a signed credential to save, and
//! the verification page's no-JavaScript form and file upload.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

use super::credential::Issuer;
use crate::error::AppError;
use crate::platform::guard::SignedIn;
use crate::platform::{AppState, flash};
use crate::routes::respond::{download, failed, json_response};

/// The largest credential file the verification page takes: a VC-JWT is a
/// few kilobytes.
const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

/// The configured public URL (never the request's `Host`).
fn public_base(state: &AppState) -> String {
    state.settings.public_base().to_string()
}

/// An issuer's Open Badges Profile with its public keys, as JSON.
fn profile(issuer: &Issuer, keys: &[super::keys::Jwk]) -> Response {
    json_response(issuer.profile(keys))
}

/// One key of a set as a bare JWK, or 404.
fn one_key(keys: Vec<super::keys::Jwk>, kid: &str) -> Response {
    match keys.into_iter().find(|k| k.kid == kid) {
        Some(k) => json_response(serde_json::to_value(k).unwrap_or_default()),
        None => (StatusCode::NOT_FOUND, "No such key.\n").into_response(),
    }
}

/// The deployment's first issuer's profile (`/issuer`), with the keys that
/// signed credentials before each organisation had its own: public.
pub(crate) async fn issuer_profile(State(state): State<AppState>) -> Response {
    let result = async {
        let issuer = super::service::issuer(&state.db, public_base(&state)).await?;
        let keys = super::keys::public_keys(&state.db, None).await?;
        Ok::<_, AppError>((issuer, keys))
    }
    .await;
    match result {
        Ok((issuer, keys)) => profile(&issuer, &keys),
        Err(e) => failed("issuer profile", &e),
    }
}

/// One of the deployment's first issuer's keys: public.
pub(crate) async fn issuer_key(State(state): State<AppState>, Path(kid): Path<String>) -> Response {
    match super::keys::public_keys(&state.db, None).await {
        Ok(keys) => one_key(keys, &kid),
        Err(e) => failed("issuer key", &e),
    }
}

/// An organisation's issuer profile (`/issuer/{code}`), with its keys:
/// public, as its credentials name it.
pub(crate) async fn organisation_profile(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Response {
    match super::service::organisation_issuer(&state.db, &public_base(&state), &code).await {
        Ok(Some((issuer, keys))) => profile(&issuer, &keys),
        Ok(None) => (StatusCode::NOT_FOUND, "No such issuer.\n").into_response(),
        Err(e) => failed("issuer profile", &e),
    }
}

/// One key of an organisation's issuer: what its credentials' `kid`
/// points at. Public.
pub(crate) async fn organisation_key(
    State(state): State<AppState>,
    Path((code, kid)): Path<(String, String)>,
) -> Response {
    match super::service::organisation_issuer(&state.db, &public_base(&state), &code).await {
        Ok(Some((_, keys))) => one_key(keys, &kid),
        Ok(None) => (StatusCode::NOT_FOUND, "No such issuer.\n").into_response(),
        Err(e) => failed("issuer key", &e),
    }
}

/// The holder's badge as a signed Open Badges 3.0 credential (VC-JWT).
pub(crate) async fn badge_credential(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    SignedIn(user): SignedIn,
) -> Response {
    let Some(me) = user.person_id else {
        return (StatusCode::NOT_FOUND, "That badge was not found.\n").into_response();
    };
    let result =
        async { super::service::signed_credential(&state.db, public_base(&state), me, id).await }
            .await;
    match result {
        Ok(jwt) => download(&format!("skillmap-badge-{id}.jwt"), "application/jwt", jwt),
        Err(e) => failed("badge credential", &e),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct VerifyForm {
    #[serde(default)]
    credential: String,
    #[serde(default)]
    email: String,
}

/// The verification page's form. A POST, so a credential and an email
/// address never land in a URL (proxy and server logs, the browser's
/// history): the credential is checked here and the browser is sent back
/// to the page with the result, sealed so nobody else can make the real
/// page say "Valid". Open to anyone, like the page.
pub(crate) async fn verify_check(
    State(state): State<AppState>,
    axum::Form(form): axum::Form<VerifyForm>,
) -> Response {
    if form.credential.len() > MAX_CREDENTIAL_BYTES {
        return back_to_verify("upload=too-big");
    }
    verified(&state, &form.credential, &form.email).await
}

/// The verification page's file upload (a plain form, no JavaScript): reads
/// the .jwt file and checks it as if its text had been pasted. Open to
/// anyone, like the page.
pub(crate) async fn verify_upload(State(state): State<AppState>, mut form: Multipart) -> Response {
    let mut credential = String::new();
    let mut email = String::new();
    let mut problem = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if bytes.len() > MAX_CREDENTIAL_BYTES => problem = Some("too-big"),
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes).trim().to_string();
                        match name.as_str() {
                            "file" => credential = text,
                            "email" => email = text,
                            _ => {}
                        }
                    }
                    Err(_) => problem = Some("unreadable"),
                }
            }
            Ok(None) => break,
            Err(_) => {
                problem = Some("unreadable");
                break;
            }
        }
    }
    match problem {
        Some(p) => back_to_verify(&format!("upload={p}")),
        None => verified(&state, &credential, &email).await,
    }
}

/// Back to the verification page, at its result.
fn back_to_verify(query: &str) -> Response {
    Redirect::to(&format!("/verify?{query}#result")).into_response()
}

/// Checks a credential and sends the browser back to the page with the
/// sealed result (`platform::flash::seal`).
async fn verified(state: &AppState, credential: &str, email: &str) -> Response {
    let credential = credential.trim();
    if credential.is_empty() {
        return back_to_verify("upload=empty");
    }
    let email = Some(email.trim()).filter(|e| !e.is_empty());
    let result = super::service::verify(&state.db, &public_base(state), credential, email).await;
    match result {
        Ok(verification) => {
            let now = chrono::Utc::now().timestamp();
            let sealed = flash::seal(&state.form_errors, flash::VERIFY_RESULT, &verification, now);
            back_to_verify(&form_encode(&sealed))
        }
        Err(e) => failed("badge verification", &e),
    }
}

/// `name=value` pairs joined with `&`, encoded as an HTML form encodes them
/// (`application/x-www-form-urlencoded`: what `serde_urlencoded` wrote
/// here when this lived in the server).
fn form_encode(pairs: &[(&str, String)]) -> String {
    fn encode(s: &str, out: &mut String) {
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(name, &mut out);
        out.push('=');
        encode(value, &mut out);
    }
    out
}
