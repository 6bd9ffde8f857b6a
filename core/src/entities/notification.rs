use sea_orm::entity::prelude::*;

/// One notice in a person's inbox, and the state of its email.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The recipient.
    pub account_id: i32,
    /// See `notifications::model::Kind`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The local path of the page to act on.
    pub link: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    /// "queued", "digest", "sent", "none" or "failed".
    pub email_state: String,
    pub emailed_at: Option<DateTimeUtc>,
    /// One notice per key (a reminder per person per due date, say).
    pub dedupe_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
