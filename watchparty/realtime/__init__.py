"""The Socket.IO adapter: the ``/rooms`` namespace, the event table, the ``Transport`` over
python-socketio, the direct room fan-out, and each patch of the libraries' internals."""
