use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_router::hooks::use_query_map;

use crate::error::{AppError, FieldError};

/// The error a plain (no-JavaScript) form post to the server function at
/// `path` came back with: Leptos redirects to the form with it encoded in
/// the `__err` query parameter. Shown only if this server signed it
/// (`platform::flash`): a link someone else wrote shows nothing.
pub fn url_error(path: &str) -> Option<AppError> {
    let query = use_query_map().get_untracked();
    match (query.get_str("__path"), query.get_str("__err")) {
        (Some(p), Some(e)) if p == path && signed_here(p, e, &query) => {
            Some(ServerFnUrlError::<AppError>::decode_err(e))
        }
        _ => None,
    }
}

#[cfg(feature = "ssr")]
fn signed_here(path: &str, err: &str, query: &leptos_router::params::ParamsMap) -> bool {
    let Some(state) = use_context::<crate::platform::AppState>() else {
        return false;
    };
    let (Some(expires), Some(sig)) = (query.get_str("__exp"), query.get_str("__sig")) else {
        return false;
    };
    let now = chrono::Utc::now().timestamp();
    state.form_errors.verify(path, err, expires, sig, now)
}

/// Forms render on the server, where the key is; the browser never shows
/// an error from the URL.
#[cfg(not(feature = "ssr"))]
fn signed_here(_: &str, _: &str, _: &leptos_router::params::ParamsMap) -> bool {
    false
}

/// A form group's classes: with the error style when it has an error.
pub fn group_class(error: &Option<String>) -> &'static str {
    if error.is_some() {
        "nhsuk-form-group nhsuk-form-group--error"
    } else {
        "nhsuk-form-group"
    }
}

/// "There is a problem" box listing each error, linking to its field.
#[component]
pub fn ErrorSummary(errors: Vec<FieldError>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        let items = errors
            .into_iter()
            .map(|e| {
                if e.field.is_empty() {
                    view! { <li>{e.message}</li> }.into_any()
                } else {
                    let href = format!("#{}", e.field);
                    view! { <li><a href=href>{e.message}</a></li> }.into_any()
                }
            })
            .collect_view();
        view! {
            <div
                class="nhsuk-error-summary"
                aria-labelledby="error-summary-title"
                role="alert"
                tabindex="-1"
            >
                <h2 class="nhsuk-error-summary__title" id="error-summary-title">"There is a problem"</h2>
                <div class="nhsuk-error-summary__body">
                    <ul class="nhsuk-list nhsuk-error-summary__list">{items}</ul>
                </div>
            </div>
        }
    })
}

#[component]
pub fn FieldErrorMessage(id: String, message: Option<String>) -> impl IntoView {
    message.map(|m| {
        view! {
            <span class="nhsuk-error-message" id=format!("{id}-error")>
                <span class="nhsuk-u-visually-hidden">"Error: "</span>
                {m}
            </span>
        }
    })
}

/// A labelled text input with its hint and error message.
#[component]
pub fn TextField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into, default = "text".into())] input_type: String,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
    #[prop(default = None)] error: Option<String>,
    #[prop(optional, into)] width_class: Option<String>,
) -> impl IntoView {
    let has_error = error.is_some();
    let hint_id = hint.as_ref().map(|_| format!("{name}-hint"));
    let described_by = [hint_id.clone(), has_error.then(|| format!("{name}-error"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let group_class = if has_error {
        "nhsuk-form-group nhsuk-form-group--error"
    } else {
        "nhsuk-form-group"
    };
    let input_class = format!(
        "nhsuk-input{}{}",
        width_class.map(|c| format!(" {c}")).unwrap_or_default(),
        if has_error { " nhsuk-input--error" } else { "" }
    );
    view! {
        <div class=group_class>
            <label class="nhsuk-label" for=name.clone()>{label}</label>
            {hint.map(|h| view! { <div class="nhsuk-hint" id=hint_id.clone()>{h}</div> })}
            <FieldErrorMessage id=name.clone() message=error/>
            <input
                class=input_class
                id=name.clone()
                name=name
                type=input_type
                value=value
                autocomplete=autocomplete
                aria-describedby=(!described_by.is_empty()).then_some(described_by)
                spellcheck="false"
            />
        </div>
    }
}

/// A labelled select with a first "none chosen" option and its error.
#[component]
pub fn SelectField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    /// (value, label) pairs.
    options: Vec<(String, String)>,
    /// The value chosen now ("" for none).
    #[prop(into)]
    selected: String,
    /// The label of the "none chosen" option.
    #[prop(into)]
    none: String,
    #[prop(default = None)] error: Option<String>,
) -> impl IntoView {
    let group_class = if error.is_some() {
        "nhsuk-form-group nhsuk-form-group--error"
    } else {
        "nhsuk-form-group"
    };
    let described_by = error.as_ref().map(|_| format!("{name}-error"));
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let chosen = value == selected;
            view! { <option value=value selected=chosen>{text}</option> }
        })
        .collect_view();
    view! {
        <div class=group_class>
            <label class="nhsuk-label" for=name.clone()>{label}</label>
            <FieldErrorMessage id=name.clone() message=error/>
            <select class="nhsuk-select" id=name.clone() name=name aria-describedby=described_by>
                <option value="">{none}</option>
                {options}
            </select>
        </div>
    }
}

/// An NHS.UK responsive table: caption (visible, or for screen readers
/// only), column headers, and the body rows as children. On narrow screens
/// (up to 48em, as NHS.UK sets it) each row becomes a card, and each cell
/// (`Cell`) shows its column's heading beside its value, so the page never
/// scrolls sideways on a phone (WCAG 2.2 1.4.10 Reflow). The ARIA roles keep
/// the table a table for screen readers when the cells are no longer laid
/// out as one. Rows are `<tr role="row" class="nhsuk-table__row">`.
#[component]
pub fn Table(
    #[prop(into)] caption: String,
    #[prop(optional)] hide_caption: bool,
    headers: Vec<&'static str>,
    children: Children,
) -> impl IntoView {
    let caption_class = if hide_caption {
        "nhsuk-table__caption nhsuk-u-visually-hidden"
    } else {
        "nhsuk-table__caption"
    };
    let headers = headers
        .into_iter()
        .map(|h| view! { <th role="columnheader" scope="col" class="nhsuk-table__header">{h}</th> })
        .collect_view();
    view! {
        <table role="table" class="nhsuk-table nhsuk-table--responsive">
            <caption class=caption_class>{caption}</caption>
            <thead role="rowgroup" class="nhsuk-table__head">
                <tr role="row" class="nhsuk-table__row">{headers}</tr>
            </thead>
            <tbody class="nhsuk-table__body">{children()}</tbody>
        </table>
    }
}

/// A cell of a responsive table (`Table`): `head` is its column's heading,
/// shown before the value on narrow screens and hidden from screen readers
/// (which announce the table's own header). Other attributes go on the
/// `<td>` with `attr:`, e.g. `<Cell head="Skill" attr:data-testid="x">`.
#[component]
pub fn Cell(#[prop(into)] head: String, children: Children) -> impl IntoView {
    view! {
        <td role="cell" class="nhsuk-table__cell">
            <CellHeading head=head/>
            {children()}
        </td>
    }
}

/// The heading span of a responsive cell, for a `<td>` written out by hand
/// (one with its own classes): `<td role="cell" class="nhsuk-table__cell
/// x"><CellHeading head="Skill"/>...</td>`.
#[component]
pub fn CellHeading(#[prop(into)] head: String) -> impl IntoView {
    view! { <span class="nhsuk-table-responsive__heading" aria-hidden="true">{head}" "</span> }
}
