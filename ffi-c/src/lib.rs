//! The C ABI of corsmatch (being written).
