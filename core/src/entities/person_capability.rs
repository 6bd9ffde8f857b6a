use sea_orm::entity::prelude::*;

/// The pipeline and digital-inclusion inputs of one assessed person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_capability")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: i32,
    pub org_unit_id: i32,
    pub staff_group: String,
    pub band: String,
    pub lead_domains: i16,
    /// "below", "working" or "unassessed".
    pub digital: String,
    /// One domain short of a leader, and interested in developing a skill
    /// of the domain they are short in.
    pub interest_short: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
