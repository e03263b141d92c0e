"""The live-room domain (no Socket.IO, no Redis): the registry of live rooms, membership,
the member list, the room concerns, the write-behind, and the REST routes about rooms."""
