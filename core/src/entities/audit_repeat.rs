use sea_orm::entity::prelude::*;

/// How many times an audit event happened: repeats of a failed sign-in or
/// a refusal within one minute count on the minute's first row (the event)
/// instead of adding rows. The database lets a count only go up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_repeat")]
pub struct Model {
    /// Hex SHA-256 of what makes events repeats of one another: action,
    /// who, source network, record, detail and minute.
    #[sea_orm(primary_key, auto_increment = false)]
    pub repeat_key: String,
    /// The `audit_event` row that stands for them all.
    #[sea_orm(unique)]
    pub event_id: i32,
    /// How many times it happened, the first included.
    pub count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
