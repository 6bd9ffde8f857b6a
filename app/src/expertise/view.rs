//! The expertise directory's pages: `/find` (search, anyone signed in)
//! and `/skills/interests` (a person's own interests and listing).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{SaveInterests, SaveListing, find_expertise, get_interests};
use super::model::{CONTACT_MAX, FindResults, Found, Interests, MAX_SKILLS};
use crate::auth::api::whoami;
use crate::error::AppError;
use crate::framework::model::{LEVELS, level_name};
use crate::ui::{Cell, CellHeading, ErrorPage, ErrorSummary, Layout, Table, page, url_error};

/// Skill pickers the search form shows (the search takes up to
/// `MAX_SKILLS` through its URL).
const SKILL_FIELDS: usize = 3;

/// The search as the URL has it, for the server function.
struct UrlSearch {
    skills: String,
    level: String,
    unit: String,
    help: String,
    page: String,
}

fn search_from_url() -> UrlSearch {
    let q = use_query_map().get_untracked();
    let one = |k: &str| q.get(k).unwrap_or_default();
    UrlSearch {
        skills: q.get_all("skill").unwrap_or_default().join(","),
        level: one("level"),
        unit: one("unit"),
        help: one("help"),
        page: one("page"),
    }
}

/// Finds people: a search that cannot be read shows the form again with
/// what is wrong, and no results.
async fn load_find(s: UrlSearch) -> Result<(FindResults, Option<AppError>), AppError> {
    let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
    match find_expertise(
        some(&s.skills),
        some(&s.level),
        some(&s.unit),
        some(&s.help),
        some(&s.page),
    )
    .await
    {
        Ok(r) => Ok((r, None)),
        Err(e @ AppError::Validation(_)) => {
            let mut blank = find_expertise(None, None, None, None, None).await?;
            blank.people.clear();
            blank.matching = 0;
            Ok((blank, Some(e)))
        }
        Err(e) => Err(e),
    }
}

#[component]
pub fn FindPage() -> impl IntoView {
    let search = StoredValue::new(search_from_url());
    let load = move || {
        let s = search.with_value(|s| UrlSearch {
            skills: s.skills.clone(),
            level: s.level.clone(),
            unit: s.unit.clone(),
            help: s.help.clone(),
            page: s.page.clone(),
        });
        load_find(s)
    };
    page!("/find", load(), |loaded| {
        let (results, error) = loaded;
        view! { <FindView results=results error=error/> }
    })
}

fn level_options(current: u8) -> impl IntoView {
    LEVELS
        .iter()
        .filter(|(l, _)| *l > 0)
        .map(|(l, name)| {
            view! { <option value=l.to_string() selected=*l == current>{format!("{name} or above")}</option> }
        })
        .collect_view()
}

#[component]
fn FindView(results: FindResults, error: Option<AppError>) -> impl IntoView {
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let q = results.query.clone();
    let skill_selects = (0..SKILL_FIELDS.min(MAX_SKILLS))
        .map(|i| {
            let id = if i == 0 { "skill".to_string() } else { format!("skill-{}", i + 1) };
            let label = match i {
                0 => "Skill",
                1 => "And another skill (optional)",
                _ => "And another (optional)",
            };
            let current = q.skills.get(i).cloned();
            let options = results
                .skills
                .iter()
                .map(|s| {
                    let selected = current.as_deref() == Some(s.value.as_str());
                    view! { <option value=s.value.clone() selected=selected>{s.label.clone()}</option> }
                })
                .collect_view();
            view! {
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for=id.clone()>{label}</label>
                    <select class="nhsuk-select" id=id name="skill">
                        <option value="">{if i == 0 { "Any skill" } else { "None" }}</option>
                        {options}
                    </select>
                </div>
            }
        })
        .collect_view();
    let unit_options = results
        .units
        .iter()
        .map(|u| {
            let selected = q.unit.map(|x| x.to_string()).as_deref() == Some(u.value.as_str());
            view! { <option value=u.value.clone() selected=selected>{u.label.clone()}</option> }
        })
        .collect_view();
    let listed_note = if results.me_listed {
        view! { <p class="nhsuk-body-s">"You are listed in the directory. "<a href="/skills/interests#directory">"Change how you are listed"</a>"."</p> }.into_any()
    } else {
        view! {
            <div class="nhsuk-inset-text">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"You are not listed, so colleagues cannot find you here. "<a href="/skills/interests#directory">"Choose whether to be listed"</a>"."</p>
            </div>
        }
        .into_any()
    };
    let people = |n: usize| if n == 1 { "person" } else { "people" };
    let status = if error.is_some() {
        "Fix the search to see who matches.".to_string()
    } else if results.listed == 0 {
        "No one has chosen to be listed in the directory yet.".to_string()
    } else if results.matching == 0 {
        format!(
            "No one listed matches: {}. Try a lower level, another skill or the whole organisation.",
            results.described
        )
    } else {
        format!(
            "{} {} {}: {}.",
            results.matching,
            people(results.matching),
            if results.matching == 1 {
                "matches"
            } else {
                "match"
            },
            results.described
        )
    };
    let cards = results.people.iter().map(found_card).collect_view();
    let pager = (results.pages > 1).then(|| {
        let prev = (q.page > 1).then(|| {
            let href = q.href(|x| x.page -= 1);
            view! { <li class="nhsuk-pagination-item--previous"><a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href=href><span class="nhsuk-pagination__title">"Previous"</span><span class="nhsuk-u-visually-hidden">":"</span><span class="nhsuk-pagination__page">{format!("Page {}", q.page - 1)}</span></a></li> }
        });
        let next = (q.page < results.pages).then(|| {
            let href = q.href(|x| x.page += 1);
            view! { <li class="nhsuk-pagination-item--next"><a class="nhsuk-pagination__link nhsuk-pagination__link--next" href=href><span class="nhsuk-pagination__title">"Next"</span><span class="nhsuk-u-visually-hidden">":"</span><span class="nhsuk-pagination__page">{format!("Page {}", q.page + 1)}</span></a></li> }
        });
        view! {
            <nav class="nhsuk-pagination" role="navigation" aria-label="Pages of results">
                <ul class="nhsuk-list nhsuk-pagination__list">{prev}{next}</ul>
            </nav>
            <p class="nhsuk-body-s">{format!("Page {} of {}", q.page, results.pages)}</p>
        }
    });
    let download = (results.can_download && results.matching > 0).then(|| {
        view! { <p><a href=q.csv_href() download="">"Download everyone who matches as CSV"</a></p> }
    });
    view! {
        <Title text="Find expertise - Skillmap"/>
        <ErrorSummary errors=errors/>
        <h1>"Find expertise"</h1>
        <p class="nhsuk-lede-text">"Find colleagues who know a skill, to ask for advice or help."</p>
        <p>"Only people who chose to be listed appear here, with the levels their manager agreed (and their own view, where they chose to show it). "{format!("{} {} listed.", results.listed, people(results.listed))}</p>
        {listed_note}
        <form method="get" action="/find" class="skillmap-search" aria-label="Search the directory" data-testid="find-form">
            {skill_selects}
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="level">"Level"</label>
                <select class="nhsuk-select" id="level" name="level">{level_options(q.level)}</select>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="unit">"Part of the organisation"</label>
                <select class="nhsuk-select" id="unit" name="unit">
                    <option value="">"The whole organisation"</option>
                    {unit_options}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id="help" name="help" type="checkbox" value="on" checked=q.help/>
                    <label class="nhsuk-label nhsuk-checkboxes__label" for="help">"Only people who would help others"</label>
                </div>
            </div>
            <button class="nhsuk-button" type="submit">"Search"</button>
        </form>
        <p role="status" data-testid="find-status">{status}</p>
        {download}
        <ul class="nhsuk-list skillmap-found" data-testid="find-results">{cards}</ul>
        {pager}
    }
}

fn found_card(p: &Found) -> impl IntoView + use<> {
    let levels = p
        .levels
        .iter()
        .map(|l| {
            let help = l.help.then_some(" \u{2013} would help others");
            view! { <li>{l.text()}{help}</li> }
        })
        .collect_view();
    let helps = (!p.helps_with.is_empty())
        .then(|| view! { <p class="nhsuk-body-s">{format!("Would help others with: {}.", p.helps_with.join(", "))}</p> });
    let email = p.email.clone().map(|e| {
        view! { <p class="nhsuk-body-s">"Email: "<a href=format!("mailto:{e}")>{e.clone()}</a></p> }
    });
    let contact = (!p.contact.is_empty())
        .then(|| view! { <p class="nhsuk-body-s">{format!("How to contact: {}", p.contact)}</p> });
    let thanks_skill = p.levels.first().map(|l| l.skill_code.clone());
    let thanks = (!p.is_me).then(|| {
        let href = match &thanks_skill {
            Some(code) => format!("/recognise/{}?skill={code}&thanks=1", p.id),
            None => format!("/recognise/{}?thanks=1", p.id),
        };
        view! { <p class="nhsuk-body-s"><a href=href>"Thank them for their help"<span class="nhsuk-u-visually-hidden">{format!(" ({})", p.name)}</span></a></p> }
    });
    let you = p.is_me.then_some(" (you)");
    view! {
        <li class="nhsuk-card skillmap-found__person" data-testid="found-person">
            <div class="nhsuk-card__content">
                <h2 class="nhsuk-card__heading nhsuk-heading-s">{p.name.clone()}{you}</h2>
                <p class="nhsuk-body-s">{p.job_title.clone().unwrap_or_else(|| "No job role".into())}", "{p.team.clone()}</p>
                {(!p.levels.is_empty()).then(|| view! { <ul class="nhsuk-list nhsuk-list--bullet nhsuk-body-s">{levels}</ul> })}
                {helps}
                {email}
                {contact}
                {thanks}
            </div>
        </li>
    }
}

#[component]
pub fn InterestsPage() -> impl IntoView {
    let error =
        StoredValue::new(url_error(SaveInterests::PATH).or_else(|| url_error(SaveListing::PATH)));
    let saved = StoredValue::new(use_query_map().get_untracked().get("saved"));
    page!("/skills", get_interests(), |interests| {
        view! { <InterestsView interests=interests error=error.get_value() saved=saved.get_value()/> }
    })
}

#[component]
fn InterestsView(
    interests: Interests,
    error: Option<AppError>,
    saved: Option<String>,
) -> impl IntoView {
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let problem = error
        .as_ref()
        .filter(|e| e.field_errors().is_empty())
        .map(|e| view! { <p class="nhsuk-error-message">{e.to_string()}</p> });
    let banner = saved
        .and_then(|s| match s.as_str() {
            "interests" => Some("Your interests are saved."),
            "listing" => Some("Your directory listing is saved."),
            _ => None,
        })
        .map(|text| {
            view! {
                <div class="nhsuk-inset-text" role="status" data-testid="saved">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{text}</p>
                </div>
            }
        });
    let listing = interests.listing.clone();
    let contact_error = errors
        .iter()
        .find(|e| e.field == "contact")
        .map(|e| e.message.clone());
    let mut domain = String::new();
    let rows = interests
        .skills
        .iter()
        .map(|s| {
            let head = (s.domain != domain).then(|| {
                domain = s.domain.clone();
                view! { <tr role="row" class="nhsuk-table__row"><th role="columnheader" scope="colgroup" colspan="4" class="nhsuk-table__header">{s.domain.clone()}</th></tr> }
            });
            let develop_id = format!("develop[{}]", s.code);
            let help_id = format!("help[{}]", s.code);
            let agreed = match s.agreed {
                Some(l) => format!("{} (agreed)", level_name(l)),
                None => "Not agreed yet".into(),
            };
            let help_cell = if s.can_help {
                view! {
                    <div class="nhsuk-checkboxes__item">
                        <input class="nhsuk-checkboxes__input" id=help_id.clone() name=help_id.clone() type="checkbox" value="on" checked=s.help/>
                        <label class="nhsuk-label nhsuk-checkboxes__label" for=help_id>"Help others"<span class="nhsuk-u-visually-hidden">{format!(" with {}", s.name)}</span></label>
                    </div>
                }
                .into_any()
            } else {
                view! { <span class="nhsuk-body-s skillmap-muted">{format!("Once agreed at {} or above", level_name(super::model::HELP_LEVEL))}</span> }.into_any()
            };
            // Built first: a `Cell`'s children are a `'static` closure, and
            // `s` is borrowed.
            let develop_cell = view! {
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id=develop_id.clone() name=develop_id.clone() type="checkbox" value="on" checked=s.develop/>
                    <label class="nhsuk-label nhsuk-checkboxes__label" for=develop_id>"Develop"<span class="nhsuk-u-visually-hidden">{format!(" {}", s.name)}</span></label>
                </div>
            };
            view! {
                {head}
                <tr role="row" class="nhsuk-table__row">
                    <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Skill"/>{s.name.clone()}</th>
                    <Cell head="Your level">{agreed}</Cell>
                    <Cell head="I'd like to develop this">{develop_cell}</Cell>
                    <Cell head="I'd like to help others with this">{help_cell}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text="Your interests and the directory - Skillmap"/>
        <ErrorSummary errors=errors/>
        <a class="nhsuk-back-link" href="/skills">"Back to my skills"</a>
        <h1>"Your interests and the expertise directory"</h1>
        {banner}
        {problem}
        <h2 id="directory">"Can colleagues find you?"</h2>
        <p>"The "<a href="/find">"expertise directory"</a>" lets anyone in the organisation find people who know a skill, to ask for advice or help. It is off unless you turn it on."</p>
        <p>"If you are listed, colleagues who search for a skill see your name, job title, team, email, the levels your manager agreed in the skills they searched for, and the skills you would help with. HR can download the same. You can take yourself out at any time; nothing of your listing is kept."</p>
        <form method="post" action=SaveListing::PATH data-testid="listing-form">
            <div class="nhsuk-form-group">
                <fieldset class="nhsuk-fieldset">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"List me in the directory"</legend>
                    <div class="nhsuk-radios">
                        <div class="nhsuk-radios__item">
                            <input class="nhsuk-radios__input" id="listed" name="listed" type="radio" value="yes" checked=listing.listed/>
                            <label class="nhsuk-label nhsuk-radios__label" for="listed">"Yes, colleagues can find me"</label>
                        </div>
                        <div class="nhsuk-radios__item">
                            <input class="nhsuk-radios__input" id="listed-no" name="listed" type="radio" value="no" checked=!listing.listed/>
                            <label class="nhsuk-label nhsuk-radios__label" for="listed-no">"No, keep me out of it"</label>
                        </div>
                    </div>
                </fieldset>
            </div>
            <div class="nhsuk-form-group">
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id="show_self_assessed" name="show_self_assessed" type="checkbox" value="on" checked=listing.show_self_assessed/>
                    <label class="nhsuk-label nhsuk-checkboxes__label" for="show_self_assessed">"Also show my own view of my level where my manager has not agreed one yet (marked \u{201c}self-assessed\u{201d})"</label>
                </div>
            </div>
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=contact_error.is_some()>
                <label class="nhsuk-label" for="contact">"How would you like to be contacted? (optional)"</label>
                <div class="nhsuk-hint" id="contact-hint">{format!("For example \u{201c}Teams message first\u{201d} or \u{201c}Tuesdays and Thursdays\u{201d}. Up to {CONTACT_MAX} characters.")}</div>
                {contact_error.clone().map(|m| view! { <span class="nhsuk-error-message"><span class="nhsuk-u-visually-hidden">"Error: "</span>{m}</span> })}
                <input class="nhsuk-input" id="contact" name="contact" type="text" value=listing.contact.clone() aria-describedby="contact-hint"/>
            </div>
            <button class="nhsuk-button" type="submit">"Save my listing"</button>
        </form>
        <h2 id="interests">"Skills you would like to develop, or help others with"</h2>
        <p>"Skills you would like to develop get more weight when Skillmap suggests your learning, and your managers can see who is keen. You can offer to help others with a skill once your level in it is agreed at Practitioner or above."</p>
        <form method="post" action=SaveInterests::PATH data-testid="interests-form">
            <Table caption="Your interest in each skill" hide_caption=true headers=vec!["Skill", "Your level", "I'd like to develop this", "I'd like to help others with this"]>
                {rows}
            </Table>
            <button class="nhsuk-button" type="submit">"Save my interests"</button>
        </form>
    }
}
