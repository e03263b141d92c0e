"""Socket.IO side: the ``/rooms`` namespace and the registry of live rooms."""
