use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

use super::model::{JobRow, JobView, Progress, Status};
use crate::error::AppError;

/// Uploads a file (multipart: `kind` and `file`), checks all of it and keeps
/// it for a preview: HR and administrators. A plain form post goes on to the
/// preview page.
#[server(endpoint = "import/upload", input = MultipartFormData)]
pub async fn upload_import(data: MultipartData) -> Result<i32, AppError> {
    use super::check::Importer;
    use super::model::Kind;
    use super::service::{self, NewJob};
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    // The file is the uploader's organisation's data.
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    let limits = state.settings.import_limits;
    let unreadable = |e: &dyn std::fmt::Display| {
        let err = AppError::Request(format!("The upload could not be read ({e}). Try again."));
        platform::guard::set_error_status(&err);
        err
    };
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut kind = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        match field.name() {
            Some("kind") => {
                kind = Kind::parse(&field.text().await.map_err(|e| unreadable(&e))?);
            }
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(&e))? {
                    if bytes.len() + chunk.len() > limits.max_bytes {
                        return platform::reply(Err(AppError::validation(
                            "file",
                            format!(
                                "The file is larger than the {} limit. Split it into smaller files, or ask an administrator to raise SKILLMAP_IMPORT_MAX_BYTES.",
                                skillmap_core::kernel::table::size(limits.max_bytes)
                            ),
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if !(name.is_empty() && bytes.is_empty()) {
                    file = Some((name, bytes));
                }
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    if kind.is_none() {
        errors.push(crate::error::FieldError::new(
            "kind",
            "Choose what the file contains",
        ));
    }
    if file.is_none() {
        errors.push(crate::error::FieldError::new(
            "file",
            "Choose a CSV or Excel file to upload",
        ));
    }
    let (Some(kind), Some((name, bytes)), true) = (kind, file, errors.is_empty()) else {
        return platform::reply(Err(AppError::Validation(errors)));
    };
    let id = platform::reply(
        service::upload(
            &state.db,
            NewJob {
                organisation_id: org,
                kind,
                file_name: &name,
                actor: &user.email,
                created_by: Some(user.account_id),
            },
            bytes,
            limits,
            Importer {
                is_admin: user.role == Role::Admin,
            },
        )
        .await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/admin/import/{id}"));
    }
    Ok(id)
}

/// An import's preview (before) or record (after): HR and administrators
/// of its organisation (another organisation's is not found).
#[server(endpoint = "import/job")]
pub async fn import_job(job_id: i32) -> Result<JobView, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    platform::reply(super::service::job(&state.db, org, job_id, &state.imports).await)
}

/// Where a running import of the caller's organisation has got to, for
/// the progress bar.
#[server(endpoint = "import/progress")]
pub async fn import_progress(job_id: i32) -> Result<(Status, Option<Progress>), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    platform::reply(super::service::status(&state.db, org, job_id, &state.imports).await)
}

/// Imports a checked file, in the background, in one transaction: HR and
/// administrators of its organisation (another organisation's import is
/// not found). A plain form post goes back to the import's page, which
/// shows the progress.
#[server(endpoint = "import/commit")]
pub async fn commit_import(job_id: i32) -> Result<(), AppError> {
    use super::check::Importer;
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    let (status, _) =
        platform::reply(super::service::status(&state.db, org, job_id, &state.imports).await)?;
    match status {
        Status::Imported => {
            return platform::reply(Err(AppError::Conflict(
                "This file has already been imported.".into(),
            )));
        }
        Status::Rejected => {
            return platform::reply(Err(AppError::Conflict(
                "This file has errors, so nothing can be imported. Fix them and upload it again."
                    .into(),
            )));
        }
        Status::Expired => {
            return platform::reply(Err(AppError::Conflict(
                "This file was not imported in time, so Skillmap removed it. Upload it again to import it."
                    .into(),
            )));
        }
        Status::Importing => {}
        Status::Ready | Status::Failed => {
            platform::reply(
                super::service::queue_commit(
                    &state.db,
                    org,
                    job_id,
                    Importer {
                        is_admin: user.role == Role::Admin,
                    },
                    platform::actor(),
                )
                .await,
            )?;
        }
    }
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/admin/import/{job_id}"));
    }
    Ok(())
}

/// The most recent imports of the caller's organisation: HR and
/// administrators.
#[server(endpoint = "import/history")]
pub async fn import_history() -> Result<Vec<JobRow>, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    platform::reply(super::service::history(&state.db, org, &state.imports).await)
}
