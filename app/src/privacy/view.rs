//! The data-rights pages: "Your data" (download everything, take or bring
//! a skills passport), a passport's check before importing it, erasing a
//! leaver (HR), and the retention review (HR).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    ErasePerson, ImportPassport, passport_preview, preview_erasure, retention_review,
};
use super::model::{ErasePreview, PassportPreview, Retention};
use crate::auth::api::whoami;
use crate::error::{AppError, FieldError};
use crate::ui::{
    Cell, ErrorPage, ErrorSummary, FieldErrorMessage, Layout, Table, TextField, group_class, page,
    url_error,
};

/// Where a person downloads their data (a plain GET route, `privacy::download`).
pub const DOWNLOAD_PATH: &str = "/my-data/skillmap-my-data.zip";

/// Where a person downloads their skills passport (a plain POST route,
/// `privacy::download`, taking the consent box).
pub const PASSPORT_PATH: &str = "/my-data/skills-passport.jwt";
/// Where a person uploads a skills passport from another Skillmap.
pub const PASSPORT_UPLOAD_PATH: &str = "/my-data/passport/upload";

#[component]
pub fn MyDataPage() -> impl IntoView {
    let q = use_query_map().get_untracked();
    // What the passport's download and upload routes sent the browser back
    // with, as the field it is about.
    let passport_error = q.get("passport").map(|p| {
        match p.as_str() {
            "consent" => "Tick the box to agree to your skills passport holding your name, email address, agreed levels and badges.",
            "no-email" => "A skills passport names you by email address, and your staff record has none. Ask HR to add one.",
            _ => "Your account is not linked to a staff record, so it has no skills to take with you.",
        }
        .to_string()
    });
    let upload_error = q.get("upload").map(|p| {
        match p.as_str() {
            "empty" => "Choose your skills passport file (a .jwt file).",
            "too-big" => "That file is too big to be a skills passport: choose the .jwt file you downloaded.",
            "no-person" => "Your account is not linked to a staff record, so there is nowhere to bring skills to.",
            "not-passport" => "That file is not a skills passport: choose the .jwt file you downloaded from your Skillmap's Your data page.",
            _ => "That file could not be read: choose the .jwt file you downloaded.",
        }
        .to_string()
    });
    let errors: Vec<FieldError> = passport_error
        .iter()
        .map(|m| FieldError::new("consent", m.clone()))
        .chain(
            upload_error
                .iter()
                .map(|m| FieldError::new("passport-file", m.clone())),
        )
        .collect();
    let title = if errors.is_empty() {
        "Your data - Skillmap"
    } else {
        "Error: Your data - Skillmap"
    };
    let errors = StoredValue::new(errors);
    let passport_error = StoredValue::new(passport_error);
    let upload_error = StoredValue::new(upload_error);
    page!("/my-data", async { Ok::<_, AppError>(()) }, |_nothing| {
        let passport_error = passport_error.get_value();
        let upload_error = upload_error.get_value();
        view! {
            <Title text=title/>
            <ErrorSummary errors=errors.get_value()/>
            <h1>"Your data"</h1>
            <p>"You can download everything Skillmap holds about you, at any time. It comes as one zip file with:"</p>
            <ul class="nhsuk-list nhsuk-list--bullet">
                <li>"your staff record and your sign-in account (never your password)"</li>
                <li>"your skill levels and evidence, with every change and who made it"</li>
                <li>"your learning pathways and their steps"</li>
                <li>"endorsements and awards you received and gave, and your badges"</li>
                <li>"your notifications and what you chose to get email about"</li>
                <li>"the audit trail of what you did in Skillmap, and what others did to your records"</li>
            </ul>
            <p>"Other people appear in it by name and role only, never by their sign-in details or internet addresses."</p>
            <p>"Each part is a CSV file you can open in a spreadsheet, and all of it is also in one JSON file. A README in the zip explains each file."</p>
            <a class="nhsuk-button" href=DOWNLOAD_PATH download="skillmap-my-data.zip">"Download my data"</a>
            <h2 id="passport">"Taking your skills to another organisation"</h2>
            <p>"If you move to an NHS organisation that uses Skillmap in another area, you can take your agreed skill levels and badges with you as a skills passport: one file, signed by your organisation, which their Skillmap checks before using it. (Moves within this system are done by HR, and take everything with you.)"</p>
            <p>"Your passport holds your name and email address, each agreed level with who agreed it and when, and your badges. Nothing is sent anywhere: you choose whom to give the file to. It can be imported for 90 days."</p>
            <form method="post" action=PASSPORT_PATH data-testid="passport-form">
                <div class=group_class(&passport_error)>
                    <fieldset class="nhsuk-fieldset" aria-describedby=passport_error.as_ref().map(|_| "consent-error")>
                        <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Your consent"</legend>
                        <FieldErrorMessage id="consent".to_string() message=passport_error.clone()/>
                        <div class="nhsuk-checkboxes">
                            <div class="nhsuk-checkboxes__item">
                                <input class="nhsuk-checkboxes__input" id="consent" name="consent" type="checkbox" value="yes"/>
                                <label class="nhsuk-label nhsuk-checkboxes__label" for="consent">"I agree to my skills passport holding my name, email address, agreed skill levels (with who agreed them) and badges"</label>
                            </div>
                        </div>
                    </fieldset>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Download my skills passport"</button>
            </form>
            <h2 id="passport-import">"Bringing your skills from another organisation"</h2>
            <p>"If your previous organisation gave you a skills passport, upload it here. Skillmap checks that an organisation it trusts signed it and that it has not been changed, and shows you what it would add before anything changes. Your levels come in as your own, for your manager here to agree."</p>
            <form method="post" action=PASSPORT_UPLOAD_PATH enctype="multipart/form-data" data-testid="passport-upload">
                <div class=group_class(&upload_error)>
                    <label class="nhsuk-label" for="passport-file">"Your skills passport (.jwt file)"</label>
                    <FieldErrorMessage id="passport-file".to_string() message=upload_error.clone()/>
                    <input class="nhsuk-file-upload" id="passport-file" name="file" type="file" accept=".jwt,application/jwt"
                        aria-describedby=upload_error.as_ref().map(|_| "passport-file-error")/>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Upload and check it"</button>
            </form>
            <h2>"Correcting or erasing your data"</h2>
            <p>"Your skill levels and evidence are yours to change on My skills. For anything in your staff record, ask your HR team: they can correct it, and erase your data when you leave."</p>
        }
    })
}

/// A skills passport the person uploaded: what it is, whether it checked
/// out, and what importing it would add, before they confirm.
#[component]
pub fn PassportPage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or_default();
    let error = StoredValue::new(url_error(ImportPassport::PATH));
    page!("/my-data", passport_preview(id), |preview| {
        let error = error.get_value();
        view! { <Passport preview=preview error=error/> }
    })
}

#[component]
fn Passport(preview: PassportPreview, error: Option<AppError>) -> impl IntoView {
    let problem = preview
        .problem
        .clone()
        .or_else(|| error.as_ref().map(|e| e.to_string()));
    let title = if problem.is_some() {
        "Error: Your skills passport - Skillmap"
    } else {
        "Your skills passport - Skillmap"
    };
    let back = view! { <a class="nhsuk-back-link" href="/my-data#passport-import">"Back to your data"</a> };
    if let Some(problem) = problem {
        return view! {
            <Title text=title/>
            {back}
            <h1>"Your skills passport cannot be used"</h1>
            <div class="nhsuk-error-summary" aria-labelledby="passport-problem" role="alert" tabindex="-1">
                <h2 class="nhsuk-error-summary__title" id="passport-problem">"There is a problem"</h2>
                <div class="nhsuk-error-summary__body"><p data-testid="passport-problem">{problem}</p></div>
            </div>
            <p>"Nothing has been added to your skills. "<a href="/my-data#passport-import">"Upload another passport"</a></p>
        }
        .into_any();
    }
    let to_add = preview.to_add();
    let rows = preview
        .levels
        .iter()
        .map(|l| {
            let agreed = match (&l.agreed_by, &l.agreed_at) {
                (Some(who), Some(at)) => format!("{who}, {at}"),
                (Some(who), None) => who.clone(),
                (None, Some(at)) => at.clone(),
                (None, None) => "Not recorded".into(),
            };
            view! {
                <tr class="nhsuk-table__row">
                    <td class="nhsuk-table__cell">{l.skill_name.clone()}</td>
                    <td class="nhsuk-table__cell">{format!("{} {}", l.level, l.level_name)}</td>
                    <td class="nhsuk-table__cell">{agreed}</td>
                    <td class="nhsuk-table__cell">{l.outcome.describe()}</td>
                </tr>
            }
        })
        .collect_view();
    let button = if to_add == 1 {
        "Import 1 level".to_string()
    } else {
        format!("Import {to_add} levels")
    };
    view! {
        <Title text=title/>
        {back}
        <h1><span class="nhsuk-caption-l">"Your skills passport"</span>{format!("From {}", preview.issuer_name)}</h1>
        <div class="nhsuk-inset-text" data-testid="passport-checked">
            <p>{format!(
                "Checked: {} signed this passport for {} on {}, and it has not been changed since. It can be imported until {}.",
                preview.issuer_name, preview.name, preview.issued, preview.valid_until
            )}</p>
        </div>
        <table class="nhsuk-table" data-testid="passport-levels">
            <caption class="nhsuk-table__caption">"Agreed levels in the passport"</caption>
            <thead class="nhsuk-table__head">
                <tr class="nhsuk-table__row">
                    <th scope="col" class="nhsuk-table__header">"Skill"</th>
                    <th scope="col" class="nhsuk-table__header">"Level"</th>
                    <th scope="col" class="nhsuk-table__header">"Agreed by"</th>
                    <th scope="col" class="nhsuk-table__header">"Here"</th>
                </tr>
            </thead>
            <tbody class="nhsuk-table__body">{rows}</tbody>
        </table>
        <p>{format!(
            "It also holds {} {}: they are Open Badges credentials you keep, which anyone can check with {}.",
            preview.badges,
            if preview.badges == 1 { "badge" } else { "badges" },
            preview.issuer_name
        )}</p>
        {if to_add == 0 {
            view! { <p>"There is nothing in it to add to your skills here."</p> }.into_any()
        } else {
            view! {
                <p>"Imported levels become your own, each with where and by whom it was agreed as its evidence. Your manager here is asked to agree them."</p>
                <form method="post" action=ImportPassport::PATH data-testid="passport-import">
                    <input type="hidden" name="upload_id" value=preview.upload_id.to_string()/>
                    <button class="nhsuk-button" type="submit">{button}</button>
                </form>
            }
            .into_any()
        }}
    }
    .into_any()
}

#[component]
pub fn ErasePage() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or_default();
    let error = StoredValue::new(url_error(ErasePerson::PATH));
    page!("/people", preview_erasure(id), |preview| {
        let error = error.get_value();
        view! { <Erase preview=preview error=error/> }
    })
}

#[component]
fn Erase(preview: ErasePreview, error: Option<AppError>) -> impl IntoView {
    let errors = error.as_ref().map(|e| e.field_errors()).unwrap_or_default();
    let confirm_error = error.as_ref().and_then(|e| e.message_for("confirm"));
    let title = if errors.is_empty() {
        format!("Erase {} - Skillmap", preview.name)
    } else {
        format!("Error: Erase {} - Skillmap", preview.name)
    };
    let counts = [
        (
            "Skill assessments, with their evidence and history",
            preview.assessments,
        ),
        ("Endorsements and awards received", preview.recognition),
        ("Badges", preview.badges),
        ("Learning pathway steps", preview.pathway_steps),
    ]
    .into_iter()
    .map(|(what, n)| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{what}</dt>
                <dd class="nhsuk-summary-list__value">{n}</dd>
            </div>
        }
    })
    .collect_view();
    let account = preview
        .account
        .clone()
        .unwrap_or_else(|| "No sign-in account".into());
    let reports = (preview.direct_reports > 0).then(|| {
        view! {
            <p>{format!(
                "{} {} this person as their line manager. They will have none recorded until you import or set a new one.",
                preview.direct_reports,
                if preview.direct_reports == 1 { "person has" } else { "people have" }
            )}</p>
        }
    });
    let action = match preview.blocker() {
        Some(why) => {
            let href = format!("/admin/accounts?q={}", preview.account.clone().unwrap_or_default());
            view! {
                <div class="nhsuk-warning-callout" data-testid="erase-blocked">
                    <h2 class="nhsuk-warning-callout__label">
                        <span role="text"><span class="nhsuk-u-visually-hidden">"Important: "</span>"Not yet"</span>
                    </h2>
                    <p>{why}</p>
                    <p><a href=href>"Go to their account"</a></p>
                </div>
            }
            .into_any()
        }
        None => view! {
            <form method="post" action=ErasePerson::PATH data-testid="erase-form">
                <input type="hidden" name="person_id" value=preview.person_id.to_string()/>
                <TextField
                    label=format!("Type their employee number ({}) to confirm", preview.employee_number)
                    name="confirm"
                    error=confirm_error
                    width_class="nhsuk-input--width-10"
                    autocomplete="off"
                />
                <button class="nhsuk-button nhsuk-button--warning" type="submit">"Erase this person's data"</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <Title text=title/>
        <ErrorSummary errors=errors/>
        <a class="nhsuk-back-link" href=format!("/people/{}", preview.person_id)>"Back to the person"</a>
        <h1><span class="nhsuk-caption-l">"Erase a leaver's data"</span>{preview.name.clone()}</h1>
        <p>"Erasing removes this person's staff record, their sign-in account and everything below, for good. It cannot be undone: if they may need a copy, they can download their data from their account before it is disabled."</p>
        <dl class="nhsuk-summary-list">
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">"Account"</dt>
                <dd class="nhsuk-summary-list__value">{account}</dd>
            </div>
            {counts}
        </dl>
        <p>"What stays: the organisation's figures over time, the recognition, level agreements and mentoring they gave others (shown as from \u{201c}a former colleague\u{201d}, also on badges downloaded later), and the audit trail, which records that an erasure happened without their personal data or the internet addresses they used."</p>
        {reports}
        {action}
    }
}

#[component]
pub fn RetentionPage() -> impl IntoView {
    let erased = use_query_map().get_untracked().get("erased").is_some();
    page!("/admin/retention", retention_review(), |review| view! {
        <Title text="Retention review - Skillmap"/>
        {erased.then(|| view! {
            <div class="nhsuk-inset-text" role="status" data-testid="erased">
                <span class="nhsuk-u-visually-hidden">"Information: "</span>
                <p>"The person's data was erased. The audit trail records that it happened."</p>
            </div>
        })}
        <h1>"Retention review"</h1>
        <Review review=review/>
    })
}

#[component]
fn Review(review: Retention) -> impl IntoView {
    let intro = format!(
        "Accounts disabled for more than {} months, oldest first. For each, check whether the person has left; if they have, erase their data. The period is the SKILLMAP_RETENTION_MONTHS setting.",
        review.months
    );
    if review.rows.is_empty() {
        return view! {
            <p>{intro}</p>
            <p data-testid="retention-empty">"No account is due for review."</p>
        }
        .into_any();
    }
    let rows = review
        .rows
        .into_iter()
        .map(|r| {
            let who = r.name.clone().unwrap_or_else(|| "No staff record".into());
            let since = r
                .disabled_since
                .unwrap_or_else(|| "Before dates were recorded".into());
            let action = match r.person_id {
                Some(id) => {
                    let label = format!("Review and erase: {who}");
                    view! { <a href=format!("/people/{id}/erase") aria-label=label>"Review and erase"</a> }.into_any()
                }
                None => "Nothing held beyond the account".into_any(),
            };
            view! {
                <tr role="row" class="nhsuk-table__row" data-testid="retention-row">
                    <Cell head="Name">{who}</Cell>
                    <Cell head="Email">{r.email}</Cell>
                    <Cell head="Disabled since">{since}</Cell>
                    <Cell head="Action">{action}</Cell>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p>{intro}</p>
        <Table caption="Accounts due for review" headers=vec!["Name", "Email", "Disabled since", "Action"]>
            {rows}
        </Table>
    }
    .into_any()
}
