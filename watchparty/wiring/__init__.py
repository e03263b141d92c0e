"""The steps ``create_app`` runs, one per part of the application: each makes its objects,
puts them under their ``keys``, and owns their start and stop in its own ``cleanup_ctx``."""
