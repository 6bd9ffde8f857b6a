//! Badge pages: a person's badges (download, hide; HR revokes) and the
//! public verification page.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{HideBadge, RevokeBadge, person_badges, verify_credential};
use super::model::{Badges, Outcome, Verification};
use crate::auth::api::whoami;
use crate::error::FieldError;
use crate::ui::{ErrorPage, ErrorSummary, Layout, page, url_error};

/// The signed-in person's badges.
#[component]
pub fn MyBadgesPage() -> impl IntoView {
    let errors = StoredValue::new(
        [url_error(HideBadge::PATH)]
            .into_iter()
            .flatten()
            .flat_map(|e| e.field_errors())
            .collect::<Vec<FieldError>>(),
    );
    page!("/badges", person_badges(None), |b| view! {
        <Title text="My badges - Skillmap"/>
        <ErrorSummary errors=errors.get_value()/>
        <h1>"My badges"</h1>
        <p>"When your manager agrees a level of Practitioner or Expert, you get a badge for that skill. Download it as an Open Badges 3.0 credential, signed by your organisation, to keep in a digital wallet or show an employer; anyone can check it at "<a href="/verify">"the verification page"</a>"."</p>
        <BadgeList badges=b/>
    })
}

/// Someone's badges, for their managers and HR (who may revoke).
#[component]
pub fn PersonBadgesPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok());
    let errors = StoredValue::new(
        [url_error(RevokeBadge::PATH)]
            .into_iter()
            .flatten()
            .flat_map(|e| e.field_errors())
            .collect::<Vec<FieldError>>(),
    );
    page!("/people", person_badges(id), |b| view! {
        <Title text=format!("Badges of {} - Skillmap", b.person_name)/>
        <ErrorSummary errors=errors.get_value()/>
        <h1>{format!("Badges of {}", b.person_name)}</h1>
        <BadgeList badges=b/>
    })
}

#[component]
fn BadgeList(badges: Badges) -> impl IntoView {
    if badges.badges.is_empty() {
        let msg = if badges.own {
            "You have no badges yet. They come when your manager agrees a level of Practitioner or above."
        } else {
            "No badges to show."
        };
        return view! { <p data-testid="no-badges">{msg}</p> }.into_any();
    }
    let own = badges.own;
    let can_revoke = badges.can_revoke;
    let items = badges
        .badges
        .into_iter()
        .map(|b| {
            let title = b.title();
            let status = match (&b.revoked, b.hidden) {
                (Some(_), _) => Some(view! { <strong class="nhsuk-tag nhsuk-tag--red">"Revoked"</strong> }.into_any()),
                (None, true) => Some(view! { <strong class="nhsuk-tag nhsuk-tag--grey">"Hidden from others"</strong> }.into_any()),
                _ => None,
            };
            let download = (own && b.revoked.is_none()).then(|| {
                let href = format!("/badges/{}/credential.jwt", b.id);
                let file = format!("skillmap-badge-{}.jwt", b.id);
                let label = format!("Download the credential: {title}");
                view! { <a class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" href=href download=file aria-label=label>"Download the credential"</a> }
            });
            let hide = own.then(|| {
                let (text, value) = if b.hidden { ("Show to others", "false") } else { ("Hide from others", "true") };
                let label = format!("{text}: {title}");
                view! {
                    <form method="post" action=HideBadge::PATH class="skillmap-inline-form">
                        <input type="hidden" name="badge_id" value=b.id.to_string()/>
                        <input type="hidden" name="hidden" value=value/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=label>{text}</button>
                    </form>
                }
            });
            let revoke = (can_revoke && b.revoked.is_none()).then(|| {
                let id = format!("reason-{}", b.id);
                view! {
                    <details class="nhsuk-details">
                        <summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">"Revoke this badge"</span></summary>
                        <div class="nhsuk-details__text">
                            <form method="post" action=RevokeBadge::PATH>
                                <input type="hidden" name="badge_id" value=b.id.to_string()/>
                                <div class="nhsuk-form-group">
                                    <label class="nhsuk-label" for=id.clone()>"Reason (the verification page shows it)"</label>
                                    <input class="nhsuk-input" id=id.clone() name="reason" type="text"/>
                                </div>
                                <button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit">"Revoke"</button>
                            </form>
                        </div>
                    </details>
                }
            });
            view! {
                <li class="skillmap-step" data-testid="badge">
                    <h2 class="nhsuk-heading-s">{title.clone()}" "{status}</h2>
                    <p class="nhsuk-body-s skillmap-muted">{format!("Issued {}{}", b.issued, b.awarded_by.map(|m| format!(", agreed by {m}")).unwrap_or_default())}</p>
                    {b.revoked.clone().map(|r| view! { <p class="nhsuk-body-s">{r}</p> })}
                    <div class="skillmap-step-actions">{download}{hide}</div>
                    {revoke}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="nhsuk-list skillmap-steps">{items}</ul> }.into_any()
}

/// Anyone can check a credential: paste it, optionally with the email
/// address it should belong to.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let q = use_query_map().get_untracked();
    let credential = q.get("credential").unwrap_or_default();
    let email = q.get("email").unwrap_or_default();
    let pasted = StoredValue::new((credential.clone(), email.clone()));
    let user = Resource::new(|| (), |_| whoami());
    let result = Resource::new(
        move || (),
        move |_| {
            let (c, e) = pasted.get_value();
            async move {
                if c.trim().is_empty() {
                    None
                } else {
                    Some(verify_credential(c, Some(e)).await)
                }
            }
        },
    );
    view! {
        <Title text="Check a badge - Skillmap"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                let outcome = match result.await {
                    None => None,
                    Some(Ok(v)) => Some(outcome_view(v)),
                    Some(Err(e)) => Some(view! { <ErrorPage error=e/> }.into_any()),
                };
                let (credential, email) = pasted.get_value();
                view! {
                    <Layout user=user current="/verify">
                        <h1>"Check a badge"</h1>
                        <p>"Paste an Open Badges credential issued by this organisation (the text of the .jwt file) to see whether it is genuine, unchanged and not revoked."</p>
                        {outcome}
                        <form method="get" action="/verify">
                            <div class="nhsuk-form-group">
                                <label class="nhsuk-label" for="credential">"Credential"</label>
                                <textarea class="nhsuk-textarea skillmap-code" id="credential" name="credential" rows="6" spellcheck="false">{credential}</textarea>
                            </div>
                            <div class="nhsuk-form-group">
                                <label class="nhsuk-label" for="email">"Email address of the person who showed it to you (optional)"</label>
                                <div class="nhsuk-hint" id="email-hint">"A badge names its holder only by a hash of their email address: give the address to check it."</div>
                                <input class="nhsuk-input nhsuk-input--width-20" id="email" name="email" type="email" value=email aria-describedby="email-hint"/>
                            </div>
                            <button class="nhsuk-button" type="submit">"Check"</button>
                        </form>
                    </Layout>
                }
            })}
        </Suspense>
    }
}

fn outcome_view(v: Verification) -> AnyView {
    let (tag, label) = match v.outcome {
        Outcome::Valid => ("nhsuk-tag nhsuk-tag--green", "Valid"),
        Outcome::Revoked => ("nhsuk-tag nhsuk-tag--red", "Revoked"),
        Outcome::Invalid => ("nhsuk-tag nhsuk-tag--red", "Not valid"),
    };
    let rows = [
        ("Badge", v.achievement),
        ("Issued by", v.issuer),
        ("Issued on", v.issued),
        ("Holder (hashed email)", v.identity),
        (
            "Email address",
            v.email_matches.map(|m| {
                if m {
                    "Matches the holder".to_string()
                } else {
                    "Does not match the holder".to_string()
                }
            }),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .map(|(k, v)| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{k}</dt>
                <dd class="nhsuk-summary-list__value skillmap-wrap">{v}</dd>
            </div>
        }
    })
    .collect_view();
    view! {
        <div class="nhsuk-card" role="status" data-testid="verification">
            <div class="nhsuk-card__content">
                <h2 class="nhsuk-card__heading"><strong class=tag>{label}</strong></h2>
                <p>{v.message}</p>
                <dl class="nhsuk-summary-list">{rows}</dl>
            </div>
        </div>
    }
    .into_any()
}
