"""Protocol limits: one place, so the validators, the docs and the tests agree."""

MAX_QUEUE_ITEMS = 200
MAX_VIDEO_ID_LENGTH = 2048  # long enough for a direct media URL
MAX_TITLE_LENGTH = 200
MAX_ITEM_ID_LENGTH = 64
MAX_NAME_LENGTH = 40
MAX_POSITION_SECONDS = 1_000_000.0  # about 11.5 days: no real video is longer
