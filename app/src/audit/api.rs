//! Server functions for the audit trail: HR and administrators search it.
//! (Its CSV download is an axum route in `server`, with the same check.)

use leptos::prelude::*;

use super::model::AuditPage;
use crate::error::AppError;

/// One page of the caller's organisation's audit trail matching the
/// filters (as `AuditQuery` describes them), newest first.
#[server(endpoint = "audit/search")]
pub async fn audit_search(
    action: Option<String>,
    actor: Option<String>,
    target_kind: Option<String>,
    target_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i32>,
) -> Result<AuditPage, AppError> {
    use super::model::AuditQuery;
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    let query = AuditQuery {
        action,
        actor,
        target_kind,
        target_id,
        from,
        to,
        before,
    };
    let filters = platform::reply(query.check().map_err(AppError::Validation))?;
    platform::reply(super::service::page(&db, org, &filters).await)
}

/// The job queue: how much waits, and what failed. Administrators. The
/// queue (and the email outbox count) is the deployment's, shared by every
/// organisation.
#[server(endpoint = "audit/jobs")]
pub async fn job_queue() -> Result<super::model::QueueView, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    platform::reply(super::service::queue_view(&db).await)
}

/// Tries a dead job again from its first attempt: administrators. A plain
/// form post goes back to the queue's page.
#[server(endpoint = "audit/retry_job")]
pub async fn retry_job(id: i32) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    platform::reply(super::service::retry_job(&db, platform::actor(), id).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/jobs?retried=1");
    }
    Ok(())
}
