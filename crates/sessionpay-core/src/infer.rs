//! Inferring each rate's hidden policy from TeamUp's own figures (being written).
