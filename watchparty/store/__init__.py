"""MongoDB access: every database call of the project lives in this package."""
