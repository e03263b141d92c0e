"""Protocol limits: one place, so the validators, the docs and the tests agree."""

MAX_QUEUE_ITEMS = 200
# Every queue change reaches every member with the whole queue: its size in bytes (video ids
# and titles, as UTF-8) bounds what one change costs each of them.
MAX_QUEUE_BYTES = 64 * 1024
MAX_VIDEO_ID_LENGTH = 2048  # long enough for a direct media URL
MAX_TITLE_LENGTH = 200
MAX_ITEM_ID_LENGTH = 64
MAX_NAME_LENGTH = 40
MAX_POSITION_SECONDS = 1_000_000.0  # about 11.5 days: no real video is longer
MAX_CHAT_LENGTH = 500  # characters, after control characters are removed and ends trimmed
CHAT_HISTORY = 200  # messages a room keeps (memory and database)
CHAT_IN_SNAPSHOT = 50  # of those, sent with the join snapshot
# A room's reactions go out at most once per window, counted per emoji (rooms.concerns).
REACTION_WINDOW_SECONDS = 0.25
MAX_MUTE_SECONDS = 7 * 24 * 3600
MAX_REASON_LENGTH = 200
MAX_RTT_SECONDS = 10  # the largest round trip a clock ping may report
# Room, playlist and user ids are made by the server (``secrets.token_urlsafe``); a path
# segment of any other shape names nothing, and never reaches the database.
ID_PATTERN = "[A-Za-z0-9_-]{1,64}"
