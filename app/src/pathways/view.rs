//! The learning pages: "My learning" (recommendations, the accepted pathway,
//! mentors), the catalogue and its editor, a team's progress, and uptake.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    AcceptPathway, AddMentor, ImportCatalogue, RemoveResource, SaveResource, SetMentoring,
    UpdateStep, catalogue, get_my_learning, get_team_learning, learning_resource, learning_uptake,
};
use super::model::{
    CatalogueView, Coverage, FIELDS, FORMATS, MyLearning, PathwayView, PlanStep, ResourceInput,
    StepStatus, StepView, TeamLearning, UptakeRow, WEEKLY_BUDGETS, cost_text, coverage_text,
    duration, format_label, pounds, validate_resource,
};
use crate::auth::api::whoami;
use crate::auth::model::Role;
use crate::error::{AppError, FieldError};
use crate::framework::model::level_name;
use crate::team::view::TeamChoice;
use crate::ui::{Cell, CellHeading, ErrorPage, ErrorSummary, Layout, Table, page, url_error};

fn query(key: &str) -> Option<String> {
    use_query_map()
        .get_untracked()
        .get(key)
        .filter(|v| !v.trim().is_empty())
}

fn gain_text(name: &str, from: u8, to: u8) -> String {
    format!("{name}: {} to {}", level_name(from), level_name(to))
}

fn facts(provider: &str, format: &str, minutes: u32, cost_pence: u32) -> String {
    format!(
        "{provider} \u{b7} {} \u{b7} {} \u{b7} {}",
        format_label(format),
        duration(minutes),
        cost_text(cost_pence)
    )
}

// ---------------------------------------------------------------------------
// My learning.

#[component]
pub fn MyLearningPage() -> impl IntoView {
    let aspiration = StoredValue::new(query("aspiration"));
    let weekly = StoredValue::new(query("weekly"));
    let done = StoredValue::new(query("done").and_then(|d| d.parse::<i32>().ok()));
    let accepted = query("accepted").is_some();
    let errors = StoredValue::new(
        [
            url_error(AcceptPathway::PATH),
            url_error(UpdateStep::PATH),
            url_error(AddMentor::PATH),
            url_error(SetMentoring::PATH),
        ]
        .into_iter()
        .flatten()
        .flat_map(|e| e.field_errors())
        .collect::<Vec<FieldError>>(),
    );
    page!(
        "/learning",
        get_my_learning(aspiration.get_value(), weekly.get_value()),
        |mine| view! {
            <Title text="My learning - Skillmap"/>
            <ErrorSummary errors=errors.get_value()/>
            <h1>"My learning"</h1>
            {done.get_value().and_then(|id| done_prompt(&mine, id))}
            {accepted.then(|| view! {
                <div class="nhsuk-inset-text" role="status">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>"Your pathway is saved. Mark each step as started and done as you go."</p>
                </div>
            })}
            <MyPathway mine=mine.clone()/>
            <Recommended mine=mine.clone()/>
            <Mentors mine=mine/>
            <p><a href="/learning/catalogue">"Browse the whole learning catalogue"</a></p>
        }
    )
}

/// After a step is done: prompt to update the self-assessment of the
/// skills it developed.
fn done_prompt(mine: &MyLearning, step_id: i32) -> Option<AnyView> {
    let step = mine
        .pathway
        .as_ref()?
        .steps
        .iter()
        .find(|s| s.id == step_id && s.status == StepStatus::Done)?;
    let all_done = mine
        .pathway
        .as_ref()?
        .steps
        .iter()
        .all(|s| s.status == StepStatus::Done);
    let links = step
        .skills
        .iter()
        .map(|s| {
            let href = format!("/skills/{}", s.code);
            view! { <li><a href=href>{format!("Update your level in {}", s.name)}</a></li> }
        })
        .collect_view();
    Some(
        view! {
            <div class="nhsuk-card nhsuk-card--feature skillmap-done" id="done" role="status" tabindex="-1">
                <div class="nhsuk-card__content nhsuk-card__content--feature">
                    <h2 class="nhsuk-card__heading nhsuk-card__heading--feature">"Well done"</h2>
                    <p>{format!("You finished \u{201c}{}\u{201d}. Has your level changed? Update your self-assessment, so your gaps and recommendations stay right, and your manager can agree your new level.", step.title)}</p>
                    <ul class="nhsuk-list">{links}</ul>
                    {step.mentor_id.map(|mentor| {
                        let skill = step.skills.first().map(|s| format!("&skill={}", s.code)).unwrap_or_default();
                        view! { <p data-testid="thank-mentor"><a href=format!("/recognise/{mentor}?thanks=1{skill}")>"Thank your mentor for their help"</a>": an endorsement they will see on their recognition page."</p> }
                    })}
                    {all_done.then(|| view! {
                        <p data-testid="pathway-complete">"That was the last step: you have completed your learning pathway, and earned a badge for it. "<a href="/recognition">"See it in My recognition"</a>"."</p>
                    })}
                </div>
            </div>
        }
        .into_any(),
    )
}

#[component]
fn MyPathway(mine: MyLearning) -> impl IntoView {
    let body = match mine.pathway {
        Some(p) if !p.steps.is_empty() => pathway_steps(p).into_any(),
        _ => view! {
            <p>"You have not accepted a pathway yet. Look at the one recommended for you below: accept it, then remove or reorder steps as you like."</p>
        }
        .into_any(),
    };
    view! {
        <h2 id="pathway">"Your pathway"</h2>
        {body}
    }
}

fn step_button(
    step: &StepView,
    action: &'static str,
    text: &'static str,
    label: String,
) -> AnyView {
    let secondary = action != "done";
    view! {
        <form method="post" action=UpdateStep::PATH class="skillmap-inline-form">
            <input type="hidden" name="step_id" value=step.id.to_string()/>
            <input type="hidden" name="action" value=action/>
            <button
                class="nhsuk-button nhsuk-button--small skillmap-table-button"
                class:nhsuk-button--secondary=secondary
                type="submit"
                aria-label=label
            >
                {text}
            </button>
        </form>
    }
    .into_any()
}

fn pathway_steps(p: PathwayView) -> impl IntoView {
    let total = p.steps.len();
    let done = p.done();
    let count = p.steps.len();
    let aim = p
        .aspiration
        .clone()
        .map(|a| view! { <p>{format!("Aiming for: {a}.")}</p> });
    let items = p
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let n = i + 1;
            let tag = match s.status {
                StepStatus::Done => "nhsuk-tag nhsuk-tag--green",
                StepStatus::Started => "nhsuk-tag nhsuk-tag--blue",
                StepStatus::NotStarted => "nhsuk-tag nhsuk-tag--grey",
            };
            let title = match s.url.clone() {
                Some(url) => view! { <a href=url rel="noopener">{s.title.clone()}</a> }.into_any(),
                None => view! { <span>{s.title.clone()}</span> }.into_any(),
            };
            let skills = s
                .skills
                .iter()
                .map(|k| gain_text(&k.name, k.from, k.to))
                .collect::<Vec<_>>()
                .join("; ");
            let name = s.title.clone();
            let mut buttons = Vec::new();
            if s.status == StepStatus::NotStarted {
                buttons.push(step_button(&s, "start", "Start", format!("Start: step {n}, {name}")));
            }
            if s.status != StepStatus::Done {
                buttons.push(step_button(&s, "done", "Mark as done", format!("Mark as done: step {n}, {name}")));
            } else {
                buttons.push(step_button(&s, "reset", "Mark as not done", format!("Mark as not done: step {n}, {name}")));
            }
            if n > 1 {
                buttons.push(step_button(&s, "up", "Move up", format!("Move up: step {n}, {name}")));
            }
            if n < count {
                buttons.push(step_button(&s, "down", "Move down", format!("Move down: step {n}, {name}")));
            }
            buttons.push(step_button(&s, "remove", "Remove", format!("Remove: step {n}, {name}")));
            view! {
                <li class="skillmap-step" id=format!("step-{}", s.id) data-status=s.status.as_str()>
                    <h3 class="nhsuk-heading-s">
                        {format!("{n}. ")}{title}" "
                        <strong class=tag>{s.status.label()}</strong>
                    </h3>
                    <p class="nhsuk-body-s skillmap-muted">{facts(&s.provider, &s.format, s.minutes, s.cost_pence)}</p>
                    <p class="nhsuk-body-s">{format!("Develops {skills}.")}</p>
                    <p class="nhsuk-body-s">{s.reason.clone()}</p>
                    <div class="skillmap-step-actions">{buttons}</div>
                </li>
            }
        })
        .collect_view();
    view! {
        {aim}
        <p data-testid="pathway-progress">{format!("{done} of {total} steps done.")}</p>
        <progress class="skillmap-progress" max=total.to_string() value=done.to_string() aria-label="Pathway progress">{format!("{done} of {total}")}</progress>
        <ol class="nhsuk-list skillmap-steps" data-testid="my-pathway">{items}</ol>
    }
}

#[component]
fn Recommended(mine: MyLearning) -> impl IntoView {
    let MyLearning {
        role_title,
        aspiration,
        weekly_minutes,
        roles,
        gaps,
        plan,
        catalogue_size,
        pathway,
        ..
    } = mine;
    let role_options = roles
        .into_iter()
        .map(|r| {
            let selected = aspiration == Some(r.id);
            view! { <option value=r.id.to_string() selected=selected>{r.title}</option> }
        })
        .collect_view();
    let weekly_options = WEEKLY_BUDGETS
        .iter()
        .map(|w| {
            let selected = weekly_minutes == Some(*w);
            view! { <option value=w.to_string() selected=selected>{duration(*w)}</option> }
        })
        .collect_view();
    let choices = view! {
        <form method="get" action="/learning" class="skillmap-search">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="aspiration">"A role you are aiming for (optional)"</label>
                <select class="nhsuk-select" id="aspiration" name="aspiration">
                    <option value="">"None: just my own role"</option>
                    {role_options}
                </select>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="weekly">"Time you can give each week"</label>
                <select class="nhsuk-select" id="weekly" name="weekly">
                    <option value="">"No limit"</option>
                    {weekly_options}
                </select>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Update recommendations"</button>
        </form>
    };
    let intro = match (&role_title, gaps.is_empty()) {
        (None, true) if aspiration.is_none() => "You have no job role recorded, so there are no gaps to close yet. Choose a role you are aiming for to see what you would need.".to_string(),
        (_, true) => "You meet every requirement. Choose a role you are aiming for to see what you would need to grow into it.".to_string(),
        (Some(r), false) => format!("You have {} gap{} against your role ({r}){}. Recommendations close the most important gaps for the least time: essential needs count three times desirable ones, Working comes before Practitioner, and free resources come first when all else is equal.", gaps.len(), if gaps.len() == 1 { "" } else { "s" }, if aspiration.is_some() { " and the role you are aiming for" } else { "" }),
        (None, false) => format!("You have {} gap{} against the role you are aiming for.", gaps.len(), if gaps.len() == 1 { "" } else { "s" }),
    };
    let steps = (!plan.steps.is_empty()).then(|| {
        let items = plan.steps.iter().enumerate().map(|(i, s)| plan_step(i + 1, s)).collect_view();
        let replaces = pathway.as_ref().is_some_and(|p| p.steps.iter().any(|s| s.status != StepStatus::Done));
        let count = format!("{} step{}, {} in all.", plan.steps.len(), if plan.steps.len() == 1 { "" } else { "s" }, duration(plan.total_minutes));
        let fingerprint = plan.fingerprint();
        view! {
            <p>{count}</p>
            <ol class="nhsuk-list skillmap-steps" data-testid="recommended">{items}</ol>
            <form method="post" action=AcceptPathway::PATH>
                <input type="hidden" name="aspiration" value=aspiration.map(|a| a.to_string()).unwrap_or_default()/>
                <input type="hidden" name="weekly" value=weekly_minutes.map(|w| w.to_string()).unwrap_or_default()/>
                <input type="hidden" name="plan" value=fingerprint/>
                {replaces.then(|| view! { <p class="nhsuk-body-s">"Accepting replaces the steps of your pathway that you have not finished. Finished steps stay."</p> })}
                <button class="nhsuk-button" type="submit">"Accept this pathway"</button>
            </form>
        }
    });
    let none = (plan.steps.is_empty() && !gaps.is_empty()).then(|| {
        let msg = if catalogue_size == 0 {
            "The learning catalogue is empty. Ask HR to add resources.".to_string()
        } else {
            "No resource in the catalogue closes these gaps yet.".to_string()
        };
        view! { <p>{msg}</p> }
    });
    let open = (!plan.open.is_empty()).then(|| {
        let items = plan
            .open
            .iter()
            .map(|o| view! { <li><strong>{format!("{}: ", o.skill_name)}</strong>{o.why.clone()}</li> })
            .collect_view();
        view! {
            <h3>"Not covered by this pathway"</h3>
            <ul class="nhsuk-list nhsuk-list--bullet" data-testid="open-gaps">{items}</ul>
        }
    });
    view! {
        <h2 id="recommended">"Recommended for you"</h2>
        <p>{intro}</p>
        {choices}
        {steps}
        {none}
        {open}
    }
}

fn plan_step(n: usize, s: &PlanStep) -> AnyView {
    let r = &s.resource;
    let title = match r.url.clone() {
        Some(url) => view! { <a href=url rel="noopener">{r.title.clone()}</a> }.into_any(),
        None => view! { <span>{r.title.clone()}</span> }.into_any(),
    };
    let week = s
        .week
        .map(|w| format!(" \u{b7} from week {w}"))
        .unwrap_or_default();
    let gains = s
        .gains
        .iter()
        .map(|g| gain_text(&g.skill_name, g.from, g.to))
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <li class="skillmap-step">
            <h3 class="nhsuk-heading-s">{format!("{n}. ")}{title}</h3>
            <p class="nhsuk-body-s skillmap-muted">{facts(&r.provider, &r.format, r.minutes, r.cost_pence)}{week}</p>
            <p class="nhsuk-body-s">{format!("Develops {gains}.")}</p>
            <p class="nhsuk-body-s"><span class="skillmap-why">"Why: "</span>{s.reason.clone()}</p>
        </li>
    }
    .into_any()
}

#[component]
fn Mentors(mine: MyLearning) -> impl IntoView {
    let suggestions = if mine.mentors.is_empty() {
        view! { <p>"No colleague offers mentoring in the skills you need yet."</p> }.into_any()
    } else {
        let rows = mine
            .mentors
            .iter()
            .map(|m| {
                let label = format!("Add to my pathway: mentoring with {} in {}", m.name, m.skill_name);
                // The cells' contents must own their data (`Cell` children
                // are 'static), so copy out of the borrowed mentor first.
                let skill_name = m.skill_name.clone();
                let name = m.name.clone();
                let job_title = m.job_title.clone().map(|t| format!(" {t}")).unwrap_or_default();
                let mentor_id = m.person_id.to_string();
                let skill_code = m.skill_code.clone();
                view! {
                    <tr role="row" class="nhsuk-table__row">
                        <Cell head="Skill">{skill_name}</Cell>
                        <Cell head="Mentor">{name}<span class="nhsuk-body-s skillmap-muted">{job_title}</span></Cell>
                        <Cell head="Action">
                            <form method="post" action=AddMentor::PATH class="skillmap-inline-form">
                                <input type="hidden" name="mentor_id" value=mentor_id/>
                                <input type="hidden" name="skill_code" value=skill_code/>
                                <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=label>"Add to my pathway"</button>
                            </form>
                        </Cell>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <Table caption="Colleagues who offer mentoring" hide_caption=true headers=vec!["Skill", "Mentor", "Action"]>{rows}</Table>
        }
        .into_any()
    };
    let offer = (mine.is_mentor || !mine.expert_in.is_empty()).then(|| {
        let skills = if mine.expert_in.is_empty() {
            "none yet (mentors are suggested in skills where their Expert level is agreed)".to_string()
        } else {
            mine.expert_in.join(", ")
        };
        view! {
            <h2 id="mentoring">"Mentoring others"</h2>
            <p>{format!("Your agreed Expert skills: {skills}.")}</p>
            <form method="post" action=SetMentoring::PATH>
                <div class="nhsuk-form-group">
                    <div class="nhsuk-checkboxes">
                        <div class="nhsuk-checkboxes__item">
                            <input class="nhsuk-checkboxes__input" id="offer" name="offer" type="checkbox" value="true" checked=mine.is_mentor/>
                            <label class="nhsuk-label nhsuk-checkboxes__label" for="offer">"I offer to mentor colleagues in these skills"</label>
                        </div>
                    </div>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Save"</button>
            </form>
        }
    });
    view! {
        <h2 id="mentors">"Learn from a colleague"</h2>
        <p>"Colleagues with an agreed Expert level in a skill you need, who offer mentoring."</p>
        {suggestions}
        {offer}
    }
}

// ---------------------------------------------------------------------------
// The catalogue.

fn skill_list(covers: &[Coverage], names: &[(String, String)]) -> String {
    covers
        .iter()
        .map(|c| {
            let name = names
                .iter()
                .find(|(code, _)| code == &c.skill_code)
                .map(|(_, n)| n.as_str())
                .unwrap_or(c.skill_code.as_str());
            gain_text(name, c.from, c.to)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[component]
pub fn CataloguePage() -> impl IntoView {
    let q = StoredValue::new(query("q"));
    let skill = StoredValue::new(query("skill"));
    let notice = StoredValue::new(if query("saved").is_some() {
        Some("The resource is saved.".to_string())
    } else if query("retired").is_some() {
        Some("Someone's pathway uses that resource, so it is retired: kept for them, and no longer recommended.".to_string())
    } else if query("deleted").is_some() {
        Some("The resource is removed from the catalogue.".to_string())
    } else {
        query("created").map(|c| {
            format!(
                "Imported: {c} new, {} changed, {} unchanged.",
                query("updated").unwrap_or_else(|| "0".into()),
                query("unchanged").unwrap_or_else(|| "0".into())
            )
        })
    });
    let errors = StoredValue::new(
        [
            url_error(ImportCatalogue::PATH),
            url_error(RemoveResource::PATH),
        ]
        .into_iter()
        .flatten()
        .flat_map(|e| e.field_errors())
        .collect::<Vec<FieldError>>(),
    );
    page!(
        "/learning/catalogue",
        catalogue(q.get_value(), skill.get_value()),
        |view_data| view! {
            <Title text="Learning catalogue - Skillmap"/>
            <ErrorSummary errors=errors.get_value()/>
            <a class="nhsuk-back-link" href="/learning">"Back to my learning"</a>
            <h1>"Learning catalogue"</h1>
            {notice.get_value().map(|n| view! {
                <div class="nhsuk-inset-text" role="status"><p>{n}</p></div>
            })}
            <CatalogueList data=view_data q=q.get_value().unwrap_or_default() skill=skill.get_value()/>
        }
    )
}

#[component]
fn CatalogueList(data: CatalogueView, q: String, skill: Option<String>) -> impl IntoView {
    let CatalogueView {
        resources,
        skills,
        total,
        editable,
    } = data;
    let skill_options = skills
        .iter()
        .map(|(code, name)| {
            let selected = skill.as_deref() == Some(code.as_str());
            view! { <option value=code.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view();
    let search = view! {
        <form method="get" action="/learning/catalogue" class="skillmap-search" role="search">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="q">"Search"</label>
                <input class="nhsuk-input nhsuk-input--width-20" id="q" name="q" type="search" value=q.clone()/>
            </div>
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="skill">"Skill"</label>
                <select class="nhsuk-select" id="skill" name="skill">
                    <option value="">"Any skill"</option>
                    {skill_options}
                </select>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
        </form>
    };
    let manage = editable.then(|| view! {
        <div class="skillmap-actions">
            <a class="nhsuk-button" href="/learning/catalogue/new">"Add a resource"</a>
            " "
            <a class="nhsuk-button nhsuk-button--secondary" href="/learning/catalogue.csv" download="learning-catalogue.csv">"Download the catalogue (CSV)"</a>
            " "
            <a class="nhsuk-button nhsuk-button--secondary" href="/learning/uptake">"Uptake by unit"</a>
        </div>
    });
    let shown = resources.len();
    let caption = if shown == total {
        format!("{total} resources")
    } else {
        format!("{shown} of {total} resources")
    };
    let list = if resources.is_empty() {
        let msg = if total == 0 {
            "The catalogue is empty.".to_string()
        } else {
            "No resources match. Try other words, or any skill.".to_string()
        };
        view! { <p role="status">{msg}</p> }.into_any()
    } else {
        let mut headers = vec!["Resource", "Format", "Time", "Cost", "Develops"];
        if editable {
            headers.push("Action");
        }
        let rows = resources
            .into_iter()
            .map(|r| {
                let develops = skill_list(&r.covers, &skills);
                let title = match r.url.clone() {
                    Some(url) => view! { <a href=url rel="noopener">{r.title.clone()}</a> }.into_any(),
                    None => view! { <span>{r.title.clone()}</span> }.into_any(),
                };
                let retired = r.retired.then(|| view! { " " <strong class="nhsuk-tag nhsuk-tag--grey">"Retired"</strong> });
                let actions = editable.then(|| {
                    let edit = format!("/learning/catalogue/{}", r.id);
                    let edit_label = format!("Change {}", r.title);
                    let remove_label = format!("Remove {}", r.title);
                    let remove = (!r.retired).then(|| view! {
                        <form method="post" action=RemoveResource::PATH class="skillmap-inline-form">
                            <input type="hidden" name="resource_id" value=r.id.to_string()/>
                            <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small skillmap-table-button" type="submit" aria-label=remove_label>"Remove"</button>
                        </form>
                    });
                    view! {
                        <Cell head="Action">
                            <a href=edit aria-label=edit_label>"Change"</a>
                            {remove}
                        </Cell>
                    }
                });
                view! {
                    <tr role="row" class="nhsuk-table__row">
                        <Cell head="Resource">
                            {title}{retired}
                            <span class="nhsuk-body-s skillmap-muted skillmap-block">{format!("{} ({})", r.provider, r.code)}</span>
                            <span class="nhsuk-body-s skillmap-block">{r.description.clone()}</span>
                        </Cell>
                        <Cell head="Format">{format_label(&r.format)}</Cell>
                        <Cell head="Time">{duration(r.minutes)}</Cell>
                        <Cell head="Cost">{cost_text(r.cost_pence)}</Cell>
                        <Cell head="Develops">{develops}</Cell>
                        {actions}
                    </tr>
                }
            })
            .collect_view();
        view! { <div data-testid="catalogue"><Table caption=caption headers=headers>{rows}</Table></div> }.into_any()
    };
    let import = editable.then(|| view! {
        <h2>"Import resources"</h2>
        <p>"Upload a CSV or Excel file with the columns of the download: Code, Title, Provider, Link, Format, Minutes, Cost (GBP), Skills, Description. Resources are matched by code: new codes are added, known ones changed. Skillmap checks every row first; if any row has a problem, nothing changes."</p>
        <form method="post" action=ImportCatalogue::PATH enctype="multipart/form-data">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="file">"Catalogue file"</label>
                <div class="nhsuk-hint" id="file-hint">"Skills are written as a skill code and two levels, separated by semicolons: DAT-VIS 2-3; DAT-ANA 1-2."</div>
                <input class="nhsuk-file-upload" id="file" name="file" type="file" accept=".csv,.xlsx" aria-describedby="file-hint"/>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Import"</button>
        </form>
    });
    view! {
        <p>"Free and low-cost learning for digital, data and integrative leadership skills, each mapped to the skills and levels it develops. Recommendations come from this catalogue."</p>
        {manage}
        {search}
        {list}
        {import}
    }
}

/// Adding or changing a resource: HR and administrators.
#[component]
pub fn ResourceEditPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok());
    let errors = StoredValue::new(
        url_error(SaveResource::PATH)
            .map(|e| e.field_errors())
            .unwrap_or_default(),
    );
    let load = move || async move {
        let skills: Vec<(String, String)> = crate::framework::api::current_framework(None)
            .await?
            .skills()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect();
        let resource = match id {
            Some(id) => Some(learning_resource(id).await?),
            None => None,
        };
        Ok::<_, AppError>((resource, skills))
    };
    page!("/learning/catalogue", load(), |user, data| {
        let (resource, skills) = data;
        if !user
            .as_ref()
            .is_some_and(|u| u.is_one_of(&[Role::Hr, Role::Admin]))
        {
            view! { <ErrorPage error=AppError::Forbidden/> }.into_any()
        } else {
            let heading = match &resource {
                Some(r) => format!("Change \u{201c}{}\u{201d}", r.title),
                None => "Add a learning resource".to_string(),
            };
            let input = resource
                .as_ref()
                .map(input_of)
                .unwrap_or_else(|| ResourceInput {
                    format: "e-learning".into(),
                    cost: "0".into(),
                    ..Default::default()
                });
            let retired = resource.as_ref().is_some_and(|r| r.retired).then(|| view! {
            <p class="nhsuk-inset-text">"This resource is retired: it is not recommended. Saving it brings it back."</p>
        });
            view! {
            <Title text=format!("{heading} - Skillmap")/>
            <a class="nhsuk-back-link" href="/learning/catalogue">"Back to the catalogue"</a>
            <h1>{heading}</h1>
            {retired}
            <ResourceForm resource_id=resource.map(|r| r.id) input=input errors=errors.get_value() skills=skills/>
        }
        .into_any()
        }
    })
}

fn input_of(r: &super::model::Resource) -> ResourceInput {
    ResourceInput {
        code: r.code.clone(),
        title: r.title.clone(),
        provider: r.provider.clone(),
        url: r.url.clone().unwrap_or_default(),
        format: r.format.clone(),
        minutes: r.minutes.to_string(),
        cost: pounds(r.cost_pence),
        description: r.description.clone(),
        skills: coverage_text(&r.covers),
    }
}

/// The resource form. Without JavaScript it is a plain form post. Once
/// interactive it checks the fields with the server's own rules before
/// sending (instant feedback, and no request that can only be refused),
/// then saves in the background: a problem is shown next to its field and
/// nothing typed is lost.
#[island]
fn ResourceForm(
    resource_id: Option<i32>,
    input: ResourceInput,
    errors: Vec<FieldError>,
    skills: Vec<(String, String)>,
) -> impl IntoView {
    let save = ServerAction::<SaveResource>::new();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let values = StoredValue::new(
        FIELDS
            .iter()
            .map(|(name, _)| {
                let v = match *name {
                    "code" => input.code.clone(),
                    "title" => input.title.clone(),
                    "provider" => input.provider.clone(),
                    "url" => input.url.clone(),
                    "format" => input.format.clone(),
                    "minutes" => input.minutes.clone(),
                    "cost" => input.cost.clone(),
                    "skills" => input.skills.clone(),
                    _ => input.description.clone(),
                };
                (*name, RwSignal::new(v))
            })
            .collect::<Vec<_>>(),
    );
    let value = move |name: &str| {
        values
            .get_value()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
            .expect("a known field")
    };
    let shown = RwSignal::new(errors);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(id)) => {
            let _ = window()
                .location()
                .set_href(&format!("/learning/catalogue?saved={id}"));
        }
        Some(Err(e)) => shown.set(e.field_errors()),
        None => {}
    });
    let codes: std::collections::HashSet<String> = skills.iter().map(|(c, _)| c.clone()).collect();
    let codes = StoredValue::new(codes);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let get = |n: &str| value(n).get_untracked();
        let input = ResourceInput {
            code: get("code"),
            title: get("title"),
            provider: get("provider"),
            url: get("url"),
            format: get("format"),
            minutes: get("minutes"),
            cost: get("cost"),
            description: get("description"),
            skills: get("skills"),
        };
        if let Err(errors) = validate_resource(&input, &codes.get_value()) {
            shown.set(errors);
            return;
        }
        shown.set(Vec::new());
        save.dispatch(SaveResource {
            resource_id,
            code: input.code,
            title: input.title,
            provider: input.provider,
            url: input.url,
            format: input.format,
            minutes: input.minutes,
            cost: input.cost,
            description: input.description,
            skills: input.skills,
        });
    };
    let message = move |field: &'static str| {
        move || {
            shown
                .get()
                .into_iter()
                .find(|e| e.field == field)
                .map(|e| e.message)
        }
    };
    let error_span = move |name: &'static str| {
        let msg = message(name);
        move || {
            msg().map(|m| {
                view! {
                    <span class="nhsuk-error-message" id=format!("{name}-error")>
                        <span class="nhsuk-u-visually-hidden">"Error: "</span>{m}
                    </span>
                }
            })
        }
    };
    let field = move |name: &'static str,
                      label: &'static str,
                      hint: Option<String>,
                      class: &'static str| {
        let msg = message(name);
        let has_hint = hint.is_some();
        let described = move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(format!("{name}-hint"));
            }
            if msg().is_some() {
                ids.push(format!("{name}-error"));
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        };
        let v = value(name);
        view! {
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=move || msg().is_some()>
                <label class="nhsuk-label" for=name>{label}</label>
                {hint.map(|h| view! { <div class="nhsuk-hint" id=format!("{name}-hint")>{h}</div> })}
                {error_span(name)}
                <input
                    class=format!("nhsuk-input {class}")
                    class:nhsuk-input--error=move || msg().is_some()
                    id=name
                    name=name
                    type="text"
                    value=v.get_untracked()
                    prop:value=move || v.get()
                    on:input=move |ev| v.set(event_target_value(&ev))
                    aria-describedby=described
                    spellcheck="false"
                />
            </div>
        }
    };
    let format = value("format");
    let description = value("description");
    let formats = FORMATS
        .iter()
        .map(|(code, label)| {
            let selected = format.get_untracked() == *code;
            view! { <option value=*code selected=selected>{*label}</option> }
        })
        .collect_view();
    let skill_codes = skills
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join("; ");
    let format_msg = message("format");
    let description_msg = message("description");
    view! {
        <div class="skillmap-resource-form" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <div aria-live="polite">{move || view! { <ErrorSummary errors=shown.get()/> }}</div>
            <form method="post" action=SaveResource::PATH novalidate on:submit=submit>
                {resource_id.map(|id| view! { <input type="hidden" name="resource_id" value=id.to_string()/> })}
                {field("title", "Title", None, "")}
                {field("provider", "Provider", Some("Who publishes it, like NHS England".into()), "nhsuk-input--width-20")}
                {field("url", "Link", Some("The full web address. Mentoring and on-the-job learning may have none.".into()), "")}
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=move || format_msg().is_some()>
                    <label class="nhsuk-label" for="format">"Format"</label>
                    {error_span("format")}
                    <select class="nhsuk-select" id="format" name="format" on:change=move |ev| format.set(event_target_value(&ev))>{formats}</select>
                </div>
                {field("minutes", "Time to complete, in minutes", None, "nhsuk-input--width-5")}
                {field("cost", "Cost in pounds", Some("0 for free".into()), "nhsuk-input--width-5")}
                {field("skills", "Skills it develops", Some(format!("A skill code and the levels it takes people from and to (0 Not yet, 1 Awareness, 2 Working, 3 Practitioner, 4 Expert), separated by semicolons: DAT-VIS 2-3; DAT-ANA 1-2. Codes: {skill_codes}.")), "")}
                {field("code", "Code", Some("A short unique code, like LR-101".into()), "nhsuk-input--width-10")}
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=move || description_msg().is_some()>
                    <label class="nhsuk-label" for="description">"Description (optional)"</label>
                    {error_span("description")}
                    <textarea
                        class="nhsuk-textarea"
                        id="description"
                        name="description"
                        rows="3"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))
                    >
                        {description.get_untracked()}
                    </textarea>
                </div>
                <button class="nhsuk-button" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving..." } else { "Save resource" }}
                </button>
            </form>
        </div>
    }
}

// ---------------------------------------------------------------------------
// Progress.

#[component]
pub fn TeamLearningPage() -> impl IntoView {
    let manager = query("manager").and_then(|m| m.parse::<i32>().ok());
    page!(
        "/team",
        TeamChoice::load(manager, get_team_learning),
        |data| data.show(
            manager,
            "/team/learning",
            "Team learning",
            "Choose a manager to see their team's learning pathways.",
            team_table
        )
    )
}

fn team_table(t: TeamLearning) -> impl IntoView {
    let with = t.rows.iter().filter(|r| r.steps > 0).count();
    let people = t.rows.len();
    let body = if t.rows.is_empty() {
        view! { <p>{format!("No one reports to {} yet.", t.manager_name)}</p> }.into_any()
    } else {
        let rows = t
            .rows
            .into_iter()
            .map(|r| {
                let href = format!("/people/{}/skills", r.person_id);
                let progress = if r.steps == 0 {
                    "No pathway yet".to_string()
                } else {
                    format!("{} of {} done", r.done, r.steps)
                };
                view! {
                    <tr role="row" class="nhsuk-table__row">
                        <th role="rowheader" scope="row" class="nhsuk-table__header skillmap-row-header"><CellHeading head="Person"/><a href=href>{r.name}</a><span class="nhsuk-body-s skillmap-muted skillmap-block">{r.job_title.unwrap_or_default()}</span></th>
                        <Cell head="Steps">{progress}</Cell>
                        <Cell head="In progress">{r.started}</Cell>
                        <Cell head="Next step">{r.next_step.unwrap_or_else(|| "-".into())}</Cell>
                        <Cell head="Last change">{r.last_activity.unwrap_or_else(|| "-".into())}</Cell>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div data-testid="team-learning">
                <Table caption=format!("Learning pathways of {}'s team", t.manager_name) headers=vec!["Person", "Steps", "In progress", "Next step", "Last change"]>{rows}</Table>
            </div>
        }
        .into_any()
    };
    view! {
        <h1>{format!("Team learning: {}", t.manager_name)}</h1>
        <p>{format!("{with} of {people} people have a learning pathway.")}</p>
        {body}
    }
}

#[component]
pub fn UptakePage() -> impl IntoView {
    page!("/learning/catalogue", learning_uptake(), |rows| view! {
        <Title text="Learning uptake - Skillmap"/>
        <a class="nhsuk-back-link" href="/learning/catalogue">"Back to the catalogue"</a>
        <h1>"Learning uptake by unit"</h1>
        <p>"How many people in each unit (its own members) have accepted a learning pathway, and how far they are."</p>
        <UptakeTable rows=rows/>
    })
}

fn percent(n: u32, of: u32) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{}%", (f64::from(n) * 100.0 / f64::from(of)).round())
    }
}

#[component]
fn UptakeTable(rows: Vec<UptakeRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p>"There are no staff yet."</p> }.into_any();
    }
    let (staff, with, steps, done, completed) = rows.iter().fold((0, 0, 0, 0, 0), |a, r| {
        (
            a.0 + r.staff,
            a.1 + r.with_pathway,
            a.2 + r.steps,
            a.3 + r.done,
            a.4 + r.completed,
        )
    });
    let body = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <th role="rowheader" scope="row" class="nhsuk-table__header skillmap-row-header"><CellHeading head="Unit"/>{r.unit_name}</th>
                    <Cell head="Staff">{r.staff}</Cell>
                    <Cell head="With a pathway">{format!("{} ({})", r.with_pathway, percent(r.with_pathway, r.staff))}</Cell>
                    <Cell head="Steps done">{format!("{} of {}", r.done, r.steps)}</Cell>
                    <Cell head="Pathways finished">{r.completed}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div data-testid="uptake">
            <Table caption="Learning pathways by unit" headers=vec!["Unit", "Staff", "With a pathway", "Steps done", "Pathways finished"]>
                {body}
                <tr role="row" class="nhsuk-table__row skillmap-total">
                    <th role="rowheader" scope="row" class="nhsuk-table__header"><CellHeading head="Unit"/>"All units"</th>
                    <Cell head="Staff">{staff}</Cell>
                    <Cell head="With a pathway">{format!("{with} ({})", percent(with, staff))}</Cell>
                    <Cell head="Steps done">{format!("{done} of {steps}")}</Cell>
                    <Cell head="Pathways finished">{completed}</Cell>
                </tr>
            </Table>
        </div>
    }
    .into_any()
}
