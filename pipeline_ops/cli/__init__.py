"""The `pipeline-ops` command line."""
