"""Schemathesis' strategies for the API's own string formats (watchparty.core.fields
``described``): what a validator checks and JSON Schema cannot say. Loaded by the CLI through
``SCHEMATHESIS_HOOKS=tests.schemathesis.hooks`` (test_schemathesis.py)."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

# What watchparty.core.text.displayable refuses: control, format and surrogate characters.
_SHOWN = st.characters(exclude_categories=("Cc", "Cf", "Cs"))
display_text = st.text(_SHOWN, max_size=60)
display_name = st.text(_SHOWN, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
media_link = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{11}", fullmatch=True),
    st.sampled_from(
        ["/media/clip.webm", "https://media.example/film.mp4", "https://cdn.example/live.m3u8"]
    ),
)
# bcrypt reads 72 bytes: a password is at most that in UTF-8.
bcrypt_password = st.text(_SHOWN, min_size=8, max_size=72).filter(lambda s: len(s.encode()) <= 72)
https_url = st.from_regex(r"https://[a-z]{1,12}\.example/[a-z0-9]{0,12}", fullmatch=True)

# Addresses that can receive mail (email-validator refuses reserved names such as .test).
email = st.from_regex(r"[a-z0-9]{1,12}@[a-z]{1,12}\.(org|com|net)", fullmatch=True)

schemathesis.openapi.format("email", email)
schemathesis.openapi.format("display-text", display_text)
schemathesis.openapi.format("display-name", display_name)
schemathesis.openapi.format("media-link", media_link)
schemathesis.openapi.format("bcrypt-password", bcrypt_password)
schemathesis.openapi.format("https-url", https_url)
