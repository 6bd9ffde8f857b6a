//! The inbox (`/notifications`) and email choices
//! (`/notifications/settings`). Both are plain forms: they work without
//! JavaScript.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{MarkNotices, OpenNotice, SavePreferences, get_inbox, get_preferences};
use super::model::{Inbox, Notice, Preferences};
use crate::auth::api::whoami;
use crate::ui::{ErrorPage, Layout, page};

#[component]
pub fn InboxPage() -> impl IntoView {
    let page_no = use_query_map()
        .get_untracked()
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1);
    page!("/notifications", get_inbox(Some(page_no)), |found| view! {
        <InboxList inbox=found/>
    })
}

#[component]
fn InboxList(inbox: Inbox) -> impl IntoView {
    let page = inbox.page;
    let summary = match (inbox.total, inbox.unread) {
        (0, _) => "You have no notifications yet.".to_string(),
        (_, 0) => "You have read all your notifications.".to_string(),
        (_, 1) => "You have 1 unread notification.".to_string(),
        (_, n) => format!("You have {n} unread notifications."),
    };
    let mark_all = (inbox.unread > 0).then(|| {
        view! {
            <form method="post" action=MarkNotices::PATH>
                <input type="hidden" name="page" value=page.to_string()/>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit" data-testid="mark-all-read">
                    "Mark all as read"
                </button>
            </form>
        }
    });
    let empty = inbox.notices.is_empty().then(|| {
        view! {
            <p data-testid="inbox-empty">"When something needs you, or someone recognises your work, it appears here. You will also get an email, unless you choose otherwise in your "<a href="/notifications/settings">"email settings"</a>"."</p>
        }
    });
    let items = inbox
        .notices
        .into_iter()
        .map(|n| view! { <NoticeItem notice=n page=page/> })
        .collect_view();
    let pages = (inbox.pages > 1).then(|| {
        let prev = (page > 1).then(|| view! {
            <li class="nhsuk-pagination-item--previous">
                <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href=format!("/notifications?page={}", page - 1) rel="prev">
                    <span class="nhsuk-pagination__title">"Previous"</span>
                    <span class="nhsuk-u-visually-hidden">":"</span>
                    <span class="nhsuk-pagination__page">"Newer notifications"</span>
                </a>
            </li>
        });
        let next = (page < inbox.pages).then(|| view! {
            <li class="nhsuk-pagination-item--next">
                <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href=format!("/notifications?page={}", page + 1) rel="next">
                    <span class="nhsuk-pagination__title">"Next"</span>
                    <span class="nhsuk-u-visually-hidden">":"</span>
                    <span class="nhsuk-pagination__page">"Older notifications"</span>
                </a>
            </li>
        });
        view! {
            <nav class="nhsuk-pagination" role="navigation" aria-label="Pages of notifications">
                <p class="nhsuk-body-s">{format!("Page {page} of {}", inbox.pages)}</p>
                <ul class="nhsuk-list nhsuk-pagination__list">{prev}{next}</ul>
            </nav>
        }
    });
    view! {
        <Title text="Notifications - Skillmap"/>
        <h1>"Notifications"</h1>
        <p data-testid="inbox-summary">{summary}</p>
        {mark_all}
        {empty}
        <ul class="nhsuk-list skillmap-inbox" data-testid="inbox">{items}</ul>
        {pages}
        <p><a href="/notifications/settings">"Choose what you get email about"</a></p>
    }
}

#[component]
fn NoticeItem(notice: Notice, page: u64) -> impl IntoView {
    let Notice {
        id,
        title,
        body,
        at,
        unread,
        ..
    } = notice;
    let (toggle_label, toggle_to) = if unread {
        ("Mark as read", "true")
    } else {
        ("Mark as unread", "false")
    };
    view! {
        <li class="nhsuk-card skillmap-notice" class:skillmap-notice--unread=unread data-testid="notice">
            <div class="nhsuk-card__content">
                {unread.then(|| view! {
                    <strong class="nhsuk-tag nhsuk-tag--blue skillmap-notice__tag">"New"</strong>
                })}
                <h2 class="nhsuk-card__heading nhsuk-heading-s">{title.clone()}</h2>
                <p class="nhsuk-card__description">{body}</p>
                <p class="nhsuk-body-s skillmap-muted">{at}</p>
                <div class="skillmap-notice__actions">
                    <form method="post" action=OpenNotice::PATH>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button class="nhsuk-button nhsuk-u-margin-bottom-0" type="submit" data-testid="open-notice">
                            "Open"<span class="nhsuk-u-visually-hidden">{format!(": {title}")}</span>
                        </button>
                    </form>
                    <form method="post" action=MarkNotices::PATH>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="read" value=toggle_to/>
                        <input type="hidden" name="page" value=page.to_string()/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0" type="submit">
                            {toggle_label}<span class="nhsuk-u-visually-hidden">{format!(": {title}")}</span>
                        </button>
                    </form>
                </div>
            </div>
        </li>
    }
}

#[component]
pub fn PreferencesPage() -> impl IntoView {
    let saved = use_query_map().get_untracked().get("saved").is_some();
    page!("/notifications", get_preferences(), |prefs| view! {
        <PreferencesForm prefs=prefs saved=saved/>
    })
}

#[component]
fn PreferencesForm(prefs: Preferences, saved: bool) -> impl IntoView {
    let banner = saved.then(|| {
        view! {
            <div class="nhsuk-inset-text" role="status" data-testid="preferences-saved">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"Your email choices are saved."</p>
            </div>
        }
    });
    let off = (!prefs.email_configured).then(|| {
        view! {
            <div class="nhsuk-warning-callout">
                <h2 class="nhsuk-warning-callout__label">
                    <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Email is not set up"</span>
                </h2>
                <p>"This Skillmap does not send email yet, so notifications appear only in your notifications page. Your choices are kept for when it does."</p>
            </div>
        }
    });
    let choices = prefs
        .choices
        .into_iter()
        .map(|c| {
            let id = format!("email-{}", c.kind.code());
            let hint_id = format!("{id}-hint");
            let hint = c.required.then(|| {
                view! {
                    <div class="nhsuk-hint nhsuk-checkboxes__hint" id=hint_id.clone()>
                        "Your role needs this, so it stays on. You can still get it in your daily summary."
                    </div>
                }
            });
            view! {
                <div class="nhsuk-checkboxes__item">
                    <input
                        class="nhsuk-checkboxes__input"
                        id=id.clone()
                        name=c.kind.code()
                        type="checkbox"
                        value="on"
                        checked=c.email
                        disabled=c.required
                        aria-describedby=c.required.then_some(hint_id)
                    />
                    <label class="nhsuk-label nhsuk-checkboxes__label" for=id>{c.label}</label>
                    {hint}
                </div>
            }
        })
        .collect_view();
    view! {
        <Title text="Email settings - Skillmap"/>
        <a class="nhsuk-back-link" href="/notifications">"Back to notifications"</a>
        <h1>"Choose what you get email about"</h1>
        {banner}
        {off}
        <p>{format!("Email goes to {}. Everything also appears in your notifications page, whatever you choose here.", prefs.email)}</p>
        <form method="post" action=SavePreferences::PATH data-testid="preferences-form">
            <div class="nhsuk-form-group">
                <fieldset class="nhsuk-fieldset" aria-describedby="kinds-hint">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
                        <h2 class="nhsuk-fieldset__heading">"Email me when"</h2>
                    </legend>
                    <div class="nhsuk-hint" id="kinds-hint">"Select all that apply."</div>
                    <div class="nhsuk-checkboxes">{choices}</div>
                </fieldset>
            </div>
            <div class="nhsuk-form-group">
                <fieldset class="nhsuk-fieldset">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
                        <h2 class="nhsuk-fieldset__heading">"How often"</h2>
                    </legend>
                    <div class="nhsuk-radios">
                        <div class="nhsuk-radios__item">
                            <input class="nhsuk-radios__input" id="digest-no" name="daily_digest" type="radio" value="false" checked=!prefs.daily_digest/>
                            <label class="nhsuk-label nhsuk-radios__label" for="digest-no">"One email for each notification, as it happens"</label>
                        </div>
                        <div class="nhsuk-radios__item">
                            <input class="nhsuk-radios__input" id="digest-yes" name="daily_digest" type="radio" value="true" checked=prefs.daily_digest/>
                            <label class="nhsuk-label nhsuk-radios__label" for="digest-yes">"One summary email a day"</label>
                        </div>
                    </div>
                </fieldset>
            </div>
            <button class="nhsuk-button" type="submit">"Save email settings"</button>
        </form>
    }
}
