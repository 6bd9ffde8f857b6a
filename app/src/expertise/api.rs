//! Server functions for the expertise directory: anyone signed in
//! searches it; each person sets their own interests and listing, and
//! nobody else's.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::model::{FindResults, Interests};
use crate::error::AppError;

/// Searches the directory: anyone signed in. `skills` is a comma-separated
/// list of skill codes; `level` 1 to 4 (Practitioner when empty); `unit` a
/// part of the organisation (with the units below it); `help` "on" for
/// people who would help others; `page` from 1. Only people who chose to
/// be listed are ever found.
#[server(endpoint = "expertise/find")]
pub async fn find_expertise(
    skills: Option<String>,
    level: Option<String>,
    unit: Option<String>,
    help: Option<String>,
    page: Option<String>,
) -> Result<FindResults, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let pairs = [
        ("skill", skills.unwrap_or_default()),
        ("level", level.unwrap_or_default()),
        ("unit", unit.unwrap_or_default()),
        ("help", help.unwrap_or_default()),
        ("page", page.unwrap_or_default()),
    ];
    let (query, errors) =
        super::model::FindQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    if !errors.is_empty() {
        return platform::reply(Err(AppError::Validation(errors)));
    }
    let db = platform::db()?;
    platform::reply(super::service::find(&db, &user, query).await)
}

#[cfg(feature = "ssr")]
fn no_person() -> AppError {
    AppError::NotFound(
        "Your account is not linked to a person in the organisation, so it has no skills profile"
            .into(),
    )
}

/// The signed-in person's interests and directory listing.
#[server(endpoint = "expertise/interests")]
pub async fn get_interests() -> Result<Interests, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let db = platform::db()?;
    platform::reply(super::service::interests(&db, me).await)
}

/// Replaces the signed-in person's interests: the form's checkboxes are
/// `develop[CODE]` and `help[CODE]` (help only where their level is agreed
/// at Practitioner or above). A plain form post goes back to the page.
#[server(endpoint = "expertise/save_interests")]
pub async fn save_interests(
    develop: Option<BTreeMap<String, String>>,
    help: Option<BTreeMap<String, String>>,
) -> Result<(), AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let ticked = |m: Option<BTreeMap<String, String>>| -> Vec<String> {
        m.unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_empty() && v != "false")
            .map(|(k, _)| k)
            .collect()
    };
    let db = platform::db()?;
    platform::reply(
        super::service::save_interests(&db, me, &ticked(develop), &ticked(help)).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/skills/interests?saved=interests");
    }
    Ok(())
}

/// Lists the signed-in person in the directory (`listed` "yes"), changes
/// how (`show_self_assessed` "on", `contact`), or takes them out (`listed`
/// "no"). A plain form post goes back to the page.
#[server(endpoint = "expertise/save_listing")]
pub async fn save_listing(
    listed: Option<String>,
    show_self_assessed: Option<String>,
    contact: Option<String>,
) -> Result<(), AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let listed = match listed.as_deref().map(str::trim) {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return platform::reply(Err(AppError::Validation(vec![
                crate::error::FieldError::new(
                    "listed",
                    "Choose whether colleagues can find you in the directory",
                ),
            ])));
        }
    };
    let listing = super::model::Listing {
        listed,
        show_self_assessed: listed && show_self_assessed.is_some_and(|v| v == "on"),
        contact: if listed {
            contact.unwrap_or_default()
        } else {
            String::new()
        },
    };
    let db = platform::db()?;
    platform::reply(super::service::save_listing(&db, me, &listing).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/skills/interests?saved=listing");
    }
    Ok(())
}
