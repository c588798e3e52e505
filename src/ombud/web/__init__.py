"""Cross-cutting web plumbing: headers, error pages, log redaction."""
