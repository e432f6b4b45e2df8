//! Lossless edits (filled in by the next step).
