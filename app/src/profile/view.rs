//! "My skills", one skill at a time, the gap view, history, and the
//! manager's review pages.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{
    ReviewAssessment, SaveAssessment, assessment_history, get_profile, pending_reviews,
};
use super::model::{
    AssessmentView, CONFIDENCE, HistoryEntry, ProfileItem, ProfileView, SelfAssessmentInput,
    Status, confidence_name, gap, gap_text, validate_self,
};
use crate::auth::api::whoami;
use crate::error::{AppError, FieldError};
use crate::framework::model::{LEVELS, level_label};
use crate::ui::{
    Cell, CellHeading, ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, page, url_error,
};

fn level_cell(level: Option<u8>) -> String {
    level.map(level_label).unwrap_or_else(|| "-".into())
}

fn status_tag(a: Option<&AssessmentView>) -> AnyView {
    match a.map(|a| a.status) {
        None => {
            view! { <strong class="nhsuk-tag nhsuk-tag--grey">"Not started"</strong> }.into_any()
        }
        Some(Status::Pending) => {
            view! { <strong class="nhsuk-tag nhsuk-tag--yellow">"Waiting for agreement"</strong> }
                .into_any()
        }
        Some(Status::Agreed) => {
            view! { <strong class="nhsuk-tag nhsuk-tag--green">"Agreed"</strong> }.into_any()
        }
    }
}

#[component]
pub fn MySkillsPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let reviewed = query.get("reviewed").and_then(|v| v.parse::<usize>().ok());
    // Levels just brought in from a skills passport (`privacy`).
    let imported = query.get("passport").and_then(|v| v.parse::<usize>().ok());
    let load = || async {
        let profile = get_profile(None).await?;
        let review = super::api::review_status().await?;
        Ok::<_, AppError>((profile, review))
    };
    page!("/skills", load(), |loaded| {
        let (profile, review) = loaded;
        view! {
            <Title text="My skills - Skillmap"/>
            {imported.map(|n| view! {
                <div class="nhsuk-inset-text" role="status" data-testid="passport-imported">
                    <span class="nhsuk-u-visually-hidden">"Information: "</span>
                    <p>{match n {
                        0 => "Your skills passport is imported: it had nothing to add.".to_string(),
                        1 => "1 level from your skills passport is now yours; your manager will be asked to agree it.".to_string(),
                        n => format!("{n} levels from your skills passport are now yours; your manager will be asked to agree them."),
                    }}</p>
                </div>
            })}
            <ReviewBanner status=review reviewed=reviewed/>
            <MySkills profile=profile/>
        }
    })
}

/// When the person's next skills review is due, and the way into it.
#[component]
fn ReviewBanner(status: super::model::ReviewStatus, reviewed: Option<usize>) -> impl IntoView {
    use super::cycle::ReviewState;
    let done = reviewed.map(|changed| {
        let what = match changed {
            0 => "You confirmed every level.".to_string(),
            1 => "You changed 1 level; your manager will be asked to agree it.".to_string(),
            n => format!("You changed {n} levels; your manager will be asked to agree them."),
        };
        view! {
            <div class="nhsuk-inset-text" role="status" data-testid="review-done">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>{format!("Your skills review is complete. {what}")}</p>
            </div>
        }
    });
    let state = status.due.state;
    let panel = match state {
        ReviewState::Off | ReviewState::NotStarted => None,
        ReviewState::UpToDate => Some(
            view! {
                <p class="nhsuk-body" data-testid="review-status">
                    {status.text.clone()}
                    {status.last.clone().map(|l| format!(" You last reviewed it on {l}."))}
                    " "<a href="/skills/review">"Review your skills now"</a>
                </p>
            }
            .into_any(),
        ),
        ReviewState::DueSoon | ReviewState::Overdue => {
            let label = if state == ReviewState::Overdue {
                "Overdue"
            } else {
                "Due soon"
            };
            Some(view! {
                <div class="nhsuk-warning-callout" data-testid="review-status">
                    <h2 class="nhsuk-warning-callout__label">
                        <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>{format!("Skills review: {label}")}</span>
                    </h2>
                    <p>{status.text.clone()}" Look over each level: confirm it is still right, or change it."</p>
                    <a class="nhsuk-button nhsuk-u-margin-bottom-0" href="/skills/review">"Start your review"</a>
                </div>
            }.into_any())
        }
    };
    view! { {done}{panel} }
}

#[component]
pub fn SkillsReviewPage() -> impl IntoView {
    let error = StoredValue::new(url_error(super::api::CompleteReview::PATH));
    page!("/skills", super::api::review_form(), |form| {
        let error = error.get_value();
        view! { <SkillsReview form=form error=error/> }
    })
}

#[component]
fn SkillsReview(form: super::model::ReviewForm, error: Option<AppError>) -> impl IntoView {
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let problem = error
        .as_ref()
        .filter(|e| e.field_errors().is_empty())
        .map(|e| view! { <p class="nhsuk-error-message">{e.to_string()}</p> });
    if form.items.is_empty() {
        return view! {
            <Title text="Review your skills - Skillmap"/>
            <h1>"Review your skills"</h1>
            <p data-testid="review-empty">"You have not assessed any skills yet, so there is nothing to review. "<a href="/skills">"Start your skills profile"</a>"."</p>
        }
        .into_any();
    }
    let rows = form
        .items
        .into_iter()
        .map(|item| {
            let id = format!("answer-{}", item.code);
            let message = errors
                .iter()
                .find(|e| e.field == item.code)
                .map(|e| e.message.clone());
            let has_error = message.is_some();
            let agreed = match item.agreed {
                Some(a) if a == item.level => "agreed by your manager".to_string(),
                Some(a) => format!("your manager agreed {}", level_label(a)),
                None => "not agreed yet".to_string(),
            };
            let options = LEVELS
                .iter()
                .map(|(n, _)| {
                    let n = *n;
                    view! { <option value=n.to_string()>{format!("Change to {}", level_label(n))}</option> }
                })
                .collect_view();
            let evidence = (!item.evidence.trim().is_empty()).then(|| {
                view! { <p class="nhsuk-body-s skillmap-muted">{format!("Your evidence: {}", item.evidence)}</p> }
            });
            view! {
                <div class="nhsuk-form-group" class:nhsuk-form-group--error=has_error>
                    <label class="nhsuk-label nhsuk-label--s" for=id.clone()>{item.name.clone()}</label>
                    <div class="nhsuk-hint" id=format!("{id}-hint")>{format!("You said {} ({agreed}).", level_label(item.level))}</div>
                    {message.map(|m| view! { <span class="nhsuk-error-message"><span class="nhsuk-u-visually-hidden">"Error: "</span>{m}</span> })}
                    <select class="nhsuk-select" id=id.clone() name=format!("answers[{}]", item.code) aria-describedby=format!("{id}-hint")>
                        <option value="keep" selected=true>{format!("Still right: {}", level_label(item.level))}</option>
                        {options}
                    </select>
                    {evidence}
                </div>
            }
        })
        .collect_view();
    view! {
        <Title text="Review your skills - Skillmap"/>
        <ErrorSummary errors=errors.clone()/>
        <a class="nhsuk-back-link" href="/skills">"Back to my skills"</a>
        <h1>"Review your skills"</h1>
        <p class="nhsuk-lede-text">{form.status.text.clone()}</p>
        <p>"For each skill, keep your level if it is still right, or choose the level that describes you now. A changed level goes to your manager to agree, as any change does."</p>
        {problem}
        <form method="post" action=super::api::CompleteReview::PATH data-testid="review-form">
            {rows}
            <button class="nhsuk-button" type="submit">"Finish my review"</button>
        </form>
    }
    .into_any()
}

#[component]
fn MySkills(profile: ProfileView) -> impl IntoView {
    let p = profile.progress();
    let first_todo = profile
        .items
        .iter()
        .find(|i| i.assessment.is_none())
        .map(|i| format!("/skills/{}", i.skill.code));
    let retired = profile.retired;
    let (required, other): (Vec<ProfileItem>, Vec<ProfileItem>) = profile
        .items
        .into_iter()
        .partition(|i| i.requirement.is_some());
    let role = profile
        .person
        .job_title
        .clone()
        .unwrap_or_else(|| "your role".into());
    view! {
        <h1>
            <span class="nhsuk-caption-l">{format!("{} version {}", profile.framework_name, profile.framework_version)}</span>
            "My skills"
        </h1>
        <p class="nhsuk-lede-text">
            "Choose the level that honestly describes you for each skill, and add evidence. Your manager then agrees the levels. Everything saves as you go."
        </p>
        <div class="skillmap-progress" role="status">
            <p class="nhsuk-body-l nhsuk-u-margin-bottom-2">
                <strong>{format!("{} of {}", p.required_done, p.required_total)}</strong>
                {format!(" skills for {role} assessed")}
            </p>
            <progress max=p.required_total.max(1) value=p.required_done aria-label="Skills for your role assessed"></progress>
            <p class="nhsuk-body-s">
                {format!("{} of {} skills in the whole framework. {} waiting for your manager to agree.", p.all_done, p.all_total, p.pending)}
            </p>
        </div>
        {first_todo.map(|href| view! {
            <a class="nhsuk-button" href=href>{if p.all_done == 0 { "Start your assessment" } else { "Continue your assessment" }}</a>
        })}
        <p>
            <a href="/skills/gaps">"See your gaps against your role"</a>
            " | "
            <a href="/skills/history">"See the history of your assessments"</a>
            " | "
            <a href="/skills/interests">"Your interests and the expertise directory"</a>
        </p>
        <h2>{format!("Skills for {role}")}</h2>
        {if required.is_empty() {
            view! { <p>"Your job role has no required skills recorded yet. You can still assess any skill below."</p> }.into_any()
        } else {
            view! { <SkillTable items=required caption=format!("Skills for {role}")/> }.into_any()
        }}
        <h2>"Other skills in the framework"</h2>
        <SkillTable items=other caption="Other skills".to_string()/>
        {(!retired.is_empty()).then(|| {
            let rows = retired
                .into_iter()
                .map(|i| {
                    let own = level_cell(i.assessment.as_ref().map(|a| a.self_level));
                    let agreed = level_cell(i.assessment.as_ref().and_then(|a| a.agreed_level));
                    view! {
                        <tr role="row" class="nhsuk-table__row">
                            <Cell head="Skill">{i.skill.name}</Cell>
                            <Cell head="Assessed against">{i.skill.domain}</Cell>
                            <Cell head="Your level">{own}</Cell>
                            <Cell head="Agreed">{agreed}</Cell>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <h2>"Skills from earlier versions of the framework"</h2>
                <p>"The framework no longer has these skills. Your assessments of them are kept."</p>
                <Table caption="Skills from earlier versions" hide_caption=true headers=vec!["Skill", "Assessed against", "Your level", "Agreed"]>{rows}</Table>
            }
        })}
    }
}

#[component]
fn SkillTable(items: Vec<ProfileItem>, caption: String) -> impl IntoView {
    let rows = items
        .into_iter()
        .map(|i| {
            let href = format!("/skills/{}", i.skill.code);
            let action = if i.assessment.is_some() { "Change" } else { "Assess" };
            let label = format!("{action} {}", i.skill.name);
            let required = i
                .requirement
                .map(|r| format!("{}{}", level_label(r.level), if r.essential { "" } else { " (desirable)" }))
                .unwrap_or_else(|| "-".into());
            let own = level_cell(i.assessment.as_ref().map(|a| a.self_level));
            let agreed = level_cell(i.assessment.as_ref().and_then(|a| a.agreed_level));
            let status = status_tag(i.assessment.as_ref());
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="Skill">
                        {i.skill.name.clone()}
                        <span class="nhsuk-body-s skillmap-muted">{format!(" {}", i.skill.domain)}</span>
                        {i.develop.then(|| view! { <strong class="nhsuk-tag nhsuk-tag--blue skillmap-tag">"Want to develop"</strong> })}
                        {i.help.then(|| view! { <strong class="nhsuk-tag nhsuk-tag--green skillmap-tag">"Will help others"</strong> })}
                    </Cell>
                    <Cell head="Required">{required}</Cell>
                    <Cell head="Your level">{own}</Cell>
                    <Cell head="Agreed">{agreed}</Cell>
                    <Cell head="Status">{status}</Cell>
                    <Cell head="Action"><a href=href aria-label=label>{action}</a></Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption=caption hide_caption=true headers=vec!["Skill", "Required", "Your level", "Agreed", "Status", "Action"]>{rows}</Table>
    }
}

#[component]
pub fn AssessSkillPage() -> impl IntoView {
    let code = StoredValue::new(
        use_params_map()
            .get_untracked()
            .get("code")
            .unwrap_or_default(),
    );
    let errors = StoredValue::new(
        url_error(SaveAssessment::PATH)
            .map(|e| e.field_errors())
            .unwrap_or_default(),
    );
    page!("/skills", get_profile(None), |profile| view! {
        <AssessSkill profile=profile code=code.get_value() errors=errors.get_value()/>
    })
}

#[component]
fn AssessSkill(profile: ProfileView, code: String, errors: Vec<FieldError>) -> impl IntoView {
    let Some(index) = profile.items.iter().position(|i| i.skill.code == code) else {
        return view! { <ErrorPage error=AppError::NotFound("That skill".into())/> }.into_any();
    };
    let total = profile.items.len();
    let next = profile
        .items
        .get(index + 1)
        .map(|i| format!("/skills/{}", i.skill.code))
        .unwrap_or_else(|| "/skills".into());
    let item = profile.items[index].clone();
    let a = item.assessment.clone();
    let outcome = a.as_ref().filter(|a| a.status == Status::Agreed).map(|a| {
        let who = a.reviewed_by.clone().unwrap_or_else(|| "Your manager".into());
        let when = a.reviewed_at.clone().unwrap_or_default();
        let agreed = a.agreed_level.map(level_label).unwrap_or_default();
        view! {
            <div class="nhsuk-inset-text" data-testid="agreement">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>{format!("{who} agreed level {agreed} on {when}.")}</p>
                {a.manager_comment.clone().map(|c| view! { <p>{format!("Their comment: \u{201c}{c}\u{201d}")}</p> })}
            </div>
        }
    });
    let required = item.requirement.map(|r| {
        format!(
            "Your role needs level {} ({}).",
            level_label(r.level),
            if r.essential {
                "essential"
            } else {
                "desirable"
            }
        )
    });
    view! {
        <Title text=format!("{} - My skills - Skillmap", item.skill.name)/>
        <a class="nhsuk-back-link" href="/skills">"Back to my skills"</a>
        <ErrorSummary errors=errors.clone()/>
        <span class="nhsuk-caption-l">{format!("{} \u{2013} skill {} of {total}", item.skill.domain, index + 1)}</span>
        <h1>{item.skill.name.clone()}</h1>
        <p>{item.skill.description.clone()}</p>
        {required.map(|r| view! { <p><strong>{r}</strong></p> })}
        {outcome}
        <SkillForm
            skill_code=item.skill.code.clone()
            skill_name=item.skill.name.clone()
            descriptors=item.skill.descriptors.clone()
            level=a.as_ref().map(|a| a.self_level)
            confidence=a.as_ref().and_then(|a| a.confidence)
            evidence=a.as_ref().map(|a| a.evidence.clone()).unwrap_or_default()
            evidence_url=a.as_ref().and_then(|a| a.evidence_url.clone()).unwrap_or_default()
            revision=a.as_ref().map(|a| a.revision).unwrap_or(0)
            next=next
            errors=errors
        />
    }
    .into_any()
}

/// The form for one skill. Without JavaScript it is a plain form that saves
/// and moves on to the next skill. Once interactive, every change saves at
/// once (and says so), so nothing is lost if the connection drops.
#[island]
#[allow(clippy::too_many_arguments)]
fn SkillForm(
    skill_code: String,
    skill_name: String,
    descriptors: Vec<String>,
    level: Option<u8>,
    confidence: Option<u8>,
    evidence: String,
    evidence_url: String,
    revision: i32,
    next: String,
    errors: Vec<FieldError>,
) -> impl IntoView {
    let level_sig = RwSignal::new(level);
    let confidence_sig = RwSignal::new(confidence);
    let evidence_sig = RwSignal::new(evidence.clone());
    let url_sig = RwSignal::new(evidence_url.clone());
    let revision_sig = RwSignal::new(revision);
    let status = RwSignal::new(String::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let save = ServerAction::<SaveAssessment>::new();
    // One save at a time: a change made while a save is in flight is sent
    // when it returns, with the new revision (never a stale one).
    let queued = RwSignal::new(false);
    // A problem found here, before sending; it stays shown until fixed,
    // whatever an earlier save's answer says.
    let local_problem = RwSignal::new(None::<String>);
    let skill = StoredValue::new(skill_code.clone());
    let send = move || {
        status.set("Saving...".into());
        save.dispatch(SaveAssessment {
            skill_code: skill.get_value(),
            level: level_sig.get_untracked(),
            confidence: confidence_sig.get_untracked(),
            evidence: Some(evidence_sig.get_untracked()),
            evidence_url: Some(url_sig.get_untracked()),
            revision: revision_sig.get_untracked(),
            next: None,
        });
    };
    let autosave = move || {
        if level_sig.get_untracked().is_none() {
            local_problem.set(Some("Choose a level to save this skill.".into()));
            return;
        }
        // The same rules as the server, checked here first: instant
        // feedback, and no request that can only be refused.
        let input = SelfAssessmentInput {
            skill_code: skill.get_value(),
            level: level_sig.get_untracked(),
            confidence: confidence_sig.get_untracked(),
            evidence: evidence_sig.get_untracked(),
            evidence_url: url_sig.get_untracked(),
            revision: revision_sig.get_untracked(),
        };
        if let Err(e) = validate_self(&input) {
            local_problem.set(Some(messages(e)));
            return;
        }
        local_problem.set(None);
        if save.pending().get_untracked() {
            queued.set(true);
        } else {
            send();
        }
    };
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(saved) => {
                    revision_sig.set(saved.revision);
                    if queued.get_untracked() {
                        queued.set(false);
                        send();
                    } else {
                        status.set("Saved".into());
                    }
                }
                Err(e) => {
                    queued.set(false);
                    status.set(messages(e));
                }
            }
        }
    });
    let shown_status = move || local_problem.get().unwrap_or_else(|| status.get());
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let level_error = message("level");
    let url_error_msg = message("evidence_url");
    let evidence_error = message("evidence");
    let level_error_shown = level_error.is_some();
    let url_error_msg_shown = url_error_msg.is_some();
    let evidence_error_shown = evidence_error.is_some();
    let level_options = LEVELS
        .iter()
        .map(|(l, name)| {
            let l = *l;
            let id = format!("level-{l}");
            let hint_id = format!("level-{l}-hint");
            let hint = if l == 0 {
                "I have not used or learned this skill yet.".to_string()
            } else {
                descriptors.get(usize::from(l) - 1).cloned().unwrap_or_default()
            };
            let save = autosave;
            view! {
                <div class="nhsuk-radios__item">
                    <input
                        class="nhsuk-radios__input"
                        id=id.clone()
                        name="level"
                        type="radio"
                        value=l.to_string()
                        checked=level == Some(l)
                        aria-describedby=hint_id.clone()
                        on:change=move |_| {
                            level_sig.set(Some(l));
                            save();
                        }
                    />
                    <label class="nhsuk-label nhsuk-radios__label" for=id>{format!("{l} {name}")}</label>
                    <div class="nhsuk-hint nhsuk-radios__hint" id=hint_id>{hint}</div>
                </div>
            }
        })
        .collect_view();
    let confidence_options = CONFIDENCE
        .iter()
        .map(|(c, name)| {
            let c = *c;
            let id = format!("confidence-{c}");
            let save = autosave;
            view! {
                <div class="nhsuk-radios__item">
                    <input
                        class="nhsuk-radios__input"
                        id=id.clone()
                        name="confidence"
                        type="radio"
                        value=c.to_string()
                        checked=confidence == Some(c)
                        on:change=move |_| {
                            confidence_sig.set(Some(c));
                            save();
                        }
                    />
                    <label class="nhsuk-label nhsuk-radios__label" for=id>{*name}</label>
                </div>
            }
        })
        .collect_view();
    let save_evidence = autosave;
    let save_url = autosave;
    view! {
        <form
            method="post"
            action=SaveAssessment::PATH
            novalidate
            class="skillmap-skill-form"
            data-hydrated=move || if hydrated.get() { "true" } else { "false" }
        >
            <input type="hidden" name="skill_code" value=skill_code/>
            <input type="hidden" name="revision" prop:value=move || revision_sig.get().to_string() value=revision.to_string()/>
            <input type="hidden" name="next" value=next/>
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=level_error_shown>
                <fieldset class="nhsuk-fieldset" id="level" aria-describedby="level-hint">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
                        {format!("Which level best describes you for {skill_name}?")}
                    </legend>
                    <div class="nhsuk-hint" id="level-hint">"Pick the highest level you can honestly show evidence for."</div>
                    <FieldErrorMessage id="level".to_string() message=level_error/>
                    <div class="nhsuk-radios">{level_options}</div>
                </fieldset>
            </div>
            <div class="nhsuk-form-group">
                <fieldset class="nhsuk-fieldset" id="confidence">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"How sure are you? (optional)"</legend>
                    <div class="nhsuk-radios nhsuk-radios--inline">{confidence_options}</div>
                </fieldset>
            </div>
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=evidence_error_shown>
                <label class="nhsuk-label nhsuk-label--s" for="evidence">"Evidence (optional)"</label>
                <div class="nhsuk-hint" id="evidence-hint">"What have you done that shows this level? For example a course, a project or feedback."</div>
                <FieldErrorMessage id="evidence".to_string() message=evidence_error/>
                <textarea
                    class="nhsuk-textarea"
                    id="evidence"
                    name="evidence"
                    rows="4"
                    aria-describedby="evidence-hint"
                    on:input=move |ev| evidence_sig.set(event_target_value(&ev))
                    on:change=move |_| save_evidence()
                >
                    {evidence}
                </textarea>
            </div>
            <div class="nhsuk-form-group" class:nhsuk-form-group--error=url_error_msg_shown>
                <label class="nhsuk-label nhsuk-label--s" for="evidence_url">"Link to evidence (optional)"</label>
                <div class="nhsuk-hint" id="evidence_url-hint">"A web address starting with https://"</div>
                <FieldErrorMessage id="evidence_url".to_string() message=url_error_msg/>
                <input
                    class="nhsuk-input"
                    id="evidence_url"
                    name="evidence_url"
                    type="url"
                    value=evidence_url
                    aria-describedby="evidence_url-hint"
                    spellcheck="false"
                    on:input=move |ev| url_sig.set(event_target_value(&ev))
                    on:change=move |_| save_url()
                />
            </div>
            <p class="skillmap-save-status" role="status" aria-live="polite">{shown_status}</p>
            <button class="nhsuk-button" type="submit">"Save and continue"</button>
        </form>
    }
}

/// An error as one sentence or more, for the save status line.
fn messages(e: AppError) -> String {
    match e {
        AppError::Validation(errs) => errs
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join(". "),
        other => other.to_string(),
    }
}

#[component]
pub fn GapsPage() -> impl IntoView {
    page!("/skills", get_profile(None), |profile| view! {
        <Title text="My gaps - Skillmap"/>
        <a class="nhsuk-back-link" href="/skills">"Back to my skills"</a>
        <h1>"Your gaps against your role"</h1>
        <GapTable profile=profile/>
    })
}

/// Required vs self-assessed vs agreed, with the gap in words.
#[component]
pub fn GapTable(profile: ProfileView) -> impl IntoView {
    let own = profile.editable;
    let role = profile
        .person
        .job_title
        .clone()
        .unwrap_or_else(|| "this role".into());
    let rows: Vec<_> = profile
        .items
        .into_iter()
        .filter_map(|i| i.requirement.map(|r| (i.skill, r, i.assessment, i.develop)))
        .collect();
    if rows.is_empty() {
        return view! { <p>{format!("{role} has no required skills recorded yet.")}</p> }
            .into_any();
    }
    let body = rows
        .into_iter()
        .map(|(skill, req, a, develop)| {
            let counted = a.as_ref().map(|a| a.effective_level());
            let keen = develop.then(|| view! { <strong class="nhsuk-tag nhsuk-tag--blue skillmap-tag">{if own { "You'd like to develop this" } else { "Would like to develop this" }}</strong> });
            let g = gap(req.level, counted);
            let gap_class = if counted.is_none() {
                "nhsuk-tag nhsuk-tag--grey"
            } else if g == 0 {
                "nhsuk-tag nhsuk-tag--green"
            } else if g == 1 {
                "nhsuk-tag nhsuk-tag--yellow"
            } else {
                "nhsuk-tag nhsuk-tag--red"
            };
            let self_level = level_cell(a.as_ref().map(|a| a.self_level));
            let agreed = level_cell(a.as_ref().and_then(|a| a.agreed_level));
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <th role="rowheader" scope="row" class="nhsuk-table__header skillmap-row-header">
                        <CellHeading head="Skill"/>
                        {skill.name}
                        <span class="nhsuk-body-s skillmap-muted">{if req.essential { " Essential" } else { " Desirable" }}</span>
                        {keen}
                    </th>
                    <Cell head="Required">{level_label(req.level)}</Cell>
                    <Cell head="Own level">{self_level}</Cell>
                    <Cell head="Agreed">{agreed}</Cell>
                    <Cell head="Gap"><strong class=gap_class>{gap_text(req.level, counted)}</strong></Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p>{if own {
            "The gap counts your agreed level where your manager has agreed one, and your own level until then."
        } else {
            "The gap counts their agreed level where a manager has agreed one, and their own level until then."
        }}</p>
        <div data-testid="gap-table"><Table caption=format!("Skills for {role}") headers=vec!["Skill", "Required", "Own level", "Agreed", "Gap"]>{body}</Table></div>
    }
    .into_any()
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    page!("/skills", assessment_history(None), |entries| view! {
        <Title text="Assessment history - Skillmap"/>
        <a class="nhsuk-back-link" href="/skills">"Back to my skills"</a>
        <h1>"History of your assessments"</h1>
        <History entries=entries/>
    })
}

#[component]
fn History(entries: Vec<HistoryEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p>"Nothing has been assessed yet."</p> }.into_any();
    }
    let rows = entries
        .into_iter()
        .map(|e| {
            let summary = e.summary();
            view! {
                <tr role="row" class="nhsuk-table__row">
                    <Cell head="When">{e.at}</Cell>
                    <Cell head="Skill">{e.skill_name}</Cell>
                    <Cell head="Change">{summary}</Cell>
                    <Cell head="Comment">{e.comment.unwrap_or_default()}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table caption="Changes, newest first" hide_caption=true headers=vec!["When", "Skill", "Change", "Comment"]>{rows}</Table>
    }
    .into_any()
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let load = || async {
        let pending = pending_reviews().await?;
        let overdue = super::api::overdue_reviews().await?;
        Ok::<_, AppError>((pending, overdue))
    };
    page!("/team/reviews", load(), |loaded| {
        let (pending, overdue) = loaded;
        let body = if pending.is_empty() {
            view! { <p role="status">"Nobody you manage has levels waiting for you to agree."</p> }
                .into_any()
        } else {
            let rows = pending
                .into_iter()
                .map(|r| {
                    let href = format!("/people/{}/skills", r.person.id);
                    view! {
                        <tr role="row" class="nhsuk-table__row">
                            <Cell head="Name"><a href=href>{r.person.name}</a></Cell>
                            <Cell head="Job role">{r.person.job_title.unwrap_or_default()}</Cell>
                            <Cell head="Team">{r.person.team}</Cell>
                            <Cell head="Levels to agree">{r.pending}</Cell>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <Table caption="People with levels to agree" hide_caption=true headers=vec!["Name", "Job role", "Team", "Levels to agree"]>{rows}</Table>
            }
            .into_any()
        };
        view! {
            <Title text="Levels to agree - Skillmap"/>
            <h1>"Levels to agree"</h1>
            <p>"People you manage who have assessed skills that you have not agreed yet."</p>
            {body}
            <OverdueReviews overdue=overdue/>
        }
    })
}

/// People the manager manages whose skills review is overdue.
#[component]
fn OverdueReviews(overdue: Vec<super::model::OverdueReview>) -> impl IntoView {
    let body = if overdue.is_empty() {
        view! { <p role="status" data-testid="no-overdue">"Nobody you manage is overdue for their skills review."</p> }
            .into_any()
    } else {
        let rows = overdue
            .into_iter()
            .map(|r| {
                view! {
                    <tr role="row" class="nhsuk-table__row" data-testid="overdue-row">
                        <Cell head="Name"><a href=format!("/people/{}/skills", r.person_id)>{r.name}</a></Cell>
                        <Cell head="Team">{r.team}</Cell>
                        <Cell head="Was due">{r.due}</Cell>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <Table caption="People overdue for their skills review" hide_caption=true headers=vec!["Name", "Team", "Was due"]>{rows}</Table>
        }
        .into_any()
    };
    view! {
        <h2>"Skills reviews overdue"</h2>
        <p>"People you manage who have not reviewed their skills profile this cycle. Skillmap reminds them; a word from you helps."</p>
        {body}
    }
}

#[component]
pub fn PersonSkillsPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse::<i32>().ok());
    let errors = StoredValue::new(
        url_error(ReviewAssessment::PATH)
            .map(|e| e.field_errors())
            .unwrap_or_default(),
    );
    let load = move || async move {
        match id {
            Some(id) => get_profile(Some(id)).await,
            None => Err(AppError::NotFound("That person".into())),
        }
    };
    page!("/team/reviews", load(), |profile| view! {
        <PersonSkills profile=profile errors=errors.get_value()/>
    })
}

#[component]
fn PersonSkills(profile: ProfileView, errors: Vec<FieldError>) -> impl IntoView {
    let name = profile.person.name.clone();
    let can_review = profile.can_review;
    let person_id = profile.person.id;
    let assessed: Vec<ProfileItem> = profile
        .items
        .iter()
        .filter(|i| i.assessment.is_some())
        .cloned()
        .collect();
    let cards = if assessed.is_empty() {
        view! { <p>{format!("{name} has not assessed any skills yet.")}</p> }.into_any()
    } else {
        assessed
            .into_iter()
            .map(|i| view! { <ReviewCard item=i person_id=person_id can_review=can_review/> })
            .collect_view()
            .into_any()
    };
    view! {
        <Title text=format!("Skills of {name} - Skillmap")/>
        <ErrorSummary errors=errors/>
        <span class="nhsuk-caption-l">{profile.person.job_title.clone().unwrap_or_default()}</span>
        <h1>{format!("Skills of {name}")}</h1>
        <h2>"Gaps against their role"</h2>
        <GapTable profile=profile/>
        <h2>"Assessed skills"</h2>
        {cards}
    }
}

#[component]
fn ReviewCard(item: ProfileItem, person_id: i32, can_review: bool) -> impl IntoView {
    let a = item.assessment.expect("only assessed skills are reviewed");
    let code = item.skill.code.clone();
    let heading_id = format!("review-{code}");
    let pending = a.status == Status::Pending;
    let form = can_review.then(|| {
        let level_id = format!("{code}-level");
        let comment_id = format!("{code}-comment");
        let options = LEVELS
            .iter()
            .map(|(l, n)| {
                view! { <option value=l.to_string() selected=a.agreed_level.unwrap_or(a.self_level) == *l>{format!("{l} {n}")}</option> }
            })
            .collect_view();
        view! {
            <form method="post" action=ReviewAssessment::PATH class="skillmap-review-form" aria-labelledby=heading_id.clone()>
                <input type="hidden" name="person_id" value=person_id.to_string()/>
                <input type="hidden" name="skill_code" value=code.clone()/>
                <input type="hidden" name="revision" value=a.revision.to_string()/>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit" name="decision" value="agree">
                    {format!("Agree level {}", level_label(a.self_level))}
                </button>
                <details class="nhsuk-details">
                    <summary class="nhsuk-details__summary">
                        <span class="nhsuk-details__summary-text">"Set a different level"</span>
                    </summary>
                    <div class="nhsuk-details__text">
                        <div class="nhsuk-form-group">
                            <label class="nhsuk-label" for=level_id.clone()>"Agreed level"</label>
                            <select class="nhsuk-select" id=level_id name="level">{options}</select>
                        </div>
                        <div class="nhsuk-form-group">
                            <label class="nhsuk-label" for=comment_id.clone()>"Why? They will see this comment"</label>
                            <textarea class="nhsuk-textarea" id=comment_id name="comment" rows="3"></textarea>
                        </div>
                        <button class="nhsuk-button" type="submit" name="decision" value="change">"Save the different level"</button>
                    </div>
                </details>
            </form>
        }
    });
    view! {
        <section class="nhsuk-card">
            <div class="nhsuk-card__content">
                <h3 class="nhsuk-card__heading" id=heading_id>{item.skill.name.clone()}</h3>
                <dl class="nhsuk-summary-list">
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Their level"</dt>
                        <dd class="nhsuk-summary-list__value">
                            {level_label(a.self_level)}
                            <p class="nhsuk-body-s">{item.skill.descriptors.get(usize::from(a.self_level).saturating_sub(1)).cloned().filter(|_| a.self_level > 0)}</p>
                        </dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"How sure"</dt>
                        <dd class="nhsuk-summary-list__value">{a.confidence.map(confidence_name).unwrap_or("Not given")}</dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Evidence"</dt>
                        <dd class="nhsuk-summary-list__value">
                            {if a.evidence.is_empty() { "None given".to_string() } else { a.evidence.clone() }}
                            {a.evidence_url.clone().map(|u| view! { <p><a href=u.clone() rel="noopener noreferrer nofollow">{u.clone()}</a></p> })}
                        </dd>
                    </div>
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Status"</dt>
                        <dd class="nhsuk-summary-list__value">
                            {if pending {
                                "Waiting for agreement".to_string()
                            } else {
                                format!(
                                    "Agreed at {}{}{}",
                                    a.agreed_level.map(level_label).unwrap_or_default(),
                                    a.reviewed_by.as_ref().map(|w| format!(" by {w}")).unwrap_or_default(),
                                    a.reviewed_at.as_ref().map(|d| format!(" on {d}")).unwrap_or_default()
                                )
                            }}
                            {a.manager_comment.clone().map(|c| view! { <p class="nhsuk-body-s">{format!("Comment: {c}")}</p> })}
                        </dd>
                    </div>
                </dl>
                {form}
            </div>
        </section>
    }
}

/// `/admin/reviews`: how often people review their skills, reminders, and
/// units with a fixed due date. Administrators.
#[component]
pub fn ReviewCyclePage() -> impl IntoView {
    let saved = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("saved")
        .is_some();
    let error = StoredValue::new(
        url_error(super::api::SaveReviewCycle::PATH)
            .or_else(|| url_error(super::api::SetFixedDate::PATH)),
    );
    page!("/admin/reviews", super::api::review_cycle(), |cycle| {
        let error = error.get_value();
        view! { <ReviewCycle cycle=cycle saved=saved error=error/> }
    })
}

#[component]
fn ReviewCycle(
    cycle: super::model::CyclePage,
    saved: bool,
    error: Option<AppError>,
) -> impl IntoView {
    use crate::ui::{SelectField, TextField};
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let message = |f: &str| {
        errors
            .iter()
            .find(|e| e.field == f)
            .map(|e| e.message.clone())
    };
    let banner = saved.then(|| {
        view! {
            <div class="nhsuk-inset-text" role="status" data-testid="cycle-saved">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"Saved. Reminders follow the new rule from the next daily run."</p>
            </div>
        }
    });
    let s = cycle.settings;
    let no_fixed = cycle.fixed.is_empty();
    let fixed_rows = cycle
        .fixed
        .into_iter()
        .map(|f| {
            let unit = f.unit.clone();
            view! {
                <tr role="row" class="nhsuk-table__row" data-testid="fixed-row">
                    <Cell head="Unit">{unit}</Cell>
                    <Cell head="Due on">{f.date.clone()}</Cell>
                    <Cell head="Action">
                        <form method="post" action=super::api::RemoveFixedDate::PATH>
                            <input type="hidden" name="unit_id" value=f.unit_id.to_string()/>
                            <button class="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0" type="submit">
                                "Remove"<span class="nhsuk-u-visually-hidden">{format!(": the fixed date of {}", f.unit)}</span>
                            </button>
                        </form>
                    </Cell>
                </tr>
            }
        })
        .collect_view();
    let units: Vec<(String, String)> = cycle
        .units
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    view! {
        <Title text="Skills review cycle - Skillmap"/>
        <ErrorSummary errors=errors.clone()/>
        <span class="nhsuk-caption-l" data-testid="cycle-organisation">{cycle.organisation}</span>
        <h1>"Skills review cycle"</h1>
        {banner}
        <p>"Skills go stale. Each person is asked to review their profile every so often: confirm each level is still right, or change it. Skillmap reminds them before and after the due date, and tells managers who in their team is overdue. The rule is your organisation's: other organisations in the system set their own."</p>
        <form method="post" action=super::api::SaveReviewCycle::PATH data-testid="cycle-form">
            <TextField
                label="Months between reviews"
                name="months"
                value=s.months.to_string()
                hint="0 turns reviews and their reminders off. 12 fits an appraisal year."
                width_class="nhsuk-input--width-3"
                error=message("months")
            />
            <TextField
                label="Remind people this many days before their review is due"
                name="remind_before_days"
                value=s.remind_before_days.to_string()
                hint="0 for no reminder before."
                width_class="nhsuk-input--width-3"
                error=message("remind_before_days")
            />
            <TextField
                label="And this many days after, if it is still not done"
                name="remind_after_days"
                value=s.remind_after_days.to_string()
                hint="0 for no reminder after. Managers hear of people overdue once a week."
                width_class="nhsuk-input--width-3"
                error=message("remind_after_days")
            />
            <button class="nhsuk-button" type="submit">"Save the review cycle"</button>
        </form>
        <h2>"Units with a fixed date"</h2>
        <p>"By default each person's review is due a cycle after their last one. A unit can instead have everyone due on one date (and every cycle from it): its own, and those of the units within it that have none."</p>
        {if no_fixed {
            view! { <p data-testid="no-fixed-dates">"No unit has a fixed date: everyone's review is due a cycle after their last one."</p> }.into_any()
        } else {
            view! {
                <Table caption="Units with a fixed date" hide_caption=true headers=vec!["Unit", "Due on", "Action"]>
                    {fixed_rows}
                </Table>
            }
            .into_any()
        }}
        <form method="post" action=super::api::SetFixedDate::PATH data-testid="fixed-form">
            <SelectField label="Unit" name="unit_id" options=units selected="" none="Choose a unit" error=message("unit_id")/>
            <TextField
                label="Due on"
                name="date"
                hint="For example, 2027-03-31"
                width_class="nhsuk-input--width-10"
                error=message("date")
            />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Set the fixed date"</button>
        </form>
    }
}
