use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{Login, SetAccountDisabled, list_accounts, whoami};
use super::model::AccountRow;
use crate::error::AppError;
use crate::ui::{
    ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, TextField, page, url_error,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let next = query.get("next").unwrap_or_default();
    let signed_out = query.get_str("signed_out").is_some();
    let password_set = query.get_str("password_set").is_some();
    let error = url_error(Login::PATH);
    let errors = error
        .as_ref()
        .map(AppError::field_errors)
        .unwrap_or_default();
    // Unknown email and wrong password read the same; point at the email.
    let email_error = error.as_ref().and_then(|e| match e {
        AppError::LoginFailed => Some(e.to_string()),
        other => other.message_for("email"),
    });
    let password_error = error.as_ref().and_then(|e| e.message_for("password"));
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
                    <p>"Use the email address and password your Skillmap administrator gave you."</p>
                    <form method="post" action=Login::PATH novalidate>
                        <input type="hidden" name="next" value=next/>
                        <TextField
                            label="Email address"
                            name="email"
                            input_type="email"
                            autocomplete="username"
                            error=email_error
                        />
                        <PasswordInput error=password_error/>
                        <button class="nhsuk-button" type="submit" data-module="nhsuk-button">"Sign in"</button>
                    </form>
                </div>
            </div>
        </Layout>
    }
}

/// A password field with a "Show" button (NHS.UK password input pattern).
/// The button only works once the page is interactive; without JavaScript
/// the field is an ordinary password field.
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
    let q = StoredValue::new(use_query_map().get_untracked().get("q").unwrap_or_default());
    let action_error = StoredValue::new(url_error(SetAccountDisabled::PATH));
    page!(
        "/admin/accounts",
        list_accounts(Some(q.get_value())),
        |rows| view! {
            <Title text="Accounts - Skillmap"/>
            <ErrorSummary errors=action_error.get_value().map(|e| e.field_errors()).unwrap_or_default()/>
            <h1>"Accounts"</h1>
            <p>"Disable an account to sign its owner out everywhere at once and stop them signing in. Create accounts with "<code>"skillmap create-user"</code>"."</p>
            <form method="get" action="/admin/accounts" class="skillmap-search" role="search">
                <TextField label="Search by name or email" name="q" value=q.get_value() width_class="nhsuk-input--width-20"/>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
            </form>
            <AccountsTable rows=rows query=q.get_value()/>
        }
    )
}

#[component]
fn AccountsTable(rows: Vec<AccountRow>, query: String) -> impl IntoView {
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
            view! {
                <tr class="nhsuk-table__row">
                    <td class="nhsuk-table__cell">{row.email.clone()}</td>
                    <td class="nhsuk-table__cell">{row.name.unwrap_or_else(|| "-".into())}</td>
                    <td class="nhsuk-table__cell">{row.role.label()}</td>
                    <td class="nhsuk-table__cell">{status}</td>
                    <td class="nhsuk-table__cell">{match (row.last_login, row.has_password) {
                        (Some(when), _) => when,
                        (None, true) => "Never".into(),
                        (None, false) => "Never (no password yet: send a set-password link)".into(),
                    }}</td>
                    <td class="nhsuk-table__cell">
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
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption=format!("{count} account{}", if count == 1 { "" } else { "s" }) headers=vec!["Email", "Name", "Role", "Status", "Last signed in", "Action"]>{body}</Table>
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
