use sea_orm::entity::prelude::*;

/// Consecutive failed sign-ins with one email address, from anywhere:
/// working state for the per-account back-off (`platform::backoff`), not
/// a record. A success deletes the row; idle rows are pruned.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_backoff")]
pub struct Model {
    /// Hex SHA-256 of the normalised email address, never the address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_key: String,
    /// Attempts counted since the last success, each counted before its
    /// password is checked.
    pub failures: i32,
    /// When the last of them began.
    pub last_failure_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
