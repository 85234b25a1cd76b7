"""The read-only web dashboard of the controller's store: JSON API, server-sent events, the page.

See docs/dashboard.md.
"""
