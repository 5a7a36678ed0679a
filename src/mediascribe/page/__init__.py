"""``<name>.html``: the transcript beside its media, to read and to replay line by line."""

from mediascribe.page.render import MediaKind, PageMedia, media_kind, relative_src, render_page

__all__ = ["MediaKind", "PageMedia", "media_kind", "relative_src", "render_page"]
