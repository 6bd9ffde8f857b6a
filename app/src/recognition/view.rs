//! Recognition pages: a person's badges, endorsements and awards (download,
//! hide; HR revokes), recognising a colleague, a team's recent recognition,
//! recognition by unit for HR, award kinds for administrators, and the
//! public verification page.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    Give, HideBadge, HideItem, RevokeBadge, SaveAwardKind, award_kinds, find_colleagues,
    get_recognition_report, get_team_recognition, gift_form, person_badges,
};
use super::model::{
    AwardKind, Badges, Colleague, Gift, MESSAGE_MAX, Outcome, Received, RecognitionReport,
    TEAM_DAYS, TeamRecognition, Verification,
};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::FieldError;
use crate::team::model::Choice;
use crate::team::view::TeamChoice;
use crate::ui::{
    Cell, CellHeading, ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, group_class,
    page, url_error,
};

fn query(key: &str) -> Option<String> {
    use_query_map()
        .get_untracked()
        .get(key)
        .filter(|v| !v.trim().is_empty())
}

fn param_id() -> Option<i32> {
    use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok())
}

/// The errors a plain form post to any of `paths` came back with.
fn posted_errors(paths: &[&str]) -> Vec<FieldError> {
    paths
        .iter()
        .filter_map(|p| url_error(p))
        .flat_map(|e| e.field_errors())
        .collect()
}

/// The signed-in person's recognition: badges, endorsements and awards.
#[component]
pub fn MyRecognitionPage() -> impl IntoView {
    let errors = StoredValue::new(posted_errors(&[HideBadge::PATH, HideItem::PATH]));
    page!("/recognition", person_badges(None), |user, b| {
        let hr = user
            .as_ref()
            .is_some_and(|u| u.is_one_of(&[Role::Hr, Role::Admin]));
        view! {
            <Title text="My recognition - Skillmap"/>
            <ErrorSummary errors=errors.get_value()/>
            <h1>"My recognition"</h1>
            <p>"Endorsements from colleagues, awards from your managers, and badges for the levels your manager agrees and the learning pathways you complete. You can hide anything from others."</p>
            <p>
                <a class="nhsuk-button nhsuk-button--secondary" href="/recognise">"Recognise a colleague"</a>
                {hr.then(|| view! { " " <a href="/recognition/report">"Recognition across the organisation"</a> })}
            </p>
            <RecognitionBody badges=b/>
        }
    })
}

/// Someone's recognition, for their managers and HR (who may revoke badges).
#[component]
pub fn PersonRecognitionPage() -> impl IntoView {
    let id = param_id();
    let errors = StoredValue::new(posted_errors(&[RevokeBadge::PATH]));
    page!("/people", person_badges(id), |b| {
        let give = format!("/recognise/{}", b.person_id);
        view! {
            <Title text=format!("Recognition of {} - Skillmap", b.person_name)/>
            <ErrorSummary errors=errors.get_value()/>
            <h1>{format!("Recognition of {}", b.person_name)}</h1>
            <p><a class="nhsuk-button nhsuk-button--secondary" href=give>{format!("Recognise {}", b.person_name)}</a></p>
            <RecognitionBody badges=b/>
        }
    })
}

#[component]
fn RecognitionBody(badges: Badges) -> impl IntoView {
    let received = badges.received.clone();
    let own = badges.own;
    view! {
        <h2 id="badges">"Badges"</h2>
        <BadgeList badges=badges/>
        <h2 id="received">"Endorsements and awards"</h2>
        <ReceivedList items=received own=own/>
    }
}

#[component]
fn ReceivedList(items: Vec<Received>, own: bool) -> impl IntoView {
    if items.is_empty() {
        let msg = if own {
            "Nothing yet. When a colleague endorses one of your skills or your manager gives you an award, it shows here."
        } else {
            "No endorsements or awards to show."
        };
        return view! { <p data-testid="no-received">{msg}</p> }.into_any();
    }
    let list = items
        .into_iter()
        .map(|r| {
            let heading = r.heading();
            let hidden = r.hidden.then(|| view! { " " <strong class="nhsuk-tag nhsuk-tag--grey">"Hidden from others"</strong> });
            let hide = own.then(|| {
                let (text, value) = if r.hidden { ("Show to others", "false") } else { ("Hide from others", "true") };
                let label = format!("{text}: {heading}, from {}", r.from);
                view! {
                    <form method="post" action=HideItem::PATH class="skillmap-inline-form">
                        <input type="hidden" name="item_id" value=r.id.to_string()/>
                        <input type="hidden" name="hidden" value=value/>
                        <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=label>{text}</button>
                    </form>
                }
            });
            view! {
                <li class="skillmap-step" data-testid="received">
                    <h3 class="nhsuk-heading-s">{heading.clone()}{hidden}</h3>
                    <blockquote class="skillmap-quote"><p>{r.message}</p></blockquote>
                    <p class="nhsuk-body-s skillmap-muted">{format!("From {}, {}", r.from, r.date)}</p>
                    <div class="skillmap-step-actions">{hide}</div>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="nhsuk-list skillmap-steps">{list}</ul> }.into_any()
}

#[component]
fn BadgeList(badges: Badges) -> impl IntoView {
    if badges.badges.is_empty() {
        let msg = if badges.own {
            "You have no badges yet. They come when your manager agrees a level of Practitioner or above, and when you complete your learning pathway."
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
                    <details class="nhsuk-details skillmap-revoke">
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
                    <h3 class="nhsuk-heading-s">{title.clone()}" "{status}</h3>
                    <p class="nhsuk-body-s skillmap-muted">{format!("Issued by {} on {}{}", b.issued_by, b.issued, b.awarded_by.map(|m| format!(", agreed by {m}")).unwrap_or_default())}</p>
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
/// address it should belong to. Both forms post (`server`'s `/verify` and
/// `/verify/upload`), so neither lands in a URL; the browser comes back
/// here with the result sealed by the server (`platform::flash::seal`),
/// and only a sealed result is shown.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let q = use_query_map().get_untracked();
    let shown = StoredValue::new(sealed_result(&q));
    let upload_problem = q.get("upload").map(|p| {
        match p.as_str() {
            "too-big" => {
                "That file is too big to be a credential: choose the .jwt file you were given."
            }
            "empty" => "Choose a credential file to check.",
            _ => "That file could not be read: choose the .jwt file you were given.",
        }
        .to_string()
    });
    let upload_error = StoredValue::new(upload_problem);
    let user = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Check a badge - Skillmap"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                let outcome = shown.get_value().map(outcome_view);
                let upload_error = upload_error.get_value();
                let errors: Vec<FieldError> = upload_error
                    .iter()
                    .map(|m| FieldError::new("file", m.clone()))
                    .collect();
                view! {
                    <Layout user=user current="/verify">
                        <ErrorSummary errors=errors/>
                        <h1>"Check a badge"</h1>
                        <p>"Paste an Open Badges credential issued by this organisation (the text of the .jwt file), or upload the file, to see whether it is genuine, unchanged and not revoked."</p>
                        <div id="result">{outcome}</div>
                        <form method="post" action="/verify" data-testid="verify-paste">
                            <div class="nhsuk-form-group">
                                <label class="nhsuk-label" for="credential">"Credential"</label>
                                <textarea class="nhsuk-textarea skillmap-code" id="credential" name="credential" rows="6" spellcheck="false"></textarea>
                            </div>
                            <div class="nhsuk-form-group">
                                <label class="nhsuk-label" for="email">"Email address of the person who showed it to you (optional)"</label>
                                <div class="nhsuk-hint" id="email-hint">"A badge names its holder only by a hash of their email address: give the address to check it."</div>
                                <input class="nhsuk-input nhsuk-input--width-20" id="email" name="email" type="email" aria-describedby="email-hint"/>
                            </div>
                            <button class="nhsuk-button" type="submit">"Check"</button>
                        </form>
                        <h2>"Or upload the file"</h2>
                        <form method="post" action="/verify/upload" enctype="multipart/form-data" data-testid="verify-upload">
                            <div class=group_class(&upload_error)>
                                <label class="nhsuk-label" for="file">"Credential file (.jwt)"</label>
                                <FieldErrorMessage id="file".to_string() message=upload_error.clone()/>
                                <input class="nhsuk-file-upload" id="file" name="file" type="file" accept=".jwt,.txt,application/jwt,text/plain"/>
                            </div>
                            <div class="nhsuk-form-group">
                                <label class="nhsuk-label" for="upload-email">"Email address of the person who showed it to you (optional)"</label>
                                <input class="nhsuk-input nhsuk-input--width-20" id="upload-email" name="email" type="email"/>
                            </div>
                            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Upload and check"</button>
                        </form>
                    </Layout>
                }
            })}
        </Suspense>
    }
}

/// The result the server sealed into this page's address, if it did.
#[cfg(feature = "ssr")]
fn sealed_result(q: &leptos_router::params::ParamsMap) -> Option<Verification> {
    use crate::platform::{AppState, flash};
    let state = use_context::<AppState>()?;
    let sealed = (q.get_str("v")?, q.get_str("exp")?, q.get_str("sig")?);
    let now = chrono::Utc::now().timestamp();
    flash::open(&state.form_errors, flash::VERIFY_RESULT, sealed, now)
}

/// The page renders on the server (it is not an island).
#[cfg(not(feature = "ssr"))]
fn sealed_result(_: &leptos_router::params::ParamsMap) -> Option<Verification> {
    None
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

// Recognising a colleague.

/// Find a colleague by name, to recognise them.
#[component]
pub fn RecognisePage() -> impl IntoView {
    let q = query("q").unwrap_or_default();
    let searched = StoredValue::new(q.clone());
    page!("/recognition", find_colleagues(Some(q.clone())), |found| {
        let q = searched.get_value();
        let results = if q.trim().chars().count() < 2 {
            (!q.is_empty())
                .then(|| view! { <p>"Type at least two letters of their name."</p> }.into_any())
        } else if found.is_empty() {
            Some(view! { <p data-testid="no-colleagues">{format!("No one called \u{201c}{q}\u{201d}. Check the spelling, or try their first or last name alone.")}</p> }.into_any())
        } else {
            Some(colleague_list(found).into_any())
        };
        view! {
            <Title text="Recognise a colleague - Skillmap"/>
            <a class="nhsuk-back-link" href="/recognition">"Back to my recognition"</a>
            <h1>"Recognise a colleague"</h1>
            <p>"Thank a colleague for what they did well: endorse one of their skills with a short message. Managers can also give an award."</p>
            <form method="get" action="/recognise" class="skillmap-search" role="search">
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="q">"Colleague's name"</label>
                    <input class="nhsuk-input nhsuk-input--width-20" id="q" name="q" type="search" value=q autocomplete="off"/>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Find"</button>
            </form>
            {results}
        }
    })
}

fn colleague_list(people: Vec<Colleague>) -> impl IntoView {
    let rows = people
        .into_iter()
        .map(|c| {
            let href = format!("/recognise/{}", c.id);
            let label = format!("Recognise {}", c.name);
            view! {
                <li class="skillmap-step" data-testid="colleague">
                    <h2 class="nhsuk-heading-s"><a href=href>{label}</a></h2>
                    <p class="nhsuk-body-s skillmap-muted">{[c.job_title.unwrap_or_default(), c.team].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")}</p>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="nhsuk-list skillmap-steps">{rows}</ul> }
}

/// A select of `choices` with a "Choose ..." first option.
fn choice_select(
    id: &'static str,
    label: String,
    choices: Vec<Choice>,
    error: Option<String>,
    chosen: Option<String>,
) -> impl IntoView {
    let options = choices
        .into_iter()
        .map(|c| {
            let selected = chosen.as_deref() == Some(c.code.as_str());
            view! { <option value=c.code selected=selected>{c.label}</option> }
        })
        .collect_view();
    let class = if error.is_some() {
        "nhsuk-select nhsuk-select--error"
    } else {
        "nhsuk-select"
    };
    let group = group_class(&error);
    let described = error.as_ref().map(|_| format!("{id}-error"));
    view! {
        <div class=group>
            <label class="nhsuk-label" for=id>{label}</label>
            <FieldErrorMessage id=id.to_string() message=error/>
            <select class=class id=id name=id required=true aria-describedby=described>
                <option value="">"Choose..."</option>
                {options}
            </select>
        </div>
    }
}

fn message_area(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    error: Option<String>,
    text: String,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = match &error {
        Some(_) => format!("{hint_id} {id}-error"),
        None => hint_id.clone(),
    };
    let class = if error.is_some() {
        "nhsuk-textarea nhsuk-textarea--error"
    } else {
        "nhsuk-textarea"
    };
    let group = group_class(&error);
    view! {
        <div class=group>
            <label class="nhsuk-label" for=id>{label}</label>
            <div class="nhsuk-hint" id=hint_id>{format!("{hint} Up to {MESSAGE_MAX} characters.")}</div>
            <FieldErrorMessage id=id.to_string() message=error/>
            <textarea class=class id=id name=id rows="4" required=true maxlength=MESSAGE_MAX.to_string() aria-describedby=described>{text}</textarea>
        </div>
    }
}

/// Endorse a colleague's skill; their manager (or HR) may give an award.
#[component]
pub fn GivePage() -> impl IntoView {
    let id = param_id().unwrap_or_default();
    let error = StoredValue::new(url_error(Give::PATH));
    let sent = query("sent").and_then(|s| Gift::parse(&s));
    // From the expertise directory or a finished mentoring step: thanks
    // for their help, as an endorsement of the skill they helped with.
    let thanks = query("thanks").is_some();
    let thanks_for = StoredValue::new(query("skill").filter(|s| !s.is_empty()));
    page!("/recognition", gift_form(id), |form| {
        let thanks_skill = thanks_for
            .get_value()
            .filter(|code| form.skills.iter().any(|c| &c.code == code));
        let thanks_text = if thanks {
            let skill = thanks_skill
                .as_ref()
                .and_then(|code| form.skills.iter().find(|c| &c.code == code))
                .map(|c| format!(" with {}", c.label))
                .unwrap_or_default();
            format!("Thank you for your help{skill}.")
        } else {
            String::new()
        };
        let error = error.get_value();
        let message_for = |f: &str| error.as_ref().and_then(|e| e.message_for(f));
        let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
        let done = sent.map(|g| {
            let what = match g {
                Gift::Endorsement => format!("You endorsed {}. They will see it on their recognition page.", form.person_name),
                Gift::Award => format!("You gave {} an award. They will see it on their recognition page.", form.person_name),
            };
            view! {
                <div class="nhsuk-card nhsuk-card--feature" role="status" data-testid="sent">
                    <div class="nhsuk-card__content nhsuk-card__content--feature">
                        <h2 class="nhsuk-card__heading nhsuk-card__heading--feature">"Thank you"</h2>
                        <p>{what}</p>
                        <p><a href="/recognise">"Recognise someone else"</a></p>
                    </div>
                </div>
            }
        });
        let person = form.person_id.to_string();
        let endorse = if form.skills.is_empty() {
            view! { <p>{format!("You have endorsed {} for every skill in the framework.", form.person_name)}</p> }.into_any()
        } else {
            view! {
                <form method="post" action=Give::PATH data-testid="endorse-form">
                    <input type="hidden" name="person_id" value=person.clone()/>
                    <input type="hidden" name="kind" value="endorsement"/>
                    {choice_select("skill_code", "Skill".into(), form.skills.clone(), message_for("skill_code"), thanks_skill.clone())}
                    {message_area("message", "Your message", "What did they do well with this skill?", message_for("message"), thanks_text.clone())}
                    <button class="nhsuk-button" type="submit">"Endorse"</button>
                </form>
            }
            .into_any()
        };
        let award = form.can_award.then(|| {
            let body = if form.award_kinds.is_empty() {
                view! { <p>"No awards have been set up yet. An administrator adds them under Award kinds."</p> }.into_any()
            } else {
                let kinds: Vec<Choice> = form
                    .award_kinds
                    .iter()
                    .map(|k| Choice { code: k.id.to_string(), label: k.name.clone() })
                    .collect();
                let about = form
                    .award_kinds
                    .iter()
                    .filter(|k| !k.description.is_empty())
                    .map(|k| view! { <li><strong>{k.name.clone()}</strong>": "{k.description.clone()}</li> })
                    .collect_view();
                view! {
                    <details class="nhsuk-details">
                        <summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">"What each award is for"</span></summary>
                        <div class="nhsuk-details__text"><ul>{about}</ul></div>
                    </details>
                    <form method="post" action=Give::PATH data-testid="award-form">
                        <input type="hidden" name="person_id" value=person.clone()/>
                        <input type="hidden" name="kind" value="award"/>
                        {choice_select("award_kind_id", "Award".into(), kinds, message_for("award_kind_id"), None)}
                        {message_area("citation", "Citation", "What did they do to earn it? They, their managers and HR will read this.", message_for("citation"), String::new())}
                        <button class="nhsuk-button" type="submit">"Give the award"</button>
                    </form>
                }
                .into_any()
            };
            view! {
                <h2>"Give an award"</h2>
                {body}
            }
        });
        let given = (!form.given.is_empty()).then(|| {
            let items = form
                .given
                .iter()
                .map(
                    |r| view! { <li>{format!("{} ({}): {}", r.heading(), r.date, r.message)}</li> },
                )
                .collect_view();
            view! {
                <h2>{format!("What you have given {}", form.person_name)}</h2>
                <ul class="nhsuk-list nhsuk-list--bullet" data-testid="given">{items}</ul>
            }
        });
        view! {
            <Title text=format!("Recognise {} - Skillmap", form.person_name)/>
            <a class="nhsuk-back-link" href="/recognise">"Find another colleague"</a>
            <ErrorSummary errors=errors/>
            <h1>{format!("Recognise {}", form.person_name)}</h1>
            {done}
            <h2>"Endorse a skill"</h2>
            {endorse}
            {award}
            {given}
        }
    })
}

// A team's recent recognition.

/// Recognition the manager's team received in the last 90 days.
#[component]
pub fn TeamRecognitionPage() -> impl IntoView {
    let manager = query("manager").and_then(|m| m.parse::<i32>().ok());
    page!(
        "/team",
        TeamChoice::load(manager, get_team_recognition),
        |data| data.show(
            manager,
            "/team/recognition",
            "Team recognition",
            "Choose a manager to see the recognition their team received.",
            team_list
        )
    )
}

fn team_list(t: TeamRecognition) -> impl IntoView {
    let items = if t.items.is_empty() {
        view! { <p data-testid="no-team-recognition">{format!("No recognition in the last {TEAM_DAYS} days. Recognising good work costs nothing: start with someone below.")}</p> }.into_any()
    } else {
        let rows = t
            .items
            .into_iter()
            .map(|i| {
                let href = format!("/people/{}/recognition", i.person_id);
                view! {
                    <li class="skillmap-step" data-testid="team-item">
                        <h3 class="nhsuk-heading-s"><a href=href>{i.person_name}</a>": "{i.what}</h3>
                        {i.message.map(|m| view! { <blockquote class="skillmap-quote"><p>{m}</p></blockquote> })}
                        <p class="nhsuk-body-s skillmap-muted">{match i.from { Some(f) => format!("From {f}, {}", i.date), None => i.date }}</p>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="nhsuk-list skillmap-steps">{rows}</ul> }.into_any()
    };
    let not = (!t.not_recognised.is_empty()).then(|| {
        let names = t.not_recognised.join(", ");
        view! {
            <h2>"Not recognised lately"</h2>
            <p data-testid="not-recognised">{format!("{} of {} people had nothing in this period: {names}.", t.not_recognised.len(), t.team_size)}</p>
            <p><a href="/recognise">"Recognise a colleague"</a></p>
        }
    });
    view! {
        <h1>{format!("Team recognition: {}", t.manager_name)}</h1>
        <p>{format!("Endorsements, awards and badges {}'s team received in the last {TEAM_DAYS} days, newest first. Items a person chose to hide are not shown.", t.manager_name)}</p>
        <h2>"Recent recognition"</h2>
        {items}
        {not}
    }
}

// Recognition across the organisation.

/// HR: recognition received per unit over the last six months, and who in a
/// unit has had none.
#[component]
pub fn RecognitionReportPage() -> impl IntoView {
    let unit = query("unit").and_then(|u| u.parse::<i32>().ok());
    page!(
        "/recognition/report",
        get_recognition_report(unit),
        |r| view! {
            <Title text="Recognition across the organisation - Skillmap"/>
            <h1>"Recognition across the organisation"</h1>
            <p>"Endorsements and awards received by each unit's staff, month by month, and how many of its staff received any in these six months. Badges are not counted: they follow agreed levels, not a choice to recognise someone."</p>
            {report_table(r)}
        }
    )
}

fn report_table(r: RecognitionReport) -> impl IntoView {
    let drill = r.unit.clone().map(|(name, people)| {
        let body = if people.is_empty() {
            view! { <p>"Everyone in this unit received recognition in these six months."</p> }
                .into_any()
        } else {
            colleague_list(people).into_any()
        };
        view! {
            <section data-testid="unit-unrecognised" aria-labelledby="unit-heading">
                <h2 id="unit-heading">{format!("Not recognised in six months: {name}")}</h2>
                {body}
                <p><a href="/recognition/report">"Back to all units"</a></p>
            </section>
        }
    });
    if r.rows.is_empty() {
        return view! { {drill}<p>"There are no staff yet."</p> }.into_any();
    }
    let heads = r
        .months
        .iter()
        .map(|m| view! { <th role="columnheader" scope="col" class="nhsuk-table__header skillmap-numeric">{m.clone()}</th> })
        .collect_view();
    let months = &r.months;
    let row = |u: super::model::UnitRecognition, total: bool| {
        // One figure per month of `months`, headed (on narrow screens) by its
        // month: the heading is not a `&'static str`, so the span of
        // `CellHeading` is written out.
        let cells = u
            .per_month
            .iter()
            .zip(months.iter())
            .map(|(n, m)| view! { <td role="cell" class="nhsuk-table__cell skillmap-numeric"><CellHeading head=m.clone()/>{*n}</td> })
            .collect_view();
        let name = if total {
            view! { {u.unit.clone()} }.into_any()
        } else {
            let href = format!("/recognition/report?unit={}#unit-heading", u.unit_id);
            let label = format!("{}: who has not been recognised", u.unit);
            view! { <a href=href aria-label=label>{u.unit.clone()}</a> }.into_any()
        };
        let class = if total {
            "nhsuk-table__row skillmap-total"
        } else {
            "nhsuk-table__row"
        };
        view! {
            <tr role="row" class=class>
                <th role="rowheader" scope="row" class="nhsuk-table__header skillmap-row-header"><CellHeading head="Unit"/>{name}</th>
                <td role="cell" class="nhsuk-table__cell skillmap-numeric"><CellHeading head="Staff"/>{u.staff}</td>
                {cells}
                <td role="cell" class="nhsuk-table__cell skillmap-numeric"><CellHeading head="Staff recognised"/>{format!("{} ({}%)", u.recognised, u.percent())}</td>
            </tr>
        }
    };
    let rows = r.rows.into_iter().map(|u| row(u, false)).collect_view();
    let total = row(r.total, true);
    view! {
        {drill}
        <div class="skillmap-scroll" data-testid="recognition-report" tabindex="0" role="region" aria-label="Recognition by unit">
            <table role="table" class="nhsuk-table nhsuk-table--responsive">
                <caption class="nhsuk-table__caption">"Endorsements and awards received, by unit and month"</caption>
                <thead role="rowgroup" class="nhsuk-table__head">
                    <tr role="row" class="nhsuk-table__row">
                        <th role="columnheader" scope="col" class="nhsuk-table__header">"Unit"</th>
                        <th role="columnheader" scope="col" class="nhsuk-table__header skillmap-numeric">"Staff"</th>
                        {heads}
                        <th role="columnheader" scope="col" class="nhsuk-table__header skillmap-numeric">"Staff recognised"</th>
                    </tr>
                </thead>
                <tbody class="nhsuk-table__body">{rows}{total}</tbody>
            </table>
        </div>
    }
    .into_any()
}

// Award kinds, for administrators.

/// Administrators define the awards managers can give.
#[component]
pub fn AwardKindsPage() -> impl IntoView {
    let error = StoredValue::new(url_error(SaveAwardKind::PATH));
    let saved = query("saved").is_some();
    page!("/admin/awards", award_kinds(), |kinds| {
        let error = error.get_value();
        let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
        let name_error = error.as_ref().and_then(|e| e.message_for("name"));
        let description_error = error.as_ref().and_then(|e| e.message_for("description"));
        view! {
            <Title text="Award kinds - Skillmap"/>
            <ErrorSummary errors=errors/>
            <h1>"Award kinds"</h1>
            <p>"The awards managers and HR can give, each with a citation. Retire an award to stop it being given; awards already given keep their name."</p>
            {saved.then(|| view! { <p class="skillmap-saved" role="status">"Saved."</p> })}
            {kinds_table(kinds)}
            <h2>"Add an award"</h2>
            <form method="post" action=SaveAwardKind::PATH data-testid="award-kind-form">
                <input type="hidden" name="active" value="true"/>
                <div class=group_class(&name_error)>
                    <label class="nhsuk-label" for="name">"Name"</label>
                    <FieldErrorMessage id="name".to_string() message=name_error.clone()/>
                    <input class="nhsuk-input nhsuk-input--width-20" id="name" name="name" type="text" required=true maxlength="80"/>
                </div>
                <div class=group_class(&description_error)>
                    <label class="nhsuk-label" for="description">"What it is for (optional)"</label>
                    <FieldErrorMessage id="description".to_string() message=description_error.clone()/>
                    <textarea class="nhsuk-textarea" id="description" name="description" rows="2" maxlength="500"></textarea>
                </div>
                <button class="nhsuk-button" type="submit">"Add the award"</button>
            </form>
        }
    })
}

fn kinds_table(kinds: Vec<AwardKind>) -> impl IntoView {
    if kinds.is_empty() {
        return view! { <p data-testid="no-award-kinds">"No awards yet. Add the first below, for example \u{201c}Digital champion\u{201d}."</p> }.into_any();
    }
    let rows = kinds
        .into_iter()
        .map(|k| {
            let (button, value) = if k.active { ("Retire", "false") } else { ("Offer again", "true") };
            let label = format!("{button}: {}", k.name);
            let status = if k.active { "Offered" } else { "Retired" };
            // Built first: a `Cell`'s children are a `'static` closure.
            let action = view! {
                <form method="post" action=SaveAwardKind::PATH class="skillmap-inline-form">
                    <input type="hidden" name="id" value=k.id.to_string()/>
                    <input type="hidden" name="name" value=k.name.clone()/>
                    <input type="hidden" name="description" value=k.description.clone()/>
                    <input type="hidden" name="active" value=value/>
                    <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=label>{button}</button>
                </form>
            };
            view! {
                <tr role="row" class="nhsuk-table__row" data-testid="award-kind">
                    <th role="rowheader" scope="row" class="nhsuk-table__header skillmap-row-header"><CellHeading head="Award"/>{k.name.clone()}<span class="nhsuk-body-s skillmap-muted skillmap-block">{k.description.clone()}</span></th>
                    <Cell head="Status">{status}</Cell>
                    <td role="cell" class="nhsuk-table__cell skillmap-numeric"><CellHeading head="Times given"/>{k.given}</td>
                    <Cell head="Action">{action}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption="Awards" headers=vec!["Award", "Status", "Times given", "Action"]>{rows}</Table>
    }
    .into_any()
}
