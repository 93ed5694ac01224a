"""Container registries: OCI Distribution v2 and ECR connections, repository sync, new-digest scans."""
