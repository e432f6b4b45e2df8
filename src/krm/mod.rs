//! KRM function contract: ResourceList in and out, package <-> items, results.
