//! OpenStreetMap PBF reader (stub while the real one is written).
