use sea_orm::entity::prelude::*;

/// Work waiting for, or done by, any instance (see `kernel::queue`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What to do: see `jobs::Kind`.
    pub kind: String,
    /// Its arguments, as JSON.
    pub payload: String,
    /// "queued", "running", "done" or "dead".
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not before this.
    pub run_at: DateTimeUtc,
    /// A running job whose lease has passed is anyone's again.
    pub lease_until: Option<DateTimeUtc>,
    /// The instance running it.
    pub locked_by: Option<String>,
    /// Asking twice for a job with the same key makes one job.
    pub dedupe_key: Option<String>,
    pub last_error: Option<String>,
    pub progress_done: Option<i32>,
    pub progress_total: Option<i32>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
