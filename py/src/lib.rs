//! Python bindings of corsmatch (being written).
