use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The organisation whose data it imports.
    pub organisation_id: i32,
    /// "org", "roles" or "staff".
    pub kind: String,
    pub file_name: String,
    /// See `import::model::Status`.
    pub status: String,
    /// An email address, or "command line".
    pub actor: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub rows: i32,
    pub creates: i32,
    pub updates: i32,
    pub unchanged: i32,
    pub errors: i32,
    pub warnings: i32,
    pub new_accounts: i32,
    /// Every problem found, as JSON.
    pub report: String,
    pub failure: Option<String>,
    /// The file, until it is imported or its retention period ends.
    pub content: Option<Vec<u8>>,
    /// When the file and the cell values in `report` were removed (see
    /// `import::service::purge_finished_files`).
    pub purged_at: Option<DateTimeUtc>,
    /// The queued job committing it (`kernel::queue`), for its progress.
    pub queue_job_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
