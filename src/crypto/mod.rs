//! crypto placeholder
