//! The Kubernetes API edge: read objects, apply a plan, wait for rollout, RBAC review.
