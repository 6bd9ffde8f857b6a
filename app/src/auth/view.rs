use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{Login, SetAccountDisabled, list_accounts, sign_in_choices, whoami};
use super::model::{
    AccountRow, SSO_ERROR_PATH, SignInOptions, encode_next, provider_name, sso_start_path,
};
use crate::error::AppError;
use crate::ui::{
    Cell, ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, TextField, page, url_error,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let next = query.get("next").unwrap_or_default();
    let signed_out = query.get_str("signed_out").is_some();
    let password_set = query.get_str("password_set").is_some();
    let error = url_error(Login::PATH);
    let sso_error = url_error(SSO_ERROR_PATH);
    let mut errors = error
        .as_ref()
        .map(AppError::field_errors)
        .unwrap_or_default();
    errors.extend(
        sso_error
            .as_ref()
            .map(AppError::field_errors)
            .unwrap_or_default(),
    );
    let tried_password = error.is_some();
    // Unknown email and wrong password read the same; point at the email.
    let email_error = error.as_ref().and_then(|e| match e {
        AppError::LoginFailed => Some(e.to_string()),
        other => other.message_for("email"),
    });
    let password_error = error.as_ref().and_then(|e| e.message_for("password"));
    let choices = Resource::new(|| (), |_| sign_in_choices());
    view! {
        <Title text="Sign in - Skillmap"/>
        <Layout user=None current="/login">
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary errors=errors/>
                    {signed_out.then(|| view! {
                        <div class="nhsuk-inset-text" role="status">
                            <span class="nhsuk-u-visually-hidden">"Information: "</span>
                            <p>"You have signed out."</p>
                        </div>
                    })}
                    {password_set.then(|| view! {
                        <div class="nhsuk-inset-text" role="status">
                            <span class="nhsuk-u-visually-hidden">"Information: "</span>
                            <p>"Your password is set. Sign in with it now."</p>
                        </div>
                    })}
                    <h1>"Sign in to Skillmap"</h1>
                    <Suspense fallback=|| view! { <p>"Loading..."</p> }>
                        {move || {
                            let next = next.clone();
                            let email_error = email_error.clone();
                            let password_error = password_error.clone();
                            Suspend::new(async move {
                                let choices = choices.await.unwrap_or_default();
                                view! {
                                    <SignInChoices
                                        choices=choices
                                        next=next
                                        tried_password=tried_password
                                        email_error=email_error
                                        password_error=password_error
                                    />
                                }
                            })
                        }}
                    </Suspense>
                </div>
            </div>
        </Layout>
    }
}

/// The providers' buttons (links: signing in at a provider is all
/// redirects), then the password form: for everyone, or folded away for
/// break-glass administrators when password sign-in is off.
#[component]
fn SignInChoices(
    choices: SignInOptions,
    next: String,
    tried_password: bool,
    email_error: Option<String>,
    password_error: Option<String>,
) -> impl IntoView {
    let has_providers = !choices.providers.is_empty();
    let buttons = choices
        .providers
        .iter()
        .map(|p| {
            let mut href = sso_start_path(&p.id);
            if !next.is_empty() {
                href.push_str("?next=");
                href.push_str(&encode_next(&next));
            }
            view! {
                <li><a class="nhsuk-button skillmap-sso-button" href=href draggable="false">{p.label.clone()}</a></li>
            }
        })
        .collect_view();
    let form = move || {
        view! {
            <form method="post" action=Login::PATH novalidate>
                <input type="hidden" name="next" value=next.clone()/>
                <TextField
                    label="Email address"
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    error=email_error.clone()
                />
                <PasswordInput error=password_error.clone()/>
                <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Sign in"</button>
            </form>
        }
    };
    if !has_providers {
        return view! {
            <p>"Use the email address and password your Skillmap administrator gave you."</p>
            {form()}
        }
        .into_any();
    }
    let password_part = if choices.password_for_everyone {
        view! {
            <h2 class="nhsuk-heading-m">"Or sign in with a Skillmap password"</h2>
            <p>"If your Skillmap administrator gave you a password, use it with your email address."</p>
            {form()}
        }
        .into_any()
    } else {
        view! {
            <details class="nhsuk-details" open=tried_password>
                <summary class="nhsuk-details__summary">
                    <span class="nhsuk-details__summary-text">"Break-glass administrator sign-in"</span>
                </summary>
                <div class="nhsuk-details__text">
                    <p>"Password sign-in is only for the administrators named for when single sign-on is unavailable."</p>
                    {form()}
                </div>
            </details>
        }
        .into_any()
    };
    view! {
        <p>"Sign in with the account you already use at work."</p>
        <ul class="nhsuk-list skillmap-sso-list">{buttons}</ul>
        {password_part}
    }
    .into_any()
}

/// A password field with a "Show" button (NHS.UK password input pattern).
/// The button only works once the page is interactive; without JavaScript
/// the field is an ordinary password field. The wasm for it is fetched
/// when the field is first used (`data-hydrate="on-focus"`, see
/// `ui::assets`), not on every visit to the sign-in page.
#[island]
fn PasswordInput(error: Option<String>) -> impl IntoView {
    let shown = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let has_error = error.is_some();
    view! {
        <div
            class="nhsuk-form-group nhsuk-password-input"
            class:nhsuk-form-group--error=has_error
            data-hydrate="on-focus"
            data-hydrated=move || if hydrated.get() { "true" } else { "false" }
        >
            <label class="nhsuk-label" for="password">"Password"</label>
            <FieldErrorMessage id="password".to_string() message=error/>
            <div class="nhsuk-input-wrapper nhsuk-password-input__wrapper">
                <input
                    class="nhsuk-input nhsuk-password-input__input"
                    class:nhsuk-input--error=has_error
                    id="password"
                    name="password"
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete="current-password"
                    spellcheck="false"
                    autocapitalize="none"
                    aria-describedby=has_error.then_some("password-error")
                />
                <button
                    class="nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-password-input__toggle skillmap-password-toggle"
                    type="button"
                    aria-controls="password"
                    aria-label=move || if shown.get() { "Hide password" } else { "Show password" }
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <div class="nhsuk-u-visually-hidden" aria-live="polite">
                {move || if shown.get() { "Your password is visible" } else { "" }}
            </div>
        </div>
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    use super::api::{RemoveSsoLink, SetBreakGlass, SetPasswordSignIn};
    let q = StoredValue::new(use_query_map().get_untracked().get("q").unwrap_or_default());
    let action_error = StoredValue::new(
        [
            SetAccountDisabled::PATH,
            SetPasswordSignIn::PATH,
            SetBreakGlass::PATH,
            RemoveSsoLink::PATH,
        ]
        .into_iter()
        .find_map(url_error),
    );
    page!(
        "/admin/accounts",
        async move {
            let rows = list_accounts(Some(q.get_value())).await?;
            let choices = sign_in_choices().await?;
            Ok::<_, AppError>((rows, choices))
        },
        |data| {
            let (rows, choices) = data;
            view! {
                <Title text="Accounts - Skillmap"/>
                <ErrorSummary errors=action_error.get_value().map(|e| e.field_errors()).unwrap_or_default()/>
                <h1>"Accounts"</h1>
                <p>"Disable an account to sign its owner out everywhere at once and stop them signing in. Create accounts with "<code>"skillmap create-user"</code>"."</p>
                <SignInPolicy choices=choices/>
                <h2 class="nhsuk-heading-m">"All accounts"</h2>
                <form method="get" action="/admin/accounts" class="skillmap-search" role="search">
                    <TextField label="Search by name or email" name="q" value=q.get_value() width_class="nhsuk-input--width-20"/>
                    <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
                </form>
                <AccountsTable rows=rows query=q.get_value()/>
            }
        }
    )
}

/// How people sign in: the providers configured, and the switch that
/// keeps passwords for break-glass administrators only.
#[component]
fn SignInPolicy(choices: SignInOptions) -> impl IntoView {
    use super::api::SetPasswordSignIn;
    if choices.providers.is_empty() {
        return view! {
            <h2 class="nhsuk-heading-m">"How people sign in"</h2>
            <p>"Everyone signs in with a Skillmap password. To let staff sign in with the accounts they already have (NHS CIS2, NHSmail or your trust's Entra ID), configure single sign-on for your organisation ("<code>"SKILLMAP_OIDC_PROVIDERS"</code>", and a provider's "<code>"_ORGANISATIONS"</code>" where it serves only some organisations; see the README)."</p>
        }
        .into_any();
    }
    let names = choices
        .providers
        .iter()
        .map(|p| view! { <li>{provider_name(&p.label).to_string()}</li> })
        .collect_view();
    let (state, button, next) = if choices.password_for_everyone {
        (
            "Password sign-in is open to everyone who has a password.",
            "Keep passwords for break-glass administrators only",
            "false",
        )
    } else {
        (
            "Password sign-in is off, except for break-glass administrators.",
            "Open password sign-in to everyone",
            "true",
        )
    };
    view! {
        <h2 class="nhsuk-heading-m">"How people sign in"</h2>
        <p>"Single sign-on with:"</p>
        <ul class="nhsuk-list nhsuk-list--bullet">{names}</ul>
        <p role="status">{state}</p>
        <form method="post" action=SetPasswordSignIn::PATH>
            <input type="hidden" name="everyone" value=next/>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">{button}</button>
        </form>
    }
    .into_any()
}

#[component]
fn AccountsTable(rows: Vec<AccountRow>, query: String) -> impl IntoView {
    use super::api::{RemoveSsoLink, SetBreakGlass};
    use super::model::Role;
    if rows.is_empty() {
        let message = if query.trim().is_empty() {
            "There are no accounts yet.".to_string()
        } else {
            format!("No accounts match \u{201c}{query}\u{201d}.")
        };
        return view! { <p role="status">{message}</p> }.into_any();
    }
    let count = rows.len();
    let body = rows
        .into_iter()
        .map(|row| {
            let (button, next) = if row.disabled {
                ("Enable", "false")
            } else {
                ("Disable", "true")
            };
            let label = format!("{button} the account for {}", row.email);
            let status = if row.disabled {
                view! { <strong class="nhsuk-tag nhsuk-tag--grey">"Disabled"</strong> }.into_any()
            } else {
                view! { <strong class="nhsuk-tag nhsuk-tag--green">"Active"</strong> }.into_any()
            };
            let email = row.email.clone();
            let links = row
                .sso_links
                .iter()
                .map(|l| {
                    let name = provider_name(&l.provider_label).to_string();
                    let remove = format!("Remove link to {name} for {email}");
                    let since = format!("linked {}", l.linked);
                    view! {
                        <li>
                            {name.clone()}" ("{since}") "
                            <form method="post" action=RemoveSsoLink::PATH class="skillmap-inline-form">
                                <input type="hidden" name="link_id" value=l.id/>
                                <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=remove>"Remove link"</button>
                            </form>
                        </li>
                    }
                })
                .collect_view();
            let password = row.has_password.then(|| {
                view! {
                    <li>
                        "Password"
                        {row.break_glass.then(|| view! { " "<strong class="nhsuk-tag nhsuk-tag--orange">"Break-glass"</strong> })}
                    </li>
                }
            });
            let break_glass = (row.role == Role::Admin).then(|| {
                let (words, on) = if row.break_glass {
                    ("Stop break-glass", "false")
                } else {
                    ("Make break-glass", "true")
                };
                let aria = format!("{words} for {}", row.email);
                view! {
                    <form method="post" action=SetBreakGlass::PATH class="skillmap-inline-form">
                        <input type="hidden" name="account_id" value=row.id/>
                        <input type="hidden" name="on" value=on/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=aria>{words}</button>
                    </form>
                }
            });
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Email">{row.email.clone()}</Cell>
                    <Cell head="Name">{row.name.unwrap_or_else(|| "-".into())}</Cell>
                    <Cell head="Role">{row.role.label()}</Cell>
                    <Cell head="Status">{status}</Cell>
                    <Cell head="Signs in with"><ul class="nhsuk-list skillmap-compact-list">{password}{links}</ul></Cell>
                    <Cell head="Last signed in">{match (row.last_login, row.has_password || !row.sso_links.is_empty()) {
                        (Some(when), _) => when,
                        (None, true) => "Never".into(),
                        (None, false) => "Never (no password or sign-on link yet)".into(),
                    }}</Cell>
                    <Cell head="Action">
                        <form method="post" action=SetAccountDisabled::PATH class="skillmap-inline-form">
                            <input type="hidden" name="account_id" value=row.id/>
                            <input type="hidden" name="disabled" value=next/>
                            <button
                                class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button"
                                type="submit"
                                aria-label=label
                            >
                                {button}
                            </button>
                        </form>
                        {break_glass}
                    </Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption=format!("{count} account{}", if count == 1 { "" } else { "s" }) headers=vec!["Email", "Name", "Role", "Status", "Signs in with", "Last signed in", "Action"]>{body}</Table>
    }
    .into_any()
}

/// Choose a password from a set-password link.
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    use super::api::SetPassword;
    let query = use_query_map().get_untracked();
    let token = query.get("token").unwrap_or_default();
    let error = url_error(SetPassword::PATH);
    let errors = error
        .as_ref()
        .map(AppError::field_errors)
        .unwrap_or_default();
    let password_error = error.as_ref().and_then(|e| e.message_for("password"));
    let confirm_error = error.as_ref().and_then(|e| e.message_for("confirm"));
    view! {
        <Title text="Choose your password - Skillmap"/>
        <Layout user=None current="/login">
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary errors=errors/>
                    <h1>"Choose your password"</h1>
                    <p>{format!("Use at least {} characters. A few unrelated words make a strong password that is easy to remember.", super::model::MIN_PASSWORD_LEN)}</p>
                    <form method="post" action=SetPassword::PATH novalidate>
                        <input type="hidden" name="token" value=token/>
                        <TextField label="New password" name="password" input_type="password" autocomplete="new-password" error=password_error/>
                        <TextField label="Type it again" name="confirm" input_type="password" autocomplete="new-password" error=confirm_error/>
                        <button class="nhsuk-button" type="submit">"Set password"</button>
                    </form>
                </div>
            </div>
        </Layout>
    }
}
