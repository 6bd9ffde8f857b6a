use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::menu::{PrimaryNav, nav_for};
use crate::auth::api::Logout;
use crate::auth::model::CurrentUser;
use crate::error::AppError;

const NHS_LOGO_PATH: &str = "M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z";

/// The signed-in person's unread notices, as the session layer counted
/// them for this page (pages render on the server only).
fn unread() -> Option<u64> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<crate::notifications::model::Unread>()
            .map(|u| u.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The page frame: skip link, NHS.UK header with the role's navigation and
/// the account menu, main content, footer.
#[component]
pub fn Layout(
    user: Option<CurrentUser>,
    #[prop(into)] current: String,
    children: Children,
) -> impl IntoView {
    let nav = user.as_ref().map(nav_for).unwrap_or_default();
    let unread = unread();
    let account = user.map(|u| {
        let role = u.role.label();
        let count = unread.filter(|n| *n > 0).map(|n| {
            view! {
                " "<span class="skillmap-count" data-testid="unread-count">{n.to_string()}</span>
                <span class="nhsuk-u-visually-hidden">" unread"</span>
            }
        });
        view! {
            <nav class="nhsuk-header__account" aria-label="Account">
                <ul class="nhsuk-header__account-list">
                    <li class="nhsuk-header__account-item" data-testid="signed-in-as">
                        {u.display_name}
                        <span class="skillmap-role">{format!(" ({role})")}</span>
                    </li>
                    <li class="nhsuk-header__account-item">
                        <a class="nhsuk-header__account-link" href="/notifications" data-testid="notifications-link">
                            "Notifications"{count}
                        </a>
                    </li>
                    <li class="nhsuk-header__account-item">
                        <a class="nhsuk-header__account-link" href="/my-data">"Your data"</a>
                    </li>
                    <li class="nhsuk-header__account-item">
                        <form class="nhsuk-header__account-form" method="post" action=Logout::PATH>
                            <button class="nhsuk-header__account-button" type="submit">"Sign out"</button>
                        </form>
                    </li>
                </ul>
            </nav>
        }
    });
    view! {
        <a class="nhsuk-skip-link" href="#maincontent">"Skip to main content"</a>
        <header class="nhsuk-header" role="banner">
            <div class="nhsuk-header__container nhsuk-width-container">
                <div class="nhsuk-header__service">
                    <a class="nhsuk-header__service-logo" href="/" aria-label="NHS Skillmap homepage">
                        <svg
                            class="nhsuk-header__logo"
                            xmlns="http://www.w3.org/2000/svg"
                            viewBox="0 0 200 80"
                            height="40"
                            width="100"
                            focusable="false"
                            role="img"
                            aria-label="NHS"
                        >
                            <title>"NHS"</title>
                            <path fill="currentcolor" d=NHS_LOGO_PATH></path>
                        </svg>
                        <span class="nhsuk-header__service-name">"Skillmap"</span>
                    </a>
                </div>
                {account}
            </div>
            {(!nav.is_empty()).then(|| view! { <PrimaryNav links=nav current=current/> })}
        </header>
        <div class="nhsuk-width-container">
            <main class="nhsuk-main-wrapper" id="maincontent" role="main">
                {children()}
            </main>
        </div>
        <footer role="contentinfo">
            <div class="nhsuk-footer">
                <div class="nhsuk-width-container">
                    <h2 class="nhsuk-u-visually-hidden">"Support links"</h2>
                    <div class="nhsuk-footer__list">
                        <p class="nhsuk-footer__list-item nhsuk-footer-default__list-item">
                            "Skillmap: digital, data and integrative leadership capability for health and care staff."
                        </p>
                    </div>
                    <p class="nhsuk-footer__copyright">"Open source (MIT licence)"</p>
                </div>
            </div>
        </footer>
    }
    .into_any()
}

/// A whole-page message for an error that stops the page from showing.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    // The page answers with the error's status (a skill, say, that the
    // page itself finds missing answers 404, as a missing id does).
    #[cfg(feature = "ssr")]
    crate::platform::guard::set_error_status(&error);
    let (title, body) = match &error {
        AppError::Unauthorized => (
            "You need to sign in".to_string(),
            view! { <p><a href="/login">"Sign in"</a>" to continue."</p> }.into_any(),
        ),
        AppError::Forbidden => (
            "You do not have permission to see this page".to_string(),
            view! {
                <p>"If you think you should, ask your manager or your Skillmap administrator."</p>
                <p><a href="/">"Go to your home page"</a></p>
            }
            .into_any(),
        ),
        AppError::NotFound(what) => (
            "Page not found".to_string(),
            view! {
                <p>{format!("{what} was not found. If you typed the web address, check it is correct.")}</p>
                <p><a href="/">"Go to your home page"</a></p>
            }
            .into_any(),
        ),
        other => (
            "Sorry, there is a problem with the service".to_string(),
            view! { <p>{other.to_string()}</p> }.into_any(),
        ),
    };
    view! {
        <h1>{title}</h1>
        {body}
    }
}

/// One row of a summary list: a key and its value.
#[component]
pub fn Row(#[prop(into)] key: String, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <div class="nhsuk-summary-list__row">
            <dt class="nhsuk-summary-list__key">{key}</dt>
            <dd class="nhsuk-summary-list__value">{value}</dd>
        </div>
    }
}
