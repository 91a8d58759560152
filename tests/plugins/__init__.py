"""Platform adapters written in the tests, registered the way an installed platform is."""
