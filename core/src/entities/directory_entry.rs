use sea_orm::entity::prelude::*;

/// A person who chose to be found in the expertise directory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: i32,
    /// Self-assessed levels count where none is agreed yet.
    pub show_self_assessed: bool,
    /// How they would like to be contacted ("Teams message first").
    pub contact: String,
    pub joined_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
