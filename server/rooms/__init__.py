"""The server's rooms: one `Rooms` per server, one `Room` per room, each room's trainer behind a link
(a thread here, or a room process)."""
